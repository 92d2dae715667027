//! `GET /running_queries` and `DELETE /running_queries/{query_task_id}`, in process, over a
//! connection whose statements run until cancelled (or a time is up): the queue as listed, a
//! kill of a queued task and of a running one (the statement is cancelled through the
//! connection), a kill that must not cancel a statement another task shares, and a synchronous
//! run whose client goes away. The real databases' cancels are tested in `connect` (DuckDB) and
//! through the official SDK in `sightline/tests/sdk_warehouses.rs` (PostgreSQL, MariaDB).

use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use connect::{Cancel, ConnectError, Connection};
use serde_json::Value;

mod common;

use common::{json, Fixture};

/// What a [`Held`] connection's statements did.
#[derive(Default)]
struct Seen {
    started: AtomicUsize,
    cancelled: AtomicUsize,
}

/// DuckDB over a small `orders` table; while `hold` is set, each statement first waits up to
/// `for_up_to` for a cancel, as a long query in a database would.
struct Held {
    inner: connect::DuckDbConnection,
    seen: Arc<Seen>,
    hold: Arc<AtomicBool>,
    for_up_to: Duration,
}

impl Held {
    fn new(for_up_to: Duration) -> (Arc<Held>, Arc<Seen>, Arc<AtomicBool>) {
        let inner = connect::DuckDbConnection::open(":memory:").expect("duckdb");
        inner.execute_batch("CREATE TABLE orders AS SELECT range AS order_id, 'complete' AS status FROM range(10)").expect("table");
        let (seen, hold) = (Arc::new(Seen::default()), Arc::new(AtomicBool::new(true)));
        (Arc::new(Held { inner, seen: Arc::clone(&seen), hold: Arc::clone(&hold), for_up_to }), seen, hold)
    }
}

impl Connection for Held {
    fn dialect(&self) -> &'static str {
        self.inner.dialect()
    }

    fn stream(&self, sql: &str, cancel: &Cancel, sink: &mut connect::Sink) -> Result<(), ConnectError> {
        if self.hold.load(SeqCst) {
            self.seen.started.fetch_add(1, SeqCst);
            let (tell, told) = std::sync::mpsc::channel();
            let watch = cancel.watch(move || {
                let _ = tell.send(());
            })?;
            let cancelled = told.recv_timeout(self.for_up_to).is_ok();
            drop(watch);
            if cancelled {
                self.seen.cancelled.fetch_add(1, SeqCst);
                return Err(ConnectError::Cancelled);
            }
        }
        self.inner.stream(sql, cancel, sink)
    }

    fn execute_batch(&self, sql: &str) -> Result<(), ConnectError> {
        self.inner.execute_batch(sql)
    }
}

