//! The official Python SDK against `sightline serve` on real PostgreSQL and MariaDB
//! connections (from the TOML config): a query task with a join that fans out, a tier, a
//! measure filter and a date filter, its rows compared with hand-written SQL on the same server;
//! an explore's access filter, refused without the user's attribute value, then keeping its rows.
//! Then a persistent derived table (`sdk_pdt.py`): built once into the scratch schema, read after,
//! rebuilt under `rebuild_pdts`.
//! Then a kill (`sdk_kill.py`): a task on a 30-second statement, listed by `all_running_queries`,
//! killed with `kill_query`, and the statement gone from the database's own session list within
//! a second; 100 tasks at once on a connection with `max_queries = 2` (`sdk_load.py`), never
//! more than two statements in the session list; a `kill -9` in the middle of 40 tasks and a
//! restart (`sdk_crash.py`), nothing lost. Then connections through the API
//! (`sdk_connections.py`): created, changed, kept across a restart and deleted, with the
//! queries of the model that names it following at once.

mod common;

use std::ffi::OsStr;
use std::path::Path;

use common::{client, python, Server};

use connect::{Connection, MySqlConnection, PostgresConnection, ServerTarget};
use result::{ColumnInfo, ValueType};
use serde_json::Value as Json;

const CLIENT_ID: &str = "warehouse-client";
const CLIENT_SECRET: &str = "warehouse-secret-0123456789";

const SEED: &[&str] = &[
    "CREATE TABLE sdk_customers (id INTEGER, region VARCHAR(20), age INTEGER)",
    "INSERT INTO sdk_customers VALUES (1, 'North', 30), (2, 'North', 50), (3, 'South', 40), (4, NULL, 20)",
    "CREATE TABLE sdk_orders (id INTEGER, customer_id INTEGER, status VARCHAR(20), amount DECIMAL(10,2), created_at TIMESTAMP)",
    "INSERT INTO sdk_orders VALUES
       (1, 1, 'complete', 12.50, '2024-01-05 10:00:00'), (2, 1, 'pending', 70.00, '2024-03-01 00:00:00'),
       (3, 2, 'complete', 5.00, '2024-06-30 23:59:59'), (4, 3, 'complete', 99.99, '2024-12-31 12:00:00'),
       (5, 3, 'complete', 45.25, '2023-12-31 23:59:59'), (6, 4, 'cancelled', 20.00, '2024-02-02 02:02:02'),
       (7, 2, 'complete', 30.00, '2024-07-07 07:07:07')",
];

const EXPECTED: &str = "SELECT c.region, COUNT(*), SUM(o.amount), SUM(CASE WHEN o.status = 'complete' THEN o.amount ELSE 0 END),
    (SELECT AVG(c2.age) FROM sdk_customers c2 WHERE c2.id IN (SELECT o2.customer_id FROM sdk_orders o2
       WHERE o2.created_at >= '2024-01-01' AND o2.created_at < '2025-01-01' AND o2.amount >= 10)
       AND (c2.region = c.region OR (c2.region IS NULL AND c.region IS NULL)))
  FROM sdk_orders o LEFT JOIN sdk_customers c ON o.customer_id = c.id
  WHERE o.created_at >= '2024-01-01' AND o.created_at < '2025-01-01' AND o.amount >= 10
  GROUP BY c.region";

/// A server the test needs: absent outside CI, the test says so loudly and passes; in CI it fails.
fn server<T>(what: &str, connect: impl FnOnce() -> Result<T, connect::ConnectError>) -> Option<T> {
    match connect() {
        Ok(c) => Some(c),
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("\n!!! SKIPPED: no {what} ({e}); CI runs this test against a real server !!!\n");
            None
        }
        Err(e) => panic!("{what} is required in CI: {e}"),
    }
}

fn serve(config: &str, dir: &Path) -> (Server, String) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let config_path = dir.join("sightline.toml");
    std::fs::write(&config_path, config).expect("config");
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/warehouse_project");
    let args = [
        OsStr::new("serve"),
        OsStr::new("--listen"),
        OsStr::new("127.0.0.1:0"),
        OsStr::new("--project"),
        project.as_os_str(),
        OsStr::new("--config"),
        config_path.as_os_str(),
        OsStr::new("--data-dir"),
        dir.as_os_str(),
        // A server killed mid-task has its tasks taken over a second later.
        OsStr::new("--task-lease"),
        OsStr::new("1"),
    ];
    let server = common::start(&args, CLIENT_ID, CLIENT_SECRET);
    let base_url = server.base_url.clone();
    (server, base_url)
}

