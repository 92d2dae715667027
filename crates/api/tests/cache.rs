//! The result cache through the API, in process, over a DuckDB connection that counts the
//! statements reaching it: a hit does not touch the database; the format is part of the key;
//! `cache=false` runs the query and refreshes the entry; `persist_for` ages entries out;
//! `cache_only` serves a stale one; a datagroup's `sql_trigger` changing makes its entries stale.

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use connect::{Cancel, ConnectError, Connection};

mod common;

use common::Fixture;
use serde_json::Value;

const MODEL: &str = r#"connection: "thelook"
include: "*.view"
datagroup: etl {
  sql_trigger: SELECT MAX(batch) FROM etl_log ;;
  max_cache_age: "24 hours"
}
explore: orders {}
explore: brief { from: orders persist_for: "1 seconds" }
explore: loaded { from: orders persist_with: etl }
"#;

const VIEW: &str = r#"view: orders {
  sql_table_name: orders ;;
  dimension: status {}
  measure: count { type: count }
}
"#;

/// DuckDB with `orders` and `etl_log`; counts the statements that read `orders`.
struct Counted {
    inner: connect::DuckDbConnection,
    reads: Arc<AtomicUsize>,
}

impl Connection for Counted {
    fn dialect(&self) -> &'static str {
        self.inner.dialect()
    }

    fn stream(&self, sql: &str, cancel: &Cancel, sink: &mut connect::Sink) -> Result<(), ConnectError> {
        if sql.contains("orders") {
            self.reads.fetch_add(1, SeqCst);
        }
        self.inner.stream(sql, cancel, sink)
    }

    fn execute_batch(&self, sql: &str) -> Result<(), ConnectError> {
        self.inner.execute_batch(sql)
    }
}

async fn setup() -> (Fixture, Arc<Counted>) {
    let inner = connect::DuckDbConnection::open(":memory:").expect("duckdb");
    inner
        .execute_batch(
            "CREATE TABLE orders AS SELECT range AS id, CASE WHEN range % 2 = 0 THEN 'complete' ELSE 'pending' END AS status FROM range(10);
             CREATE TABLE etl_log AS SELECT 1 AS batch;",
        )
        .expect("tables");
    let db = Arc::new(Counted { inner, reads: Arc::new(AtomicUsize::new(0)) });
    let catalog = common::catalog_of(&[("shop.model.lkml", MODEL), ("orders.view.lkml", VIEW)]);
    let config = engine::EngineConfig { datagroup_poll: Duration::from_millis(50), ..Default::default() };
    (common::fixture_catalog(catalog, db.clone(), config).await, db)
}

/// Runs an inline query on `explore` as `format` with `params`; the body.
async fn run(f: &Fixture, explore: &str, format: &str, params: &str) -> String {
    let body =
        format!(r#"{{"model":"shop","view":"{explore}","fields":["{explore}.status","{explore}.count"],"sorts":["{explore}.status"]}}"#);
    let (status, _, out) = f.call("POST", &format!("/api/4.0/queries/run/{format}{params}"), &body).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&out));
    String::from_utf8(out).expect("text")
}

