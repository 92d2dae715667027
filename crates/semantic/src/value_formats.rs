//! Value formats by name: Looker's built-in `value_format_name`s and a model's
//! `named_value_format`s, resolved into each field's Excel-style `value_format` once the model is
//! read, so the SQL and formatting layers see one format string per field. Whether a format
//! string can be applied is checked where it is parsed (`sql::check_fields`, via `present`).

use std::collections::BTreeMap;

use lookml::{Diagnostic, Pair, Span};

use crate::build::Builder;
use crate::Model;

/// Looker's built-in `value_format_name`s and the Excel-style formats they stand for.
pub const BUILTIN_VALUE_FORMATS: [(&str, &str); 17] = [
    ("decimal_0", "#,##0"),
    ("decimal_1", "#,##0.0"),
    ("decimal_2", "#,##0.00"),
    ("decimal_3", "#,##0.000"),
    ("decimal_4", "#,##0.0000"),
    ("usd_0", "$#,##0"),
    ("usd", "$#,##0.00"),
    ("gbp_0", "\"£\"#,##0"),
    ("gbp", "\"£\"#,##0.00"),
    ("eur_0", "\"€\"#,##0"),
    ("eur", "\"€\"#,##0.00"),
    ("id", "0"),
    ("percent_0", "0%"),
    ("percent_1", "0.0%"),
    ("percent_2", "0.00%"),
    ("percent_3", "0.000%"),
    ("percent_4", "0.0000%"),
];

/// The format a built-in name stands for.
pub fn builtin_value_format(name: &str) -> Option<&'static str> {
    BUILTIN_VALUE_FORMATS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// `named_value_format: name { value_format: "…" strict_value_format: yes }`.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedValueFormat {
    pub name: String,
    pub value_format: String,
    /// `strict_value_format`: a user's number-format preference does not localise it.
    pub strict: bool,
    pub span: Span,
}

impl Builder<'_> {
    pub(crate) fn named_value_format(&mut self, pair: &Pair, into: &mut BTreeMap<String, NamedValueFormat>) {
        let Some((name, items)) = self.named_block(pair) else { return };
        let (mut value_format, mut strict) = (None, false);
        for item in items {
            match item.key.as_str() {
                "value_format" => value_format = self.text(item),
                "strict_value_format" => strict = self.yes_no(item).unwrap_or(false),
                other => self.error(item.key_span, format!("`{other}` is not a parameter of `named_value_format`")),
            }
        }
        let Some(value_format) = value_format else {
            return self.error(pair.key_span, format!("named_value_format `{name}` needs a `value_format`"));
        };
        if builtin_value_format(name).is_some() {
            self.diagnostics.push(Diagnostic::warning(
                pair.key_span,
                format!("named_value_format `{name}` has the name of a built-in format; this model's definition is used"),
            ));
        }
        let format = NamedValueFormat { name: name.to_string(), value_format, strict, span: pair.key_span };
        if into.insert(name.to_string(), format).is_some() {
            self.error(pair.key_span, format!("named_value_format `{name}` is defined twice"));
        }
    }
}

/// Every field's `value_format_name` replaced by the format string it names (the model's own
/// named formats first, then Looker's); a name that is neither is an error at the field. A
/// field's own `value_format` wins over a name.
pub(crate) fn resolve_value_formats(model: &mut Model, diagnostics: &mut Vec<Diagnostic>) {
    let named = &model.named_value_formats;
    for view in model.views.values_mut() {
        for field in &mut view.fields {
            let Some(name) = field.display.value_format_name.clone() else { continue };
            let resolved = named.get(&name).map(|n| n.value_format.clone()).or_else(|| builtin_value_format(&name).map(str::to_string));
            match (resolved, &field.display.value_format) {
                (None, _) => diagnostics.push(Diagnostic::error(
                    field.span,
                    format!(
                        "field `{}.{}`: `value_format_name: {name}` is neither a built-in format nor a named_value_format of model `{}`",
                        view.name, field.name, model.name
                    ),
                )),
                (Some(_), Some(_)) => diagnostics.push(Diagnostic::warning(
                    field.span,
                    format!("field `{}.{}` has both `value_format` and `value_format_name`; `value_format` is used", view.name, field.name),
                )),
                (Some(format), None) => field.display.value_format = Some(format),
            }
        }
    }
}
