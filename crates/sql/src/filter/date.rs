//! Date filter grammar: absolute dates (`2024`, `2024-03`, `2024-Q1`, `2024-03-05 10:00`,
//! `FY2024`, `FY2024-Q2`), ranges (`A to B`, `A for 3 days`, `today for 7 days`), relative terms
//! (`today`, `monday`, `7 days`, `last 7 days`, `3 days ago`, `this month`, `this year to second`,
//! `last fiscal quarter`, `before …`, `after …`), `NULL`, lists joined by `,`. Weeks start on the
//! model's `week_start_day`; fiscal units follow its `fiscal_month_offset`.
//!
//! Each term becomes a half-open interval `[start, end)` computed from "now" in the query's time
//! zone, compared against the field's raw timestamp, as Looker does.

use jiff::civil::{Date, DateTime};
use jiff::{Span, ToSpan};

use crate::dialect::{Calendar, Dialect};

use super::split_items;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateTerm {
    Range { start: Option<DateTime>, end: Option<DateTime> },
    Null,
    NotNull,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
    FiscalQuarter,
    FiscalYear,
}

fn unit(word: &str) -> Option<Unit> {
    let w = word.strip_suffix('s').unwrap_or(word);
    Some(match w {
        "fiscal_quarter" => Unit::FiscalQuarter,
        "fiscal_year" => Unit::FiscalYear,
        "second" => Unit::Second,
        "minute" => Unit::Minute,
        "hour" => Unit::Hour,
        "day" => Unit::Day,
        "week" => Unit::Week,
        "month" => Unit::Month,
        "quarter" => Unit::Quarter,
        "year" => Unit::Year,
        _ => return None,
    })
}

/// `n` units as a span; `None` when `n` is beyond what a calendar can hold (the date library
/// would panic on it).
fn span(u: Unit, n: i64) -> Option<Span> {
    let s = Span::new();
    match u {
        Unit::Second => s.try_seconds(n),
        Unit::Minute => s.try_minutes(n),
        Unit::Hour => s.try_hours(n),
        Unit::Day => s.try_days(n),
        Unit::Week => s.try_weeks(n),
        Unit::Month => s.try_months(n),
        Unit::Quarter | Unit::FiscalQuarter => s.try_months(n.checked_mul(3)?),
        Unit::Year | Unit::FiscalYear => s.try_years(n),
    }
    .ok()
}

fn add(t: DateTime, u: Unit, n: i64) -> Result<DateTime, String> {
    let out_of_range = || "the date is out of range".to_string();
    t.checked_add(span(u, n).ok_or_else(out_of_range)?).map_err(|_| out_of_range())
}

/// The start of the unit containing `t` (weeks from `week_start_day`, fiscal units from
/// `fiscal_month_offset`).
fn truncate(t: DateTime, u: Unit, cal: Calendar) -> DateTime {
    let d = t.date();
    let midnight = |d: Date| d.to_datetime(jiff::civil::time(0, 0, 0, 0));
    let fiscal = |u: Unit| -> DateTime {
        let offset = cal.fiscal_month_offset as i64;
        let shifted = t.checked_sub(offset.months()).unwrap_or(t);
        let start = truncate(shifted, u, cal);
        start.checked_add(offset.months()).unwrap_or(start)
    };
    match u {
        Unit::FiscalQuarter => return fiscal(Unit::Quarter),
        Unit::FiscalYear => return fiscal(Unit::Year),
        _ => {}
    }
    match u {
        Unit::Second => t.with().subsec_nanosecond(0).build().unwrap_or(t),
        Unit::Minute => d.at(t.hour(), t.minute(), 0, 0),
        Unit::Hour => d.at(t.hour(), 0, 0, 0),
        Unit::Day => midnight(d),
        Unit::Week => {
            let back = (d.weekday().to_monday_zero_offset() as i64 - cal.week_start_day as i64).rem_euclid(7);
            midnight(d.checked_sub(back.days()).unwrap_or(d))
        }
        Unit::Month => midnight(d.first_of_month()),
        Unit::Quarter => {
            let month = (d.month() - 1) / 3 * 3 + 1;
            midnight(Date::new(d.year(), month, 1).unwrap_or(d))
        }
        Unit::Year => midnight(d.first_of_year()),
        Unit::FiscalQuarter | Unit::FiscalYear => unreachable!("handled above"),
    }
}

