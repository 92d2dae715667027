//! Dashboards through the API, in process, over a small DuckDB table: a dashboard made in a
//! folder with a layout, chart elements of a query, of an inline query and of a Look, and a text
//! element, each placed below the others and then moved; rendered tiled and in one column to
//! PNG, JPG and PDF, a failing tile drawn with its error; one element rendered alone; searched,
//! trashed and deleted with everything it holds. Wrong bodies are answered naming the field.

mod common;

use axum::http::StatusCode;
use common::{json, Fixture};
use serde_json::{json, Value};

const MODEL: &str = "connection: \"thelook\"\ninclude: \"*.view\"\nexplore: orders {}\nexplore: missing {}\n";
const VIEW: &str = r#"view: orders {
  sql_table_name: orders ;;
  dimension: status {}
  measure: count { type: count }
}
"#;
/// An explore over a table that does not exist: its tiles fail.
const MISSING: &str = r#"view: missing {
  sql_table_name: no_such_table ;;
  dimension: name {}
  measure: count { type: count }
}
"#;

async fn fixture() -> Fixture {
    common::fixture_over(common::NINE_ORDERS, &[("thelook.model.lkml", MODEL), ("orders.view.lkml", VIEW), ("missing.view.lkml", MISSING)])
        .await
}

async fn call_json(f: &Fixture, method: &str, uri: &str, body: Value) -> (StatusCode, Value) {
    let text = if body.is_null() { String::new() } else { body.to_string() };
    let (status, _, bytes) = f.call(method, uri, &text).await;
    let value = if bytes.is_empty() { Value::Null } else { json(&bytes) };
    (status, value)
}

