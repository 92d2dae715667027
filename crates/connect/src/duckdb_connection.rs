//! Embedded DuckDB: one database handle shared by cloned connections, one per query.

use std::path::Path;
use std::sync::Mutex;

use duckdb::types::{TimeUnit, ValueRef};
use result::{ColumnInfo, ResultSet, Value};

use crate::{ConnectError, Connection};

pub struct DuckDbConnection {
    /// Cloned per query: a DuckDB connection is not `Sync`, clones share the same database.
    base: Mutex<duckdb::Connection>,
    /// The file (or `:memory:`).
    target: String,
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
        Ok(DuckDbConnection { base: Mutex::new(conn), target: target.to_string() })
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

    fn query(&self, sql: &str, columns: Vec<ColumnInfo>) -> Result<ResultSet, ConnectError> {
        let conn = self.connection()?;
        let sql_error = |e: duckdb::Error| ConnectError::Sql(e.to_string());
        let mut stmt = conn.prepare(sql).map_err(sql_error)?;
        let width = columns.len();
        let mut result = ResultSet::new(columns);
        let mut rows = stmt.query([]).map_err(sql_error)?;
        while let Some(row) = rows.next().map_err(sql_error)? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(convert(row.get_ref(i).map_err(sql_error)?));
            }
            result.push_row(values);
        }
        Ok(result)
    }

    fn execute_batch(&self, sql: &str) -> Result<(), ConnectError> {
        self.connection()?.execute_batch(sql).map_err(|e| ConnectError::Sql(e.to_string()))
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

fn convert(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Boolean(b) => Value::Bool(b),
        ValueRef::TinyInt(i) => Value::Int(i.into()),
        ValueRef::SmallInt(i) => Value::Int(i.into()),
        ValueRef::Int(i) => Value::Int(i.into()),
        ValueRef::BigInt(i) => Value::Int(i),
        ValueRef::UTinyInt(i) => Value::Int(i.into()),
        ValueRef::USmallInt(i) => Value::Int(i.into()),
        ValueRef::UInt(i) => Value::Int(i.into()),
        ValueRef::UBigInt(i) => i64::try_from(i).map(Value::Int).unwrap_or_else(|_| Value::Decimal(i.to_string())),
        ValueRef::HugeInt(i) => i64::try_from(i).map(Value::Int).unwrap_or_else(|_| Value::Decimal(i.to_string())),
        ValueRef::UHugeInt(i) => i64::try_from(i).map(Value::Int).unwrap_or_else(|_| Value::Decimal(i.to_string())),
        ValueRef::Float(f) => Value::Float(f.into()),
        ValueRef::Double(f) => Value::Float(f),
        ValueRef::Decimal(d) => Value::Decimal(d.to_string()),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Date32(days) => civil_date(days.into()).map(Value::Date).unwrap_or(Value::Null),
        ValueRef::Timestamp(unit, n) => timestamp(unit, n).map(Value::DateTime).unwrap_or(Value::Null),
        // Types with no cell type of their own are written as JSON text (lists as arrays,
        // structs and maps as objects), times and intervals as DuckDB prints them.
        other => match other.to_owned() {
            duckdb::types::Value::Text(s) | duckdb::types::Value::Enum(s) => Value::Text(s),
            v => Value::Text(json_text(&v)),
        },
    }
}

/// Days since 1970-01-01 → calendar date (H. Hinnant's `civil_from_days`): plain integer
/// arithmetic, several times cheaper per value than going through a time zone.
fn civil_date(days: i64) -> Option<jiff::civil::Date> {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    jiff::civil::Date::new(i16::try_from(year).ok()?, month as i8, day as i8).ok()
}

fn timestamp(unit: TimeUnit, n: i64) -> Option<jiff::civil::DateTime> {
    let per_second: i64 = match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    let seconds = n.div_euclid(per_second);
    let nanos = n.rem_euclid(per_second) * (1_000_000_000 / per_second);
    let date = civil_date(seconds.div_euclid(86_400))?;
    let in_day = seconds.rem_euclid(86_400);
    jiff::civil::DateTime::new(
        date.year(),
        date.month(),
        date.day(),
        (in_day / 3600) as i8,
        (in_day / 60 % 60) as i8,
        (in_day % 60) as i8,
        nanos as i32,
    )
    .ok()
}

