//! A Looker expression's syntax tree → SQL for one dialect, written as LookML writes SQL: field
//! references stay `${view.field}` (custom fields `${__custom.name}`, `matches_filter` calls
//! `${__matches.N}`), so the compiler expands them with everything LookML fields get (joins,
//! fan-out, Liquid, cycles). User text reaches SQL only as dialect-quoted literals, split so
//! that no literal contains `${`, `{{` or `{%`, and numbers as the tokenizer checked them.

use jiff::civil::DateTime;

use crate::dialect::Dialect;
use expression::Ast;
use semantic::Interval;

/// The scope custom fields are referred to in (`${__custom.name}`).
pub const CUSTOM_SCOPE: &str = "__custom";
/// The scope of `matches_filter` calls (`${__matches.N}`).
pub const MATCHES_SCOPE: &str = "__matches";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Number,
    String,
    YesNo,
    Date,
    /// `null`, or a field whose type is not one of the above.
    Any,
}

/// What the translator needs to know of a referenced field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldType {
    pub ty: Type,
    pub is_measure: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Translated {
    pub sql: String,
    pub ty: Type,
    /// Whether it refers to a measure (so it aggregates) — and to a dimension.
    pub refers_to_measure: bool,
    pub refers_to_dimension: bool,
    /// `matches_filter` calls: (field, filter expression), numbered from `first_match`.
    pub matches: Vec<(String, String)>,
}

struct Translator<'a> {
    dialect: &'a dyn Dialect,
    now: DateTime,
    field: &'a dyn Fn(&str) -> Result<FieldType, String>,
    first_match: usize,
    out: Translated,
}

/// Translates `ast`. `field` answers for each referenced name (`view.field` or a custom name);
/// `first_match` numbers this expression's `matches_filter` calls after earlier ones.
pub fn translate(
    ast: &Ast,
    dialect: &dyn Dialect,
    now: DateTime,
    field: &dyn Fn(&str) -> Result<FieldType, String>,
    first_match: usize,
) -> Result<Translated, String> {
    let mut t = Translator {
        dialect,
        now,
        field,
        first_match,
        out: Translated { sql: String::new(), ty: Type::Any, refers_to_measure: false, refers_to_dimension: false, matches: Vec::new() },
    };
    let (sql, ty) = t.expr(ast)?;
    t.out.sql = sql;
    t.out.ty = ty;
    Ok(t.out)
}

/// A string literal no expansion or template step can misread: split between the characters
/// of every `${`, `{{` and `{%`.
fn literal(dialect: &dyn Dialect, value: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous = '\0';
    for c in value.chars() {
        if (previous == '$' || previous == '{') && (c == '{' || c == '%') {
            parts.push(std::mem::take(&mut current));
        }
        current.push(c);
        previous = c;
    }
    parts.push(current);
    if parts.len() == 1 {
        return dialect.string_literal(&parts[0]);
    }
    dialect.concat(&parts.iter().map(|p| dialect.string_literal(p)).collect::<Vec<_>>())
}

fn expect(what: &str, ty: Type, wanted: Type) -> Result<(), String> {
    if ty == wanted || ty == Type::Any {
        Ok(())
    } else {
        Err(format!("{what} needs {}, not {}", name(wanted), name(ty)))
    }
}

