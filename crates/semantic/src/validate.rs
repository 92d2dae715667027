//! Cross-references, checked once every view and explore of a model is built: explores and joins
//! name views that exist, `${…}` names fields that exist, measure filters name dimensions, sets
//! and `fields:` lists resolve, `foreign_key:` joins get their condition, and an explore whose
//! joins can repeat rows has the primary keys its measures need.

use std::collections::BTreeMap;

use lookml::{Diagnostic, Span};

use crate::build::FOREIGN_KEY_MARK;
use crate::fields::expand_field_list;
use crate::model::*;
use crate::references::{parse_references, ReferenceKind};

const MAX_SET_DEPTH: usize = 16;

pub(crate) fn validate(model: &mut Model, diagnostics: &mut Vec<Diagnostic>) {
    write_foreign_keys(model, diagnostics);
    resolve_field_lists(model, diagnostics);
    let model = &*model;
    for explore in model.explores.values() {
        if !model.views.contains_key(&explore.base_view) {
            diagnostics.push(Diagnostic::error(
                explore.span,
                format!("explore `{}` refers to view `{}`, which model `{}` does not include", explore.name, explore.base_view, model.name),
            ));
        }
        for join in &explore.joins {
            if !model.views.contains_key(&join.view) {
                diagnostics.push(Diagnostic::error(
                    join.span,
                    format!("join `{}` refers to view `{}`, which model `{}` does not include", join.name, join.view, model.name),
                ));
                continue;
            }
            if let Some(sql_where) = &join.sql_where {
                check_references(model, sql_where, join.span, None, Some(explore), &format!("join `{}`", join.name), diagnostics);
            }
            if let Some(sql_on) = &join.sql_on {
                check_references(model, sql_on, join.span, None, Some(explore), &format!("join `{}`", join.name), diagnostics);
            }
            for required in &join.required_joins {
                if explore.join(required).is_none() {
                    diagnostics.push(Diagnostic::error(
                        join.span,
                        format!("join `{}` requires join `{required}`, which explore `{}` does not have", join.name, explore.name),
                    ));
                }
            }
        }
        for always in &explore.always_join {
            if explore.join(always).is_none() {
                diagnostics.push(Diagnostic::error(
                    explore.span,
                    format!("`always_join` names `{always}`, which is not a join of explore `{}`", explore.name),
                ));
            }
        }
        for (what, sql) in [("sql_always_where", &explore.sql_always_where), ("sql_always_having", &explore.sql_always_having)] {
            if let Some(sql) = sql {
                // Unqualified references name the explore's base view.
                let base = model.views.get(&explore.base_view);
                check_references(model, sql, explore.span, base, Some(explore), &format!("explore `{}` {what}", explore.name), diagnostics);
            }
        }
        let filters =
            explore.always_filter.iter().chain(&explore.conditionally_filter).map(|(f, _)| f).chain(&explore.conditionally_filter_unless);
        for field in filters {
            if resolve_in_explore(model, explore, field).is_none() {
                diagnostics.push(Diagnostic::error(
                    explore.span,
                    format!("explore `{}` filters on `{field}`, which is not one of its fields", explore.name),
                ));
            }
        }
        check_cancel_grouping_fields(model, explore, diagnostics);
        check_aggregate_tables(model, explore, diagnostics);
        check_primary_keys(model, explore, diagnostics);
    }
    for view in model.views.values() {
        if let ViewSource::Native(native) = &view.source {
            match model.explores.get(&native.explore) {
                None => diagnostics.push(Diagnostic::error(
                    view.span,
                    format!("view `{}`: `explore_source: {}` names no explore of model `{}`", view.name, native.explore, model.name),
                )),
                Some(explore) => {
                    for (column, field) in &native.columns {
                        if resolve_in_explore(model, explore, field).is_none() {
                            diagnostics.push(Diagnostic::error(
                                view.span,
                                format!(
                                    "view `{}`: column `{column}` names `{field}`, which is not a field of explore `{}`",
                                    view.name, explore.name
                                ),
                            ));
                        }
                    }
                }
            }
        }
        for field in &view.fields {
            let what = format!("field `{}.{}`", view.name, field.name);
            for sql in field.sql_snippets() {
                check_references(model, sql, field.span, Some(view), None, &what, diagnostics);
            }
            for filter in &field.filters {
                let (alias, name) = filter.field.split_once('.').unwrap_or((&view.name, &filter.field));
                let target = if alias == view.name {
                    Some(view)
                } else {
                    model
                        .views
                        .get(alias)
                        .or_else(|| model.explores.values().find_map(|e| e.view_for_alias(alias)).and_then(|v| model.views.get(v)))
                };
                match target.and_then(|v| v.field(name)) {
                    Some(f) if f.is_measure() => diagnostics.push(Diagnostic::error(
                        filter.span,
                        format!("{what} filters on the measure `{}`; measure filters take dimensions", filter.field),
                    )),
                    Some(_) => {}
                    None => diagnostics
                        .push(Diagnostic::error(filter.span, format!("{what} filters on `{}`, which does not exist", filter.field))),
                }
            }
            if let Some(other) = &field.order_by_field {
                let (target_view, name) = match other.split_once('.') {
                    Some((v, f)) => (
                        model
                            .views
                            .get(v)
                            .or_else(|| model.explores.values().find_map(|e| e.view_for_alias(v)).and_then(|v| model.views.get(v))),
                        f,
                    ),
                    None => (Some(view), other.as_str()),
                };
                if target_view.and_then(|v| v.field(name)).is_none_or(|f| f.is_filter_only()) {
                    diagnostics
                        .push(Diagnostic::error(field.span, format!("{what}: `order_by_field: {other}` names no dimension or measure")));
                }
            }
            if let Some(list_field) = &field.list_field {
                if view.field(list_field).is_none_or(|f| f.is_measure()) {
                    diagnostics.push(Diagnostic::error(
                        field.span,
                        format!("{what}: `list_field: {list_field}` must name a dimension of view `{}`", view.name),
                    ));
                }
            }
        }
    }
}

