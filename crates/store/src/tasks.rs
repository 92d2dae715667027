//! Query tasks and render tasks: status as Looker names it, and the finished output (a file,
//! kept until it expires).

use sqlx::sqlite::SqliteRow;
use sqlx::Row;

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
    /// Where its result came from, `query` or `cache`, once complete.
    pub result_source: Option<String>,
    pub cache_key: Option<String>,
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
}

/// A query task's finished output and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct QueryTaskOutput<'a> {
    pub content_type: &'a str,
    pub body: &'a [u8],
    /// `query` or `cache`.
    pub result_source: &'a str,
    pub cache_key: Option<&'a str>,
}

impl<'a> QueryTaskOutput<'a> {
    /// Output a query produced, with no cache key.
    pub fn queried(content_type: &'a str, body: &'a [u8]) -> Self {
        QueryTaskOutput { content_type, body, result_source: "query", cache_key: None }
    }
}

/// The statuses a query task can still leave; the others are final.
const QUERY_TASK_ACTIVE: &str = "('added', 'pending', 'running')";

#[derive(Debug, Clone, PartialEq)]
pub struct RenderTaskRow {
    pub id: String,
    pub query_id: i64,
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

const QUERY_TASK_COLUMNS: &str = "id, query_id, user_id, result_format, source, row_limit, status, runtime, error, content_type, \
     result_file IS NOT NULL AS has_result, created_at, started_at, use_cache, cache_only, deferred, result_source, cache_key";
const RENDER_TASK_COLUMNS: &str = "id, query_id, user_id, result_format, width, height, status, status_detail, query_runtime, render_runtime, runtime, created_at, finalized_at, result_file IS NOT NULL AS has_result";

fn status<T>(r: &SqliteRow, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    let text: String = r.get("status");
    parse(&text).ok_or_else(|| StoreError::Unreadable(format!("unknown task status `{text}`")))
}

fn query_task(r: SqliteRow) -> Result<QueryTaskRow, StoreError> {
    Ok(QueryTaskRow {
        id: r.get("id"),
        query_id: r.get("query_id"),
        user_id: r.get("user_id"),
        result_format: r.get("result_format"),
        source: r.get("source"),
        row_limit: r.get("row_limit"),
        status: status(&r, QueryTaskStatus::parse)?,
        runtime: r.get("runtime"),
        error: r.get("error"),
        content_type: r.get("content_type"),
        has_result: r.get("has_result"),
        created_at: r.get("created_at"),
        started_at: r.get("started_at"),
        use_cache: r.get("use_cache"),
        cache_only: r.get("cache_only"),
        deferred: r.get("deferred"),
        result_source: r.get("result_source"),
        cache_key: r.get("cache_key"),
    })
}

fn render_task(r: SqliteRow) -> Result<RenderTaskRow, StoreError> {
    Ok(RenderTaskRow {
        id: r.get("id"),
        query_id: r.get("query_id"),
        user_id: r.get("user_id"),
        result_format: r.get("result_format"),
        width: r.get("width"),
        height: r.get("height"),
        status: status(&r, RenderTaskStatus::parse)?,
        status_detail: r.get("status_detail"),
        query_runtime: r.get("query_runtime"),
        render_runtime: r.get("render_runtime"),
        runtime: r.get("runtime"),
        created_at: r.get("created_at"),
        finalized_at: r.get("finalized_at"),
        has_result: r.get("has_result"),
    })
}

impl Store {
    /// Records a new query task in status `added` and returns it.
    pub async fn create_query_task(
        &self,
        query_id: i64,
        user_id: i64,
        result_format: &str,
        options: &QueryTaskOptions,
    ) -> Result<QueryTaskRow, StoreError> {
        let id = random_hex(16);
        sqlx::query(
            "INSERT INTO query_tasks (id, query_id, user_id, result_format, source, row_limit, use_cache, cache_only, deferred, status, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'added', ?)",
        )
        .bind(&id)
        .bind(query_id)
        .bind(user_id)
        .bind(result_format)
        .bind(&options.source)
        .bind(&options.row_limit)
        .bind(options.use_cache)
        .bind(options.cache_only)
        .bind(options.deferred)
        .bind(now_text())
        .execute(&self.pool)
        .await?;
        Ok(self.query_task(&id).await?.ok_or(sqlx::Error::RowNotFound)?)
    }

    pub async fn query_task(&self, id: &str) -> Result<Option<QueryTaskRow>, StoreError> {
        let row =
            sqlx::query(&format!("SELECT {QUERY_TASK_COLUMNS} FROM query_tasks WHERE id = ?")).bind(id).fetch_optional(&self.pool).await?;
        row.map(query_task).transpose()
    }

