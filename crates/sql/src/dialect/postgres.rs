//! PostgreSQL (and the dialects that print like it).

use semantic::{Datatype, Interval, Timeframe};

use super::{Calendar, Dialect, KeyedAggregate, Unsupported};

#[derive(Debug, Default, Clone, Copy)]
pub struct Postgres;

impl Dialect for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn timeframe(&self, timeframe: Timeframe, expr: &str, calendar: Calendar) -> String {
        let t = format!("CAST({expr} AS TIMESTAMP)");
        let int = |e: String| format!("CAST({e} AS INTEGER)");
        let fiscal = || match calendar.fiscal_month_offset {
            0 => t.clone(),
            n => format!("({t} - INTERVAL '{n} months')"),
        };
        match timeframe {
            Timeframe::Raw => expr.to_string(),
            Timeframe::Time | Timeframe::Second => format!("DATE_TRUNC('second', {t})"),
            Timeframe::TimeOfDay => format!("TO_CHAR({t}, 'HH24:MI')"),
            Timeframe::Date => format!("CAST({expr} AS DATE)"),
            Timeframe::Week => match calendar.week_start_day {
                0 => format!("CAST(DATE_TRUNC('week', {t}) AS DATE)"),
                k => format!("CAST(DATE_TRUNC('week', {t} - INTERVAL '{k} days') + INTERVAL '{k} days' AS DATE)"),
            },
            Timeframe::Month => format!("TO_CHAR({t}, 'YYYY-MM')"),
            Timeframe::Quarter => format!("TO_CHAR({t}, 'YYYY-\"Q\"Q')"),
            Timeframe::Year => int(format!("EXTRACT(YEAR FROM {t})")),
            Timeframe::Hour => format!("TO_CHAR({t}, 'YYYY-MM-DD HH24')"),
            Timeframe::HourN(n) => {
                format!("(DATE_TRUNC('day', {t}) + CAST(FLOOR(EXTRACT(HOUR FROM {t}) / {n}) * {n} AS INTEGER) * INTERVAL '1 hour')")
            }
            Timeframe::Minute => format!("TO_CHAR({t}, 'YYYY-MM-DD HH24:MI')"),
            Timeframe::MinuteN(n) => {
                format!("(DATE_TRUNC('hour', {t}) + CAST(FLOOR(EXTRACT(MINUTE FROM {t}) / {n}) * {n} AS INTEGER) * INTERVAL '1 minute')")
            }
            Timeframe::Millisecond => format!("DATE_TRUNC('milliseconds', {t})"),
            Timeframe::Microsecond => t.clone(),
            Timeframe::DayOfWeek => format!("TO_CHAR({t}, 'FMDay')"),
            Timeframe::DayOfWeekIndex => {
                int(format!("MOD(CAST(EXTRACT(ISODOW FROM {t}) AS INTEGER) - 1 - {} + 7, 7)", calendar.week_start_day))
            }
            Timeframe::DayOfMonth => int(format!("EXTRACT(DAY FROM {t})")),
            Timeframe::DayOfYear => int(format!("EXTRACT(DOY FROM {t})")),
            Timeframe::WeekOfYear => int(format!("EXTRACT(WEEK FROM {t})")),
            Timeframe::MonthName => format!("TO_CHAR({t}, 'FMMonth')"),
            Timeframe::MonthNum => int(format!("EXTRACT(MONTH FROM {t})")),
            Timeframe::QuarterOfYear => format!("('Q' || CAST(EXTRACT(QUARTER FROM {t}) AS INTEGER))"),
            Timeframe::HourOfDay => int(format!("EXTRACT(HOUR FROM {t})")),
            Timeframe::FiscalMonthNum => int(format!("EXTRACT(MONTH FROM {})", fiscal())),
            Timeframe::FiscalQuarter => {
                let f = fiscal();
                format!("(CAST(CAST(EXTRACT(YEAR FROM {f}) AS INTEGER) AS TEXT) || '-Q' || CAST(CAST(EXTRACT(QUARTER FROM {f}) AS INTEGER) AS TEXT))")
            }
            Timeframe::FiscalQuarterOfYear => format!("('Q' || CAST(EXTRACT(QUARTER FROM {}) AS INTEGER))", fiscal()),
            Timeframe::FiscalYear => int(format!("EXTRACT(YEAR FROM {})", fiscal())),
            Timeframe::YesNo => format!("({expr} IS NOT NULL)"),
        }
    }

    fn to_timestamp(&self, datatype: Datatype, expr: &str) -> String {
        match datatype {
            Datatype::Timestamp | Datatype::Datetime => expr.to_string(),
            Datatype::Date => format!("CAST({expr} AS TIMESTAMP)"),
            Datatype::Epoch => format!("(TO_TIMESTAMP({expr}) AT TIME ZONE 'UTC')"),
            Datatype::Yyyymmdd => format!("CAST(TO_DATE(CAST({expr} AS TEXT), 'YYYYMMDD') AS TIMESTAMP)"),
        }
    }

    fn convert_tz(&self, expr: &str, from: &str, to: &str) -> Result<String, Unsupported> {
        Ok(format!("((CAST({expr} AS TIMESTAMP) AT TIME ZONE {}) AT TIME ZONE {})", self.string_literal(from), self.string_literal(to)))
    }

    fn duration(&self, interval: Interval, start: &str, end: &str) -> String {
        let (s, e) = (format!("CAST({start} AS TIMESTAMP)"), format!("CAST({end} AS TIMESTAMP)"));
        let seconds = |per: u32| format!("CAST(FLOOR(EXTRACT(EPOCH FROM ({e} - {s})) / {per}) AS BIGINT)");
        let days = format!("(CAST({e} AS DATE) - CAST({s} AS DATE))");
        let age = format!("AGE(CAST({e} AS DATE), CAST({s} AS DATE))");
        let months = format!("(EXTRACT(YEAR FROM {age}) * 12 + EXTRACT(MONTH FROM {age}))");
        match interval {
            Interval::Second => seconds(1),
            Interval::Minute => seconds(60),
            Interval::Hour => seconds(3600),
            Interval::Day => days,
            Interval::Week => format!("CAST(FLOOR({days} / 7.0) AS BIGINT)"),
            Interval::Month => format!("CAST({months} AS BIGINT)"),
            Interval::Quarter => format!("CAST(TRUNC({months} / 3) AS BIGINT)"),
            Interval::Year => format!("CAST(EXTRACT(YEAR FROM {age}) AS BIGINT)"),
        }
    }

    // Exact whatever the value's type: the distinct (key, value) pairs of the group are collected
    // as JSON (numbers stay exact decimals) and aggregated once each.
    fn keyed_aggregate(&self, aggregate: KeyedAggregate, value: &str, key: &str) -> Result<String, Unsupported> {
        let pairs = format!(
            "JSONB_ARRAY_ELEMENTS(JSONB_AGG(DISTINCT JSONB_BUILD_ARRAY({key}, {value})) FILTER (WHERE {key} IS NOT NULL)) AS kv(pair)"
        );
        let v = "CAST(kv.pair ->> 1 AS NUMERIC)";
        Ok(match aggregate {
            KeyedAggregate::Sum => format!("COALESCE((SELECT SUM({v}) FROM {pairs}), 0)"),
            KeyedAggregate::Average => format!("(SELECT AVG({v}) FROM {pairs})"),
            KeyedAggregate::Median => format!("(SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY {v}) FROM {pairs})"),
            KeyedAggregate::Percentile(p) => format!("(SELECT PERCENTILE_CONT({p}) WITHIN GROUP (ORDER BY {v}) FROM {pairs})"),
        })
    }

    fn median(&self, value: &str) -> Result<String, Unsupported> {
        Ok(format!("PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY {value})"))
    }

    fn percentile(&self, value: &str, fraction: f64) -> Result<String, Unsupported> {
        Ok(format!("PERCENTILE_CONT({fraction}) WITHIN GROUP (ORDER BY {value})"))
    }

    fn list(&self, value: &str) -> String {
        format!("STRING_AGG(DISTINCT CAST({value} AS TEXT), ', ' ORDER BY CAST({value} AS TEXT))")
    }
}
