//! Compile → execute → format, for a query run now or by a task.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::Instant;

use futures_util::future::{BoxFuture, Shared};
use futures_util::FutureExt;

use connect::Cancel;
use format::{QueryContext, Rendering, ResultFormat};
use result::{ColumnInfo, QueryResult, ResultSet, Value, ValueType};
use sql::CompiledQuery;

use crate::cache::{Answer, CacheSlot, CacheUse, ResultSource};
use crate::memory::{OverBudget, Reservation};
use crate::metrics::Phase;
use crate::timings::Timings;
use crate::{Engine, EngineError, QueryBody};

/// A user's attribute values, by attribute name, as queries read them.
pub type UserAttributes = std::collections::BTreeMap<String, String>;

/// A query compiled only to be checked (without the attributes its model reads) never runs.
fn refuse_unchecked(compiled: &CompiledQuery) -> Result<(), EngineError> {
    match compiled.needs_user {
        true => Err(EngineError::Internal("a query compiled to be checked, without its user's attributes, was about to run".into())),
        false => Ok(()),
    }
}

/// A query running now, awaited by everyone who asked for it.
type SharedRun = Shared<BoxFuture<'static, Result<Arc<Output>, Arc<EngineError>>>>;

/// A run in flight: who waits for it, and how to stop its statement once nobody does.
pub(crate) struct InFlight {
    /// Tells this run from a later one with the same key.
    id: u64,
    run: SharedRun,
    cancel: Arc<Cancel>,
    waiters: usize,
}

/// One caller's wait for a run in flight. Dropped (the caller has its result, has gone, or its
/// task was killed), it leaves; the last to leave an unfinished run cancels its statement in the
/// database and drops the run.
struct Waiting {
    engine: Engine,
    key: String,
    id: u64,
}

impl InFlight {
    /// Stops the run's statement, whoever waits for it.
    pub(crate) fn cancel(&self) {
        self.cancel.cancel();
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let mut in_flight = self.engine.inner.in_flight.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(flight) = in_flight.get_mut(&self.key).filter(|f| f.id == self.id) else { return };
        flight.waiters -= 1;
        if flight.waiters == 0 {
            flight.cancel.cancel();
            in_flight.remove(&self.key);
        }
    }
}

/// Who a run is for: the query task it runs (which shows `pending` while it waits for its turn)
/// and the user whose `max_queries_per_user` it counts against.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Caller<'a> {
    pub task: Option<&'a str>,
    pub user: Option<i64>,
}

/// How a run's rows become bytes: the format with its options, and what the query was (for the
/// formats that describe it).
#[derive(Debug, Clone)]
struct Writing {
    rendering: Rendering,
    context: QueryContext,
}

/// A formatted result, ready to send.
#[derive(Debug, Clone)]
pub struct Output {
    pub content_type: &'static str,
    /// In memory, or spooled to a file when large.
    pub body: store::Payload,
    /// How long each phase of the run that made it took (the turn, database and format phases
    /// of a shared run are the same for every caller).
    pub timings: Timings,
}

impl Engine {
    /// Compiles `query` to check it, for nobody: fit to refuse a bad query, never to run (a
    /// model whose queries read user attributes compiles without them; see
    /// [`Engine::compile_for`]). `limit` (from the request) overrides the query's own.
    pub fn compile(&self, query: &QueryBody, limit: Option<&str>) -> Result<CompiledQuery, EngineError> {
        self.compile_reading(query, limit, Default::default(), None)
    }

    /// Compiles `query` to run for the user whose attributes are `attributes` (from
    /// [`Engine::attributes_for`]).
    pub fn compile_for(&self, query: &QueryBody, limit: Option<&str>, attributes: &UserAttributes) -> Result<CompiledQuery, EngineError> {
        self.compile_reading(query, limit, Default::default(), Some(attributes))
    }

    /// The attribute values `user`'s queries of `model` read (access filters, Liquid's
    /// `_user_attributes`): none are looked up for a model that reads none. A model that does
    /// cannot run a query for nobody.
    pub async fn attributes_for(&self, model: &str, user: Option<i64>) -> Result<UserAttributes, EngineError> {
        let reads = self.catalog().models.get(model).is_some_and(|m| m.reads_user_attributes);
        match (reads, user) {
            (false, _) => Ok(UserAttributes::default()),
            (true, Some(user)) => Ok(self.store().user_attribute_map(user).await?),
            (true, None) => Err(EngineError::Invalid {
                field: "model",
                message: format!("model `{model}` reads user attributes: its queries run only for a user"),
            }),
        }
    }

