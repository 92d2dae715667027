//! The queue in the store: two engines on one metadata database run every task exactly once; a
//! shutdown that cannot wait for a task puts it back, cancels its statement, and the next start
//! on the same metadata database runs it to completion; one that can wait lets it finish. Each
//! runs on SQLite (a file) and on PostgreSQL (a scratch database).

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;
use std::time::Duration;

use connect::{Cancel, ConnectError, Connection, DuckDbConnection};
use sightline_engine::{Engine, EngineConfig, Stopped};

/// DuckDB with a small `orders` table; while `hold` is set, a statement waits for a cancel (up
/// to 30 s) before it runs. Every statement is noted.
struct Held {
    inner: DuckDbConnection,
    hold: AtomicBool,
    cancelled: AtomicUsize,
    statements: std::sync::Mutex<Vec<String>>,
}

impl Held {
    fn new(hold: bool) -> Arc<Held> {
        let inner = DuckDbConnection::open(":memory:").expect("duckdb");
        inner
            .execute_batch("CREATE TABLE orders AS SELECT range AS id, 'complete' AS status, range AS user_id, TIMESTAMP '2024-01-01' AS created_at FROM range(3)")
            .expect("table");
        Arc::new(Held { inner, hold: AtomicBool::new(hold), cancelled: AtomicUsize::new(0), statements: Default::default() })
    }
}

impl Connection for Held {
    fn dialect(&self) -> &'static str {
        "duckdb"
    }

    fn stream(&self, sql: &str, cancel: &Cancel, sink: &mut connect::Sink) -> Result<(), ConnectError> {
        self.statements.lock().expect("statements").push(sql.to_string());
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
    store.query_task(id).await.expect("read").expect("task").status.to_string()
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

/// Which database the metadata goes to.
#[derive(Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A metadata database of its own, an admin and a saved query.
struct Metadata {
    url: String,
    /// SQLite's folder, removed at the end.
    dir: Option<std::path::PathBuf>,
    store: store::Store,
    user: i64,
    query: i64,
}

impl Drop for Metadata {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// `None` when PostgreSQL is wanted and absent outside CI (the skip is reported).
async fn metadata(name: &str, backend: Backend) -> Option<Metadata> {
    let (url, dir) = match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("sightline-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("dir");
            (format!("sqlite://{}", dir.join("meta.db").display()), Some(dir))
        }
        Backend::Postgres => (store::testing::scratch_postgres_url().await?, None),
    };
    let store = store::Store::connect(&url).await.expect("store");
    let creds = store.ensure_admin(None).await.expect("admin").expect("generated");
    let user = store.verify_api3(&creds.client_id, &creds.client_secret).await.expect("verify").expect("user");
    let query =
        store.save_query(r#"{"model":"thelook","view":"orders","fields":["orders.status","orders.count"]}"#).await.expect("query").id;
    Some(Metadata { url, dir, store, user, query })
}

/// Each named `async fn(Backend)` as a test on SQLite and one on PostgreSQL.
macro_rules! on_both_databases {
    ($($name:ident),*) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Postgres).await
                }
            )*
        }
    };
}

on_both_databases!(
    two_engines_on_one_store_run_every_task_exactly_once,
    tasks_running_at_shutdown_run_at_the_next_start,
    a_kill_reaches_the_process_running_the_task
);

async fn two_engines_on_one_store_run_every_task_exactly_once(backend: Backend) {
    let Some(Metadata { ref url, ref store, user, query, .. }) = metadata("two-engines", backend).await else { return };
    let db = Held::new(false);
    let second_store = store::Store::connect(url).await.expect("store");
    let (a, b) = (start(&db, store).await, start(&db, &second_store).await);
    let mut tasks = Vec::new();
    for limit in 1..=200 {
        // Distinct limits: distinct statements, none shared or cached.
        let options = store::QueryTaskOptions { row_limit: Some(limit.to_string()), ..Default::default() };
        let engine = if limit % 2 == 0 { &a } else { &b };
        tasks.push(engine.submit_query_task(query, user, format::ResultFormat::Json, &options).await.expect("task").id);
    }
    for id in &tasks {
        until(store, id, "complete").await;
    }
    let statements = db.statements.lock().expect("statements").clone();
    assert_eq!(statements.len(), 200, "each task ran once");
    let distinct: std::collections::HashSet<&String> = statements.iter().collect();
    assert_eq!(distinct.len(), 200);
}

async fn tasks_running_at_shutdown_run_at_the_next_start(backend: Backend) {
    let Some(Metadata { ref store, user, query, .. }) = metadata("shutdown", backend).await else { return };
    let db = Held::new(true);

    let engine = start(&db, store).await;
    let options = store::QueryTaskOptions { use_cache: true, ..Default::default() };
    let running = engine.submit_query_task(query, user, format::ResultFormat::Json, &options).await.expect("task");
    let waiting = engine.submit_query_task(query, user, format::ResultFormat::Csv, &options).await.expect("task");
    until(store, &running.id, "running").await;
    let stopped = engine.shutdown(Duration::from_millis(200)).await.expect("shutdown");
    assert_eq!(stopped, Stopped { requeued: 1 });
    assert_eq!(status_of(store, &running.id).await, "added", "put back to run again");
    assert_eq!(status_of(store, &waiting.id).await, "added", "never taken");
    for _ in 0..100 {
        if db.cancelled.load(SeqCst) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(db.cancelled.load(SeqCst), 1, "its statement was cancelled");

    db.hold.store(false, SeqCst);
    let engine = start(&db, store).await;
    until(store, &running.id, "complete").await;
    until(store, &waiting.id, "complete").await;
    // With nothing left running, a shutdown waits for nobody.
    assert_eq!(engine.shutdown(Duration::from_secs(5)).await.expect("shutdown"), Stopped::default());
}

/// A kill answered by one process stops the task another process is running: its worker learns of
/// it at its next lease renewal and leaves the run, which cancels the statement.
async fn a_kill_reaches_the_process_running_the_task(backend: Backend) {
    let Some(Metadata { ref url, ref store, user, query, .. }) = metadata("kill-elsewhere", backend).await else { return };
    let db = Held::new(true);
    let connections = || -> HashMap<String, Arc<dyn Connection>> { [("thelook".to_string(), db.clone() as Arc<dyn Connection>)].into() };
    let config = EngineConfig { workers: 1, task_lease: Duration::from_millis(300), ..Default::default() };
    let runner = Engine::start(catalog(), connections(), store.clone(), config.clone()).await.expect("engine");
    let task = runner.submit_query_task(query, user, format::ResultFormat::Json, &Default::default()).await.expect("task");
    until(store, &task.id, "running").await;
    let other_store = store::Store::connect(url).await.expect("store");
    let other = Engine::start(catalog(), connections(), other_store, config).await.expect("engine");
    other.kill_query_task(&task.id).await.expect("kill");
    for _ in 0..200 {
        if db.cancelled.load(SeqCst) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(db.cancelled.load(SeqCst), 1, "the running process cancelled its statement");
    assert_eq!(status_of(store, &task.id).await, "killed");
}
