//! Embedded DuckDB: one database handle shared by cloned connections, one per query; results
//! come out as DuckDB's own Arrow record batches. A query timeout interrupts the statement
//! (DuckDB's interrupt, from a timer thread), as a server's statement timeout would.

use std::path::Path;
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

use crate::{ConnectError, Connection};

pub struct DuckDbConnection {
    /// Cloned per query: a DuckDB connection is not `Sync`, clones share the same database.
    base: Mutex<duckdb::Connection>,
    /// The file (or `:memory:`).
    target: String,
    query_timeout: Option<Duration>,
}

impl DuckDbConnection {
    /// Opens (creating if needed) a database file, or an in-memory one for `:memory:`.
    pub fn open(target: &str) -> Result<Self, ConnectError> {
        let open_error = |e: duckdb::Error| {
            let mut message = e.to_string();
            // A file from a newer DuckDB: say which versions work and how to convert.
            if message.contains("can only read") || message.contains("storage version") {
                message.push_str(&format!(
                    " (Sightline embeds DuckDB {}, which reads files written by DuckDB 0.10 to 1.5; convert a newer file with DuckDB itself: ATTACH 'compat.duckdb' (STORAGE_VERSION 'v1.4.0'); COPY FROM DATABASE yours TO compat;)",
                    duckdb::Connection::open_in_memory().ok().and_then(|c| c.query_row("SELECT version()", [], |r| r.get::<_, String>(0)).ok()).unwrap_or_else(|| "1.5".into())
                ));
            }
            ConnectError::Open { dialect: "duckdb", target: target.to_string(), message }
        };
        let conn = if target == ":memory:" {
            duckdb::Connection::open_in_memory().map_err(open_error)?
        } else {
            if let Some(parent) = Path::new(target).parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| ConnectError::Open {
                    dialect: "duckdb",
                    target: target.to_string(),
                    message: e.to_string(),
                })?;
            }
            duckdb::Connection::open(target).map_err(open_error)?
        };
        Ok(DuckDbConnection { base: Mutex::new(conn), target: target.to_string(), query_timeout: None })
    }

    /// Statements running longer than `timeout` are interrupted and fail saying so.
    pub fn with_query_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.query_timeout = timeout;
        self
    }

    fn connection(&self) -> Result<duckdb::Connection, ConnectError> {
        let base = self.base.lock().map_err(|_| ConnectError::Sql("the DuckDB connection was poisoned by an earlier panic".into()))?;
        base.try_clone().map_err(|e| ConnectError::Sql(e.to_string()))
    }
}

impl Connection for DuckDbConnection {
    fn dialect(&self) -> &'static str {
        "duckdb"
    }

    fn describe(&self) -> crate::ConnectionInfo {
        crate::ConnectionInfo { database: Some(self.target.clone()), ..Default::default() }
    }

    /// DuckDB's own Arrow batches, passed on as they are. A cancel interrupts the statement
    /// (each query has a connection of its own, so the interrupt reaches nothing else).
    fn stream(&self, sql: &str, cancel: &crate::Cancel, sink: &mut crate::Sink) -> Result<(), ConnectError> {
        self.stream_on_own_connection(None, sql, cancel, sink)
    }

    /// The preamble runs first on the statement's own connection, closed after it.
    fn stream_after(&self, preamble: &str, sql: &str, cancel: &crate::Cancel, sink: &mut crate::Sink) -> Result<(), ConnectError> {
        self.stream_on_own_connection(Some(preamble), sql, cancel, sink)
    }

    fn execute_batch(&self, sql: &str) -> Result<(), ConnectError> {
        self.connection()?.execute_batch(sql).map_err(|e| ConnectError::Sql(e.to_string()))
    }
}

