//! Table calculations (`dynamic_fields` entries of category `table_calculation`), evaluated on
//! the server over the rows a query returned, as Looker evaluates them after the SQL: Looker
//! expressions with field references meaning "this row's value", column functions (`sum`,
//! `mean`, `running_total`, `rank` …) over the whole returned column, positional functions
//! (`row`, `offset`, `offset_list`, `index`, `lookup`), logic, text, math and date functions.
//! A calculation may use those before it. On a pivoted query a calculation is evaluated in each
//! pivot column (field references read that column; `pivot_column`, `pivot_index`,
//! `pivot_offset`, `pivot_offset_list`, `pivot_row` and `pivot_where` reach across), and becomes
//! one more pivoted measure — or, when it reduces the row's pivot columns and reads no measure of
//! its own (`sum(pivot_row(${x}))`), one unpivoted value per row, shown after the pivot columns.
//! [`check`] runs before the query does, so a bad calculation never reaches the database.

use std::cell::RefCell;
use std::collections::HashMap;

use expression::{parse, Ast};
use jiff::civil::{Date, DateTime, Time};
use jiff::Span;
use result::{ColumnInfo, PivotTable, QueryResult, ResultSet, Value, ValueType};
use thiserror::Error;

/// One table calculation of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct TableCalc {
    pub name: String,
    pub label: String,
    pub expression: String,
    /// The Excel-style format its values are rendered with (the compiler fills it from
    /// `value_format_name` when only that is given).
    pub value_format: Option<String>,
    pub value_format_name: Option<String>,
    /// `_kind_hint: measure`: it sits with the measures (and is totalled).
    pub measure: bool,
}

/// Why a table calculation cannot be evaluated, naming it (and where in its expression, when
/// the text is at fault).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("table calculation `{name}`: {message}")]
pub struct TableCalcError {
    pub name: String,
    pub message: String,
}

/// Functions Looker documents for table calculations that are evaluated here, with their
/// argument counts (min, max).
const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("if", 3, 3),
    ("case", 1, usize::MAX),
    ("when", 2, 2),
    ("coalesce", 1, usize::MAX),
    ("is_null", 1, 1),
    ("abs", 1, 1),
    ("ceiling", 1, 1),
    ("floor", 1, 1),
    ("exp", 1, 1),
    ("ln", 1, 1),
    ("log", 1, 1),
    ("sqrt", 1, 1),
    ("round", 1, 2),
    ("power", 2, 2),
    ("mod", 2, 2),
    ("concat", 1, usize::MAX),
    ("contains", 2, 2),
    ("length", 1, 1),
    ("lower", 1, 1),
    ("upper", 1, 1),
    ("substring", 3, 3),
    ("replace", 3, 3),
    ("position", 2, 2),
    ("to_string", 1, 1),
    ("to_number", 1, 1),
    ("row", 0, 0),
    ("offset", 2, 2),
    ("offset_list", 3, 3),
    ("index", 2, 2),
    ("list", 1, usize::MAX),
    ("lookup", 3, 3),
    ("sum", 1, 1),
    ("mean", 1, 1),
    ("median", 1, 1),
    ("max", 1, 1),
    ("min", 1, 1),
    ("count", 1, 1),
    ("count_distinct", 1, 1),
    ("product", 1, 1),
    ("percentile", 2, 2),
    ("stddev_samp", 1, 1),
    ("stddev_pop", 1, 1),
    ("var_samp", 1, 1),
    ("var_pop", 1, 1),
    ("running_total", 1, 1),
    ("running_product", 1, 1),
    ("rank", 2, 2),
    ("now", 0, 0),
    ("date", 3, 3),
    ("date_time", 6, 6),
    ("to_date", 1, 1),
    ("add_years", 2, 2),
    ("add_months", 2, 2),
    ("add_days", 2, 2),
    ("add_hours", 2, 2),
    ("add_minutes", 2, 2),
    ("add_seconds", 2, 2),
    ("diff_years", 2, 2),
    ("diff_months", 2, 2),
    ("diff_days", 2, 2),
    ("diff_hours", 2, 2),
    ("diff_minutes", 2, 2),
    ("diff_seconds", 2, 2),
    ("extract_years", 1, 1),
    ("extract_months", 1, 1),
    ("extract_days", 1, 1),
    ("extract_hours", 1, 1),
    ("extract_minutes", 1, 1),
    ("extract_seconds", 1, 1),
    ("trunc_years", 1, 1),
    ("trunc_months", 1, 1),
    ("trunc_days", 1, 1),
    ("trunc_hours", 1, 1),
    ("trunc_minutes", 1, 1),
    ("pivot_column", 0, 0),
    ("pivot_index", 2, 2),
    ("pivot_offset", 2, 2),
    ("pivot_offset_list", 3, 3),
    ("pivot_row", 1, 1),
    ("pivot_where", 2, 2),
];

/// Column functions: over the whole column of their argument (or over a list).
const COLUMN_FUNCTIONS: &[&str] = &[
    "sum",
    "mean",
    "median",
    "max",
    "min",
    "count",
    "count_distinct",
    "product",
    "percentile",
    "stddev_samp",
    "stddev_pop",
    "var_samp",
    "var_pop",
];

/// Checks `calcs` against the query's `fields` before it runs: each parses, calls functions
/// evaluated here with the right number of arguments, and refers only to the query's fields
/// and the calculations before it.
pub fn check(calcs: &[TableCalc], fields: &[String]) -> Result<(), TableCalcError> {
    let mut known: Vec<&str> = fields.iter().map(String::as_str).collect();
    for calc in calcs {
        let error = |message: String| TableCalcError { name: calc.name.clone(), message };
        let ast = parse(&calc.expression).map_err(|e| error(format!("{} (at byte {} of `{}`)", e.message, e.at, calc.expression)))?;
        check_ast(&ast, &known).map_err(error)?;
        known.push(&calc.name);
    }
    Ok(())
}

fn check_ast(ast: &Ast, known: &[&str]) -> Result<(), String> {
    match ast {
        Ast::Field(name) if !known.contains(&name.split(':').next().unwrap_or(name)) => {
            Err(format!("`${{{name}}}` is not a field of the query nor a table calculation before this one"))
        }
        Ast::Filter(_) => Err("`matches_filter` is for custom filters, not table calculations".into()),
        Ast::Call(name, args) => {
            let lower = name.to_ascii_lowercase();
            let Some((_, min, max)) = FUNCTIONS.iter().find(|(f, _, _)| *f == lower) else {
                return Err(format!("function `{name}` is not supported in table calculations yet"));
            };
            if args.len() < *min || args.len() > *max {
                return Err(format!(
                    "`{name}` takes {}",
                    if min == max { format!("{min} arguments") } else { format!("at least {min} arguments") }
                ));
            }
            args.iter().try_for_each(|a| check_ast(a, known))
        }
        Ast::Unary(_, inner) => check_ast(inner, known),
        Ast::Binary(_, a, b) => check_ast(a, known).and_then(|()| check_ast(b, known)),
        _ => Ok(()),
    }
}

/// A value while evaluating.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Null,
    Num(f64),
    Str(String),
    Bool(bool),
    Time(DateTime),
    List(Vec<V>),
}

impl V {
    fn truthy(&self) -> bool {
        matches!(self, V::Bool(true))
    }

    fn num(&self) -> Result<Option<f64>, String> {
        match self {
            V::Null => Ok(None),
            V::Num(n) => Ok(Some(*n)),
            other => Err(format!("expected a number, got {}", other.describe())),
        }
    }

