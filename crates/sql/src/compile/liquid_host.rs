//! What Liquid templates see of the query being compiled: its filters and fields, its
//! parameters' values (escaped by type), templated filters compiled like any filter.

use semantic::{FieldKind, FilterType, ParameterType, View};

use super::labels::number_literal;
use super::{Compiler, Target};
use crate::dialect::Dialect;
use crate::filter::{condition_in, parse_date_filter_in, DateTerm};
use crate::liquid::{LValue, LiquidHost};

/// Liquid's view of the query being compiled, in the context of one view.
pub(super) struct Host<'c, 'a> {
    pub(super) compiler: &'c mut Compiler<'a>,
    pub(super) alias: &'a str,
    pub(super) view: &'a View,
}

impl<'a> Host<'_, 'a> {
    /// `field` as `alias.field` (a bare name is a field of the current view).
    fn qualified(&self, field: &str) -> String {
        if field.contains('.') {
            field.to_string()
        } else {
            format!("{}.{field}", self.alias)
        }
    }

    fn target(&self, name: &str) -> Result<Target<'a>, String> {
        let (alias, field) = name.split_once('.').ok_or_else(|| format!("`{name}` is not a field name"))?;
        let (alias, view) = self
            .compiler
            .alias(alias)
            .ok_or_else(|| format!("`{name}`: explore `{}` has no view `{alias}`", self.compiler.explore.name))?;
        let field = view.field(field).ok_or_else(|| format!("`{name}` does not exist"))?;
        Ok(Target { alias, view, field })
    }

    fn in_query(&self, name: &str) -> (bool, bool) {
        let query = self.compiler.query;
        let selected = query.is_some_and(|q| q.fields.iter().any(|f| f == name));
        let filtered = query.is_some_and(|q| q.filters.iter().any(|(f, v)| f == name && !v.trim().is_empty()));
        (selected, filtered)
    }

    /// A parameter's value as SQL, checked against its type and allowed values.
    fn parameter_sql(&mut self, name: &str) -> Result<String, String> {
        let qualified = self.qualified(name);
        let t = self.target(&qualified)?;
        let kind = match t.field.kind {
            FieldKind::Parameter(kind) => kind,
            // `{% parameter %}` on a filter field writes its value as a literal of its type.
            FieldKind::Filter(FilterType::String) => ParameterType::String,
            FieldKind::Filter(FilterType::Number) => ParameterType::Number,
            FieldKind::Filter(FilterType::Date) => ParameterType::Date,
            FieldKind::Filter(FilterType::YesNo) => ParameterType::YesNo,
            _ => return Err(format!("`{qualified}` is not a parameter or filter field")),
        };
        let chosen = self.compiler.query_filter(&qualified).map(str::to_string).or_else(|| t.field.default_value.clone());
        // No value chosen and no default: NULL, which compares true with nothing.
        let Some(mut value) = chosen else { return Ok("NULL".into()) };
        if !t.field.allowed_values.is_empty() {
            match t.field.allowed_values.iter().find(|(label, v)| *v == value || *label == value) {
                Some((_, v)) => value = v.clone(),
                None => return Err(format!("`{value}` is not an allowed value of parameter `{qualified}`")),
            }
        }
        let d = self.compiler.dialect;
        match kind {
            ParameterType::String => Ok(d.string_literal(&value)),
            ParameterType::Unquoted => {
                if !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$')) {
                    Ok(value)
                } else {
                    Err(format!(
                        "`{value}` is not a valid value for the unquoted parameter `{qualified}` (letters, digits, `_`, `.`, `$` only)"
                    ))
                }
            }
            ParameterType::Number => match value.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(number_literal(n)),
                _ => Err(format!("`{value}` is not a number (parameter `{qualified}`)")),
            },
            ParameterType::Date => match value.trim().parse::<jiff::civil::Date>() {
                Ok(date) => Ok(d.timestamp_literal(date.to_datetime(jiff::civil::Time::midnight()))),
                Err(_) => Err(format!("`{value}` is not a date such as 2024-03-31 (parameter `{qualified}`)")),
            },
            ParameterType::YesNo => match value.trim().to_ascii_lowercase().as_str() {
                "yes" | "true" => Ok("TRUE".into()),
                "no" | "false" => Ok("FALSE".into()),
                _ => Err(format!("`{value}` is not yes or no (parameter `{qualified}`)")),
            },
        }
    }
}

impl LiquidHost for Host<'_, '_> {
    fn dialect(&self) -> &dyn Dialect {
        self.compiler.dialect
    }