    /// [`Engine::compile`], reading the persistent derived tables in `persisted` (view → table),
    /// for the user with `attributes` (`None`: for nobody, only to check it).
    fn compile_reading(
        &self,
        query: &QueryBody,
        limit: Option<&str>,
        persisted: std::collections::BTreeMap<String, String>,
        attributes: Option<&UserAttributes>,
    ) -> Result<CompiledQuery, EngineError> {
        query.check_supported()?;
        let model = self.catalog().models.get(&query.model).ok_or_else(|| EngineError::UnknownModel(query.model.clone()))?;
        let connection = self.connection(&model.connection).ok_or_else(|| EngineError::NoConnection(model.connection.clone()))?;
        let spec = sql::QuerySpec { persisted, user_attributes: attributes.cloned(), ..query.spec_for(limit, connection.timezone())? };
        let dialect = sql::dialect_for(connection.dialect())
            .ok_or_else(|| EngineError::Internal(format!("no SQL dialect `{}`", connection.dialect())))?;
        Ok(sql::compile(model, &spec, dialect, query.now()?)?)
    }

    /// `query` compiled to read the persistent derived tables it needs, built first where they
    /// are missing or stale (or all of them, for `rebuild`).
    async fn compile_built(
        &self,
        query: &QueryBody,
        limit: Option<&str>,
        rebuild: bool,
        attributes: &UserAttributes,
    ) -> Result<CompiledQuery, EngineError> {
        let compiled = self.compile_for(query, limit, attributes)?;
        let catalog = self.catalog();
        let Some(model) = catalog.models.get(&query.model) else { return Ok(compiled) };
        let persisted = self.persisted_tables(model, &compiled, rebuild).await?;
        match persisted.is_empty() {
            true => Ok(compiled),
            false => self.compile_reading(query, limit, persisted, Some(attributes)),
        }
    }

    /// `compiled` carrying the query's vis options when `rendering` applies them (so they are
    /// part of its description: the cache and in-flight keys).
    pub(crate) fn with_vis(
        &self,
        mut compiled: CompiledQuery,
        query: &QueryBody,
        rendering: &Rendering,
    ) -> Result<CompiledQuery, EngineError> {
        if rendering.apply_vis {
            let vis = present::VisOptions::from_vis_config(query.vis_config.as_ref())
                .map_err(|message| EngineError::Invalid { field: "vis_config", message })?;
            compiled.vis = Some(vis);
        }
        Ok(compiled)
    }

    /// Runs the compiled query (and its totals and row-totals queries) on its connection, off
    /// the async threads, and pivots the rows when the query pivots. Its rows count against the
    /// memory budget while they are fetched.
    pub async fn execute(&self, compiled: &CompiledQuery, user: Option<i64>) -> Result<QueryResult, EngineError> {
        let memory = Arc::new(Reservation::new(&self.inner.memory));
        self.execute_for(compiled, Caller { task: None, user }, Arc::new(Cancel::new()), memory, &mut Timings::default()).await
    }

    /// Notes how long `phase` took, in the metrics and in `timings`.
    pub(crate) fn timed(&self, timings: &mut Timings, phase: Phase, seconds: f64) {
        self.inner.metrics.phase(phase, seconds);
        timings.set(phase, seconds);
    }

