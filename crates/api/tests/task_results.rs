//! The results endpoints in every task state, in process: where a test puts tasks into the store
//! directly, it first stops the engine's workers (the queue is the tasks table: a worker would
//! claim them), so "still running" is a state the test holds rather than a race it hopes to win.

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;

use axum::http::StatusCode;
use connect::Connection;
use serde_json::Value;

mod common;

use common::{fixture, fixture_with, json, Fixture};

#[tokio::test]
async fn unfinished_tasks_answer_202_and_failed_ones_400_with_the_reason() {
    let f = fixture().await;
    f.engine.shutdown(std::time::Duration::ZERO).await.expect("workers stopped");
    let q = f.store.create_query_task(f.query, f.user, "csv", &Default::default()).await.expect("task");
    let (status, _, body) = f.call("GET", &format!("/api/4.0/query_tasks/{}/results", q.id), "").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(json(&body).as_str().is_some_and(|s| s.contains("added")), "the spec's 202 body is a string");
    f.store.set_query_task_status(&q.id, store::QueryTaskStatus::Running).await.expect("status");
    assert_eq!(f.call("GET", &format!("/api/4.0/query_tasks/{}/results", q.id), "").await.0, StatusCode::ACCEPTED);
    f.store.finish_query_task(&q.id, Err("division by zero"), 0.1, None).await.expect("finish");
    let (status, _, body) = f.call("GET", &format!("/api/4.0/query_tasks/{}/results", q.id), "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json(&body)["message"], "division by zero");

    let r = f.store.create_render_task(f.query, f.user, "png", 100, 100).await.expect("render task");
    let (status, headers, body) = f.call("GET", &format!("/api/4.0/render_tasks/{}/results", r.id), "").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(headers.get("retry-after").map(String::as_str), Some("1"));
    assert!(body.is_empty());
    f.store.finish_render_task(&r.id, Err("no data"), None, 0.2).await.expect("finish");
    let (status, _, body) = f.call("GET", &format!("/api/4.0/render_tasks/{}/results", r.id), "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json(&body)["message"], "no data");
    let (_, _, body) = f.call("GET", &format!("/api/4.0/render_tasks/{}", r.id), "").await;
    assert_eq!(json(&body)["status"], "failure");
    assert_eq!(json(&body)["status_detail"], "no data");
}

#[tokio::test]
async fn a_database_error_fails_the_task_and_reaches_the_caller() {
    let f = fixture().await;
    let (status, _, body) =
        f.call("POST", "/api/4.0/query_tasks", &format!(r#"{{"query_id":"{}","result_format":"json"}}"#, f.query)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let id = json(&body)["id"].as_str().expect("id").to_string();
    let task = f.wait(&format!("/api/4.0/query_tasks/{id}"), &["complete", "error"]).await;
    assert_eq!(task["status"], "error", "{task}");
    let (status, _, body) = f.call("GET", &format!("/api/4.0/query_tasks/{id}/results"), "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = json(&body)["message"].as_str().unwrap_or_default().to_string();
    assert!(message.starts_with("the database reported an error") && message.contains("orders"), "{message}");
}

/// As the spec says: a failed json_detail task answers 200, the database's message in `errors`
/// and no rows.
#[tokio::test]
async fn a_failed_json_detail_task_answers_200_with_errors() {
    let f = fixture().await;
    let (_, _, body) =
        f.call("POST", "/api/4.0/query_tasks", &format!(r#"{{"query_id":"{}","result_format":"json_detail"}}"#, f.query)).await;
    let id = json(&body)["id"].as_str().expect("id").to_string();
    let task = f.wait(&format!("/api/4.0/query_tasks/{id}"), &["complete", "error"]).await;
    assert_eq!(task["status"], "error", "{task}");
    let (status, _, body) = f.call("GET", &format!("/api/4.0/query_tasks/{id}/results"), "").await;
    assert_eq!(status, StatusCode::OK);
    let answer = json(&body);
    assert_eq!((answer["status"].as_str(), answer["data"].as_array().map(Vec::len)), (Some("error"), Some(0)), "{answer}");
    let message = answer["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("the database reported an error"), "{answer}");
    assert!(answer["sql"].as_str().is_some_and(|sql| sql.contains("orders")), "{answer}");
}

#[tokio::test]
async fn impossible_subtotals_and_unsupported_formats_are_refused_by_name() {
    let f = fixture().await;
    let (status, _, body) = f
        .call(
            "POST",
            "/api/4.0/queries",
            r#"{"model":"thelook","view":"orders","fields":["users.state","orders.status","orders.count"],"subtotals":["orders.status"]}"#,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = json(&body);
    assert_eq!(body["errors"][0]["field"], "subtotals", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap_or_default().contains("the last unpivoted dimension has no subtotals"), "{body}");
    let (status, _, body) = f.call("POST", "/api/4.0/query_tasks", &format!(r#"{{"query_id":"{}","result_format":"odc"}}"#, f.query)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json(&body)["errors"][0]["message"].as_str().unwrap_or_default().contains("`odc` is not supported yet"));
}

/// A chart type not drawn yet ends the render task in `failure` naming the type, before any
/// query runs: never drawn as another chart and reported `success`.
#[tokio::test]
async fn a_vis_type_not_drawn_fails_the_render_task_by_name() {
    let f = fixture().await;
    let query = r#"{"model":"thelook","view":"orders","fields":["orders.status","orders.count"],"vis_config":{"type":"looker_timeline"}}"#;
    let (status, _, body) = f.call("POST", "/api/4.0/queries", query).await;
    assert_eq!(status, StatusCode::OK);
    let id = json(&body)["id"].as_str().unwrap_or_default().to_string();
    let (status, _, body) = f.call("POST", &format!("/api/4.0/render_tasks/queries/{id}/png?width=400&height=300"), "").await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let task = json(&body)["id"].as_str().unwrap_or_default().to_string();
    let answer = f.wait(&format!("/api/4.0/render_tasks/{task}"), &["success", "failure"]).await;
    assert_eq!(answer["status"], "failure", "{answer}");
    let detail = answer["status_detail"].as_str().unwrap_or_default();
    assert!(detail.contains("`looker_timeline` is not drawn yet"), "{detail}");
    assert_eq!(answer["query_runtime"], Value::Null, "no query ran");
}

/// A pivoted query's chart draws a series per pivot value: the render task succeeds at the size
/// asked.
#[tokio::test]
async fn pivoted_queries_are_drawn() {
    let db = connect::DuckDbConnection::open(":memory:").expect("duckdb");
    db.execute_batch(
        "CREATE TABLE orders AS SELECT range AS id, range % 7 AS user_id, CASE WHEN range % 3 = 0 THEN 'complete' ELSE 'pending' END AS status, TIMESTAMP '2023-06-01' + INTERVAL (range * 40) DAY AS created_at FROM range(30)",
    )
    .expect("orders");
    let f = fixture_with(Arc::new(db)).await;
    let query = r#"{"model":"thelook","view":"orders","fields":["orders.created_year","orders.status","orders.count"],"pivots":["orders.status"],"row_total":"right","vis_config":{"type":"looker_column","stacking":"normal"}}"#;
    let (status, _, body) = f.call("POST", "/api/4.0/queries", query).await;
    assert_eq!(status, StatusCode::OK);
    let id = json(&body)["id"].as_str().unwrap().to_string();
    let (status, _, body) = f.call("POST", &format!("/api/4.0/render_tasks/queries/{id}/png?width=400&height=300"), "").await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let task = json(&body)["id"].as_str().unwrap_or_default().to_string();
    let answer = f.wait(&format!("/api/4.0/render_tasks/{task}"), &["success", "failure"]).await;
    assert_eq!(answer["status"], "success", "{answer}");
    let (status, headers, png) = f.call("GET", &format!("/api/4.0/render_tasks/{task}/results"), "").await;
    assert_eq!((status, headers["content-type"].as_str()), (StatusCode::OK, "image/png"));
    let size = (u32::from_be_bytes([png[16], png[17], png[18], png[19]]), u32::from_be_bytes([png[20], png[21], png[22], png[23]]));
    assert_eq!(size, (400, 300));
}

/// A model on a dialect without a driver: its SQL is there, running it is a clear 400.
#[tokio::test]
async fn a_dialect_without_a_driver_prints_sql_and_refuses_to_run() {
    let f = fixture_with(Arc::new(connect::NoDriverConnection { dialect: "bigquery" })).await;
    let body = r#"{"model":"thelook","view":"orders","fields":["orders.status","orders.count"],"filters":{"orders.status":"it's"}}"#;
    let (status, _, sql) = f.call("POST", "/api/4.0/queries/run/sql", body).await;
    assert_eq!(status, StatusCode::OK);
    let sql = String::from_utf8_lossy(&sql);
    assert!(sql.contains("`orders_status`") && sql.contains("'it\\'s'"), "BigQuery SQL: {sql}");
    let (status, _, answer) = f.call("POST", "/api/4.0/queries/run/json", body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(json(&answer)["message"].as_str().unwrap_or_default().contains("no bigquery driver"), "{}", String::from_utf8_lossy(&answer));
}

/// `query_timezone` converts time values (the database's zone is UTC by default).
#[tokio::test]
async fn query_timezone_converts_times_in_the_sql() {
    let f = fixture().await;
    let body =
        r#"{"model":"thelook","view":"orders","fields":["orders.created_date","orders.count"],"query_timezone":"America/Los_Angeles"}"#;
    let (status, _, sql) = f.call("POST", "/api/4.0/queries/run/sql", body).await;
    assert_eq!(status, StatusCode::OK);
    let sql = String::from_utf8_lossy(&sql);
    assert!(sql.contains("TIMEZONE('America/Los_Angeles', TIMEZONE('UTC'"), "{sql}");
    let body = r#"{"model":"thelook","view":"orders","fields":["orders.created_date"],"query_timezone":"Mars/Olympus"}"#;
    let (status, _, answer) = f.call("POST", "/api/4.0/queries/run/sql", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", String::from_utf8_lossy(&answer));
}

/// Connections are described without secrets and tested for real; the config's cannot be
/// changed through the API, and what a new one asks for is checked before anything is stored.
#[tokio::test]
async fn connections_are_listed_tested_and_checked() {
    let f = fixture().await;
    let (status, _, body) = f.call("GET", "/api/4.0/connections", "").await;
    assert_eq!(status, StatusCode::OK);
    let list = json(&body);
    assert_eq!(list[0]["name"], "thelook");
    assert_eq!(list[0]["dialect_name"], "duckdb");
    assert!(list[0].get("password").is_none());
    let (status, _, body) = f.call("PUT", "/api/4.0/connections/thelook/test", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)[0]["status"], "success");
    let (status, _, _) = f.call("GET", "/api/4.0/connections/nope", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, body) = f.call("POST", "/api/4.0/connections", r#"{"name":"x"}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(&body)["errors"][0]["field"], "dialect_name");
    let (status, _, body) =
        f.call("POST", "/api/4.0/connections", r#"{"name":"x","dialect_name":"duckdb","database":"/etc/passwd"}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(&body)["errors"][0]["code"], "not_supported");
    let (status, _, body) = f.call("PATCH", "/api/4.0/connections/thelook", r#"{"host":"elsewhere"}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json(&body)["errors"][0]["message"].as_str().unwrap_or_default().contains("TOML config"));
    // The spec documents no 422 for delete_connection: its documented 400, with the reason.
    let (status, _, body) = f.call("DELETE", "/api/4.0/connections/thelook", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(json(&body)["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    let (status, _, _) = f.call("DELETE", "/api/4.0/connections/nope", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, body) = f.call("GET", "/api/4.0/dialect_info", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(json(&body).as_array().unwrap().iter().any(|d| d["name"] == "bigquery_standard_sql" && d["installed"] == false));
}

/// A connection that panics where it is told to: in `stream` (inside a task) or when asked for
/// its zone (inside a request handler).
struct Panicking {
    in_handler: bool,
}

impl Connection for Panicking {
    fn dialect(&self) -> &'static str {
        "duckdb"
    }

    fn stream(&self, _sql: &str, _cancel: &connect::Cancel, _sink: &mut connect::Sink) -> Result<(), connect::ConnectError> {
        panic!("the driver fell over")
    }

    fn execute_batch(&self, _sql: &str) -> Result<(), connect::ConnectError> {
        Ok(())
    }

    fn timezone(&self) -> &str {
        if self.in_handler {
            panic!("no zone today")
        }
        "UTC"
    }
}

async fn panicking_fixture(in_handler: bool) -> Fixture {
    fixture_with(Arc::new(Panicking { in_handler })).await
}

/// A panic while a task runs fails that task with a reason, and the worker goes on with the next.
#[tokio::test]
async fn a_panic_in_a_task_fails_the_task_and_spares_the_worker() {
    let f = panicking_fixture(false).await;
    for _ in 0..2 {
        let (status, _, body) =
            f.call("POST", "/api/4.0/query_tasks", &format!(r#"{{"query_id":"{}","result_format":"json"}}"#, f.query)).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let id = json(&body)["id"].as_str().unwrap_or_default().to_string();
        let task = f.wait(&format!("/api/4.0/query_tasks/{id}"), &["complete", "error"]).await;
        assert_eq!(task["status"], "error", "{task}");
        let (status, _, body) = f.call("GET", &format!("/api/4.0/query_tasks/{id}/results"), "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(json(&body)["message"].as_str().is_some_and(|m| m.contains("the driver fell over")), "{}", String::from_utf8_lossy(&body));
    }
}

/// A panic in a request handler is a 500 in Looker's shape, and the server answers the next request.
#[tokio::test]
async fn a_panic_in_a_handler_is_a_500_in_lookers_shape() {
    let f = panicking_fixture(true).await;
    let body = r#"{"model":"thelook","view":"orders","fields":["orders.status"]}"#;
    let (status, _, answer) = f.call("POST", "/api/4.0/queries/run/sql", body).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let answer = json(&answer);
    assert!(answer["message"].as_str().is_some_and(|m| m.contains("log")), "{answer}");
    assert!(answer["documentation_url"].is_string());
    assert_eq!(f.call("GET", "/api/4.0/versions", "").await.0, StatusCode::OK);
}

/// A process that stopped (`kill -9`) with tasks waiting and one running: at the next start the
/// waiting ones run, and the running one (its lease expired) runs again.
#[tokio::test]
async fn tasks_waiting_at_a_restart_run_after_it() {
    let store = store::Store::in_memory().await.expect("store");
    let creds = store.ensure_admin(None).await.expect("admin").expect("generated");
    let user = store.verify_api3(&creds.client_id, &creds.client_secret).await.expect("verify").expect("user");
    let query =
        store.save_query(r#"{"model":"thelook","view":"orders","fields":["orders.status","orders.count"]}"#).await.expect("query").id;
    let waiting: Vec<String> = vec![
        store.create_query_task(query, user, "json", &Default::default()).await.expect("task").id,
        store.create_query_task(query, user, "csv", &Default::default()).await.expect("task").id,
    ];
    let running = store.create_query_task(query, user, "json", &Default::default()).await.expect("task").id;
    store.set_query_task_status(&running, store::QueryTaskStatus::Running).await.expect("running");

    let connection = Arc::new(connect::DuckDbConnection::open(":memory:").expect("duckdb")) as Arc<dyn Connection>;
    let connections = [("thelook".to_string(), connection)].into();
    let config = engine::EngineConfig { workers: 1, ..Default::default() };
    let _engine = engine::Engine::start(common::demo_catalog(), connections, store.clone(), config).await.expect("engine");
    for id in &waiting {
        let task = until_finished(&store, id).await;
        // It ran: the empty database's own error (its tables are missing), not a restart's.
        assert_eq!(task.status, "error");
        let error = task.error.unwrap_or_default();
        assert!(error.contains("database") && !error.contains("stopped"), "{error}");
    }
    let rerun = until_finished(&store, &running).await;
    assert_eq!(rerun.status, "error", "run again, to the empty database's error");
    let error = rerun.error.unwrap_or_default();
    assert!(error.contains("database") && !error.contains("stopped"), "{error}");
}

/// Task `id` once it has left `added` and `running` (about five seconds at most).
async fn until_finished(store: &store::Store, id: &str) -> store::QueryTaskRow {
    let mut task = store.query_task(id).await.expect("read").expect("task");
    for _ in 0..200 {
        if task.status != "added" && task.status != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        task = store.query_task(id).await.expect("read").expect("task");
    }
    task
}

/// An expired result is gone: `query_task_results` answers 404 and `multi_results` `expired`.
#[tokio::test]
async fn expired_results_answer_404() {
    let f = fixture().await;
    f.engine.shutdown(std::time::Duration::ZERO).await.expect("workers stopped");
    let q = f.store.create_query_task(f.query, f.user, "csv", &Default::default()).await.expect("task");
    let short = f.store.clone().with_result_ttl(std::time::Duration::ZERO);
    let body = store::Payload::from(&b"a\n1\n"[..]);
    short.finish_query_task(&q.id, Ok(store::QueryTaskOutput::queried("text/csv", &body)), 0.1, None).await.expect("finish");
    let (status, _, body) = f.call("GET", &format!("/api/4.0/query_tasks/{}/results", q.id), "").await;
    assert_eq!((status, body.as_slice()), (StatusCode::OK, &b"a\n1\n"[..]));
    assert_eq!(f.store.sweep_expired().await.expect("sweep"), 1);
    let (status, _, body) = f.call("GET", &format!("/api/4.0/query_tasks/{}/results", q.id), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(json(&body)["message"].as_str().is_some_and(|m| m.contains("expired")));
    let (_, _, body) = f.call("GET", &format!("/api/4.0/query_tasks/multi_results?query_task_ids={}", q.id), "").await;
    assert_eq!(json(&body)[&q.id]["status"], "expired");
}

/// A result past the server's size limit fails by name, run now (400) or as a task (`error`),
/// and formatting stops at the limit.
#[tokio::test]
async fn a_result_over_the_size_limit_fails_naming_the_limit() {
    let db = connect::DuckDbConnection::open(":memory:").expect("duckdb");
    db.execute_batch("CREATE TABLE orders AS SELECT range AS order_id, 'status ' || range AS status FROM range(2000)").expect("table");
    let config = engine::EngineConfig { workers: 1, max_result_bytes: 4096, ..Default::default() };
    let f = common::fixture_configured(Arc::new(db), config).await;
    let small = r#"{"model":"thelook","view":"orders","fields":["orders.count"]}"#;
    assert_eq!(f.call("POST", "/api/4.0/queries/run/json", small).await.0, StatusCode::OK);
    let large = r#"{"model":"thelook","view":"orders","fields":["orders.status"],"limit":"-1"}"#;
    let (status, _, body) = f.call("POST", "/api/4.0/queries/run/csv", large).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(json(&body)["message"].as_str().is_some_and(|m| m.contains("--max-result-bytes")), "{}", String::from_utf8_lossy(&body));
    let (_, _, body) = f.call("POST", "/api/4.0/queries", large).await;
    let id = json(&body)["id"].as_str().unwrap_or_default().to_string();
    let (_, _, body) = f.call("POST", "/api/4.0/query_tasks", &format!(r#"{{"query_id":"{id}","result_format":"json"}}"#)).await;
    let task = json(&body)["id"].as_str().unwrap_or_default().to_string();
    let done = f.wait(&format!("/api/4.0/query_tasks/{task}"), &["complete", "error"]).await;
    assert_eq!(done["status"], "error", "{done}");
    let (_, _, body) = f.call("GET", &format!("/api/4.0/query_tasks/{task}/results"), "").await;
    assert!(json(&body)["message"].as_str().is_some_and(|m| m.contains("4096 bytes")));
}

/// Rows past the server's memory budget for results in flight stop the query, which fails naming
/// the budget; the budget is given back, so a small query runs after it; `GET /metrics` shows it.
#[tokio::test]
async fn rows_past_the_memory_budget_fail_naming_it_and_are_given_back_and_streamed_rows_stay_within_it() {
    let db = connect::DuckDbConnection::open(":memory:").expect("duckdb");
    db.execute_batch("CREATE TABLE orders AS SELECT range AS order_id, 'status ' || range AS status FROM range(200000)").expect("table");
    let config = engine::EngineConfig { workers: 1, max_result_memory: 256 << 10, ..Default::default() };
    let f = common::fixture_configured(Arc::new(db), config).await;
    let large = r#"{"model":"thelook","view":"orders","fields":["orders.status"],"limit":"-1"}"#;
    // html needs the whole result: its 200,000 rows pass the budget.
    let (status, _, body) = f.call("POST", "/api/4.0/queries/run/html", large).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = json(&body)["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains("--max-result-memory") && message.contains("262144 bytes"), "{message}");
    // csv is written batch by batch as the rows arrive: only a batch at a time is held.
    let (status, _, body) = f.call("POST", "/api/4.0/queries/run/csv", large).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body[..body.len().min(300)]));
    assert_eq!(body.iter().filter(|b| **b == b'\n').count(), 200_001);
    let small = r#"{"model":"thelook","view":"orders","fields":["orders.count"]}"#;
    let (status, _, body) = f.call("POST", "/api/4.0/queries/run/json", small).await;
    assert_eq!((status, String::from_utf8_lossy(&body).as_ref()), (StatusCode::OK, r#"[{"orders.count":200000}]"#));
    let (_, _, metrics) = f.call("GET", "/metrics", "").await;
    let metrics = String::from_utf8_lossy(&metrics);
    assert!(metrics.contains("sightline_result_memory_bytes 0\n"), "every run gave its rows back: {metrics}");
    assert!(metrics.contains("sightline_result_memory_limit_bytes 262144\n"), "{metrics}");
}

/// A result past the in-memory size is spooled to a file, streamed to the client and stored
/// from the file: run now and as a task, the same bytes; no spool file is left behind.
#[tokio::test]
async fn large_results_are_spooled_streamed_and_stored_from_their_file() {
    let db = connect::DuckDbConnection::open(":memory:").expect("duckdb");
    db.execute_batch("CREATE TABLE orders AS SELECT range AS order_id, 'status ' || range AS status FROM range(150000)").expect("table");
    let f = common::fixture_configured(Arc::new(db), engine::EngineConfig { workers: 1, ..Default::default() }).await;
    let query = r#"{"model":"thelook","view":"orders","fields":["orders.status"],"sorts":["orders.status"],"limit":"-1"}"#;
    let (status, headers, now) = f.call("POST", "/api/4.0/queries/run/csv?cache=false", query).await;
    assert_eq!(status, StatusCode::OK);
    assert!(now.len() > store::SPOOL_IN_MEMORY, "{} bytes", now.len());
    assert_eq!(headers.get("content-length"), Some(&now.len().to_string()));
    let (_, _, saved) = f.call("POST", "/api/4.0/queries", query).await;
    let id = json(&saved)["id"].as_str().expect("id").to_string();
    let (_, _, task) = f.call("POST", "/api/4.0/query_tasks?cache=false", &format!(r#"{{"query_id":"{id}","result_format":"csv"}}"#)).await;
    let task = json(&task)["id"].as_str().expect("task").to_string();
    f.wait(&format!("/api/4.0/query_tasks/{task}"), &["complete", "error"]).await;
    let (status, _, stored) = f.call("GET", &format!("/api/4.0/query_tasks/{task}/results"), "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(stored == now, "the task's result is the run's");
    let dir = f.store.results_dir().expect("results beside SQLite");
    let spools: Vec<_> = std::fs::read_dir(dir)
        .expect("results")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".spool-"))
        .collect();
    assert!(spools.is_empty(), "spool files left: {spools:?}");
}

/// What a [`Watched`] connection saw: statements run, and the most running at once.
#[derive(Default)]
struct Seen {
    runs: AtomicUsize,
    running: AtomicUsize,
    peak: AtomicUsize,
}

/// A DuckDB connection over a small `orders` table whose statements each take a while, watched.
struct Watched {
    inner: connect::DuckDbConnection,
    seen: Arc<Seen>,
    pause: std::time::Duration,
    max_queries: Option<u32>,
    max_queries_per_user: Option<u32>,
}

impl Watched {
    fn new(pause_ms: u64, max_queries: Option<u32>) -> (Arc<Watched>, Arc<Seen>) {
        let inner = connect::DuckDbConnection::open(":memory:").expect("duckdb");
        inner.execute_batch("CREATE TABLE orders AS SELECT range AS order_id, 'complete' AS status FROM range(10)").expect("table");
        let seen = Arc::new(Seen::default());
        let pause = std::time::Duration::from_millis(pause_ms);
        (Arc::new(Watched { inner, seen: Arc::clone(&seen), pause, max_queries, max_queries_per_user: None }), seen)
    }
}

impl Connection for Watched {
    fn dialect(&self) -> &'static str {
        self.inner.dialect()
    }

    fn stream(&self, sql: &str, cancel: &connect::Cancel, sink: &mut connect::Sink) -> Result<(), connect::ConnectError> {
        self.seen.runs.fetch_add(1, SeqCst);
        let now = self.seen.running.fetch_add(1, SeqCst) + 1;
        self.seen.peak.fetch_max(now, SeqCst);
        std::thread::sleep(self.pause);
        let outcome = self.inner.stream(sql, cancel, sink);
        self.seen.running.fetch_sub(1, SeqCst);
        outcome
    }

    fn execute_batch(&self, sql: &str) -> Result<(), connect::ConnectError> {
        self.inner.execute_batch(sql)
    }

    fn max_queries(&self) -> Option<u32> {
        self.max_queries
    }

    fn max_queries_per_user(&self) -> Option<u32> {
        self.max_queries_per_user
    }
}

/// Four identical tasks in flight at once reach the database once and all get the result.
#[tokio::test]
async fn identical_queries_in_flight_run_once() {
    let (connection, seen) = Watched::new(400, None);
    let f = common::fixture_configured(connection, engine::EngineConfig { workers: 4, ..Default::default() }).await;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (_, _, body) = f.call("POST", "/api/4.0/query_tasks", &format!(r#"{{"query_id":"{}","result_format":"json"}}"#, f.query)).await;
        tasks.push(json(&body)["id"].as_str().unwrap_or_default().to_string());
    }
    for task in &tasks {
        let done = f.wait(&format!("/api/4.0/query_tasks/{task}"), &["complete", "error"]).await;
        assert_eq!(done["status"], "complete", "{done}");
        let (_, _, body) = f.call("GET", &format!("/api/4.0/query_tasks/{task}/results"), "").await;
        assert_eq!(json(&body), serde_json::json!([{"orders.status": "complete", "orders.count": 10}]));
    }
    assert_eq!(seen.runs.load(SeqCst), 1, "the database ran the query once");
    // Once finished, the same query is served from the result cache; `cache=false` runs it again.
    let body = format!(r#"{{"query_id":"{}","result_format":"json"}}"#, f.query);
    for (uri, source, runs) in [("/api/4.0/query_tasks", "cache", 1), ("/api/4.0/query_tasks?cache=false", "query", 2)] {
        let (_, _, created) = f.call("POST", uri, &body).await;
        let again = json(&created)["id"].as_str().unwrap_or_default().to_string();
        let done = f.wait(&format!("/api/4.0/query_tasks/{again}"), &["complete", "error"]).await;
        assert_eq!((done["status"].as_str(), done["result_source"].as_str()), (Some("complete"), Some(source)), "{uri}: {done}");
        assert!(done["cache_key"].as_str().is_some_and(|k| k.len() == 64), "{done}");
        assert_eq!(seen.runs.load(SeqCst), runs, "{uri}");
    }
    // What Prometheus scrapes says the same, without logging in.
    let request = axum::http::Request::builder().uri("/metrics").body(axum::body::Body::empty()).expect("request");
    let response = tower::ServiceExt::oneshot(f.app.clone(), request).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let text = String::from_utf8(axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body").to_vec()).expect("text");
    for line in [
        "sightline_shared_runs_total 3",
        "sightline_tasks_finished_total{kind=\"query\",outcome=\"success\"} 6",
        "sightline_tasks_queued{kind=\"query\"} 0",
        "sightline_tasks_running{kind=\"query\"} 0",
        "sightline_task_seconds_count{kind=\"query\"} 6",
        "sightline_result_cache_requests_total{outcome=\"hit\"} 1",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }
}

/// A connection limited to two statements at once (Looker's `max_queries`) never runs more,
/// however many workers and tasks there are, and every task still completes.
#[tokio::test]
async fn a_connection_runs_at_most_max_queries_statements_at_once() {
    let (connection, seen) = Watched::new(60, Some(2));
    let f = common::fixture_configured(connection, engine::EngineConfig { workers: 4, ..Default::default() }).await;
    let mut tasks = Vec::new();
    for limit in 1..=12 {
        // Distinct row limits: distinct SQL, so no two runs are shared.
        let uri = format!("/api/4.0/query_tasks?limit={limit}");
        let (_, _, body) = f.call("POST", &uri, &format!(r#"{{"query_id":"{}","result_format":"json"}}"#, f.query)).await;
        tasks.push(json(&body)["id"].as_str().unwrap_or_default().to_string());
    }
    for task in &tasks {
        assert_eq!(f.wait(&format!("/api/4.0/query_tasks/{task}"), &["complete", "error"]).await["status"], "complete");
    }
    assert_eq!(seen.runs.load(SeqCst), 12);
    assert_eq!(seen.peak.load(SeqCst), 2, "at most max_queries at once, and the limit is used");
    let (_, _, body) = f.call("GET", "/api/4.0/connections/thelook", "").await;
    assert_eq!(json(&body)["max_queries"], 2);
}

/// A task waiting for its connection's `max_queries` says `pending`, then runs and completes.
#[tokio::test]
async fn a_task_waiting_for_its_connection_is_pending() {
    let (connection, seen) = Watched::new(400, Some(1));
    let f = common::fixture_configured(connection, engine::EngineConfig { workers: 4, ..Default::default() }).await;
    let body = format!(r#"{{"query_id":"{}","result_format":"json"}}"#, f.query);
    let (_, _, first) = f.call("POST", "/api/4.0/query_tasks?limit=1", &body).await;
    let (_, _, second) = f.call("POST", "/api/4.0/query_tasks?limit=2", &body).await;
    let (first, second) =
        (json(&first)["id"].as_str().unwrap_or_default().to_string(), json(&second)["id"].as_str().unwrap_or_default().to_string());
    let mut statuses = Vec::new();
    for _ in 0..200 {
        let status =
            json(&f.call("GET", &format!("/api/4.0/query_tasks/{second}"), "").await.2)["status"].as_str().unwrap_or_default().to_string();
        if statuses.last() != Some(&status) {
            statuses.push(status.clone());
        }
        if status == "complete" || status == "error" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(statuses.contains(&"pending".to_string()) && statuses.last().map(String::as_str) == Some("complete"), "{statuses:?}");
    assert_eq!(f.wait(&format!("/api/4.0/query_tasks/{first}"), &["complete", "error"]).await["status"], "complete");
    assert_eq!(seen.peak.load(SeqCst), 1);
}

/// A `deferred` task waits, untouched by the database, until its results are asked for.
#[tokio::test]
async fn a_deferred_task_runs_once_its_results_are_asked_for() {
    let (connection, seen) = Watched::new(0, None);
    let f = common::fixture_configured(connection, engine::EngineConfig { workers: 2, ..Default::default() }).await;
    let (status, _, body) =
        f.call("POST", "/api/4.0/query_tasks", &format!(r#"{{"query_id":"{}","result_format":"json","deferred":true}}"#, f.query)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let task = json(&body)["id"].as_str().unwrap_or_default().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (_, _, body) = f.call("GET", &format!("/api/4.0/query_tasks/{task}"), "").await;
    assert_eq!(json(&body)["status"], "added");
    let (_, _, body) = f.call("GET", "/api/4.0/running_queries", "").await;
    assert_eq!(json(&body)[0]["message"], "deferred: it runs once its results are asked for", "{}", json(&body));
    assert_eq!(seen.runs.load(SeqCst), 0, "not run before it is asked for");
    assert_eq!(f.call("GET", &format!("/api/4.0/query_tasks/{task}/results"), "").await.0, StatusCode::ACCEPTED);
    assert_eq!(f.wait(&format!("/api/4.0/query_tasks/{task}"), &["complete", "error"]).await["status"], "complete");
    let (status, _, body) = f.call("GET", &format!("/api/4.0/query_tasks/{task}/results"), "").await;
    assert_eq!((status, json(&body)), (StatusCode::OK, serde_json::json!([{"orders.status": "complete", "orders.count": 10}])));
    assert_eq!(seen.runs.load(SeqCst), 1);
}

/// `max_queries_per_user: 1`: one statement per user at once, two users side by side.
#[tokio::test]
async fn each_user_runs_at_most_max_queries_per_user_statements_at_once() {
    let (watched, seen) = Watched::new(150, None);
    let mut connection = Arc::into_inner(watched).expect("one owner");
    connection.max_queries_per_user = Some(1);
    let f = common::fixture_configured(Arc::new(connection), engine::EngineConfig { workers: 4, ..Default::default() }).await;
    let other = f.store.create_user("Other", "User", None).await.expect("user");
    let mut tasks = Vec::new();
    for limit in 1..=6 {
        let user = if limit % 2 == 0 { f.user } else { other };
        let options = store::QueryTaskOptions { row_limit: Some(limit.to_string()), ..Default::default() };
        tasks.push(f.store.create_query_task(f.query, user, "json", &options).await.expect("task").id);
    }
    for task in &tasks {
        assert_eq!(f.wait(&format!("/api/4.0/query_tasks/{task}"), &["complete", "error"]).await["status"], "complete");
    }
    assert_eq!(seen.runs.load(SeqCst), 6);
    assert_eq!(seen.peak.load(SeqCst), 2, "one per user at once, both users at once");
}
