//! PostgreSQL and MySQL/MariaDB through sqlx's pools.
//!
//! Statements run through the simple (text) protocol, so every value arrives as the database
//! prints it: exact decimals, dates and timestamps without a date-time crate in between. Rows
//! are read as the server sends them and passed on in Arrow batches of [`BATCH_ROWS`], typed by
//! their columns (`batches.rs`). Each connection owns a small runtime for sqlx's I/O;
//! [`Connection`] calls block on it and are made from blocking threads, as for DuckDB.

use std::time::Duration;

use futures_util::TryStreamExt;
use jiff::civil::{Date, DateTime};
use result::Value;
use sqlx::{Column, Row, TypeInfo};

use crate::batches::{self, is_decimal, Kind, BATCH_ROWS};
use crate::{Cancel, ConnectError, Connection, Sink};

/// Where and how to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerTarget {
    pub host: String,
    pub port: u16,
    pub database: String,
    /// PostgreSQL: the schema search path.
    pub schema: Option<String>,
    pub user: String,
    pub password: Option<String>,
    pub pool_size: u32,
    pub tls: Tls,
    /// The certificate authority (PEM file) that `verify-ca` and `verify-full` check against;
    /// the system's roots when absent.
    pub tls_ca_file: Option<String>,
    /// Statements running longer are cancelled by the server (PostgreSQL's `statement_timeout`,
    /// MariaDB's `max_statement_time`, MySQL's `max_execution_time`).
    pub query_timeout: Option<Duration>,
}

/// How a connection uses TLS, in libpq's `sslmode` words (MySQL's modes map onto them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tls {
    Disable,
    /// TLS when the server offers it, without checking its certificate (libpq's default).
    #[default]
    Prefer,
    /// TLS or no connection; the certificate is not checked.
    Require,
    /// TLS with a certificate signed by a trusted authority.
    VerifyCa,
    /// As `VerifyCa`, and the certificate names the host.
    VerifyFull,
}

