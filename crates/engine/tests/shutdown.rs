//! A shutdown that cannot wait for a task puts it back, cancels its statement, and the next
//! start on the same metadata database runs it to completion; one that can wait lets it finish.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;
use std::time::Duration;

use connect::{Cancel, ConnectError, Connection, DuckDbConnection};
use sightline_engine::{Engine, EngineConfig, Stopped};

/// DuckDB with a small `orders` table; while `hold` is set, a statement waits for a cancel (up
/// to 30 s) before it runs.
struct Held {
    inner: DuckDbConnection,
    hold: AtomicBool,
    cancelled: AtomicUsize,
}

impl Connection for Held {
    fn dialect(&self) -> &'static str {
        "duckdb"
    }

    fn stream(&self, sql: &str, cancel: &Cancel, sink: &mut connect::Sink) -> Result<(), ConnectError> {
        if self.hold.load(SeqCst) {
            let (tell, told) = std::sync::mpsc::channel();
            let watch = cancel.watch(move || {
                let _ = tell.send(());
            })?;
            let cancelled = told.recv_timeout(Duration::from_secs(30)).is_ok();
            drop(watch);
            if cancelled {
                self.cancelled.fetch_add(1, SeqCst);
                return Err(ConnectError::Cancelled);
            }
        }
        self.inner.stream(sql, cancel, sink)
    }

    fn execute_batch(&self, sql: &str) -> Result<(), ConnectError> {
        self.inner.execute_batch(sql)
    }
}

fn catalog() -> semantic::Catalog {
    let (project, diagnostics) = lookml::load_project(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/thelook"));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    semantic::build_catalog(&project).0
}

async fn start(db: &Arc<Held>, store: &store::Store) -> Engine {
    let connections: HashMap<String, Arc<dyn Connection>> = [("thelook".to_string(), db.clone() as Arc<dyn Connection>)].into();
    Engine::start(catalog(), connections, store.clone(), EngineConfig { workers: 1, ..Default::default() }).await.expect("engine")
}

async fn status_of(store: &store::Store, id: &str) -> String {
    store.query_task(id).await.expect("read").expect("task").status
}

async fn until(store: &store::Store, id: &str, wanted: &str) {
    for _ in 0..500 {
        if status_of(store, id).await == wanted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("task {id} never reached {wanted}: {}", status_of(store, id).await);
}

#[tokio::test]
async fn tasks_running_at_shutdown_run_at_the_next_start() {
    let dir = std::env::temp_dir().join(format!("sightline-shutdown-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let store = store::Store::connect(&format!("sqlite://{}", dir.join("meta.db").display())).await.expect("store");
    let creds = store.ensure_admin(None).await.expect("admin").expect("generated");
    let user = store.verify_api3(&creds.client_id, &creds.client_secret).await.expect("verify").expect("user");
    let query =
        store.save_query(r#"{"model":"thelook","view":"orders","fields":["orders.status","orders.count"]}"#).await.expect("query").id;
    let inner = DuckDbConnection::open(":memory:").expect("duckdb");
    inner.execute_batch("CREATE TABLE orders AS SELECT range AS id, 'complete' AS status, range AS user_id, TIMESTAMP '2024-01-01' AS created_at FROM range(3)").expect("table");
    let db = Arc::new(Held { inner, hold: AtomicBool::new(true), cancelled: AtomicUsize::new(0) });

    let engine = start(&db, &store).await;
    let options = store::QueryTaskOptions { use_cache: true, ..Default::default() };
    let running = engine.submit_query_task(query, user, format::ResultFormat::Json, &options).await.expect("task");
    let waiting = engine.submit_query_task(query, user, format::ResultFormat::Csv, &options).await.expect("task");
    until(&store, &running.id, "running").await;
    let stopped = engine.shutdown(Duration::from_millis(200)).await.expect("shutdown");
    assert_eq!(stopped, Stopped { requeued: 1 });
    assert_eq!(status_of(&store, &running.id).await, "added", "put back to run again");
    assert_eq!(status_of(&store, &waiting.id).await, "added", "never taken");
    for _ in 0..100 {
        if db.cancelled.load(SeqCst) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(db.cancelled.load(SeqCst), 1, "its statement was cancelled");

    db.hold.store(false, SeqCst);
    let engine = start(&db, &store).await;
    until(&store, &running.id, "complete").await;
    until(&store, &waiting.id, "complete").await;
    // With nothing left running, a shutdown waits for nobody.
    assert_eq!(engine.shutdown(Duration::from_secs(5)).await.expect("shutdown"), Stopped::default());
    let _ = std::fs::remove_dir_all(&dir);
}
