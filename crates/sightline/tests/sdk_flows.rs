//! End to end through Looker's official Python SDK: a real `sightline demo` process on a free
//! loopback port, both asynchronous flows, and every error shape; results checked against
//! hand-written SQL run straight on the demo DuckDB file.

mod common;

use std::ffi::OsStr;
use std::path::Path;

use common::{client, node_sdk, python, repo_root, Server};

use connect::{Connection, DuckDbConnection};
use result::{ColumnInfo, ResultSet, Value, ValueType};
use serde_json::Value as Json;

const CLIENT_ID: &str = "sdk-test-client";
const CLIENT_SECRET: &str = "sdk-test-secret-0123456789";

fn start_demo(data_dir: &Path) -> Server {
    let project = repo_root().join("examples/thelook");
    let args = [OsStr::new("demo"), OsStr::new("--listen"), OsStr::new("127.0.0.1:0"), OsStr::new("--project"), project.as_os_str()];
    let args: Vec<&OsStr> = args.into_iter().chain([OsStr::new("--data-dir"), data_dir.as_os_str()]).collect();
    common::start(&args, CLIENT_ID, CLIENT_SECRET)
}

/// Runs hand-written SQL straight on the demo database, every column read as a number except
/// the first (the group).
fn hand_sql(database: &Path, sql: &str, width: usize) -> ResultSet {
    let db = DuckDbConnection::open(&database.to_string_lossy()).expect("open demo database");
    let columns =
        (0..width).map(|i| ColumnInfo::plain(&format!("c{i}"), if i == 0 { ValueType::String } else { ValueType::Number })).collect();
    db.query(sql, columns).expect("hand-written SQL")
}

fn number(r: &ResultSet, column: usize, row: usize) -> f64 {
    r.value(column, row).as_f64().unwrap_or(f64::NAN)
}

/// (status, item count, total sale price, distinct buyers) by hand-written SQL.
fn expected(database: &Path) -> Vec<(String, i64, f64, i64)> {
    let r = hand_sql(
        database,
        "SELECT o.status, COUNT(*), SUM(oi.sale_price), COUNT(DISTINCT oi.user_id)
         FROM order_items oi JOIN orders o ON o.order_id = oi.order_id
         WHERE o.status <> 'Cancelled' AND oi.created_at >= TIMESTAMP '2021-01-01' AND oi.created_at < TIMESTAMP '2022-01-01'
         GROUP BY 1 ORDER BY 1",
        4,
    );
    let int = |c, i| match r.value(c, i) {
        Value::Int(n) => *n,
        other => panic!("{other:?}"),
    };
    (0..r.row_count()).map(|i| (r.value(0, i).to_text().unwrap_or_default(), int(1, i), number(&r, 2, i), int(3, i))).collect()
}

/// (status, distinct buyers, their average age, their total age): each buyer counted once.
fn expected_fanout(database: &Path) -> Vec<(String, i64, f64, f64)> {
    let r = hand_sql(
        database,
        "SELECT b.status, COUNT(*), AVG(u.age), SUM(u.age)
         FROM (SELECT DISTINCT oi.user_id, o.status FROM order_items oi JOIN orders o ON o.order_id = oi.order_id) b
         JOIN users u ON u.id = b.user_id GROUP BY 1 ORDER BY 1",
        4,
    );
    (0..r.row_count())
        .map(|i| (r.value(0, i).to_text().unwrap_or_default(), number(&r, 1, i) as i64, number(&r, 2, i), number(&r, 3, i)))
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(1.0)
}