    fn text(&self) -> Result<Option<String>, String> {
        match self {
            V::Null => Ok(None),
            V::Str(s) => Ok(Some(s.clone())),
            other => Err(format!("expected text, got {}", other.describe())),
        }
    }

    fn time(&self) -> Result<Option<DateTime>, String> {
        match self {
            V::Null => Ok(None),
            V::Time(t) => Ok(Some(*t)),
            V::Str(s) => parse_time(s).map(Some).ok_or_else(|| format!("`{s}` is not a date")),
            other => Err(format!("expected a date, got {}", other.describe())),
        }
    }

    fn describe(&self) -> String {
        match self {
            V::Null => "null".into(),
            V::Num(n) => format!("the number {n}"),
            V::Str(s) => format!("the text \"{s}\""),
            V::Bool(b) => (if *b { "yes" } else { "no" }).into(),
            V::Time(t) => format!("the date {t}"),
            V::List(_) => "a list".into(),
        }
    }

    fn display(&self) -> String {
        match self {
            V::Null => String::new(),
            V::Num(n) => result::format_float(*n),
            V::Str(s) => s.clone(),
            V::Bool(b) => (if *b { "Yes" } else { "No" }).into(),
            V::Time(t) => t.strftime("%Y-%m-%d %H:%M:%S").to_string(),
            V::List(items) => items.iter().map(V::display).collect::<Vec<_>>().join(", "),
        }
    }
}

/// `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DD hh(:mm(:ss))`, `YYYY-Qn`: dates as timeframes
/// print them and `to_date` reads them.
fn parse_time(text: &str) -> Option<DateTime> {
    let text = text.trim();
    let (date, time) = text.split_once([' ', 'T']).unwrap_or((text, ""));
    let mut parts = date.split('-');
    let year: i16 = parts.next()?.parse().ok()?;
    let (month, day) = match (parts.next(), parts.next()) {
        (None, _) => (1, 1),
        (Some(q), None) if q.starts_with('Q') => (q[1..].parse::<i8>().ok().filter(|q| (1..=4).contains(q))? * 3 - 2, 1),
        (Some(m), None) => (m.parse().ok()?, 1),
        (Some(m), Some(d)) => (m.parse().ok()?, d.parse().ok()?),
    };
    let mut clock = time.split(':').filter(|s| !s.is_empty()).map(|s| s.split('.').next().unwrap_or(s).parse::<i8>());
    let hour = clock.next().transpose().ok()?.unwrap_or(0);
    let minute = clock.next().transpose().ok()?.unwrap_or(0);
    let second = clock.next().transpose().ok()?.unwrap_or(0);
    Some(Date::new(year, month, day).ok()?.to_datetime(Time::new(hour, minute, second, 0).ok()?))
}

fn from_value(value: &Value, column: &ColumnInfo) -> V {
    match value {
        Value::Null => V::Null,
        Value::Bool(b) => V::Bool(*b),
        Value::Int(i) => V::Num(*i as f64),
        Value::Float(f) => V::Num(*f),
        Value::Decimal(_) => value.as_f64().map(V::Num).unwrap_or(V::Null),
        // Timeframes that print as text (`2024-03`, `2024-Q1`) are dates to table calculations.
        Value::Text(s) if column.type_name.starts_with("date_") => parse_time(s).map(V::Time).unwrap_or_else(|| V::Str(s.clone())),
        Value::Text(s) if column.type_name == "yesno" => V::Bool(s == "Yes"),
        Value::Text(s) => V::Str(s.clone()),
        Value::Date(d) => V::Time(d.to_datetime(jiff::civil::Time::midnight())),
        Value::DateTime(t) => V::Time(*t),
    }
}