impl Tls {
    pub const NAMES: [&'static str; 5] = ["disable", "prefer", "require", "verify-ca", "verify-full"];

    pub fn parse(name: &str) -> Option<Tls> {
        Some(match name {
            "disable" => Tls::Disable,
            "prefer" => Tls::Prefer,
            "require" => Tls::Require,
            "verify-ca" => Tls::VerifyCa,
            "verify-full" => Tls::VerifyFull,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        Tls::NAMES[self as usize]
    }

    fn postgres(self) -> sqlx::postgres::PgSslMode {
        use sqlx::postgres::PgSslMode as M;
        match self {
            Tls::Disable => M::Disable,
            Tls::Prefer => M::Prefer,
            Tls::Require => M::Require,
            Tls::VerifyCa => M::VerifyCa,
            Tls::VerifyFull => M::VerifyFull,
        }
    }

    fn mysql(self) -> sqlx::mysql::MySqlSslMode {
        use sqlx::mysql::MySqlSslMode as M;
        match self {
            Tls::Disable => M::Disabled,
            Tls::Prefer => M::Preferred,
            Tls::Require => M::Required,
            Tls::VerifyCa => M::VerifyCa,
            Tls::VerifyFull => M::VerifyIdentity,
        }
    }
}

struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    fn new() -> Result<Runtime, ConnectError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("sightline-sql-io")
            .enable_all()
            .build()
            .map_err(|e| ConnectError::Sql(format!("cannot start the connection's I/O thread: {e}")))?;
        Ok(Runtime(Some(rt)))
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        match &self.0 {
            Some(rt) => rt.block_on(future),
            None => unreachable!("the runtime lives as long as the connection"),
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // A connection may be dropped on an async thread, where a blocking shutdown would panic.
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

pub struct PostgresConnection {
    pool: sqlx::PgPool,
    runtime: Runtime,
    target: ServerTarget,
    /// To open the side connection a cancel request is sent on.
    options: sqlx::postgres::PgConnectOptions,
}

impl PostgresConnection {
    /// Opens a pool and connects once, so an unreachable server or a refused login is an error
    /// now.
    pub fn connect(target: &ServerTarget) -> Result<Self, ConnectError> {
        Self::open(target, false)
    }

    /// A pool that connects when first used (and again after the server comes back): a server
    /// that is down now does not stop the caller from starting; a statement reports why it
    /// cannot connect.
    pub fn connect_lazy(target: &ServerTarget) -> Result<Self, ConnectError> {
        Self::open(target, true)
    }

    fn open(target: &ServerTarget, lazy: bool) -> Result<Self, ConnectError> {
        let runtime = Runtime::new()?;
        let mut options = sqlx::postgres::PgConnectOptions::new()
            .host(&target.host)
            .port(target.port)
            .database(&target.database)
            .username(&target.user)
            .application_name("sightline")
            .ssl_mode(target.tls.postgres());
        if let Some(p) = &target.password {
            options = options.password(p);
        }
        if let Some(ca) = &target.tls_ca_file {
            options = options.ssl_root_cert(ca);
        }
        if let Some(schema) = &target.schema {
            options = options.options([("search_path", schema.as_str())]);
        }
        if let Some(timeout) = target.query_timeout {
            options = options.options([("statement_timeout", format!("{}ms", timeout.as_millis().max(1)))]);
        }
        let pool_options = sqlx::postgres::PgPoolOptions::new().max_connections(target.pool_size).acquire_timeout(Duration::from_secs(10));
        let pool = match lazy {
            // A lazy pool spawns its connects on the runtime it is made in.
            true => runtime.block_on(async { pool_options.connect_lazy_with(options.clone()) }),
            false => runtime.block_on(pool_options.connect_with(options.clone())).map_err(|e| open_error("postgres", target, e))?,
        };
        Ok(PostgresConnection { pool, runtime, target: target.clone(), options })
    }

    async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, ConnectError> {
        acquire(&self.pool, &self.options, "postgres", &self.target).await
    }
}

impl Connection for PostgresConnection {
    fn dialect(&self) -> &'static str {
        "postgres"
    }

    fn describe(&self) -> crate::ConnectionInfo {
        describe(&self.target)
    }

    /// A cancel asks the server to cancel the backend's statement (`pg_cancel_backend`, sent on a
    /// side connection, as psql's Ctrl-C does with a cancel request).
    fn stream(&self, sql: &str, cancel: &Cancel, sink: &mut Sink) -> Result<(), ConnectError> {
        self.stream_on_session(None, sql, cancel, sink)
    }

    fn stream_after(&self, preamble: &str, sql: &str, cancel: &Cancel, sink: &mut Sink) -> Result<(), ConnectError> {
        self.stream_on_session(Some(preamble), sql, cancel, sink)
    }

    fn execute_batch(&self, sql: &str) -> Result<(), ConnectError> {
        self.runtime.block_on(async {
            let mut conn = self.acquire().await?;
            sqlx::raw_sql(sql).execute(&mut *conn).await.map(|_| ()).map_err(sql_error)
        })
    }
}

impl PostgresConnection {
    fn stream_on_session(&self, preamble: Option<&str>, sql: &str, cancel: &Cancel, sink: &mut Sink) -> Result<(), ConnectError> {
        self.runtime.block_on(async {
            let mut conn = self.acquire().await?;
            if let Some(preamble) = preamble {
                sqlx::raw_sql(preamble).execute(&mut *conn).await.map_err(preamble_error)?;
            }
            let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut *conn).await.map_err(sql_error)?;
            let (io, options) = (tokio::runtime::Handle::current(), self.options.clone());
            let watch = cancel.watch(move || {
                io.spawn(async move {
                    if let Err(e) = cancel_pg_backend(options, pid).await {
                        tracing::warn!(pid, error = %e, "cancelling a PostgreSQL statement failed");
                    }
                });
            })?;
            let outcome = read_rows(sqlx::raw_sql(sql).fetch(&mut *conn), pg_text, sink).await;
            drop(watch);
            settle(conn, cancel, outcome, preamble.is_some()).await
        })
    }
}

pub struct MySqlConnection {
    pool: sqlx::MySqlPool,
    runtime: Runtime,
    target: ServerTarget,
    /// To open the side connection `KILL QUERY` is sent on.
    options: sqlx::mysql::MySqlConnectOptions,
}

impl MySqlConnection {
    /// Opens a pool and connects once (see [`PostgresConnection::connect`]).
    pub fn connect(target: &ServerTarget) -> Result<Self, ConnectError> {
        Self::open(target, false)
    }

    /// A pool that connects when first used (see [`PostgresConnection::connect_lazy`]).
    pub fn connect_lazy(target: &ServerTarget) -> Result<Self, ConnectError> {
        Self::open(target, true)
    }

    fn open(target: &ServerTarget, lazy: bool) -> Result<Self, ConnectError> {
        let runtime = Runtime::new()?;
        let mut options =
            sqlx::mysql::MySqlConnectOptions::new().host(&target.host).port(target.port).database(&target.database).username(&target.user);
        options = options.ssl_mode(target.tls.mysql());
        if let Some(p) = &target.password {
            options = options.password(p);
        }
        if let Some(ca) = &target.tls_ca_file {
            options = options.ssl_ca(ca);
        }
        // Times are compared as written; the session must not shift them.
        options = options.timezone(Some("+00:00".into()));
        let mut pool_options =
            sqlx::mysql::MySqlPoolOptions::new().max_connections(target.pool_size).acquire_timeout(Duration::from_secs(10));
        if let Some(timeout) = target.query_timeout {
            // MariaDB names it max_statement_time (seconds), MySQL max_execution_time (ms).
            let seconds = timeout.as_secs_f64().max(0.001);
            pool_options = pool_options.after_connect(move |conn, _| {
                Box::pin(async move {
                    use sqlx::Executor;
                    if conn.execute(format!("SET SESSION max_statement_time = {seconds}").as_str()).await.is_err() {
                        conn.execute(format!("SET SESSION max_execution_time = {}", (seconds * 1000.0).ceil() as u64).as_str()).await?;
                    }
                    Ok(())
                })
            });
        }
        let pool = match lazy {
            true => runtime.block_on(async { pool_options.connect_lazy_with(options.clone()) }),
            false => runtime.block_on(pool_options.connect_with(options.clone())).map_err(|e| open_error("mysql", target, e))?,
        };
        Ok(MySqlConnection { pool, runtime, target: target.clone(), options })
    }

    async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<sqlx::MySql>, ConnectError> {
        acquire(&self.pool, &self.options, "mysql", &self.target).await
    }
}

impl Connection for MySqlConnection {
    fn dialect(&self) -> &'static str {
        "mysql"
    }

    fn describe(&self) -> crate::ConnectionInfo {
        describe(&self.target)
    }

    /// A cancel sends `KILL QUERY` for the session's statement, on a side connection.
    fn stream(&self, sql: &str, cancel: &Cancel, sink: &mut Sink) -> Result<(), ConnectError> {
        self.stream_on_session(None, sql, cancel, sink)
    }

    fn stream_after(&self, preamble: &str, sql: &str, cancel: &Cancel, sink: &mut Sink) -> Result<(), ConnectError> {
        self.stream_on_session(Some(preamble), sql, cancel, sink)
    }

    fn execute_batch(&self, sql: &str) -> Result<(), ConnectError> {
        self.runtime.block_on(async {
            let mut conn = self.acquire().await?;
            sqlx::raw_sql(sql).execute(&mut *conn).await.map(|_| ()).map_err(sql_error)
        })
    }
}

impl MySqlConnection {
    fn stream_on_session(&self, preamble: Option<&str>, sql: &str, cancel: &Cancel, sink: &mut Sink) -> Result<(), ConnectError> {
        self.runtime.block_on(async {
            let mut conn = self.acquire().await?;
            if let Some(preamble) = preamble {
                sqlx::raw_sql(preamble).execute(&mut *conn).await.map_err(preamble_error)?;
            }
            let id: u64 = sqlx::query_scalar("SELECT CONNECTION_ID()").fetch_one(&mut *conn).await.map_err(sql_error)?;
            let (io, options) = (tokio::runtime::Handle::current(), self.options.clone());
            let watch = cancel.watch(move || {
                io.spawn(async move {
                    if let Err(e) = kill_mysql_query(options, id).await {
                        tracing::warn!(id, error = %e, "cancelling a MySQL statement failed");
                    }
                });
            })?;
            let outcome = read_rows(sqlx::raw_sql(sql).fetch(&mut *conn), mysql_text, sink).await;
            drop(watch);
            settle(conn, cancel, outcome, preamble.is_some()).await
        })
    }
}

async fn cancel_pg_backend(options: sqlx::postgres::PgConnectOptions, pid: i32) -> Result<(), sqlx::Error> {
    use sqlx::Connection as _;
    let mut side = sqlx::PgConnection::connect_with(&options).await?;
    sqlx::query("SELECT pg_cancel_backend($1)").bind(pid).execute(&mut side).await?;
    side.close().await
}

async fn kill_mysql_query(options: sqlx::mysql::MySqlConnectOptions, id: u64) -> Result<(), sqlx::Error> {
    use sqlx::{Connection as _, Executor as _};
    let mut side = sqlx::MySqlConnection::connect_with(&options).await?;
    let kill = format!("KILL QUERY {id}");
    side.execute(kill.as_str()).await?;
    side.close().await
}

/// Reads the rows as the server sends them, passing them on in batches.
async fn read_rows<R: Row>(
    rows: impl futures_util::Stream<Item = Result<R, sqlx::Error>>,
    text: fn(&R, usize) -> Result<Option<&str>, ConnectError>,
    sink: &mut Sink<'_>,
) -> Result<(), ConnectError> {
    let mut rows = std::pin::pin!(rows);
    let mut batcher = Batcher::default();
    while let Some(row) = rows.try_next().await.map_err(sql_error)? {
        batcher.push(&row, text, sink)?;
    }
    batcher.flush(sink)
}

/// An explore's `sql_preamble` that failed, named as such.
fn preamble_error(e: sqlx::Error) -> ConnectError {
    ConnectError::Sql(format!("the explore's sql_preamble failed: {e}"))
}

/// After a statement: once cancelled, or after a preamble (whose settings and temporary
/// objects must reach no other query), its session goes back to no pool (a cancel sent late
/// would reach whatever ran there next); a failure reads as the cancel it was.
async fn settle<DB: sqlx::Database>(
    conn: sqlx::pool::PoolConnection<DB>,
    cancel: &Cancel,
    outcome: Result<(), ConnectError>,
    had_preamble: bool,
) -> Result<(), ConnectError> {
    if !cancel.is_cancelled() && !had_preamble {
        return outcome;
    }
    let _ = sqlx::Connection::close(conn.detach()).await;
    match cancel.is_cancelled() {
        true => outcome.map_err(|_| ConnectError::Cancelled),
        false => outcome,
    }
}

/// Rows printed by the database, typed by their columns' type names, gathered into batches.
#[derive(Default)]
struct Batcher {
    names: Vec<String>,
    kinds: Vec<Kind>,
    type_names: Vec<String>,
    columns: Vec<Vec<Value>>,
}

impl Batcher {
    fn push<R: Row>(
        &mut self,
        row: &R,
        text: fn(&R, usize) -> Result<Option<&str>, ConnectError>,
        sink: &mut Sink,
    ) -> Result<(), ConnectError> {
        if self.names.is_empty() && !row.columns().is_empty() {
            self.names = row.columns().iter().map(|c| c.name().to_string()).collect();
            self.type_names = row.columns().iter().map(|c| c.type_info().name().to_string()).collect();
            self.kinds = self.type_names.iter().map(|t| batches::kind(t)).collect();
            self.columns = vec![Vec::with_capacity(BATCH_ROWS); self.names.len()];
        }
        for (i, column) in self.columns.iter_mut().enumerate() {
            column.push(parse_text(&self.type_names[i], text(row, i)?));
        }
        if self.columns.first().is_some_and(|c| c.len() >= BATCH_ROWS) {
            self.flush(sink)?;
        }
        Ok(())
    }

