//! Number filter grammar: values, comparisons, `a to b`, intervals `[a,b)`, `>a AND <b`,
//! `NULL`, `NOT`, lists joined by `,` or `OR`.

use super::{combine, membership, split_items};

/// A number as written, after checking that it is one (so it can be printed into SQL as is).
#[derive(Debug, Clone, PartialEq)]
pub struct Num(String);

fn number(text: &str) -> Option<Num> {
    let t = text.trim();
    if t.is_empty() || t.parse::<f64>().ok().filter(|f| f.is_finite()).is_none() {
        return None;
    }
    // Reject forms f64 accepts but SQL would not (`inf`, `1e`, hex is refused by the parse already).
    if !t.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')) {
        return None;
    }
    Some(Num(t.trim_start_matches('+').to_string()))
}

#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    Equals(Num),
    Compare(&'static str, Num),
    /// Lower and upper bound with inclusiveness; `None` is unbounded.
    Range {
        low: Option<(Num, bool)>,
        high: Option<(Num, bool)>,
    },
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NumberFilter {
    pub include: Vec<Term>,
    pub exclude: Vec<Term>,
}

pub fn parse_number_filter(value: &str) -> Result<NumberFilter, String> {
    let mut items: Vec<(bool, Term)> = Vec::new();
    for part in split_items(value) {
        for raw in split_or(&part) {
            let item = raw.trim();
            if item.is_empty() {
                continue;
            }
            items.push(
                parse_term(item).ok_or_else(|| {
                    format!("`{item}` is not a number filter (examples: `5`, `>=10`, `1 to 5`, `[1,5)`, `NOT 3`, `NULL`)")
                })?,
            );
        }
    }
    if items.is_empty() {
        return Err(format!("`{value}` has no value to filter on"));
    }
    // Looker: when only the first item is negated, the negation applies to the whole list.
    let negate_all = items.len() > 1 && items[0].0 && items[1..].iter().all(|(n, _)| !n);
    let mut filter = NumberFilter { include: Vec::new(), exclude: Vec::new() };
    for (negated, term) in items {
        if negated || negate_all {
            filter.exclude.push(term)
        } else {
            filter.include.push(term)
        }
    }
    Ok(filter)
}

fn split_or(part: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = part;
    loop {
        let upper = rest.to_ascii_uppercase();
        match upper.find(" OR ") {
            // `<3 OR >80` is one "outside" term, not two alternatives; keep comparisons together.
            Some(i) if !is_comparison(&rest[..i]) || !is_comparison(&rest[i + 4..]) => {
                out.push(&rest[..i]);
                rest = &rest[i + 4..];
            }
            _ => {
                out.push(rest);
                return out;
            }
        }
    }
}

fn is_comparison(s: &str) -> bool {
    let s = s.trim_start();
    s.starts_with('<') || s.starts_with('>')
}

/// `(negated, term)`.
fn parse_term(item: &str) -> Option<(bool, Term)> {
    let upper = item.to_ascii_uppercase();
    if let Some(rest) = upper.strip_prefix("NOT ") {
        let (_, term) = parse_term(&item[item.len() - rest.len()..])?;
        return Some((true, term));
    }
    for op in ["!=", "<>"] {
        if let Some(rest) = item.strip_prefix(op) {
            return Some((true, Term::Equals(number(rest)?)));
        }
    }
    if upper == "NULL" {
        return Some((false, Term::Null));
    }
    if let Some(term) = interval(item) {
        return Some((false, term));
    }
    if let Some(i) = upper.find(" AND ") {
        let (a, b) = (comparison(&item[..i])?, comparison(&item[i + 5..])?);
        return Some((false, between(a, b)?));
    }
    if let Some(i) = upper.find(" OR ") {
        // `<3 OR >80.44`: outside a range.
        let (a, b) = (comparison(&item[..i])?, comparison(&item[i + 4..])?);
        let inside = between(flip(a), flip(b))?;
        return Some((true, inside));
    }
    if let Some(i) = upper.find("TO") {
        let (a, b) = (item[..i].trim(), item[i + 2..].trim());
        let low = if a.is_empty() { None } else { Some((number(a)?, true)) };
        let high = if b.is_empty() { None } else { Some((number(b)?, true)) };
        if low.is_none() && high.is_none() {
            return None;
        }
        return Some((false, Term::Range { low, high }));
    }
    if let Some((op, n)) = comparison(item) {
        return Some((false, Term::Compare(op, n)));
    }
    Some((false, Term::Equals(number(item)?)))
}

fn comparison(s: &str) -> Option<(&'static str, Num)> {
    let s = s.trim();
    for op in [">=", "<=", ">", "<"] {
        if let Some(rest) = s.strip_prefix(op) {
            return Some((op, number(rest)?));
        }
    }
    None
}

fn flip((op, n): (&'static str, Num)) -> (&'static str, Num) {
    let flipped = match op {
        ">" => "<=",
        ">=" => "<",
        "<" => ">=",
        _ => ">",
    };
    (flipped, n)
}

fn between(a: (&'static str, Num), b: (&'static str, Num)) -> Option<Term> {
    let (mut low, mut high) = (None, None);
    for (op, n) in [a, b] {
        match op {
            ">" => low = Some((n, false)),
            ">=" => low = Some((n, true)),
            "<" => high = Some((n, false)),
            _ => high = Some((n, true)),
        }
    }
    (low.is_some() && high.is_some()).then_some(Term::Range { low, high })
}

fn interval(item: &str) -> Option<Term> {
    let open = item.chars().next()?;
    let close = item.chars().last()?;
    if !matches!(open, '[' | '(') || !matches!(close, ']' | ')') || item.len() < 3 {
        return None;
    }
    let (a, b) = item[1..item.len() - 1].split_once(',')?;
    let bound = |s: &str, inclusive: bool| -> Option<Option<(Num, bool)>> {
        let s = s.trim();
        if s.is_empty() || s.eq_ignore_ascii_case("inf") || s.eq_ignore_ascii_case("-inf") {
            Some(None)
        } else {
            Some(Some((number(s)?, inclusive)))
        }
    };
    Some(Term::Range { low: bound(a, open == '[')?, high: bound(b, close == ']')? })
}

impl Term {
    fn to_sql(&self, x: &str) -> String {
        match self {
            Term::Equals(n) => format!("{x} = {}", n.0),
            Term::Compare(op, n) => format!("{x} {op} {}", n.0),
            Term::Null => format!("{x} IS NULL"),
            Term::Range { low, high } => {
                let mut parts = Vec::new();
                if let Some((n, inc)) = low {
                    parts.push(format!("{x} {} {}", if *inc { ">=" } else { ">" }, n.0));
                }
                if let Some((n, inc)) = high {
                    parts.push(format!("{x} {} {}", if *inc { "<=" } else { "<" }, n.0));
                }
                if parts.is_empty() {
                    "1=1".into()
                } else {
                    format!("({})", parts.join(" AND "))
                }
            }
        }
    }
}

impl NumberFilter {
    pub fn to_sql(&self, x: &str) -> String {
        let numbers = |ts: &[Term]| -> Vec<String> {
            ts.iter()
                .filter_map(|t| match t {
                    Term::Equals(n) => Some(n.0.clone()),
                    _ => None,
                })
                .collect()
        };
        let mut positive: Vec<String> = membership(x, &numbers(&self.include), false).into_iter().collect();
        positive.extend(self.include.iter().filter(|t| !matches!(t, Term::Equals(_))).map(|t| t.to_sql(x)));
        let mut negative: Vec<String> = membership(x, &numbers(&self.exclude), true).into_iter().collect();
        for t in self.exclude.iter().filter(|t| !matches!(t, Term::Equals(_))) {
            negative.push(match t {
                Term::Null => format!("{x} IS NOT NULL"),
                other => format!("NOT ({})", other.to_sql(x)),
            });
        }
        combine(positive, negative)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(value: &str) -> String {
        parse_number_filter(value).unwrap().to_sql("x")
    }

    #[test]
    fn values_lists_and_comparisons() {
        assert_eq!(sql("5"), "x = 5");
        assert_eq!(sql("1, 3, 5"), "x IN (1, 3, 5)");
        assert_eq!(sql(">=10"), "x >= 10");
        assert_eq!(sql("-2.5"), "x = -2.5");
    }

    #[test]
    fn negation_rules() {
        assert_eq!(sql("NOT 5"), "(x <> 5 OR x IS NULL)");
        assert_eq!(sql("!=5"), "(x <> 5 OR x IS NULL)");
        assert_eq!(sql("NOT 66, 99, 4"), "(x NOT IN (66, 99, 4) OR x IS NULL)");
        assert_eq!(sql("NOT NULL"), "x IS NOT NULL");
    }

    #[test]
    fn ranges_and_intervals() {
        assert_eq!(sql("5.5 to 10"), "(x >= 5.5 AND x <= 10)");
        assert_eq!(sql("1 to"), "(x >= 1)");
        assert_eq!(sql("to 10"), "(x <= 10)");
        assert_eq!(sql("[12,20)"), "(x >= 12 AND x < 20)");
        assert_eq!(sql("(500, inf)"), "(x > 500)");
        assert_eq!(sql(">1 AND <100"), "(x > 1 AND x < 100)");
        assert_eq!(sql("<3 OR >80.44"), "NOT ((x >= 3 AND x <= 80.44))");
        assert_eq!(sql("[0,9],[20,29]"), "((x >= 0 AND x <= 9) OR (x >= 20 AND x <= 29))");
        assert_eq!(sql(">10 AND <=20 OR 90"), "(x = 90 OR (x > 10 AND x <= 20))");
    }

    #[test]
    fn non_numbers_are_rejected_not_passed_through() {
        for bad in ["abc", "1; DROP TABLE x", ">", "1e", "inf", "0x10", "1 to 2 to 3", "to"] {
            assert!(parse_number_filter(bad).is_err(), "{bad}");
        }
    }
}
