//! Background work: query tasks and render tasks wait in the store, and a fixed pool of workers
//! claims them with a lease (`store::queue`), renewed while they run.
//!
//! Status moves through Looker's strings — query tasks `added` → `running` (→ `pending` while
//! the connection's `max_queries` are all taken) → `complete`/`error`/`killed`; render tasks
//! `enqueued_for_query` → `querying` → `enqueued_for_render` → `rendering` →
//! `success`/`failure` — and every change is written to the store, so any request (or any
//! process on the same store) sees it.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures_util::FutureExt;

use format::ResultFormat;
use render::{DashboardStyle, ImageFormat};
use store::{QueryTaskStatus, RenderSource, RenderTaskStatus};

use crate::cache::CacheUse;
use crate::drawings::paper_of;
use crate::metrics::{Phase, TaskKind};
use crate::run::Caller;
use crate::timings::Timings;
use crate::{Engine, EngineError, QueryBody};

#[derive(Debug)]
pub(crate) enum Job {
    Query(String),
    Render(String),
}

impl Job {
    fn kind(&self) -> TaskKind {
        match self {
            Job::Query(_) => TaskKind::Query,
            Job::Render(_) => TaskKind::Render,
        }
    }
}

/// How long an idle worker waits before looking in the store again when nobody woke it (tasks
/// put back by an expired lease, or created by another process on the same store).
const IDLE_POLL: Duration = Duration::from_millis(500);

/// Workers claim tasks from the store (see `store::queue`): woken at once by a task created
/// here, and every [`IDLE_POLL`] otherwise.
pub(crate) fn spawn_workers(engine: Engine, workers: usize) {
    for _ in 0..workers {
        let engine = engine.clone();
        tokio::spawn(async move {
            let inner = &engine.inner;
            loop {
                // Counted before claiming, so a shutdown waits for a task claimed meanwhile.
                inner.active.fetch_add(1, Ordering::SeqCst);
                let claimed = match inner.stopping.load(Ordering::SeqCst) {
                    true => Ok(None),
                    false => engine.store().claim_task(&inner.owner, inner.config.task_lease).await,
                };
                let job = match claimed {
                    Ok(Some(store::Claimed { kind: store::TaskKind::Query, id })) => Some(Job::Query(id)),
                    Ok(Some(store::Claimed { kind: store::TaskKind::Render, id })) => Some(Job::Render(id)),
                    Ok(None) => None,
                    Err(e) => {
                        tracing::warn!(error = %e, "claiming a task failed");
                        None
                    }
                };
                if let Some(job) = &job {
                    engine.run_job(job).await;
                }
                if inner.active.fetch_sub(1, Ordering::SeqCst) == 1 {
                    inner.idle.notify_waiters();
                }
                if inner.stopping.load(Ordering::SeqCst) {
                    break;
                }
                if job.is_none() {
                    tokio::select! {
                        () = inner.wake.notified() => {}
                        () = tokio::time::sleep(IDLE_POLL) => {}
                    }
                }
            }
        });
    }
}

/// Renews this process's leases while its tasks run, puts back the tasks of processes that died
/// (leases expired) and stops its tasks killed by another process, for as long as the runtime
/// runs.
pub(crate) fn spawn_lease_keeper(engine: Engine) {
    tokio::spawn(async move {
        let lease = engine.inner.config.task_lease;
        let mut every = tokio::time::interval((lease / 3).max(Duration::from_millis(10)));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(e) = engine.store().renew_leases(&engine.inner.owner, lease).await {
                tracing::warn!(error = %e, "renewing task leases failed");
            }
            engine.expire_leases().await;
            engine.stop_killed_elsewhere().await;
        }
    });
}

impl Engine {
    /// Runs a claimed task; a panic fails it and the worker lives on.
    async fn run_job(&self, job: &Job) {
        let run = async {
            match job {
                Job::Query(id) => self.run_query_task(id).await,
                Job::Render(id) => self.run_render_task(id).await,
            }
        };
        let outcome = match AssertUnwindSafe(run).catch_unwind().await {
            Ok(outcome) => outcome,
            Err(payload) => self.fail_after_panic(job, &panic_message(payload.as_ref())).await,
        };
        if let Err(e) = outcome {
            tracing::error!(?job, error = %e, "task bookkeeping failed");
        }
    }