fn to_value(v: V) -> Result<Value, String> {
    Ok(match v {
        V::Null => Value::Null,
        V::Num(n) if !n.is_finite() => Value::Null,
        V::Num(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Value::Int(n as i64),
        V::Num(n) => Value::Float(n),
        V::Str(s) => Value::Text(s),
        V::Bool(b) => Value::Bool(b),
        V::Time(t) => Value::DateTime(t),
        V::List(_) => return Err("a table calculation's value cannot be a list (aggregate it: sum(…), mean(…))".into()),
    })
}

/// The rows a calculation reads: the query's columns and the calculations before it.
struct Frame<'a> {
    table: &'a ResultSet,
    /// Only the totals row: column and positional functions have no column to read.
    totals: bool,
    now: DateTime,
    /// Column aggregates and running columns, computed once per expression node.
    cache: RefCell<HashMap<usize, Vec<V>>>,
    /// In a pivoted result: every pivot column's rows, and which of them this frame reads.
    pivot: Option<(&'a [ResultSet], usize)>,
    /// `${field:total}`: the totals of `table`'s columns, when the query has totals.
    column_totals: Option<&'a [Value]>,
    /// In a pivoted result: every pivot column's totals (for the frames `pivot_offset` reaches).
    pivot_totals: Option<&'a [Option<Vec<Value>>]>,
    /// `${field:row_total}`: a pivoted row's totals, laid out as `table`, with row totals.
    row_totals: Option<&'a ResultSet>,
}

impl Frame<'_> {
    fn rows(&self) -> usize {
        self.table.row_count()
    }

    fn field(&self, name: &str, row: usize) -> Result<V, String> {
        let c = self.table.columns.iter().position(|c| c.name == name).ok_or_else(|| format!("no field `{name}`"))?;
        Ok(from_value(self.table.value(c, row), &self.table.columns[c]))
    }

    /// `ast` at every row, once per node.
    fn column(&self, ast: &Ast, compute: impl Fn(&Self, Vec<V>) -> Result<Vec<V>, String>) -> Result<Vec<V>, String> {
        let key = ast as *const Ast as usize;
        if let Some(done) = self.cache.borrow().get(&key) {
            return Ok(done.clone());
        }
        let values = (0..self.rows()).map(|r| self.eval(ast, r)).collect::<Result<Vec<_>, _>>()?;
        let computed = compute(self, values)?;
        self.cache.borrow_mut().insert(key, computed.clone());
        Ok(computed)
    }

    fn eval(&self, ast: &Ast, row: usize) -> Result<V, String> {
        match ast {
            Ast::Number(n) => n.parse().map(V::Num).map_err(|_| format!("`{n}` is not a number")),
            Ast::String(s) => Ok(V::Str(s.clone())),
            Ast::Bool(b) => Ok(V::Bool(*b)),
            Ast::Null => Ok(V::Null),
            Ast::Filter(_) => Err("`matches_filter` is for custom filters".into()),
            Ast::Field(name) => match name.split_once(':') {
                None => self.field(name, row),
                Some((base, "total")) => {
                    let totals = self.column_totals.ok_or_else(|| format!("`${{{name}}}` needs the query's totals (`total: true`)"))?;
                    let c = self.table.columns.iter().position(|c| c.name == base).ok_or_else(|| format!("no field `{base}`"))?;
                    Ok(totals.get(c).map(|v| from_value(v, &self.table.columns[c])).unwrap_or(V::Null))
                }
                Some((base, _)) => {
                    let totals =
                        self.row_totals.ok_or_else(|| format!("`${{{name}}}` needs a pivoted query with row totals (`row_total`)"))?;
                    let c = totals.columns.iter().position(|c| c.name == base).ok_or_else(|| format!("no field `{base}`"))?;
                    Ok(from_value(totals.value(c, row), &totals.columns[c]))
                }
            },
            Ast::Unary(op, inner) => {
                let v = self.eval(inner, row)?;
                match *op {
                    "-" => Ok(v.num()?.map(|n| V::Num(-n)).unwrap_or(V::Null)),
                    _ => Ok(match v {
                        V::Null => V::Null,
                        other => V::Bool(!other.truthy()),
                    }),
                }
            }
            Ast::Binary(op, a, b) => self.binary(op, self.eval(a, row)?, self.eval(b, row)?),
            Ast::Call(name, args) => self.call(&name.to_ascii_lowercase(), args, row),
        }
    }

    /// `ast` evaluated in pivot column `t` of the same row (NULL outside the pivot columns).
    fn in_pivot_column(&self, tables: &[ResultSet], t: i64, ast: &Ast, row: usize) -> Result<V, String> {
        let Some(t) = usize::try_from(t).ok().filter(|t| *t < tables.len()) else { return Ok(V::Null) };
        let column_totals = self.pivot_totals.and_then(|totals| totals[t].as_deref());
        let other = Frame { table: &tables[t], pivot: Some((tables, t)), cache: RefCell::default(), column_totals, ..*self };
        other.eval(ast, row)
    }

    fn binary(&self, op: &str, a: V, b: V) -> Result<V, String> {
        match op {
            "AND" => return Ok(V::Bool(a.truthy() && b.truthy())),
            "OR" => return Ok(V::Bool(a.truthy() || b.truthy())),
            _ => {}
        }
        if a == V::Null || b == V::Null {
            return Ok(V::Null);
        }
        if let ("+" | "-" | "*" | "/", Some(x), Some(y)) = (op, a.num().ok().flatten(), b.num().ok().flatten()) {
            return Ok(match op {
                "+" => V::Num(x + y),
                "-" => V::Num(x - y),
                "*" => V::Num(x * y),
                _ if y == 0.0 => V::Null,
                _ => V::Num(x / y),
            });
        }
        let ordering = match (&a, &b) {
            (V::Num(x), V::Num(y)) => x.partial_cmp(y),
            (V::Str(x), V::Str(y)) => Some(x.cmp(y)),
            (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
            (V::Time(x), V::Time(y)) => Some(x.cmp(y)),
            (V::Time(_), V::Str(s)) | (V::Str(s), V::Time(_)) => {
                let parsed = V::Time(parse_time(s).ok_or_else(|| format!("`{s}` is not a date"))?);
                return if matches!(a, V::Time(_)) { self.binary(op, a, parsed) } else { self.binary(op, parsed, b) };
            }
            _ => return Err(format!("`{op}` cannot combine {} and {}", a.describe(), b.describe())),
        };
        let Some(ordering) = ordering else { return Ok(V::Null) };
        use std::cmp::Ordering::*;
        Ok(V::Bool(match op {
            "=" => ordering == Equal,
            "!=" => ordering != Equal,
            ">" => ordering == Greater,
            "<" => ordering == Less,
            ">=" => ordering != Less,
            "<=" => ordering != Greater,
            other => return Err(format!("`{other}` is not an operator on {}", a.describe())),
        }))
    }

    fn call(&self, name: &str, args: &[Ast], row: usize) -> Result<V, String> {
        let arg = |i: usize| self.eval(&args[i], row);
        let number = |i: usize| arg(i)?.num();
        let text = |i: usize| arg(i)?.text();
        let time = |i: usize| arg(i)?.time();
        let math = |f: fn(f64) -> f64| Ok(number(0)?.map(|x| V::Num(f(x))).unwrap_or(V::Null));
        let positional = self.totals
            && matches!(name, "row" | "offset" | "offset_list" | "index" | "lookup" | "running_total" | "running_product" | "rank");
        if positional || (self.totals && COLUMN_FUNCTIONS.contains(&name) && !matches!(arg(0)?, V::List(_))) {
            return Ok(V::Null);
        }
        match name {
            "if" => match arg(0)?.truthy() {
                true => arg(1),
                false => arg(2),
            },
            "case" => {
                for a in args {
                    match a {
                        Ast::Call(when, pair) if when.eq_ignore_ascii_case("when") && pair.len() == 2 => {
                            if self.eval(&pair[0], row)?.truthy() {
                                return self.eval(&pair[1], row);
                            }
                        }
                        otherwise => return self.eval(otherwise, row),
                    }
                }
                Ok(V::Null)
            }
            "when" => Err("`when` belongs inside `case(…)`".into()),
            "coalesce" => {
                for a in args {
                    let v = self.eval(a, row)?;
                    if v != V::Null {
                        return Ok(v);
                    }
                }
                Ok(V::Null)
            }
            "is_null" => Ok(V::Bool(arg(0)? == V::Null)),
            "abs" => math(f64::abs),
            "ceiling" => math(f64::ceil),
            "floor" => math(f64::floor),
            "exp" => math(f64::exp),
            "ln" => math(f64::ln),
            "log" => math(f64::log10),
            "sqrt" => math(f64::sqrt),
            "round" => {
                let digits = if args.len() > 1 { number(1)?.unwrap_or(0.0) } else { 0.0 };
                let scale = 10f64.powi(digits as i32);
                Ok(number(0)?.map(|x| V::Num((x * scale).round() / scale)).unwrap_or(V::Null))
            }
            "power" => Ok(match (number(0)?, number(1)?) {
                (Some(b), Some(e)) => V::Num(b.powf(e)),
                _ => V::Null,
            }),
            "mod" => Ok(match (number(0)?, number(1)?) {
                (Some(_), Some(0.0)) => V::Null,
                (Some(x), Some(d)) => V::Num(x - d * (x / d).floor()),
                _ => V::Null,
            }),
            "concat" => {
                let mut out = String::new();
                for a in args {
                    match self.eval(a, row)? {
                        V::Null => return Ok(V::Null),
                        v => out.push_str(&v.display()),
                    }
                }
                Ok(V::Str(out))
            }
            "contains" => Ok(match (text(0)?, text(1)?) {
                (Some(s), Some(sub)) => V::Bool(s.contains(&sub)),
                _ => V::Null,
            }),
            "length" => Ok(text(0)?.map(|s| V::Num(s.chars().count() as f64)).unwrap_or(V::Null)),
            "lower" => Ok(text(0)?.map(|s| V::Str(s.to_lowercase())).unwrap_or(V::Null)),
            "upper" => Ok(text(0)?.map(|s| V::Str(s.to_uppercase())).unwrap_or(V::Null)),
            "substring" => Ok(match (text(0)?, number(1)?, number(2)?) {
                (Some(s), Some(start), Some(len)) => {
                    V::Str(s.chars().skip((start.max(1.0) - 1.0) as usize).take(len.max(0.0) as usize).collect())
                }
                _ => V::Null,
            }),
            "replace" => Ok(match (text(0)?, text(1)?, text(2)?) {
                (Some(s), Some(old), Some(new)) if !old.is_empty() => V::Str(s.replace(&old, &new)),
                (Some(s), Some(_), Some(_)) => V::Str(s),
                _ => V::Null,
            }),
            "position" => Ok(match (text(0)?, text(1)?) {
                (Some(s), Some(sub)) => V::Num(s.find(&sub).map(|at| s[..at].chars().count() + 1).unwrap_or(0) as f64),
                _ => V::Null,
            }),
            "to_string" => Ok(V::Str(arg(0)?.display())),
            "to_number" => Ok(match arg(0)? {
                V::Num(n) => V::Num(n),
                V::Str(s) => s.trim().parse().map(V::Num).unwrap_or(V::Null),
                _ => V::Null,
            }),
            "row" => Ok(V::Num(row as f64 + 1.0)),
            "offset" => {
                let k = number(1)?.unwrap_or(0.0) as i64;
                match usize::try_from(row as i64 + k).ok().filter(|r| *r < self.rows()) {
                    Some(at) => self.eval(&args[0], at),
                    None => Ok(V::Null),
                }
            }
            "offset_list" => {
                let (k, n) = (number(1)?.unwrap_or(0.0) as i64, number(2)?.unwrap_or(0.0).max(0.0) as i64);
                let start = row as i64 + k;
                (start..start + n)
                    .map(|r| match usize::try_from(r).ok().filter(|r| *r < self.rows()) {
                        Some(at) => self.eval(&args[0], at),
                        None => Ok(V::Null),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(V::List)
            }
            "index" => match arg(0)? {
                V::List(items) => Ok(number(1)?.and_then(|n| items.get((n as usize).wrapping_sub(1)).cloned()).unwrap_or(V::Null)),
                _ => match number(1)?.map(|n| n as i64 - 1).and_then(|r| usize::try_from(r).ok()).filter(|r| *r < self.rows()) {
                    Some(at) => self.eval(&args[0], at),
                    None => Ok(V::Null),
                },
            },
            "list" => args.iter().map(|a| self.eval(a, row)).collect::<Result<Vec<_>, _>>().map(V::List),
            "lookup" => {
                let wanted = arg(0)?;
                for r in 0..self.rows() {
                    if self.eval(&args[1], r)? == wanted {
                        return self.eval(&args[2], r);
                    }
                }
                Ok(V::Null)
            }
            "running_total" | "running_product" => {
                let product = name == "running_product";
                let column = self.column(&args[0], |_, values| {
                    let mut acc = if product { 1.0 } else { 0.0 };
                    values
                        .into_iter()
                        .map(|v| {
                            if let Some(x) = v.num()? {
                                acc = if product { acc * x } else { acc + x };
                            }
                            Ok(V::Num(acc))
                        })
                        .collect()
                })?;
                Ok(column[row].clone())
            }
            "rank" => {
                let Some(value) = number(0)? else { return Ok(V::Null) };
                let column = self.column(&args[1], |_, values| Ok(values))?;
                let mut greater = 0;
                for v in &column {
                    if v.num()?.is_some_and(|x| x > value) {
                        greater += 1;
                    }
                }
                Ok(V::Num(greater as f64 + 1.0))
            }
            f if COLUMN_FUNCTIONS.contains(&f) => {
                let values = match arg(0)? {
                    V::List(items) => items,
                    _ => self.column(&args[0], |_, values| Ok(values))?,
                };
                let p = if f == "percentile" { number(1)? } else { None };
                aggregate(f, values, p)
            }
            "now" => Ok(V::Time(self.now)),
            "pivot_column" => Ok(self.pivot.map(|(_, at)| V::Num(at as f64 + 1.0)).unwrap_or(V::Null)),
            "pivot_row" | "pivot_offset_list" => {
                let Some((tables, at)) = self.pivot else { return Ok(V::List(vec![arg(0)?])) };
                let range = match name {
                    "pivot_row" => 0..tables.len() as i64,
                    _ => {
                        let (k, n) = (number(1)?.unwrap_or(0.0) as i64, number(2)?.unwrap_or(0.0).max(0.0) as i64);
                        at as i64 + k..at as i64 + k + n
                    }
                };
                range.map(|t| self.in_pivot_column(tables, t, &args[0], row)).collect::<Result<Vec<_>, _>>().map(V::List)
            }
            "pivot_where" => {
                let Some((tables, _)) = self.pivot else { return Ok(V::Null) };
                let mut chosen = None;
                for t in 0..tables.len() {
                    if self.in_pivot_column(tables, t as i64, &args[0], row)?.truthy() {
                        if chosen.is_some() {
                            return Ok(V::Null);
                        }
                        chosen = Some(t);
                    }
                }
                match chosen {
                    Some(t) => self.in_pivot_column(tables, t as i64, &args[1], row),
                    None => Ok(V::Null),
                }
            }
            "pivot_index" | "pivot_offset" => {
                let Some((tables, at)) = self.pivot else { return Ok(V::Null) };
                let Some(n) = number(1)? else { return Ok(V::Null) };
                let target = if name == "pivot_index" { n as i64 - 1 } else { at as i64 + n as i64 };
                match usize::try_from(target).ok().filter(|t| *t < tables.len()) {
                    Some(t) => {
                        let column_totals = self.pivot_totals.and_then(|totals| totals[t].as_deref());
                        let other =
                            Frame { table: &tables[t], pivot: Some((tables, t)), cache: RefCell::default(), column_totals, ..*self };
                        other.eval(&args[0], row)
                    }
                    None => Ok(V::Null),
                }
            }
            "date" | "date_time" => {
                let mut parts = Vec::new();
                for i in 0..args.len() {
                    match number(i)? {
                        Some(n) => parts.push(n as i64),
                        None => return Ok(V::Null),
                    }
                }
                let at = |i: usize| i8::try_from(parts.get(i).copied().unwrap_or(0)).ok();
                let year = i16::try_from(parts[0]).ok();
                let made = (|| {
                    let date = Date::new(year?, at(1)?, at(2)?).ok()?;
                    Some(date.to_datetime(Time::new(at(3)?, at(4)?, at(5)?, 0).ok()?))
                })();
                Ok(made.map(V::Time).unwrap_or(V::Null))
            }
            "to_date" => Ok(text(0)?.and_then(|s| parse_time(&s)).map(V::Time).unwrap_or(V::Null)),
            "add_years" | "add_months" | "add_days" | "add_hours" | "add_minutes" | "add_seconds" => {
                let (Some(n), Some(t)) = (number(0)?, time(1)?) else { return Ok(V::Null) };
                let n = n as i64;
                let span = match name {
                    "add_years" => Span::new().try_years(n),
                    "add_months" => Span::new().try_months(n),
                    "add_days" => Span::new().try_days(n),
                    "add_hours" => Span::new().try_hours(n),
                    "add_minutes" => Span::new().try_minutes(n),
                    _ => Span::new().try_seconds(n),
                };
                Ok(span.and_then(|span| t.checked_add(span)).map(V::Time).unwrap_or(V::Null))
            }
            "diff_years" | "diff_months" | "diff_days" | "diff_hours" | "diff_minutes" | "diff_seconds" => {
                let (Some(start), Some(end)) = (time(0)?, time(1)?) else { return Ok(V::Null) };
                let seconds = end.duration_since(start).as_secs_f64();
                // Whole months between, toward zero: a month counts once its day and time are reached.
                let months = |a: DateTime, b: DateTime| {
                    let whole = (b.year() as i64 - a.year() as i64) * 12 + (b.month() as i64 - a.month() as i64);
                    let (from, to) = ((a.day(), a.time()), (b.day(), b.time()));
                    whole - i64::from(whole > 0 && to < from) + i64::from(whole < 0 && to > from)
                };
                Ok(V::Num(match name {
                    "diff_years" => (months(start, end) / 12) as f64,
                    "diff_months" => months(start, end) as f64,
                    "diff_days" => end.date().since(start.date()).map(|s| s.get_days() as f64).unwrap_or((seconds / 86_400.0).trunc()),
                    "diff_hours" => (seconds / 3_600.0).trunc(),
                    "diff_minutes" => (seconds / 60.0).trunc(),
                    _ => seconds.trunc(),
                }))
            }
            "extract_years" | "extract_months" | "extract_days" | "extract_hours" | "extract_minutes" | "extract_seconds" => {
                let Some(t) = time(0)? else { return Ok(V::Null) };
                Ok(V::Num(match name {
                    "extract_years" => t.year() as f64,
                    "extract_months" => t.month() as f64,
                    "extract_days" => t.day() as f64,
                    "extract_hours" => t.hour() as f64,
                    "extract_minutes" => t.minute() as f64,
                    _ => t.second() as f64,
                }))
            }
            "trunc_years" | "trunc_months" | "trunc_days" | "trunc_hours" | "trunc_minutes" => {
                let Some(t) = time(0)? else { return Ok(V::Null) };
                let truncated = match name {
                    "trunc_years" => Date::new(t.year(), 1, 1).map(|d| d.at(0, 0, 0, 0)),
                    "trunc_months" => Date::new(t.year(), t.month(), 1).map(|d| d.at(0, 0, 0, 0)),
                    "trunc_days" => Ok(t.date().at(0, 0, 0, 0)),
                    "trunc_hours" => Ok(t.date().at(t.hour(), 0, 0, 0)),
                    _ => Ok(t.date().at(t.hour(), t.minute(), 0, 0)),
                };
                Ok(truncated.map(V::Time).unwrap_or(V::Null))
            }
            other => Err(format!("function `{other}` is not supported in table calculations yet")),
        }
    }
}

/// A column function over `values` (NULLs skipped; NULL when nothing is left).
fn aggregate(name: &str, values: Vec<V>, p: Option<f64>) -> Result<V, String> {
    if name == "count" {
        return Ok(V::Num(values.iter().filter(|v| **v != V::Null).count() as f64));
    }
    if name == "count_distinct" {
        let mut seen: Vec<String> = values.iter().filter(|v| **v != V::Null).map(|v| format!("{v:?}")).collect();
        seen.sort();
        seen.dedup();
        return Ok(V::Num(seen.len() as f64));
    }
    let mut xs = Vec::with_capacity(values.len());
    for v in &values {
        if let Some(x) = v.num()? {
            xs.push(x);
        }
    }
    if xs.is_empty() {
        return Ok(V::Null);
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let variance = |sample: bool| {
        let denominator = if sample { n - 1.0 } else { n };
        (denominator > 0.0).then(|| xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / denominator)
    };
    let quantile = |q: f64, xs: &mut Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        let at = q * (xs.len() - 1) as f64;
        let (low, high) = (at.floor() as usize, at.ceil() as usize);
        xs[low] + (xs[high] - xs[low]) * (at - low as f64)
    };
    Ok(match name {
        "sum" => V::Num(xs.iter().sum()),
        "mean" => V::Num(mean),
        "max" => V::Num(xs.iter().copied().fold(f64::MIN, f64::max)),
        "min" => V::Num(xs.iter().copied().fold(f64::MAX, f64::min)),
        "product" => V::Num(xs.iter().product()),
        "median" => V::Num(quantile(0.5, &mut xs)),
        "percentile" => match p.filter(|p| (0.0..=1.0).contains(p)) {
            Some(p) => V::Num(quantile(p, &mut xs)),
            None => V::Null,
        },
        "stddev_samp" => variance(true).map(|v| V::Num(v.sqrt())).unwrap_or(V::Null),
        "stddev_pop" => variance(false).map(|v| V::Num(v.sqrt())).unwrap_or(V::Null),
        "var_samp" => variance(true).map(V::Num).unwrap_or(V::Null),
        "var_pop" => variance(false).map(V::Num).unwrap_or(V::Null),
        other => return Err(format!("`{other}` is not a column function")),
    })
}

fn value_type(values: &[Value]) -> (ValueType, &'static str) {
    match values.iter().find(|v| **v != Value::Null) {
        Some(Value::Int(_) | Value::Float(_) | Value::Decimal(_) | Value::Null) | None => (ValueType::Number, "number"),
        Some(Value::Bool(_)) => (ValueType::String, "yesno"),
        Some(Value::Date(_) | Value::DateTime(_)) => (ValueType::DateTime, "date_time"),
        Some(Value::Text(_)) => (ValueType::String, "string"),
    }
}

/// Evaluates `calcs` over `result`'s rows (and its totals row), appending one column each.
/// `now` is the current time for `now()`. Pivoted results are refused ([`check`] refuses
/// pivot functions; the compiler refuses table calculations on pivoted queries).
pub fn apply(result: &mut QueryResult, calcs: &[TableCalc], now: DateTime) -> Result<(), TableCalcError> {
    if calcs.is_empty() {
        return Ok(());
    }
    if let Some(pivot) = &mut result.pivot {
        return apply_pivoted(pivot, calcs, now);
    }
    for calc in calcs {
        let error = |message: String| TableCalcError { name: calc.name.clone(), message };
        let ast = parse(&calc.expression).map_err(|e| error(e.message))?;
        let frame = Frame {
            table: &result.table,
            totals: false,
            now,
            cache: RefCell::new(HashMap::new()),
            pivot: None,
            column_totals: result.totals.as_deref(),
            pivot_totals: None,
            row_totals: None,
        };
        let values = (0..frame.rows())
            .map(|r| frame.eval(&ast, r).and_then(to_value).map_err(|m| format!("row {}: {m}", r + 1)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(error)?;
        let total = match &result.totals {
            Some(totals) => {
                let mut row = ResultSet::new(result.table.columns.clone());
                row.push_row(totals.clone());
                let frame = Frame {
                    table: &row,
                    totals: true,
                    now,
                    cache: RefCell::new(HashMap::new()),
                    pivot: None,
                    column_totals: Some(totals),
                    pivot_totals: None,
                    row_totals: None,
                };
                Some(frame.eval(&ast, 0).and_then(to_value).map_err(|m| error(format!("the totals row: {m}")))?)
            }
            None => None,
        };
        let (value_type, type_name) = value_type(&values);
        let mut column = ColumnInfo::plain(&calc.name, value_type).labelled(&calc.label);
        column.field_label = calc.label.clone();
        column.is_measure = calc.measure;
        column.type_name = type_name.into();
        column.value_format = calc.value_format.clone();
        result.table.columns.push(column);
        result.table.data.push(values);
        if let (Some(totals), Some(total)) = (&mut result.totals, total) {
            totals.push(total);
        }
    }
    Ok(())
}

/// One sort of the returned rows, when the query sorts by a table calculation: by a column of
/// the result (a calculation or a field), descending or not; in a pivoted result, by a pivoted
/// column's value in one pivot column (`pivot_column`, from 0, as Looker's
/// `"calc desc 0"`) or else by each row's best-placed cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowSort {
    pub name: String,
    pub descending: bool,
    pub pivot_column: Option<u32>,
}

/// Values in sort order: NULL first ascending, numbers by value, the rest by their text.
fn compare_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => a.to_text().cmp(&b.to_text()),
        },
    }
}

/// The row order `keys` (one key per sort, per row) give under `sorts`, stable for ties.
fn sorted_order(keys: &[Vec<Value>], sorts: &[&RowSort]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&x, &y| {
        for (k, sort) in sorts.iter().enumerate() {
            let ordering = compare_values(&keys[x][k], &keys[y][k]);
            if ordering != std::cmp::Ordering::Equal {
                return if sort.descending { ordering.reverse() } else { ordering };
            }
        }
        std::cmp::Ordering::Equal
    });
    order
}

