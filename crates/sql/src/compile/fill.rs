//! Which values a dimension in `fill_fields` can be filled with: the steps of a date range, or
//! the fixed set of labels a dimension has (yes/no, tiers, `case`, weekday and month names …).
//! The filling itself happens on the returned rows (`result::fill`).

use result::fill::{Fill, Step};
use result::Value;
use semantic::{DimensionType, FieldKind, Timeframe};

use super::labels::tier_labels;
use super::Target;

const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTHS: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

fn texts<'s>(values: impl IntoIterator<Item = &'s str>) -> Fill {
    Fill::Values(values.into_iter().map(|v| Value::Text(v.to_string())).collect())
}

fn numbers(values: std::ops::RangeInclusive<i64>) -> Fill {
    Fill::Values(values.map(Value::Int).collect())
}

/// How `t` is filled; why not, when it cannot be.
pub(super) fn fill_for(t: Target, week_start_day: u8) -> Result<Fill, String> {
    let name = format!("{}.{}", t.alias, t.field.name);
    if !t.field.allow_fill {
        return Err(format!("`{name}` has `allow_fill: no`"));
    }
    let start = usize::from(week_start_day % 7);
    Ok(match &t.field.kind {
        FieldKind::Dimension(DimensionType::Time(tf)) => match tf {
            Timeframe::Date => Fill::Range(Step::Day),
            Timeframe::Week => Fill::Range(Step::Week),
            Timeframe::Month => Fill::Range(Step::Month),
            Timeframe::Quarter => Fill::Range(Step::Quarter),
            Timeframe::Year => Fill::Range(Step::Year),
            Timeframe::YesNo => texts(["No", "Yes"]),
            Timeframe::DayOfWeek => texts((0..7).map(|i| WEEKDAYS[(start + i) % 7])),
            Timeframe::DayOfWeekIndex => numbers(0..=6),
            Timeframe::DayOfMonth => numbers(1..=31),
            Timeframe::MonthName => texts(MONTHS),
            Timeframe::MonthNum => numbers(1..=12),
            Timeframe::QuarterOfYear => texts(["Q1", "Q2", "Q3", "Q4"]),
            Timeframe::HourOfDay => numbers(0..=23),
            other => return Err(format!("`{name}`: filling in {} values is not supported yet", other.name())),
        },
        FieldKind::Dimension(DimensionType::YesNo) => texts(["No", "Yes"]),
        FieldKind::Dimension(DimensionType::Tier { tiers, style }) => {
            let labels = tier_labels(tiers, *style);
            texts(labels.iter().map(String::as_str))
        }
        FieldKind::Dimension(DimensionType::Case { whens, otherwise, alpha_sort }) => {
            let mut labels: Vec<&str> = whens.iter().map(|(_, l)| l.as_str()).chain(otherwise.as_deref()).collect();
            if *alpha_sort {
                labels.sort_unstable();
            }
            texts(labels)
        }
        _ => {
            return Err(format!(
                "`{name}` cannot be filled in: only dates, weeks, months, quarters, years and dimensions with a fixed set of values can"
            ))
        }
    })
}
