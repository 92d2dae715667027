//! Runs SQL on the user's databases and streams the results as Arrow record batches (DuckDB's
//! own; rows from PostgreSQL and MySQL typed by their columns and batched), or collects them
//! into typed [`ResultSet`]s. The only crate that talks to warehouses. Calls block: async
//! callers run them on a blocking thread.

mod batches;
mod cancel;
mod duckdb_connection;
mod sqlx_connection;

pub use arrow_array::RecordBatch;

pub use cancel::{Cancel, Watch};

pub use duckdb_connection::DuckDbConnection;
pub use sqlx_connection::{MySqlConnection, PostgresConnection, ServerTarget, Tls};

use result::{ColumnInfo, ResultSet};

/// Where a query's record batches go, one at a time.
pub type Sink<'a> = dyn FnMut(&RecordBatch) -> Result<(), ConnectError> + 'a;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConnectError {
    #[error("cannot open the {dialect} database {target}: {message}")]
    Open { dialect: &'static str, target: String, message: String },
    /// The database refused or failed the statement; the message is the database's own.
    #[error("{0}")]
    Sql(String),
    /// The statement was stopped by [`Cancel::cancel`].
    #[error("the query was cancelled")]
    Cancelled,
    #[error("Sightline has no {0} driver yet: queries on this connection cannot run (result_format=sql shows their SQL)")]
    NoDriver(&'static str),
}

/// A connection to a dialect Sightline can write SQL for but not run yet: every query fails with
/// a message naming the dialect, while `result_format=sql` still answers.
pub struct NoDriverConnection {
    pub dialect: &'static str,
}

impl Connection for NoDriverConnection {
    fn dialect(&self) -> &'static str {
        self.dialect
    }

    fn stream(&self, _sql: &str, _cancel: &Cancel, _sink: &mut Sink) -> Result<(), ConnectError> {
        Err(ConnectError::NoDriver(self.dialect))
    }

    fn execute_batch(&self, _sql: &str) -> Result<(), ConnectError> {
        Err(ConnectError::NoDriver(self.dialect))
    }
}

/// A database that can run one SQL statement and return its rows.
pub trait Connection: Send + Sync {
    /// The dialect name the SQL compiler should use (`duckdb`, `postgres`, `mysql`).
    fn dialect(&self) -> &'static str;

    /// Runs `sql` and hands its rows to `sink` as Arrow record batches, as they come. Cancelling
    /// `cancel` stops the statement in the database and fails with [`ConnectError::Cancelled`].
    fn stream(&self, sql: &str, cancel: &Cancel, sink: &mut Sink) -> Result<(), ConnectError>;

    /// As [`Connection::stream`], on a session that first ran `preamble` (an explore's
    /// `sql_preamble`: statements that return no rows, such as temporary functions). The session
    /// serves nothing after it, so what the preamble sets reaches no other query. Drivers that
    /// cannot keep the two on one session refuse it.
    fn stream_after(&self, preamble: &str, sql: &str, cancel: &Cancel, sink: &mut Sink) -> Result<(), ConnectError> {
        let _ = (preamble, sql, cancel, sink);
        Err(ConnectError::Sql(format!("an explore's sql_preamble cannot run on the {} driver", self.dialect())))
    }

    /// Runs `sql` and collects its rows; `columns` describe its first columns, in order (any
    /// after them are dropped).
    fn query(&self, sql: &str, columns: Vec<ColumnInfo>) -> Result<ResultSet, ConnectError> {
        self.query_until(sql, columns, &Cancel::new())
    }

    /// As [`Connection::query`], stopped by `cancel`.
    fn query_until(&self, sql: &str, columns: Vec<ColumnInfo>, cancel: &Cancel) -> Result<ResultSet, ConnectError> {
        let mut result = ResultSet::new(columns);
        self.stream(sql, cancel, &mut |batch| result::arrow::append(&mut result, batch).map_err(|e| ConnectError::Sql(e.0)))?;
        Ok(result)
    }

    /// Runs statements that return no rows (set-up scripts).
    fn execute_batch(&self, sql: &str) -> Result<(), ConnectError>;

    /// The zone the database's naive timestamps are in (`timezone` in the config; UTC unless set).
    fn timezone(&self) -> &str {
        "UTC"
    }

    /// The schema persistent derived tables are built into (`tmp_db_name` in the config, as
    /// Looker names it); `None`: they are computed inline in every query that reads them.
    fn scratch_schema(&self) -> Option<&str> {
        None
    }

    /// Where it connects, for the API (never the password).
    fn describe(&self) -> ConnectionInfo {
        ConnectionInfo::default()
    }

    /// How many statements may run on it at once (Looker's `max_queries`); no limit when `None`.
    fn max_queries(&self) -> Option<u32> {
        None
    }

    /// How many statements of one user may run on it at once (Looker's `max_queries_per_user`).
    fn max_queries_per_user(&self) -> Option<u32> {
        None
    }
}

/// How many statements may run at once on a connection, in all and per user (Looker's
/// `max_queries` and `max_queries_per_user`); no limit where `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatementLimits {
    pub max_queries: Option<u32>,
    pub max_queries_per_user: Option<u32>,
}

