//! Query tasks and render tasks: status as Looker names it, and the finished output (a file,
//! kept until it expires).

use crate::db::{on_pool, Columns};
use crate::{now_text, random_hex, QueryTaskStatus, RenderTaskStatus, Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct QueryTaskRow {
    pub id: String,
    pub query_id: i64,
    pub user_id: i64,
    pub result_format: String,
    pub source: Option<String>,
    /// The `limit` the task was created with, overriding the query's.
    pub row_limit: Option<String>,
    pub status: QueryTaskStatus,
    pub runtime: Option<f64>,
    pub error: Option<String>,
    pub content_type: Option<String>,
    /// A complete task whose result has expired (and been removed) has none.
    pub has_result: bool,
    pub created_at: String,
    /// When it first ran.
    pub started_at: Option<String>,
    /// The request's `cache` (use a fresh cached result) and `cache_only` (any cached result).
    pub use_cache: bool,
    pub cache_only: bool,
    /// Created `deferred`, and not asked for yet: it is not queued until its results are.
    pub deferred: bool,
    /// `rebuild_pdts`: the persistent derived tables it reads are built again first.
    pub rebuild_pdts: bool,
    /// `apply_formatting`: cells as their value formats render them.
    pub apply_formatting: bool,
    /// `apply_vis`: the query's vis options shape the table.
    pub apply_vis: bool,
    /// `generate_drill_links`: the `path_prefix` of its links (empty for none); `None` when off.
    pub drill_links: Option<String>,
    /// Where its result came from, `query` or `cache`, once complete.
    pub result_source: Option<String>,
    pub cache_key: Option<String>,
    /// How long each phase of its run took: a JSON object of seconds by phase name.
    pub phases: Option<String>,
}

/// How a query task is to be run, beyond its query and format.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryTaskOptions {
    pub source: Option<String>,
    /// The `limit` overriding the query's.
    pub row_limit: Option<String>,
    /// `cache=false` turns this off.
    pub use_cache: bool,
    pub cache_only: bool,
    /// Not queued until its results are asked for.
    pub deferred: bool,
    /// Build the persistent derived tables it reads again first.
    pub rebuild_pdts: bool,
    /// Cells as their value formats render them.
    pub apply_formatting: bool,
    /// The query's vis options shape the table.
    pub apply_vis: bool,
    /// Drill links with this `path_prefix` (`generate_drill_links`).
    pub drill_links: Option<String>,
}

/// A query task's finished output and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct QueryTaskOutput<'a> {
    pub content_type: &'a str,
    pub body: &'a crate::Payload,
    /// `query` or `cache`.
    pub result_source: &'a str,
    pub cache_key: Option<&'a str>,
}

impl<'a> QueryTaskOutput<'a> {
    /// Output a query produced, with no cache key.
    pub fn queried(content_type: &'a str, body: &'a crate::Payload) -> Self {
        QueryTaskOutput { content_type, body, result_source: "query", cache_key: None }
    }
}

/// How a query task was answered at its creation: its output, how long that took, and how long
/// each phase took (a JSON object).
#[derive(Debug, Clone, Copy)]
pub struct Answered<'a> {
    pub output: QueryTaskOutput<'a>,
    pub runtime: f64,
    pub phases: Option<&'a str>,
}

/// The statuses a query task can still leave; the others are final.
const QUERY_TASK_ACTIVE: &str = "('added', 'pending', 'running')";