#[test]
fn official_python_sdk_runs_query_and_render_tasks() {
    let Some(python) = python() else { return };
    let data_dir = std::env::temp_dir().join(format!("sightline-sdk-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let server = start_demo(&data_dir);
    let png_path = data_dir.join("render.png");
    let output =
        client(&python, "sdk_flows.py", &server.base_url, CLIENT_ID, CLIENT_SECRET).arg(&png_path).output().expect("run the SDK script");
    assert!(output.status.success(), "SDK script failed: {}", String::from_utf8_lossy(&output.stdout));
    let report: Json = serde_json::from_slice(&output.stdout).expect("SDK report is JSON");
    drop(server); // DuckDB allows one writer process: stop the server before reading its file.

    let want = expected(&data_dir.join("demo/thelook-v2-scale1.duckdb"));
    assert_eq!(want.len(), 4, "Complete, Processing, Returned, Shipped: {want:?}");

    // CSV: Looker's label header, then the same figures as the hand-written SQL.
    let csv_text = report["csv"].as_str().expect("csv text");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader.headers().expect("header").iter().map(String::from).collect();
    assert_eq!(header, ["Orders Status", "Order Items Count", "Order Items Total Sale Price", "Users Count"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("csv row")).collect();
    assert_eq!(rows.len(), want.len());
    for (row, (status, count, total, users)) in rows.iter().zip(&want) {
        assert_eq!(&row[0], status);
        assert_eq!(row[1].parse::<i64>().expect("count"), *count);
        assert!(close(row[2].parse::<f64>().expect("total"), *total), "{} vs {total}", &row[2]);
        assert_eq!(row[3].parse::<i64>().expect("users"), *users);
    }

    // JSON: one object per row keyed by field name, same figures.
    let json_rows: Json = serde_json::from_str(report["json"].as_str().expect("json text")).expect("json result");
    let json_rows = json_rows.as_array().expect("array");
    assert_eq!(json_rows.len(), want.len());
    for (row, (status, count, total, users)) in json_rows.iter().zip(&want) {
        assert_eq!(row["orders.status"], *status);
        assert_eq!(row["order_items.count"], *count);
        assert!(close(row["order_items.total_sale_price"].as_f64().expect("total"), *total));
        assert_eq!(row["users.count"], *users);
    }
    for key in ["csv_statuses", "json_statuses"] {
        let statuses: Vec<&str> = report[key].as_array().expect("statuses").iter().filter_map(Json::as_str).collect();
        assert_eq!(statuses.first(), Some(&"added"), "{key}: {statuses:?}");
        assert_eq!(statuses.last(), Some(&"complete"), "{key}: {statuses:?}");
    }

    // Measures of a view repeated by a many-to-one join count each of its rows once.
    let fanout: Json = serde_json::from_str(report["fanout"].as_str().expect("fanout json")).expect("fanout result");
    let want_fanout = expected_fanout(&data_dir.join("demo/thelook-v2-scale1.duckdb"));
    assert_eq!(fanout.as_array().map(Vec::len), Some(want_fanout.len()));
    for (row, (status, users, avg_age, total_age)) in fanout.as_array().into_iter().flatten().zip(&want_fanout) {
        assert_eq!(row["orders.status"], *status);
        assert_eq!(row["users.count"], *users);
        assert!(close(row["users.average_age"].as_f64().expect("avg"), *avg_age), "{row} vs {avg_age}");
        assert!(close(row["users.total_age"].as_f64().expect("sum"), *total_age), "{row} vs {total_age}");
    }

    // Pivoted: distinct users per status (rows) and gender (columns), row totals and column
    // totals distinct too (not sums of the cells).
    let db = data_dir.join("demo/thelook-v2-scale1.duckdb");
    let distinct_users = |group: &str, width: usize| {
        hand_sql(
            &db,
            &format!(
                "SELECT {group}, COUNT(DISTINCT oi.user_id) FROM order_items oi JOIN orders o ON o.order_id = oi.order_id \
                 JOIN users u ON u.id = oi.user_id GROUP BY ALL ORDER BY ALL"
            ),
            width,
        )
    };
    let cells = distinct_users("o.status, u.gender", 3);
    let by_status = distinct_users("o.status", 2);
    let by_gender = distinct_users("u.gender", 2);
    let text = |r: &ResultSet, c: usize, i: usize| r.value(c, i).to_text().unwrap_or_default();
    let pivot: Json = serde_json::from_str(report["pivot_json"].as_str().expect("pivot json")).expect("pivot result");
    let pivot_rows = pivot.as_array().expect("pivot rows");
    assert_eq!(pivot_rows.len(), by_status.row_count());
    for i in 0..cells.row_count() {
        let row = pivot_rows.iter().find(|r| r["orders.status"] == text(&cells, 0, i)).expect("status row");
        assert_eq!(row["users.count"]["users.gender"][text(&cells, 1, i)], number(&cells, 2, i) as i64, "{row}");
    }
    for i in 0..by_status.row_count() {
        let row = pivot_rows.iter().find(|r| r["orders.status"] == text(&by_status, 0, i)).expect("status row");
        assert_eq!(row["users.count"]["users.gender"]["$$$_row_total_$$$"], number(&by_status, 1, i) as i64, "{row}");
    }
    let csv_text = report["pivot_csv"].as_str().expect("pivot csv");
    let lines: Vec<&str> = csv_text.lines().collect();
    let genders: Vec<String> = (0..by_gender.row_count()).map(|i| text(&by_gender, 0, i)).collect();
    assert_eq!(lines[0], format!("Users Gender,{},", genders.join(",")), "{csv_text}");
    assert_eq!(lines[1], format!("Orders Status,{}Users Count", "Users Count,".repeat(genders.len())), "{csv_text}");
    let totals: Vec<String> = (0..by_gender.row_count()).map(|i| (number(&by_gender, 1, i) as i64).to_string()).collect();
    assert_eq!(lines.last().copied(), Some(format!(",{},", totals.join(","))).as_deref(), "{csv_text}");

    // Render: a PNG of the requested size with a chart on it.
    let statuses: Vec<&str> = report["render_statuses"].as_array().expect("statuses").iter().filter_map(Json::as_str).collect();
    assert_eq!(statuses.first(), Some(&"enqueued_for_query"));
    assert_eq!(statuses.last(), Some(&"success"), "{statuses:?} {}", report["render_detail"]);
    let png = std::fs::read(&png_path).expect("png written");
    let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("PNG frame");
    assert_eq!((info.width, info.height), (800, 500));
    let colours: std::collections::HashSet<&[u8]> = pixels.chunks_exact(4).collect();
    let inked = pixels.chunks_exact(4).filter(|p| p[0] < 200 || p[1] < 200 || p[2] < 200).count();
    assert!(inked > 5_000 && colours.len() > 10, "the PNG is nearly blank: {inked} inked pixels, {} colours", colours.len());

    // Metadata, saved queries and a JPG render, as the SDK reads them.
    assert_eq!(report["models"], serde_json::json!([["thelook", ["events", "inventory_items", "order_items", "orders", "users"]]]));
    assert_eq!(report["explore"]["id"], "thelook::order_items");
    assert_eq!(report["explore"]["category"], "measure");
    assert_eq!(report["explore"]["joins"], serde_json::json!(["orders", "users", "products", "inventory_items", "distribution_centers"]));
    let dimensions: Vec<&str> = report["explore"]["dimensions"].as_array().expect("dimensions").iter().filter_map(Json::as_str).collect();
    assert!(dimensions.contains(&"order_items.created_month") && dimensions.contains(&"users.state"), "{dimensions:?}");
    let models = &report["sdk_models"];
    assert_eq!(models["join_orders"], serde_json::json!(["left_outer", "many_to_one"]));
    assert!(models["field_types"].as_array().expect("types").contains(&Json::from("zipcode")), "{}", models["field_types"]);
    assert_eq!(models["timeframe_fields"].as_array().map(Vec::len), Some(3));
    assert_eq!(models["trimmed"], serde_json::json!([null]), "fields= keeps only the listed properties");
    assert_eq!(models["past_the_end"], serde_json::json!([]));
    assert_eq!(models["first_page"], serde_json::json!(["thelook"]));
    assert_eq!(models["model"], "thelook");
    assert_eq!(models["connection_dialect"], "duckdb");
    assert!(models["dialects"].as_array().expect("dialects").contains(&Json::from("postgres")));
    assert_eq!(models["tests"], serde_json::json!([["connect", "success"], ["query", "success"]]));
    assert_eq!(models["versions"], "4.0");
    assert_eq!(models["slug_finds_query"], true);
    assert_eq!(
        models["multi"].as_object().map(|m| m.values().cloned().collect::<Vec<_>>()),
        Some(vec![Json::from("complete"), Json::from("missing")])
    );
    assert!(models["multi_rows"].as_u64().is_some_and(|n| n > 0));
    assert_eq!(models["task_fields"], Json::Null, "fields=id,status leaves result_format out");
    assert_eq!(models["task_query"], serde_json::json!(["thelook", "order_items", true, "query"]));
    assert_eq!(models["refused"], serde_json::json!([["look_id", "not_supported"]]));
    assert_eq!(report["cache"], serde_json::json!({"source": "cache", "cache": true, "key": 64, "same_result": true}));
    assert_eq!(report["deferred"], serde_json::json!(["added", "complete", true]));
    assert_eq!(report["saved_query"]["id"], report["query_id"]);
    assert_eq!(report["saved_query"]["filters"]["orders.status"], "-Cancelled");
    assert_eq!(report["run_query_csv"], report["csv"]);
    assert_eq!(report["jpg_statuses"].as_array().and_then(|s| s.last()), Some(&Json::from("success")));
    assert_eq!(report["jpg_magic"], "ffd8ff");
    assert_eq!(report["pdf_statuses"].as_array().and_then(|s| s.last()), Some(&Json::from("success")));
    assert_eq!(report["pdf_page"], serde_json::json!([1, 800.0, 600.0]));
    assert_eq!(report["run_query_png"], serde_json::json!(["PNG", 400, 300]));
    assert_eq!(report["image_width_csv"], serde_json::json!([["image_width", "invalid"]]));
    let pdf_text = report["pdf_text"].as_str().unwrap_or_default();
    assert!(pdf_text.contains("Order Items") && pdf_text.contains("Status"), "the PDF's text: {pdf_text}");

    // The SDK surfaces our 422 as its own SDKError, naming the field.
    assert_eq!(report["sdk_error"]["fields"], serde_json::json!(["fields"]));
    assert!(report["sdk_error"]["message"].as_str().is_some());

    // Error shapes: Looker's {message, documentation_url}, 422 with errors[], culprits named.
    let errors = &report["errors"];
    let check = |name: &str, status: u64, needle: &str| {
        let e = &errors[name];
        assert_eq!(e["status"], status, "{name}: {e}");
        let body = &e["body"];
        assert!(body["documentation_url"].as_str().is_some(), "{name}: {body}");
        let text = body.to_string();
        assert!(text.contains(needle), "{name}: `{needle}` not in {text}");
        if status == 422 {
            assert!(body["errors"][0]["field"].as_str().is_some(), "{name}: {body}");
        }
    };
    check("unknown_model", 422, "model `nope` does not exist");
    check("unknown_explore", 422, "explore `nope` does not exist");
    check("unknown_field", 422, "field `orders.nope` does not exist");
    check("bad_number_filter", 422, "is not a number filter");
    check("unknown_result_format", 400, "Unknown result_format `bogus`");
    check("unknown_task_format", 422, "Unknown result_format `bogus`");
    check("malformed_json", 400, "not valid JSON");
    check("wrong_secret", 404, "Not found");
    check("unknown_query_task", 404, "query task `0123456789abcdef` does not exist");
    check("unknown_render_task", 404, "render task `0123456789abcdef` does not exist");
    check("no_token", 401, "Requires authentication");
    check("unknown_route", 404, "Not found");
    check("after_logout", 401, "Requires authentication");
    assert_eq!(report["relogin"], "Admin User");
    assert_eq!(errors["sql_format"]["status"], 200);
    assert!(errors["sql_format"]["body"].as_str().is_some_and(|s| s.contains("LEFT JOIN orders AS orders")), "{}", errors["sql_format"]);
    assert_eq!(errors["versions"]["body"]["current_version"]["version"], "4.0");
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// Looks through the official Python SDK: every Look operation, a Look run and rendered under
/// its title (the PDF's text says so), its figures those of its query.
#[test]
fn official_python_sdk_manages_runs_and_renders_looks() {
    let Some(python) = python() else { return };
    let data_dir = std::env::temp_dir().join(format!("sightline-sdk-looks-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let server = start_demo(&data_dir);
    let output = client(&python, "sdk_looks.py", &server.base_url, CLIENT_ID, CLIENT_SECRET).output().expect("run the SDK script");
    assert!(output.status.success(), "SDK script failed: {}", String::from_utf8_lossy(&output.stdout));
    let report: Json = serde_json::from_slice(&output.stdout).expect("SDK report is JSON");
    drop(server);
    assert_eq!(report["personal_folder"], true);
    assert_eq!(report["created"], serde_json::json!(["Items by status", "every order", true, true, true]));
    assert_eq!(report["read"], serde_json::json!(["Items by status", "thelook", ["orders.status", "order_items.count"], "thelook", true]));
    assert_eq!(report["renamed"], serde_json::json!(["Revenue by status", "every order"]));
    assert_eq!(report["written_back"], serde_json::json!(["Revenue by status", "written back", true]));
    assert_eq!(report["search"], serde_json::json!(["Revenue by status"]));
    assert_eq!(report["search_folder"], serde_json::json!(["Revenue by status"]));
    assert_eq!(report["all"], serde_json::json!(["Revenue by status"]));
    let csv = report["run_csv"].as_str().expect("csv");
    assert!(csv.starts_with("Orders Status,Order Items Count\n") && csv.lines().count() > 2, "{csv}");
    assert_eq!(report["run_csv"], report["run_query_csv"], "a Look's figures are its query's");
    assert_eq!(report["run_png"], serde_json::json!(["PNG", 400, 300]));
    assert_eq!(report["render_look_id"], true);
    assert_eq!(report["render_status"], "success");
    let text = report["pdf_text"].as_str().expect("pdf text");
    assert!(text.contains("Revenue by status") && text.contains("Complete"), "the Look's title and its data: {text}");
    assert_eq!(report["pivoted_status"], "success");
    let text = report["pivoted_text"].as_str().expect("pivoted pdf text");
    // The x axis is the year: the statuses can only be the legend's series.
    assert!(text.contains("Complete") && text.contains("Cancelled"), "a series per status: {text}");
    assert_eq!(report["no_folder"], serde_json::json!([["folder_id", "missing_field"]]));
    assert!(report["taken_title"].as_str().is_some_and(|m| m.contains("already exists")), "{}", report["taken_title"]);
    assert_eq!(report["trashed"], serde_json::json!([true, [], [true]]));
    assert_eq!(report["restored"], serde_json::json!([true]));
    assert!(report["deleted"].as_str().is_some_and(|m| m.contains("does not exist")), "{}", report["deleted"]);
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// Users and roles through the official Python SDK: a user made with a role and credentials
/// sees only their role's models and does only what its permissions give; sudo and disabling
/// work; the last admin keeps the Admin role.
#[test]
fn official_python_sdk_manages_users_and_roles() {
    let Some(python) = python() else { return };
    let data_dir = std::env::temp_dir().join(format!("sightline-sdk-roles-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let server = start_demo(&data_dir);
    let output = client(&python, "sdk_roles.py", &server.base_url, CLIENT_ID, CLIENT_SECRET).output().expect("run the SDK script");
    assert!(output.status.success(), "SDK script failed: {}", String::from_utf8_lossy(&output.stdout));
    let report: Json = serde_json::from_slice(&output.stdout).expect("SDK report is JSON");
    drop(server);
    assert_eq!(report["admin_roles"], serde_json::json!(["Admin"]));
    assert_eq!(report["built_in"], serde_json::json!(["Admin", "Viewer", "User", "Developer"]));
    assert_eq!(report["listed_credentials"], serde_json::json!([true]));
    assert_eq!(report["refused_permission"], serde_json::json!([["permissions", "not_supported"]]));
    assert_eq!(report["ann"], serde_json::json!(["Ann", true, "ann.lee@example.com"]));
    assert_eq!(report["found_by_email"], serde_json::json!(["Ann"]));
    assert_eq!(report["ann_models"], serde_json::json!(["thelook"]));
    assert_eq!(report["ann_runs_look"], true);
    assert_eq!(report["ann_task_visible_to_admin"], true);
    for (key, status) in [
        ("ann_creates_query", "forbidden"),
        ("ann_sql", "forbidden"),
        ("ann_connections", "forbidden"),
        ("ann_users", "forbidden"),
        ("ann_sets_roles", "forbidden"),
        ("ann_reads_admin_task", "not found"),
        ("moved_look", "not found"),
        ("moved_run", "not found"),
        ("disabled", "unauthorized"),
    ] {
        assert_eq!(report[key], status, "{key}: {}", report[key]);
    }
    assert_eq!(report["moved_models"], serde_json::json!([]));
    assert_eq!(report["sudo_me"], "Ann");
    assert_eq!(report["sudo_models"], serde_json::json!(["thelook"]));
    assert_eq!(report["back"], "Admin");
    assert_eq!(report["last_admin"], serde_json::json!([["user_id", "invalid"]]));
    let groups = &report["groups"];
    assert_eq!(
        groups,
        &serde_json::json!({
            "before": "not found", "member_runs": true, "cy_group_ids": true, "cy_roles": ["Look viewer"], "cy_direct_roles": [],
            "role_users": ["Ann", "Cy"], "role_direct_users": ["Ann"], "role_groups": ["Analysts"], "group": [1, ["Cy"]],
            "listed": ["Analysts"], "duplicate": true, "after_leaving": "not found",
            "team_from_group": ["red", "group"], "group_values": [["blue", 1], ["red", 2]], "team_updated": ["crimson", "group"],
            "team_own": ["green", "user"], "team_default": ["none", "default"], "renamed": "Analysts EU", "deleted": "not found",
        }),
        "{groups}"
    );
    let deleted = &report["deleted"];
    assert_eq!(
        deleted,
        &serde_json::json!({
            "read": "not found", "listed": false, "searched": [], "bo_sdk": "unauthorized", "look": [true, true],
            "again": "not found", "self": "a user cannot delete themselves", "by_ann": "unauthorized",
        }),
        "{deleted}"
    );
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// A twelve-tile dashboard through the official Python SDK: built, laid out on the grid,
/// rendered to PNG (of the exact size, with ink on it), JPG and PDF (the titles of its tiles in
/// its text), one element alone, then deleted.
#[test]
fn official_python_sdk_builds_and_renders_a_dashboard() {
    let Some(python) = python() else { return };
    let data_dir = std::env::temp_dir().join(format!("sightline-sdk-dashboards-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let server = start_demo(&data_dir);
    let png_path = data_dir.join("dashboard.png");
    let output = client(&python, "sdk_dashboards.py", &server.base_url, CLIENT_ID, CLIENT_SECRET)
        .arg(&png_path)
        .output()
        .expect("run the SDK script");
    assert!(output.status.success(), "SDK script failed: {}", String::from_utf8_lossy(&output.stdout));
    let report: Json = serde_json::from_slice(&output.stdout).expect("SDK report is JSON");
    drop(server);
    assert_eq!(report["layout"], serde_json::json!(["newspaper", true, 1]));
    let mut types = vec!["vis"; 11];
    types.push("text");
    assert_eq!(report["element_types"], serde_json::json!(types));
    assert_eq!(report["look_tile_title"], "Buyers by status");
    let placements: Vec<[i64; 4]> = (0..12).map(|i| [(i / 3) * 6, (i % 3) * 8, 8, 6]).collect();
    let mut placements: Vec<Json> = placements.iter().map(|p| serde_json::json!(p)).collect();
    placements.sort_by_key(|p| p.to_string());
    let mut got: Vec<Json> = report["placements"].as_array().cloned().unwrap_or_default();
    got.sort_by_key(|p| p.to_string());
    assert_eq!(got, placements);
    assert_eq!(report["read"], serde_json::json!(["Store operations", 12, 12]));
    assert_eq!(report["search"], serde_json::json!(["Store operations"]));
    assert_eq!(report["jpg_magic"], "ffd8ff");
    assert_eq!(report["pdf_pages"], 1);
    let text = report["pdf_text"].as_str().expect("pdf text");
    for title in
        ["Store operations", "Items by status 1", "Revenue by status 2", "Buyers by state 4", "Buyers by status", "About", "Complete"]
    {
        assert!(text.contains(title), "{title} not in the PDF's text: {text}");
    }
    assert_eq!(report["filter"], serde_json::json!(["Status", "orders.status", ["Status"]]));
    let text = report["filtered_text"].as_str().expect("filtered text");
    assert!(text.contains("Returned") && !text.contains("Shipped") && !text.contains("Processing"), "only returned orders: {text}");
    assert_eq!(report["listen_read"], serde_json::json!(["Which", "orders.status"]));
    let text = report["listen_text"].as_str().expect("listening text");
    // Both tiles show Returned; only the deaf one shows the other statuses.
    assert!(text.contains("Listens") && text.contains("Deaf"), "{text}");
    assert_eq!((text.matches("Returned").count(), text.matches("Complete").count()), (2, 1), "{text}");
    assert_eq!(report["a4_pages"], serde_json::json!([[842.0, 595.0], [842.0, 595.0]]));
    // long_tables: every month's row is on the pages (more of them than without), and the PNG
    // grew past the 900 px asked for.
    let long = &report["long_tables"];
    assert!(long["rows"].as_u64().is_some_and(|n| n > 40), "{long}");
    assert_eq!((long["short_pages"].as_u64(), long["short_shows_last"].as_bool()), (Some(1), Some(false)), "{long}");
    assert!(long["long_pages"].as_u64().is_some_and(|n| n >= 2), "{long}");
    assert_eq!(long["every_row_shown"], true, "{long}");
    assert!(long["png"][0] == 1200 && long["png"][1].as_u64().is_some_and(|h| h > 900), "{long}");
    let pages: Vec<&str> = report["a4_text"].as_array().expect("pages").iter().filter_map(Json::as_str).collect();
    assert!(pages[0].contains("Store operations") && pages[0].contains("Items by status 1"), "{}", pages[0]);
    assert!(
        !pages[1].contains("Store operations") && pages[1].contains("Revenue by status 10") && pages[1].contains("About"),
        "{}",
        pages[1]
    );
    assert_eq!(report["element_png"], serde_json::json!([600, 400]));
    assert_eq!(
        report["lookml_read"],
        serde_json::json!([
            "Sales overview",
            true,
            ["Status", "Category"],
            ["-Cancelled", null],
            ["vis", "vis", "vis", "vis", "text", "vis", "vis"],
            {"orders.status": "-Cancelled"},
            [[0, 0, 8, 6], [0, 8, 16, 6]]
        ])
    );
    assert_eq!(report["listed"], true, "all_dashboards lists the dashboard made and the LookML one");
    assert_eq!(report["lookml_task"], serde_json::json!(["thelook::overview", "Order+status=Returned"]));
    let text = report["lookml_pdf_text"].as_str().expect("LookML dashboard text");
    let titles = [
        "Sales overview",
        "Items by status",
        "Revenue by month",
        "Top categories",
        "Buyers by state",
        "About these figures",
        "Items sold",
        "Status mix",
    ];
    for title in titles.into_iter().chain(["Returned"]) {
        assert!(text.contains(title), "{title} not in the LookML dashboard's text: {text}");
    }
    // The pie does not listen to the status filter: it alone shows every status, with shares.
    assert_eq!(text.matches("Complete").count(), 1, "the status filter keeps only returned orders elsewhere: {text}");
    assert!(text.contains('%'), "the pie's legend gives shares: {text}");
    assert_eq!(report["lookml_unknown_filter"], serde_json::json!([["dashboard_filters", "invalid"]]));
    assert_eq!(report["after_element_delete"], 11);
    assert!(report["deleted"].as_str().is_some_and(|m| m.contains("does not exist")), "{}", report["deleted"]);

    let png = std::fs::read(&png_path).expect("png written");
    let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("PNG frame");
    assert_eq!((info.width, info.height), (1200, 1000));
    // Ink in each third of the width and in the bottom row of tiles: every tile was drawn.
    let inked = |x0: u32, x1: u32, y0: u32, y1: u32| {
        (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let p = ((y * info.width + x) * 4) as usize;
                pixels[p] < 200 || pixels[p + 1] < 200 || pixels[p + 2] < 200
            })
            .count()
    };
    for third in 0..3 {
        assert!(inked(third * 400, third * 400 + 400, 60, 900) > 2_000, "third {third} of the dashboard is blank");
    }
    assert!(inked(0, 1200, 760, 990) > 2_000, "the bottom row of tiles is blank");
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// schemathesis (every check, a fixed seed) against the spec the demo serves: no server error, no
/// answer outside the spec's statuses, content types and schemas, for every implemented
/// operation and every parameter and body field it honours.
#[test]
fn schemathesis_finds_nothing_in_the_served_spec() {
    let Some(python) = python() else { return };
    let data_dir = std::env::temp_dir().join(format!("sightline-schemathesis-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let server = start_demo(&data_dir);
    let output = client(&python, "schemathesis/run.py", &server.base_url, CLIENT_ID, CLIENT_SECRET)
        .env("SIGHTLINE_SCHEMATHESIS_WORKDIR", &data_dir)
        .output()
        .expect("run schemathesis");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "schemathesis found problems:\n{text}");
    assert!(text.contains(" passed"), "no test cases ran:\n{text}");
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[test]
fn official_typescript_sdk_runs_query_and_render_tasks() {
    let Some(node_modules) = node_sdk() else { return };
    let data_dir = std::env::temp_dir().join(format!("sightline-ts-sdk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let server = start_demo(&data_dir);
    let png_path = data_dir.join("render.png");
    let output = client("node", "sdk_flows_ts.cjs", &server.base_url, CLIENT_ID, CLIENT_SECRET)
        .arg(&png_path)
        .env("NODE_PATH", &node_modules)
        .output()
        .expect("run node");
    assert!(output.status.success(), "TypeScript SDK script failed: {}", String::from_utf8_lossy(&output.stdout));
    // The SDK prints notices of its own on stdout; the report is the last line.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Json = serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("TypeScript SDK report is JSON");
    drop(server); // DuckDB allows one writer process: stop the server before reading its file.
    assert_eq!(report["me"], "Admin User");
    assert_eq!(report["task_statuses"].as_array().and_then(|s| s.last()), Some(&Json::from("complete")), "{}", report["task_statuses"]);
    let db = data_dir.join("demo/thelook-v2-scale1.duckdb");
    let want = hand_sql(
        &db,
        "SELECT o.status, COUNT(*) FROM order_items oi JOIN orders o ON o.order_id = oi.order_id
         WHERE o.status IS NULL OR o.status <> 'Cancelled' GROUP BY 1 ORDER BY 1",
        2,
    );
    let rows = report["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), want.row_count());
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["orders.status"].as_str(), want.value(0, i).to_text().as_deref());
        assert_eq!(row["order_items.count"].as_f64(), Some(number(&want, 1, i)));
    }
    assert_eq!(report["render_statuses"].as_array().and_then(|s| s.last()), Some(&Json::from("success")));
    let png = std::fs::read(&png_path).expect("the PNG the SDK wrote");
    let reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().expect("a PNG");
    assert_eq!((reader.info().width, reader.info().height), (400, 300));
    assert_eq!(report["explore"]["join_orders"], serde_json::json!(["left_outer", "many_to_one"]));
    assert_eq!(report["models"], serde_json::json!([["name"]]));
    assert_eq!(report["connections"], serde_json::json!([["thelook", "duckdb"]]));
    assert_eq!(report["multi"], serde_json::json!(["complete"]));
    assert_eq!(report["slug"], true);
    assert_eq!(report["refused"], serde_json::json!([["look_id", "not_supported"]]));
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// Every result format through the official Python SDK, raw and formatted, by `run_query` and by
/// query task, each read back with a real reader and checked against the raw rows and value
/// formats computed independently in the script.
#[test]
fn official_python_sdk_fetches_every_result_format() {
    let Some(python) = python() else { return };
    let data_dir = std::env::temp_dir().join(format!("sightline-sdk-formats-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let server = start_demo(&data_dir);
    let output = client(&python, "sdk_formats.py", &server.base_url, CLIENT_ID, CLIENT_SECRET).output().expect("run the SDK script");
    assert!(output.status.success(), "SDK script failed: {}", String::from_utf8_lossy(&output.stdout));
    let report: Json = serde_json::from_slice(&output.stdout).expect("SDK report is JSON");
    assert_eq!(report["problems"], serde_json::json!([]), "{report}");
    assert_eq!(report["checked"].as_array().map(Vec::len), Some(22), "{report}");
    assert_eq!(
        report["xlsx_formats"],
        serde_json::json!(["General", "General", "$#,##0.00", "[>=1000000]$0.00,,\"M\";[>=1000]$0.00,\"K\";$0.00"])
    );
    assert_eq!(report["drill_link"]["type"], "measure_default", "{report}");
    assert!(report["row_total_left"].as_array().is_some_and(|row| row.len() > 2), "{report}");
    assert!(report["subtotals"].as_array().is_some_and(|levels| levels.len() >= 2), "{report}");
    assert!(report["pivoted_calc_rows"].as_u64().is_some_and(|n| n >= 2), "{report}");
    assert_eq!(report["apply_vis_header"], serde_json::json!(["Average Spend Per Order", "Status", "Revenue"]));
    assert!(report["table_calcs"]["share"].as_f64().is_some_and(|share| share > 0.0 && share < 1.0), "{report}");
    assert!(report["shortcuts"].as_u64().is_some_and(|rows| rows > 2), "{report}");
    let cell = &report["json_detail_cell"];
    assert!(cell["rendered"].as_str().is_some_and(|r| r.starts_with('$')), "{cell}");
    drop(server);
    let _ = std::fs::remove_dir_all(&data_dir);
}