/// A connection's target as the API reports it (Looker's `DBConnection`, password left out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionInfo {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub database: Option<String>,
    pub schema: Option<String>,
    pub username: Option<String>,
    pub has_password: bool,
    pub max_connections: Option<u32>,
    /// Servers: how TLS is used.
    pub tls: Option<Tls>,
}

/// Whether `name` may name a scratch schema (`tmp_db_name`): it is written into SQL as it is, so
/// only letters, digits and `_`, not starting with a digit, at most 63 characters.
pub fn is_plain_schema_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 63
}

/// A connection with settings of the config or the API on top of a driver's: the zone its
/// timestamps are stored in (UTC when `None`), how many statements may run at once, and the
/// scratch schema of its persistent derived tables.
pub struct Configured {
    pub inner: std::sync::Arc<dyn Connection>,
    pub zone: Option<String>,
    pub limits: StatementLimits,
    pub scratch_schema: Option<String>,
}

impl Configured {
    /// `connection` with these settings (`scratch_schema`: where persistent derived tables are
    /// built); itself when there are none.
    pub fn wrap(
        connection: std::sync::Arc<dyn Connection>,
        zone: Option<&str>,
        limits: StatementLimits,
        scratch_schema: Option<&str>,
    ) -> std::sync::Arc<dyn Connection> {
        let zone = zone.filter(|z| *z != "UTC").map(str::to_string);
        if zone.is_none() && limits == StatementLimits::default() && scratch_schema.is_none() {
            return connection;
        }
        std::sync::Arc::new(Configured { inner: connection, zone, limits, scratch_schema: scratch_schema.map(str::to_string) })
    }
}

impl Connection for Configured {
    fn dialect(&self) -> &'static str {
        self.inner.dialect()
    }

    fn stream(&self, sql: &str, cancel: &Cancel, sink: &mut Sink) -> Result<(), ConnectError> {
        self.inner.stream(sql, cancel, sink)
    }

    fn stream_after(&self, preamble: &str, sql: &str, cancel: &Cancel, sink: &mut Sink) -> Result<(), ConnectError> {
        self.inner.stream_after(preamble, sql, cancel, sink)
    }

    fn execute_batch(&self, sql: &str) -> Result<(), ConnectError> {
        self.inner.execute_batch(sql)
    }

    fn timezone(&self) -> &str {
        self.zone.as_deref().unwrap_or_else(|| self.inner.timezone())
    }

    fn scratch_schema(&self) -> Option<&str> {
        self.scratch_schema.as_deref().or_else(|| self.inner.scratch_schema())
    }

    fn describe(&self) -> ConnectionInfo {
        self.inner.describe()
    }

    fn max_queries(&self) -> Option<u32> {
        self.limits.max_queries.or_else(|| self.inner.max_queries())
    }

    fn max_queries_per_user(&self) -> Option<u32> {
        self.limits.max_queries_per_user.or_else(|| self.inner.max_queries_per_user())
    }
}