async fn create_task(f: &Fixture, limit: u32) -> String {
    let body = format!(r#"{{"query_id":"{}","result_format":"json"}}"#, f.query);
    let (status, _, body) = f.call("POST", &format!("/api/4.0/query_tasks?limit={limit}"), &body).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    json(&body)["id"].as_str().unwrap_or_default().to_string()
}

async fn running(f: &Fixture) -> Vec<Value> {
    let (status, _, body) = f.call("GET", "/api/4.0/running_queries", "").await;
    assert_eq!(status, StatusCode::OK);
    json(&body).as_array().cloned().unwrap_or_default()
}

/// Waits until `check` holds, for up to 5 s.
async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_queue_is_listed_and_a_kill_cancels_the_statement() {
    let (connection, seen, hold) = Held::new(Duration::from_secs(30));
    let f = common::fixture_configured(connection, engine::EngineConfig { workers: 1, ..Default::default() }).await;
    let first = create_task(&f, 1).await;
    until("the first task to run", async || seen.started.load(SeqCst) == 1).await;
    let second = create_task(&f, 2).await;

    let listed = running(&f).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    let (a, b) = (&listed[0], &listed[1]);
    assert_eq!((a["query_task_id"].as_str(), a["status"].as_str()), (Some(first.as_str()), Some("running")), "{a}");
    assert_eq!((a["connection_name"].as_str(), a["dialect"].as_str()), (Some("thelook"), Some("duckdb")), "{a}");
    assert!(a["sql"].as_str().is_some_and(|s| s.contains("LIMIT 1")), "{a}");
    assert!(a["runtime"].as_f64().is_some_and(|r| r >= 0.0) && a["user"]["id"].is_string() && a["query"]["model"] == "thelook", "{a}");
    assert_eq!((b["query_task_id"].as_str(), b["status"].as_str()), (Some(second.as_str()), Some("added")), "{b}");
    assert_eq!(b["message"], "queued behind 0 older query task(s) (users with fewer tasks running go first), 1 worker(s)", "{b}");
    assert!(b["runtime"].is_null(), "not started: {b}");

    // A queued task: it ends at once and never reaches the database.
    let (status, _, _) = f.call("DELETE", &format!("/api/4.0/running_queries/{second}"), "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // The running one: the statement is cancelled, and the worker is free again.
    let killed_at = Instant::now();
    assert_eq!(f.call("DELETE", &format!("/api/4.0/running_queries/{first}"), "").await.0, StatusCode::NO_CONTENT);
    until("the statement to be cancelled", async || seen.cancelled.load(SeqCst) == 1).await;
    assert!(killed_at.elapsed() < Duration::from_secs(1), "{:?}", killed_at.elapsed());
    for task in [&first, &second] {
        let (_, _, body) = f.call("GET", &format!("/api/4.0/query_tasks/{task}"), "").await;
        assert_eq!(json(&body)["status"], "killed");
        let (status, _, body) = f.call("GET", &format!("/api/4.0/query_tasks/{task}/results"), "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(json(&body)["message"].as_str().is_some_and(|m| m.contains("killed")), "{}", String::from_utf8_lossy(&body));
    }
    let (_, _, body) = f.call("GET", &format!("/api/4.0/query_tasks/multi_results?query_task_ids={first}"), "").await;
    assert_eq!(json(&body)[&first]["status"], "killed");
    assert!(running(&f).await.is_empty());
    assert_eq!(seen.started.load(SeqCst), 1, "the killed queued task never ran");

    // Once over, a task cannot be killed; nor can one that does not exist.
    let (status, _, body) = f.call("DELETE", &format!("/api/4.0/running_queries/{first}"), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        json(&body)["message"].as_str().is_some_and(|m| m.contains("is not running (it is killed)")),
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(f.call("DELETE", "/api/4.0/running_queries/nope", "").await.0, StatusCode::NOT_FOUND);

    hold.store(false, SeqCst);
    let third = create_task(&f, 3).await;
    assert_eq!(f.wait(&format!("/api/4.0/query_tasks/{third}"), &["complete", "error", "killed"]).await["status"], "complete");
    let request = axum::http::Request::builder().uri("/metrics").body(axum::body::Body::empty()).expect("request");
    let response = tower::ServiceExt::oneshot(f.app.clone(), request).await.expect("response");
    let text = String::from_utf8(axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body").to_vec()).expect("text");
    assert!(text.lines().any(|l| l == "sightline_query_tasks_killed_total 2"), "{text}");
}

/// Two tasks share one statement: killing one leaves the other's query running to its end.
#[tokio::test]
async fn killing_one_of_two_tasks_sharing_a_statement_does_not_cancel_it() {
    let (connection, seen, _hold) = Held::new(Duration::from_millis(600));
    let f = common::fixture_configured(connection, engine::EngineConfig { workers: 2, ..Default::default() }).await;
    let (first, second) = (create_task(&f, 5).await, create_task(&f, 5).await);
    until("both tasks to run", async || running(&f).await.iter().all(|r| r["status"] == "running")).await;
    assert_eq!(f.call("DELETE", &format!("/api/4.0/running_queries/{first}"), "").await.0, StatusCode::NO_CONTENT);
    let done = f.wait(&format!("/api/4.0/query_tasks/{second}"), &["complete", "error", "killed"]).await;
    assert_eq!(done["status"], "complete", "{done}");
    assert_eq!((seen.started.load(SeqCst), seen.cancelled.load(SeqCst)), (1, 0));
    let (_, _, body) = f.call("GET", &format!("/api/4.0/query_tasks/{first}"), "").await;
    assert_eq!(json(&body)["status"], "killed", "a late result does not undo the kill");
}

/// A synchronous run whose client has gone (its request dropped) cancels its statement.
#[tokio::test]
async fn a_run_whose_client_has_gone_is_cancelled() {
    let (connection, seen, _hold) = Held::new(Duration::from_secs(30));
    let f = common::fixture_with(connection).await;
    let uri = format!("/api/4.0/queries/{}/run/json", f.query);
    let request = f.call("GET", &uri, "");
    let gone = tokio::time::timeout(Duration::from_millis(300), request).await;
    assert!(gone.is_err(), "the statement is held");
    until("the statement to be cancelled", async || seen.cancelled.load(SeqCst) == 1).await;
}