impl DuckDbConnection {
    fn stream_on_own_connection(
        &self,
        preamble: Option<&str>,
        sql: &str,
        cancel: &crate::Cancel,
        sink: &mut crate::Sink,
    ) -> Result<(), ConnectError> {
        let conn = self.connection()?;
        let interrupt = conn.interrupt_handle();
        let watch = cancel.watch(move || interrupt.interrupt())?;
        let timer = self.query_timeout.map(|timeout| Timer::start(&conn, timeout));
        let outcome = (|| {
            let sql_error = |e: duckdb::Error| ConnectError::Sql(e.to_string());
            if let Some(preamble) = preamble {
                conn.execute_batch(preamble).map_err(|e| ConnectError::Sql(format!("the explore's sql_preamble failed: {e}")))?;
            }
            let mut stmt = conn.prepare(sql).map_err(sql_error)?;
            // Executed streaming: DuckDB hands over each chunk as it is produced instead of
            // materialising the whole result first. Chunks are fetched with `step`, which reports
            // a failed fetch (an interrupt) as an error; the crate's iterator would panic.
            drop(stmt.stream_arrow([]).map_err(sql_error)?);
            while let Some(chunk) = stmt.step().map_err(sql_error)? {
                sink(&arrow_array::RecordBatch::from(&chunk))?;
            }
            Ok(())
        })();
        drop(watch);
        if outcome.is_err() && cancel.is_cancelled() {
            return Err(ConnectError::Cancelled);
        }
        match timer.map(Timer::stop) {
            Some(Some(timeout)) if outcome.is_err() => Err(ConnectError::Sql(format!(
                "the query ran longer than the connection's query_timeout of {} s and was interrupted",
                timeout.as_secs_f64()
            ))),
            _ => outcome,
        }
    }
}

/// Interrupts a connection's statement when its time is up, unless stopped first.
struct Timer {
    stop: mpsc::Sender<()>,
    fired: std::thread::JoinHandle<Option<Duration>>,
}

impl Timer {
    fn start(conn: &duckdb::Connection, timeout: Duration) -> Timer {
        let handle = conn.interrupt_handle();
        let (stop, stopped) = mpsc::channel::<()>();
        let fired = std::thread::spawn(move || match stopped.recv_timeout(timeout) {
            Err(mpsc::RecvTimeoutError::Timeout) => {
                handle.interrupt();
                Some(timeout)
            }
            _ => None,
        });
        Timer { stop, fired }
    }

    /// The timeout when it fired.
    fn stop(self) -> Option<Duration> {
        let _ = self.stop.send(());
        self.fired.join().ok().flatten()
    }
}