#[derive(Debug, Clone, PartialEq)]
pub struct RenderTaskRow {
    pub id: String,
    /// What the task draws: a query (`query_id`), a Look (`look_id` and its query), a dashboard
    /// (`dashboard_id`) or one dashboard element (`dashboard_element_id`). An id is `None` once
    /// what it named was deleted.
    pub query_id: Option<i64>,
    pub look_id: Option<i64>,
    pub dashboard_id: Option<i64>,
    pub dashboard_element_id: Option<i64>,
    /// A LookML dashboard (`model::name`).
    pub lookml_dashboard_id: Option<String>,
    /// `tiled` or `single_column`, for a dashboard.
    pub dashboard_style: Option<String>,
    /// A LookML dashboard's filter values, in URL query form.
    pub dashboard_filters: Option<String>,
    /// A dashboard's PDF pages: a paper size, then ` landscape` when turned.
    pub pdf_paper: Option<String>,
    /// A dashboard's table tiles grow to show every row.
    pub long_tables: bool,
    pub user_id: i64,
    pub result_format: String,
    pub width: i64,
    pub height: i64,
    pub status: RenderTaskStatus,
    pub status_detail: Option<String>,
    pub query_runtime: Option<f64>,
    pub render_runtime: Option<f64>,
    pub runtime: Option<f64>,
    pub created_at: String,
    pub finalized_at: Option<String>,
    pub has_result: bool,
}

/// What a render task draws.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderSource {
    /// A saved query; with `look_id`, as that Look (whose query it is).
    Query { query_id: i64, look_id: Option<i64> },
    /// A dashboard, `tiled` or `single_column`, with filter values in URL query form, its PDF on
    /// pages of `pdf_paper` when given, its tables grown to every row with `long_tables`.
    Dashboard { dashboard_id: i64, style: String, filters: String, pdf_paper: Option<String>, long_tables: bool },
    /// One element of a dashboard.
    Element { element_id: i64 },
    /// A LookML dashboard (`model::name`), `tiled` or `single_column`, with filter values in URL
    /// query form.
    LookmlDashboard { id: String, style: String, filters: String, pdf_paper: Option<String>, long_tables: bool },
}

const QUERY_TASK_COLUMNS: &str = "id, query_id, user_id, result_format, source, row_limit, status, runtime, error, content_type, \
     result_file IS NOT NULL AS has_result, created_at, started_at, use_cache, cache_only, deferred, rebuild_pdts, apply_formatting, apply_vis, drill_links, result_source, cache_key, phases";
const RENDER_TASK_COLUMNS: &str = "id, query_id, look_id, dashboard_id, dashboard_element_id, lookml_dashboard_id, dashboard_style, dashboard_filters, pdf_paper, long_tables, user_id, result_format, width, height, status, status_detail, query_runtime, render_runtime, runtime, created_at, finalized_at, result_file IS NOT NULL AS has_result";

fn status<T>(r: &dyn Columns, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    let text = r.text("status")?;
    parse(&text).ok_or_else(|| StoreError::Unreadable(format!("unknown task status `{text}`")))
}

fn query_task(r: &dyn Columns) -> Result<QueryTaskRow, StoreError> {
    Ok(QueryTaskRow {
        id: r.text("id")?,
        query_id: r.int("query_id")?,
        user_id: r.int("user_id")?,
        result_format: r.text("result_format")?,
        source: r.text_or_null("source")?,
        row_limit: r.text_or_null("row_limit")?,
        status: status(r, QueryTaskStatus::parse)?,
        runtime: r.real_or_null("runtime")?,
        error: r.text_or_null("error")?,
        content_type: r.text_or_null("content_type")?,
        has_result: r.flag("has_result")?,
        created_at: r.text("created_at")?,
        started_at: r.text_or_null("started_at")?,
        use_cache: r.flag("use_cache")?,
        cache_only: r.flag("cache_only")?,
        deferred: r.flag("deferred")?,
        rebuild_pdts: r.flag("rebuild_pdts")?,
        apply_formatting: r.flag("apply_formatting")?,
        apply_vis: r.flag("apply_vis")?,
        drill_links: r.text_or_null("drill_links")?,
        result_source: r.text_or_null("result_source")?,
        cache_key: r.text_or_null("cache_key")?,
        phases: r.text_or_null("phases")?,
    })
}

