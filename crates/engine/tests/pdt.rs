//! Persistent derived tables across servers: two engines on one metadata store (SQLite in a
//! file, and PostgreSQL) and one warehouse, asked at the same moment for a query that needs a
//! PDT not built yet: one builds it, the other waits for that build and reads the same table.

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::time::Duration;

use connect::{Cancel, ConnectError, Connection, DuckDbConnection};
use sightline_engine::{CacheUse, Engine, EngineConfig, QueryBody};

const MODEL: &str = r#"connection: "thelook"
include: "*.view.lkml"
explore: facts {}
"#;

const VIEW: &str = r#"view: facts {
  derived_table: {
    sql: SELECT status, COUNT(*) AS n FROM orders GROUP BY status ;;
    persist_for: "1 hour"
  }
  dimension: status { primary_key: yes }
  dimension: n { type: number }
}
"#;

/// DuckDB with `orders`; a table built in it takes 300 ms, and is counted.
struct Slow {
    inner: DuckDbConnection,
    builds: AtomicUsize,
}

impl Connection for Slow {
    fn dialect(&self) -> &'static str {
        "duckdb"
    }

    fn stream(&self, sql: &str, cancel: &Cancel, sink: &mut connect::Sink) -> Result<(), ConnectError> {
        self.inner.stream(sql, cancel, sink)
    }

    fn execute_batch(&self, sql: &str) -> Result<(), ConnectError> {
        if sql.contains("CREATE TABLE") {
            self.builds.fetch_add(1, SeqCst);
            std::thread::sleep(Duration::from_millis(300));
        }
        self.inner.execute_batch(sql)
    }
}

fn catalog() -> semantic::Catalog {
    let dir = std::env::temp_dir().join(format!("sightline-pdt-project-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("shop.model.lkml"), MODEL).expect("model");
    std::fs::write(dir.join("facts.view.lkml"), VIEW).expect("view");
    let (project, diagnostics) = lookml::load_project(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let (catalog, more) = semantic::build_catalog(&project);
    assert!(more.is_empty(), "{more:?}");
    catalog
}

async fn two_servers_build_a_pdt_once(url: String) {
    let inner = DuckDbConnection::open(":memory:").expect("duckdb");
    inner.execute_batch("CREATE TABLE orders AS SELECT range AS id, 'complete' AS status FROM range(4)").expect("table");
    let db = Arc::new(Slow { inner, builds: AtomicUsize::new(0) });
    let connection = connect::Configured::wrap(db.clone(), None, Default::default(), Some("scratch"));
    let start = || async {
        let store = store::Store::connect(&url).await.expect("store");
        let connections: HashMap<String, Arc<dyn Connection>> = [("thelook".to_string(), Arc::clone(&connection))].into();
        Engine::start(catalog(), connections, store, EngineConfig { workers: 1, ..Default::default() }).await.expect("engine")
    };
    let (a, b) = (start().await, start().await);
    let query: QueryBody = serde_json::from_str(r#"{"model":"shop","view":"facts","fields":["facts.status","facts.n"]}"#).expect("query");
    let fresh = CacheUse { read: false, ..Default::default() };
    let run = |engine: &Engine| {
        let (engine, query) = (engine.clone(), query.clone());
        async move {
            engine.run(&query, format::ResultFormat::Csv, None, fresh, None).await.expect("run").output.body.read_all().await.expect("read")
        }
    };
    let (first, second) = tokio::join!(run(&a), run(&b));
    assert_eq!(String::from_utf8_lossy(&first), "Facts Status,Facts N\ncomplete,4\n");
    assert_eq!(first, second);
    assert_eq!(db.builds.load(SeqCst), 1, "one server built it; the other waited and read it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite() {
    let dir = std::env::temp_dir().join(format!("sightline-pdt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    two_servers_build_a_pdt_once(format!("sqlite://{}", dir.join("meta.db").display())).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres() {
    if let Some(url) = store::testing::scratch_postgres_url().await {
        two_servers_build_a_pdt_once(url).await;
    }
}