    fn variable(&mut self, path: &[String]) -> Result<LValue, String> {
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        match path.as_slice() {
            ["_filters", name] => {
                Ok(self.compiler.query_filter(name).map(|v| LValue::Str { text: v.to_string(), tainted: true }).unwrap_or(LValue::Nil))
            }
            ["_user_attributes", name] => match &self.compiler.query.and_then(|q| q.user_attributes.as_ref()) {
                // Compiled only to be checked (`CompiledQuery::needs_user`): a stand-in value.
                None => Ok(LValue::text(String::new())),
                Some(attributes) => match attributes.get(*name) {
                    // A value an editor set reaches SQL quoted, unless it is a plain name or
                    // number (a schema, a region code) that cannot change the statement.
                    Some(v) => {
                        Ok(LValue::Str { text: v.clone(), tainted: !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') })
                    }
                    None => Err(format!(
                        "user attribute `{name}` has no value for the user the query runs for (a persistent derived table runs for nobody)"
                    )),
                },
            },
            ["_view", "_name"] => Ok(LValue::text(self.view.name.clone())),
            ["_model", "_name"] => Ok(LValue::text(self.compiler.model.name.clone())),
            ["_explore", "_name"] => Ok(LValue::text(self.compiler.explore.name.clone())),
            // Looker's names for dialects.
            ["_dialect", "_name"] => Ok(LValue::text(match self.compiler.dialect.name() {
                "bigquery" => "bigquery_standard_sql",
                other => other,
            })),
            [scope, "_in_query"] if !scope.starts_with('_') => {
                let prefix = format!("{scope}.");
                let query = self.compiler.query;
                let used = query.is_some_and(|q| {
                    q.fields.iter().any(|f| f.starts_with(&prefix)) || q.filters.iter().any(|(f, _)| f.starts_with(&prefix))
                });
                let (selected, filtered) = self.in_query(&self.qualified(scope));
                Ok(LValue::Bool(used || selected || filtered))
            }
            [field @ .., property @ ("_is_selected" | "_in_query" | "_is_filtered" | "_parameter_value")]
                if !field.is_empty() && field.len() <= 2 =>
            {
                let name = self.qualified(&field.join("."));
                if *property == "_parameter_value" {
                    return Ok(LValue::text(self.parameter_sql(&name)?));
                }
                let (selected, filtered) = self.in_query(&name);
                Ok(LValue::Bool(match *property {
                    "_is_selected" => selected,
                    "_is_filtered" => filtered,
                    _ => selected || filtered,
                }))
            }
            // `view.field._sql`: the field's SQL as written (its `${…}` expand afterwards).
            [field @ .., "_sql"] if !field.is_empty() && field.len() <= 2 => {
                let name = self.qualified(&field.join("."));
                let found = self.target(&name).ok().map(|t| t.field).or_else(|| {
                    let (view, field) = name.split_once('.')?;
                    self.compiler.model.views.get(view)?.field(field)
                });
                let field = found.ok_or_else(|| format!("`{name}._sql`: `{name}` does not exist"))?;
                Ok(LValue::text(field.sql.clone().unwrap_or_else(|| format!("${{TABLE}}.{}", field.name))))
            }
            ["value" | "rendered_value" | "linked_value", ..] => Err("`value` exists only in `html` and `link`, not in SQL".into()),
            _ => Err(format!("the Liquid variable `{}` is not supported yet", path.join("."))),
        }
    }

    fn condition(&mut self, field: &str, body: &str) -> Result<String, String> {
        let name = self.qualified(field);
        let t = self.target(&name)?;
        let Some(value) = self.compiler.query_filter(&name) else { return Ok("1=1".into()) };
        let grammar = self.compiler.template_grammar(t);
        Ok(condition_in(grammar, body, value, self.compiler.dialect, self.compiler.now, self.compiler.calendar())?
            .unwrap_or_else(|| "1=1".into()))
    }

    fn parameter(&mut self, name: &str) -> Result<String, String> {
        self.parameter_sql(name)
    }

    fn date_bound(&mut self, field: &str, end: bool) -> Result<String, String> {
        let name = self.qualified(field);
        let Some(value) = self.compiler.query_filter(&name) else { return Ok("NULL".into()) };
        let terms = parse_date_filter_in(value, self.compiler.now, self.compiler.calendar())?;
        let bound = terms.iter().find_map(|t| match t {
            DateTerm::Range { start, end: stop } => Some(if end { *stop } else { *start }),
            _ => None,
        });
        Ok(match bound.flatten() {
            Some(at) => self.compiler.dialect.timestamp_literal(at),
            None => "NULL".into(),
        })
    }
}