    fn flush(&mut self, sink: &mut Sink) -> Result<(), ConnectError> {
        if self.columns.first().is_none_or(Vec::is_empty) {
            return Ok(());
        }
        let batch = batches::batch(&self.names, &self.kinds, &self.columns)?;
        for c in &mut self.columns {
            c.clear();
        }
        sink(&batch)
    }
}

/// PostgreSQL's simple protocol sends text; NULL is its own marker.
fn pg_text(row: &sqlx::postgres::PgRow, i: usize) -> Result<Option<&str>, ConnectError> {
    let raw = row.try_get_raw(i).map_err(sql_error)?;
    if sqlx::ValueRef::is_null(&raw) {
        return Ok(None);
    }
    raw.as_str().map(Some).map_err(|e| ConnectError::Sql(e.to_string()))
}

/// MySQL's text protocol: every value reads as text.
fn mysql_text(row: &sqlx::mysql::MySqlRow, i: usize) -> Result<Option<&str>, ConnectError> {
    row.try_get_unchecked(i).map_err(sql_error)
}

fn describe(target: &ServerTarget) -> crate::ConnectionInfo {
    crate::ConnectionInfo {
        host: Some(target.host.clone()),
        port: Some(target.port),
        database: Some(target.database.clone()),
        schema: target.schema.clone(),
        username: Some(target.user.clone()),
        has_password: target.password.is_some(),
        max_connections: Some(target.pool_size),
        tls: Some(target.tls),
    }
}

/// A connection from `pool`; when there is none to be had, the reason a direct connect with
/// `options` gives (a lazy pool only says that it timed out).
async fn acquire<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    options: &<DB::Connection as sqlx::Connection>::Options,
    dialect: &'static str,
    target: &ServerTarget,
) -> Result<sqlx::pool::PoolConnection<DB>, ConnectError> {
    use sqlx::ConnectOptions as _;
    match pool.acquire().await {
        Ok(conn) => Ok(conn),
        Err(sqlx::Error::PoolTimedOut) => match options.connect().await {
            Err(e) => Err(open_error(dialect, target, e)),
            Ok(_) => Err(ConnectError::Sql("every connection of the pool is busy (pool_size); try again".into())),
        },
        Err(e) => Err(sql_error(e)),
    }
}

