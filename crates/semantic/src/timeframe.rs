//! Looker's timeframes (`created_month`, `created_hour6`, `created_fiscal_quarter` …) and duration
//! intervals (`days_since_signup`), with their names as LookML spells them.

/// One timeframe of a `dimension_group` of `type: time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timeframe {
    Raw,
    Time,
    TimeOfDay,
    Date,
    Week,
    Month,
    Quarter,
    Year,
    Hour,
    /// `hour2` … `hour12`: the hour truncated to a multiple of N within the day.
    HourN(u8),
    Minute,
    /// `minute2` … `minute30`.
    MinuteN(u8),
    Second,
    Millisecond,
    Microsecond,
    DayOfWeek,
    DayOfWeekIndex,
    DayOfMonth,
    DayOfYear,
    WeekOfYear,
    MonthName,
    MonthNum,
    QuarterOfYear,
    HourOfDay,
    FiscalMonthNum,
    FiscalQuarter,
    FiscalQuarterOfYear,
    FiscalYear,
    /// `yesno`: whether the timestamp is set; referenced as `${group}`.
    YesNo,
}

const HOUR_STEPS: [u8; 6] = [2, 3, 4, 6, 8, 12];
const MINUTE_STEPS: [u8; 10] = [2, 3, 4, 5, 6, 10, 12, 15, 20, 30];

impl Timeframe {
    /// The timeframes a group gets when it lists none: Looker's documented default set.
    pub const DEFAULT: [Timeframe; 7] =
        [Timeframe::Raw, Timeframe::Time, Timeframe::Date, Timeframe::Week, Timeframe::Month, Timeframe::Quarter, Timeframe::Year];

    pub fn name(self) -> String {
        match self {
            Timeframe::HourN(n) => format!("hour{n}"),
            Timeframe::MinuteN(n) => format!("minute{n}"),
            other => other.fixed_name().to_string(),
        }
    }

    fn fixed_name(self) -> &'static str {
        match self {
            Timeframe::Raw => "raw",
            Timeframe::Time => "time",
            Timeframe::TimeOfDay => "time_of_day",
            Timeframe::Date => "date",
            Timeframe::Week => "week",
            Timeframe::Month => "month",
            Timeframe::Quarter => "quarter",
            Timeframe::Year => "year",
            Timeframe::Hour => "hour",
            Timeframe::Minute => "minute",
            Timeframe::Second => "second",
            Timeframe::Millisecond => "millisecond",
            Timeframe::Microsecond => "microsecond",
            Timeframe::DayOfWeek => "day_of_week",
            Timeframe::DayOfWeekIndex => "day_of_week_index",
            Timeframe::DayOfMonth => "day_of_month",
            Timeframe::DayOfYear => "day_of_year",
            Timeframe::WeekOfYear => "week_of_year",
            Timeframe::MonthName => "month_name",
            Timeframe::MonthNum => "month_num",
            Timeframe::QuarterOfYear => "quarter_of_year",
            Timeframe::HourOfDay => "hour_of_day",
            Timeframe::FiscalMonthNum => "fiscal_month_num",
            Timeframe::FiscalQuarter => "fiscal_quarter",
            Timeframe::FiscalQuarterOfYear => "fiscal_quarter_of_year",
            Timeframe::FiscalYear => "fiscal_year",
            Timeframe::YesNo => "yesno",
            Timeframe::HourN(_) | Timeframe::MinuteN(_) => "",
        }
    }

    pub fn parse(name: &str) -> Option<Timeframe> {
        const FIXED: [Timeframe; 27] = [
            Timeframe::Raw,
            Timeframe::Time,
            Timeframe::TimeOfDay,
            Timeframe::Date,
            Timeframe::Week,
            Timeframe::Month,
            Timeframe::Quarter,
            Timeframe::Year,
            Timeframe::Hour,
            Timeframe::Minute,
            Timeframe::Second,
            Timeframe::Millisecond,
            Timeframe::Microsecond,
            Timeframe::DayOfWeek,
            Timeframe::DayOfWeekIndex,
            Timeframe::DayOfMonth,
            Timeframe::DayOfYear,
            Timeframe::WeekOfYear,
            Timeframe::MonthName,
            Timeframe::MonthNum,
            Timeframe::QuarterOfYear,
            Timeframe::HourOfDay,
            Timeframe::FiscalMonthNum,
            Timeframe::FiscalQuarter,
            Timeframe::FiscalQuarterOfYear,
            Timeframe::FiscalYear,
            Timeframe::YesNo,
        ];
        if let Some(tf) = FIXED.into_iter().find(|t| t.fixed_name() == name) {
            return Some(tf);
        }
        if let Some(n) = name.strip_prefix("hour").and_then(|n| n.parse::<u8>().ok()) {
            return HOUR_STEPS.contains(&n).then_some(Timeframe::HourN(n));
        }
        if let Some(n) = name.strip_prefix("minute").and_then(|n| n.parse::<u8>().ok()) {
            return MINUTE_STEPS.contains(&n).then_some(Timeframe::MinuteN(n));
        }
        None
    }

    /// Timeframes that name a span of time (filtered as a range of the raw timestamp), as
    /// opposed to parts such as `day_of_week` (filtered on the extracted value).
    pub fn is_span(self) -> bool {
        matches!(
            self,
            Timeframe::Raw
                | Timeframe::Time
                | Timeframe::Date
                | Timeframe::Week
                | Timeframe::Month
                | Timeframe::Quarter
                | Timeframe::Year
                | Timeframe::Hour
                | Timeframe::HourN(_)
                | Timeframe::Minute
                | Timeframe::MinuteN(_)
                | Timeframe::Second
                | Timeframe::Millisecond
                | Timeframe::Microsecond
                | Timeframe::FiscalQuarter
                | Timeframe::FiscalYear
        )
    }

    /// Parts whose value is a number (filtered with the number grammar).
    pub fn is_numeric_part(self) -> bool {
        matches!(
            self,
            Timeframe::DayOfWeekIndex
                | Timeframe::DayOfMonth
                | Timeframe::DayOfYear
                | Timeframe::WeekOfYear
                | Timeframe::MonthNum
                | Timeframe::HourOfDay
                | Timeframe::FiscalMonthNum
        )
    }

    /// Timeframes whose values are numbers (years and the numeric parts).
    pub fn value_is_number(self) -> bool {
        self.is_numeric_part() || matches!(self, Timeframe::Year | Timeframe::FiscalYear)
    }
}

/// One interval of a `dimension_group` of `type: duration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interval {
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Interval {
    pub const ALL: [Interval; 8] = [
        Interval::Second,
        Interval::Minute,
        Interval::Hour,
        Interval::Day,
        Interval::Week,
        Interval::Month,
        Interval::Quarter,
        Interval::Year,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Interval::Second => "second",
            Interval::Minute => "minute",
            Interval::Hour => "hour",
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
            Interval::Quarter => "quarter",
            Interval::Year => "year",
        }
    }

    pub fn parse(name: &str) -> Option<Interval> {
        Interval::ALL.into_iter().find(|i| i.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_timeframe_name_round_trips() {
        for name in ["raw", "hour6", "minute15", "day_of_week_index", "fiscal_quarter_of_year", "month_name", "yesno", "week_of_year"] {
            assert_eq!(Timeframe::parse(name).map(Timeframe::name).as_deref(), Some(name));
        }
        assert_eq!(Timeframe::parse("hour5"), None);
        assert_eq!(Timeframe::parse("fortnight"), None);
    }
}
