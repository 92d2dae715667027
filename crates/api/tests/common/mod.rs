//! The demo app in process, for the API's integration tests.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use connect::{Connection, DuckDbConnection};
use serde_json::Value;
use sightline_api::{router, AppState};
use tower::ServiceExt;

pub struct Fixture {
    pub app: Router,
    pub engine: engine::Engine,
    pub store: store::Store,
    pub token: String,
    pub user: i64,
    pub query: i64,
}

/// The demo model over an empty in-memory DuckDB: queries compile, but their tables are missing.
pub async fn fixture() -> Fixture {
    fixture_with(Arc::new(DuckDbConnection::open(":memory:").expect("duckdb"))).await
}

/// The demo project's models.
pub fn demo_catalog() -> semantic::Catalog {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/thelook");
    let (project, diagnostics) = lookml::load_project(&root);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let (catalog, diagnostics) = semantic::build_catalog(&project);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    catalog
}

/// The demo model over `connection`, an admin logged in, one saved query.
pub async fn fixture_with(connection: Arc<dyn Connection>) -> Fixture {
    fixture_configured(connection, engine::EngineConfig { workers: 1, ..Default::default() }).await
}

/// As [`fixture_with`], with the engine configured.
pub async fn fixture_configured(connection: Arc<dyn Connection>, config: engine::EngineConfig) -> Fixture {
    fixture_catalog(demo_catalog(), connection, config).await
}

/// The models of LookML `files` (path, text), which must load without a diagnostic.
pub fn catalog_of(files: &[(&str, &str)]) -> semantic::Catalog {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("sightline-api-project-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    for (path, text) in files {
        std::fs::create_dir_all(dir.join(path).parent().expect("folder")).expect("mkdir");
        std::fs::write(dir.join(path), text).expect("write");
    }
    let (project, diagnostics) = lookml::load_project(&dir);
    let (catalog, more) = semantic::build_catalog(&project);
    let _ = std::fs::remove_dir_all(&dir);
    let rendered: Vec<String> = diagnostics.iter().chain(&more).map(|d| d.render(&project.sources)).collect();
    assert!(rendered.is_empty(), "{rendered:#?}");
    catalog
}

/// Nine orders (ids 0 to 8), every third `complete`, the rest `pending`.
#[allow(dead_code)]
pub const NINE_ORDERS: &str =
    "CREATE TABLE orders AS SELECT range AS id, CASE WHEN range % 3 = 0 THEN 'complete' ELSE 'pending' END AS status FROM range(9)";

/// The models of LookML `files` over an in-memory DuckDB made by `setup` (named `thelook`),
/// one worker.
#[allow(dead_code)]
pub async fn fixture_over(setup: &str, files: &[(&str, &str)]) -> Fixture {
    let db = connect::DuckDbConnection::open(":memory:").expect("duckdb");
    db.execute_batch(setup).expect("setup");
    fixture_catalog(catalog_of(files), Arc::new(db), engine::EngineConfig { workers: 1, ..Default::default() }).await
}

/// `catalog` over `connection` (named `thelook`), the engine configured.
pub async fn fixture_catalog(catalog: semantic::Catalog, connection: Arc<dyn Connection>, config: engine::EngineConfig) -> Fixture {
    let store = store::Store::in_memory().await.expect("store");
    let creds = store.ensure_admin(None).await.expect("admin").expect("generated");
    let user = store.verify_api3(&creds.client_id, &creds.client_secret).await.expect("verify").expect("user");
    let token = store.create_token(user, 3600).await.expect("token");
    let connections: HashMap<String, Arc<dyn Connection>> = [("thelook".to_string(), connection)].into();
    let engine = engine::Engine::start(catalog, connections, store.clone(), config).await.expect("engine");
    let query =
        store.save_query(r#"{"model":"thelook","view":"orders","fields":["orders.status","orders.count"]}"#).await.expect("query").id;
    let app = router(AppState { engine: engine.clone(), base_url: "http://test".into(), user_rates: None });
    Fixture { app, engine, store, token, user, query }
}

impl Fixture {
    /// Polls `GET uri` until its `status` is one of `done` (about five seconds at most); the last
    /// answer.
    pub async fn wait(&self, uri: &str, done: &[&str]) -> Value {
        let mut answer = Value::Null;
        for _ in 0..200 {
            answer = json(&self.call("GET", uri, "").await.2);
            if answer["status"].as_str().is_some_and(|s| done.contains(&s)) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        answer
    }

    pub async fn call(&self, method: &str, uri: &str, body: &str) -> (StatusCode, HashMap<String, String>, Vec<u8>) {
        self.call_as(&self.token, method, uri, body).await
    }

    /// `method uri` with `body`, as the holder of `token`.
    pub async fn call_as(&self, token: &str, method: &str, uri: &str, body: &str) -> (StatusCode, HashMap<String, String>, Vec<u8>) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("token {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request");
        let response = self.app.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let headers = response.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string())).collect();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        (status, headers, bytes.to_vec())
    }
}

pub fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}
