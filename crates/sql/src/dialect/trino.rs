//! Trino (and Presto). Printed and pinned by golden tests; no driver yet.

use semantic::{Datatype, Interval, Timeframe};

use super::{Calendar, Dialect, KeyedAggregate, Unsupported};

#[derive(Debug, Default, Clone, Copy)]
pub struct Trino;

impl Dialect for Trino {
    fn name(&self) -> &'static str {
        "trino"
    }

    fn timeframe(&self, timeframe: Timeframe, expr: &str, calendar: Calendar) -> String {
        let t = format!("CAST({expr} AS TIMESTAMP)");
        let fiscal = || match calendar.fiscal_month_offset {
            0 => t.clone(),
            n => format!("date_add('month', {}, {t})", -n),
        };
        let k = calendar.week_start_day;
        let step = |unit: &str, base: &str, n: u8| {
            format!("date_add('{unit}', CAST(floor({unit}({t}) / {n}) * {n} AS BIGINT), date_trunc('{base}', {t}))")
        };
        match timeframe {
            Timeframe::Raw => expr.to_string(),
            Timeframe::Time | Timeframe::Second => format!("date_trunc('second', {t})"),
            Timeframe::TimeOfDay => format!("date_format({t}, '%H:%i')"),
            Timeframe::Date => format!("CAST({t} AS DATE)"),
            Timeframe::Week => format!("CAST(date_add('day', {k}, date_trunc('week', date_add('day', -{k}, {t}))) AS DATE)"),
            Timeframe::Month => format!("date_format({t}, '%Y-%m')"),
            Timeframe::Quarter => format!("concat(date_format({t}, '%Y'), '-Q', CAST(quarter({t}) AS VARCHAR))"),
            Timeframe::Year => format!("year({t})"),
            Timeframe::Hour => format!("date_format({t}, '%Y-%m-%d %H')"),
            Timeframe::HourN(n) => step("hour", "day", n),
            Timeframe::Minute => format!("date_format({t}, '%Y-%m-%d %H:%i')"),
            Timeframe::MinuteN(n) => step("minute", "hour", n),
            Timeframe::Millisecond => format!("date_trunc('millisecond', {t})"),
            Timeframe::Microsecond => t.clone(),
            Timeframe::DayOfWeek => format!("date_format({t}, '%W')"),
            Timeframe::DayOfWeekIndex => format!("mod(day_of_week({t}) - 1 - {k} + 7, 7)"),
            Timeframe::DayOfMonth => format!("day({t})"),
            Timeframe::DayOfYear => format!("day_of_year({t})"),
            Timeframe::WeekOfYear => format!("week({t})"),
            Timeframe::MonthName => format!("date_format({t}, '%M')"),
            Timeframe::MonthNum => format!("month({t})"),
            Timeframe::QuarterOfYear => format!("concat('Q', CAST(quarter({t}) AS VARCHAR))"),
            Timeframe::HourOfDay => format!("hour({t})"),
            Timeframe::FiscalMonthNum => format!("month({})", fiscal()),
            Timeframe::FiscalQuarter => {
                let f = fiscal();
                format!("concat(CAST(year({f}) AS VARCHAR), '-Q', CAST(quarter({f}) AS VARCHAR))")
            }
            Timeframe::FiscalQuarterOfYear => format!("concat('Q', CAST(quarter({}) AS VARCHAR))", fiscal()),
            Timeframe::FiscalYear => format!("year({})", fiscal()),
            Timeframe::YesNo => format!("({expr} IS NOT NULL)"),
        }
    }

    fn to_timestamp(&self, datatype: Datatype, expr: &str) -> String {
        match datatype {
            Datatype::Timestamp | Datatype::Datetime => expr.to_string(),
            Datatype::Date => format!("CAST({expr} AS TIMESTAMP)"),
            Datatype::Epoch => format!("CAST(from_unixtime({expr}, 'UTC') AS TIMESTAMP)"),
            Datatype::Yyyymmdd => format!("CAST(date_parse(CAST({expr} AS VARCHAR), '%Y%m%d') AS TIMESTAMP)"),
        }
    }

    fn convert_tz(&self, expr: &str, from: &str, to: &str) -> Result<String, Unsupported> {
        Ok(format!(
            "CAST(with_timezone(CAST({expr} AS TIMESTAMP), {}) AT TIME ZONE {} AS TIMESTAMP)",
            self.string_literal(from),
            self.string_literal(to)
        ))
    }

    fn add_interval(&self, interval: Interval, n: &str, expr: &str) -> String {
        format!("date_add('{}', CAST({n} AS BIGINT), CAST({expr} AS TIMESTAMP))", interval.name())
    }

    fn duration(&self, interval: Interval, start: &str, end: &str) -> String {
        let (s, e) = (format!("CAST({start} AS TIMESTAMP)"), format!("CAST({end} AS TIMESTAMP)"));
        let dates = |unit: &str| format!("date_diff('{unit}', CAST({s} AS DATE), CAST({e} AS DATE))");
        match interval {
            Interval::Second => format!("date_diff('second', {s}, {e})"),
            Interval::Minute => format!("date_diff('minute', {s}, {e})"),
            Interval::Hour => format!("date_diff('hour', {s}, {e})"),
            Interval::Day => dates("day"),
            Interval::Week => dates("week"),
            Interval::Month => dates("month"),
            Interval::Quarter => dates("quarter"),
            Interval::Year => dates("year"),
        }
    }

    // Exact: the group's distinct (key, value) rows collected into an array and folded once each
    // (a 64-bit key hash added to values, Looker's method elsewhere, could collide in big groups).
    fn keyed_aggregate(&self, aggregate: KeyedAggregate, value: &str, key: &str) -> Result<String, Unsupported> {
        let pairs = format!(
            "array_agg(DISTINCT CAST(ROW(CAST({key} AS VARCHAR), CAST({value} AS DECIMAL(38, 9))) AS ROW(k VARCHAR, v DECIMAL(38, 9)))) FILTER (WHERE {key} IS NOT NULL)"
        );
        let sum = format!("reduce({pairs}, CAST(0 AS DECIMAL(38, 9)), (s, x) -> s + COALESCE(x.v, 0), s -> s)");
        match aggregate {
            KeyedAggregate::Sum => Ok(format!("COALESCE({sum}, 0)")),
            KeyedAggregate::Average => Ok(format!("CAST({sum} AS DOUBLE) / NULLIF(cardinality(filter({pairs}, x -> x.v IS NOT NULL)), 0)")),
            _ => Err(Unsupported("medians and percentiles over repeated rows are not supported on Trino".into())),
        }
    }

    // Trino's percentiles are approximate; Looker's are exact.
    fn median(&self, _value: &str) -> Result<String, Unsupported> {
        Err(Unsupported("Trino has only approximate medians (approx_percentile); exact ones are not supported yet".into()))
    }

    fn percentile(&self, _value: &str, _fraction: f64) -> Result<String, Unsupported> {
        Err(Unsupported("Trino has only approximate percentiles (approx_percentile); exact ones are not supported yet".into()))
    }

    fn list(&self, value: &str) -> String {
        format!("array_join(array_sort(array_distinct(filter(array_agg(CAST({value} AS VARCHAR)), x -> x IS NOT NULL))), ', ')")
    }

    fn approximate_count_distinct(&self, value: &str) -> String {
        format!("approx_distinct({value})")
    }
}
