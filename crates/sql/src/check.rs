//! Compiling every field of every explore on its own, as `sightline validate` does: what the
//! builder cannot see (a field that names a view its explore does not join, Liquid that does not
//! render, a type a dialect cannot compute) shows up here, located at the field.

use jiff::civil::DateTime;
use semantic::{Model, Span};

use crate::{compile, Dialect, Limit, QuerySpec};

/// A field that does not compile in an explore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub span: Span,
    pub message: String,
}

/// Every exposed field of every explore of `model`, compiled alone for `dialect`. Fan-outs over
/// views without a primary key are left out: the validator already warns of them.
pub fn check_fields(model: &Model, dialect: &dyn Dialect, now: DateTime) -> Vec<FieldProblem> {
    let mut problems: Vec<FieldProblem> = Vec::new();
    for view in model.views.values() {
        for field in &view.fields {
            if let Some(Err(e)) = field.display.value_format.as_deref().map(present::ValueFormat::parse) {
                problems.push(FieldProblem { span: field.span, message: format!("field `{}.{}`: {e}", view.name, field.name) });
            }
        }
    }
    for explore in model.explores.values() {
        let aliases = std::iter::once((&explore.base_alias, &explore.base_view)).chain(explore.joins.iter().map(|j| (&j.name, &j.view)));
        for (alias, view_name) in aliases {
            let Some(view) = model.views.get(view_name.as_str()) else { continue };
            for field in view.fields.iter().filter(|f| !f.is_filter_only() && explore.exposes(alias, &f.name)) {
                let spec = QuerySpec {
                    model: model.name.clone(),
                    view: explore.name.clone(),
                    fields: vec![format!("{alias}.{}", field.name)],
                    filters: Vec::new(),
                    sorts: Vec::new(),
                    limit: Limit::Rows(1),
                    time_zones: None,
                    ..Default::default()
                };
                let Err(e) = compile(model, &spec, dialect, now) else { continue };
                let message = e.to_string();
                if message.contains("needs a `primary_key: yes` dimension") {
                    continue;
                }
                let problem = FieldProblem { span: field.span, message: format!("in explore `{}`: {message}", explore.name) };
                if !problems.iter().any(|p| p.span == problem.span && p.message == problem.message) {
                    problems.push(problem);
                }
            }
        }
    }
    problems
}
