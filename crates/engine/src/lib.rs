//! The task engine: turns saved queries into results and images, now (`run`) or in the
//! background (query tasks and render tasks share one queue and one worker pool).
//!
//! It wires the library crates together — semantic model, SQL compiler, connection, formatter,
//! renderer, store — and knows nothing of HTTP.

mod error;
mod query_body;
mod run;
mod tasks;

use std::collections::HashMap;
use std::sync::Arc;

use connect::Connection;
use semantic::Catalog;
use store::Store;
use tokio::sync::mpsc;

pub use error::EngineError;
pub use query_body::QueryBody;
pub use run::Output;

/// How many tasks run at once (queries and renders together).
pub const DEFAULT_WORKERS: usize = 4;

#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    catalog: Catalog,
    connections: HashMap<String, Arc<dyn Connection>>,
    store: Store,
    jobs: mpsc::UnboundedSender<tasks::Job>,
}

impl Engine {
    /// Starts the engine and its workers on the current tokio runtime. Tasks a previous process
    /// left unfinished are marked failed.
    pub async fn start(
        catalog: Catalog,
        connections: HashMap<String, Arc<dyn Connection>>,
        store: Store,
        workers: usize,
    ) -> Result<Engine, EngineError> {
        store.fail_interrupted_tasks().await?;
        let (jobs, receiver) = mpsc::unbounded_channel();
        let engine = Engine { inner: Arc::new(Inner { catalog, connections, store, jobs }) };
        tasks::spawn_workers(engine.clone(), receiver, workers.max(1));
        Ok(engine)
    }

    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }
}
