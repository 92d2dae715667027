//! Sightline's metadata: users, API3 credentials, access tokens, queries, query tasks, render
//! tasks and the result cache. SQLite through sqlx, schema by migrations in `migrations/`; task results are files
//! beside the database (`results.rs`), kept for a set time.
//!
//! All SQL here is plain and portable so that a PostgreSQL backend can share it; nothing above
//! this crate writes SQL for the metadata store.

mod auth;
mod cache;
mod connections;
mod queries;
mod queue;
mod results;
mod status;
mod tasks;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use thiserror::Error;

pub use auth::{AdminCredentials, User};
pub use cache::{cache_key, CachedResult};
pub use queries::StoredQuery;
pub use queue::{Claimed, ExpiredLeases, TaskKind};
pub use results::DEFAULT_RESULT_TTL;
pub use status::{QueryTaskStatus, RenderTaskStatus};
pub use tasks::{QueryTaskOptions, QueryTaskOutput, QueryTaskRow, RenderTaskRow};

use results::ResultFiles;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("unsupported metadata database URL `{0}` (expected sqlite://PATH)")]
    UnsupportedUrl(String),
    #[error("metadata database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("metadata database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("task result storage: {0}")]
    Results(String),
    /// A row holds what this version cannot read (a newer version's status, say).
    #[error("metadata database: {0}")]
    Unreadable(String),
}

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    results: Arc<ResultFiles>,
    result_ttl: Duration,
    /// Saved queries read before, by id: they never change (see `queries.rs`).
    saved: Arc<queries::Recent>,
}

pub(crate) fn now_text() -> String {
    jiff::Timestamp::now().to_string()
}

/// A short random name (a process's, on the leases it takes).
pub fn random_id() -> String {
    random_hex(6)
}

pub(crate) fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

pub(crate) fn sha256_hex(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    hex::encode(h.finalize())
}

impl Store {
    /// Opens (creating if needed) the store at `url` and brings its schema up to date. Task
    /// results go to `results/` beside the database file.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        if !url.starts_with("sqlite:") {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // In WAL mode, NORMAL syncs at checkpoints rather than at every commit: a crashed or
            // killed process loses nothing; only a power cut can undo the last commits (never
            // corrupt the database). Every task's bookkeeping is a few commits, so this is most
            // of a cached task's cost.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(10))
            .foreign_keys(true);
        let results = match options.get_filename() {
            path if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" => ResultFiles::temporary()?,
            path => ResultFiles::at(path.parent().map(|p| p.join("results")).unwrap_or_else(|| PathBuf::from("results")))?,
        };
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool, results, result_ttl: DEFAULT_RESULT_TTL, saved: Default::default() })
    }

    /// How long task results are kept after their task finished.
    pub fn with_result_ttl(mut self, ttl: Duration) -> Store {
        self.result_ttl = ttl;
        self
    }

    /// The folder task results are written to.
    pub fn results_dir(&self) -> &std::path::Path {
        self.results.dir()
    }

    /// A fresh in-memory store, for tests.
    pub async fn in_memory() -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool, results: ResultFiles::temporary()?, result_ttl: DEFAULT_RESULT_TTL, saved: Default::default() })
    }

    /// Seconds since 1970 at which a result written now expires.
    fn expiry(&self) -> i64 {
        jiff::Timestamp::now().as_second().saturating_add(i64::try_from(self.result_ttl.as_secs()).unwrap_or(i64::MAX))
    }
}

/// A fresh in-memory store with its admin and one saved query: (store, admin id, query id).
#[cfg(test)]
pub(crate) async fn test_setup() -> (Store, i64, i64) {
    let store = Store::in_memory().await.expect("store");
    let creds = store.ensure_admin(None).await.expect("admin").expect("generated");
    let user = store.verify_api3(&creds.client_id, &creds.client_secret).await.expect("verify").expect("user");
    let q = store.save_query("{}").await.expect("query");
    (store, user, q.id)
}
