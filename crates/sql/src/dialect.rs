//! What differs between SQL databases, answered per dialect. Adding a dialect is one new impl.

use jiff::civil::DateTime;
use semantic::Timeframe;

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

    fn timestamp_literal(&self, value: DateTime) -> String {
        format!("TIMESTAMP '{}'", value.strftime("%Y-%m-%d %H:%M:%S"))
    }

    /// `expr LIKE pattern`, where `pattern` uses `\` to escape literal `%` and `_`.
    fn like(&self, expr: &str, pattern: &str) -> String {
        format!("{expr} LIKE {} ESCAPE '\\'", self.string_literal(pattern))
    }

    /// A timeframe of a time dimension group, from the raw timestamp expression.
    fn timeframe(&self, timeframe: Timeframe, expr: &str) -> String;

    /// SUM of `value` counting each distinct `key` once, however the joins fan rows out.
    fn symmetric_sum(&self, value: &str, key: &str) -> String;

    /// AVG of `value` counting each distinct `key` once.
    fn symmetric_average(&self, value: &str, key: &str) -> String;
}

/// DuckDB (the embedded default).
#[derive(Debug, Default, Clone, Copy)]
pub struct DuckDb;

impl Dialect for DuckDb {
    fn name(&self) -> &'static str {
        "duckdb"
    }

    fn timeframe(&self, timeframe: Timeframe, expr: &str) -> String {
        match timeframe {
            Timeframe::Raw => expr.to_string(),
            Timeframe::Time => format!("DATE_TRUNC('second', CAST({expr} AS TIMESTAMP))"),
            Timeframe::Date => format!("CAST({expr} AS DATE)"),
            Timeframe::Week => format!("CAST(DATE_TRUNC('week', {expr}) AS DATE)"),
            Timeframe::Month => format!("STRFTIME({expr}, '%Y-%m')"),
            Timeframe::Quarter => format!("(CAST(YEAR({expr}) AS VARCHAR) || '-Q' || CAST(QUARTER({expr}) AS VARCHAR))"),
            Timeframe::Year => format!("CAST(YEAR({expr}) AS INTEGER)"),
        }
    }

    // DuckDB aggregates lists exactly, so the de-duplication needs no hashing trick: collect the
    // distinct (key, value) pairs of the group and add up the values.
    fn symmetric_sum(&self, value: &str, key: &str) -> String {
        format!("COALESCE(LIST_SUM(LIST_TRANSFORM(LIST_DISTINCT(LIST({{'k': {key}, 'v': {value}}}) FILTER (WHERE {key} IS NOT NULL)), s -> s.v)), 0)")
    }

    fn symmetric_average(&self, value: &str, key: &str) -> String {
        format!("LIST_AVG(LIST_TRANSFORM(LIST_DISTINCT(LIST({{'k': {key}, 'v': {value}}}) FILTER (WHERE {key} IS NOT NULL)), s -> s.v))")
    }
}

/// The dialect with this name, as written in a connection's configuration.
pub fn dialect_for(name: &str) -> Option<&'static dyn Dialect> {
    match name {
        "duckdb" => Some(&DuckDb),
        _ => None,
    }
}