    /// As [`Engine::execute`], for `caller`: a query task waiting for its connection's
    /// `max_queries` (or its user's `max_queries_per_user`) is `pending`, then `running` again.
    /// `cancel` stops the statements; the rows are charged to `memory`.
    async fn execute_for(
        &self,
        compiled: &CompiledQuery,
        caller: Caller<'_>,
        cancel: Arc<Cancel>,
        memory: Arc<Reservation>,
        timings: &mut Timings,
    ) -> Result<QueryResult, EngineError> {
        refuse_unchecked(compiled)?;
        let waiting = Instant::now();
        let (connection, turn) = self
            .connection_to_run(&compiled.connection, caller.task, caller.user)
            .await
            .ok_or_else(|| EngineError::NoConnection(compiled.connection.clone()))?;
        self.timed(timings, Phase::Turn, waiting.elapsed().as_secs_f64());
        let compiled = compiled.clone();
        let running = Instant::now();
        // The turn goes with the statement: it is released when the database is done, even if
        // whoever waited for the result has gone.
        let result = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            run_compiled(connection.as_ref(), &compiled, &cancel, Some(&memory))
        })
        .await
        .map_err(|e| EngineError::Internal(e.to_string()))?;
        self.timed(timings, Phase::Database, running.elapsed().as_secs_f64());
        result
    }

    /// Runs `query` for `user` now (or serves it from the result cache, as `cache` allows) and
    /// formats the result.
    pub async fn run(
        &self,
        query: &QueryBody,
        rendering: impl Into<Rendering>,
        limit: Option<&str>,
        cache: CacheUse,
        user: Option<i64>,
    ) -> Result<Answer, EngineError> {
        self.run_for(query, rendering.into(), limit, cache, Caller { task: None, user }).await
    }

    /// As [`Engine::run`], for `caller` (a query task shows `pending` while its connection's
    /// statements are all taken).
    pub(crate) async fn run_for(
        &self,
        query: &QueryBody,
        rendering: Rendering,
        limit: Option<&str>,
        cache: CacheUse,
        caller: Caller<'_>,
    ) -> Result<Answer, EngineError> {
        let format = rendering.format;
        if let ResultFormat::NotYet(name) = format {
            return Err(format::FormatError::NotSupported(name).into());
        }
        let mut timings = Timings::default();
        let compiling = Instant::now();
        let attributes = self.attributes_for(&query.model, caller.user).await?;
        let compiled = match format {
            // The SQL of a query as it would run inline: asking for it builds nothing.
            ResultFormat::Sql => self.compile_for(query, limit, &attributes)?,
            _ => self.with_vis(self.compile_built(query, limit, cache.rebuild_pdts, &attributes).await?, query, &rendering)?,
        };
        self.timed(&mut timings, Phase::Compile, compiling.elapsed().as_secs_f64());
        if format == ResultFormat::Sql {
            let output = Output { content_type: format.content_type(), body: compiled.shown_sql().into_bytes().into(), timings };
            return Ok(Answer { output, source: ResultSource::Query, cache_key: None });
        }
        let looking = Instant::now();
        // Everything that determines the output, for the cache key and the in-flight key.
        let described = format!("{compiled:?}");
        // A datagroup trigger that cannot be read leaves the cache out of this run.
        let slot = match self.cache_slot(query, &compiled, &described, &rendering.key()).await {
            Ok(slot) => Some(slot),
            Err(e) => {
                tracing::warn!(error = %e, "the result cache is not used for this run");
                None
            }
        };
        if let Some(slot) = &slot {
            let hit = self.cached(slot, cache, format).await?;
            self.timed(&mut timings, Phase::Cache, looking.elapsed().as_secs_f64());
            if let Some(mut answer) = hit {
                answer.output.timings = timings;
                return Ok(answer);
            }
            if cache.read || cache.only {
                self.inner.metrics.cache_miss();
            }
        }
        let cache_key = slot.as_ref().map(|s| s.key.clone());
        let key = format!("{}\u{0}{described}", rendering.key());
        let context = self.query_context(query, &compiled, &rendering);
        let writing = Writing { rendering, context };
        let mut output = self.run_once(compiled, key, writing, caller.task.map(str::to_string), caller.user, slot).await?;
        timings.add(&output.timings);
        output.timings = timings;
        Ok(Answer { output, source: ResultSource::Query, cache_key })
    }

    /// Identical queries in flight (the same SQL, totals, pivot and fill on the same connection,
    /// in the same format) run once: later callers wait for the first one's result, which is
    /// stored in the cache once. When every caller has gone (clients disconnected, tasks
    /// killed), the statement is cancelled.
    /// `key` names the run: the format and the compiled query's description.
    async fn run_once(
        &self,
        compiled: CompiledQuery,
        key: String,
        writing: Writing,
        task: Option<String>,
        user: Option<i64>,
        slot: Option<CacheSlot>,
    ) -> Result<Output, EngineError> {
        static RUNS: AtomicU64 = AtomicU64::new(0);
        let (shared, _waiting) = {
            let mut in_flight = self.inner.in_flight.lock().unwrap_or_else(PoisonError::into_inner);
            let flight = match in_flight.entry(key.clone()) {
                std::collections::hash_map::Entry::Occupied(running) => {
                    self.inner.metrics.shared_run();
                    let running = running.into_mut();
                    running.waiters += 1;
                    running
                }
                std::collections::hash_map::Entry::Vacant(vacant) => {
                    let (engine, key_done, id) = (self.clone(), key.clone(), RUNS.fetch_add(1, Ordering::Relaxed));
                    let cancel = Arc::new(Cancel::new());
                    let cancel_run = Arc::clone(&cancel);
                    let run = async move {
                        let outcome = AssertUnwindSafe(engine.execute_and_format(
                            &compiled,
                            &writing,
                            Caller { task: task.as_deref(), user },
                            cancel_run,
                        ))
                        .catch_unwind()
                        .await
                        .unwrap_or_else(|_| Err(EngineError::Internal("running the query panicked".into())));
                        if let (Ok(output), Some(slot)) = (&outcome, &slot) {
                            engine.store_in_cache(slot, output).await;
                        }
                        let mut in_flight = engine.inner.in_flight.lock().unwrap_or_else(PoisonError::into_inner);
                        if in_flight.get(&key_done).is_some_and(|f| f.id == id) {
                            in_flight.remove(&key_done);
                        }
                        outcome.map(Arc::new).map_err(Arc::new)
                    };
                    vacant.insert(InFlight { id, run: run.boxed().shared(), cancel, waiters: 1 })
                }
            };
            (flight.run.clone(), Waiting { engine: self.clone(), key, id: flight.id })
        };
        match shared.await {
            Ok(output) => Ok(Output::clone(&output)),
            Err(e) => Err(e.reissue()),
        }
    }

    async fn execute_and_format(
        &self,
        compiled: &CompiledQuery,
        writing: &Writing,
        caller: Caller<'_>,
        cancel: Arc<Cancel>,
    ) -> Result<Output, EngineError> {
        let rendering = writing.rendering.clone();
        let plain = compiled.pivots.is_empty() && compiled.fills.is_empty() && compiled.table_calcs.is_empty() && compiled.vis.is_none();
        if plain && format::streams(rendering.format) {
            return self.stream_and_format(compiled, rendering, caller, cancel).await;
        }
        let started = Instant::now();
        let mut timings = Timings::default();
        // The rows count against the memory budget until they are formatted.
        let memory = Arc::new(Reservation::new(&self.inner.memory));
        let result = self.execute_for(compiled, caller, cancel, Arc::clone(&memory), &mut timings).await?;
        tracing::debug!(rows = result.table.row_count(), seconds = started.elapsed().as_secs_f64(), "query ran");
        let limit = self.inner.config.max_result_bytes;
        let formatting = Instant::now();
        let Writing { rendering, context } = writing.clone();
        let mut out = self.store().spool(limit);
        let body = tokio::task::spawn_blocking(move || {
            // Given back when formatting ends, even if whoever waited has gone.
            let _memory = memory;
            match format::write_result(&rendering, &result, &context, &mut out) {
                Ok(()) => out.finish().map_err(|e| EngineError::Internal(format!("spooling the result: {e}"))),
                Err(_) if out.is_over() => Err(EngineError::ResultTooLarge { limit }),
                Err(e) => Err(e.into()),
            }
        })
        .await
        .map_err(|e| EngineError::Internal(e.to_string()))??;
        self.timed(&mut timings, Phase::Format, formatting.elapsed().as_secs_f64());
        Ok(Output { content_type: writing.rendering.format.content_type(), body, timings })
    }

    /// An unpivoted query in a format written row by row: each batch the database sends is
    /// formatted as it arrives and dropped (charged to the memory budget only meanwhile), so no
    /// copy of the result's values exists; the phase `format` is the time spent writing.
    async fn stream_and_format(
        &self,
        compiled: &CompiledQuery,
        rendering: Rendering,
        caller: Caller<'_>,
        cancel: Arc<Cancel>,
    ) -> Result<Output, EngineError> {
        let mut timings = Timings::default();
        refuse_unchecked(compiled)?;
        let waiting = Instant::now();
        let (connection, turn) = self
            .connection_to_run(&compiled.connection, caller.task, caller.user)
            .await
            .ok_or_else(|| EngineError::NoConnection(compiled.connection.clone()))?;
        self.timed(&mut timings, Phase::Turn, waiting.elapsed().as_secs_f64());
        let compiled = compiled.clone();
        let memory = Reservation::new(&self.inner.memory);
        let spool = self.store().spool(self.inner.config.max_result_bytes);
        let running = Instant::now();
        let content_type = rendering.format.content_type();
        let (body, writing_seconds) = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            stream_compiled(connection.as_ref(), &compiled, rendering, &cancel, &memory, spool)
        })
        .await
        .map_err(|e| EngineError::Internal(e.to_string()))??;
        self.timed(&mut timings, Phase::Database, (running.elapsed().as_secs_f64() - writing_seconds).max(0.0));
        self.timed(&mut timings, Phase::Format, writing_seconds);
        Ok(Output { content_type, body, timings })
    }

    /// What the formats that describe the query (json_detail, json_bi) say of it.
    fn query_context(&self, query: &QueryBody, compiled: &CompiledQuery, rendering: &Rendering) -> QueryContext {
        let catalog = self.catalog();
        let explore = catalog.models.get(&query.model).and_then(|m| m.explore(&query.view));
        let database_zone = self.connection(&compiled.connection).map(|c| c.timezone().to_string());
        QueryContext {
            model: query.model.clone(),
            explore: query.view.clone(),
            explore_label: explore.map(|e| e.label.clone()).unwrap_or_default(),
            sql: compiled.shown_sql(),
            filters: query.filter_pairs().unwrap_or_default(),
            filter_expression: query.filter_expression.clone().filter(|e| !e.trim().is_empty()),
            fill_fields: query.fill_fields.clone().unwrap_or_default(),
            timezone: query.zone_name().ok().flatten().or(database_zone).unwrap_or_else(|| "UTC".into()),
            drill_links: rendering.drill_links.clone(),
        }
    }

    /// The saved query with this id.
    pub async fn saved_query(&self, id: i64) -> Result<QueryBody, EngineError> {
        let stored = self.store().query(id).await?.ok_or_else(|| EngineError::NotFound { what: "query", id: id.to_string() })?;
        serde_json::from_str(&stored.body).map_err(|e| EngineError::Internal(format!("saved query {id} is unreadable: {e}")))
    }
}

