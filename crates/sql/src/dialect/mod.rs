//! What differs between SQL databases, answered per dialect: one file per dialect behind one
//! trait. Adding a dialect is one new impl.

use jiff::civil::DateTime;
use semantic::{Datatype, Interval, Timeframe};

mod bigquery;
mod clickhouse;
mod duckdb;
mod mysql;
mod postgres;
mod redshift;
mod snowflake;
mod trino;

pub use bigquery::BigQuery;
pub use clickhouse::ClickHouse;
pub use duckdb::DuckDb;
pub use mysql::MySql;
pub use postgres::Postgres;
pub use redshift::Redshift;
pub use snowflake::Snowflake;
pub use trino::Trino;

/// Model settings that change how timeframes are computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Calendar {
    /// Days after Monday the week starts (`week_start_day`).
    pub week_start_day: u8,
    /// `fiscal_month_offset`.
    pub fiscal_month_offset: i32,
}

/// Aggregates that de-duplicate by a key (symmetric aggregates and the `*_distinct` types).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyedAggregate {
    Sum,
    Average,
    Median,
    /// A fraction from 0 to 1.
    Percentile(f64),
}

pub trait Dialect: Send + Sync {
    fn name(&self) -> &'static str;

    /// A column alias such as `"orders.count"`.
    fn quote_alias(&self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    /// A string literal, safe for any input.
    fn string_literal(&self, value: &str) -> String {
        format!("'{}'", value.replace('\'', "''"))
    }

    /// Values joined as text.
    fn concat(&self, parts: &[String]) -> String {
        format!("({})", parts.iter().map(|p| format!("CAST({p} AS VARCHAR)")).collect::<Vec<_>>().join(" || "))
    }

    /// Where `sub` first occurs in `s` (1-based; 0 when absent).
    fn position(&self, s: &str, sub: &str) -> String {
        format!("POSITION({sub} IN {s})")
    }

    /// The length of a string in characters.
    fn char_length(&self, s: &str) -> String {
        format!("LENGTH({s})")
    }

    fn timestamp_literal(&self, value: DateTime) -> String {
        format!("TIMESTAMP '{}'", value.strftime("%Y-%m-%d %H:%M:%S"))
    }

    /// `expr LIKE pattern`, where `pattern` uses `\` to escape literal `%` and `_`.
    fn like(&self, expr: &str, pattern: &str) -> String {
        format!("{expr} LIKE {} ESCAPE '\\'", self.string_literal(pattern))
    }

    /// A timeframe of a time dimension group, from the timestamp expression.
    fn timeframe(&self, timeframe: Timeframe, expr: &str, calendar: Calendar) -> String;

    /// The column as a timestamp, whatever its `datatype`.
    fn to_timestamp(&self, datatype: Datatype, expr: &str) -> String;

    /// A timestamp stored in zone `from` as wall-clock time in zone `to` (IANA names, checked by
    /// the caller).
    fn convert_tz(&self, expr: &str, from: &str, to: &str) -> Result<String, Unsupported>;

    /// Whole intervals from `start` to `end` (both timestamps), floored.
    fn duration(&self, interval: Interval, start: &str, end: &str) -> String;

    /// The aggregate of `value` counting each distinct `key` once, however the joins fan rows out.
    fn keyed_aggregate(&self, aggregate: KeyedAggregate, value: &str, key: &str) -> Result<String, Unsupported>;

    fn median(&self, value: &str) -> Result<String, Unsupported>;

    /// `fraction` from 0 to 1, interpolated between neighbouring values.
    fn percentile(&self, value: &str, fraction: f64) -> Result<String, Unsupported>;

    /// Distinct values of `value` as one comma-separated string, in order.
    fn list(&self, value: &str) -> String;

    /// `expr` (a date or timestamp) moved by `n` (a whole-number expression) `interval`s, as a
    /// timestamp: Looker's `add_days(n, date)` and its kin in custom fields.
    fn add_interval(&self, interval: Interval, n: &str, expr: &str) -> String {
        let (count, unit) = match interval {
            Interval::Quarter => (format!("CAST({n} AS INTEGER) * 3"), "month"),
            other => (format!("CAST({n} AS INTEGER)"), other.name()),
        };
        format!("(CAST({expr} AS TIMESTAMP) + {count} * INTERVAL '1 {unit}')")
    }

    /// `expr` truncated to the start of its `interval`, as a timestamp (`trunc_months` …).
    fn truncate(&self, interval: Interval, expr: &str) -> String {
        format!("DATE_TRUNC('{}', CAST({expr} AS TIMESTAMP))", interval.name())
    }

    /// The `interval` part of `expr` as a whole number (`extract_years` …).
    fn extract(&self, interval: Interval, expr: &str) -> String {
        let part = interval.name().to_uppercase();
        format!("FLOOR(EXTRACT({part} FROM {expr}))")
    }

    /// `COUNT(DISTINCT value)` for `approximate: yes`: the dialect's estimator where it has one
    /// (as Looker writes it); elsewhere the exact count, which is within any estimate's error.
    fn approximate_count_distinct(&self, value: &str) -> String {
        format!("COUNT(DISTINCT {value})")
    }
}

/// Looker's symmetric aggregate for dialects that cannot collect distinct (key, value) pairs:
/// SUM DISTINCT of (value scaled to six decimals + key `hash`) minus SUM DISTINCT of the hash.
/// Safe while the hash is far wider than the values (Snowflake ~1e27, Redshift ~1e26);
/// `numeric` is the exact type, `divisor` the scale as the dialect divides by it.
pub(crate) fn hashed_keyed_aggregate(
    aggregate: KeyedAggregate,
    value: &str,
    key: &str,
    hash: &str,
    numeric: &str,
    divisor: &str,
    dialect: &str,
) -> Result<String, Unsupported> {
    let scaled = format!("CAST(FLOOR(COALESCE({value}, 0) * 1000000) AS {numeric})");
    let sum = format!("((SUM(DISTINCT {scaled} + {hash}) - SUM(DISTINCT {hash})) / {divisor})");
    match aggregate {
        KeyedAggregate::Sum => Ok(format!("COALESCE({sum}, 0)")),
        KeyedAggregate::Average => Ok(format!("{sum} / NULLIF(COUNT(DISTINCT CASE WHEN {value} IS NOT NULL THEN {key} END), 0)")),
        _ => Err(Unsupported(format!("medians and percentiles over repeated rows are not supported on {dialect}"))),
    }
}

/// What a dialect cannot compute, named for the error the query gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

/// The dialect with this name, as written in a connection's configuration.
pub fn dialect_for(name: &str) -> Option<&'static dyn Dialect> {
    match name {
        "duckdb" => Some(&DuckDb),
        "postgres" => Some(&Postgres),
        "mysql" => Some(&MySql),
        "bigquery" => Some(&BigQuery),
        "snowflake" => Some(&Snowflake),
        "redshift" => Some(&Redshift),
        "trino" => Some(&Trino),
        "clickhouse" => Some(&ClickHouse),
        _ => None,
    }
}

/// Every dialect name the compiler knows.
pub const DIALECTS: [&str; 8] = ["duckdb", "postgres", "mysql", "bigquery", "snowflake", "redshift", "trino", "clickhouse"];