/// Writes the join condition of each `foreign_key:` join: the named column of the view it hangs
/// from equals the joined view's primary key.
fn write_foreign_keys(model: &mut Model, diagnostics: &mut Vec<Diagnostic>) {
    let keys: BTreeMap<String, Option<String>> =
        model.views.iter().map(|(n, v)| (n.clone(), v.primary_key().map(|f| f.name.clone()))).collect();
    for explore in model.explores.values_mut() {
        let base = explore.base_alias.clone();
        for join in &mut explore.joins {
            let Some(fk) = join.sql_on.as_deref().and_then(|s| s.strip_prefix(FOREIGN_KEY_MARK)).map(str::to_string) else { continue };
            let from = if fk.contains('.') { fk.clone() } else { format!("{base}.{fk}") };
            match keys.get(&join.view) {
                Some(Some(pk)) => join.sql_on = Some(format!("${{{from}}} = ${{{}.{pk}}}", join.name)),
                Some(None) => {
                    diagnostics.push(Diagnostic::error(
                        join.span,
                        format!("join `{}` uses `foreign_key`, but view `{}` has no `primary_key: yes` dimension", join.name, join.view),
                    ));
                    join.sql_on = None;
                }
                None => join.sql_on = None, // reported as a missing view
            }
        }
    }
}

/// Every `alias.field` of an explore.
fn all_fields(model: &Model, explore: &Explore) -> Vec<String> {
    let aliases = std::iter::once((explore.base_alias.as_str(), explore.base_view.as_str()))
        .chain(explore.joins.iter().map(|j| (j.name.as_str(), j.view.as_str())));
    aliases
        .filter_map(|(a, v)| model.views.get(v).map(|view| (a, view)))
        .flat_map(|(a, view)| view.fields.iter().map(move |f| format!("{a}.{}", f.name)))
        .collect()
}

/// Expands `view.set` in an explore (alias-qualified, recursively through nested sets).
fn expand_set(model: &Model, explore: &Explore, qualified: &str, default_alias: &str, depth: usize) -> Option<Vec<String>> {
    if depth > MAX_SET_DEPTH {
        return None;
    }
    let (alias, set) = qualified.split_once('.').unwrap_or((default_alias, qualified));
    let view = model.views.get(explore.view_for_alias(alias)?)?;
    let list = view.sets.get(set)?;
    let mut out = Vec::new();
    for item in list {
        let (negated, name) = match item.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, item.as_str()),
        };
        let expanded: Vec<String> = match name.strip_suffix('*') {
            Some(inner) => expand_set(model, explore, inner, alias, depth + 1)?,
            None if name.contains('.') => vec![name.to_string()],
            None => vec![format!("{alias}.{name}")],
        };
        if negated {
            out.retain(|f| !expanded.contains(f));
        } else {
            out.extend(expanded);
        }
    }
    Some(out)
}

