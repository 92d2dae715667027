//! Renders the Liquid subset of [`semantic::liquid`] for one query, before `${…}` expansion.
//!
//! Values that come from the user reach SQL only escaped: `{% parameter %}` writes a literal of
//! the parameter's type, `{% condition %}` compiles the filter expression like any filter, and
//! `{{ _filters['…'] }}` must pass through `| sql_quote` (anything else is refused).

use semantic::liquid::{CompareOp, Cond, Expr, Filter, Node, Template};

use crate::dialect::Dialect;

/// A Liquid value while rendering. `tainted` marks text the user chose (filter values), which
/// may only reach SQL through `sql_quote`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LValue {
    Nil,
    Bool(bool),
    Number(f64),
    Str { text: String, tainted: bool },
    List(Vec<LValue>),
}

impl LValue {
    pub(crate) fn text(text: impl Into<String>) -> LValue {
        LValue::Str { text: text.into(), tainted: false }
    }

    fn truthy(&self) -> bool {
        !matches!(self, LValue::Nil | LValue::Bool(false))
    }

    fn tainted(&self) -> bool {
        match self {
            LValue::Str { tainted, .. } => *tainted,
            LValue::List(items) => items.iter().any(LValue::tainted),
            _ => false,
        }
    }

    fn as_text(&self) -> String {
        match self {
            LValue::Nil => String::new(),
            LValue::Bool(b) => b.to_string(),
            LValue::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            LValue::Number(n) => n.to_string(),
            LValue::Str { text, .. } => text.clone(),
            LValue::List(items) => items.iter().map(LValue::as_text).collect::<Vec<_>>().join(""),
        }
    }
}

/// What a template needs from the query being compiled.
pub(crate) trait LiquidHost {
    fn dialect(&self) -> &dyn Dialect;
    /// A variable path (`_filters`, `view.field._is_selected`, …).
    fn variable(&mut self, path: &[String]) -> Result<LValue, String>;
    /// `{% condition field %}body{% endcondition %}`.
    fn condition(&mut self, field: &str, body: &str) -> Result<String, String>;
    /// `{% parameter p %}`.
    fn parameter(&mut self, name: &str) -> Result<String, String>;
    /// `{% date_start f %}` (`end` false) or `{% date_end f %}`.
    fn date_bound(&mut self, field: &str, end: bool) -> Result<String, String>;
}

pub(crate) fn render(template: &Template, host: &mut dyn LiquidHost) -> Result<String, String> {
    let mut out = String::new();
    render_nodes(&template.nodes, host, &mut out)?;
    Ok(out)
}

fn render_nodes(nodes: &[Node], host: &mut dyn LiquidHost, out: &mut String) -> Result<(), String> {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Output { value, filters } => {
                let mut v = eval(value, host)?;
                let mut quoted = false;
                for f in filters {
                    quoted |= f.name == "sql_quote";
                    v = apply(f, v, host)?;
                }
                if v.tainted() && !quoted {
                    return Err("a filter value written into SQL must pass through `| sql_quote`".into());
                }
                out.push_str(&v.as_text());
            }
            Node::Condition { field, body } => {
                let mut inner = String::new();
                render_nodes(body, host, &mut inner)?;
                out.push_str(&host.condition(field, inner.trim())?);
            }
            Node::Parameter(p) => out.push_str(&host.parameter(p)?),
            Node::DateStart(f) => out.push_str(&host.date_bound(f, false)?),
            Node::DateEnd(f) => out.push_str(&host.date_bound(f, true)?),
            Node::If { branches, otherwise } => {
                let mut taken = false;
                for (cond, body) in branches {
                    if test(cond, host)? {
                        render_nodes(body, host, out)?;
                        taken = true;
                        break;
                    }
                }
                if !taken {
                    render_nodes(otherwise, host, out)?;
                }
            }
        }
    }
    Ok(())
}

fn eval(expr: &Expr, host: &mut dyn LiquidHost) -> Result<LValue, String> {
    Ok(match expr {
        Expr::Str(s) => LValue::text(s.clone()),
        Expr::Number(n) => LValue::Number(*n),
        Expr::Bool(b) => LValue::Bool(*b),
        Expr::Nil => LValue::Nil,
        Expr::Var(path) => host.variable(path)?,
    })
}

