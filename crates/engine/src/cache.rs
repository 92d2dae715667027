//! The result cache, as Looker runs it: a query's formatted result is stored under a key made
//! of everything that determines its bytes (the format, the compiled statements — SQL, totals,
//! pivot, fill — and where the connection points), and served again while its explore's cache
//! policy (`persist_for`, `persist_with` a datagroup, else an hour) says it is fresh.
//!
//! Datagroup triggers: an `interval_trigger` changes value at every multiple of its interval; a
//! `sql_trigger` is run on the model's connection when first needed and then every
//! `EngineConfig::datagroup_poll` (Looker's "PDT and datagroup maintenance schedule"); a result
//! stored under another trigger value is stale. Trigger values are kept in this process.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use format::ResultFormat;
use semantic::{CachePolicy, Datagroup};
use sql::CompiledQuery;

use crate::run::Output;
use crate::timings::Timings;
use crate::{Engine, EngineError, QueryBody};

/// What a request lets the caches do: the result cache, and the persistent derived tables
/// (`pdt.rs`) that are caches of derived tables. Every run stores its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheUse {
    /// `cache`: serve a fresh cached result when there is one (Looker's default).
    pub read: bool,
    /// `cache_only`: serve any cached result, even a stale one; with none, run the query.
    pub only: bool,
    /// `rebuild_pdts`: build the persistent derived tables the query reads again first.
    pub rebuild_pdts: bool,
}

impl Default for CacheUse {
    fn default() -> Self {
        CacheUse { read: true, only: false, rebuild_pdts: false }
    }
}

/// Where a result came from, in Looker's words (`QueryTask.result_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultSource {
    Query,
    Cache,
}

impl ResultSource {
    pub fn name(self) -> &'static str {
        match self {
            ResultSource::Query => "query",
            ResultSource::Cache => "cache",
        }
    }
}

/// A formatted result with where it came from and its cache key.
#[derive(Debug, Clone)]
pub struct Answer {
    pub output: Output,
    pub source: ResultSource,
    /// `None` for `result_format=sql`, which is never cached.
    pub cache_key: Option<String>,
}

/// Where a fresh result is stored, and how long it stays fresh.
#[derive(Debug, Clone)]
pub(crate) struct CacheSlot {
    pub key: String,
    pub trigger: Option<String>,
    pub max_age: Option<Duration>,
}

/// Trigger values by (model, datagroup).
pub(crate) type Triggers = std::sync::Mutex<HashMap<(String, String), String>>;

/// Seconds since 1970.
fn now_seconds() -> u64 {
    u64::try_from(jiff::Timestamp::now().as_second()).unwrap_or(0)
}

impl Engine {
    /// The cache slot of `compiled` for `query` kept as `kept` (a rendering's key for formatted
    /// results, another name for other things kept, such as chart rows), or an error when its
    /// datagroup's trigger cannot be read (the run then neither reads nor stores the cache).
    /// `described` is the compiled query's full description (its `Debug`), made once per run.
    pub(crate) async fn cache_slot(
        &self,
        query: &QueryBody,
        compiled: &CompiledQuery,
        described: &str,
        kept: &str,
    ) -> Result<CacheSlot, EngineError> {
        let policy = self.cache_policy(query);
        let connection = self.connection(&compiled.connection).map(|c| format!("{:?}", c.describe())).unwrap_or_default();
        let key = store::cache_key(&[kept.as_bytes(), compiled.connection.as_bytes(), connection.as_bytes(), described.as_bytes()]);
        let trigger = match &policy.datagroup {
            Some(group) => self.trigger_value(&query.model, group).await?,
            None => None,
        };
        Ok(CacheSlot { key, trigger, max_age: policy.max_age })
    }

    fn cache_policy(&self, query: &QueryBody) -> CachePolicy {
        let model = self.catalog().models.get(&query.model);
        match model.and_then(|m| Some((m, m.explore(&query.view)?))) {
            Some((model, explore)) => model.cache_policy(explore),
            None => CachePolicy { max_age: Some(Duration::ZERO), datagroup: None },
        }
    }