/// Fills a pivoted result's pivot columns and rows: the query's column positions become
/// positions among the pivots and among the rows' dimensions.
fn fill_pivoted(pivot: &mut result::PivotTable, compiled: &CompiledQuery) -> Result<(), result::fill::FillError> {
    let row_dims: Vec<usize> =
        (0..compiled.columns.len()).filter(|c| !compiled.columns[*c].is_measure && !compiled.pivots.contains(c)).collect();
    let among = |set: &[usize], column: usize| set.iter().position(|c| *c == column);
    for (set, pivoted, order) in [(&compiled.pivots, true, &compiled.fill_order.pivots), (&row_dims, false, &compiled.fill_order.rows)] {
        let fills: Vec<(usize, &result::fill::Fill)> =
            compiled.fills.iter().filter(|f| f.pivoted == pivoted).filter_map(|f| Some((among(set, f.column)?, &f.fill))).collect();
        if fills.is_empty() {
            continue;
        }
        let order: Vec<(usize, bool)> = order.iter().filter_map(|(c, d)| Some((among(set, *c)?, *d))).collect();
        match pivoted {
            true => result::fill::fill_pivot_columns(pivot, &fills, &order)?,
            false => result::fill::fill_pivot_rows(pivot, &fills, &order)?,
        }
    }
    Ok(())
}

