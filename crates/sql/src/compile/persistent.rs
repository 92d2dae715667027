//! Persistent derived tables as the engine builds them: the SQL a derived table is built from
//! (its own SQL with `${view.SQL_TABLE_NAME}` expanded, or its native query), reading the
//! persistent tables already built, and which derived tables it reads, so that those are built
//! first. Queries then read the built tables through [`QuerySpec::persisted`].

use std::collections::BTreeMap;

use jiff::civil::DateTime;
use semantic::{parse_references, Model, ReferenceKind, ViewSource};

use super::Compiler;
use crate::custom::Customs;
use crate::dialect::Dialect;
use crate::error::CompileError;
use crate::query::QuerySpec;
use crate::tree::{self, Relation};

/// The `SELECT` that builds derived table `view`, with the tables in `persisted` read where it
/// reads those views.
pub fn derived_table_sql(
    model: &Model,
    view: &str,
    dialect: &dyn Dialect,
    now: DateTime,
    persisted: &BTreeMap<String, String>,
) -> Result<String, CompileError> {
    let what = || format!("derived table `{view}`");
    let target = model.views.get(view).ok_or_else(|| CompileError::Model { what: what(), message: "no such view".into() })?;
    // Liquid in the SQL is read as in an explore on the view (any explore, failing that).
    let explore = model
        .explores
        .values()
        .find(|e| e.base_view == view)
        .or_else(|| model.explores.values().next())
        .ok_or_else(|| CompileError::Model { what: what(), message: format!("model `{}` has no explore", model.name) })?;
    let customs = Customs::default();
    // Built once for every user: no user's attributes (Liquid reading one is an error).
    let spec = QuerySpec {
        model: model.name.clone(),
        view: explore.name.clone(),
        persisted: persisted.clone(),
        user_attributes: Some(BTreeMap::new()),
        ..Default::default()
    };
    let mut compiler = Compiler::new(model, explore, dialect, Default::default(), 0, &customs);
    compiler.now = now;
    compiler.query = Some(&spec);
    match compiler.derived_relation(target)? {
        Some(Relation::Sql(sql)) => Ok(sql),
        Some(Relation::Query(statement)) => Ok(tree::print(&statement, dialect)),
        _ => Err(CompileError::Model { what: what(), message: "is not a derived table (or is built already)".into() }),
    }
}

/// The derived tables `view` reads directly: those its SQL names with `${other.SQL_TABLE_NAME}`,
/// or, for a native derived table, every derived table of the explore it queries (more than its
/// query may need: building one too many is slower, never wrong).
pub fn derived_tables_read(model: &Model, view: &str) -> Vec<String> {
    let derived = |name: &str| model.views.get(name).is_some_and(|v| !matches!(v.source, ViewSource::Table(_)));
    let Some(target) = model.views.get(view) else { return Vec::new() };
    let mut out: Vec<String> = match &target.source {
        ViewSource::Table(_) => Vec::new(),
        ViewSource::DerivedSql(sql) => parse_references(sql)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| match r.kind {
                ReferenceKind::SqlTableName(v) => Some(v),
                _ => None,
            })
            .collect(),
        ViewSource::Native(native) => model
            .explores
            .get(&native.explore)
            .map(|e| std::iter::once(e.base_view.clone()).chain(e.joins.iter().map(|j| j.view.clone())).collect())
            .unwrap_or_default(),
    };
    out.retain(|v| v != view && derived(v));
    out.sort();
    out.dedup();
    out
}