/// Runs `script` with its arguments against the server at `base_url`; its JSON report.
fn run_script(python: &Path, base_url: &str, script: &str, args: &[&str], env: &[(&str, String)]) -> Json {
    let output = client(python, script, base_url, CLIENT_ID, CLIENT_SECRET)
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("run the SDK script");
    assert!(output.status.success(), "{script}: SDK script failed: {}", String::from_utf8_lossy(&output.stdout));
    serde_json::from_slice(&output.stdout).expect("JSON report")
}

/// How a database differs for these tests.
struct Flavour<'a> {
    name: &'a str,
    /// The type of `created_at`.
    datetime: &'a str,
    /// Creates `slow_view`, whose every read takes 30 s.
    slow_view: &'a str,
    /// Counts the statements reading `slow_view` that the database is running now.
    active_slow: &'a str,
    /// Creates `nap_view`, whose every read takes 50 ms.
    nap_view: &'a str,
    /// Counts the statements reading `nap_view` that the database is running now.
    active_nap: &'a str,
    /// The scratch schema (`tmp_db_name`) persistent derived tables are built into.
    scratch: &'a str,
}

/// Runs the SDK script against a server on `config` and compares with `EXPECTED` on `db`; then
/// the kill, and the connection flow with `warehouse` (the `WAREHOUSE_*` variables of
/// `sdk_connections.py`).
fn check(python: &Path, db: &dyn Connection, config: &str, flavour: &Flavour, warehouse: &[(&str, String)]) {
    let (name, datetime) = (flavour.name, flavour.datetime);
    for statement in SEED {
        db.execute_batch(&statement.replace("created_at TIMESTAMP", &format!("created_at {datetime}"))).expect("seed");
    }
    db.execute_batch(flavour.slow_view).expect("slow view");
    db.execute_batch(flavour.nap_view).expect("nap view");
    let dir = std::env::temp_dir().join(format!("sightline-sdk-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (server, base_url) = serve(config, &dir);
    let report = run_script(python, &base_url, "sdk_warehouses.py", &[], &[]);
    assert_eq!(report["status"], "complete", "{name}: {report}");
    // The connection as the SDK reads it: no password, a real test query.
    assert_eq!(report["connection"]["name"], "warehouse", "{report}");
    assert_eq!(report["connection"]["host"], "127.0.0.1", "{report}");
    assert_eq!(report["connection"]["has_password"], false, "{report}");
    assert_eq!(report["test"][0], "success", "{report}");
    assert!(report["dialects"].as_array().is_some_and(|d| d.len() == 8), "{report}");
    let columns = (0..5).map(|i| ColumnInfo::plain(&format!("c{i}"), if i == 0 { ValueType::String } else { ValueType::Number })).collect();
    let expected = db.query(EXPECTED, columns).expect("hand-written SQL");
    let rows = report["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), expected.row_count(), "{name}: {report}");
    for row in rows {
        let region = row["customers.region"].as_str().map(str::to_string);
        let i = (0..expected.row_count())
            .find(|&i| expected.value(0, i).to_text() == region)
            .unwrap_or_else(|| panic!("{name}: no region {region:?}"));
        for (c, field) in ["orders.count", "orders.total_amount", "orders.complete_amount", "customers.average_age"].iter().enumerate() {
            let ours = row[*field].as_f64().unwrap_or(f64::NAN);
            let theirs = expected.value(c + 1, i).as_f64().unwrap_or(f64::NAN);
            assert!((ours - theirs).abs() <= 1e-4 * theirs.abs().max(1.0), "{name}: {field} for {region:?}: {ours} vs {theirs}");
        }
    }
    // The explore's sql_preamble ran before each statement, on a session no other one shares.
    let preamble = &report["preamble"];
    assert_eq!(preamble["runs"], serde_json::json!([[{"preamble_rate.factor": 2}], [{"preamble_rate.factor": 2}]]), "{name}: {preamble}");
    let sql = preamble["sql"].as_str().unwrap_or_default();
    assert!(sql.starts_with("CREATE TEMPORARY TABLE preamble_rate AS SELECT 2 AS factor;\nSELECT"), "{name}: {sql}");
    // The access filter: refused without the user's `region`, then North's orders only.
    let access = &report["access"];
    assert!(access["refused"].as_str().is_some_and(|m| m.contains("user attribute `region`")), "{name}: {access}");
    let north = db.query(
        "SELECT COUNT(*) FROM sdk_orders o JOIN sdk_customers c ON o.customer_id = c.id WHERE c.region = 'North'",
        vec![ColumnInfo::plain("n", ValueType::Number)],
    );
    let north = north.expect("hand-written SQL").value(0, 0).as_f64();
    assert_eq!(access["rows"][0]["customers.region"], "North", "{name}: {access}");
    assert_eq!(
        (access["rows"].as_array().map(Vec::len), access["rows"][0]["my_region_orders.count"].as_f64()),
        (Some(1), north),
        "{name}: {access}"
    );
    assert_eq!(access["values"], serde_json::json!([["region", "North", "user"]]), "{name}");
    assert_eq!(access["attributes"], serde_json::json!(["email", "first_name", "last_name", "name", "id", "region"]), "{name}");
    check_pdt(python, db, &base_url, flavour);
    check_kill(python, db, &base_url, flavour);
    check_load(python, db, &base_url, flavour);
    let (server, base_url) = check_crash(python, config, &dir, server, &base_url, flavour);
    check_connections(python, db, config, &dir, server, &base_url, warehouse);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A persistent derived table through the SDK: built once into the scratch schema, read (not
/// computed again) by the next query, built anew under `rebuild_pdts=true` with the old table
/// dropped.
fn check_pdt(python: &Path, db: &dyn Connection, base_url: &str, flavour: &Flavour) {
    let tables = || {
        let sql = format!(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = '{}' AND table_name LIKE 'sl%order_counts_built'",
            flavour.scratch
        );
        let found = db.query(&sql, vec![ColumnInfo::plain("t", ValueType::String)]).expect("scratch tables");
        (0..found.row_count()).filter_map(|i| found.value(0, i).to_text()).collect::<Vec<_>>()
    };
    let rows = |report: &Json| report["rows"].clone();
    let first = run_script(python, base_url, "sdk_pdt.py", &[], &[]);
    let expected = serde_json::json!([["cancelled", 1], ["complete", 5], ["pending", 1]]);
    assert_eq!(rows(&first), expected, "{}: {first}", flavour.name);
    let built = tables();
    assert_eq!(built.len(), 1, "{}: built once into the scratch schema: {built:?}", flavour.name);
    db.execute_batch("INSERT INTO sdk_orders VALUES (8, 2, 'pending', 1.00, '2024-05-05 00:00:00')").expect("insert");
    let again = run_script(python, base_url, "sdk_pdt.py", &[], &[]);
    assert_eq!(rows(&again), expected, "{}: read from the table, not computed again", flavour.name);
    assert_eq!(tables(), built);
    let rebuilt = run_script(python, base_url, "sdk_pdt.py", &["rebuild"], &[]);
    assert_eq!(rows(&rebuilt), serde_json::json!([["cancelled", 1], ["complete", 5], ["pending", 2]]), "{}: {rebuilt}", flavour.name);
    let now = tables();
    assert_eq!(now.len(), 1, "{}: the old table dropped: {now:?}", flavour.name);
    assert_ne!(now, built);
    db.execute_batch("DELETE FROM sdk_orders WHERE id = 8").expect("delete");
}

/// A task on a 30-second statement, killed through the SDK: the database stops running it
/// within a second, and the SDK sees the task `killed`.
fn check_kill(python: &Path, db: &dyn Connection, base_url: &str, flavour: &Flavour) {
    let active = || {
        let counted = db.query(flavour.active_slow, vec![ColumnInfo::plain("n", ValueType::Number)]).expect("session list");
        counted.value(0, 0).as_f64().unwrap_or(-1.0)
    };
    let started = run_script(python, base_url, "sdk_kill.py", &["start"], &[]);
    let task = started["task"].as_str().unwrap_or_else(|| panic!("{started}")).to_string();
    assert_eq!(
        (started["connection"].as_str(), started["dialect"].as_str()),
        (Some("warehouse"), Some(flavour.name_dialect())),
        "{started}"
    );
    assert!(started["sql"].as_str().is_some_and(|s| s.contains("slow_view")), "{started}");
    assert_eq!(active(), 1.0, "the statement runs in the database");
    let killed = run_script(python, base_url, "sdk_kill.py", &["kill", &task], &[]);
    let after_kill = std::time::Instant::now();
    while active() > 0.0 {
        assert!(after_kill.elapsed() < std::time::Duration::from_secs(1), "{}: the statement still runs after the kill", flavour.name);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(killed["status"], "killed", "{killed}");
    assert!(killed["killed_after"].as_f64().is_some_and(|s| s < 1.0), "{killed}");
    assert!(killed["results"]["error"].as_str().is_some_and(|e| e.contains("killed")), "{killed}");
    assert!(killed["again"]["error"].as_str().is_some_and(|e| e.contains("not running")), "{killed}");
    assert_eq!(killed["listed"], serde_json::json!([]), "{killed}");
}

/// 100 tasks at once on a connection with `max_queries = 2` and four workers: all complete, and
/// the database's own session list never shows more than two of their statements at once.
fn check_load(python: &Path, db: &dyn Connection, base_url: &str, flavour: &Flavour) {
    let done = std::sync::atomic::AtomicBool::new(false);
    let (report, peak) = std::thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut peak = 0.0f64;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let counted = db.query(flavour.active_nap, vec![ColumnInfo::plain("n", ValueType::Number)]).expect("session list");
                peak = peak.max(counted.value(0, 0).as_f64().unwrap_or(0.0));
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            peak
        });
        let report = run_script(python, base_url, "sdk_load.py", &["100"], &[]);
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        (report, sampler.join().expect("sampler"))
    });
    assert_eq!(report["statuses"], serde_json::json!({"complete": 100}), "{}: {report}", flavour.name);
    assert_eq!(peak, 2.0, "{}: at most max_queries statements at once, and the limit used", flavour.name);
}

/// `kill -9` of a server in the middle of 40 tasks, then a restart on the same data folder: no
/// queued task and no finished result is lost; the tasks it was running run again.
fn check_crash(python: &Path, config: &str, dir: &Path, server: Server, base_url: &str, flavour: &Flavour) -> (Server, String) {
    let created = run_script(python, base_url, "sdk_crash.py", &["create", "40"], &[]);
    let ids: Vec<String> = created["ids"].as_array().expect("ids").iter().filter_map(|i| i.as_str().map(str::to_string)).collect();
    assert_eq!(ids.len(), 40, "{created}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(server); // SIGKILL
    let (server, base_url) = serve(config, dir);
    let mut args = vec!["wait"];
    args.extend(ids.iter().map(String::as_str));
    let report = run_script(python, &base_url, "sdk_crash.py", &args, &[]);
    assert_eq!(report["statuses"], serde_json::json!({"complete": 40}), "{}: {report}", flavour.name);
    assert_eq!(report["results"], 40, "{}: every result readable: {report}", flavour.name);
    (server, base_url)
}

impl Flavour<'_> {
    fn name_dialect(&self) -> &str {
        if self.name == "postgres" {
            "postgres"
        } else {
            "mysql"
        }
    }
}

/// Connections through the API, around a restart of the server on the same data directory.
fn check_connections(
    python: &Path,
    db: &dyn Connection,
    config: &str,
    dir: &Path,
    server: Server,
    base_url: &str,
    warehouse: &[(&str, String)],
) {
    let columns = vec![ColumnInfo::plain("region", ValueType::String), ColumnInfo::plain("count", ValueType::Number)];
    let expected = db
        .query("SELECT c.region, COUNT(*) FROM sdk_orders o LEFT JOIN sdk_customers c ON o.customer_id = c.id GROUP BY c.region", columns)
        .expect("hand-written SQL");
    let same_rows = |rows: &Json| {
        let rows = rows["ok"].as_array().unwrap_or_else(|| panic!("no rows: {rows}"));
        assert_eq!(rows.len(), expected.row_count(), "{rows:?}");
        for row in rows {
            let region = row["customers.region"].as_str().map(str::to_string);
            let i = (0..expected.row_count()).find(|&i| expected.value(0, i).to_text() == region).expect("region");
            assert_eq!(row["orders.count"].as_f64(), expected.value(1, i).as_f64(), "{region:?}");
        }
    };
    let report = run_script(python, base_url, "sdk_connections.py", &["create"], warehouse);
    let before = report["before"]["error"].as_str().unwrap_or_else(|| panic!("{report}"));
    assert!(before.contains("connection `late_warehouse` does not exist"), "{before}");
    assert_eq!(report["created"]["name"], "late_warehouse", "{report}");
    assert_eq!(report["created"]["has_password"], false, "{report}");
    assert_eq!(report["created"]["can"]["destroy"], true, "{report}");
    same_rows(&report["after_create"]);
    assert_eq!(report["test"][0], "success", "{report}");
    assert!(report["duplicate"]["error"].as_str().is_some_and(|e| e.contains("already exists")), "{report}");
    // TLS asked for with `ssl: true`: used where the server offers it, a clear error where not.
    assert_eq!(report["tls"]["ssl"], true, "{report}");
    assert_eq!(report["pdts"], serde_json::json!({"pdts_enabled": true, "tmp_db_name": "sightline_scratch"}), "{report}");
    let tls_ok = report["tls"]["test"] == "success"
        || report["tls"]["message"].as_str().is_some_and(|m| ["tls", "ssl"].iter().any(|w| m.to_lowercase().contains(w)));
    assert!(tls_ok, "{report}");
    assert_eq!(report["certificate"]["fields"][0], "certificate", "{report}");
    assert_eq!(report["config_update"]["fields"][0], "connection_name", "{report}");
    assert_eq!(report["broken_test"][0], "error", "{report}");
    assert!(report["broken_rows"]["error"].is_string(), "{report}");
    same_rows(&report["fixed_rows"]);
    drop(server);
    let (_server, base_url) = serve(config, dir);
    let report = run_script(python, &base_url, "sdk_connections.py", &["after_restart"], warehouse);
    assert_eq!(report["listed"], serde_json::json!(["late_warehouse", "warehouse"]), "{report}");
    same_rows(&report["after_restart"]);
    assert_eq!(report["listed_after_delete"], serde_json::json!(["warehouse"]), "{report}");
    assert!(report["after_delete"]["error"].as_str().is_some_and(|e| e.contains("late_warehouse")), "{report}");
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string())
}

#[test]
fn official_sdk_runs_query_tasks_on_postgresql() {
    let Some(python) = python() else { return };
    let host = env_or("SIGHTLINE_TEST_PG_HOST", "127.0.0.1");
    let port: u16 = env_or("SIGHTLINE_TEST_PG_PORT", "5432").parse().expect("port");
    let user = env_or("SIGHTLINE_TEST_PG_USER", "postgres");
    let target = |database: &str| ServerTarget {
        host: host.clone(),
        port,
        database: database.into(),
        schema: None,
        user: user.clone(),
        password: std::env::var("SIGHTLINE_TEST_PG_PASSWORD").ok(),
        pool_size: 1,
        tls: connect::Tls::Prefer,
        tls_ca_file: None,
        query_timeout: None,
    };
    let Some(admin) = server("PostgreSQL", || PostgresConnection::connect(&target(&env_or("SIGHTLINE_TEST_PG_DATABASE", "postgres"))))
    else {
        return;
    };
    let database = format!("sightline_sdk_{}", std::process::id());
    admin.execute_batch(&format!("DROP DATABASE IF EXISTS {database}")).expect("drop");
    admin.execute_batch(&format!("CREATE DATABASE {database}")).expect("create");
    let result = std::panic::catch_unwind(|| {
        let db = PostgresConnection::connect(&target(&database)).expect("connect");
        let config = format!(
            "[connections.warehouse]\ndialect = \"postgres\"\nhost = \"{host}\"\nport = {port}\ndatabase = \"{database}\"\nschema = \"public\"\nuser = \"{user}\"\npool_size = 4\nmax_queries = 2\ntmp_db_name = \"sightline_scratch\"\n"
        );
        let warehouse = [
            ("WAREHOUSE_DIALECT", "postgres".to_string()),
            ("WAREHOUSE_HOST", host.clone()),
            ("WAREHOUSE_PORT", port.to_string()),
            ("WAREHOUSE_DATABASE", database.clone()),
            ("WAREHOUSE_USER", user.clone()),
        ];
        let flavour = Flavour {
            name: "postgres",
            datetime: "TIMESTAMP",
            slow_view: "CREATE VIEW slow_view AS SELECT 1 AS n FROM pg_sleep(30)",
            active_slow: "SELECT COUNT(*) FROM pg_stat_activity WHERE state = 'active' AND datname = current_database() \
                          AND query LIKE '%slow_view%' AND pid <> pg_backend_pid()",
            nap_view: "CREATE VIEW nap_view AS SELECT 1 AS n FROM pg_sleep(0.05)",
            // Statements in their sleep (not one finishing while the next starts).
            active_nap: "SELECT COUNT(*) FROM pg_stat_activity WHERE state = 'active' AND datname = current_database() \
                         AND wait_event = 'PgSleep' AND query LIKE '%nap_view%' AND pid <> pg_backend_pid()",
            scratch: "sightline_scratch",
        };
        check(&python, &db, &config, &flavour, &warehouse);
    });
    admin.execute_batch(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")).expect("drop");
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn official_sdk_runs_query_tasks_on_mariadb() {
    let Some(python) = python() else { return };
    let host = env_or("SIGHTLINE_TEST_MYSQL_HOST", "127.0.0.1");
    let port: u16 = env_or("SIGHTLINE_TEST_MYSQL_PORT", "3306").parse().expect("port");
    let user = env_or("SIGHTLINE_TEST_MYSQL_USER", "root");
    let target = |database: &str| ServerTarget {
        host: host.clone(),
        port,
        database: database.into(),
        schema: None,
        user: user.clone(),
        password: std::env::var("SIGHTLINE_TEST_MYSQL_PASSWORD").ok(),
        pool_size: 1,
        tls: connect::Tls::Prefer,
        tls_ca_file: None,
        query_timeout: None,
    };
    let Some(admin) = server("MariaDB/MySQL", || MySqlConnection::connect(&target(&env_or("SIGHTLINE_TEST_MYSQL_DATABASE", "test"))))
    else {
        return;
    };
    let database = format!("sightline_sdk_{}", std::process::id());
    admin.execute_batch(&format!("DROP DATABASE IF EXISTS {database}")).expect("drop");
    admin.execute_batch(&format!("CREATE DATABASE {database}")).expect("create");
    let result = std::panic::catch_unwind(|| {
        let db = MySqlConnection::connect(&target(&database)).expect("connect");
        let config = format!("[connections.warehouse]\ndialect = \"mysql\"\nhost = \"{host}\"\nport = {port}\ndatabase = \"{database}\"\nuser = \"{user}\"\npool_size = 4\nmax_queries = 2\ntmp_db_name = \"{database}\"\n");
        let warehouse = [
            ("WAREHOUSE_DIALECT", "mysql".to_string()),
            ("WAREHOUSE_HOST", host.clone()),
            ("WAREHOUSE_PORT", port.to_string()),
            ("WAREHOUSE_DATABASE", database.clone()),
            ("WAREHOUSE_USER", user.clone()),
        ];
        let flavour = Flavour {
            name: "mariadb",
            datetime: "DATETIME",
            slow_view: "CREATE VIEW slow_view AS SELECT SLEEP(30) AS n",
            active_slow: "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND = 'Query' \
                          AND INFO LIKE '%slow\\_view%' AND ID <> CONNECTION_ID()",
            nap_view: "CREATE VIEW nap_view AS SELECT SLEEP(0.05) AS n",
            // Statements in their sleep: a thread also shows `Query` for a moment after it has sent
            // its last row (cleaning up), when the client may already have started the next one.
            active_nap: "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND = 'Query' \
                         AND STATE = 'User sleep' AND INFO LIKE '%nap\\_view%' AND ID <> CONNECTION_ID()",
            scratch: &database,
        };
        check(&python, &db, &config, &flavour, &warehouse);
    });
    admin.execute_batch(&format!("DROP DATABASE IF EXISTS {database}")).expect("drop");
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}