/// Resolves explore and join `fields:` lists to `alias.field` names.
fn resolve_field_lists(model: &mut Model, diagnostics: &mut Vec<Diagnostic>) {
    let names: Vec<String> = model.explores.keys().cloned().collect();
    for name in names {
        let Some(explore) = model.explores.get(&name) else { continue };
        let all = all_fields(model, explore);
        let mut resolved_explore = None;
        if let Some(list) = &explore.fields {
            let qualified: Vec<String> = list.iter().map(|f| qualify(f, &explore.base_alias)).collect();
            match expand_field_list(&qualified, &all, &mut |set| expand_set(model, explore, set, &explore.base_alias, 0)) {
                Ok(fields) => {
                    for f in fields.iter().filter(|f| !all.contains(f)) {
                        diagnostics.push(Diagnostic::error(
                            explore.span,
                            format!("explore `{name}` `fields:` names `{f}`, which is not a field of the explore"),
                        ));
                    }
                    resolved_explore = Some(fields);
                }
                Err(e) => diagnostics.push(Diagnostic::error(explore.span, format!("explore `{name}` `fields:`: {e}"))),
            }
        }
        let mut resolved_joins = Vec::new();
        for join in &explore.joins {
            let Some(list) = &join.fields else {
                resolved_joins.push(None);
                continue;
            };
            let qualified: Vec<String> = list.iter().map(|f| qualify(f, &join.name)).collect();
            let own: Vec<String> = all.iter().filter(|f| f.starts_with(&format!("{}.", join.name))).cloned().collect();
            match expand_field_list(&qualified, &own, &mut |set| expand_set(model, explore, set, &join.name, 0)) {
                Ok(fields) => resolved_joins.push(Some(fields)),
                Err(e) => {
                    diagnostics.push(Diagnostic::error(join.span, format!("join `{}` `fields:`: {e}", join.name)));
                    resolved_joins.push(Some(Vec::new()));
                }
            }
        }
        let Some(explore) = model.explores.get_mut(&name) else { continue };
        explore.fields = resolved_explore.or(explore.fields.take().map(|_| Vec::new()));
        for (join, fields) in explore.joins.iter_mut().zip(resolved_joins) {
            join.fields = fields;
        }
    }
}

/// `name` → `alias.name`; `set*` → `alias.set*`; qualified names and `ALL_FIELDS*` unchanged.
fn qualify(item: &str, alias: &str) -> String {
    let (sign, rest) = match item.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", item),
    };
    if rest.contains('.') || rest == "ALL_FIELDS*" {
        item.to_string()
    } else {
        format!("{sign}{alias}.{rest}")
    }
}

/// `cancel_grouping_fields` name dimensions of the explore (scoped names are checked when
/// read), and Looker's ungrouped queries cannot have joins that repeat rows.
fn check_cancel_grouping_fields(model: &Model, explore: &Explore, diagnostics: &mut Vec<Diagnostic>) {
    for field in explore.cancel_grouping_fields.iter().filter(|f| f.contains('.')) {
        let message = match resolve_in_explore(model, explore, field) {
            None => format!("cancel_grouping_fields names `{field}`, which is not a field of explore `{}`", explore.name),
            Some(f) if f.is_measure() => format!("cancel_grouping_fields names the measure `{field}`; it lists dimensions"),
            Some(_) => continue,
        };
        diagnostics.push(Diagnostic::error(explore.span, message));
    }
    if explore.cancel_grouping_fields.is_empty() {
        return;
    }
    if let Some(join) = explore.joins.iter().find(|j| matches!(j.relationship, Relationship::OneToMany | Relationship::ManyToMany)) {
        diagnostics.push(Diagnostic::error(
            explore.span,
            format!(
                "explore `{}` has cancel_grouping_fields and a join (`{}`) that repeats rows: Looker's cancel_grouping_fields does not work with one_to_many or many_to_many joins",
                explore.name, join.name
            ),
        ));
    }
}

/// An `aggregate_table`'s fields are the explore's (unqualified names are the base view's):
/// its dimensions dimensions, its measures measures; its filters may name either.
fn check_aggregate_tables(model: &Model, explore: &Explore, diagnostics: &mut Vec<Diagnostic>) {
    for table in &explore.aggregate_tables {
        let dimensions = table.dimensions.iter().map(|f| (f, Some(false)));
        let measures = table.measures.iter().map(|f| (f, Some(true)));
        let filters = table.filters.iter().map(|(f, _)| (f, None));
        for (field, measure) in dimensions.chain(measures).chain(filters) {
            let qualified = if field.contains('.') { field.clone() } else { format!("{}.{field}", explore.base_alias) };
            let message = match (resolve_in_explore(model, explore, &qualified), measure) {
                (None, _) => format!("names `{field}`, which is not a field of explore `{}`", explore.name),
                (Some(f), Some(true)) if !f.is_measure() => format!("lists `{field}` as a measure; it is a dimension"),
                (Some(f), Some(false)) if f.is_measure() => format!("lists `{field}` as a dimension; it is a measure"),
                (Some(_), _) => continue,
            };
            diagnostics.push(Diagnostic::error(table.span, format!("aggregate_table `{}` {message}", table.name)));
        }
    }
}

