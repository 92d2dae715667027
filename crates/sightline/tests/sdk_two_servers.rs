//! Two `sightline serve` processes on one PostgreSQL metadata database (`SIGHTLINE_DATABASE_URL`),
//! through the official Python SDK (`sdk_two_servers.py`): 500 query tasks created on both, each
//! read back from the other server, and every task's statement run exactly once — counted by the
//! warehouse itself, whose view notes each run in a table — with both servers taking a share;
//! then a persistent derived table, built into the scratch schema by one server and read by
//! the other without building it again (the registry is in the shared metadata database).

mod common;

use std::ffi::OsStr;
use std::path::Path;

use common::{client, python};

use connect::{Connection, PostgresConnection, ServerTarget};
use result::{ColumnInfo, ValueType};

const CLIENT_ID: &str = "two-servers-client";
const CLIENT_SECRET: &str = "two-servers-secret-0123456789";
const TASKS: usize = 500;

/// The warehouse: `counted_view` inserts a row in `sdk_runs` each time a statement reads it.
const SEED: &str = "CREATE TABLE sdk_runs (id SERIAL PRIMARY KEY, at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE FUNCTION sdk_note() RETURNS INTEGER VOLATILE LANGUAGE sql AS $$ INSERT INTO sdk_runs DEFAULT VALUES RETURNING 1 $$;
CREATE VIEW counted_view AS SELECT sdk_note() AS n;";

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string())
}

fn count(db: &dyn Connection, sql: &str) -> f64 {
    db.query(sql, vec![ColumnInfo::plain("n", ValueType::Number)]).expect(sql).value(0, 0).as_f64().unwrap_or(-1.0)
}

#[test]
fn two_servers_on_one_postgresql_run_every_task_exactly_once() {
    let Some(python) = python() else { return };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let Some(metadata) = runtime.block_on(store::testing::scratch_postgres_url()) else { return };
    let Some(warehouse_url) = runtime.block_on(store::testing::scratch_postgres_url()) else { return };
    let database = warehouse_url.rsplit('/').next().expect("database name").to_string();
    let (host, port, user) = (
        env_or("SIGHTLINE_TEST_PG_HOST", "127.0.0.1"),
        env_or("SIGHTLINE_TEST_PG_PORT", "5432"),
        env_or("SIGHTLINE_TEST_PG_USER", "postgres"),
    );
    let open = |database: &str| {
        PostgresConnection::connect(&ServerTarget {
            host: host.clone(),
            port: port.parse().expect("port"),
            database: database.into(),
            schema: None,
            user: user.clone(),
            password: std::env::var("SIGHTLINE_TEST_PG_PASSWORD").ok(),
            pool_size: 1,
            tls: connect::Tls::Prefer,
            tls_ca_file: None,
            query_timeout: None,
        })
        .expect(database)
    };
    let warehouse = open(&database);
    warehouse.execute_batch(SEED).expect("seed");

    let dir = std::env::temp_dir().join(format!("sightline-two-servers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = format!(
        "[connections.warehouse]\ndialect = \"postgres\"\nhost = \"{host}\"\nport = {port}\ndatabase = \"{database}\"\nschema = \"public\"\nuser = \"{user}\"\npool_size = 4\ntmp_db_name = \"sightline_scratch\"\n"
    );
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/warehouse_project");
    let serve = |name: &str| {
        let data = dir.join(name);
        std::fs::create_dir_all(&data).expect("mkdir");
        let config_path = data.join("sightline.toml");
        std::fs::write(&config_path, &config).expect("config");
        let args = [
            OsStr::new("serve"),
            OsStr::new("--listen"),
            OsStr::new("127.0.0.1:0"),
            OsStr::new("--project"),
            project.as_os_str(),
            OsStr::new("--config"),
            config_path.as_os_str(),
            OsStr::new("--data-dir"),
            data.as_os_str(),
        ];
        common::start_on(Some(&metadata), &args, CLIENT_ID, CLIENT_SECRET)
    };
    let (first, second) = (serve("first"), serve("second"));

    let output = client(&python, "sdk_two_servers.py", &first.base_url, CLIENT_ID, CLIENT_SECRET)
        .args([second.base_url.as_str(), &TASKS.to_string()])
        .output()
        .expect("run the SDK script");
    assert!(output.status.success(), "SDK script failed: {}", String::from_utf8_lossy(&output.stdout));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(report["statuses"], serde_json::json!({"complete": TASKS}), "{report}");
    assert_eq!(report["results_read_elsewhere"], TASKS, "every result read from the server that did not take its request: {report}");
    // The tasks' runs, and the one noted between the two reads of the PDT.
    assert_eq!(count(&warehouse, "SELECT COUNT(*) FROM sdk_runs"), TASKS as f64 + 1.0, "each task's statement ran exactly once");
    assert_eq!(report["pdt"], serde_json::json!([TASKS, TASKS]), "the second server read the table the first built: {report}");
    assert_eq!(
        count(&warehouse, "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'sightline_scratch' AND tablename LIKE 'sl\\_%\\_runs_built'"),
        1.0,
        "the PDT was built once, by one server"
    );

    // Both servers took a share of the work (each claims under a name of its own).
    let meta_db = metadata.rsplit('/').next().expect("database name");
    let meta = open(meta_db);
    assert_eq!(count(&meta, "SELECT COUNT(DISTINCT lease_owner) FROM query_tasks"), 2.0, "both servers ran tasks");
    assert_eq!(count(&meta, "SELECT COUNT(*) FROM query_tasks WHERE attempts <> 1"), 0.0, "no task claimed twice");
    drop((first, second));
    let _ = std::fs::remove_dir_all(&dir);
}