/// One statement's rows, charged to `memory` (when given) as they arrive: past the budget,
/// fetching stops and the run fails naming it.
fn fetch(
    connection: &dyn connect::Connection,
    preamble: Option<&str>,
    sql: &str,
    columns: Vec<ColumnInfo>,
    cancel: &Cancel,
    memory: Option<&Reservation>,
) -> Result<ResultSet, EngineError> {
    let mut result = ResultSet::new(columns);
    let mut over = None;
    let mut sink = |batch: &connect::RecordBatch| {
        if let Some(Err(e)) = memory.map(|m| m.charge(batch.get_array_memory_size() as u64)) {
            over = Some(e);
            return Err(connect::ConnectError::Sql("the memory budget for results in flight is spent".into()));
        }
        result::arrow::append(&mut result, batch).map_err(|e| connect::ConnectError::Sql(e.0))
    };
    let fetched = match preamble {
        Some(preamble) => connection.stream_after(preamble, sql, cancel, &mut sink),
        None => connection.stream(sql, cancel, &mut sink),
    };
    if let Some(OverBudget { limit, held, others }) = over {
        return Err(EngineError::OverMemory { limit, held, others });
    }
    match fetched {
        Ok(()) => Ok(result),
        Err(connect::ConnectError::Cancelled) => Err(EngineError::Cancelled),
        Err(e) => Err(EngineError::Database(e.to_string())),
    }
}

