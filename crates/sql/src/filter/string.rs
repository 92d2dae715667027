//! String filter grammar: equality lists, `%`/`_` LIKE patterns, `EMPTY`, `NULL`, `-` negation,
//! `^` escapes and double-quoted items.

use crate::dialect::Dialect;

use super::{combine, membership, split_items};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    Equals(String),
    /// A LIKE pattern with literal `%`/`_` already escaped by `\`.
    Like(String),
    Empty,
    Null,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StringFilter {
    pub include: Vec<Match>,
    pub exclude: Vec<Match>,
}

pub fn parse_string_filter(value: &str) -> Result<StringFilter, String> {
    let mut filter = StringFilter::default();
    for raw in split_items(value) {
        let item = raw.trim();
        if item.is_empty() {
            continue;
        }
        let (negated, item) = match item.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, item),
        };
        let m = parse_item(item);
        if negated {
            filter.exclude.push(m)
        } else {
            filter.include.push(m)
        }
    }
    if filter.include.is_empty() && filter.exclude.is_empty() {
        return Err(format!("`{value}` has no value to filter on"));
    }
    Ok(filter)
}

fn parse_item(item: &str) -> Match {
    match item {
        "NULL" => return Match::Null,
        "EMPTY" => return Match::Empty,
        _ => {}
    }
    let inner = item.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(item);
    let mut literal = String::new();
    let mut pattern = String::new();
    let mut is_pattern = false;
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '^' => {
                let escaped = chars.next().unwrap_or('^');
                literal.push(escaped);
                if matches!(escaped, '%' | '_' | '\\') {
                    pattern.push('\\');
                }
                pattern.push(escaped);
            }
            '%' | '_' => {
                is_pattern = true;
                literal.push(c);
                pattern.push(c);
            }
            '\\' => {
                literal.push(c);
                pattern.push_str("\\\\");
            }
            _ => {
                literal.push(c);
                pattern.push(c);
            }
        }
    }
    if is_pattern {
        Match::Like(pattern)
    } else {
        Match::Equals(literal)
    }
}

impl StringFilter {
    /// The same filter with every value in upper case, for matching without case.
    pub fn uppercased(mut self) -> StringFilter {
        for m in self.include.iter_mut().chain(self.exclude.iter_mut()) {
            match m {
                Match::Equals(s) | Match::Like(s) => *s = s.to_uppercase(),
                Match::Empty | Match::Null => {}
            }
        }
        self
    }

    pub fn to_sql(&self, expr: &str, dialect: &dyn Dialect) -> String {
        let literals = |ms: &[Match]| -> Vec<String> {
            ms.iter()
                .filter_map(|m| match m {
                    Match::Equals(s) => Some(dialect.string_literal(s)),
                    _ => None,
                })
                .collect()
        };
        let mut positive: Vec<String> = membership(expr, &literals(&self.include), false).into_iter().collect();
        for m in &self.include {
            match m {
                Match::Like(p) => positive.push(dialect.like(expr, p)),
                Match::Empty => positive.push(format!("({expr} IS NULL OR LENGTH({expr}) = 0)")),
                Match::Null => positive.push(format!("{expr} IS NULL")),
                Match::Equals(_) => {}
            }
        }
        let mut negative: Vec<String> = membership(expr, &literals(&self.exclude), true).into_iter().collect();
        for m in &self.exclude {
            match m {
                Match::Like(p) => negative.push(format!("(NOT ({}) OR {expr} IS NULL)", dialect.like(expr, p))),
                Match::Empty => negative.push(format!("({expr} IS NOT NULL AND LENGTH({expr}) <> 0)")),
                Match::Null => negative.push(format!("{expr} IS NOT NULL")),
                Match::Equals(_) => {}
            }
        }
        combine(positive, negative)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::DuckDb;

    fn sql(value: &str) -> String {
        parse_string_filter(value).unwrap().to_sql("x", &DuckDb)
    }

    #[test]
    fn equality_and_lists() {
        assert_eq!(sql("FOO"), "x = 'FOO'");
        assert_eq!(sql("FOO, BAR"), "x IN ('FOO', 'BAR')");
    }

    #[test]
    fn patterns_nulls_and_empties() {
        assert_eq!(sql("%FOO%"), r"x LIKE '%FOO%' ESCAPE '\'");
        assert_eq!(sql("NULL"), "x IS NULL");
        assert_eq!(sql("EMPTY"), "(x IS NULL OR LENGTH(x) = 0)");
        assert_eq!(sql("-NULL"), "x IS NOT NULL");
    }

    #[test]
    fn negation_includes_nulls_and_ands_with_positives() {
        assert_eq!(sql("-FOO"), "(x <> 'FOO' OR x IS NULL)");
        assert_eq!(sql("-FOO,-BAR"), "(x NOT IN ('FOO', 'BAR') OR x IS NULL)");
        assert_eq!(sql("FOO%,-FOOD"), r"(x LIKE 'FOO%' ESCAPE '\' AND (x <> 'FOOD' OR x IS NULL))");
    }

    #[test]
    fn escapes_and_quotes_protect_specials() {
        assert_eq!(sql("Santa Cruz^, CA"), "x = 'Santa Cruz, CA'");
        assert_eq!(sql("\"CAT,DOG\""), "x = 'CAT,DOG'");
        assert_eq!(sql("100^%"), "x = '100%'");
        assert_eq!(sql("^-5"), "x = '-5'");
        assert_eq!(sql("50^%%"), r"x LIKE '50\%%' ESCAPE '\'");
    }

    #[test]
    fn case_insensitive_matching_uppercases_both_sides() {
        let f = parse_string_filter("foo%,-bar").unwrap().uppercased();
        assert_eq!(f.to_sql("UPPER(x)", &DuckDb), r"(UPPER(x) LIKE 'FOO%' ESCAPE '\' AND (UPPER(x) <> 'BAR' OR UPPER(x) IS NULL))");
    }

    #[test]
    fn quotes_in_values_cannot_break_out_of_the_literal() {
        assert_eq!(sql("O'Brien'; DROP TABLE users; --"), "x = 'O''Brien''; DROP TABLE users; --'");
    }
}
