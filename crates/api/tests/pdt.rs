//! Persistent derived tables through the API, in process, over a DuckDB connection with a
//! scratch schema that counts the tables built in it: a PDT is built once and read by later
//! queries (whose rows then come from it, not from its SQL); a datagroup trigger change builds a
//! new one and drops the old; `rebuild_pdts=true` builds again; a PDT reading another reads the
//! built table; two queries needing one PDT at once build it once; without a scratch schema the
//! same derived table is computed inline.

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use connect::{Cancel, ConnectError, Connection};

mod common;

use common::Fixture;
use result::{ColumnInfo, ValueType};

const MODEL: &str = r#"connection: "thelook"
include: "*.view"
datagroup: nightly {
  sql_trigger: SELECT MAX(batch) FROM etl_log ;;
}
explore: orders {
  join: facts {
    sql_on: ${orders.status} = ${facts.status} ;;
    relationship: many_to_one
  }
}
explore: rolled {}
"#;

const VIEWS: &str = r#"view: orders {
  sql_table_name: orders ;;
  dimension: status {}
  measure: count { type: count }
}
view: facts {
  derived_table: {
    sql: SELECT status, COUNT(*) AS n FROM orders GROUP BY status ;;
    datagroup_trigger: nightly
  }
  dimension: status { primary_key: yes }
  dimension: n { type: number }
}
view: rolled {
  derived_table: {
    sql: SELECT status, n * 10 AS n10 FROM ${facts.SQL_TABLE_NAME} ;;
    persist_for: "1 hour"
  }
  dimension: status { primary_key: yes }
  dimension: n10 { type: number }
}
"#;

const SCRATCH: &str = "sightline_scratch";

/// DuckDB with `orders` and `etl_log`; notes the tables built and the statements run.
struct Counted {
    inner: connect::DuckDbConnection,
    builds: AtomicUsize,
    statements: Mutex<Vec<String>>,
}

impl Connection for Counted {
    fn dialect(&self) -> &'static str {
        self.inner.dialect()
    }

    fn stream(&self, sql: &str, cancel: &Cancel, sink: &mut connect::Sink) -> Result<(), ConnectError> {
        self.statements.lock().expect("statements").push(sql.to_string());
        self.inner.stream(sql, cancel, sink)
    }

    fn execute_batch(&self, sql: &str) -> Result<(), ConnectError> {
        if sql.contains("CREATE TABLE") {
            self.builds.fetch_add(1, SeqCst);
            // Slow enough that a second query asking meanwhile has to wait for this build.
            std::thread::sleep(Duration::from_millis(50));
        }
        self.inner.execute_batch(sql)
    }
}

async fn setup(scratch: Option<&str>) -> (Fixture, Arc<Counted>) {
    let inner = connect::DuckDbConnection::open(":memory:").expect("duckdb");
    inner
        .execute_batch(
            "CREATE TABLE orders AS SELECT range AS id, CASE WHEN range % 2 = 0 THEN 'complete' ELSE 'pending' END AS status FROM range(10);
             CREATE TABLE etl_log AS SELECT 1 AS batch;",
        )
        .expect("tables");
    let db = Arc::new(Counted { inner, builds: AtomicUsize::new(0), statements: Default::default() });
    let connection = connect::Configured::wrap(db.clone(), None, Default::default(), scratch);
    let catalog = common::catalog_of(&[("shop.model.lkml", MODEL), ("shop.view.lkml", VIEWS)]);
    let config = engine::EngineConfig { datagroup_poll: Duration::from_millis(50), ..Default::default() };
    (common::fixture_catalog(catalog, connection, config).await, db)
}

/// `facts.n` by status (the orders explore), run afresh with `params`.
async fn facts(f: &Fixture, params: &str) -> String {
    let body = r#"{"model":"shop","view":"orders","fields":["facts.status","facts.n"],"sorts":["facts.status"]}"#;
    let (status, _, out) = f.call("POST", &format!("/api/4.0/queries/run/csv?cache=false{params}"), body).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&out));
    String::from_utf8(out).expect("text")
}

fn scratch_tables(db: &Counted) -> Vec<String> {
    let rows = db
        .inner
        .query(
            &format!("SELECT table_name FROM information_schema.tables WHERE table_schema = '{SCRATCH}' ORDER BY 1"),
            vec![ColumnInfo::plain("t", ValueType::String)],
        )
        .expect("tables");
    (0..rows.row_count()).filter_map(|i| rows.value(0, i).to_text()).collect()
}