/// Sorts a result's rows by `sorts`, as Looker sorts by a table calculation: only when every
/// row is there (`limit` was not reached), since the database chose the rows by its own order
/// otherwise.
pub fn sort_rows(result: &mut QueryResult, sorts: &[RowSort], limit: Option<u64>) -> Result<(), TableCalcError> {
    let Some(first) = sorts.first() else { return Ok(()) };
    let rows = match &result.pivot {
        Some(pivot) => pivot.rows.len(),
        None => result.table.row_count(),
    };
    let refuse = |name: &str, message: String| TableCalcError { name: name.to_string(), message };
    if limit.is_some_and(|l| rows as u64 >= l) {
        return Err(refuse(
            &first.name,
            format!("the query reached its row limit ({rows} rows): sorting by a table calculation needs every row (raise the limit)"),
        ));
    }
    if let Some(pivot) = &mut result.pivot {
        return sort_pivot_rows(pivot, sorts);
    }
    let table = &mut result.table;
    let mut columns = Vec::new();
    for sort in sorts {
        let c = table
            .columns
            .iter()
            .position(|c| c.name == sort.name)
            .ok_or_else(|| refuse(&sort.name, "is not a column of the query to sort by".into()))?;
        columns.push(c);
    }
    let keys: Vec<Vec<Value>> = (0..rows).map(|r| columns.iter().map(|&c| table.value(c, r).clone()).collect()).collect();
    let order = sorted_order(&keys, &sorts.iter().collect::<Vec<_>>());
    for column in &mut table.data {
        let old = std::mem::take(column);
        *column = order.iter().map(|r| old[*r].clone()).collect();
    }
    Ok(())
}