/// Parses a filter value into terms, resolving relative ones against `now` (Monday weeks,
/// calendar fiscal years).
pub fn parse_date_filter(value: &str, now: DateTime) -> Result<Vec<DateTerm>, String> {
    parse_date_filter_in(value, now, Calendar::default())
}

/// [`parse_date_filter`] under a model's calendar.
pub fn parse_date_filter_in(value: &str, now: DateTime, cal: Calendar) -> Result<Vec<DateTerm>, String> {
    let mut terms = Vec::new();
    for item in split_items(value) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        terms.push(term(item, now, cal).ok_or_else(|| {
            format!("`{item}` is not a date filter (examples: `2024`, `2024-03`, `2024-03-05`, `2024-01-01 to 2024-02-01`, `last 7 days`, `3 months ago`, `this year`, `before 2024-01-01`, `NULL`)")
        })??);
    }
    if terms.is_empty() {
        return Err(format!("`{value}` has no value to filter on"));
    }
    Ok(terms)
}

type Found = Option<Result<DateTerm, String>>;

fn range(start: DateTime, end: DateTime) -> Found {
    Some(Ok(DateTerm::Range { start: Some(start), end: Some(end) }))
}

fn term(item: &str, now: DateTime, cal: Calendar) -> Found {
    // Two-word units read as one word.
    let lower = item.to_ascii_lowercase().replace("fiscal quarter", "fiscal_quarter").replace("fiscal year", "fiscal_year");
    let words: Vec<&str> = lower.split_whitespace().collect();
    match words.as_slice() {
        ["null"] => return Some(Ok(DateTerm::Null)),
        ["not", "null"] => return Some(Ok(DateTerm::NotNull)),
        ["before", ..] | ["after", ..] => {
            let rest = lower.split_once(' ')?.1;
            let (start, _) = interval(rest, now, cal)?.ok()?;
            return Some(Ok(if words[0] == "before" {
                DateTerm::Range { start: None, end: Some(start) }
            } else {
                DateTerm::Range { start: Some(start), end: None }
            }));
        }
        _ => {}
    }
    match interval(&lower, now, cal)? {
        Ok((start, end)) => range(start, end),
        Err(e) => Some(Err(e)),
    }
}

/// Any term that denotes one interval.
fn interval(lower: &str, now: DateTime, cal: Calendar) -> Option<Result<(DateTime, DateTime), String>> {
    let words: Vec<&str> = lower.split_whitespace().collect();
    let count = |w: &str| w.parse::<i64>().ok().filter(|n| *n > 0 && *n < 100_000);
    let ok = |a: Result<DateTime, String>, b: Result<DateTime, String>| Some(a.and_then(|a| b.map(|b| (a, b))));
    // `X for n unit`
    if let Some(i) = words.iter().position(|w| *w == "for") {
        if words.len() == i + 3 {
            let (n, u) = (count(words[i + 1])?, unit(words[i + 2])?);
            let (start, _) = match interval(&words[..i].join(" "), now, cal)? {
                Ok(r) => r,
                Err(e) => return Some(Err(e)),
            };
            return ok(Ok(start), add(start, u, n));
        }
        return None;
    }
    // `this u1 to u2`: from the start of this u1 to the start of the current u2.
    if let ["this", u1, "to", u2] = words.as_slice() {
        let (u1, u2) = (unit(u1)?, unit(u2)?);
        return Some(Ok((truncate(now, u1, cal), truncate(now, u2, cal))));
    }
    // `A to B` (absolute ends; end exclusive)
    if let Some(i) = words.iter().position(|w| *w == "to") {
        let (a, _) = absolute(&words[..i].join(" "))?;
        let (b, _) = absolute(&words[i + 1..].join(" "))?;
        return Some(Ok((a, b)));
    }
    if let Some(found) = relative(&words, now, cal) {
        return Some(found);
    }
    if let Some(found) = fiscal_absolute(lower, cal) {
        return Some(found);
    }
    let (start, u) = absolute(lower)?;
    ok(Ok(start), add(start, u, 1))
}