fn test(cond: &Cond, host: &mut dyn LiquidHost) -> Result<bool, String> {
    Ok(match cond {
        Cond::Truthy(e) => eval(e, host)?.truthy(),
        Cond::Not(c) => !test(c, host)?,
        Cond::And(a, b) => test(a, host)? && test(b, host)?,
        Cond::Or(a, b) => test(a, host)? || test(b, host)?,
        Cond::Compare(a, op, b) => {
            let (a, b) = (eval(a, host)?, eval(b, host)?);
            match op {
                CompareOp::Eq => equal(&a, &b),
                CompareOp::Ne => !equal(&a, &b),
                CompareOp::Contains => match &a {
                    LValue::List(items) => items.iter().any(|i| equal(i, &b)),
                    other => other.as_text().contains(&b.as_text()),
                },
                CompareOp::Lt | CompareOp::Gt | CompareOp::Le | CompareOp::Ge => {
                    let ordering = match (number(&a), number(&b)) {
                        (Some(x), Some(y)) => x.partial_cmp(&y),
                        _ => Some(a.as_text().cmp(&b.as_text())),
                    };
                    let Some(o) = ordering else { return Ok(false) };
                    match op {
                        CompareOp::Lt => o.is_lt(),
                        CompareOp::Gt => o.is_gt(),
                        CompareOp::Le => o.is_le(),
                        _ => o.is_ge(),
                    }
                }
            }
        }
    })
}

fn number(v: &LValue) -> Option<f64> {
    match v {
        LValue::Number(n) => Some(*n),
        LValue::Str { text, .. } => text.trim().parse().ok(),
        _ => None,
    }
}

fn equal(a: &LValue, b: &LValue) -> bool {
    match (a, b) {
        (LValue::Nil, LValue::Nil) => true,
        (LValue::Nil, LValue::Str { text, .. }) | (LValue::Str { text, .. }, LValue::Nil) => text.is_empty(),
        (LValue::Number(x), other) | (other, LValue::Number(x)) => number(other) == Some(*x),
        (LValue::Bool(x), other) | (other, LValue::Bool(x)) => other.as_text() == x.to_string(),
        _ => a.as_text() == b.as_text(),
    }
}

fn apply(filter: &Filter, value: LValue, host: &mut dyn LiquidHost) -> Result<LValue, String> {
    let arg = |i: usize, host: &mut dyn LiquidHost| -> Result<String, String> {
        match filter.args.get(i) {
            Some(e) => Ok(eval(e, host)?.as_text()),
            None => Err(format!("the Liquid filter `{}` needs an argument", filter.name)),
        }
    };
    let map_text = |value: LValue, f: &dyn Fn(&str) -> String| -> LValue {
        match value {
            LValue::List(items) => {
                LValue::List(items.into_iter().map(|i| LValue::Str { text: f(&i.as_text()), tainted: i.tainted() }).collect())
            }
            other => {
                let tainted = other.tainted();
                LValue::Str { text: f(&other.as_text()), tainted }
            }
        }
    };
    Ok(match filter.name.as_str() {
        "sql_quote" => {
            let dialect = host.dialect();
            match value {
                LValue::List(items) => LValue::List(items.iter().map(|i| LValue::text(dialect.string_literal(&i.as_text()))).collect()),
                other => LValue::text(dialect.string_literal(&other.as_text())),
            }
        }
        "upcase" => map_text(value, &|s| s.to_uppercase()),
        "downcase" => map_text(value, &|s| s.to_lowercase()),
        "strip" => map_text(value, &|s| s.trim().to_string()),
        "url_encode" => map_text(value, &url_encode),
        "replace" => {
            let (from, to) = (arg(0, host)?, arg(1, host)?);
            map_text(value, &|s| s.replace(&from, &to))
        }
        "default" => {
            if value.truthy() && !matches!(&value, LValue::Str { text, .. } if text.is_empty()) {
                value
            } else {
                LValue::text(arg(0, host)?)
            }
        }
        "size" => match &value {
            LValue::List(items) => LValue::Number(items.len() as f64),
            other => LValue::Number(other.as_text().chars().count() as f64),
        },
        "split" => {
            let sep = arg(0, host)?;
            let tainted = value.tainted();
            let text = value.as_text();
            let parts: Vec<LValue> = if sep.is_empty() {
                text.chars().map(|c| LValue::Str { text: c.to_string(), tainted }).collect()
            } else {
                text.split(sep.as_str()).map(|p| LValue::Str { text: p.to_string(), tainted }).collect()
            };
            LValue::List(parts)
        }
        "join" => {
            let sep = arg(0, host)?;
            match value {
                LValue::List(items) => {
                    let tainted = items.iter().any(LValue::tainted);
                    LValue::Str { text: items.iter().map(LValue::as_text).collect::<Vec<_>>().join(&sep), tainted }
                }
                other => other,
            }
        }
        other => return Err(format!("the Liquid filter `{other}` is not supported yet")),
    })
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