/// Totals of the query's columns from its totals query's single row (NULL for dimensions).
fn align_totals(columns: &[ColumnInfo], totals: &ResultSet) -> Vec<Value> {
    columns
        .iter()
        .map(|c| {
            let at = totals.columns.iter().position(|tc| tc.name == c.name).filter(|_| totals.row_count() > 0);
            at.map(|p| totals.value(p, 0).clone()).unwrap_or(Value::Null)
        })
        .collect()
}

/// Why a streamed run stopped, when it was not the database.
enum Stopped {
    OverMemory(OverBudget),
    Writing(format::FormatError),
}

/// The unpivoted query's totals, then its rows written in `rendering` as each batch arrives
/// (blocking), into `spool` (which refuses to pass its limit); with the seconds spent writing.
pub fn stream_compiled(
    connection: &dyn connect::Connection,
    compiled: &CompiledQuery,
    rendering: Rendering,
    cancel: &Cancel,
    memory: &Reservation,
    spool: store::Spool,
) -> Result<(store::Payload, f64), EngineError> {
    let limit = spool.limit();
    let totals = match &compiled.totals {
        Some(c) => Some(align_totals(
            &compiled.columns,
            &fetch(connection, compiled.preamble.as_deref(), &c.sql, c.columns.clone(), cancel, Some(memory))?,
        )),
        None => None,
    };
    let too_large = |e: &format::FormatError| matches!(e, format::FormatError::Io(io) if io.kind() == std::io::ErrorKind::FileTooLarge);
    let mut writer = match format::RowWriter::start(rendering, &compiled.columns, spool) {
        Ok(writer) => writer,
        Err(e) if too_large(&e) => return Err(EngineError::ResultTooLarge { limit }),
        Err(e) => return Err(e.into()),
    };
    let mut chunk = ResultSet::new(compiled.columns.clone());
    let (mut stopped, mut writing) = (None, 0.0);
    let mut sink = |batch: &connect::RecordBatch| {
        let size = batch.get_array_memory_size() as u64;
        if let Err(e) = memory.charge(size) {
            stopped = Some(Stopped::OverMemory(e));
            return Err(connect::ConnectError::Sql("the memory budget for results in flight is spent".into()));
        }
        chunk.data.iter_mut().for_each(Vec::clear);
        let started = Instant::now();
        let written = match result::arrow::append(&mut chunk, batch) {
            Ok(()) => writer.rows(&chunk).map_err(|e| {
                stopped = Some(Stopped::Writing(e));
                connect::ConnectError::Sql("writing the result failed".into())
            }),
            Err(e) => Err(connect::ConnectError::Sql(e.0)),
        };
        writing += started.elapsed().as_secs_f64();
        memory.release(size);
        written
    };
    let streamed = match compiled.preamble.as_deref() {
        Some(preamble) => connection.stream_after(preamble, &compiled.sql, cancel, &mut sink),
        None => connection.stream(&compiled.sql, cancel, &mut sink),
    };
    match (stopped, streamed) {
        (Some(Stopped::OverMemory(OverBudget { limit, held, others })), _) => return Err(EngineError::OverMemory { limit, held, others }),
        (Some(Stopped::Writing(e)), _) if too_large(&e) => return Err(EngineError::ResultTooLarge { limit }),
        (Some(Stopped::Writing(e)), _) => return Err(e.into()),
        (None, Err(connect::ConnectError::Cancelled)) => return Err(EngineError::Cancelled),
        (None, Err(e)) => return Err(EngineError::Database(e.to_string())),
        (None, Ok(())) => {}
    }
    let started = Instant::now();
    let finished = writer.finish(totals.as_deref());
    writing += started.elapsed().as_secs_f64();
    match finished {
        Ok(out) => Ok((out.finish().map_err(|e| EngineError::Internal(format!("spooling the result: {e}")))?, writing)),
        Err(e) if too_large(&e) => Err(EngineError::ResultTooLarge { limit }),
        Err(e) => Err(e.into()),
    }
}

