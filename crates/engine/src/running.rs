//! The query tasks not finished yet, as `GET /running_queries` lists them, and killing one.
//!
//! A kill ends the task `killed` in the store first (so no worker starts it and no late result
//! replaces the state), then wakes the worker running it, which stops waiting for its query.
//! The statement itself is cancelled in the database when nobody else waits for it: identical
//! queries in flight share one statement (`run.rs`), and killing one task must not fail the
//! others.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use store::QueryTaskStatus;
use tokio::sync::Notify;

use crate::{Engine, EngineError};

/// The query tasks this process is running, each with the signal that tells its worker it was
/// killed.
#[derive(Default)]
pub(crate) struct RunningTasks {
    tasks: Mutex<HashMap<String, Arc<Notify>>>,
}

impl RunningTasks {
    /// Registers task `id` until the guard is dropped; the guard's [`Killed::wait`] ends when the
    /// task is killed (also when that happened before the wait began).
    pub(crate) fn register(self: &Arc<Self>, id: &str) -> Killed {
        let signal = Arc::new(Notify::new());
        self.tasks.lock().unwrap_or_else(PoisonError::into_inner).insert(id.to_string(), Arc::clone(&signal));
        Killed { tasks: Arc::clone(self), id: id.to_string(), signal }
    }

    pub(crate) fn kill(&self, id: &str) {
        if let Some(signal) = self.tasks.lock().unwrap_or_else(PoisonError::into_inner).get(id) {
            signal.notify_one();
        }
    }
}

/// A running task's kill signal.
pub(crate) struct Killed {
    tasks: Arc<RunningTasks>,
    id: String,
    signal: Arc<Notify>,
}

impl Killed {
    pub(crate) async fn wait(&self) {
        self.signal.notified().await
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        self.tasks.tasks.lock().unwrap_or_else(PoisonError::into_inner).remove(&self.id);
    }
}

/// A query task not finished yet, with where it stands.
#[derive(Debug, Clone)]
pub struct RunningQuery {
    pub task: store::QueryTaskRow,
    /// The connection, dialect and SQL it runs (absent when its query no longer compiles).
    pub connection: Option<String>,
    pub dialect: Option<&'static str>,
    pub sql: Option<String>,
    /// Seconds since it started running.
    pub runtime: Option<f64>,
    /// Where it waits, or that it runs: `queued behind 3 older query task(s) …`, `waiting for …`.
    pub message: String,
}

impl Engine {
    /// Kills query task `id`: it ends `killed` at once, and its statement is cancelled in the
    /// database unless an identical query of another caller shares it.
    pub async fn kill_query_task(&self, id: &str) -> Result<(), EngineError> {
        let task = self.store().query_task(id).await?.ok_or_else(|| EngineError::NotFound { what: "query task", id: id.to_string() })?;
        let message = format!("the query task was killed (DELETE /running_queries/{id}) while it was {}", task.status);
        if !self.store().kill_query_task(id, &message).await? {
            let status = self.store().query_task(id).await?.map(|t| t.status).unwrap_or(task.status);
            return Err(EngineError::NotRunning { id: id.to_string(), status: status.as_str().to_string() });
        }
        self.inner.metrics.killed();
        self.inner.running.kill(id);
        tracing::info!(task = id, "query task killed");
        Ok(())
    }

    /// The query tasks waiting or running, oldest first.
    pub async fn running_queries(&self) -> Result<Vec<RunningQuery>, EngineError> {
        let tasks = self.store().active_query_tasks().await?;
        let now = jiff::Timestamp::now();
        let mut ahead = 0;
        let mut listed = Vec::with_capacity(tasks.len());
        for task in tasks {
            let compiled = match self.saved_query(task.query_id).await {
                Ok(query) => match self.attributes_for(&query.model, Some(task.user_id)).await {
                    Ok(attributes) => self.compile_for(&query, task.row_limit.as_deref(), &attributes).ok(),
                    Err(_) => None,
                },
                Err(_) => None,
            };
            let connection = compiled.as_ref().map(|c| c.connection.clone());
            let dialect = connection.as_deref().and_then(|c| self.connection(c)).map(|c| c.dialect());
            let on = connection.as_deref().unwrap_or("?");
            let message = match task.status {
                QueryTaskStatus::Added if task.deferred => "deferred: it runs once its results are asked for".to_string(),
                QueryTaskStatus::Added => {
                    ahead += 1;
                    format!(
                        "queued behind {} older query task(s) (users with fewer tasks running go first), {} worker(s)",
                        ahead - 1,
                        self.inner.config.workers.max(1)
                    )
                }
                QueryTaskStatus::Pending => {
                    let connection = self.connection(on);
                    let limit = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_else(|| "no limit".into());
                    format!(
                        "waiting for its turn on connection `{on}`: max_queries {}, max_queries_per_user {}",
                        limit(connection.as_ref().and_then(|c| c.max_queries())),
                        limit(connection.as_ref().and_then(|c| c.max_queries_per_user()))
                    )
                }
                _ => format!("running on connection `{on}`"),
            };
            let runtime = task
                .started_at
                .as_deref()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .map(|started| now.duration_since(started).as_secs_f64().max(0.0));
            listed.push(RunningQuery { sql: compiled.map(|c| c.shown_sql()), connection, dialect, runtime, message, task });
        }
        Ok(listed)
    }
}