fn render_task(r: &dyn Columns) -> Result<RenderTaskRow, StoreError> {
    Ok(RenderTaskRow {
        id: r.text("id")?,
        query_id: r.int_or_null("query_id")?,
        look_id: r.int_or_null("look_id")?,
        dashboard_id: r.int_or_null("dashboard_id")?,
        dashboard_element_id: r.int_or_null("dashboard_element_id")?,
        lookml_dashboard_id: r.text_or_null("lookml_dashboard_id")?,
        dashboard_style: r.text_or_null("dashboard_style")?,
        dashboard_filters: r.text_or_null("dashboard_filters")?,
        pdf_paper: r.text_or_null("pdf_paper")?,
        long_tables: r.flag("long_tables")?,
        user_id: r.int("user_id")?,
        result_format: r.text("result_format")?,
        width: r.int("width")?,
        height: r.int("height")?,
        status: status(r, RenderTaskStatus::parse)?,
        status_detail: r.text_or_null("status_detail")?,
        query_runtime: r.real_or_null("query_runtime")?,
        render_runtime: r.real_or_null("render_runtime")?,
        runtime: r.real_or_null("runtime")?,
        created_at: r.text("created_at")?,
        finalized_at: r.text_or_null("finalized_at")?,
        has_result: r.flag("has_result")?,
    })
}

impl Store {
    /// The result named by the `result_file` that `select` reads of task `id`; `None` when there
    /// is none (or it has gone).
    async fn task_result(&self, select: &str, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let file: Option<String> = on_pool!(self, select, |p, sql| sqlx::query_scalar(sql).bind(id).fetch_optional(p).await?.flatten());
        match file {
            Some(file) => self.read_result(&file).await,
            None => Ok(None),
        }
    }

    /// Records a new query task in status `added` and returns it.
    pub async fn create_query_task(
        &self,
        query_id: i64,
        user_id: i64,
        result_format: &str,
        options: &QueryTaskOptions,
    ) -> Result<QueryTaskRow, StoreError> {
        let id = random_hex(16);
        let insert = "INSERT INTO query_tasks (id, query_id, user_id, result_format, source, row_limit, use_cache, cache_only, deferred, \
             rebuild_pdts, apply_formatting, apply_vis, drill_links, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'added', ?)";
        on_pool!(self, insert, |p, sql| sqlx::query(sql)
            .bind(&id)
            .bind(query_id)
            .bind(user_id)
            .bind(result_format)
            .bind(&options.source)
            .bind(&options.row_limit)
            .bind(options.use_cache)
            .bind(options.cache_only)
            .bind(options.deferred)
            .bind(options.rebuild_pdts)
            .bind(options.apply_formatting)
            .bind(options.apply_vis)
            .bind(&options.drill_links)
            .bind(now_text())
            .execute(p)
            .await?
            .rows_affected());
        Ok(self.query_task(&id).await?.ok_or(sqlx::Error::RowNotFound)?)
    }