/// Where a pivoted row's sort key comes from.
enum PivotKey {
    Dimension(usize),
    /// A measure or pivoted calculation: its cell in one pivot column, or the best-placed one.
    Cells(usize, Option<usize>),
    RowCalc(usize),
}

fn sort_pivot_rows(pivot: &mut PivotTable, sorts: &[RowSort]) -> Result<(), TableCalcError> {
    let mut sources = Vec::new();
    let mut used = Vec::new();
    for sort in sorts {
        let position = |columns: &[ColumnInfo]| columns.iter().position(|c| c.name == sort.name);
        let source = if let Some(d) = position(&pivot.dimensions) {
            PivotKey::Dimension(d)
        } else if let Some(m) = position(&pivot.measures) {
            PivotKey::Cells(m, sort.pivot_column.map(|c| c as usize))
        } else if let Some(c) = position(&pivot.row_calcs) {
            PivotKey::RowCalc(c)
        } else if position(&pivot.pivots).is_some() {
            // A pivot's sort orders the pivot columns, as the database already did.
            continue;
        } else {
            return Err(TableCalcError { name: sort.name.clone(), message: "is not a column of the query to sort by".into() });
        };
        sources.push(source);
        used.push(sort);
    }
    let keys: Vec<Vec<Value>> = pivot
        .rows
        .iter()
        .map(|row| {
            sources
                .iter()
                .zip(&used)
                .map(|(source, sort)| match source {
                    PivotKey::Dimension(d) => row.dimensions[*d].clone(),
                    PivotKey::RowCalc(c) => row.row_calcs.get(*c).cloned().unwrap_or(Value::Null),
                    PivotKey::Cells(m, Some(column)) => row.cells[*m].get(*column).cloned().unwrap_or(Value::Null),
                    // The cell that would come first in this direction; empty cells last.
                    PivotKey::Cells(m, None) => row.cells[*m]
                        .iter()
                        .filter(|v| !matches!(v, Value::Null))
                        .min_by(|a, b| match sort.descending {
                            true => compare_values(b, a),
                            false => compare_values(a, b),
                        })
                        .cloned()
                        .unwrap_or(Value::Null),
                })
                .collect()
        })
        .collect();
    let order = sorted_order(&keys, &used);
    let mut old: Vec<Option<result::PivotRow>> = std::mem::take(&mut pivot.rows).into_iter().map(Some).collect();
    pivot.rows = order.iter().filter_map(|r| old[*r].take()).collect();
    Ok(())
}