impl DuckDbConnection {
    /// Runs `sql` and steps through every row without converting values: the raw-DuckDB baseline
    /// that benchmarks compare Sightline's whole path against.
    pub fn count_rows(&self, sql: &str) -> Result<usize, ConnectError> {
        let conn = self.connection()?;
        let sql_error = |e: duckdb::Error| ConnectError::Sql(e.to_string());
        let mut stmt = conn.prepare(sql).map_err(sql_error)?;
        let mut rows = stmt.query([]).map_err(sql_error)?;
        let mut n = 0;
        while rows.next().map_err(sql_error)?.is_some() {
            n += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use result::{ColumnInfo, Value, ValueType};

    fn col(name: &str) -> ColumnInfo {
        ColumnInfo::plain(name, ValueType::String)
    }

    #[test]
    fn a_statement_past_the_query_timeout_is_interrupted() {
        let db = DuckDbConnection::open(":memory:").unwrap().with_query_timeout(Some(Duration::from_millis(200)));
        let started = std::time::Instant::now();
        let slow = "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b";
        let e = db.query(slow, vec![col("s")]).unwrap_err().to_string();
        assert!(e.contains("query_timeout of 0.2 s"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        // A quick statement is untouched, and the connection still works.
        assert_eq!(db.query("SELECT 'ok'", vec![col("v")]).unwrap().value(0, 0).to_text().as_deref(), Some("ok"));
    }

    #[test]
    fn a_cancel_interrupts_the_running_statement() {
        let db = std::sync::Arc::new(DuckDbConnection::open(":memory:").unwrap());
        let cancel = std::sync::Arc::new(crate::Cancel::new());
        let (db2, cancel2) = (std::sync::Arc::clone(&db), std::sync::Arc::clone(&cancel));
        let slow = "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b";
        let running = std::thread::spawn(move || db2.query_until(slow, vec![col("s")], &cancel2).map(|_| ()));
        std::thread::sleep(Duration::from_millis(200));
        let started = std::time::Instant::now();
        cancel.cancel();
        let outcome = running.join().unwrap();
        assert!(matches!(outcome, Err(ConnectError::Cancelled)), "{outcome:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert!(matches!(db.query_until("SELECT 1", vec![col("v")], &cancel), Err(ConnectError::Cancelled)));
        assert!(db.query("SELECT 1", vec![col("v")]).is_ok(), "the database is free again");
    }

    #[test]
    fn results_stream_as_duckdb_batches() {
        let db = DuckDbConnection::open(":memory:").unwrap();
        let (mut batches, mut rows) = (0, 0);
        db.stream("SELECT range AS i, range * 2.5 AS f FROM range(10000)", &crate::Cancel::new(), &mut |b| {
            batches += 1;
            rows += b.num_rows();
            Ok(())
        })
        .unwrap();
        assert_eq!(rows, 10_000);
        assert!(batches > 1, "{batches} batch(es)");
        let stopped = db.stream("SELECT 1", &crate::Cancel::new(), &mut |_| Err(ConnectError::Sql("stop".into())));
        assert!(matches!(stopped, Err(ConnectError::Sql(m)) if m == "stop"));
        let huge = db.query("SELECT SUM(range) FROM range(10)", vec![col("s")]).unwrap();
        assert_eq!(huge.value(0, 0), &Value::Int(45));
        let far = db.query("SELECT DATE '5881580-07-11'", vec![col("d")]);
        assert!(far.is_err(), "a date beyond the calendar must be an error, not NULL");
    }

    #[test]
    fn converts_duckdb_types_to_values() {
        let db = DuckDbConnection::open(":memory:").unwrap();
        let r = db
            .query(
                "SELECT 1::INTEGER, 2.5::DOUBLE, 3.25::DECIMAL(10,2), 'x', DATE '2024-03-05', TIMESTAMP '2024-03-05 10:11:12', NULL, true",
                (0..8).map(|i| col(&i.to_string())).collect(),
            )
            .unwrap();
        let row: Vec<Value> = (0..8).map(|c| r.value(c, 0).clone()).collect();
        assert_eq!(row[0], Value::Int(1));
        assert_eq!(row[1], Value::Float(2.5));
        assert_eq!(row[2], Value::Decimal("3.25".into()));
        assert_eq!(row[3], Value::Text("x".into()));
        assert_eq!(row[4], Value::Date(jiff::civil::date(2024, 3, 5)));
        assert_eq!(row[5], Value::DateTime(jiff::civil::date(2024, 3, 5).at(10, 11, 12, 0)));
        assert_eq!(row[6], Value::Null);
        let nested = db
            .query(
                "SELECT [1, 2, NULL], {'a': 1, 'b': 'x'}, TIME '10:11:12', 'sad'::ENUM('sad', 'ok'), [DATE '2024-03-05']",
                (0..5).map(|i| col(&i.to_string())).collect(),
            )
            .unwrap();
        let cells: Vec<Value> = (0..5).map(|c| nested.value(c, 0).clone()).collect();
        assert_eq!(cells[0], Value::Text("[1,2,null]".into()));
        assert_eq!(cells[1], Value::Text(r#"{"a":1,"b":"x"}"#.into()));
        assert_eq!(cells[2], Value::Text("10:11:12".into()));
        assert_eq!(cells[3], Value::Text("sad".into()));
        assert_eq!(cells[4], Value::Text(r#"["2024-03-05"]"#.into()));
        assert_eq!(row[7], Value::Bool(true));
    }

    #[test]
    fn sql_errors_carry_the_database_message() {
        let db = DuckDbConnection::open(":memory:").unwrap();
        let err = db.query("SELECT * FROM no_such_table", vec![col("a")]).unwrap_err();
        assert!(err.to_string().contains("no_such_table"), "{err}");
    }
}