    /// Stops this process's tasks that another process killed (a kill answered there marks the
    /// task in the store; the worker running it learns of it here, within a third of a lease).
    async fn stop_killed_elsewhere(&self) {
        match self.store().killed_tasks_of(&self.inner.owner).await {
            Ok(ids) => {
                for id in ids {
                    self.inner.running.kill(&id);
                    if let Err(e) = self.store().kill_seen(&id).await {
                        tracing::warn!(task = %id, error = %e, "recording a kill as seen failed");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "looking for tasks killed elsewhere failed"),
        }
    }

    /// Puts back (or fails, after their second death) the tasks whose process died.
    pub(crate) async fn expire_leases(&self) {
        match self.store().expire_leases().await {
            Ok(store::ExpiredLeases { requeued: 0, failed: 0 }) => {}
            Ok(expired) => {
                tracing::info!(requeued = expired.requeued, failed = expired.failed, "tasks of a stopped server taken over");
                self.inner.wake.notify_waiters();
            }
            Err(e) => tracing::warn!(error = %e, "looking for expired task leases failed"),
        }
    }
}

/// How often expired task results are looked for and removed.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Removes expired results now and then, for as long as the runtime runs.
pub(crate) fn spawn_sweeper(store: store::Store) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        loop {
            every.tick().await;
            match store.sweep_expired().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "expired task results removed"),
                Err(e) => tracing::warn!(error = %e, "removing expired task results failed"),
            }
        }
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// A write to the store, tried three times (100 ms, then 400 ms apart): a busy or briefly
/// unavailable metadata database must not leave a task unfinished.
async fn retried<T, F, Fut>(what: &str, mut write: F) -> Result<T, store::StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, store::StoreError>>,
{
    let mut delay = Duration::from_millis(100);
    let mut attempt = 1;
    loop {
        match write().await {
            Ok(value) => return Ok(value),
            Err(e) if attempt < 3 => {
                tracing::warn!(what, attempt, error = %e, "writing a task's state failed; trying again");
                tokio::time::sleep(delay).await;
                delay *= 4;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

fn seconds(since: Instant) -> f64 {
    since.elapsed().as_secs_f64()
}

impl Engine {
    async fn fail_after_panic(&self, job: &Job, message: &str) -> Result<(), EngineError> {
        tracing::error!(?job, panic = %message, "a task panicked");
        self.inner.metrics.finished(job.kind(), false, 0.0);
        let reason = format!("Sightline failed while running this task (an internal error: {message})");
        match job {
            Job::Query(id) => _ = self.store().finish_query_task(id, Err(&reason), 0.0, None).await?,
            Job::Render(id) => self.store().finish_render_task(id, Err(&reason), None, 0.0).await?,
        }
        Ok(())
    }

    /// Whether `outcome` is a statement cancelled by [`Engine::shutdown`].
    fn put_back<T>(&self, outcome: &Result<T, EngineError>) -> bool {
        matches!(outcome, Err(EngineError::Cancelled)) && self.inner.stopping.load(Ordering::SeqCst)
    }

    /// A task is waiting in the store: wakes a worker to claim it.
    pub(crate) fn enqueue(&self, kind: TaskKind) {
        self.inner.metrics.queued(kind);
        self.inner.wake.notify_one();
    }

    /// Creates a query task for saved query `query_id` and queues it; answers at once. A fresh
    /// cached result (as the task's cache options allow) completes it as it is created.
    pub async fn submit_query_task(
        &self,
        query_id: i64,
        user_id: i64,
        format: ResultFormat,
        options: &store::QueryTaskOptions,
    ) -> Result<store::QueryTaskRow, EngineError> {
        if let ResultFormat::NotYet(name) = format {
            return Err(format::FormatError::NotSupported(name).into());
        }
        let started = Instant::now();
        let query = self.saved_query(query_id).await?;
        // Refuse what cannot compile now, rather than failing the task later (for its user: the
        // compiled query is also the cache's key).
        let attributes = self.attributes_for(&query.model, Some(user_id)).await?;
        let compiled = self.compile_for(&query, options.row_limit.as_deref(), &attributes)?;
        let compile_seconds = seconds(started);
        // A fresh cached result answers the task at once: it is created complete, never queued.
        let cache = CacheUse { read: options.use_cache, only: options.cache_only, rebuild_pdts: options.rebuild_pdts };
        if !options.deferred && !cache.rebuild_pdts && format != ResultFormat::Sql && (cache.read || cache.only) {
            let looking = Instant::now();
            let rendering = format::Rendering {
                format,
                apply_formatting: options.apply_formatting,
                apply_vis: options.apply_vis,
                drill_links: options.drill_links.clone(),
            };
            if let Some(answer) = self.answer_from_cache(&query, &compiled, &rendering, cache).await {
                let mut timings = Timings::default();
                self.timed(&mut timings, Phase::Queue, 0.0);
                self.timed(&mut timings, Phase::Compile, compile_seconds);
                self.timed(&mut timings, Phase::Cache, seconds(looking));
                let output = store::QueryTaskOutput {
                    content_type: answer.output.content_type,
                    body: &answer.output.body,
                    result_source: answer.source.name(),
                    cache_key: answer.cache_key.as_deref(),
                };
                let runtime = seconds(started);
                let phases = timings.to_json();
                let answered = store::Answered { output, runtime, phases: Some(&phases) };
                let task = self.store().create_complete_query_task(query_id, user_id, format.name(), options, answered).await?;
                self.inner.metrics.queued(TaskKind::Query);
                self.inner.metrics.started(TaskKind::Query);
                self.inner.metrics.finished(TaskKind::Query, true, runtime);
                return Ok(task);
            }
        }
        let task = self.store().create_query_task(query_id, user_id, format.name(), options).await?;
        if !options.deferred {
            self.enqueue(TaskKind::Query);
        }
        Ok(task)
    }

    /// The cached result that answers `compiled` now as `cache` allows, if any (a datagroup
    /// trigger that cannot be read, or a store error, is no answer: the task then runs).
    async fn answer_from_cache(
        &self,
        query: &crate::QueryBody,
        compiled: &sql::CompiledQuery,
        rendering: &format::Rendering,
        cache: CacheUse,
    ) -> Option<crate::Answer> {
        let compiled = self.with_vis(compiled.clone(), query, rendering).ok()?;
        let slot = self.cache_slot(query, &compiled, &format!("{compiled:?}"), &rendering.key()).await.ok()?;
        self.cached(&slot, cache, rendering.format).await.ok().flatten()
    }

    /// Queues a deferred task now that its results are asked for (once, whoever asks first);
    /// any other task is left as it is.
    pub async fn start_if_deferred(&self, task: &store::QueryTaskRow) -> Result<(), EngineError> {
        if task.deferred && self.store().undefer_query_task(&task.id).await? {
            self.enqueue(TaskKind::Query);
        }
        Ok(())
    }

    async fn run_query_task(&self, id: &str) -> Result<(), EngineError> {
        // Listening for a kill before reading the state: a kill lands either before the read
        // (the task is no longer `added`) or on the signal.
        let killed = self.inner.running.register(id);
        let Some(task) = self.store().query_task(id).await? else { return Ok(()) };
        // Claimed (so `running`) unless killed since.
        if task.status != QueryTaskStatus::Running {
            self.inner.metrics.skipped(TaskKind::Query);
            return Ok(());
        }
        self.inner.metrics.started(TaskKind::Query);
        let started = Instant::now();
        let mut timings = Timings::default();
        if let (Ok(created), Some(Ok(claimed))) =
            (task.created_at.parse::<jiff::Timestamp>(), task.started_at.as_deref().map(str::parse::<jiff::Timestamp>))
        {
            self.timed(&mut timings, Phase::Queue, claimed.duration_since(created).as_secs_f64().max(0.0));
        }
        let format = ResultFormat::parse(&task.result_format).unwrap_or(ResultFormat::Json);
        let rendering = format::Rendering {
            format,
            apply_formatting: task.apply_formatting,
            apply_vis: task.apply_vis,
            drill_links: task.drill_links.clone(),
        };
        let cache = CacheUse { read: task.use_cache, only: task.cache_only, rebuild_pdts: task.rebuild_pdts };
        let run = async {
            let query = self.saved_query(task.query_id).await?;
            self.run_for(&query, rendering, task.row_limit.as_deref(), cache, Caller { task: Some(id), user: Some(task.user_id) }).await
        };
        // Killed: the task has ended in the store already; leaving the run cancels its statement
        // unless another caller shares it.
        let outcome = tokio::select! {
            outcome = run => outcome,
            () = killed.wait() => {
                self.inner.metrics.finished(TaskKind::Query, false, seconds(started));
                return Ok(());
            }
        };
        // Cancelled by a shutdown that put it back to run at the next start: left as it is.
        if self.put_back(&outcome) {
            return Ok(());
        }
        let runtime = seconds(started);
        self.inner.metrics.finished(TaskKind::Query, outcome.is_ok(), runtime);
        let storing = Instant::now();
        if let Ok(answer) = &outcome {
            timings.add(&answer.output.timings);
        }
        let phases = timings.to_json();
        let phases = Some(phases.as_str());
        let finished = match &outcome {
            Ok(answer) => {
                let output = store::QueryTaskOutput {
                    content_type: answer.output.content_type,
                    body: &answer.output.body,
                    result_source: answer.source.name(),
                    cache_key: answer.cache_key.as_deref(),
                };
                retried("result", || self.store().finish_query_task(id, Ok(output), runtime, phases)).await
            }
            Err(e) => {
                let message = e.to_string();
                retried("error", || self.store().finish_query_task(id, Err(&message), runtime, phases)).await
            }
        };
        self.inner.metrics.phase(Phase::Store, seconds(storing));
        // A result that cannot be stored (too large, a full disk) still ends the task, without it.
        // (`Ok(false)`: the task was killed meanwhile, and stays so.)
        if let Err(e) = finished {
            let reason = format!("the task ran but its result could not be stored: {e}");
            retried("error", || self.store().finish_query_task(id, Err(&reason), runtime, phases)).await?;
        }
        Ok(())
    }

    /// Creates a render task drawing saved query `query_id` and queues it; answers at once. With
    /// `look_id` (whose query `query_id` is), the chart carries the Look's title.
    pub async fn submit_render_task(
        &self,
        query_id: i64,
        look_id: Option<i64>,
        user_id: i64,
        format: ImageFormat,
        width: u32,
        height: u32,
    ) -> Result<store::RenderTaskRow, EngineError> {
        render::check_size(width, height)?;
        let query = self.saved_query(query_id).await?;
        self.compile(&query, None)?;
        self.queue_render(&RenderSource::Query { query_id, look_id }, user_id, Image { format, width, height }).await
    }

    /// Creates a render task of a dashboard or one of its elements (whose existence the caller
    /// has checked) and queues it. A tile that cannot be drawn is drawn with its error, so
    /// nothing more is checked here.
    pub async fn submit_content_render_task(
        &self,
        source: &RenderSource,
        user_id: i64,
        image: Image,
    ) -> Result<store::RenderTaskRow, EngineError> {
        render::check_size(image.width, image.height)?;
        self.queue_render(source, user_id, image).await
    }

    async fn queue_render(&self, source: &RenderSource, user_id: i64, image: Image) -> Result<store::RenderTaskRow, EngineError> {
        let (width, height) = (image.width.into(), image.height.into());
        let task = self.store().create_render_task_of(source, user_id, image.format.name(), width, height).await?;
        self.enqueue(TaskKind::Render);
        Ok(task)
    }

    async fn run_render_task(&self, id: &str) -> Result<(), EngineError> {
        let Some(task) = self.store().render_task(id).await? else { return Ok(()) };
        // Claimed: `querying`.
        if task.status != RenderTaskStatus::Querying {
            self.inner.metrics.skipped(TaskKind::Render);
            return Ok(());
        }
        self.inner.metrics.started(TaskKind::Render);
        let started = Instant::now();
        let outcome = self.render(&task, started).await;
        if self.put_back(&outcome) {
            return Ok(());
        }
        let runtime = seconds(started);
        self.inner.metrics.finished(TaskKind::Render, outcome.is_ok(), runtime);
        let finished = match &outcome {
            Ok((bytes, render_seconds)) => {
                retried("image", || self.store().finish_render_task(id, Ok(bytes), Some(*render_seconds), runtime)).await
            }
            Err(e) => {
                let message = e.to_string();
                retried("failure", || self.store().finish_render_task(id, Err(&message), None, runtime)).await
            }
        };
        if let Err(e) = finished {
            let reason = format!("the image was drawn but could not be stored: {e}");
            retried("failure", || self.store().finish_render_task(id, Err(&reason), None, runtime)).await?;
        }
        Ok(())
    }

    async fn render(&self, task: &store::RenderTaskRow, started: Instant) -> Result<(Vec<u8>, f64), EngineError> {
        self.store().set_render_task_status(&task.id, RenderTaskStatus::Querying).await?;
        let reader = &crate::drawings::Reader { id: task.user_id, grants: self.store().grants(task.user_id).await? };
        let mut drawing = match (task.query_id, task.dashboard_id, task.dashboard_element_id) {
            (Some(query_id), _, _) => {
                let look = match task.look_id {
                    Some(id) => self.store().look(id).await?,
                    None => None,
                };
                self.query_drawing(query_id, look.map(|l| l.title), reader).await?
            }
            (None, Some(dashboard_id), _) => {
                let style = task.dashboard_style.as_deref().and_then(DashboardStyle::parse).unwrap_or(DashboardStyle::Tiled);
                let filters = task.dashboard_filters.as_deref().unwrap_or_default();
                self.dashboard_drawing(dashboard_id, style, filters, paper_of(task.pdf_paper.as_deref()), reader).await?
            }
            (None, None, Some(element_id)) => self.element_drawing(element_id, reader).await?,
            (None, None, None) if task.lookml_dashboard_id.is_some() => {
                let style = task.dashboard_style.as_deref().and_then(DashboardStyle::parse).unwrap_or(DashboardStyle::Tiled);
                let (id, filters) =
                    (task.lookml_dashboard_id.as_deref().unwrap_or_default(), task.dashboard_filters.as_deref().unwrap_or_default());
                self.lookml_dashboard_drawing(id, style, filters, paper_of(task.pdf_paper.as_deref()), reader).await?
            }
            (None, None, None) => {
                return Err(EngineError::Invalid { field: "render_task", message: "what this task draws was deleted".into() })
            }
        };
        if let crate::drawings::Drawing::Dashboard { long_tables, .. } = &mut drawing {
            *long_tables = task.long_tables;
        }
        self.store().set_render_query_runtime(&task.id, seconds(started)).await?;
        self.store().set_render_task_status(&task.id, RenderTaskStatus::EnqueuedForRender).await?;
        self.store().set_render_task_status(&task.id, RenderTaskStatus::Rendering).await?;
        let format = ImageFormat::parse(&task.result_format).unwrap_or(ImageFormat::Png);
        let (width, height) = (u32::try_from(task.width).unwrap_or(0), u32::try_from(task.height).unwrap_or(0));
        let render_started = Instant::now();
        let bytes = drawing.draw(format, width, height).await?;
        Ok((bytes, seconds(render_started)))
    }

    /// `query` drawn as its chart (`GET /queries/{id}/run/png`): its rows (within `limit` when
    /// given) fetched, then drawn. `title` replaces the query's own (`GET /looks/{id}/run/png`
    /// draws the Look's).
    pub async fn render_query(
        &self,
        query: &QueryBody,
        title: Option<&str>,
        limit: Option<&str>,
        image: Image,
        user: Option<i64>,
    ) -> Result<Vec<u8>, EngineError> {
        render::check_size(image.width, image.height)?;
        let (chart, own_title) = self.chart_of(query)?;
        let result = self.chart_rows(query, limit, user).await?;
        draw(result, chart, title.map_or(own_title, str::to_string), image.width, image.height, image.format).await
    }

    /// The chart `query` draws and its title; a chart not drawn yet is refused by name before
    /// any query runs.
    pub(crate) fn chart_of(&self, query: &QueryBody) -> Result<(render::Chart, String), EngineError> {
        let kind = render::chart_kind(query.vis_type()).ok_or_else(|| EngineError::NotSupported {
            field: "vis_config",
            message: format!(
                "vis_config.type `{}` is not drawn yet (drawn: {})",
                query.vis_type().unwrap_or_default().chars().take(100).collect::<String>(),
                render::DRAWN_VIS_TYPES.join(", ")
            ),
        })?;
        let options = match &query.vis_config {
            Some(vis) => {
                render::ChartOptions::from_vis_config(vis).map_err(|message| EngineError::Invalid { field: "vis_config", message })?
            }
            None => render::ChartOptions::default(),
        };
        Ok((render::Chart { kind, options }, self.title(query)))
    }

    /// `vis_config.title`, else the explore's label.
    fn title(&self, query: &QueryBody) -> String {
        if let Some(title) = query.vis_config.as_ref().and_then(|v| v.get("title")).and_then(|t| t.as_str()) {
            return title.to_string();
        }
        self.catalog()
            .models
            .get(&query.model)
            .and_then(|m| m.explore(&query.view))
            .map(|e| e.label.clone())
            .unwrap_or_else(|| query.view.clone())
    }
}

/// An image to draw: its format and size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Image {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
}

/// Draws off the async runtime (layout and encoding are CPU work).
pub(crate) async fn draw(
    result: result::ResultSet,
    chart: render::Chart,
    title: String,
    width: u32,
    height: u32,
    format: ImageFormat,
) -> Result<Vec<u8>, EngineError> {
    tokio::task::spawn_blocking(move || render::render_chart(&result, &chart, &title, width, height, format))
        .await
        .map_err(|e| EngineError::Internal(e.to_string()))?
        .map_err(EngineError::from)
}