/// Whether `ast` reduces a row's pivot columns to one value (`pivot_row`, `pivot_where`).
fn reduces_rows(ast: &Ast) -> bool {
    match ast {
        Ast::Call(name, args) => matches!(name.to_ascii_lowercase().as_str(), "pivot_row" | "pivot_where") || args.iter().any(reduces_rows),
        Ast::Unary(_, inner) => reduces_rows(inner),
        Ast::Binary(_, a, b) => reduces_rows(a) || reduces_rows(b),
        _ => false,
    }
}

/// Whether `ast` reads a measure (or an earlier calculation) of its own pivot column: outside
/// the pivot functions that reach other columns.
fn reads_a_pivot_column(ast: &Ast, measures: &[&str], inside_pivot_function: bool) -> bool {
    match ast {
        Ast::Field(name) => !inside_pivot_function && measures.contains(&name.split(':').next().unwrap_or(name)),
        Ast::Call(name, args) => {
            let reaching = matches!(
                name.to_ascii_lowercase().as_str(),
                "pivot_row" | "pivot_where" | "pivot_offset_list" | "pivot_index" | "pivot_offset"
            );
            args.iter().any(|a| reads_a_pivot_column(a, measures, inside_pivot_function || reaching))
        }
        Ast::Unary(_, inner) => reads_a_pivot_column(inner, measures, inside_pivot_function),
        Ast::Binary(_, a, b) => {
            reads_a_pivot_column(a, measures, inside_pivot_function) || reads_a_pivot_column(b, measures, inside_pivot_function)
        }
        _ => false,
    }
}