#[tokio::test]
async fn hits_do_not_touch_the_database_and_policies_age_them_out() {
    let (f, db) = setup().await;
    let reads = || db.reads.load(SeqCst);
    let first = run(&f, "orders", "json", "").await;
    assert_eq!(first, r#"[{"orders.status":"complete","orders.count":5},{"orders.status":"pending","orders.count":5}]"#);
    db.inner.execute_batch("INSERT INTO orders VALUES (10, 'complete')").expect("insert");
    assert_eq!(run(&f, "orders", "json", "").await, first, "served from the cache, as Looker does within the hour");
    assert_eq!(reads(), 1);
    assert!(run(&f, "orders", "csv", "").await.contains("complete,6"), "another format is another entry");
    assert_eq!(reads(), 2);
    let fresh = run(&f, "orders", "json", "?cache=false").await;
    assert!(fresh.contains(r#""orders.count":6"#), "{fresh}");
    assert_eq!(reads(), 3);
    assert_eq!(run(&f, "orders", "json", "").await, fresh, "cache=false refreshed the entry");
    assert_eq!(reads(), 3);

    // persist_for: "1 seconds"
    let brief = run(&f, "brief", "json", "").await;
    run(&f, "brief", "json", "").await;
    assert_eq!(reads(), 4);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    db.inner.execute_batch("INSERT INTO orders VALUES (11, 'complete')").expect("insert");
    assert_eq!(run(&f, "brief", "json", "?cache_only=true").await, brief, "cache_only serves a stale entry");
    assert_eq!(reads(), 4);
    assert!(run(&f, "brief", "json", "").await.contains(r#""brief.count":7"#), "stale: run again");
    assert_eq!(reads(), 5);
    assert!(run(&f, "brief", "csv", "?cache_only=true").await.contains("complete,7"), "nothing cached: cache_only runs it");
    assert_eq!(reads(), 6);
}

/// A chart drawn again while its rows are fresh runs no query: only the first of several PNGs
/// (and a render task of the same query) reads the table; past `persist_for` it is read again,
/// and a datagroup's trigger change makes the kept rows stale.
#[tokio::test]
async fn charts_drawn_again_from_fresh_rows_run_no_query() {
    let (f, db) = setup().await;
    let reads = || db.reads.load(SeqCst);
    let draw = |explore: &'static str| {
        let f = &f;
        async move {
            let body = format!(r#"{{"model":"shop","view":"{explore}","fields":["{explore}.status","{explore}.count"]}}"#);
            let (status, _, png) = f.call("POST", "/api/4.0/queries/run/png?image_width=200&image_height=150", &body).await;
            assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&png));
            png
        }
    };
    let first = draw("orders").await;
    assert_eq!(draw("orders").await, first);
    assert_eq!(reads(), 1, "drawn again from the kept rows");
    let (_, _, saved) =
        f.call("POST", "/api/4.0/queries", r#"{"model":"shop","view":"orders","fields":["orders.status","orders.count"]}"#).await;
    let id = common::json(&saved)["id"].as_str().unwrap_or_default().to_string();
    let (_, _, task) = f.call("POST", &format!("/api/4.0/render_tasks/queries/{id}/png?width=200&height=150"), "").await;
    let task = common::json(&task)["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(f.wait(&format!("/api/4.0/render_tasks/{task}"), &["success", "failure"]).await["status"], "success");
    assert_eq!(reads(), 1, "a render task draws from them too");
    draw("brief").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    draw("brief").await;
    assert_eq!(reads(), 3, "persist_for: 1 second has passed");
    draw("loaded").await;
    draw("loaded").await;
    assert_eq!(reads(), 4);
    db.inner.execute_batch("INSERT INTO etl_log VALUES (2)").expect("new batch");
    tokio::time::sleep(Duration::from_millis(300)).await;
    draw("loaded").await;
    assert_eq!(reads(), 5, "the trigger changed");
}

#[tokio::test]
async fn a_datagroup_trigger_change_makes_its_entries_stale() {
    let (f, db) = setup().await;
    let reads = || db.reads.load(SeqCst);
    let before = run(&f, "loaded", "json", "").await;
    db.inner.execute_batch("INSERT INTO orders VALUES (10, 'complete')").expect("insert");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(run(&f, "loaded", "json", "").await, before, "the trigger has not changed");
    assert_eq!(reads(), 1);
    db.inner.execute_batch("INSERT INTO etl_log VALUES (2)").expect("new batch");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = run(&f, "loaded", "json", "").await;
    assert!(after.contains(r#""loaded.count":6"#), "{after}");
    assert_eq!(reads(), 2);
    // Prometheus sees the hits and misses.
    let request = axum::http::Request::builder().uri("/metrics").body(axum::body::Body::empty()).expect("request");
    let response = tower::ServiceExt::oneshot(f.app.clone(), request).await.expect("response");
    let text = String::from_utf8(axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body").to_vec()).expect("text");
    for line in ["sightline_result_cache_requests_total{outcome=\"hit\"} 1", "sightline_result_cache_requests_total{outcome=\"miss\"} 2"] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }
}

/// A query task shows how long each phase of its run took (`phases`, beside Looker's fields): a
/// task that ran the query went through the database and the formatter; one served from the
/// cache did not, and was complete as it was created.
#[tokio::test]
async fn tasks_show_where_their_time_went() {
    let (f, db) = setup().await;
    let (status, _, out) =
        f.call("POST", "/api/4.0/queries", r#"{"model":"shop","view":"orders","fields":["orders.status","orders.count"]}"#).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&out));
    let query = common::json(&out)["id"].as_str().expect("id").to_string();
    let mut phases = Vec::new();
    for _ in 0..2 {
        let (status, _, out) = f.call("POST", "/api/4.0/query_tasks", &format!(r#"{{"query_id":"{query}","result_format":"json"}}"#)).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&out));
        let created = common::json(&out);
        let id = created["id"].as_str().expect("id").to_string();
        let task = f.wait(&format!("/api/4.0/query_tasks/{id}"), &["complete"]).await;
        phases.push((task["result_source"].clone(), task["phases"].clone(), created["status"].clone()));
    }
    assert_eq!(db.reads.load(SeqCst), 1);
    let names = |p: &Value| p.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
    let (ran, cached) = (&phases[0], &phases[1]);
    assert_eq!(ran.0, "query");
    assert_eq!(names(&ran.1), ["queue", "compile", "cache", "turn", "database", "format"], "{ran:?}");
    assert!(ran.1.as_object().expect("phases").values().all(|s| s.as_f64().is_some_and(|s| (0.0..60.0).contains(&s))), "{ran:?}");
    assert_eq!(ran.2, "added");
    assert_eq!(cached.0, "cache");
    assert_eq!(cached.2, "complete", "a fresh cached result answers the task as it is created");
    assert_eq!(names(&cached.1), ["queue", "compile", "cache"], "{cached:?}");
}