fn last_statement(db: &Counted) -> String {
    db.statements.lock().expect("statements").last().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pdts_are_built_once_read_after_and_rebuilt_on_their_trigger() {
    let (f, db) = setup(Some(SCRATCH)).await;
    let builds = || db.builds.load(SeqCst);
    assert_eq!(facts(&f, "").await, "Facts Status,Facts N\ncomplete,5\npending,5\n");
    assert_eq!(builds(), 1);
    let tables = scratch_tables(&db);
    assert_eq!(tables.len(), 1, "{tables:?}");
    assert!(tables[0].starts_with("sl_") && tables[0].ends_with("_facts"), "{tables:?}");
    assert!(last_statement(&db).contains(&format!("{SCRATCH}.{}", tables[0])), "the query reads the table: {}", last_statement(&db));

    // Read from the table, not computed again: a new order does not show until a rebuild.
    db.inner.execute_batch("INSERT INTO orders VALUES (10, 'complete')").expect("insert");
    assert_eq!(facts(&f, "").await, "Facts Status,Facts N\ncomplete,5\npending,5\n");
    assert_eq!(builds(), 1);

    // The datagroup's trigger moves on: the next query builds a new table and the old goes.
    db.inner.execute_batch("INSERT INTO etl_log VALUES (2)").expect("trigger");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(facts(&f, "").await, "Facts Status,Facts N\ncomplete,6\npending,5\n");
    assert_eq!(builds(), 2);
    let rebuilt = scratch_tables(&db);
    assert_eq!(rebuilt.len(), 1, "the old table is dropped: {rebuilt:?}");
    assert_ne!(rebuilt, tables);

    // rebuild_pdts=true builds again.
    db.inner.execute_batch("INSERT INTO orders VALUES (11, 'pending')").expect("insert");
    assert_eq!(facts(&f, "&rebuild_pdts=true").await, "Facts Status,Facts N\ncomplete,6\npending,6\n");
    assert_eq!(builds(), 3);

    // A PDT reading another reads its table: only `rolled` is built.
    let body = r#"{"model":"shop","view":"rolled","fields":["rolled.status","rolled.n10"],"sorts":["rolled.status"]}"#;
    let (status, _, out) = f.call("POST", "/api/4.0/queries/run/csv", body).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&out));
    assert_eq!(String::from_utf8_lossy(&out), "Rolled Status,Rolled N10\ncomplete,60\npending,60\n");
    assert_eq!(builds(), 4);
    assert_eq!(scratch_tables(&db).len(), 2);

    // Two queries needing a stale PDT at once build it once.
    db.inner.execute_batch("INSERT INTO etl_log VALUES (3)").expect("trigger");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (a, b) = tokio::join!(facts(&f, ""), facts(&f, ""));
    assert_eq!(a, b);
    assert_eq!(builds(), 5, "one build for both");

    // A query task created with rebuild_pdts=true builds again when it runs.
    let query = r#"{"model":"shop","view":"orders","fields":["facts.status","facts.n"]}"#;
    let (status, _, out) = f.call("POST", "/api/4.0/queries", query).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&out));
    let id = common::json(&out)["id"].as_str().expect("id").to_string();
    let body = format!(r#"{{"query_id":"{id}","result_format":"json"}}"#);
    let (status, _, out) = f.call("POST", "/api/4.0/query_tasks?rebuild_pdts=true&cache=false", &body).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&out));
    let task = common::json(&out)["id"].as_str().expect("id").to_string();
    let done = f.wait(&format!("/api/4.0/query_tasks/{task}"), &["complete", "error"]).await;
    assert_eq!((done["status"].as_str(), done["rebuild_pdts"].as_bool()), (Some("complete"), Some(true)), "{done}");
    assert_eq!(builds(), 6);
}

#[tokio::test]
async fn without_a_scratch_schema_derived_tables_are_computed_inline() {
    let (f, db) = setup(None).await;
    assert_eq!(facts(&f, "").await, "Facts Status,Facts N\ncomplete,5\npending,5\n");
    db.inner.execute_batch("INSERT INTO orders VALUES (10, 'complete')").expect("insert");
    assert_eq!(facts(&f, "").await, "Facts Status,Facts N\ncomplete,6\npending,5\n");
    assert_eq!(db.builds.load(SeqCst), 0);
    assert!(last_statement(&db).contains("WITH facts AS"), "{}", last_statement(&db));
}