/// `FY2024` and `FY2024-Q2`: the fiscal year (or its quarter) that starts in 2024.
fn fiscal_absolute(lower: &str, cal: Calendar) -> Option<Result<(DateTime, DateTime), String>> {
    let rest = lower.strip_prefix("fy")?;
    let (year, quarter) = match rest.split_once(['-', '/']) {
        Some((y, q)) => (y, Some(q.strip_prefix('q')?.parse::<i64>().ok().filter(|q| (1..=4).contains(q))?)),
        None => (rest, None),
    };
    let year: i16 = year.parse().ok().filter(|_| year.len() == 4)?;
    let calendar_start = Date::new(year, 1, 1).ok()?.to_datetime(jiff::civil::time(0, 0, 0, 0));
    // Fiscal year N starts `offset` months after January of N.
    let start = match add(calendar_start, Unit::Month, cal.fiscal_month_offset as i64) {
        Ok(s) => s,
        Err(e) => return Some(Err(e)),
    };
    Some(match quarter {
        None => add(start, Unit::Year, 1).map(|end| (start, end)),
        Some(q) => add(start, Unit::Quarter, q - 1).and_then(|s| add(s, Unit::Quarter, 1).map(|e| (s, e))),
    })
}

/// Terms relative to now; `None` when the words are not one of them.
fn relative(words: &[&str], now: DateTime, cal: Calendar) -> Option<Result<(DateTime, DateTime), String>> {
    let count = |w: &str| w.parse::<i64>().ok().filter(|n| *n > 0 && *n < 100_000);
    let ok = |a: Result<DateTime, String>, b: Result<DateTime, String>| Some(a.and_then(|a| b.map(|b| (a, b))));
    let truncate = |t: DateTime, u: Unit| truncate(t, u, cal);
    let today = truncate(now, Unit::Day);
    const WEEKDAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    if let [day] = words {
        // A weekday: the most recent one (today, when today is that day).
        if let Some(i) = WEEKDAYS.iter().position(|w| w == day) {
            let back = (today.date().weekday().to_monday_zero_offset() as i64 - i as i64).rem_euclid(7);
            return ok(add(today, Unit::Day, -back), add(today, Unit::Day, 1 - back));
        }
    }
    match words {
        ["today"] => return ok(Ok(today), add(today, Unit::Day, 1)),
        ["yesterday"] => return ok(add(today, Unit::Day, -1), Ok(today)),
        ["tomorrow"] => return ok(add(today, Unit::Day, 1), add(today, Unit::Day, 2)),
        ["this", u] => {
            let s = truncate(now, unit(u)?);
            return ok(Ok(s), add(s, unit(u)?, 1));
        }
        ["next", u] => {
            let s = truncate(now, unit(u)?);
            return ok(add(s, unit(u)?, 1), add(s, unit(u)?, 2));
        }
        ["last", u] if unit(u).is_some() => {
            let s = truncate(now, unit(u)?);
            return ok(add(s, unit(u)?, -1), Ok(s));
        }
        ["last", n, u] | [n, u] => {
            let (n, u) = (count(n)?, unit(u)?);
            let s = truncate(now, u);
            return ok(add(s, u, -(n - 1)), add(s, u, 1));
        }
        [n, u, "ago"] => {
            let (n, u) = (count(n)?, unit(u)?);
            let s = truncate(now, u);
            return ok(add(s, u, -n), add(s, u, -(n - 1)));
        }
        [n, u, "from", "now"] => {
            let (n, u) = (count(n)?, unit(u)?);
            let s = truncate(now, u);
            return ok(add(s, u, n), add(s, u, n + 1));
        }
        _ => {}
    }
    None
}

/// An absolute date or time and the unit its precision implies.
fn absolute(text: &str) -> Option<(DateTime, Unit)> {
    let text = text.trim();
    let (date_part, time_part) = match text.split_once(' ') {
        Some((d, t)) => (d, Some(t.trim())),
        None => (text, None),
    };
    let parts: Vec<&str> = date_part.split(['-', '/']).collect();
    let year = parts.first().filter(|y| y.len() == 4)?.parse::<i16>().ok()?;
    let two = |s: &str| if s.len() == 2 { s.parse::<i8>().ok() } else { None };
    let midnight = |y, m, d| Date::new(y, m, d).ok().map(|d| d.to_datetime(jiff::civil::time(0, 0, 0, 0)));
    let (date, unit) = match parts.as_slice() {
        [_] => (midnight(year, 1, 1)?, Unit::Year),
        [_, q] if q.len() == 2 && q.starts_with('q') => {
            let n: i8 = q[1..].parse().ok().filter(|n| (1..=4).contains(n))?;
            (midnight(year, (n - 1) * 3 + 1, 1)?, Unit::Quarter)
        }
        [_, m] => (midnight(year, two(m)?, 1)?, Unit::Month),
        [_, m, d] => (midnight(year, two(m)?, two(d)?)?, Unit::Day),
        _ => return None,
    };
    let Some(time) = time_part else { return Some((date, unit)) };
    if unit != Unit::Day {
        return None;
    }
    let t: Vec<&str> = time.split(':').collect();
    let (h, m, s, u) = match t.as_slice() {
        [h, m] => (two(h)?, two(m)?, 0, Unit::Minute),
        [h, m, s] => (two(h)?, two(m)?, two(s)?, Unit::Second),
        _ => return None,
    };
    let d = date.date();
    let at = DateTime::new(d.year(), d.month(), d.day(), h, m, s, 0).ok()?;
    Some((at, u))
}

