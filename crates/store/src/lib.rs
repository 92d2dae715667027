//! Sightline's metadata: users, API3 credentials, access tokens, queries, query tasks, render
//! tasks and the result cache, in SQLite (`sqlite://PATH`, the default) or PostgreSQL
//! (`postgres://…`, which several servers share), through sqlx, each with its own migrations in
//! `migrations/`. Task results are kept for a set time: as files beside a SQLite database, as
//! chunks in PostgreSQL (`results.rs`).
//!
//! The SQL here is written once for both databases (`db.rs`); nothing above this crate writes
//! SQL for the metadata store.

mod auth;
mod cache;
mod connections;
mod dashboard_filters;
mod dashboards;
mod db;
mod derived_tables;
mod folders;
mod groups;
mod looks;
mod payload;
pub mod permissions;
mod queries;
mod queue;
mod results;
mod roles;
mod search;
mod status;
mod tasks;
pub mod testing;
mod user_attributes;
mod users;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use thiserror::Error;

pub use auth::{AdminCredentials, Api3Credential};
pub use cache::{cache_key, CachedResult};
pub use dashboard_filters::{DashboardFilter, FilterFields};
pub use dashboards::{
    Dashboard, DashboardChange, DashboardElement, DashboardLayout, ElementFields, ElementKind, Filterable, LayoutComponent, Listen,
    NewDashboard, Placement, GRID_COLUMNS,
};
pub use derived_tables::BuiltTable;
pub use folders::{Folder, SHARED_FOLDER_ID, USERS_FOLDER_ID};
pub use groups::Group;
pub use looks::{Look, LookChange, NewLook};
pub use payload::{Payload, Spool, SPOOL_IN_MEMORY};
pub use permissions::{Grants, Permission};
pub use queries::StoredQuery;
pub use queue::{Claimed, ExpiredLeases, TaskKind};
pub use results::DEFAULT_RESULT_TTL;
pub use roles::{Holding, ModelSet, PermissionSet, Role, RoleChange, SetKind};
pub use search::{ContentColumn, ContentSearch, TextMatch};
pub use status::{QueryTaskStatus, RenderTaskStatus};
pub use tasks::{Answered, QueryTaskOptions, QueryTaskOutput, QueryTaskRow, RenderSource, RenderTaskRow};
pub use user_attributes::{AttributeFields, AttributeValue, GroupValue, UserAttribute, ValueSource};
pub use users::{User, UserFields};

use db::Pool;
use results::{ResultFiles, Results};

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("unsupported metadata database URL `{0}` (expected sqlite://PATH or postgres://…)")]
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
    pool: Pool,
    results: Results,
    result_ttl: Duration,
    /// Saved queries read before, by id: they never change (see `queries.rs`).
    saved: Arc<queries::Recent>,
}

/// Now as RFC 3339 text with microseconds always written, so that timestamps order as text
/// (`…:09.000000Z` before `…:09.100000Z`; without the fixed width, `…:09Z` sorted after
/// `…:09.1Z`): the queue orders tasks by it.
pub(crate) fn now_text() -> String {
    format!("{:.6}", jiff::Timestamp::now())
}

/// `url` fit to show: a password in it is replaced by `***`.
pub fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (authority, path) = rest.split_once('/').map_or((rest, None), |(a, p)| (a, Some(p)));
    let Some((credentials, host)) = authority.rsplit_once('@') else { return url.to_string() };
    let user = credentials.split_once(':').map_or(credentials, |(user, _)| user);
    let hidden = if credentials.contains(':') { format!("{user}:***") } else { user.to_string() };
    match path {
        Some(path) => format!("{scheme}://{hidden}@{host}/{path}"),
        None => format!("{scheme}://{hidden}@{host}"),
    }
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
    /// Opens (creating if needed) the store at `url` and brings its schema up to date: a SQLite
    /// file (`sqlite://PATH`; task results go to `results/` beside it) or a PostgreSQL database
    /// (`postgres://…` or `postgresql://…`; results are kept in it, so that every server using it
    /// can answer for any task).
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Store::connect_postgres(url).await;
        }
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
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Store::new(Pool::Sqlite(pool), Results::Files(results)))
    }

    async fn connect_postgres(url: &str) -> Result<Store, StoreError> {
        let options = PgConnectOptions::from_str(url)?.application_name("sightline");
        // Workers, lease keepers, sweepers and requests share it; a statement here is short.
        let pool = PgPoolOptions::new().max_connections(16).connect_with(options).await?;
        // Servers starting together on one database: sqlx holds an advisory lock while migrating.
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Store::new(Pool::Postgres(pool.clone()), Results::Chunks(pool)))
    }

    fn new(pool: Pool, results: Results) -> Store {
        Store { pool, results, result_ttl: DEFAULT_RESULT_TTL, saved: Default::default() }
    }

    /// Which database this store is in: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// How long task results are kept after their task finished.
    pub fn with_result_ttl(mut self, ttl: Duration) -> Store {
        self.result_ttl = ttl;
        self
    }

    /// The folder task results are written to; `None` when they are kept in the database.
    pub fn results_dir(&self) -> Option<&std::path::Path> {
        match &self.results {
            Results::Files(files) => Some(files.dir()),
            Results::Chunks(_) => None,
        }
    }

    /// A fresh in-memory store, for tests.
    pub async fn in_memory() -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Store::new(Pool::Sqlite(pool), Results::Files(ResultFiles::temporary()?)))
    }

    /// Seconds since 1970 at which a result written now expires.
    fn expiry(&self) -> i64 {
        jiff::Timestamp::now().as_second().saturating_add(i64::try_from(self.result_ttl.as_secs()).unwrap_or(i64::MAX))
    }
}

/// `store` with its admin and one saved query: (store, admin id, query id).
#[cfg(test)]
pub(crate) async fn test_setup(store: Store) -> (Store, i64, i64) {
    let creds = store.ensure_admin(None).await.expect("admin").expect("generated");
    let user = store.verify_api3(&creds.client_id, &creds.client_secret).await.expect("verify").expect("user");
    let q = store.save_query("{}").await.expect("query");
    (store, user, q.id)
}

/// Runs each named `async fn(Store)` as two tests: on SQLite (in memory) and on PostgreSQL (a
/// scratch database; see `testing`).
#[cfg(test)]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::Store::in_memory().await.expect("store")).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(store) = $crate::testing::scratch_postgres().await {
                        super::$name(store).await
                    }
                }
            )*
        }
    };
}
#[cfg(test)]
pub(crate) use on_both_databases;

#[cfg(test)]
mod text_tests {
    #[test]
    fn timestamps_have_a_fixed_width() {
        let now = super::now_text();
        assert_eq!(now.len(), "2026-11-24T04:44:28.123456Z".len(), "{now}");
        assert!(now.parse::<jiff::Timestamp>().is_ok());
    }
}

#[cfg(test)]
mod url_tests {
    #[test]
    fn passwords_are_hidden() {
        assert_eq!(super::redacted_url("postgres://me:secret@db:5432/meta"), "postgres://me:***@db:5432/meta");
        assert_eq!(super::redacted_url("postgres://me@db/meta"), "postgres://me@db/meta");
        assert_eq!(super::redacted_url("sqlite:///data/sightline.db"), "sqlite:///data/sightline.db");
    }
}
