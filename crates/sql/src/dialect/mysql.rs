//! MySQL and MariaDB. Two differences matter for safety: string literals treat `\` as an escape
//! (so it is doubled), and identifiers are quoted with backticks.

use semantic::{Datatype, Interval, Timeframe};

use super::{Calendar, Dialect, KeyedAggregate, Unsupported};

#[derive(Debug, Default, Clone, Copy)]
pub struct MySql;

/// Values are scaled to this many decimal places for symmetric aggregates (Looker's method).
const SCALE: &str = "1000000";
/// Key hashes are shifted above any scaled value, so (key, value) pairs stay distinct.
const SHIFT: &str = "1000000000000000000000000";

impl Dialect for MySql {
    fn name(&self) -> &'static str {
        "mysql"
    }

    fn quote_alias(&self, name: &str) -> String {
        format!("`{}`", name.replace('`', "``"))
    }

    fn string_literal(&self, value: &str) -> String {
        format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
    }

    /// `pattern` escapes with `\`, MySQL's default LIKE escape; the literal doubles it.
    fn like(&self, expr: &str, pattern: &str) -> String {
        format!("{expr} LIKE {}", self.string_literal(pattern))
    }

    fn char_length(&self, s: &str) -> String {
        format!("CHAR_LENGTH({s})")
    }

    fn concat(&self, parts: &[String]) -> String {
        format!("CONCAT({})", parts.join(", "))
    }

    fn timeframe(&self, timeframe: Timeframe, expr: &str, calendar: Calendar) -> String {
        let t = format!("CAST({expr} AS DATETIME)");
        let fiscal = || match calendar.fiscal_month_offset {
            0 => t.clone(),
            n => format!("DATE_SUB({t}, INTERVAL {n} MONTH)"),
        };
        let k = calendar.week_start_day;
        match timeframe {
            Timeframe::Raw => expr.to_string(),
            Timeframe::Time | Timeframe::Second => format!("CAST(DATE_FORMAT({t}, '%Y-%m-%d %H:%i:%s') AS DATETIME)"),
            Timeframe::TimeOfDay => format!("DATE_FORMAT({t}, '%H:%i')"),
            Timeframe::Date => format!("DATE({t})"),
            Timeframe::Week => format!("DATE(DATE_SUB({t}, INTERVAL MOD(WEEKDAY({t}) - {k} + 7, 7) DAY))"),
            Timeframe::Month => format!("DATE_FORMAT({t}, '%Y-%m')"),
            Timeframe::Quarter => format!("CONCAT(YEAR({t}), '-Q', QUARTER({t}))"),
            Timeframe::Year => format!("YEAR({t})"),
            Timeframe::Hour => format!("DATE_FORMAT({t}, '%Y-%m-%d %H')"),
            Timeframe::HourN(n) => format!("DATE_ADD(CAST(DATE({t}) AS DATETIME), INTERVAL FLOOR(HOUR({t}) / {n}) * {n} HOUR)"),
            Timeframe::Minute => format!("DATE_FORMAT({t}, '%Y-%m-%d %H:%i')"),
            Timeframe::MinuteN(n) => {
                format!("DATE_ADD(CAST(DATE_FORMAT({t}, '%Y-%m-%d %H:00:00') AS DATETIME), INTERVAL FLOOR(MINUTE({t}) / {n}) * {n} MINUTE)")
            }
            Timeframe::Millisecond => format!("CAST({expr} AS DATETIME(3))"),
            Timeframe::Microsecond => format!("CAST({expr} AS DATETIME(6))"),
            Timeframe::DayOfWeek => format!("DAYNAME({t})"),
            Timeframe::DayOfWeekIndex => format!("MOD(WEEKDAY({t}) - {k} + 7, 7)"),
            Timeframe::DayOfMonth => format!("DAYOFMONTH({t})"),
            Timeframe::DayOfYear => format!("DAYOFYEAR({t})"),
            Timeframe::WeekOfYear => format!("WEEKOFYEAR({t})"),
            Timeframe::MonthName => format!("MONTHNAME({t})"),
            Timeframe::MonthNum => format!("MONTH({t})"),
            Timeframe::QuarterOfYear => format!("CONCAT('Q', QUARTER({t}))"),
            Timeframe::HourOfDay => format!("HOUR({t})"),
            Timeframe::FiscalMonthNum => format!("MONTH({})", fiscal()),
            Timeframe::FiscalQuarter => {
                let f = fiscal();
                format!("CONCAT(YEAR({f}), '-Q', QUARTER({f}))")
            }
            Timeframe::FiscalQuarterOfYear => format!("CONCAT('Q', QUARTER({}))", fiscal()),
            Timeframe::FiscalYear => format!("YEAR({})", fiscal()),
            Timeframe::YesNo => format!("({expr} IS NOT NULL)"),
        }
    }

    fn to_timestamp(&self, datatype: Datatype, expr: &str) -> String {
        match datatype {
            Datatype::Timestamp | Datatype::Datetime => expr.to_string(),
            Datatype::Date => format!("CAST({expr} AS DATETIME)"),
            Datatype::Epoch => format!("DATE_ADD(CAST('1970-01-01 00:00:00' AS DATETIME), INTERVAL ({expr}) SECOND)"),
            Datatype::Yyyymmdd => format!("CAST(STR_TO_DATE(CAST({expr} AS CHAR), '%Y%m%d') AS DATETIME)"),
        }
    }

    // CONVERT_TZ answers NULL for zone names unless the server's time zone tables are loaded,
    // which would turn every time into NULL without a word: refused until that is checked.
    fn convert_tz(&self, _expr: &str, from: &str, to: &str) -> Result<String, Unsupported> {
        Err(Unsupported(format!("converting times from {from} to {to} is not supported yet on MySQL (query_timezone)")))
    }

    fn add_interval(&self, interval: Interval, n: &str, expr: &str) -> String {
        format!("DATE_ADD(CAST({expr} AS DATETIME), INTERVAL CAST({n} AS SIGNED) {})", interval.name().to_uppercase())
    }

    // MySQL has no DATE_TRUNC: the start of each interval is formatted, then read back.
    fn truncate(&self, interval: Interval, expr: &str) -> String {
        let t = format!("CAST({expr} AS DATETIME)");
        let format = match interval {
            Interval::Second => "%Y-%m-%d %H:%i:%s",
            Interval::Minute => "%Y-%m-%d %H:%i:00",
            Interval::Hour => "%Y-%m-%d %H:00:00",
            Interval::Day => "%Y-%m-%d 00:00:00",
            Interval::Month => "%Y-%m-01 00:00:00",
            Interval::Year => "%Y-01-01 00:00:00",
            Interval::Week => return format!("CAST(DATE_SUB(DATE({t}), INTERVAL WEEKDAY({t}) DAY) AS DATETIME)"),
            Interval::Quarter => return format!("CAST(MAKEDATE(YEAR({t}), 1) + INTERVAL (QUARTER({t}) - 1) QUARTER AS DATETIME)"),
        };
        format!("CAST(DATE_FORMAT({t}, '{format}') AS DATETIME)")
    }

    fn duration(&self, interval: Interval, start: &str, end: &str) -> String {
        let (s, e) = (format!("CAST({start} AS DATETIME)"), format!("CAST({end} AS DATETIME)"));
        match interval {
            Interval::Second => format!("FLOOR((UNIX_TIMESTAMP({e}) - UNIX_TIMESTAMP({s})))"),
            Interval::Minute => format!("FLOOR(TIMESTAMPDIFF(SECOND, {s}, {e}) / 60)"),
            Interval::Hour => format!("FLOOR(TIMESTAMPDIFF(SECOND, {s}, {e}) / 3600)"),
            Interval::Day => format!("DATEDIFF({e}, {s})"),
            Interval::Week => format!("FLOOR(DATEDIFF({e}, {s}) / 7)"),
            Interval::Month => format!("TIMESTAMPDIFF(MONTH, DATE({s}), DATE({e}))"),
            Interval::Quarter => format!("TIMESTAMPDIFF(QUARTER, DATE({s}), DATE({e}))"),
            Interval::Year => format!("TIMESTAMPDIFF(YEAR, DATE({s}), DATE({e}))"),
        }
    }

    // Looker's method: each key hashes to a large number; summing DISTINCT (hash + value) and
    // subtracting the sum of DISTINCT hashes counts each key's value once. Values keep six
    // decimal places (DECIMAL(65,0) arithmetic is exact).
    fn keyed_aggregate(&self, aggregate: KeyedAggregate, value: &str, key: &str) -> Result<String, Unsupported> {
        let hash = format!("CAST(CONV(SUBSTR(MD5(CAST({key} AS CHAR)), 1, 15), 16, 10) AS DECIMAL(65,0))");
        let scaled = format!("CAST(FLOOR(COALESCE({value}, 0) * {SCALE}) AS DECIMAL(65,0))");
        let sum = format!("(SUM(DISTINCT {hash} * {SHIFT} + {scaled}) - SUM(DISTINCT {hash} * {SHIFT})) / {SCALE}");
        match aggregate {
            KeyedAggregate::Sum => Ok(format!("COALESCE({sum}, 0)")),
            KeyedAggregate::Average => Ok(format!("({sum}) / NULLIF(COUNT(DISTINCT CASE WHEN {value} IS NOT NULL THEN {key} END), 0)")),
            KeyedAggregate::Median | KeyedAggregate::Percentile(_) => {
                Err(Unsupported("medians and percentiles over repeated rows are not supported on MySQL".into()))
            }
        }
    }

    fn median(&self, _value: &str) -> Result<String, Unsupported> {
        Err(Unsupported("MySQL has no median aggregate".into()))
    }

    fn percentile(&self, _value: &str, _fraction: f64) -> Result<String, Unsupported> {
        Err(Unsupported("MySQL has no percentile aggregate".into()))
    }

    fn list(&self, value: &str) -> String {
        format!("GROUP_CONCAT(DISTINCT {value} ORDER BY {value} SEPARATOR ', ')")
    }
}