pub fn to_sql(terms: &[DateTerm], expr: &str, dialect: &dyn Dialect) -> Result<String, String> {
    let parts: Vec<String> = terms
        .iter()
        .map(|t| match t {
            DateTerm::Null => format!("{expr} IS NULL"),
            DateTerm::NotNull => format!("{expr} IS NOT NULL"),
            DateTerm::Range { start, end } => {
                let mut c = Vec::new();
                if let Some(s) = start {
                    c.push(format!("{expr} >= {}", dialect.timestamp_literal(*s)));
                }
                if let Some(e) = end {
                    c.push(format!("{expr} < {}", dialect.timestamp_literal(*e)));
                }
                format!("({})", c.join(" AND "))
            }
        })
        .collect();
    Ok(if parts.len() == 1 { parts[0].clone() } else { format!("({})", parts.join(" OR ")) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::DuckDb;

    /// The docs' reference instant: Friday 2018-05-18 18:30:02.
    fn now() -> DateTime {
        jiff::civil::date(2018, 5, 18).at(18, 30, 2, 0)
    }

    fn interval_of(value: &str) -> (String, String) {
        match parse_date_filter(value, now()).unwrap()[..] {
            [DateTerm::Range { start, end }] => {
                (start.map(|s| s.to_string()).unwrap_or_default(), end.map(|e| e.to_string()).unwrap_or_default())
            }
            ref other => panic!("{other:?}"),
        }
    }

    #[test]
    fn absolute_forms() {
        assert_eq!(interval_of("2018"), ("2018-01-01T00:00:00".into(), "2019-01-01T00:00:00".into()));
        assert_eq!(interval_of("2018-05"), ("2018-05-01T00:00:00".into(), "2018-06-01T00:00:00".into()));
        assert_eq!(interval_of("2018/05/29"), ("2018-05-29T00:00:00".into(), "2018-05-30T00:00:00".into()));
        assert_eq!(interval_of("2018-Q4"), ("2018-10-01T00:00:00".into(), "2019-01-01T00:00:00".into()));
        assert_eq!(interval_of("2018-05-18 12:00"), ("2018-05-18T12:00:00".into(), "2018-05-18T12:01:00".into()));
    }

    #[test]
    fn ranges() {
        assert_eq!(interval_of("2018/01/01 to 2018/02/01"), ("2018-01-01T00:00:00".into(), "2018-02-01T00:00:00".into()));
        assert_eq!(interval_of("2018/05/10 for 3 days"), ("2018-05-10T00:00:00".into(), "2018-05-13T00:00:00".into()));
    }

    #[test]
    fn relative_forms_match_lookers_documented_examples() {
        assert_eq!(interval_of("2 days"), ("2018-05-17T00:00:00".into(), "2018-05-19T00:00:00".into()));
        assert_eq!(interval_of("last 3 days"), ("2018-05-16T00:00:00".into(), "2018-05-19T00:00:00".into()));
        assert_eq!(interval_of("2 weeks"), ("2018-05-07T00:00:00".into(), "2018-05-21T00:00:00".into()));
        assert_eq!(interval_of("1 day ago"), ("2018-05-17T00:00:00".into(), "2018-05-18T00:00:00".into()));
        assert_eq!(interval_of("2 months ago"), ("2018-03-01T00:00:00".into(), "2018-04-01T00:00:00".into()));
        assert_eq!(interval_of("7 days ago for 7 days"), ("2018-05-11T00:00:00".into(), "2018-05-18T00:00:00".into()));
        assert_eq!(interval_of("this week"), ("2018-05-14T00:00:00".into(), "2018-05-21T00:00:00".into()));
        assert_eq!(interval_of("last week"), ("2018-05-07T00:00:00".into(), "2018-05-14T00:00:00".into()));
        assert_eq!(interval_of("next week"), ("2018-05-21T00:00:00".into(), "2018-05-28T00:00:00".into()));
        assert_eq!(interval_of("last month"), ("2018-04-01T00:00:00".into(), "2018-05-01T00:00:00".into()));
        assert_eq!(interval_of("today"), ("2018-05-18T00:00:00".into(), "2018-05-19T00:00:00".into()));
        assert_eq!(interval_of("yesterday"), ("2018-05-17T00:00:00".into(), "2018-05-18T00:00:00".into()));
        assert_eq!(interval_of("2 months from now"), ("2018-07-01T00:00:00".into(), "2018-08-01T00:00:00".into()));
        assert_eq!(interval_of("24 hours"), ("2018-05-17T19:00:00".into(), "2018-05-18T19:00:00".into()));
    }

    fn interval_in(value: &str, cal: Calendar) -> (String, String) {
        match parse_date_filter_in(value, now(), cal).unwrap()[..] {
            [DateTerm::Range { start, end }] => {
                (start.map(|s| s.to_string()).unwrap_or_default(), end.map(|e| e.to_string()).unwrap_or_default())
            }
            ref other => panic!("{other:?}"),
        }
    }

    #[test]
    fn to_date_weekdays_and_day_keywords_for_a_span() {
        assert_eq!(interval_of("this year to second"), ("2018-01-01T00:00:00".into(), "2018-05-18T18:30:02".into()));
        assert_eq!(interval_of("this week to day"), ("2018-05-14T00:00:00".into(), "2018-05-18T00:00:00".into()));
        assert_eq!(interval_of("Monday"), ("2018-05-14T00:00:00".into(), "2018-05-15T00:00:00".into()));
        assert_eq!(interval_of("friday"), ("2018-05-18T00:00:00".into(), "2018-05-19T00:00:00".into()));
        assert_eq!(interval_of("today for 7 days"), ("2018-05-18T00:00:00".into(), "2018-05-25T00:00:00".into()));
        assert_eq!(interval_of("before monday"), ("".into(), "2018-05-14T00:00:00".into()));
        assert_eq!(interval_of("6 months from now for 3 months"), ("2018-11-01T00:00:00".into(), "2019-02-01T00:00:00".into()));
    }

    #[test]
    fn fiscal_forms_follow_the_offset_and_weeks_the_start_day() {
        let april = Calendar { week_start_day: 6, fiscal_month_offset: 3 };
        assert_eq!(interval_in("FY2018", april), ("2018-04-01T00:00:00".into(), "2019-04-01T00:00:00".into()));
        assert_eq!(interval_in("FY2018-Q2", april), ("2018-07-01T00:00:00".into(), "2018-10-01T00:00:00".into()));
        assert_eq!(interval_in("this fiscal year", april), ("2018-04-01T00:00:00".into(), "2019-04-01T00:00:00".into()));
        assert_eq!(interval_in("last fiscal quarter", april), ("2018-01-01T00:00:00".into(), "2018-04-01T00:00:00".into()));
        assert_eq!(interval_in("this week", april), ("2018-05-13T00:00:00".into(), "2018-05-20T00:00:00".into()));
        let october = Calendar { week_start_day: 0, fiscal_month_offset: -3 };
        assert_eq!(interval_in("FY2018", october), ("2017-10-01T00:00:00".into(), "2018-10-01T00:00:00".into()));
    }

    #[test]
    fn before_and_after_are_one_sided() {
        assert_eq!(interval_of("before 2018-01-01"), ("".into(), "2018-01-01T00:00:00".into()));
        assert_eq!(interval_of("after 2018-10-05"), ("2018-10-05T00:00:00".into(), "".into()));
        assert_eq!(interval_of("before 2 months ago"), ("".into(), "2018-03-01T00:00:00".into()));
    }

    #[test]
    fn sql_is_half_open_and_or_combined() {
        let terms = parse_date_filter("2018, NULL", now()).unwrap();
        assert_eq!(
            to_sql(&terms, "t", &DuckDb).unwrap(),
            "((t >= TIMESTAMP '2018-01-01 00:00:00' AND t < TIMESTAMP '2019-01-01 00:00:00') OR t IS NULL)"
        );
    }

    #[test]
    fn nonsense_is_rejected() {
        for bad in ["2018-1", "soon", "2018-02-30", "'; DROP TABLE x; --", "last 0 days", "2018-05-18 25:00", "5 fortnights"] {
            assert!(parse_date_filter(bad, now()).is_err(), "{bad}");
        }
    }
}
