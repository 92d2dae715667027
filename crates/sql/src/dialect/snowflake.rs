//! Snowflake. Printed and pinned by golden tests; no driver yet.

use semantic::{Datatype, Interval, Timeframe};

use super::{hashed_keyed_aggregate, Calendar, Dialect, KeyedAggregate, Unsupported};

#[derive(Debug, Default, Clone, Copy)]
pub struct Snowflake;

const DAY_NAMES: &str =
    "DECODE(DAYOFWEEKISO({t}), 1, 'Monday', 2, 'Tuesday', 3, 'Wednesday', 4, 'Thursday', 5, 'Friday', 6, 'Saturday', 'Sunday')";

impl Dialect for Snowflake {
    fn name(&self) -> &'static str {
        "snowflake"
    }

    /// Snowflake strings treat `\` as an escape, so it is doubled along with quotes.
    fn string_literal(&self, value: &str) -> String {
        format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
    }

    fn like(&self, expr: &str, pattern: &str) -> String {
        format!("{expr} LIKE {} ESCAPE '\\\\'", self.string_literal(pattern))
    }

    fn timeframe(&self, timeframe: Timeframe, expr: &str, calendar: Calendar) -> String {
        let t = format!("CAST({expr} AS TIMESTAMP_NTZ)");
        let fiscal = || match calendar.fiscal_month_offset {
            0 => t.clone(),
            n => format!("DATEADD(month, {}, {t})", -n),
        };
        let k = calendar.week_start_day;
        match timeframe {
            Timeframe::Raw => expr.to_string(),
            Timeframe::Time | Timeframe::Second => format!("DATE_TRUNC('second', {t})"),
            Timeframe::TimeOfDay => format!("TO_CHAR({t}, 'HH24:MI')"),
            Timeframe::Date => format!("TO_DATE({t})"),
            Timeframe::Week => format!("TO_DATE(DATEADD(day, {k}, DATE_TRUNC('week', DATEADD(day, -{k}, {t}))))"),
            Timeframe::Month => format!("TO_CHAR({t}, 'YYYY-MM')"),
            Timeframe::Quarter => format!("(TO_CHAR({t}, 'YYYY') || '-Q' || QUARTER({t}))"),
            Timeframe::Year => format!("YEAR({t})"),
            Timeframe::Hour => format!("TO_CHAR({t}, 'YYYY-MM-DD HH24')"),
            Timeframe::HourN(n) => format!("DATEADD(hour, FLOOR(HOUR({t}) / {n}) * {n}, DATE_TRUNC('day', {t}))"),
            Timeframe::Minute => format!("TO_CHAR({t}, 'YYYY-MM-DD HH24:MI')"),
            Timeframe::MinuteN(n) => format!("DATEADD(minute, FLOOR(MINUTE({t}) / {n}) * {n}, DATE_TRUNC('hour', {t}))"),
            Timeframe::Millisecond => format!("DATE_TRUNC('millisecond', {t})"),
            Timeframe::Microsecond => t.clone(),
            Timeframe::DayOfWeek => DAY_NAMES.replace("{t}", &t),
            Timeframe::DayOfWeekIndex => format!("MOD(DAYOFWEEKISO({t}) - 1 - {k} + 7, 7)"),
            Timeframe::DayOfMonth => format!("DAYOFMONTH({t})"),
            Timeframe::DayOfYear => format!("DAYOFYEAR({t})"),
            Timeframe::WeekOfYear => format!("WEEKISO({t})"),
            Timeframe::MonthName => format!("TO_CHAR({t}, 'MMMM')"),
            Timeframe::MonthNum => format!("MONTH({t})"),
            Timeframe::QuarterOfYear => format!("('Q' || QUARTER({t}))"),
            Timeframe::HourOfDay => format!("HOUR({t})"),
            Timeframe::FiscalMonthNum => format!("MONTH({})", fiscal()),
            Timeframe::FiscalQuarter => {
                let f = fiscal();
                format!("(TO_CHAR({f}, 'YYYY') || '-Q' || QUARTER({f}))")
            }
            Timeframe::FiscalQuarterOfYear => format!("('Q' || QUARTER({}))", fiscal()),
            Timeframe::FiscalYear => format!("YEAR({})", fiscal()),
            Timeframe::YesNo => format!("({expr} IS NOT NULL)"),
        }
    }

    fn to_timestamp(&self, datatype: Datatype, expr: &str) -> String {
        match datatype {
            Datatype::Timestamp | Datatype::Datetime => expr.to_string(),
            Datatype::Date => format!("CAST({expr} AS TIMESTAMP_NTZ)"),
            Datatype::Epoch => format!("TO_TIMESTAMP_NTZ({expr})"),
            Datatype::Yyyymmdd => format!("TO_TIMESTAMP_NTZ(TO_DATE(TO_CHAR({expr}), 'YYYYMMDD'))"),
        }
    }

    fn convert_tz(&self, expr: &str, from: &str, to: &str) -> Result<String, Unsupported> {
        Ok(format!("CONVERT_TIMEZONE({}, {}, CAST({expr} AS TIMESTAMP_NTZ))", self.string_literal(from), self.string_literal(to)))
    }

    fn add_interval(&self, interval: Interval, n: &str, expr: &str) -> String {
        format!("DATEADD({}, CAST({n} AS INTEGER), CAST({expr} AS TIMESTAMP))", interval.name())
    }

    fn duration(&self, interval: Interval, start: &str, end: &str) -> String {
        let (s, e) = (start, end);
        let months = format!("(DATEDIFF(month, {s}, {e}) - IFF(DAY({e}) < DAY({s}), 1, 0))");
        match interval {
            Interval::Second => format!("FLOOR(TIMESTAMPDIFF(millisecond, {s}, {e}) / 1000)"),
            Interval::Minute => format!("FLOOR(TIMESTAMPDIFF(second, {s}, {e}) / 60)"),
            Interval::Hour => format!("FLOOR(TIMESTAMPDIFF(second, {s}, {e}) / 3600)"),
            Interval::Day => format!("DATEDIFF(day, TO_DATE({s}), TO_DATE({e}))"),
            Interval::Week => format!("FLOOR(DATEDIFF(day, TO_DATE({s}), TO_DATE({e})) / 7)"),
            Interval::Month => months,
            Interval::Quarter => format!("FLOOR({months} / 3)"),
            Interval::Year => format!("FLOOR({months} / 12)"),
        }
    }

    fn keyed_aggregate(&self, aggregate: KeyedAggregate, value: &str, key: &str) -> Result<String, Unsupported> {
        let hash = format!("(TO_NUMBER(MD5(CAST({key} AS VARCHAR)), 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX') % 1.0e27)::NUMERIC(38, 0)");
        hashed_keyed_aggregate(aggregate, value, key, &hash, "NUMERIC(38, 0)", "1000000", "Snowflake")
    }

    fn median(&self, value: &str) -> Result<String, Unsupported> {
        Ok(format!("MEDIAN({value})"))
    }

    fn percentile(&self, value: &str, fraction: f64) -> Result<String, Unsupported> {
        Ok(format!("PERCENTILE_CONT({fraction}) WITHIN GROUP (ORDER BY {value})"))
    }

    fn list(&self, value: &str) -> String {
        format!("LISTAGG(DISTINCT CAST({value} AS VARCHAR), ', ') WITHIN GROUP (ORDER BY CAST({value} AS VARCHAR))")
    }

    fn approximate_count_distinct(&self, value: &str) -> String {
        format!("APPROX_COUNT_DISTINCT({value})")
    }
}
