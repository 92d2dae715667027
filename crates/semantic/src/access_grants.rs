//! `access_grant`s: a model names a user attribute and the values that grant access; explores,
//! joins, views and fields list the grants they require (`required_access_grants`). A user whose
//! value of the attribute is one of the allowed values has the grant. Enforced when a query is
//! compiled for a user (see the sql crate); here they are read and their names checked.

use std::collections::BTreeMap;

use lookml::{Diagnostic, Pair, Span};

use crate::build::Builder;
use crate::model::Model;

/// `access_grant: name { user_attribute: … allowed_values: [...] }`.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessGrant {
    pub user_attribute: String,
    pub allowed_values: Vec<String>,
    pub span: Span,
}

impl AccessGrant {
    /// Whether a user whose value of the attribute is `value` has the grant: one of the values
    /// (a value may list several, separated by commas) is allowed.
    pub fn allows(&self, value: Option<&str>) -> bool {
        value.is_some_and(|v| v.split(',').map(str::trim).any(|v| self.allowed_values.iter().any(|a| a == v)))
    }
}

/// The first of `grants` a user with `attributes` lacks (`None`: they have them all).
pub fn first_lacking<'g>(model: &Model, attributes: &BTreeMap<String, String>, grants: &'g [String]) -> Option<&'g str> {
    let granted =
        |name: &String| model.access_grants.get(name).is_some_and(|g| g.allows(attributes.get(&g.user_attribute).map(String::as_str)));
    grants.iter().find(|name| !granted(name)).map(String::as_str)
}

impl Builder<'_> {
    pub(crate) fn access_grant(&mut self, pair: &Pair, into: &mut BTreeMap<String, AccessGrant>) {
        let Some((name, items)) = self.named_block(pair) else { return };
        let (mut user_attribute, mut allowed_values) = (None, None);
        for item in items {
            match item.key.as_str() {
                "user_attribute" => user_attribute = self.text(item),
                "allowed_values" => allowed_values = Some(self.list(item)),
                other => self.error(item.key_span, format!("`{other}` is not a parameter of `access_grant`")),
            }
        }
        let (Some(user_attribute), Some(allowed_values)) = (user_attribute, allowed_values) else {
            return self.error(pair.key_span, format!("access_grant `{name}` needs `user_attribute` and `allowed_values`"));
        };
        let grant = AccessGrant { user_attribute, allowed_values, span: pair.key_span };
        if into.insert(name.to_string(), grant).is_some() {
            self.error(pair.key_span, format!("access_grant `{name}` is defined twice"));
        }
    }
}

/// Every `required_access_grants` names a grant of the model, and every `access_filter` a
/// field of its explore.
pub(crate) fn check_names(model: &Model, diagnostics: &mut Vec<Diagnostic>) {
    for explore in model.explores.values() {
        for (field, _) in &explore.access_filters {
            let found = field.split_once('.').and_then(|(alias, name)| {
                let view = model.views.get(explore.view_for_alias(alias)?)?;
                view.field(name).filter(|f| !f.is_filter_only())
            });
            if found.is_none() {
                diagnostics.push(Diagnostic::error(
                    explore.span,
                    format!("explore `{}`: the access_filter field `{field}` is not a field of the explore (`view.field`)", explore.name),
                ));
            }
        }
    }
    let mut check = |names: &[String], span: Span, what: &str| {
        for name in names.iter().filter(|n| !model.access_grants.contains_key(*n)) {
            diagnostics
                .push(Diagnostic::error(span, format!("{what} requires the access grant `{name}`, which the model does not define")));
        }
    };
    for explore in model.explores.values() {
        check(&explore.required_access_grants, explore.span, &format!("explore `{}`", explore.name));
        for join in &explore.joins {
            check(&join.required_access_grants, join.span, &format!("join `{}`", join.name));
        }
    }
    for view in model.views.values() {
        check(&view.required_access_grants, view.span, &format!("view `{}`", view.name));
        for field in &view.fields {
            check(&field.required_access_grants, field.span, &format!("field `{}.{}`", view.name, field.name));
        }
    }
}