fn resolve_in_explore<'m>(model: &'m Model, explore: &Explore, name: &str) -> Option<&'m Field> {
    let (alias, field) = name.split_once('.')?;
    model.views.get(explore.view_for_alias(alias)?)?.field(field)
}

/// Looker needs a primary key wherever a join can repeat a view's rows and that view has
/// measures whose value repetition would change.
fn check_primary_keys(model: &Model, explore: &Explore, diagnostics: &mut Vec<Diagnostic>) {
    let one_to_many = explore.joins.iter().any(|j| matches!(j.relationship, Relationship::OneToMany | Relationship::ManyToMany));
    let aliases = std::iter::once((explore.base_alias.as_str(), explore.base_view.as_str(), None))
        .chain(explore.joins.iter().map(|j| (j.name.as_str(), j.view.as_str(), Some(j))));
    for (alias, view_name, join) in aliases {
        let by_own = join.is_some_and(|j| matches!(j.relationship, Relationship::ManyToOne | Relationship::ManyToMany));
        let by_other =
            explore.joins.iter().any(|j| j.name != alias && matches!(j.relationship, Relationship::OneToMany | Relationship::ManyToMany));
        if !(by_own || (one_to_many && by_other)) {
            continue;
        }
        let Some(view) = model.views.get(view_name) else { continue };
        if view.primary_key().is_some() {
            continue;
        }
        let needs_key = view.fields.iter().find(|f| {
            matches!(f.kind, FieldKind::Measure(MeasureType::Count | MeasureType::Sum | MeasureType::Average))
                || (f.measure_type().is_some_and(MeasureType::is_distinct_keyed) && f.sql_distinct_key.is_none())
        });
        // Looker accepts such a project and fails the query that fans the view out; so does
        // Sightline (the compiler refuses the measure), and the validator says so in advance.
        if let Some(measure) = needs_key {
            let span = join.map(|j| j.span).unwrap_or(explore.span);
            diagnostics.push(Diagnostic::warning(
                span,
                format!(
                    "explore `{}`: view `{view_name}` (as `{alias}`) has no `primary_key: yes` dimension, but a join can repeat its rows; queries that do will refuse its measure `{}` (symmetric aggregates need the key)",
                    explore.name, measure.name
                ),
            ));
        }
    }
}

fn check_references(
    model: &Model,
    sql: &str,
    span: Span,
    own_view: Option<&View>,
    explore: Option<&Explore>,
    what: &str,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let refs = match parse_references(sql) {
        Ok(r) => r,
        Err(_) => {
            diagnostics.push(Diagnostic::error(span, format!("{what}: `${{` is never closed with `}}`")));
            return;
        }
    };
    for r in refs {
        let (view_name, field_name) = match r.kind {
            ReferenceKind::Table | ReferenceKind::SqlTableName(_) => continue,
            ReferenceKind::Field { view: None, field } => match own_view {
                Some(v) => (v.name.clone(), field),
                None => {
                    diagnostics
                        .push(Diagnostic::error(span, format!("{what}: `${{{field}}}` must name a view, as in `${{view.{field}}}`")));
                    continue;
                }
            },
            ReferenceKind::Field { view: Some(alias), field } => {
                // In an explore the alias means one view; in a view's own SQL it means whatever
                // the explores that use the view make it, so any of those will do (the compiler
                // checks the explore a query actually uses).
                let candidates: Vec<String> = match explore.and_then(|e| e.view_for_alias(&alias)) {
                    Some(v) => vec![v.to_string()],
                    None => model
                        .explores
                        .values()
                        .filter_map(|e| e.view_for_alias(&alias).map(str::to_string))
                        .chain(model.views.contains_key(&alias).then(|| alias.clone()))
                        .collect(),
                };
                if candidates.is_empty() {
                    diagnostics.push(Diagnostic::error(
                        span,
                        format!("{what} refers to `${{{alias}.{field}}}`, but there is no view or join named `{alias}`"),
                    ));
                    continue;
                }
                match candidates.iter().find(|v| model.views.get(*v).is_some_and(|v| v.field(&field).is_some())) {
                    Some(v) => (v.clone(), field),
                    None => (candidates[0].clone(), field),
                }
            }
        };
        let Some(view) = model.views.get(&view_name) else { continue };
        if view.field(&field_name).is_none() {
            let hint = if view.fields.iter().any(|f| f.group.as_deref() == Some(field_name.as_str())) {
                format!(" (`{field_name}` is a dimension group: name a timeframe, such as `{field_name}_date`)")
            } else {
                String::new()
            };
            diagnostics.push(Diagnostic::error(span, format!("{what} refers to `{view_name}.{field_name}`, which does not exist{hint}")));
        }
    }
}