    /// The current value of a datagroup's trigger (`None` when it has none).
    pub(crate) async fn trigger_value(&self, model: &str, group: &Datagroup) -> Result<Option<String>, EngineError> {
        if let Some(interval) = group.interval_trigger {
            return Ok(Some(format!("interval:{}", now_seconds() / interval.as_secs().max(1))));
        }
        if group.sql_trigger.is_none() {
            return Ok(None);
        }
        let known =
            self.inner.triggers.lock().unwrap_or_else(PoisonError::into_inner).get(&(model.to_string(), group.name.clone())).cloned();
        match known {
            Some(value) => Ok(Some(value)),
            None => self.poll_trigger(model, group).await.map(Some),
        }
    }

    /// Runs a datagroup's `sql_trigger` on its model's connection and records the value.
    async fn poll_trigger(&self, model: &str, group: &Datagroup) -> Result<String, EngineError> {
        let sql = group.sql_trigger.clone().unwrap_or_default();
        let name = self.catalog().models.get(model).map(|m| m.connection.clone()).unwrap_or_default();
        let connection = self.connection(&name).ok_or_else(|| EngineError::NoConnection(name.clone()))?;
        let column = vec![result::ColumnInfo::plain("trigger", result::ValueType::String)];
        let rows = tokio::task::spawn_blocking(move || connection.query(&sql, column))
            .await
            .map_err(|e| EngineError::Internal(e.to_string()))?
            .map_err(|e| EngineError::Database(format!("datagroup `{}`'s sql_trigger: {e}", group.name)))?;
        let value = match rows.row_count() {
            0 => "no rows".to_string(),
            _ => rows.value(0, 0).to_text().unwrap_or_else(|| "NULL".into()),
        };
        let previous = self
            .inner
            .triggers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((model.to_string(), group.name.clone()), value.clone());
        if previous.as_ref().is_some_and(|p| *p != value) {
            tracing::info!(model, datagroup = %group.name, "datagroup triggered: results cached before are stale");
        }
        Ok(value)
    }

    /// A cached result `cache` allows serving for `slot`.
    pub(crate) async fn cached(&self, slot: &CacheSlot, cache: CacheUse, format: ResultFormat) -> Result<Option<Answer>, EngineError> {
        if !cache.read && !cache.only {
            return Ok(None);
        }
        let Some(hit) = self.store().cached_result(&slot.key).await? else { return Ok(None) };
        if !cache.only && !hit.is_fresh(slot.trigger.as_deref()) {
            return Ok(None);
        }
        self.inner.metrics.cache_hit();
        let output = Output { content_type: format.content_type(), body: hit.body, timings: Timings::default() };
        Ok(Some(Answer { output, source: ResultSource::Cache, cache_key: Some(slot.key.clone()) }))
    }

    /// Stores a fresh result; a failure is logged, not the run's.
    pub(crate) async fn store_in_cache(&self, slot: &CacheSlot, output: &Output) {
        let stored = self.store().cache_result(&slot.key, output.content_type, &output.body, slot.trigger.as_deref(), slot.max_age).await;
        if let Err(e) = stored {
            tracing::warn!(error = %e, "storing a result in the cache failed");
        }
    }
}

/// Polls every datagroup `sql_trigger` of the catalog every `every`, for as long as the runtime
/// runs (nothing is spawned when there are none).
pub(crate) fn spawn_trigger_poller(engine: Engine, every: Duration) {
    let groups: Vec<(String, Datagroup)> = engine
        .catalog()
        .models
        .values()
        .flat_map(|m| m.datagroups.values().filter(|g| g.sql_trigger.is_some()).map(|g| (m.name.clone(), g.clone())))
        .collect();
    if groups.is_empty() {
        return;
    }
    let groups = Arc::new(groups);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(every.max(Duration::from_millis(10)));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            for (model, group) in groups.iter() {
                if let Err(e) = engine.poll_trigger(model, group).await {
                    tracing::warn!(model, datagroup = %group.name, error = %e, "polling a datagroup trigger failed");
                }
            }
        }
    });
}