fn open_error(dialect: &'static str, target: &ServerTarget, e: sqlx::Error) -> ConnectError {
    ConnectError::Open {
        dialect,
        target: format!("{}@{}:{}/{}", target.user, target.host, target.port, target.database),
        message: e.to_string(),
    }
}

fn sql_error(e: sqlx::Error) -> ConnectError {
    match e {
        sqlx::Error::Database(db) => ConnectError::Sql(db.message().to_string()),
        other => ConnectError::Sql(other.to_string()),
    }
}

/// A value printed by the database, typed by its column's type name.
fn parse_text(type_name: &str, text: Option<&str>) -> Value {
    let Some(text) = text else { return Value::Null };
    let upper = type_name.to_ascii_uppercase();
    let kind = upper.split(['(', ' ']).next().unwrap_or("");
    match kind {
        "INT2" | "INT4" | "INT8" | "SMALLINT" | "INT" | "INTEGER" | "BIGINT" | "MEDIUMINT" | "TINYINT" | "YEAR" | "OID" => text
            .parse::<i64>()
            .map(Value::Int)
            .unwrap_or_else(|_| if is_decimal(text) { Value::Decimal(text.into()) } else { Value::Text(text.into()) }),
        "NUMERIC" | "DECIMAL" if is_decimal(text) => Value::Decimal(text.into()),
        "FLOAT4" | "FLOAT8" | "FLOAT" | "DOUBLE" | "REAL" | "NUMERIC" | "DECIMAL" => match text {
            "NaN" => Value::Float(f64::NAN),
            "Infinity" => Value::Float(f64::INFINITY),
            "-Infinity" => Value::Float(f64::NEG_INFINITY),
            t => t.parse::<f64>().map(Value::Float).unwrap_or_else(|_| Value::Text(t.into())),
        },
        "BOOL" | "BOOLEAN" => match text {
            "t" | "true" | "1" => Value::Bool(true),
            "f" | "false" | "0" => Value::Bool(false),
            t => Value::Text(t.into()),
        },
        "DATE" => text.parse::<Date>().map(Value::Date).unwrap_or_else(|_| Value::Text(text.into())),
        "TIMESTAMP" | "DATETIME" => {
            text.replacen(' ', "T", 1).parse::<DateTime>().map(Value::DateTime).unwrap_or_else(|_| Value::Text(text.into()))
        }
        "TIMESTAMPTZ" => text
            .replacen(' ', "T", 1)
            .parse::<jiff::Timestamp>()
            .or_else(|_| format!("{}:00", text.replacen(' ', "T", 1)).parse::<jiff::Timestamp>())
            .map(|ts| Value::DateTime(ts.to_zoned(jiff::tz::TimeZone::UTC).datetime()))
            .unwrap_or_else(|_| Value::Text(text.into())),
        _ => Value::Text(text.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_values_are_typed_by_column() {
        assert_eq!(parse_text("INT8", Some("42")), Value::Int(42));
        assert_eq!(parse_text("NUMERIC", Some("12.50")), Value::Decimal("12.50".into()));
        assert!(matches!(parse_text("NUMERIC", Some("NaN")), Value::Float(f) if f.is_nan()));
        assert_eq!(parse_text("DOUBLE", Some("2.5")), Value::Float(2.5));
        assert_eq!(parse_text("BIGINT UNSIGNED", Some("7")), Value::Int(7));
        assert_eq!(parse_text("DATE", Some("2024-03-05")), Value::Date(jiff::civil::date(2024, 3, 5)));
        assert_eq!(
            parse_text("TIMESTAMP", Some("2024-03-05 10:11:12.5")),
            Value::DateTime(jiff::civil::date(2024, 3, 5).at(10, 11, 12, 500_000_000))
        );
        assert_eq!(
            parse_text("TIMESTAMPTZ", Some("2024-03-05 10:11:12+02")),
            Value::DateTime(jiff::civil::date(2024, 3, 5).at(8, 11, 12, 0))
        );
        assert_eq!(parse_text("BOOL", Some("t")), Value::Bool(true));
        assert_eq!(parse_text("TEXT", None), Value::Null);
    }
}
