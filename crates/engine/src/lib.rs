//! The task engine: turns saved queries into results and images, now (`run`) or in the
//! background (query tasks and render tasks share one queue and one worker pool).
//!
//! It wires the library crates together — semantic model, SQL compiler, connection, formatter,
//! renderer, store — and knows nothing of HTTP.

mod cache;
mod chart_cache;
mod connections;
mod drawings;
mod error;
mod lookml_dashboards;
mod memory;
mod metrics;
mod pdt;
mod query_body;
mod run;
mod running;
mod shutdown;
mod tasks;
mod timings;

use std::collections::HashMap;
use std::sync::Arc;

use connect::Connection;
use semantic::Catalog;
use store::Store;

pub use cache::{Answer, CacheUse, ResultSource};
pub use connect::is_plain_schema_name;
pub use connections::{ListedConnection, ServerDefinition, API_DIALECTS};
pub use error::EngineError;
pub use lookml_dashboards::{LookmlDashboardView, TileSource};
pub use memory::{MemoryBudget, DEFAULT_MAX_RESULT_MEMORY};
pub use metrics::Metrics;
pub use query_body::QueryBody;
pub use run::{run_compiled, Output, UserAttributes};
pub use running::RunningQuery;
pub use shutdown::Stopped;
pub use tasks::Image;
pub use timings::Timings;

/// How many tasks run at once (queries and renders together).
pub const DEFAULT_WORKERS: usize = 4;
/// The largest formatted result, unless configured.
pub const DEFAULT_MAX_RESULT_BYTES: usize = 512 << 20;

/// How the engine runs.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Tasks run at once (queries and renders together).
    pub workers: usize,
    /// The largest formatted result of one query, run now or by a task; a larger one stops
    /// being written when it passes the limit and fails with a message naming it.
    pub max_result_bytes: usize,
    /// How often datagroup `sql_trigger`s are run (Looker checks every five minutes).
    pub datagroup_poll: std::time::Duration,
    /// How long a claimed task stays this process's without a renewal (renewed every third of
    /// it); when a process dies, its running tasks are taken over once this has passed.
    pub task_lease: std::time::Duration,
    /// Bytes of rows all runs in flight may hold at once (see `memory.rs`).
    pub max_result_memory: u64,
}

/// Task leases last this long, unless configured.
pub const DEFAULT_TASK_LEASE: std::time::Duration = std::time::Duration::from_secs(30);

/// Datagroup triggers are run this often, unless configured.
pub const DEFAULT_DATAGROUP_POLL: std::time::Duration = std::time::Duration::from_secs(300);

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            workers: DEFAULT_WORKERS,
            max_result_bytes: DEFAULT_MAX_RESULT_BYTES,
            datagroup_poll: DEFAULT_DATAGROUP_POLL,
            task_lease: DEFAULT_TASK_LEASE,
            max_result_memory: DEFAULT_MAX_RESULT_MEMORY,
        }
    }
}

#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    catalog: Catalog,
    connections: connections::Connections,
    store: Store,
    /// This process's name on the leases of the tasks it claims.
    owner: String,
    /// Wakes an idle worker: a task is waiting.
    wake: tokio::sync::Notify,
    config: EngineConfig,
    /// Queries running now, by everything that determines their output (see `run_once`).
    in_flight: std::sync::Mutex<HashMap<String, run::InFlight>>,
    /// Query tasks running in this process, to be told when they are killed.
    running: Arc<running::RunningTasks>,
    /// Datagroup trigger values, as last read.
    triggers: cache::Triggers,
    /// The rows charts drew, while fresh (see `chart_cache.rs`).
    chart_cache: chart_cache::ChartCache,
    /// `sql_trigger_value`s of persistent derived tables, as last read.
    sql_triggers: pdt::SqlTriggers,
    /// One build at a time of each persistent derived table.
    pdt_locks: pdt::BuildLocks,
    /// Set by [`Engine::shutdown`]: workers take no more tasks.
    stopping: std::sync::atomic::AtomicBool,
    /// Tasks a worker is running now, and the signal that they have all ended.
    active: std::sync::atomic::AtomicUsize,
    idle: tokio::sync::Notify,
    metrics: Metrics,
    /// The rows runs in flight hold, bounded.
    memory: Arc<MemoryBudget>,
}

impl Engine {
    /// Starts the engine and its workers on the current tokio runtime, with the config's
    /// connections and those stored through the API. Tasks waiting in the store are claimed by
    /// the workers, oldest first; tasks of a process that died run again once their lease has
    /// expired (see `store::queue`).
    pub async fn start(
        catalog: Catalog,
        connections: HashMap<String, Arc<dyn Connection>>,
        store: Store,
        config: EngineConfig,
    ) -> Result<Engine, EngineError> {
        let connections = connections::Connections::from_config(connections);
        let workers = config.workers.max(1);
        let datagroup_poll = config.datagroup_poll;
        let owner = format!("{}-{}", std::process::id(), store::random_id());
        let memory = MemoryBudget::new(config.max_result_memory);
        let metrics = Metrics::default();
        metrics.watch_memory(&memory);
        let engine = Engine {
            inner: Arc::new(Inner {
                catalog,
                connections,
                store,
                owner,
                wake: Default::default(),
                config,
                in_flight: Default::default(),
                running: Default::default(),
                triggers: Default::default(),
                chart_cache: Default::default(),
                sql_triggers: Default::default(),
                pdt_locks: Default::default(),
                stopping: Default::default(),
                active: Default::default(),
                idle: Default::default(),
                metrics,
                memory,
            }),
        };
        engine.open_stored_connections().await?;
        engine.expire_leases().await;
        tasks::spawn_workers(engine.clone(), workers);
        tasks::spawn_lease_keeper(engine.clone());
        tasks::spawn_sweeper(engine.store().clone());
        cache::spawn_trigger_poller(engine.clone(), datagroup_poll);
        Ok(engine)
    }

    /// Runs `SELECT 1` on a connection, off the async threads: what `PUT /connections/{name}/test`
    /// reports.
    pub async fn test_connection(&self, name: &str) -> Result<(), EngineError> {
        let connection = self.connection(name).ok_or_else(|| EngineError::NoConnection(name.to_string()))?;
        tokio::task::spawn_blocking(move || connection.query("SELECT 1", vec![result::ColumnInfo::plain("one", result::ValueType::Number)]))
            .await
            .map_err(|e| EngineError::Internal(e.to_string()))?
            .map(|_| ())
            .map_err(|e| EngineError::Database(e.to_string()))
    }

    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }
}
