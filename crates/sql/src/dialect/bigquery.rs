//! Google BigQuery (Standard SQL). Printed and pinned by golden tests; no driver yet, so
//! queries on a BigQuery connection answer a clear error instead of running.

use semantic::{Datatype, Interval, Timeframe};

use super::{Calendar, Dialect, KeyedAggregate, Unsupported};

#[derive(Debug, Default, Clone, Copy)]
pub struct BigQuery;

impl Dialect for BigQuery {
    fn name(&self) -> &'static str {
        "bigquery"
    }

    /// BigQuery column names take letters, digits and `_`: `orders.count` becomes `orders_count`.
    fn quote_alias(&self, name: &str) -> String {
        let safe: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
        format!("`{safe}`")
    }

    /// Backslash is the escape character in BigQuery strings.
    fn string_literal(&self, value: &str) -> String {
        let mut out = String::with_capacity(value.len() + 2);
        out.push('\'');
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c => out.push(c),
            }
        }
        out.push('\'');
        out
    }

    /// BigQuery's LIKE escapes with `\` and has no ESCAPE clause.
    fn like(&self, expr: &str, pattern: &str) -> String {
        format!("{expr} LIKE {}", self.string_literal(pattern))
    }

    fn position(&self, s: &str, sub: &str) -> String {
        format!("STRPOS({s}, {sub})")
    }

    fn concat(&self, parts: &[String]) -> String {
        format!("CONCAT({})", parts.iter().map(|p| format!("CAST({p} AS STRING)")).collect::<Vec<_>>().join(", "))
    }

    fn timeframe(&self, timeframe: Timeframe, expr: &str, calendar: Calendar) -> String {
        let t = expr.to_string();
        let fiscal = || match calendar.fiscal_month_offset {
            0 => t.clone(),
            n => format!("TIMESTAMP(DATETIME_SUB(DATETIME({t}), INTERVAL {n} MONTH))"),
        };
        const DAYS: [&str; 7] = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"];
        let k = calendar.week_start_day;
        let step = |unit: &str, part: &str, n: u8, base: &str| {
            format!(
                "TIMESTAMP_ADD(TIMESTAMP_TRUNC({t}, {base}), INTERVAL CAST(FLOOR(EXTRACT({part} FROM {t}) / {n}) * {n} AS INT64) {unit})"
            )
        };
        match timeframe {
            Timeframe::Raw => t.clone(),
            Timeframe::Time | Timeframe::Second => format!("TIMESTAMP_TRUNC({t}, SECOND)"),
            Timeframe::TimeOfDay => format!("FORMAT_TIMESTAMP('%H:%M', {t})"),
            Timeframe::Date => format!("DATE({t})"),
            Timeframe::Week => format!("DATE_TRUNC(DATE({t}), WEEK({}))", DAYS[k as usize % 7]),
            Timeframe::Month => format!("FORMAT_TIMESTAMP('%Y-%m', {t})"),
            Timeframe::Quarter => format!("FORMAT_TIMESTAMP('%Y-Q%Q', {t})"),
            Timeframe::Year => format!("EXTRACT(YEAR FROM {t})"),
            Timeframe::Hour => format!("FORMAT_TIMESTAMP('%Y-%m-%d %H', {t})"),
            Timeframe::HourN(n) => step("HOUR", "HOUR", n, "DAY"),
            Timeframe::Minute => format!("FORMAT_TIMESTAMP('%Y-%m-%d %H:%M', {t})"),
            Timeframe::MinuteN(n) => step("MINUTE", "MINUTE", n, "HOUR"),
            Timeframe::Millisecond => format!("TIMESTAMP_TRUNC({t}, MILLISECOND)"),
            Timeframe::Microsecond => t.clone(),
            Timeframe::DayOfWeek => format!("FORMAT_TIMESTAMP('%A', {t})"),
            Timeframe::DayOfWeekIndex => format!("MOD(EXTRACT(DAYOFWEEK FROM {t}) + 5 - {k} + 7, 7)"),
            Timeframe::DayOfMonth => format!("EXTRACT(DAY FROM {t})"),
            Timeframe::DayOfYear => format!("EXTRACT(DAYOFYEAR FROM {t})"),
            Timeframe::WeekOfYear => format!("EXTRACT(ISOWEEK FROM {t})"),
            Timeframe::MonthName => format!("FORMAT_TIMESTAMP('%B', {t})"),
            Timeframe::MonthNum => format!("EXTRACT(MONTH FROM {t})"),
            Timeframe::QuarterOfYear => format!("CONCAT('Q', CAST(EXTRACT(QUARTER FROM {t}) AS STRING))"),
            Timeframe::HourOfDay => format!("EXTRACT(HOUR FROM {t})"),
            Timeframe::FiscalMonthNum => format!("EXTRACT(MONTH FROM {})", fiscal()),
            Timeframe::FiscalQuarter => format!("FORMAT_TIMESTAMP('%Y-Q%Q', {})", fiscal()),
            Timeframe::FiscalQuarterOfYear => format!("CONCAT('Q', CAST(EXTRACT(QUARTER FROM {}) AS STRING))", fiscal()),
            Timeframe::FiscalYear => format!("EXTRACT(YEAR FROM {})", fiscal()),
            Timeframe::YesNo => format!("({expr} IS NOT NULL)"),
        }
    }

    fn to_timestamp(&self, datatype: Datatype, expr: &str) -> String {
        match datatype {
            Datatype::Timestamp => expr.to_string(),
            Datatype::Datetime | Datatype::Date => format!("TIMESTAMP({expr})"),
            Datatype::Epoch => format!("TIMESTAMP_SECONDS(CAST({expr} AS INT64))"),
            Datatype::Yyyymmdd => format!("TIMESTAMP(PARSE_DATE('%Y%m%d', CAST({expr} AS STRING)))"),
        }
    }

    fn convert_tz(&self, expr: &str, from: &str, to: &str) -> Result<String, Unsupported> {
        let from_utc = if from == "UTC" { expr.to_string() } else { format!("TIMESTAMP(DATETIME({expr}), {})", self.string_literal(from)) };
        Ok(format!("TIMESTAMP(DATETIME({from_utc}, {}))", self.string_literal(to)))
    }

    fn add_interval(&self, interval: Interval, n: &str, expr: &str) -> String {
        format!("DATETIME_ADD(CAST({expr} AS DATETIME), INTERVAL CAST({n} AS INT64) {})", interval.name().to_uppercase())
    }

    fn truncate(&self, interval: Interval, expr: &str) -> String {
        let part = match interval {
            Interval::Week => "WEEK(MONDAY)".to_string(),
            other => other.name().to_uppercase(),
        };
        format!("DATETIME_TRUNC(CAST({expr} AS DATETIME), {part})")
    }

    fn duration(&self, interval: Interval, start: &str, end: &str) -> String {
        let (s, e) = (start, end);
        let days = format!("DATE_DIFF(DATE({e}), DATE({s}), DAY)");
        let months = format!("(DATE_DIFF(DATE({e}), DATE({s}), MONTH) - IF(EXTRACT(DAY FROM {e}) < EXTRACT(DAY FROM {s}), 1, 0))");
        match interval {
            Interval::Second => format!("TIMESTAMP_DIFF({e}, {s}, SECOND)"),
            Interval::Minute => format!("DIV(TIMESTAMP_DIFF({e}, {s}, SECOND), 60)"),
            Interval::Hour => format!("DIV(TIMESTAMP_DIFF({e}, {s}, SECOND), 3600)"),
            Interval::Day => days,
            Interval::Week => format!("DIV({days}, 7)"),
            Interval::Month => months,
            Interval::Quarter => format!("DIV({months}, 3)"),
            Interval::Year => format!("DIV({months}, 12)"),
        }
    }

    // The distinct (key, value) pairs as JSON strings, aggregated once each; BIGNUMERIC keeps
    // decimals exact.
    fn keyed_aggregate(&self, aggregate: KeyedAggregate, value: &str, key: &str) -> Result<String, Unsupported> {
        let pairs = format!("UNNEST(ARRAY_AGG(DISTINCT TO_JSON_STRING(STRUCT({key} AS k, {value} AS v)) IGNORE NULLS)) AS kv");
        let v = "CAST(JSON_VALUE(kv, '$.v') AS BIGNUMERIC)";
        Ok(match aggregate {
            KeyedAggregate::Sum => format!("COALESCE((SELECT SUM({v}) FROM {pairs} WHERE JSON_VALUE(kv, '$.k') IS NOT NULL), 0)"),
            KeyedAggregate::Average => format!("(SELECT AVG({v}) FROM {pairs} WHERE JSON_VALUE(kv, '$.k') IS NOT NULL)"),
            KeyedAggregate::Median => {
                format!("(SELECT PERCENTILE_CONT({v}, 0.5) OVER () FROM {pairs} WHERE JSON_VALUE(kv, '$.k') IS NOT NULL LIMIT 1)")
            }
            KeyedAggregate::Percentile(p) => {
                format!("(SELECT PERCENTILE_CONT({v}, {p}) OVER () FROM {pairs} WHERE JSON_VALUE(kv, '$.k') IS NOT NULL LIMIT 1)")
            }
        })
    }

    // Exact, unlike APPROX_QUANTILES: the group's values, ranked in a subquery.
    fn median(&self, value: &str) -> Result<String, Unsupported> {
        self.percentile(value, 0.5)
    }

    fn percentile(&self, value: &str, fraction: f64) -> Result<String, Unsupported> {
        Ok(format!("(SELECT PERCENTILE_CONT(x, {fraction}) OVER () FROM UNNEST(ARRAY_AGG({value} IGNORE NULLS)) AS x LIMIT 1)"))
    }

    fn list(&self, value: &str) -> String {
        format!("STRING_AGG(DISTINCT CAST({value} AS STRING), ', ' ORDER BY CAST({value} AS STRING))")
    }

    fn approximate_count_distinct(&self, value: &str) -> String {
        format!("APPROX_COUNT_DISTINCT({value})")
    }
}
