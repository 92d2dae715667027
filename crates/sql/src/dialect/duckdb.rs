//! DuckDB, the embedded default.

use semantic::{Datatype, Interval, Timeframe};

use super::{Calendar, Dialect, KeyedAggregate, Unsupported};

/// DuckDB (the embedded default).
#[derive(Debug, Default, Clone, Copy)]
pub struct DuckDb;

impl Dialect for DuckDb {
    fn name(&self) -> &'static str {
        "duckdb"
    }

    fn timeframe(&self, timeframe: Timeframe, expr: &str, calendar: Calendar) -> String {
        let t = format!("CAST({expr} AS TIMESTAMP)");
        let int = |e: String| format!("CAST({e} AS INTEGER)");
        let fiscal = || match calendar.fiscal_month_offset {
            0 => t.clone(),
            n => format!("({t} - INTERVAL {n} MONTH)"),
        };
        match timeframe {
            Timeframe::Raw => expr.to_string(),
            Timeframe::Time => format!("DATE_TRUNC('second', {t})"),
            Timeframe::TimeOfDay => format!("STRFTIME({t}, '%H:%M')"),
            Timeframe::Date => format!("CAST({expr} AS DATE)"),
            Timeframe::Week => match calendar.week_start_day {
                0 => format!("CAST(DATE_TRUNC('week', {t}) AS DATE)"),
                k => format!("CAST(DATE_TRUNC('week', {t} - INTERVAL {k} DAY) + INTERVAL {k} DAY AS DATE)"),
            },
            Timeframe::Month => format!("STRFTIME({t}, '%Y-%m')"),
            Timeframe::Quarter => format!("(CAST(YEAR({t}) AS VARCHAR) || '-Q' || CAST(QUARTER({t}) AS VARCHAR))"),
            Timeframe::Year => int(format!("YEAR({t})")),
            Timeframe::Hour => format!("STRFTIME({t}, '%Y-%m-%d %H')"),
            Timeframe::HourN(n) => format!("(DATE_TRUNC('day', {t}) + TO_HOURS(CAST(FLOOR(HOUR({t}) / {n}) * {n} AS BIGINT)))"),
            Timeframe::Minute => format!("STRFTIME({t}, '%Y-%m-%d %H:%M')"),
            Timeframe::MinuteN(n) => format!("(DATE_TRUNC('hour', {t}) + TO_MINUTES(CAST(FLOOR(MINUTE({t}) / {n}) * {n} AS BIGINT)))"),
            Timeframe::Second => format!("DATE_TRUNC('second', {t})"),
            Timeframe::Millisecond => format!("DATE_TRUNC('millisecond', {t})"),
            Timeframe::Microsecond => t.clone(),
            Timeframe::DayOfWeek => format!("DAYNAME({t})"),
            Timeframe::DayOfWeekIndex => int(format!("((ISODOW({t}) - 1 - {} + 7) % 7)", calendar.week_start_day)),
            Timeframe::DayOfMonth => int(format!("DAYOFMONTH({t})")),
            Timeframe::DayOfYear => int(format!("DAYOFYEAR({t})")),
            Timeframe::WeekOfYear => int(format!("WEEKOFYEAR({t})")),
            Timeframe::MonthName => format!("MONTHNAME({t})"),
            Timeframe::MonthNum => int(format!("MONTH({t})")),
            Timeframe::QuarterOfYear => format!("('Q' || CAST(QUARTER({t}) AS VARCHAR))"),
            Timeframe::HourOfDay => int(format!("HOUR({t})")),
            Timeframe::FiscalMonthNum => int(format!("MONTH({})", fiscal())),
            Timeframe::FiscalQuarter => {
                let f = fiscal();
                format!("(CAST(YEAR({f}) AS VARCHAR) || '-Q' || CAST(QUARTER({f}) AS VARCHAR))")
            }
            Timeframe::FiscalQuarterOfYear => format!("('Q' || CAST(QUARTER({}) AS VARCHAR))", fiscal()),
            Timeframe::FiscalYear => int(format!("YEAR({})", fiscal())),
            Timeframe::YesNo => format!("({expr} IS NOT NULL)"),
        }
    }

    fn to_timestamp(&self, datatype: Datatype, expr: &str) -> String {
        match datatype {
            Datatype::Timestamp | Datatype::Datetime => expr.to_string(),
            Datatype::Date => format!("CAST({expr} AS TIMESTAMP)"),
            Datatype::Epoch => format!("MAKE_TIMESTAMP(CAST(({expr}) * 1000000 AS BIGINT))"),
            Datatype::Yyyymmdd => format!("STRPTIME(CAST({expr} AS VARCHAR), '%Y%m%d')"),
        }
    }

    fn convert_tz(&self, expr: &str, from: &str, to: &str) -> Result<String, Unsupported> {
        Ok(format!("TIMEZONE({}, TIMEZONE({}, CAST({expr} AS TIMESTAMP)))", self.string_literal(to), self.string_literal(from)))
    }

    fn add_interval(&self, interval: Interval, n: &str, expr: &str) -> String {
        let n = format!("CAST({n} AS INTEGER)");
        let span = match interval {
            Interval::Quarter => format!("TO_MONTHS({n} * 3)"),
            other => format!("TO_{}S({n})", other.name().to_uppercase()),
        };
        format!("(CAST({expr} AS TIMESTAMP) + {span})")
    }

    fn duration(&self, interval: Interval, start: &str, end: &str) -> String {
        let (s, e) = (format!("CAST({start} AS TIMESTAMP)"), format!("CAST({end} AS TIMESTAMP)"));
        let seconds = |per: u32| format!("CAST(FLOOR((EPOCH({e}) - EPOCH({s})) / {per}) AS BIGINT)");
        let days = format!("DATE_DIFF('day', CAST({s} AS DATE), CAST({e} AS DATE))");
        match interval {
            Interval::Second => seconds(1),
            Interval::Minute => seconds(60),
            Interval::Hour => seconds(3600),
            Interval::Day => days,
            Interval::Week => format!("CAST(FLOOR({days} / 7) AS BIGINT)"),
            Interval::Month => format!("DATE_SUB('month', CAST({s} AS DATE), CAST({e} AS DATE))"),
            Interval::Quarter => format!("DATE_SUB('quarter', CAST({s} AS DATE), CAST({e} AS DATE))"),
            Interval::Year => format!("DATE_SUB('year', CAST({s} AS DATE), CAST({e} AS DATE))"),
        }
    }

    // DuckDB aggregates lists exactly, so the de-duplication needs no hashing trick: collect the
    // distinct (key, value) pairs of the group and aggregate the values.
    fn keyed_aggregate(&self, aggregate: KeyedAggregate, value: &str, key: &str) -> Result<String, Unsupported> {
        let values =
            format!("LIST_TRANSFORM(LIST_DISTINCT(LIST({{'k': {key}, 'v': {value}}}) FILTER (WHERE {key} IS NOT NULL)), s -> s.v)");
        Ok(match aggregate {
            KeyedAggregate::Sum => format!("COALESCE(LIST_SUM({values}), 0)"),
            KeyedAggregate::Average => format!("LIST_AVG({values})"),
            KeyedAggregate::Median => format!("LIST_AGGREGATE({values}, 'median')"),
            KeyedAggregate::Percentile(p) => format!("LIST_AGGREGATE({values}, 'quantile_cont', {p})"),
        })
    }

    fn median(&self, value: &str) -> Result<String, Unsupported> {
        Ok(format!("MEDIAN({value})"))
    }

    fn percentile(&self, value: &str, fraction: f64) -> Result<String, Unsupported> {
        Ok(format!("QUANTILE_CONT({value}, {fraction})"))
    }

    fn list(&self, value: &str) -> String {
        format!("STRING_AGG(DISTINCT CAST({value} AS VARCHAR), ', ' ORDER BY CAST({value} AS VARCHAR))")
    }

    fn approximate_count_distinct(&self, value: &str) -> String {
        format!("approx_count_distinct({value})")
    }
}