/// A DuckDB value as JSON text, for the types a cell has no variant for.
fn json_text(v: &duckdb::types::Value) -> String {
    use duckdb::types::Value as D;
    fn json(v: &D) -> serde_json::Value {
        use serde_json::Value as J;
        match v {
            D::Null => J::Null,
            D::Boolean(b) => J::Bool(*b),
            D::List(items) | D::Array(items) => J::Array(items.iter().map(json).collect()),
            D::Struct(fields) => J::Object(fields.iter().map(|(k, v)| (k.clone(), json(v))).collect()),
            D::Map(entries) => J::Object(entries.iter().map(|(k, v)| (scalar_text(k), json(v))).collect()),
            D::Union(inner) => json(inner),
            other => match convert(value_ref(other)) {
                Value::Null => J::Null,
                Value::Int(i) => J::from(i),
                Value::Float(f) => serde_json::Number::from_f64(f).map(J::Number).unwrap_or(J::Null),
                Value::Bool(b) => J::Bool(b),
                cell => J::String(cell.to_text().unwrap_or_default()),
            },
        }
    }
    fn scalar_text(v: &D) -> String {
        match json(v) {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        }
    }
    match v {
        D::Time64(unit, n) => {
            let micros = match unit {
                TimeUnit::Second => n.saturating_mul(1_000_000),
                TimeUnit::Millisecond => n.saturating_mul(1_000),
                TimeUnit::Microsecond => *n,
                TimeUnit::Nanosecond => n / 1_000,
            };
            let (h, m, s, us) = (micros / 3_600_000_000, micros / 60_000_000 % 60, micros / 1_000_000 % 60, micros % 1_000_000);
            if us == 0 {
                format!("{h:02}:{m:02}:{s:02}")
            } else {
                format!("{h:02}:{m:02}:{s:02}.{us:06}")
            }
        }
        D::Interval { months, days, nanos } => format!("{months} months {days} days {} seconds", *nanos as f64 / 1e9),
        other => json(other).to_string(),
    }
}

/// A borrowed view of an owned value, to reuse [`convert`] for the scalars inside lists.
fn value_ref(v: &duckdb::types::Value) -> ValueRef<'_> {
    use duckdb::types::Value as D;
    match v {
        D::Boolean(b) => ValueRef::Boolean(*b),
        D::TinyInt(i) => ValueRef::TinyInt(*i),
        D::SmallInt(i) => ValueRef::SmallInt(*i),
        D::Int(i) => ValueRef::Int(*i),
        D::BigInt(i) => ValueRef::BigInt(*i),
        D::HugeInt(i) => ValueRef::HugeInt(*i),
        D::UTinyInt(i) => ValueRef::UTinyInt(*i),
        D::USmallInt(i) => ValueRef::USmallInt(*i),
        D::UInt(i) => ValueRef::UInt(*i),
        D::UBigInt(i) => ValueRef::UBigInt(*i),
        D::Float(f) => ValueRef::Float(*f),
        D::Double(f) => ValueRef::Double(*f),
        D::Decimal(d) => ValueRef::Decimal(*d),
        D::Timestamp(u, n) => ValueRef::Timestamp(*u, *n),
        D::Text(s) | D::Enum(s) => ValueRef::Text(s.as_bytes()),
        D::Date32(d) => ValueRef::Date32(*d),
        _ => ValueRef::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use result::ValueType;

    fn col(name: &str) -> ColumnInfo {
        ColumnInfo::plain(name, ValueType::String)
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
    fn epoch_arithmetic_matches_jiff_across_eras() {
        for days in [-800_000i64, -719_468, -1, 0, 1, 59, 60, 365, 10_957, 11_016, 19_723, 2_932_896] {
            let want = jiff::civil::date(1970, 1, 1).checked_add(jiff::Span::new().days(days)).ok();
            assert_eq!(civil_date(days), want, "day {days}");
        }
        let t = timestamp(TimeUnit::Microsecond, -1).unwrap();
        assert_eq!(t, jiff::civil::date(1969, 12, 31).at(23, 59, 59, 999_999_000));
    }

    #[test]
    fn sql_errors_carry_the_database_message() {
        let db = DuckDbConnection::open(":memory:").unwrap();
        let err = db.query("SELECT * FROM no_such_table", vec![col("a")]).unwrap_err();
        assert!(err.to_string().contains("no_such_table"), "{err}");
    }
}