async fn ok(f: &Fixture, method: &str, uri: &str, body: Value) -> Value {
    let (status, answer) = call_json(f, method, uri, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{method} {uri} {body}: {answer}");
    answer
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

/// Renders `uri` (a render task's creation) and returns its bytes and Content-Type.
async fn rendered(f: &Fixture, uri: &str, body: Value) -> (Vec<u8>, String) {
    let task = ok(f, "POST", uri, body).await;
    let done = f.wait(&format!("/api/4.0/render_tasks/{}", id(&task)), &["success", "failure"]).await;
    assert_eq!(done["status"], "success", "{done}");
    assert!(done["query_runtime"].is_number() && done["render_runtime"].is_number(), "{done}");
    let (status, headers, bytes) = f.call("GET", &format!("/api/4.0/render_tasks/{}/results", id(&task)), "").await;
    assert_eq!(status, StatusCode::OK);
    (bytes, headers["content-type"].clone())
}

fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    (u32::from_be_bytes([png[16], png[17], png[18], png[19]]), u32::from_be_bytes([png[20], png[21], png[22], png[23]]))
}

#[tokio::test]
async fn a_dashboard_is_built_placed_rendered_and_deleted() {
    let f = fixture().await;
    let dashboard = ok(&f, "POST", "/api/4.0/dashboards", json!({"title": "Operations", "description": "daily", "folder_id": "1"})).await;
    let dashboard_id = id(&dashboard);
    assert_eq!(dashboard["folder"]["is_shared_root"], true);
    assert_eq!(dashboard["dashboard_elements"], json!([]));
    assert_eq!(dashboard["dashboard_filters"], json!([]));
    let layout = &dashboard["dashboard_layouts"][0];
    assert_eq!((layout["type"].as_str(), layout["active"].as_bool()), (Some("newspaper"), Some(true)), "{dashboard}");
    let layout_id = id(layout);

    let by_query = ok(
        &f,
        "POST",
        "/api/4.0/dashboard_elements",
        json!({"dashboard_id": dashboard_id, "type": "vis", "title": "By status", "query_id": f.query.to_string()}),
    )
    .await;
    assert_eq!(by_query["query"]["model"], "thelook");
    let inline =
        json!({"model": "thelook", "view": "orders", "fields": ["orders.status", "orders.count"], "vis_config": {"type": "looker_bar"}});
    let by_inline =
        ok(&f, "POST", "/api/4.0/dashboard_elements", json!({"dashboard_id": dashboard_id, "type": "vis", "query": inline})).await;
    let look = ok(&f, "POST", "/api/4.0/looks", json!({"title": "Status look", "folder_id": "1", "query_id": f.query.to_string()})).await;
    let by_look =
        ok(&f, "POST", "/api/4.0/dashboard_elements", json!({"dashboard_id": dashboard_id, "type": "vis", "look_id": id(&look)})).await;
    assert_eq!(by_look["look"]["title"], "Status look");
    let text = ok(
        &f,
        "POST",
        "/api/4.0/dashboard_elements",
        json!({"dashboard_id": dashboard_id, "type": "text", "title_text": "Notes", "body_text": "**Counts** are of orders."}),
    )
    .await;
    let failing = json!({"model": "thelook", "view": "missing", "fields": ["missing.name", "missing.count"]});
    let broken = ok(
        &f,
        "POST",
        "/api/4.0/dashboard_elements",
        json!({"dashboard_id": dashboard_id, "type": "vis", "title": "Broken", "query": failing}),
    )
    .await;

    // Each element got a component below the ones before.
    let components = ok(&f, "GET", &format!("/api/4.0/dashboard_layouts/{layout_id}/dashboard_layout_components"), Value::Null).await;
    let rows: Vec<(i64, i64, i64)> = components
        .as_array()
        .expect("components")
        .iter()
        .map(|c| (c["row"].as_i64().unwrap_or(-1), c["width"].as_i64().unwrap_or(-1), c["height"].as_i64().unwrap_or(-1)))
        .collect();
    assert_eq!(rows, [(0, 8, 6), (6, 8, 6), (12, 8, 6), (18, 24, 2), (20, 8, 6)]);
    assert_eq!(components[0]["element_title"], "By status");
    assert_eq!(components[1]["vis_type"], "looker_bar");
    // Side by side: the second and third move up next to the first.
    for (component, column) in [(&components[1], 8), (&components[2], 16)] {
        let moved =
            ok(&f, "PATCH", &format!("/api/4.0/dashboard_layout_components/{}", id(component)), json!({"row": 0, "column": column})).await;
        assert_eq!((moved["row"].as_i64(), moved["column"].as_i64(), moved["width"].as_i64()), (Some(0), Some(column), Some(8)));
    }
    for (body, field) in [
        (json!({"column": 20, "width": 8}), "width"),
        (json!({"column": 24}), "column"),
        (json!({"height": 0}), "height"),
        (json!({"row": "x"}), "row"),
    ] {
        let (status, answer) =
            call_json(&f, "PATCH", &format!("/api/4.0/dashboard_layout_components/{}", id(&components[0])), body.clone()).await;
        assert_eq!((status, answer["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{body}: {answer}");
    }

    let read = ok(&f, "GET", &format!("/api/4.0/dashboards/{dashboard_id}"), Value::Null).await;
    assert_eq!(read["dashboard_elements"].as_array().map(Vec::len), Some(5));
    assert_eq!(read["dashboard_layouts"][0]["dashboard_layout_components"].as_array().map(Vec::len), Some(5));
    let listed = ok(&f, "GET", &format!("/api/4.0/dashboards/{dashboard_id}/dashboard_elements"), Value::Null).await;
    assert_eq!(listed[3]["type"], "text");

    // Rendered: the exact size, every format; the failing tile does not fail the dashboard.
    let uri = |format: &str| format!("/api/4.0/render_tasks/dashboards/{dashboard_id}/{format}?width=1200&height=900");
    let (png, content_type) = rendered(&f, &uri("png"), json!({"dashboard_style": "tiled"})).await;
    assert_eq!((png_size(&png), content_type.as_str()), ((1200, 900), "image/png"));
    let (jpg, content_type) = rendered(&f, &uri("jpg"), json!({"dashboard_style": "single_column", "dashboard_filters": ""})).await;
    assert_eq!((&jpg[..3], content_type.as_str()), (&b"\xff\xd8\xff"[..], "image/jpeg"));
    let (pdf, content_type) = rendered(&f, &uri("pdf"), json!({})).await;
    assert_eq!((&pdf[..4], content_type.as_str()), (&b"%PDF"[..], "application/pdf"));
    let svg = render::dashboard_svg("x", &[], render::DashboardStyle::Tiled, 100, 100);
    assert!(svg.starts_with("<svg"));

    // One element alone: a chart, or a text.
    let (png, _) =
        rendered(&f, &format!("/api/4.0/render_tasks/dashboard_elements/{}/png?width=400&height=300", id(&by_look)), Value::Null).await;
    assert_eq!(png_size(&png), (400, 300));
    let (png, _) =
        rendered(&f, &format!("/api/4.0/render_tasks/dashboard_elements/{}/png?width=400&height=100", id(&text)), Value::Null).await;
    assert_eq!(png_size(&png), (400, 100));
    // A failing element alone fails its task with the database's message.
    let task =
        ok(&f, "POST", &format!("/api/4.0/render_tasks/dashboard_elements/{}/png?width=400&height=300", id(&broken)), Value::Null).await;
    let done = f.wait(&format!("/api/4.0/render_tasks/{}", id(&task)), &["success", "failure"]).await;
    assert_eq!(done["status"], "failure", "{done}");
    assert!(done["status_detail"].as_str().is_some_and(|d| d.contains("no_such_table")), "{done}");

    for (body, field) in [
        (json!({"dashboard_filters": "orders.status=complete"}), "dashboard_filters"),
        (json!({"dashboard_style": "mosaic"}), "dashboard_style"),
        (json!({"tab_ids": ["1"]}), "tab_ids"),
    ] {
        let (status, answer) = call_json(&f, "POST", &uri("png"), body.clone()).await;
        assert_eq!((status, answer["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{body}: {answer}");
    }
    for refused in ["pdf_paper_size=b5", "pdf_landscape=true", "theme=dark"] {
        let (status, _) = call_json(&f, "POST", &format!("{}&{refused}", uri("pdf")), json!({})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    }
    let (status, _) = call_json(&f, "POST", &format!("{}&long_tables=maybe", uri("pdf")), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "long_tables is a boolean");
    let (status, _) = call_json(&f, "POST", &format!("{}&pdf_paper_size=a4", uri("png")), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a paper size for a PNG");
    // On A4 pages, turned: the dashboard's rows (28 of 50 px at 1200 px wide) run over two pages.
    let (pdf, _) = rendered(&f, &format!("{}&pdf_paper_size=a4&pdf_landscape=true", uri("pdf")), json!({})).await;
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("/Count 2") && text.contains("/MediaBox [0 0 842 595]"), "two A4 landscape pages");
    let (status, _) = call_json(&f, "POST", "/api/4.0/render_tasks/dashboards/987654/png?width=10&height=10", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Search, trash, delete: the elements, layouts and components go with the dashboard.
    let found = ok(&f, "GET", "/api/4.0/dashboards/search?title=oper%25", Value::Null).await;
    assert_eq!(found.as_array().map(|a| a.iter().map(id).collect::<Vec<_>>()), Some(vec![dashboard_id.clone()]));
    let (status, _) = call_json(&f, "GET", "/api/4.0/dashboards/search?sorts=query_id", Value::Null).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "dashboards have no query");
    let trashed = ok(&f, "PATCH", &format!("/api/4.0/dashboards/{dashboard_id}"), json!({"deleted": true})).await;
    assert_eq!(trashed["deleted"], true);
    assert_eq!(ok(&f, "GET", "/api/4.0/dashboards", Value::Null).await, json!([]));
    let (status, _) = call_json(&f, "DELETE", &format!("/api/4.0/dashboards/{dashboard_id}"), Value::Null).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for uri in [
        format!("/api/4.0/dashboards/{dashboard_id}"),
        format!("/api/4.0/dashboard_elements/{}", id(&by_query)),
        format!("/api/4.0/dashboard_layouts/{layout_id}"),
        format!("/api/4.0/dashboard_layout_components/{}", id(&components[0])),
    ] {
        let (status, answer) = call_json(&f, "GET", &uri, Value::Null).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}: {answer}");
    }
    assert_eq!(ok(&f, "GET", &format!("/api/4.0/looks/{}", id(&look)), Value::Null).await["title"], "Status look", "the Look stays");
    let _ = by_inline;
}

#[tokio::test]
async fn dashboard_filters_are_made_checked_and_applied() {
    let f = fixture().await;
    let d = id(&ok(&f, "POST", "/api/4.0/dashboards", json!({"title": "D", "folder_id": "1"})).await);
    ok(&f, "POST", "/api/4.0/dashboard_elements", json!({"dashboard_id": d, "type": "vis", "query_id": f.query.to_string()})).await;
    let filter = json!({"dashboard_id": d, "name": "Status", "title": "Order status", "type": "field_filter", "model": "thelook",
        "explore": "orders", "dimension": "orders.status", "default_value": "complete"});
    let made = ok(&f, "POST", "/api/4.0/dashboard_filters", filter.clone()).await;
    assert_eq!(
        (made["name"].as_str(), made["dimension"].as_str(), made["allow_multiple_values"].as_bool()),
        (Some("Status"), Some("orders.status"), Some(true))
    );
    let (status, _) = call_json(&f, "POST", "/api/4.0/dashboard_filters", filter.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "one name per dashboard");
    let mut cases = Vec::new();
    for (key, value, field) in [
        ("dimension", json!("orders.nope"), "dimension"),
        ("explore", Value::Null, "explore"),
        ("type", json!("slider_filter"), "type"),
        ("title", json!(" "), "title"),
        ("listens_to_filters", json!(["Other"]), "listens_to_filters"),
        ("ui_config", json!({"type": "dropdown_menu"}), "ui_config"),
    ] {
        let mut body = filter.clone();
        body["name"] = json!("Other");
        body[key] = value;
        cases.push((body, field));
    }
    for (body, field) in cases {
        let (status, answer) = call_json(&f, "POST", "/api/4.0/dashboard_filters", body.clone()).await;
        assert_eq!((status, answer["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{body}: {answer}");
    }
    let read = ok(&f, "GET", &format!("/api/4.0/dashboards/{d}"), Value::Null).await;
    assert_eq!(read["dashboard_filters"][0]["title"], "Order status");
    assert_eq!(ok(&f, "GET", &format!("/api/4.0/dashboards/{d}/dashboard_filters"), Value::Null).await.as_array().map(Vec::len), Some(1));

    // Rendered with the default, with a value by name or title; an unknown name is refused.
    let uri = format!("/api/4.0/render_tasks/dashboards/{d}/png?width=600&height=400");
    for filters in ["", "Status=pending", "Order+status=pending"] {
        rendered(&f, &uri, json!({"dashboard_filters": filters})).await;
    }
    let (status, answer) = call_json(&f, "POST", &uri, json!({"dashboard_filters": "Region=West"})).await;
    assert_eq!((status, answer["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("dashboard_filters")), "{answer}");
    assert!(answer["errors"][0]["message"].as_str().is_some_and(|m| m.contains("Region") && m.contains("Status")), "{answer}");
    // A required filter without a value cannot draw.
    let changed =
        ok(&f, "PATCH", &format!("/api/4.0/dashboard_filters/{}", id(&made)), json!({"required": true, "default_value": null})).await;
    assert_eq!((changed["required"].as_bool(), changed["default_value"].as_str()), (Some(true), None));
    let (status, answer) = call_json(&f, "POST", &uri, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    rendered(&f, &uri, json!({"dashboard_filters": "Status=complete"})).await;
    let (status, _) = call_json(&f, "DELETE", &format!("/api/4.0/dashboard_filters/{}", id(&made)), Value::Null).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call_json(&f, "GET", &format!("/api/4.0/dashboard_filters/{}", id(&made)), Value::Null).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn wrong_bodies_are_refused_by_name() {
    let f = fixture().await;
    let d = id(&ok(&f, "POST", "/api/4.0/dashboards", json!({"title": "D", "folder_id": "1"})).await);
    let q = f.query.to_string();
    let cases = [
        ("/api/4.0/dashboards", json!({"folder_id": "1"}), "title"),
        ("/api/4.0/dashboards", json!({"title": "x"}), "folder_id"),
        ("/api/4.0/dashboards", json!({"title": "x", "folder_id": "1", "refresh_interval": "1 hour"}), "refresh_interval"),
        ("/api/4.0/dashboards", json!({"title": "x", "folder_id": "1", "deleted": true}), "deleted"),
        ("/api/4.0/dashboard_elements", json!({"type": "vis", "query_id": q}), "dashboard_id"),
        ("/api/4.0/dashboard_elements", json!({"dashboard_id": "999", "type": "vis", "query_id": q}), "dashboard_id"),
        ("/api/4.0/dashboard_elements", json!({"dashboard_id": d, "query_id": q}), "type"),
        ("/api/4.0/dashboard_elements", json!({"dashboard_id": d, "type": "button"}), "type"),
        ("/api/4.0/dashboard_elements", json!({"dashboard_id": d, "type": "vis"}), "query_id"),
        ("/api/4.0/dashboard_elements", json!({"dashboard_id": d, "type": "vis", "query_id": q, "look_id": "999"}), "look_id"),
        ("/api/4.0/dashboard_elements", json!({"dashboard_id": d, "type": "text"}), "body_text"),
        ("/api/4.0/dashboard_elements", json!({"dashboard_id": d, "type": "text", "body_text": "x", "query_id": q}), "type"),
        ("/api/4.0/dashboard_elements", json!({"dashboard_id": d, "type": "vis", "query_id": q, "note_text": "n"}), "note_text"),
        (
            "/api/4.0/dashboard_elements",
            json!({"dashboard_id": d, "type": "vis", "query_id": q, "result_maker": {"sorts": ["x"]}}),
            "result_maker.sorts",
        ),
        (
            "/api/4.0/dashboard_elements",
            json!({"dashboard_id": d, "type": "vis", "query_id": q, "result_maker": {"filterables": [{"listen": []}]}}),
            "result_maker",
        ),
        (
            "/api/4.0/dashboard_elements",
            json!({"dashboard_id": d, "type": "text", "body_text": "x", "result_maker": {"filterables": [{"model": "thelook", "view": "orders"}]}}),
            "result_maker",
        ),
    ];
    for (uri, body, field) in cases {
        let (status, answer) = call_json(&f, "POST", uri, body.clone()).await;
        assert_eq!((status, answer["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{body}: {answer}");
    }
    let (status, _) = call_json(
        &f,
        "POST",
        "/api/4.0/dashboard_elements?apply_filters=true",
        json!({"dashboard_id": d, "type": "text", "body_text": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // An update keeps what it does not name, and may swap the chart's source.
    let e = ok(&f, "POST", "/api/4.0/dashboard_elements", json!({"dashboard_id": d, "type": "vis", "title": "T", "query_id": q})).await;
    let look = ok(&f, "POST", "/api/4.0/looks", json!({"title": "L", "folder_id": "1", "query_id": q})).await;
    let swapped = ok(&f, "PATCH", &format!("/api/4.0/dashboard_elements/{}", id(&e)), json!({"look_id": id(&look)})).await;
    assert_eq!(
        (swapped["title"].as_str(), swapped["query_id"].as_str(), swapped["look_id"].as_str()),
        (Some("T"), None, Some(id(&look).as_str()))
    );
    let (status, answer) = call_json(&f, "PATCH", &format!("/api/4.0/dashboard_elements/{}", id(&e)), json!({"type": "text"})).await;
    assert_eq!((status, answer["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("type")), "{answer}");
    let (status, _) = call_json(&f, "DELETE", &format!("/api/4.0/dashboard_elements/{}", id(&e)), Value::Null).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}
