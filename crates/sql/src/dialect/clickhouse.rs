//! ClickHouse. Printed and pinned by golden tests; no driver yet.

use semantic::{Datatype, Interval, Timeframe};

use super::{Calendar, Dialect, KeyedAggregate, Unsupported};

#[derive(Debug, Default, Clone, Copy)]
pub struct ClickHouse;

impl Dialect for ClickHouse {
    fn name(&self) -> &'static str {
        "clickhouse"
    }

    /// ClickHouse strings treat `\` as an escape.
    fn string_literal(&self, value: &str) -> String {
        format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
    }

    /// The pattern's `\` escapes are ClickHouse's LIKE escapes; the literal doubles them.
    fn like(&self, expr: &str, pattern: &str) -> String {
        format!("{expr} LIKE {}", self.string_literal(pattern))
    }

    fn char_length(&self, s: &str) -> String {
        format!("lengthUTF8({s})")
    }

    fn concat(&self, parts: &[String]) -> String {
        format!("concat({})", parts.iter().map(|p| format!("toString({p})")).collect::<Vec<_>>().join(", "))
    }

    fn timestamp_literal(&self, value: jiff::civil::DateTime) -> String {
        format!("toDateTime('{}')", value.strftime("%Y-%m-%d %H:%M:%S"))
    }

    fn timeframe(&self, timeframe: Timeframe, expr: &str, calendar: Calendar) -> String {
        let t = expr.to_string();
        let fiscal = || match calendar.fiscal_month_offset {
            0 => t.clone(),
            n => format!("addMonths({t}, {})", -n),
        };
        let k = calendar.week_start_day;
        match timeframe {
            Timeframe::Raw => t.clone(),
            Timeframe::Time | Timeframe::Second => format!("toDateTime({t})"),
            Timeframe::TimeOfDay => format!("formatDateTime({t}, '%H:%i')"),
            Timeframe::Date => format!("toDate({t})"),
            Timeframe::Week => format!("addDays(toMonday(addDays({t}, -{k})), {k})"),
            Timeframe::Month => format!("formatDateTime({t}, '%Y-%m')"),
            Timeframe::Quarter => format!("concat(toString(toYear({t})), '-Q', toString(toQuarter({t})))"),
            Timeframe::Year => format!("toYear({t})"),
            Timeframe::Hour => format!("formatDateTime({t}, '%Y-%m-%d %H')"),
            Timeframe::HourN(n) => format!("toStartOfInterval({t}, INTERVAL {n} HOUR)"),
            Timeframe::Minute => format!("formatDateTime({t}, '%Y-%m-%d %H:%i')"),
            Timeframe::MinuteN(n) => format!("toStartOfInterval({t}, INTERVAL {n} MINUTE)"),
            Timeframe::Millisecond => format!("toStartOfMillisecond({t})"),
            Timeframe::Microsecond => t.clone(),
            Timeframe::DayOfWeek => format!("dateName('weekday', {t})"),
            Timeframe::DayOfWeekIndex => format!("((toDayOfWeek({t}) - 1 - {k} + 7) % 7)"),
            Timeframe::DayOfMonth => format!("toDayOfMonth({t})"),
            Timeframe::DayOfYear => format!("toDayOfYear({t})"),
            Timeframe::WeekOfYear => format!("toISOWeek({t})"),
            Timeframe::MonthName => format!("dateName('month', {t})"),
            Timeframe::MonthNum => format!("toMonth({t})"),
            Timeframe::QuarterOfYear => format!("concat('Q', toString(toQuarter({t})))"),
            Timeframe::HourOfDay => format!("toHour({t})"),
            Timeframe::FiscalMonthNum => format!("toMonth({})", fiscal()),
            Timeframe::FiscalQuarter => {
                let f = fiscal();
                format!("concat(toString(toYear({f})), '-Q', toString(toQuarter({f})))")
            }
            Timeframe::FiscalQuarterOfYear => format!("concat('Q', toString(toQuarter({})))", fiscal()),
            Timeframe::FiscalYear => format!("toYear({})", fiscal()),
            Timeframe::YesNo => format!("({expr} IS NOT NULL)"),
        }
    }

    fn to_timestamp(&self, datatype: Datatype, expr: &str) -> String {
        match datatype {
            Datatype::Timestamp | Datatype::Datetime => expr.to_string(),
            Datatype::Date => format!("toDateTime({expr})"),
            Datatype::Epoch => format!("toDateTime({expr}, 'UTC')"),
            Datatype::Yyyymmdd => format!("toDateTime(YYYYMMDDToDate({expr}))"),
        }
    }

    // ClickHouse keeps zones as column metadata: converting naive values by name is not one
    // expression; refused rather than guessed.
    fn convert_tz(&self, _expr: &str, from: &str, to: &str) -> Result<String, Unsupported> {
        Err(Unsupported(format!("converting times from {from} to {to} is not supported yet on ClickHouse (query_timezone)")))
    }

    fn add_interval(&self, interval: Interval, n: &str, expr: &str) -> String {
        format!("date_add({}, toInt64({n}), toDateTime({expr}))", interval.name().to_uppercase())
    }

    fn truncate(&self, interval: Interval, expr: &str) -> String {
        format!("date_trunc('{}', toDateTime({expr}))", interval.name())
    }

    fn duration(&self, interval: Interval, start: &str, end: &str) -> String {
        let (s, e) = (start, end);
        let months = format!("(dateDiff('month', toDate({s}), toDate({e})) - if(toDayOfMonth({e}) < toDayOfMonth({s}), 1, 0))");
        match interval {
            Interval::Second => format!("dateDiff('second', {s}, {e})"),
            Interval::Minute => format!("intDiv(dateDiff('second', {s}, {e}), 60)"),
            Interval::Hour => format!("intDiv(dateDiff('second', {s}, {e}), 3600)"),
            Interval::Day => format!("dateDiff('day', toDate({s}), toDate({e}))"),
            Interval::Week => format!("intDiv(dateDiff('day', toDate({s}), toDate({e})), 7)"),
            Interval::Month => months,
            Interval::Quarter => format!("intDiv({months}, 3)"),
            Interval::Year => format!("intDiv({months}, 12)"),
        }
    }

    // Exact: the group's distinct (key, value) tuples, aggregated once each.
    fn keyed_aggregate(&self, aggregate: KeyedAggregate, value: &str, key: &str) -> Result<String, Unsupported> {
        let values = format!("arrayMap(x -> x.2, groupUniqArrayIf(({key}, {value}), {key} IS NOT NULL))");
        Ok(match aggregate {
            KeyedAggregate::Sum => format!("arraySum({values})"),
            KeyedAggregate::Average => format!("arrayAvg({values})"),
            KeyedAggregate::Median => format!("arrayReduce('quantileExactInclusive(0.5)', {values})"),
            KeyedAggregate::Percentile(p) => format!("arrayReduce('quantileExactInclusive({p})', {values})"),
        })
    }

    fn median(&self, value: &str) -> Result<String, Unsupported> {
        Ok(format!("quantileExactInclusive(0.5)({value})"))
    }

    fn percentile(&self, value: &str, fraction: f64) -> Result<String, Unsupported> {
        Ok(format!("quantileExactInclusive({fraction})({value})"))
    }

    fn list(&self, value: &str) -> String {
        format!("arrayStringConcat(arraySort(groupUniqArray(toString({value}))), ', ')")
    }

    fn approximate_count_distinct(&self, value: &str) -> String {
        format!("uniq({value})")
    }
}