/// Each calculation evaluated in every pivot column of every row, appended as a pivoted measure
/// (its row total and column totals empty).
fn apply_pivoted(pivot: &mut PivotTable, calcs: &[TableCalc], now: DateTime) -> Result<(), TableCalcError> {
    for calc in calcs {
        let error = |message: String| TableCalcError { name: calc.name.clone(), message };
        let ast = parse(&calc.expression).map_err(|e| error(e.message))?;
        let measures: Vec<&str> = pivot.measures.iter().map(|m| m.name.as_str()).collect();
        let per_row = reduces_rows(&ast) && !reads_a_pivot_column(&ast, &measures, false);
        // One table per pivot column: the dimensions, the measures' cells there, the pivot values.
        let mut columns: Vec<ColumnInfo> = pivot.dimensions.iter().chain(&pivot.measures).cloned().collect();
        columns.extend(pivot.pivots.iter().cloned());
        let tables: Vec<ResultSet> = (0..pivot.columns.len())
            .map(|c| {
                let mut table = ResultSet::new(columns.clone());
                for row in &pivot.rows {
                    let mut values = row.dimensions.clone();
                    values.extend(row.cells.iter().map(|measure| measure[c].clone()));
                    values.extend(pivot.columns[c].values.iter().cloned());
                    table.push_row(values);
                }
                table
            })
            .collect();
        // Each pivot column's totals, and the rows' totals, laid out as the tables are.
        let column_totals: Vec<Option<Vec<Value>>> = (0..tables.len())
            .map(|c| {
                let totals = pivot.totals.as_ref()?;
                let mut row = vec![Value::Null; pivot.dimensions.len()];
                row.extend(totals.iter().map(|measure| measure[c].clone()));
                row.extend(pivot.columns[c].values.iter().cloned());
                Some(row)
            })
            .collect();
        let row_totals = pivot.has_row_totals.then(|| {
            let mut table = ResultSet::new(columns.clone());
            for row in &pivot.rows {
                let mut values = row.dimensions.clone();
                match &row.row_total {
                    Some(totals) => values.extend(totals.iter().cloned()),
                    None => values.extend(std::iter::repeat_n(Value::Null, pivot.measures.len())),
                }
                values.extend(std::iter::repeat_n(Value::Null, pivot.pivots.len()));
                table.push_row(values);
            }
            table
        });
        if per_row {
            // One value per row: evaluated once, in the first pivot column's frame.
            let mut values = Vec::with_capacity(pivot.rows.len());
            for r in 0..pivot.rows.len() {
                let value = match tables.first() {
                    Some(table) => {
                        let frame = Frame {
                            table,
                            totals: false,
                            now,
                            cache: RefCell::new(HashMap::new()),
                            pivot: Some((&tables, 0)),
                            column_totals: column_totals[0].as_deref(),
                            pivot_totals: Some(&column_totals),
                            row_totals: row_totals.as_ref(),
                        };
                        frame.eval(&ast, r).and_then(to_value).map_err(|m| error(format!("row {}: {m}", r + 1)))?
                    }
                    None => Value::Null,
                };
                values.push(value);
            }
            let (value_type, type_name) = value_type(&values);
            let mut column = ColumnInfo::plain(&calc.name, value_type).labelled(&calc.label);
            column.field_label = calc.label.clone();
            column.is_measure = true;
            column.type_name = type_name.into();
            column.value_format = calc.value_format.clone();
            pivot.row_calcs.push(column);
            for (row, value) in pivot.rows.iter_mut().zip(values) {
                row.row_calcs.push(value);
            }
            continue;
        }
        let mut values: Vec<Vec<Value>> = Vec::with_capacity(pivot.rows.len());
        for r in 0..pivot.rows.len() {
            let mut row = Vec::with_capacity(tables.len());
            for (c, table) in tables.iter().enumerate() {
                let frame = Frame {
                    table,
                    totals: false,
                    now,
                    cache: RefCell::new(HashMap::new()),
                    pivot: Some((&tables, c)),
                    column_totals: column_totals[c].as_deref(),
                    pivot_totals: Some(&column_totals),
                    row_totals: row_totals.as_ref(),
                };
                let value =
                    frame.eval(&ast, r).and_then(to_value).map_err(|m| error(format!("row {}, pivot column {}: {m}", r + 1, c + 1)))?;
                row.push(value);
            }
            values.push(row);
        }
        let flat: Vec<Value> = values.iter().flatten().cloned().collect();
        let (value_type, type_name) = value_type(&flat);
        let mut column = ColumnInfo::plain(&calc.name, value_type).labelled(&calc.label);
        column.field_label = calc.label.clone();
        column.is_measure = true;
        column.type_name = type_name.into();
        column.value_format = calc.value_format.clone();
        pivot.measures.push(column);
        for (row, cells) in pivot.rows.iter_mut().zip(values) {
            row.cells.push(cells);
            if let Some(totals) = &mut row.row_total {
                totals.push(Value::Null);
            }
        }
        if let Some(totals) = &mut pivot.totals {
            totals.push(vec![Value::Null; pivot.columns.len()]);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> QueryResult {
        let mut month = ColumnInfo::plain("orders.created_month", ValueType::String);
        month.type_name = "date_month".into();
        let mut r = ResultSet::new(vec![month, ColumnInfo::plain("orders.count", ValueType::Number).measure()]);
        for (m, n) in [("2024-03", 10), ("2024-02", 30), ("2024-01", 20)] {
            r.push_row(vec![Value::Text(m.into()), Value::Int(n)]);
        }
        QueryResult { table: r, pivot: None, totals: Some(vec![Value::Null, Value::Int(60)]), ..Default::default() }
    }

    fn calc(name: &str, expression: &str) -> TableCalc {
        TableCalc {
            name: name.into(),
            label: name.into(),
            expression: expression.into(),
            value_format: None,
            value_format_name: None,
            measure: true,
        }
    }

    fn column(result: &QueryResult, name: &str) -> Vec<Value> {
        let at = result.table.columns.iter().position(|c| c.name == name).unwrap();
        result.table.data[at].clone()
    }

    fn run(calcs: &[TableCalc]) -> QueryResult {
        let mut result = table();
        let now = jiff::civil::date(2024, 7, 15).at(12, 0, 0, 0);
        apply(&mut result, calcs, now).unwrap();
        result
    }

    #[test]
    fn hand_computed_values() {
        let r = run(&[
            calc("share", "${orders.count} / sum(${orders.count})"),
            calc("previous", "${orders.count} / offset(${orders.count}, 1) - 1"),
            calc("running", "running_total(${orders.count})"),
            calc("rank", "rank(${orders.count}, ${orders.count})"),
            calc("moving", "mean(offset_list(${orders.count}, -1, 2))"),
            calc("label", "concat(upper(\"m\"), \" \", to_string(row()))"),
            calc("big", "if(${orders.count} > 15 AND NOT is_null(${orders.count}), yes, no)"),
            calc("days", "diff_days(${orders.created_month}, date(2024, 3, 31))"),
            calc("twice", "${share} * 2"),
            calc("of_total", "${orders.count} / ${orders.count:total}"),
        ]);
        let f = Value::Float;
        assert_eq!(column(&r, "share"), vec![f(10.0 / 60.0), Value::Float(0.5), f(20.0 / 60.0)]);
        assert_eq!(column(&r, "previous"), vec![f(10.0 / 30.0 - 1.0), Value::Float(0.5), Value::Null]);
        assert_eq!(column(&r, "running"), vec![Value::Int(10), Value::Int(40), Value::Int(60)]);
        assert_eq!(column(&r, "rank"), vec![Value::Int(3), Value::Int(1), Value::Int(2)]);
        assert_eq!(column(&r, "moving"), vec![Value::Int(10), Value::Int(20), Value::Int(25)]);
        assert_eq!(column(&r, "label")[2], Value::Text("M 3".into()));
        assert_eq!(column(&r, "big"), vec![Value::Bool(false), Value::Bool(true), Value::Bool(true)]);
        assert_eq!(column(&r, "days"), vec![Value::Int(30), Value::Int(59), Value::Int(90)]);
        assert_eq!(column(&r, "twice")[1], Value::Int(1));
        assert_eq!(column(&r, "of_total")[1], Value::Float(0.5));
        // The totals row: row-wise expressions on the totals, column functions have none.
        let totals = r.totals.unwrap();
        assert_eq!((totals[2].clone(), totals[4].clone()), (Value::Null, Value::Null));
        assert_eq!(totals.len(), 12);
        assert_eq!(totals[11], Value::Int(1), "the totals row's own share of the total");
    }

    #[test]
    fn refusals_name_the_calculation_and_the_problem() {
        let fields = vec!["orders.count".to_string()];
        assert!(check(&[calc("x", "${orders.count} / sum(pivot_row(${orders.count}))")], &fields).is_ok());
        let e = check(&[calc("x", "${orders.nope} + 1")], &fields).unwrap_err();
        assert!(e.message.contains("`${orders.nope}`"), "{e}");
        let e = check(&[calc("x", "frobnicate(1)")], &fields).unwrap_err();
        assert!(e.message.contains("`frobnicate`"), "{e}");
        let e = check(&[calc("x", "round(1, 2, 3)")], &fields).unwrap_err();
        assert!(e.message.contains("`round` takes"), "{e}");
        assert!(check(&[calc("x", "${orders.count} / ${orders.count:total}")], &fields).is_ok());
        let e = check(&[calc("x", "${orders.nope:total}")], &fields).unwrap_err();
        assert!(e.message.contains("${orders.nope:total}"), "{e}");
        assert!(check(&[calc("a", "${orders.count} * 2"), calc("b", "${a} + 1")], &fields).is_ok());
        let mut r = table();
        let e = apply(&mut r, &[calc("x", "${orders.count} + \"a\"")], jiff::civil::date(2024, 1, 1).at(0, 0, 0, 0)).unwrap_err();
        assert!(e.message.starts_with("row 1: `+` cannot combine"), "{e}");
    }

    /// Two states pivoted by status: each calculation per pivot column, by hand.
    #[test]
    fn pivoted_calculations_read_their_pivot_column_and_reach_across() {
        let t = |s: &str| Value::Text(s.into());
        let mut long = ResultSet::new(vec![
            ColumnInfo::plain("users.state", ValueType::String),
            ColumnInfo::plain("orders.status", ValueType::String),
            ColumnInfo::plain("orders.count", ValueType::Number).measure(),
            ColumnInfo::plain("__pivot_col", ValueType::Number),
            ColumnInfo::plain("__pivot_count", ValueType::Number),
        ]);
        for (state, status, n, col) in
            [("CA", "complete", 4, 1), ("CA", "pending", 2, 2), ("NY", "complete", 10, 1), ("NY", "pending", 5, 2)]
        {
            long.push_row(vec![t(state), t(status), Value::Int(n), Value::Int(col), Value::Int(2)]);
        }
        let mut totals = ResultSet::new(vec![
            ColumnInfo::plain("orders.status", ValueType::String),
            ColumnInfo::plain("orders.count", ValueType::Number).measure(),
        ]);
        totals.push_row(vec![t("complete"), Value::Int(14)]);
        totals.push_row(vec![t("pending"), Value::Int(7)]);
        let mut row_totals = ResultSet::new(vec![
            ColumnInfo::plain("users.state", ValueType::String),
            ColumnInfo::plain("orders.count", ValueType::Number).measure(),
        ]);
        row_totals.push_row(vec![t("CA"), Value::Int(6)]);
        row_totals.push_row(vec![t("NY"), Value::Int(15)]);
        let pivot = result::pivot(&long, &[1], Some(&totals), Some(&row_totals)).unwrap();
        let mut result = QueryResult { pivot: Some(pivot), ..Default::default() };
        let calcs = [
            calc("vs_previous", "${orders.count} / pivot_offset(${orders.count}, -1)"),
            calc("first", "pivot_index(${orders.count}, 1)"),
            calc("column", "pivot_column()"),
            calc("share", "${orders.count} / sum(${orders.count})"),
            calc("tagged", "concat(${orders.status}, \"-\", ${users.state})"),
            calc("of_row", "${orders.count} / ${orders.count:row_total}"),
            calc("of_column", "${orders.count} / ${orders.count:total}"),
            calc("of_row_list", "${orders.count} / sum(pivot_row(${orders.count}))"),
            calc("vs_pending", "${orders.count} - pivot_where(${orders.status} = \"pending\", ${orders.count})"),
        ];
        apply(&mut result, &calcs, jiff::civil::date(2024, 1, 1).at(0, 0, 0, 0)).unwrap();
        let pivot = result.pivot.clone().unwrap();
        let measure = |name: &str| pivot.measures.iter().position(|m| m.name == name).unwrap();
        let cells = |name: &str| pivot.rows.iter().map(|r| r.cells[measure(name)].clone()).collect::<Vec<_>>();
        assert_eq!(cells("vs_previous"), vec![vec![Value::Null, Value::Float(0.5)], vec![Value::Null, Value::Float(0.5)]]);
        assert_eq!(cells("first"), vec![vec![Value::Int(4), Value::Int(4)], vec![Value::Int(10), Value::Int(10)]]);
        assert_eq!(cells("column"), vec![vec![Value::Int(1), Value::Int(2)], vec![Value::Int(1), Value::Int(2)]]);
        // Within each pivot column: complete 4 of 14, pending 2 of 7.
        assert_eq!(
            cells("share"),
            vec![vec![Value::Float(4.0 / 14.0), Value::Float(2.0 / 7.0)], vec![Value::Float(10.0 / 14.0), Value::Float(5.0 / 7.0)]]
        );
        assert_eq!(cells("tagged")[1], vec![t("complete-NY"), t("pending-NY")]);
        assert_eq!(cells("of_row")[0], vec![Value::Float(4.0 / 6.0), Value::Float(2.0 / 6.0)]);
        assert_eq!(cells("of_column")[1], vec![Value::Float(10.0 / 14.0), Value::Float(5.0 / 7.0)]);
        assert_eq!(cells("of_row_list")[1], vec![Value::Float(10.0 / 15.0), Value::Float(5.0 / 15.0)]);
        assert_eq!(cells("vs_pending")[1], vec![Value::Int(5), Value::Int(0)]);
        // One value per row, unpivoted: the row's total across its pivot columns.
        let mut again = result.clone();
        apply(&mut again, &[calc("row_sum", "sum(pivot_row(${orders.count}))")], jiff::civil::date(2024, 1, 1).at(0, 0, 0, 0)).unwrap();
        // Rows sorted by a calculation: one value per row, a pivoted one in a chosen pivot column
        // or by each row's best cell, a measure in a column; a pivot's own sort is skipped.
        let states = |r: &QueryResult| -> Vec<Value> { r.pivot.as_ref().unwrap().rows.iter().map(|r| r.dimensions[0].clone()).collect() };
        let sort = |name: &str, descending: bool, pivot_column: Option<u32>| RowSort { name: name.into(), descending, pivot_column };
        let mut sorted = again.clone();
        sort_rows(&mut sorted, &[sort("orders.status", false, None), sort("row_sum", true, None)], Some(500)).unwrap();
        assert_eq!(states(&sorted), vec![t("NY"), t("CA")]);
        sort_rows(&mut sorted, &[sort("orders.count", false, Some(1))], None).unwrap();
        assert_eq!(states(&sorted), vec![t("CA"), t("NY")]);
        sort_rows(&mut sorted, &[sort("vs_pending", true, None)], None).unwrap();
        assert_eq!(states(&sorted), vec![t("NY"), t("CA")]);
        sort_rows(&mut sorted, &[sort("vs_pending", false, Some(0))], None).unwrap();
        assert_eq!(states(&sorted), vec![t("CA"), t("NY")]);
        assert!(sort_rows(&mut sorted, &[sort("row_sum", false, None)], Some(2)).is_err(), "the row limit was reached");
        let again = again.pivot.unwrap();
        assert_eq!(again.row_calcs.len(), 1);
        let sums: Vec<Vec<Value>> = again.rows.iter().map(|r| r.row_calcs.clone()).collect();
        assert_eq!(sums, vec![vec![Value::Int(6)], vec![Value::Int(15)]]);
    }

    #[test]
    fn rows_sort_by_a_calculation_only_when_all_are_there() {
        let mut r = run(&[calc("neg", "0 - ${orders.count}")]);
        let neg = |descending| [RowSort { name: "neg".into(), descending, pivot_column: None }];
        sort_rows(&mut r, &neg(false), Some(500)).unwrap();
        assert_eq!(column(&r, "orders.count"), vec![Value::Int(30), Value::Int(20), Value::Int(10)]);
        sort_rows(&mut r, &neg(true), None).unwrap();
        assert_eq!(column(&r, "orders.count"), vec![Value::Int(10), Value::Int(20), Value::Int(30)]);
        let e = sort_rows(&mut r, &neg(false), Some(3)).unwrap_err();
        assert!(e.message.contains("row limit"), "{e}");
    }
}
