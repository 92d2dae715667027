//! Looker filter expressions (`"FOO%,-FOOD"`, `">=10"`, `"last 7 days"`, `"yes"`) → SQL conditions.
//!
//! Each grammar parses into a small value first and only then prints SQL, so user text reaches
//! the query only as a dialect-quoted string literal, a re-printed number, or a computed date.

mod date;
mod number;
mod string;
mod yesno;

use jiff::civil::DateTime;

use crate::dialect::{Calendar, Dialect};

pub use date::{parse_date_filter, parse_date_filter_in, DateTerm};
pub use number::{parse_number_filter, NumberFilter};
pub use string::{parse_string_filter, StringFilter};

/// Which grammar a field's filter uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterGrammar {
    String,
    /// `case_sensitive: no`: both sides compared in upper case.
    StringIgnoringCase,
    Number,
    YesNo,
    /// Applies to the raw timestamp of a date/time field.
    Date,
}

/// The SQL condition for `value` on `expr`, or `None` when the value is empty (no filter).
pub fn condition(grammar: FilterGrammar, expr: &str, value: &str, dialect: &dyn Dialect, now: DateTime) -> Result<Option<String>, String> {
    condition_in(grammar, expr, value, dialect, now, Calendar::default())
}

/// [`condition`] under a model's calendar (week start, fiscal year).
pub fn condition_in(
    grammar: FilterGrammar,
    expr: &str,
    value: &str,
    dialect: &dyn Dialect,
    now: DateTime,
    calendar: Calendar,
) -> Result<Option<String>, String> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    let sql = match grammar {
        FilterGrammar::String => parse_string_filter(value)?.to_sql(expr, dialect),
        FilterGrammar::StringIgnoringCase => parse_string_filter(value)?.uppercased().to_sql(&format!("UPPER({expr})"), dialect),
        FilterGrammar::Number => parse_number_filter(value)?.to_sql(expr),
        FilterGrammar::YesNo => yesno::to_sql(value, expr)?,
        FilterGrammar::Date => date::to_sql(&parse_date_filter_in(value, now, calendar)?, expr, dialect)?,
    };
    Ok(Some(sql))
}

/// `x = a` or `x IN (a, b)`; negated, `(x <> a OR x IS NULL)` or `(x NOT IN (a, b) OR x IS NULL)`
/// (Looker's negations keep NULL rows). `None` for no values.
pub(crate) fn membership(expr: &str, values: &[String], negated: bool) -> Option<String> {
    match (values, negated) {
        ([], _) => None,
        ([one], false) => Some(format!("{expr} = {one}")),
        (many, false) => Some(format!("{expr} IN ({})", many.join(", "))),
        ([one], true) => Some(format!("({expr} <> {one} OR {expr} IS NULL)")),
        (many, true) => Some(format!("({expr} NOT IN ({}) OR {expr} IS NULL)", many.join(", "))),
    }
}

/// Looker's combination rule: the positive items are alternatives (OR), and every negative item
/// must hold as well (AND).
pub(crate) fn combine(mut positive: Vec<String>, negative: Vec<String>) -> String {
    let mut parts = Vec::new();
    if !positive.is_empty() {
        parts.push(if positive.len() == 1 { positive.remove(0) } else { format!("({})", positive.join(" OR ")) });
    }
    parts.extend(negative);
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        format!("({})", parts.join(" AND "))
    }
}

/// Splits on commas that are not escaped with `^`, not inside double quotes and not inside
/// brackets (number intervals such as `[1,5]`).
pub(crate) fn split_items(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut chars = value.chars();
    let mut depth = 0i32;
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '^' => {
                current.push(c);
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            '[' | '(' if !quoted => {
                depth += 1;
                current.push(c);
            }
            ']' | ')' if !quoted => {
                depth -= 1;
                current.push(c);
            }
            ',' if !quoted && depth <= 0 => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    items.push(current);
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_respects_escapes_quotes_and_brackets() {
        assert_eq!(split_items("a,b^,c,\"d,e\""), vec!["a", "b^,c", "\"d,e\""]);
        assert_eq!(split_items("[1,5],7"), vec!["[1,5]", "7"]);
    }
}