/// The query, its companions, the pivot and the fill, on one connection (blocking); `cancel`
/// stops whichever statement runs; the rows are charged to `memory` when given.
pub fn run_compiled(
    connection: &dyn connect::Connection,
    compiled: &CompiledQuery,
    cancel: &Cancel,
    memory: Option<&Reservation>,
) -> Result<QueryResult, EngineError> {
    let fetch = |sql: &str, columns: Vec<ColumnInfo>| fetch(connection, compiled.preamble.as_deref(), sql, columns, cancel, memory);
    let companion = |c: &Option<sql::Companion>| -> Result<Option<ResultSet>, EngineError> {
        c.as_ref().map(|c| fetch(&c.sql, c.columns.clone())).transpose()
    };
    let totals = companion(&compiled.totals)?;
    if compiled.pivots.is_empty() {
        let table = fetch(&compiled.sql, compiled.columns.clone())?;
        // Totals line up with the table's columns; dimensions have none.
        let totals = totals.map(|t| align_totals(&table.columns, &t));
        let mut table = table;
        if !compiled.fills.is_empty() {
            let fills: Vec<(usize, &result::fill::Fill)> = compiled.fills.iter().map(|f| (f.column, &f.fill)).collect();
            result::fill::fill_table(&mut table, &fills, &compiled.fill_order.rows).map_err(fill_error)?;
        }
        let mut subtotals = Vec::with_capacity(compiled.subtotals.len());
        for level in &compiled.subtotals {
            let rows = fetch(&level.companion.sql, level.companion.columns.clone())?;
            subtotals.push(result::subtotal::plain(&table, level.depth, &level.grouped, &rows));
        }
        let mut result = QueryResult { table, pivot: None, totals, subtotals };
        let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).datetime();
        present::table_calc::apply(&mut result, &compiled.table_calcs, now)
            .map_err(|e| EngineError::Invalid { field: "dynamic_fields", message: e.to_string() })?;
        present::table_calc::sort_rows(&mut result, &compiled.calc_sorts, compiled.row_limit)
            .map_err(|e| EngineError::Invalid { field: "sorts", message: e.to_string() })?;
        if let Some(vis) = &compiled.vis {
            vis.apply(&mut result);
        }
        return Ok(result);
    }
    let mut columns = compiled.columns.clone();
    columns.push(ColumnInfo::plain(sql::PIVOT_COLUMN, ValueType::Number));
    columns.push(ColumnInfo::plain(sql::PIVOT_COUNT, ValueType::Number));
    let mut long = fetch(&compiled.sql, columns)?;
    let row_totals = companion(&compiled.row_totals)?;
    let mut pivot = result::pivot(&long, &compiled.pivots, totals.as_ref(), row_totals.as_ref())
        .map_err(|e| EngineError::Internal(format!("pivoting the result: {}", e.0)))?;
    if !compiled.fills.is_empty() {
        fill_pivoted(&mut pivot, compiled).map_err(fill_error)?;
    }
    let width = compiled.columns.len();
    long.columns.truncate(width);
    long.data.truncate(width);
    pivot.row_totals_left = compiled.row_total_left;
    let mut subtotals = Vec::with_capacity(compiled.subtotals.len());
    for level in &compiled.subtotals {
        let rows = fetch(&level.companion.sql, level.companion.columns.clone())?;
        let level_totals = companion(&level.row_totals)?;
        let grouped: Vec<String> = level.grouped.iter().map(|g| compiled.columns[*g].name.clone()).collect();
        subtotals.push(result::subtotal::pivoted(&pivot, level.depth, &grouped, &rows, level_totals.as_ref()));
    }
    let mut result = QueryResult { table: long, pivot: Some(pivot), totals: None, subtotals };
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).datetime();
    present::table_calc::apply(&mut result, &compiled.table_calcs, now)
        .map_err(|e| EngineError::Invalid { field: "dynamic_fields", message: e.to_string() })?;
    present::table_calc::sort_rows(&mut result, &compiled.calc_sorts, compiled.row_limit)
        .map_err(|e| EngineError::Invalid { field: "sorts", message: e.to_string() })?;
    if let Some(vis) = &compiled.vis {
        vis.apply(&mut result);
    }
    Ok(result)
}

fn fill_error(e: result::fill::FillError) -> EngineError {
    EngineError::Invalid { field: "fill_fields", message: e.0 }
}