fn name(ty: Type) -> &'static str {
    match ty {
        Type::Number => "a number",
        Type::String => "a string",
        Type::YesNo => "a yes/no value",
        Type::Date => "a date",
        Type::Any => "any value",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateFunction {
    /// `add_days(n, date)`: the date moved by n days.
    Add,
    /// `diff_days(start, end)`: whole days from start to end.
    Diff,
    /// `extract_days(date)`: the day of the month.
    Extract,
    /// `trunc_days(date)`: the start of the day.
    Trunc,
}

/// Looker's date functions by name: what each does and to which interval.
fn date_function(name: &str) -> Option<(DateFunction, Interval)> {
    let (kind, unit) = if let Some(unit) = name.strip_prefix("add_") {
        (DateFunction::Add, unit)
    } else if let Some(unit) = name.strip_prefix("diff_") {
        (DateFunction::Diff, unit)
    } else if let Some(unit) = name.strip_prefix("extract_") {
        (DateFunction::Extract, unit)
    } else {
        (DateFunction::Trunc, name.strip_prefix("trunc_")?)
    };
    let interval = match unit {
        "years" => Interval::Year,
        "months" => Interval::Month,
        "days" => Interval::Day,
        "hours" => Interval::Hour,
        "minutes" => Interval::Minute,
        // Looker truncates to seconds nowhere: its times have no finer part in results.
        "seconds" if kind != DateFunction::Trunc => Interval::Second,
        _ => return None,
    };
    Some((kind, interval))
}

impl Translator<'_> {
    fn expr(&mut self, ast: &Ast) -> Result<(String, Type), String> {
        Ok(match ast {
            Ast::Number(n) => (n.clone(), Type::Number),
            Ast::String(s) => (literal(self.dialect, s), Type::String),
            Ast::Bool(b) => ((if *b { "TRUE" } else { "FALSE" }).to_string(), Type::YesNo),
            Ast::Null => ("NULL".to_string(), Type::Any),
            Ast::Filter(f) => return Err(format!("a backtick filter expression (`{f}`) is only the second argument of matches_filter")),
            Ast::Field(name) if name.contains(':') => {
                return Err(format!("`${{{name}}}`: totals can be used in table calculations, not in custom fields or filters"))
            }
            Ast::Field(name) => {
                let f = (self.field)(name)?;
                if f.is_measure {
                    self.out.refers_to_measure = true;
                } else {
                    self.out.refers_to_dimension = true;
                }
                let reference = if name.contains('.') { format!("${{{name}}}") } else { format!("${{{CUSTOM_SCOPE}.{name}}}") };
                (format!("({reference})"), f.ty)
            }
            Ast::Unary(op, inner) => {
                let (sql, ty) = self.expr(inner)?;
                match *op {
                    "NOT" => {
                        expect("NOT", ty, Type::YesNo)?;
                        (format!("(NOT {sql})"), Type::YesNo)
                    }
                    _ => {
                        expect("`-`", ty, Type::Number)?;
                        (format!("(-{sql})"), Type::Number)
                    }
                }
            }
            Ast::Binary(op, left, right) => self.binary(op, left, right)?,
            Ast::Call(name, args) => self.call(name, args)?,
        })
    }

    fn binary(&mut self, op: &str, left: &Ast, right: &Ast) -> Result<(String, Type), String> {
        // `x = null` reads as Looker users mean it.
        if matches!(op, "=" | "!=") && (*right == Ast::Null || *left == Ast::Null) {
            let other = if *right == Ast::Null { left } else { right };
            let (sql, _) = self.expr(other)?;
            let test = if op == "=" { "IS NULL" } else { "IS NOT NULL" };
            return Ok((format!("({sql} {test})"), Type::YesNo));
        }
        let (l, lt) = self.expr(left)?;
        let (r, rt) = self.expr(right)?;
        Ok(match op {
            "AND" | "OR" => {
                expect(op, lt, Type::YesNo)?;
                expect(op, rt, Type::YesNo)?;
                (format!("({l} {op} {r})"), Type::YesNo)
            }
            "=" | "!=" | ">" | "<" | ">=" | "<=" => {
                if lt != rt && lt != Type::Any && rt != Type::Any {
                    return Err(format!("`{op}` compares {} with {}", name(lt), name(rt)));
                }
                let op = if op == "!=" { "<>" } else { op };
                (format!("({l} {op} {r})"), Type::YesNo)
            }
            "+" | "-" | "*" => {
                if lt == Type::String || rt == Type::String {
                    return Err(format!("`{op}` works on numbers; join strings with concat()"));
                }
                expect(&format!("`{op}`"), lt, Type::Number)?;
                expect(&format!("`{op}`"), rt, Type::Number)?;
                (format!("({l} {op} {r})"), Type::Number)
            }
            // Division by zero is null, as in Looker; never integer division.
            _ => {
                expect("`/`", lt, Type::Number)?;
                expect("`/`", rt, Type::Number)?;
                (format!("({l} * 1.0 / NULLIF({r}, 0))"), Type::Number)
            }
        })
    }

    fn args(&mut self, name: &str, args: &[Ast], counts: std::ops::RangeInclusive<usize>) -> Result<Vec<(String, Type)>, String> {
        if !counts.contains(&args.len()) {
            let wanted =
                if counts.start() == counts.end() { counts.start().to_string() } else { format!("{} to {}", counts.start(), counts.end()) };
            return Err(format!("{name}() takes {wanted} arguments, not {}", args.len()));
        }
        args.iter().map(|a| self.expr(a)).collect()
    }

    fn call(&mut self, name: &str, args: &[Ast]) -> Result<(String, Type), String> {
        let d = self.dialect;
        let number = |f: &str, a: &[(String, Type)]| -> Result<(String, Type), String> {
            for (_, t) in a {
                expect(&format!("{f}()"), *t, Type::Number)?;
            }
            Ok((format!("{}({})", f.to_uppercase(), a.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>().join(", ")), Type::Number))
        };
        Ok(match name {
            "if" => {
                let a = self.args(name, args, 3..=3)?;
                expect("the condition of if()", a[0].1, Type::YesNo)?;
                let ty = if a[1].1 == Type::Any { a[2].1 } else { a[1].1 };
                (format!("CASE WHEN {} THEN {} ELSE {} END", a[0].0, a[1].0, a[2].0), ty)
            }
            "case" => {
                if args.is_empty() {
                    return Err("case() needs at least one when()".into());
                }
                let mut sql = String::from("CASE");
                let mut ty = Type::Any;
                for (i, arg) in args.iter().enumerate() {
                    match arg {
                        Ast::Call(w, pair) if w == "when" => {
                            let a = self.args("when", pair, 2..=2)?;
                            expect("the condition of when()", a[0].1, Type::YesNo)?;
                            if ty == Type::Any {
                                ty = a[1].1;
                            }
                            sql.push_str(&format!(" WHEN {} THEN {}", a[0].0, a[1].0));
                        }
                        other if i == args.len() - 1 => {
                            let (s, t) = self.expr(other)?;
                            if ty == Type::Any {
                                ty = t;
                            }
                            sql.push_str(&format!(" ELSE {s}"));
                        }
                        _ => return Err("case() takes when(condition, value) arguments and an optional last default".into()),
                    }
                }
                sql.push_str(" END");
                (sql, ty)
            }
            "coalesce" => {
                if args.is_empty() {
                    return Err("coalesce() needs at least one argument".into());
                }
                let a: Vec<(String, Type)> = args.iter().map(|x| self.expr(x)).collect::<Result<_, _>>()?;
                let ty = a.iter().map(|(_, t)| *t).find(|t| *t != Type::Any).unwrap_or(Type::Any);
                (format!("COALESCE({})", a.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>().join(", ")), ty)
            }
            "is_null" => {
                let a = self.args(name, args, 1..=1)?;
                (format!("({} IS NULL)", a[0].0), Type::YesNo)
            }
            "abs" | "floor" | "ceiling" | "sqrt" | "exp" | "ln" => number(name, &self.args(name, args, 1..=1)?)?,
            "power" => number(name, &self.args(name, args, 2..=2)?)?,
            "round" => {
                let a = self.args(name, args, 1..=2)?;
                if a.len() == 1 {
                    return number("round", &a);
                }
                // Rounded by scaling: the one form every dialect reads for every numeric type.
                if !matches!(&args[1], Ast::Number(n) if n.parse::<i32>().is_ok()) {
                    return Err("round()'s digits must be a whole number written in the expression".into());
                }
                let scale = format!("POWER(10, {})", a[1].0);
                (format!("(ROUND({} * {scale}) / {scale})", a[0].0), Type::Number)
            }
            "concat" => {
                if args.is_empty() {
                    return Err("concat() needs at least one argument".into());
                }
                let a: Vec<String> = args.iter().map(|x| self.expr(x).map(|(s, _)| s)).collect::<Result<_, _>>()?;
                (d.concat(&a), Type::String)
            }
            "contains" => {
                let a = self.args(name, args, 2..=2)?;
                expect("contains()", a[0].1, Type::String)?;
                expect("contains()", a[1].1, Type::String)?;
                (format!("({} > 0)", d.position(&a[0].0, &a[1].0)), Type::YesNo)
            }
            "length" => {
                let a = self.args(name, args, 1..=1)?;
                expect("length()", a[0].1, Type::String)?;
                (d.char_length(&a[0].0), Type::Number)
            }
            "lower" | "upper" => {
                let a = self.args(name, args, 1..=1)?;
                expect(&format!("{name}()"), a[0].1, Type::String)?;
                (format!("{}({})", name.to_uppercase(), a[0].0), Type::String)
            }
            "now" => {
                self.args(name, args, 0..=0)?;
                (d.timestamp_literal(self.now), Type::Date)
            }
            "matches_filter" => {
                let (Some(Ast::Field(field)), Some(Ast::Filter(filter)), 2) = (args.first(), args.get(1), args.len()) else {
                    return Err(
                        "matches_filter() takes a field and a backtick filter expression: matches_filter(${view.field}, `7 days`)".into()
                    );
                };
                if !field.contains('.') {
                    return Err("matches_filter() needs a LookML field (`${view.field}`), not a custom field".into());
                }
                let f = (self.field)(field)?;
                if f.is_measure {
                    self.out.refers_to_measure = true;
                } else {
                    self.out.refers_to_dimension = true;
                }
                let n = self.first_match + self.out.matches.len();
                self.out.matches.push((field.clone(), filter.clone()));
                (format!("${{{MATCHES_SCOPE}.m{n}}}"), Type::YesNo)
            }
            _ if date_function(name).is_some() => {
                let (kind, interval) = date_function(name).unwrap_or((DateFunction::Extract, Interval::Day));
                match kind {
                    DateFunction::Add => {
                        let a = self.args(name, args, 2..=2)?;
                        expect(&format!("the count of {name}()"), a[0].1, Type::Number)?;
                        expect(&format!("the date of {name}()"), a[1].1, Type::Date)?;
                        (d.add_interval(interval, &a[0].0, &a[1].0), Type::Date)
                    }
                    DateFunction::Diff => {
                        let a = self.args(name, args, 2..=2)?;
                        expect(&format!("{name}()"), a[0].1, Type::Date)?;
                        expect(&format!("{name}()"), a[1].1, Type::Date)?;
                        (d.duration(interval, &a[0].0, &a[1].0), Type::Number)
                    }
                    DateFunction::Extract => {
                        let a = self.args(name, args, 1..=1)?;
                        expect(&format!("{name}()"), a[0].1, Type::Date)?;
                        (d.extract(interval, &a[0].0), Type::Number)
                    }
                    DateFunction::Trunc => {
                        let a = self.args(name, args, 1..=1)?;
                        expect(&format!("{name}()"), a[0].1, Type::Date)?;
                        (d.truncate(interval, &a[0].0), Type::Date)
                    }
                }
            }
            "when" => return Err("when() is only an argument of case()".into()),
            other => return Err(format!("function `{other}` is not supported yet in custom fields and filters")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::{DuckDb, MySql};
    use expression::parse;

    fn fields(name: &str) -> Result<FieldType, String> {
        match name {
            "o.amount" => Ok(FieldType { ty: Type::Number, is_measure: false }),
            "o.status" => Ok(FieldType { ty: Type::String, is_measure: false }),
            "o.count" => Ok(FieldType { ty: Type::Number, is_measure: true }),
            "big" => Ok(FieldType { ty: Type::YesNo, is_measure: false }),
            other => Err(format!("no field `{other}`")),
        }
    }

    fn sql(text: &str) -> Result<Translated, String> {
        let now = jiff::civil::date(2024, 1, 2).at(3, 4, 5, 0);
        translate(&parse(text).map_err(|e| e.message)?, &DuckDb, now, &fields, 0)
    }

    #[test]
    fn operators_and_functions_become_sql() {
        let t = sql("${o.amount} / 2 > 10 AND NOT ${big} OR ${o.status} = null").unwrap();
        assert_eq!(t.sql, "(((((${o.amount}) * 1.0 / NULLIF(2, 0)) > 10) AND (NOT (${__custom.big}))) OR ((${o.status}) IS NULL))");
        assert_eq!(t.ty, Type::YesNo);
        assert!(t.refers_to_dimension && !t.refers_to_measure);
        let t = sql("if(contains(${o.status}, \"pend\"), upper(${o.status}), \"other\")").unwrap();
        assert_eq!(t.sql, "CASE WHEN (POSITION('pend' IN (${o.status})) > 0) THEN UPPER((${o.status})) ELSE 'other' END");
        let t = sql("matches_filter(${o.status}, `complete,pending`) AND ${o.count} > 1").unwrap();
        assert_eq!(t.matches, vec![("o.status".to_string(), "complete,pending".to_string())]);
        assert!(t.refers_to_measure && t.refers_to_dimension);
    }

    fn date_fields(name: &str) -> Result<FieldType, String> {
        match name {
            "o.created" => Ok(FieldType { ty: Type::Date, is_measure: false }),
            other => fields(other),
        }
    }

    #[test]
    fn date_functions_become_each_dialects_sql() {
        let now = jiff::civil::date(2024, 1, 2).at(3, 4, 5, 0);
        let on = |dialect: &dyn Dialect, text: &str| translate(&parse(text).unwrap(), dialect, now, &date_fields, 0).map(|t| (t.sql, t.ty));
        let (sql, ty) = on(&DuckDb, "add_days(7, ${o.created})").unwrap();
        assert_eq!((sql.as_str(), ty), ("(CAST((${o.created}) AS TIMESTAMP) + TO_DAYS(CAST(7 AS INTEGER)))", Type::Date));
        let (sql, _) = on(&MySql, "add_months(${o.amount}, ${o.created})").unwrap();
        assert_eq!(sql, "DATE_ADD(CAST((${o.created}) AS DATETIME), INTERVAL CAST((${o.amount}) AS SIGNED) MONTH)");
        let (sql, ty) = on(&MySql, "trunc_months(${o.created})").unwrap();
        assert_eq!(
            (sql.as_str(), ty),
            ("CAST(DATE_FORMAT(CAST((${o.created}) AS DATETIME), '%Y-%m-01 00:00:00') AS DATETIME)", Type::Date)
        );
        let (sql, ty) = on(&DuckDb, "extract_years(now())").unwrap();
        assert_eq!((sql.as_str(), ty), ("FLOOR(EXTRACT(YEAR FROM TIMESTAMP '2024-01-02 03:04:05'))", Type::Number));
        let (sql, ty) = on(&DuckDb, "diff_days(${o.created}, now()) > 30").unwrap();
        assert!(sql.starts_with("(DATE_DIFF('day', CAST(CAST((${o.created}) AS TIMESTAMP) AS DATE)"), "{sql}");
        assert_eq!(ty, Type::YesNo);
        for wrong in [
            "add_days(${o.created}, 7)",
            "trunc_seconds(${o.created})",
            "extract_days(${o.amount})",
            "diff_days(${o.created})",
            "trunc_weeks(${o.created})",
        ] {
            assert!(on(&DuckDb, wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn literals_cannot_smuggle_references_or_templates() {
        let t = sql("concat(\"${o.secret}\", \"{{ _user_attributes['x'] }}\", \"{% if %}\", \"it's\")").unwrap();
        assert!(!t.sql.contains("${o") && !t.sql.contains("{{") && !t.sql.contains("{%"), "{}", t.sql);
        assert!(t.sql.contains("'it''s'"), "{}", t.sql);
        let now = jiff::civil::date(2024, 1, 2).at(3, 4, 5, 0);
        let my = translate(&parse("\"a\\\\' OR 1=1 -- \"").unwrap(), &MySql, now, &fields, 0).unwrap();
        assert_eq!(my.sql, "'a\\\\'' OR 1=1 -- '");
    }

    #[test]
    fn type_errors_and_unknown_names_are_refused() {
        for text in
            ["${o.status} + 1", "NOT ${o.amount}", "${o.amount} = \"x\"", "nope(1)", "${o.nope}", "if(1, 2, 3)", "round(1, ${o.amount})"]
        {
            assert!(sql(text).is_err(), "{text}");
        }
    }
}