    /// Records a new query task already `complete` with `output` (answered from the result cache
    /// when it was created): no worker ever sees it waiting. The result is written before the row,
    /// under the new task's id, which nobody else knows yet.
    pub async fn create_complete_query_task(
        &self,
        query_id: i64,
        user_id: i64,
        result_format: &str,
        options: &QueryTaskOptions,
        answered: Answered<'_>,
    ) -> Result<QueryTaskRow, StoreError> {
        let Answered { output, runtime, phases } = answered;
        let id = random_hex(16);
        let file = self.write_payload("query", &id, output.body).await?;
        let now = now_text();
        let insert = "INSERT INTO query_tasks (id, query_id, user_id, result_format, source, row_limit, use_cache, cache_only, deferred, \
             rebuild_pdts, apply_formatting, apply_vis, drill_links, status, created_at, started_at, finished_at, runtime, content_type, \
             result_file, expires_at, result_source, cache_key, phases) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'complete', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        let inserted = on_pool!(self, insert, |p, sql| sqlx::query(sql)
            .bind(&id)
            .bind(query_id)
            .bind(user_id)
            .bind(result_format)
            .bind(&options.source)
            .bind(&options.row_limit)
            .bind(options.use_cache)
            .bind(options.cache_only)
            .bind(false)
            .bind(options.rebuild_pdts)
            .bind(options.apply_formatting)
            .bind(options.apply_vis)
            .bind(&options.drill_links)
            .bind(&now)
            .bind(&now)
            .bind(&now)
            .bind(runtime)
            .bind(output.content_type)
            .bind(&file)
            .bind(self.expiry())
            .bind(output.result_source)
            .bind(output.cache_key)
            .bind(phases)
            .execute(p)
            .await
            .map(|done| done.rows_affected()));
        if inserted.is_err() {
            let _ = self.remove_result(&file).await;
        }
        inserted?;
        Ok(self.query_task(&id).await?.ok_or(sqlx::Error::RowNotFound)?)
    }

    pub async fn query_task(&self, id: &str) -> Result<Option<QueryTaskRow>, StoreError> {
        Ok(on_pool!(self, format!("SELECT {QUERY_TASK_COLUMNS} FROM query_tasks WHERE id = ?"), |p, sql| {
            sqlx::query(sql).bind(id).fetch_optional(p).await?.map(|r| query_task(&r)).transpose()?
        }))
    }

    /// Moves an unfinished task to `pending` or `running` (a finished one stays as it is).
    pub async fn set_query_task_status(&self, id: &str, status: QueryTaskStatus) -> Result<(), StoreError> {
        let update = format!(
            "UPDATE query_tasks SET status = ?, started_at = COALESCE(started_at, ?) WHERE id = ? AND status IN {QUERY_TASK_ACTIVE}"
        );
        on_pool!(self, update, |p, sql| sqlx::query(sql).bind(status.as_str()).bind(now_text()).bind(id).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Takes a deferred task off hold; whether this call did (so one caller queues it).
    pub async fn undefer_query_task(&self, id: &str) -> Result<bool, StoreError> {
        let update = "UPDATE query_tasks SET deferred = FALSE WHERE id = ? AND deferred = TRUE AND status = 'added'";
        let undeferred = on_pool!(self, update, |p, sql| sqlx::query(sql).bind(id).execute(p).await?.rows_affected());
        Ok(undeferred == 1)
    }

    /// Ends an unfinished task as `killed`, with `message` as its error; whether it was
    /// unfinished.
    pub async fn kill_query_task(&self, id: &str, message: &str) -> Result<bool, StoreError> {
        let update =
            format!("UPDATE query_tasks SET status = 'killed', error = ?, finished_at = ? WHERE id = ? AND status IN {QUERY_TASK_ACTIVE}");
        let killed =
            on_pool!(self, update, |p, sql| sqlx::query(sql).bind(message).bind(now_text()).bind(id).execute(p).await?.rows_affected());
        Ok(killed == 1)
    }

    /// The tasks not finished yet, in the order they were created.
    pub async fn active_query_tasks(&self) -> Result<Vec<QueryTaskRow>, StoreError> {
        let select = format!("SELECT {QUERY_TASK_COLUMNS} FROM query_tasks WHERE status IN {QUERY_TASK_ACTIVE} ORDER BY created_at");
        on_pool!(self, select, |p, sql| sqlx::query(sql).fetch_all(p).await?.iter().map(|r| query_task(r)).collect())
    }

    /// Final state: `complete` with the formatted output (written to its file first), or `error`
    /// with a message; `phases` is how long each phase of the run took (a JSON object). A task
    /// that has ended meanwhile (killed) keeps its state, and the output is dropped; whether this
    /// ended it.
    pub async fn finish_query_task(
        &self,
        id: &str,
        outcome: Result<QueryTaskOutput<'_>, &str>,
        runtime: f64,
        phases: Option<&str>,
    ) -> Result<bool, StoreError> {
        let (status, content_type, file, error) = match outcome {
            Ok(out) => ("complete", Some(out.content_type), Some(self.write_payload("query", id, out.body).await?), None),
            Err(message) => ("error", None, None, Some(message)),
        };
        let (source, key) = outcome.ok().map(|o| (Some(o.result_source), o.cache_key)).unwrap_or_default();
        let update = format!(
            "UPDATE query_tasks SET status = ?, content_type = ?, result_file = ?, expires_at = ?, error = ?, runtime = ?, finished_at = ?, \
             result_source = ?, cache_key = ?, phases = ? WHERE id = ? AND status IN {QUERY_TASK_ACTIVE}"
        );
        let updated = on_pool!(self, update, |p, sql| sqlx::query(sql)
            .bind(status)
            .bind(content_type)
            .bind(&file)
            .bind(file.as_ref().map(|_| self.expiry()))
            .bind(error)
            .bind(runtime)
            .bind(now_text())
            .bind(source)
            .bind(key)
            .bind(phases)
            .bind(id)
            .execute(p)
            .await
            .map(|done| done.rows_affected()));
        let ended = matches!(&updated, Ok(1));
        if let (false, Some(file)) = (ended, &file) {
            let _ = self.remove_result(file).await;
        }
        updated?;
        Ok(ended)
    }

    /// The formatted output of a complete task; `None` once expired.
    pub async fn query_task_result(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.task_result("SELECT result_file FROM query_tasks WHERE id = ?", id).await
    }

    /// As [`Store::query_task_result`], where it is: a result file is named, not read.
    pub async fn query_task_payload(&self, id: &str) -> Result<Option<crate::Payload>, StoreError> {
        let select = "SELECT result_file FROM query_tasks WHERE id = ?";
        let file: Option<String> = on_pool!(self, select, |p, sql| sqlx::query_scalar(sql).bind(id).fetch_optional(p).await?.flatten());
        match file {
            Some(file) => self.read_payload(&file).await,
            None => Ok(None),
        }
    }

    /// A render task of a query.
    pub async fn create_render_task(
        &self,
        query_id: i64,
        user_id: i64,
        result_format: &str,
        width: i64,
        height: i64,
    ) -> Result<RenderTaskRow, StoreError> {
        let source = RenderSource::Query { query_id, look_id: None };
        self.create_render_task_of(&source, user_id, result_format, width, height).await
    }

    /// A render task of `source`, queued (`enqueued_for_query`).
    pub async fn create_render_task_of(
        &self,
        source: &RenderSource,
        user_id: i64,
        result_format: &str,
        width: i64,
        height: i64,
    ) -> Result<RenderTaskRow, StoreError> {
        let id = random_hex(16);
        let (mut query_id, mut look_id, mut dashboard_id, mut element_id) = (None, None, None, None);
        let (mut lookml_id, mut style, mut filters, mut paper, mut long) = (None, None, None, None, false);
        match source {
            RenderSource::Query { query_id: q, look_id: l } => (query_id, look_id) = (Some(*q), *l),
            RenderSource::Dashboard { dashboard_id: d, style: s, filters: f, pdf_paper: p, long_tables: l } => {
                (dashboard_id, style, filters, paper, long) = (Some(*d), Some(s.as_str()), Some(f.as_str()), p.as_deref(), *l)
            }
            RenderSource::Element { element_id: e } => element_id = Some(*e),
            RenderSource::LookmlDashboard { id, style: s, filters: f, pdf_paper: p, long_tables: l } => {
                (lookml_id, style, filters, paper, long) = (Some(id.as_str()), Some(s.as_str()), Some(f.as_str()), p.as_deref(), *l)
            }
        }
        let insert = "INSERT INTO render_tasks (id, query_id, look_id, dashboard_id, dashboard_element_id, lookml_dashboard_id, \
                      dashboard_style, dashboard_filters, pdf_paper, long_tables, user_id, result_format, width, height, status, created_at) \
                      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'enqueued_for_query', ?)";
        on_pool!(self, insert, |p, sql| sqlx::query(sql)
            .bind(&id)
            .bind(query_id)
            .bind(look_id)
            .bind(dashboard_id)
            .bind(element_id)
            .bind(lookml_id)
            .bind(style)
            .bind(filters)
            .bind(paper)
            .bind(long)
            .bind(user_id)
            .bind(result_format)
            .bind(width)
            .bind(height)
            .bind(now_text())
            .execute(p)
            .await?
            .rows_affected());
        Ok(self.render_task(&id).await?.ok_or(sqlx::Error::RowNotFound)?)
    }

    pub async fn render_task(&self, id: &str) -> Result<Option<RenderTaskRow>, StoreError> {
        Ok(on_pool!(self, format!("SELECT {RENDER_TASK_COLUMNS} FROM render_tasks WHERE id = ?"), |p, sql| {
            sqlx::query(sql).bind(id).fetch_optional(p).await?.map(|r| render_task(&r)).transpose()?
        }))
    }

    pub async fn set_render_task_status(&self, id: &str, status: RenderTaskStatus) -> Result<(), StoreError> {
        on_pool!(self, "UPDATE render_tasks SET status = ? WHERE id = ?", |p, sql| sqlx::query(sql)
            .bind(status.as_str())
            .bind(id)
            .execute(p)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn set_render_query_runtime(&self, id: &str, seconds: f64) -> Result<(), StoreError> {
        on_pool!(self, "UPDATE render_tasks SET query_runtime = ? WHERE id = ?", |p, sql| sqlx::query(sql)
            .bind(seconds)
            .bind(id)
            .execute(p)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Final state: `success` with the image, or `failure` with the reason in `status_detail`.
    pub async fn finish_render_task(
        &self,
        id: &str,
        outcome: Result<&[u8], &str>,
        render_runtime: Option<f64>,
        runtime: f64,
    ) -> Result<(), StoreError> {
        let (status, file, detail) = match outcome {
            Ok(bytes) => ("success", Some(self.write_result("render", id, bytes).await?), None),
            Err(message) => ("failure", None, Some(message)),
        };
        let update =
            "UPDATE render_tasks SET status = ?, result_file = ?, expires_at = ?, status_detail = ?, render_runtime = ?, runtime = ?, \
                      finalized_at = ? WHERE id = ?";
        let updated = on_pool!(self, update, |p, sql| sqlx::query(sql)
            .bind(status)
            .bind(&file)
            .bind(file.as_ref().map(|_| self.expiry()))
            .bind(detail)
            .bind(render_runtime)
            .bind(runtime)
            .bind(now_text())
            .bind(id)
            .execute(p)
            .await
            .map(|_| ()));
        if let (Err(_), Some(file)) = (&updated, &file) {
            let _ = self.remove_result(file).await;
        }
        updated?;
        Ok(())
    }

    /// The image of a successful render task; `None` once expired.
    pub async fn render_task_result(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.task_result("SELECT result_file FROM render_tasks WHERE id = ?", id).await
    }

    /// Removes the results that have expired (their tasks keep their state and read as expired),
    /// cache entries past their expiry and partial files abandoned an hour ago; how many.
    pub async fn sweep_expired(&self) -> Result<u64, StoreError> {
        let now = jiff::Timestamp::now().as_second();
        let mut removed = 0;
        for table in ["query_tasks", "render_tasks"] {
            let select = format!("SELECT id, result_file FROM {table} WHERE result_file IS NOT NULL AND expires_at <= ?");
            let expired: Vec<(String, String)> = on_pool!(self, select, |p, sql| sqlx::query_as(sql).bind(now).fetch_all(p).await?);
            for (id, file) in expired {
                let update = format!("UPDATE {table} SET result_file = NULL WHERE id = ?");
                on_pool!(self, update, |p, sql| sqlx::query(sql).bind(&id).execute(p).await?.rows_affected());
                self.remove_result(&file).await?;
                removed += 1;
            }
        }
        // A write abandoned an hour ago will not finish.
        let abandoned = self.remove_abandoned_results(std::time::Duration::from_secs(3600)).await?;
        Ok(removed + self.sweep_cache().await? + abandoned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_setup as setup;

    async fn query_task_lifecycle(store: Store) {
        let (store, user, query) = setup(store).await;
        let t = store
            .create_query_task(query, user, "csv", &QueryTaskOptions { source: Some("sdk".into()), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(t.status, "added");
        store.set_query_task_status(&t.id, QueryTaskStatus::Running).await.unwrap();
        let body = crate::Payload::from(&b"a,b\n"[..]);
        store.finish_query_task(&t.id, Ok(QueryTaskOutput::queried("text/csv", &body)), 0.5, Some(r#"{"queue":0.1}"#)).await.unwrap();
        let done = store.query_task(&t.id).await.unwrap().unwrap();
        assert_eq!((done.status.as_str(), done.runtime), ("complete", Some(0.5)));
        assert_eq!(done.phases.as_deref(), Some(r#"{"queue":0.1}"#));
        assert_eq!(store.query_task_result(&t.id).await.unwrap().unwrap(), b"a,b\n");
        assert!(store.query_task("nope").await.unwrap().is_none());
    }

    async fn a_killed_task_stays_killed(store: Store) {
        let (store, user, query) = setup(store).await;
        let t = store.create_query_task(query, user, "csv", &Default::default()).await.unwrap();
        store.set_query_task_status(&t.id, QueryTaskStatus::Running).await.unwrap();
        assert_eq!(store.active_query_tasks().await.unwrap().len(), 1);
        assert!(store.kill_query_task(&t.id, "killed").await.unwrap());
        assert!(!store.kill_query_task(&t.id, "killed").await.unwrap(), "once");
        store.set_query_task_status(&t.id, QueryTaskStatus::Running).await.unwrap();
        let body = crate::Payload::from(&b"a\n"[..]);
        assert!(!store.finish_query_task(&t.id, Ok(QueryTaskOutput::queried("text/csv", &body)), 0.5, None).await.unwrap());
        let killed = store.query_task(&t.id).await.unwrap().unwrap();
        assert_eq!((killed.status.as_str(), killed.has_result, killed.error.as_deref()), ("killed", false, Some("killed")));
        assert!(killed.started_at.is_some());
        assert_eq!(store.read_result(&format!("query-{}", t.id)).await.unwrap(), None, "the late result is dropped");
        assert!(store.active_query_tasks().await.unwrap().is_empty());
    }

    async fn results_are_kept_until_they_expire(store: Store) {
        let (store, user, query) = setup(store).await;
        let t = store.create_query_task(query, user, "csv", &Default::default()).await.unwrap();
        let body = crate::Payload::from(&b"a,b\n"[..]);
        store.finish_query_task(&t.id, Ok(QueryTaskOutput::queried("text/csv", &body)), 0.1, None).await.unwrap();
        if let Some(dir) = store.results_dir() {
            assert!(dir.join(format!("query-{}", t.id)).is_file(), "a file beside SQLite");
        }
        assert_eq!(store.sweep_expired().await.unwrap(), 0, "not expired yet");
        if let Some(dir) = store.results_dir() {
            let partial = dir.join(".query-x.abcd.partial");
            std::fs::write(&partial, b"half").unwrap();
            assert_eq!(store.remove_abandoned_results(std::time::Duration::from_secs(3600)).await.unwrap(), 0, "a write may be under way");
            assert_eq!(store.remove_abandoned_results(std::time::Duration::ZERO).await.unwrap(), 1);
            assert!(!partial.exists());
        }
        let r = store.create_render_task(query, user, "png", 10, 10).await.unwrap();
        let short = store.clone().with_result_ttl(std::time::Duration::ZERO);
        short.finish_render_task(&r.id, Ok(b"png"), Some(0.1), 0.2).await.unwrap();
        assert_eq!(store.render_task_result(&r.id).await.unwrap().as_deref(), Some(&b"png"[..]));
        assert_eq!(store.sweep_expired().await.unwrap(), 1);
        assert_eq!(store.render_task_result(&r.id).await.unwrap(), None);
        let swept = store.render_task(&r.id).await.unwrap().unwrap();
        assert_eq!((swept.status.as_str(), swept.has_result), ("success", false));
        assert_eq!(store.read_result(&format!("render-{}", r.id)).await.unwrap(), None);
        assert_eq!(store.query_task_result(&t.id).await.unwrap().as_deref(), Some(&b"a,b\n"[..]));
    }

    async fn large_results_come_back_whole(store: Store) {
        let (store, user, query) = setup(store).await;
        let t = store.create_query_task(query, user, "csv", &Default::default()).await.unwrap();
        // Three chunks and a bit on PostgreSQL; then a shorter one in its place leaves no tail.
        let big: Vec<u8> = (0..(3 << 20) + 17).map(|i| (i % 251) as u8).collect();
        let name = store.write_result("query", &t.id, &big).await.unwrap();
        assert_eq!(store.read_result(&name).await.unwrap().as_deref(), Some(&big[..]));
        store.write_result("query", &t.id, b"short").await.unwrap();
        assert_eq!(store.read_result(&name).await.unwrap().as_deref(), Some(&b"short"[..]));
        store.write_result("query", &t.id, b"").await.unwrap();
        assert_eq!(store.read_result(&name).await.unwrap().as_deref(), Some(&b""[..]), "an empty result is still there");
        store.remove_result(&name).await.unwrap();
        assert_eq!(store.read_result(&name).await.unwrap(), None);
        assert!(store.read_result("../etc").await.is_err(), "only names the store made");
    }

    async fn a_task_answered_at_creation_is_complete_with_its_result(store: Store) {
        let (store, user, query) = setup(store).await;
        let options = QueryTaskOptions { use_cache: true, ..Default::default() };
        let body = crate::Payload::from(&b"a\n1\n"[..]);
        let output = QueryTaskOutput { content_type: "text/csv", body: &body, result_source: "cache", cache_key: Some("k") };
        let answered = Answered { output, runtime: 0.002, phases: Some(r#"{"cache":0.001}"#) };
        let t = store.create_complete_query_task(query, user, "csv", &options, answered).await.unwrap();
        assert_eq!((t.status.as_str(), t.result_source.as_deref(), t.cache_key.as_deref()), ("complete", Some("cache"), Some("k")));
        assert!(t.has_result && t.started_at.is_some());
        assert_eq!(store.query_task_result(&t.id).await.unwrap().as_deref(), Some(&b"a\n1\n"[..]));
        assert_eq!(store.claim_task("w", std::time::Duration::from_secs(30)).await.unwrap(), None, "never queued");
    }

    /// A result spooled to a file is stored from the file (linked beside SQLite, chunked into
    /// PostgreSQL), reads back whole, and the spool file goes with its last payload.
    async fn spooled_results_are_stored_from_their_file(store: Store) {
        use std::io::Write;
        let (store, user, query) = setup(store).await;
        let t = store.create_query_task(query, user, "csv", &Default::default()).await.unwrap();
        let big: Vec<u8> = (0..(2 << 20) + 5).map(|i| (i % 241) as u8).collect();
        let mut spool = store.spool(usize::MAX);
        spool.write_all(&big).unwrap();
        let payload = spool.finish().unwrap();
        let spooled = payload.file().expect("past the in-memory size, the spool is a file").to_path_buf();
        store.finish_query_task(&t.id, Ok(QueryTaskOutput::queried("text/csv", &payload)), 0.1, None).await.unwrap();
        drop(payload);
        assert!(!spooled.exists(), "the spool file went with its payload");
        let stored = store.query_task_payload(&t.id).await.unwrap().expect("stored");
        assert_eq!(stored.len(), big.len() as u64);
        assert_eq!(stored.read_all().await.unwrap(), big);
        assert_eq!(store.query_task_result(&t.id).await.unwrap().as_deref(), Some(&big[..]));
    }

    crate::on_both_databases!(
        a_task_answered_at_creation_is_complete_with_its_result,
        query_task_lifecycle,
        a_killed_task_stays_killed,
        results_are_kept_until_they_expire,
        large_results_come_back_whole,
        spooled_results_are_stored_from_their_file
    );
}