    /// Moves an unfinished task to `pending` or `running` (a finished one stays as it is).
    pub async fn set_query_task_status(&self, id: &str, status: QueryTaskStatus) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "UPDATE query_tasks SET status = ?, started_at = COALESCE(started_at, ?) WHERE id = ? AND status IN {QUERY_TASK_ACTIVE}"
        ))
        .bind(status.as_str())
        .bind(now_text())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes a deferred task off hold; whether this call did (so one caller queues it).
    pub async fn undefer_query_task(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE query_tasks SET deferred = 0 WHERE id = ? AND deferred = 1 AND status = 'added'")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends an unfinished task as `killed`, with `message` as its error; whether it was
    /// unfinished.
    pub async fn kill_query_task(&self, id: &str, message: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(&format!(
            "UPDATE query_tasks SET status = 'killed', error = ?, finished_at = ? WHERE id = ? AND status IN {QUERY_TASK_ACTIVE}"
        ))
        .bind(message)
        .bind(now_text())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The tasks not finished yet, in the order they were created.
    pub async fn active_query_tasks(&self) -> Result<Vec<QueryTaskRow>, StoreError> {
        let rows =
            sqlx::query(&format!("SELECT {QUERY_TASK_COLUMNS} FROM query_tasks WHERE status IN {QUERY_TASK_ACTIVE} ORDER BY created_at"))
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(query_task).collect()
    }

    /// Final state: `complete` with the formatted output (written to its file first), or `error`
    /// with a message. A task that has ended meanwhile (killed) keeps its state, and the output
    /// is dropped; whether this ended it.
    pub async fn finish_query_task(&self, id: &str, outcome: Result<QueryTaskOutput<'_>, &str>, runtime: f64) -> Result<bool, StoreError> {
        let (status, content_type, file, error) = match outcome {
            Ok(out) => ("complete", Some(out.content_type), Some(self.results.write("query", id, out.body).await?), None),
            Err(message) => ("error", None, None, Some(message)),
        };
        let (source, key) = outcome.ok().map(|o| (Some(o.result_source), o.cache_key)).unwrap_or_default();
        let updated = sqlx::query(&format!(
            "UPDATE query_tasks SET status = ?, content_type = ?, result_file = ?, expires_at = ?, error = ?, runtime = ?, finished_at = ?, \
             result_source = ?, cache_key = ? WHERE id = ? AND status IN {QUERY_TASK_ACTIVE}"
        ))
        .bind(status)
        .bind(content_type)
        .bind(&file)
        .bind(file.as_ref().map(|_| self.expiry()))
        .bind(error)
        .bind(runtime)
        .bind(now_text())
        .bind(source)
        .bind(key)
        .bind(id)
        .execute(&self.pool)
        .await;
        let ended = matches!(&updated, Ok(done) if done.rows_affected() == 1);
        if let (false, Some(file)) = (ended, &file) {
            let _ = self.results.remove(file).await;
        }
        updated?;
        Ok(ended)
    }

    /// The formatted output of a complete task; `None` once expired.
    pub async fn query_task_result(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let file: Option<String> =
            sqlx::query_scalar("SELECT result_file FROM query_tasks WHERE id = ?").bind(id).fetch_optional(&self.pool).await?.flatten();
        match file {
            Some(file) => self.results.read(&file).await,
            None => Ok(None),
        }
    }

    pub async fn create_render_task(
        &self,
        query_id: i64,
        user_id: i64,
        result_format: &str,
        width: i64,
        height: i64,
    ) -> Result<RenderTaskRow, StoreError> {
        let id = random_hex(16);
        sqlx::query("INSERT INTO render_tasks (id, query_id, user_id, result_format, width, height, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'enqueued_for_query', ?)")
            .bind(&id)
            .bind(query_id)
            .bind(user_id)
            .bind(result_format)
            .bind(width)
            .bind(height)
            .bind(now_text())
            .execute(&self.pool)
            .await?;
        Ok(self.render_task(&id).await?.ok_or(sqlx::Error::RowNotFound)?)
    }

    pub async fn render_task(&self, id: &str) -> Result<Option<RenderTaskRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {RENDER_TASK_COLUMNS} FROM render_tasks WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(render_task).transpose()
    }

    pub async fn set_render_task_status(&self, id: &str, status: RenderTaskStatus) -> Result<(), StoreError> {
        sqlx::query("UPDATE render_tasks SET status = ? WHERE id = ?").bind(status.as_str()).bind(id).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn set_render_query_runtime(&self, id: &str, seconds: f64) -> Result<(), StoreError> {
        sqlx::query("UPDATE render_tasks SET query_runtime = ? WHERE id = ?").bind(seconds).bind(id).execute(&self.pool).await?;
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
            Ok(bytes) => ("success", Some(self.results.write("render", id, bytes).await?), None),
            Err(message) => ("failure", None, Some(message)),
        };
        let updated = sqlx::query("UPDATE render_tasks SET status = ?, result_file = ?, expires_at = ?, status_detail = ?, render_runtime = ?, runtime = ?, finalized_at = ? WHERE id = ?")
            .bind(status)
            .bind(&file)
            .bind(file.as_ref().map(|_| self.expiry()))
            .bind(detail)
            .bind(render_runtime)
            .bind(runtime)
            .bind(now_text())
            .bind(id)
            .execute(&self.pool)
            .await;
        if let (Err(_), Some(file)) = (&updated, &file) {
            let _ = self.results.remove(file).await;
        }
        updated?;
        Ok(())
    }

    /// The image of a successful render task; `None` once expired.
    pub async fn render_task_result(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let file: Option<String> =
            sqlx::query_scalar("SELECT result_file FROM render_tasks WHERE id = ?").bind(id).fetch_optional(&self.pool).await?.flatten();
        match file {
            Some(file) => self.results.read(&file).await,
            None => Ok(None),
        }
    }

    /// Removes the results that have expired (their tasks keep their state and read as expired),
    /// cache entries past their expiry and partial files abandoned an hour ago; how many.
    pub async fn sweep_expired(&self) -> Result<u64, StoreError> {
        let now = jiff::Timestamp::now().as_second();
        let mut removed = 0;
        for table in ["query_tasks", "render_tasks"] {
            let expired: Vec<(String, String)> =
                sqlx::query_as(&format!("SELECT id, result_file FROM {table} WHERE result_file IS NOT NULL AND expires_at <= ?"))
                    .bind(now)
                    .fetch_all(&self.pool)
                    .await?;
            for (id, file) in expired {
                sqlx::query(&format!("UPDATE {table} SET result_file = NULL WHERE id = ?")).bind(&id).execute(&self.pool).await?;
                self.results.remove(&file).await?;
                removed += 1;
            }
        }
        // A write abandoned an hour ago will not finish.
        let abandoned = self.results.remove_abandoned(std::time::Duration::from_secs(3600)).await?;
        Ok(removed + self.sweep_cache().await? + abandoned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_setup as setup;

    #[tokio::test]
    async fn query_task_lifecycle() {
        let (store, user, query) = setup().await;
        let t = store
            .create_query_task(query, user, "csv", &QueryTaskOptions { source: Some("sdk".into()), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(t.status, "added");
        store.set_query_task_status(&t.id, QueryTaskStatus::Running).await.unwrap();
        store.finish_query_task(&t.id, Ok(QueryTaskOutput::queried("text/csv", b"a,b\n")), 0.5).await.unwrap();
        let done = store.query_task(&t.id).await.unwrap().unwrap();
        assert_eq!((done.status.as_str(), done.runtime), ("complete", Some(0.5)));
        assert_eq!(store.query_task_result(&t.id).await.unwrap().unwrap(), b"a,b\n");
        assert!(store.query_task("nope").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_killed_task_stays_killed() {
        let (store, user, query) = setup().await;
        let t = store.create_query_task(query, user, "csv", &Default::default()).await.unwrap();
        store.set_query_task_status(&t.id, QueryTaskStatus::Running).await.unwrap();
        assert_eq!(store.active_query_tasks().await.unwrap().len(), 1);
        assert!(store.kill_query_task(&t.id, "killed").await.unwrap());
        assert!(!store.kill_query_task(&t.id, "killed").await.unwrap(), "once");
        store.set_query_task_status(&t.id, QueryTaskStatus::Running).await.unwrap();
        assert!(!store.finish_query_task(&t.id, Ok(QueryTaskOutput::queried("text/csv", b"a\n")), 0.5).await.unwrap());
        let killed = store.query_task(&t.id).await.unwrap().unwrap();
        assert_eq!((killed.status.as_str(), killed.has_result, killed.error.as_deref()), ("killed", false, Some("killed")));
        assert!(killed.started_at.is_some());
        assert!(!store.results_dir().join(format!("query-{}", t.id)).exists(), "the late result is dropped");
        assert!(store.active_query_tasks().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn results_are_files_that_expire() {
        let (store, user, query) = setup().await;
        let t = store.create_query_task(query, user, "csv", &Default::default()).await.unwrap();
        store.finish_query_task(&t.id, Ok(QueryTaskOutput::queried("text/csv", b"a,b\n")), 0.1).await.unwrap();
        assert!(store.results_dir().join(format!("query-{}", t.id)).is_file());
        assert_eq!(store.sweep_expired().await.unwrap(), 0, "not expired yet");
        let partial = store.results_dir().join(".query-x.abcd.partial");
        std::fs::write(&partial, b"half").unwrap();
        assert_eq!(store.results.remove_abandoned(std::time::Duration::from_secs(3600)).await.unwrap(), 0, "a write may be under way");
        assert_eq!(store.results.remove_abandoned(std::time::Duration::ZERO).await.unwrap(), 1);
        assert!(!partial.exists());
        let r = store.create_render_task(query, user, "png", 10, 10).await.unwrap();
        let short = store.clone().with_result_ttl(std::time::Duration::ZERO);
        short.finish_render_task(&r.id, Ok(b"png"), Some(0.1), 0.2).await.unwrap();
        assert_eq!(store.render_task_result(&r.id).await.unwrap().as_deref(), Some(&b"png"[..]));
        assert_eq!(store.sweep_expired().await.unwrap(), 1);
        assert_eq!(store.render_task_result(&r.id).await.unwrap(), None);
        let swept = store.render_task(&r.id).await.unwrap().unwrap();
        assert_eq!((swept.status.as_str(), swept.has_result), ("success", false));
        assert!(!store.results_dir().join(format!("render-{}", r.id)).exists());
        assert_eq!(store.query_task_result(&t.id).await.unwrap().as_deref(), Some(&b"a,b\n"[..]));
    }
}
