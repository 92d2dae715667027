//! Derived tables: SQL ones (`sql:` with `${view.SQL_TABLE_NAME}`) and native ones
//! (`explore_source`, compiled recursively with bound filters), as relations the main query reads.

use std::borrow::Cow;

use semantic::{parse_references, ReferenceKind, View, ViewSource};

use super::{compile_nested, Compiler, What, MAX_DERIVED_DEPTH};
use crate::error::CompileError;
use crate::query::{Limit, QuerySpec, TimeZones};
use crate::tree::{Expr, Item, Name, Relation, Select, Statement};

impl<'a> Compiler<'a> {
    /// A derived table: its own SQL (with `${view.SQL_TABLE_NAME}` expanded), or the planned
    /// query of a native one; `None` for a plain table.
    pub(super) fn derived_relation(&self, view: &View) -> Result<Option<Relation>, CompileError> {
        let view = self.model.views.get(&view.name).unwrap_or(view);
        if self.persisted_table(view).is_some() {
            return Ok(None);
        }
        let what = || format!("derived table `{}`", view.name);
        match &view.source {
            ViewSource::Table(_) => Ok(None),
            ViewSource::DerivedSql(sql) => {
                let sql = &self.render_derived(sql, view)?;
                let refs =
                    parse_references(sql).map_err(|_| CompileError::Model { what: what(), message: "`${` is never closed".into() })?;
                let mut out = String::with_capacity(sql.len());
                let mut last = 0;
                for r in refs {
                    out.push_str(&sql[last..r.start]);
                    last = r.end;
                    match r.kind {
                        ReferenceKind::SqlTableName(v) => {
                            let target = self
                                .model
                                .views
                                .get(&v)
                                .ok_or_else(|| CompileError::Model { what: what(), message: format!("no view `{v}`") })?;
                            out.push_str(&self.table_expression(target)?);
                        }
                        _ => {
                            return Err(CompileError::Model {
                                what: what(),
                                message: format!(
                                    "`{}`: a derived table's SQL can refer only to `${{view.SQL_TABLE_NAME}}`",
                                    &sql[r.start..r.end]
                                ),
                            })
                        }
                    }
                }
                out.push_str(&sql[last..]);
                Ok(Some(Relation::Sql(out)))
            }
            ViewSource::Native(native) => {
                if self.depth >= MAX_DERIVED_DEPTH {
                    return Err(CompileError::Model {
                        what: what(),
                        message: format!("native derived tables nest more than {MAX_DERIVED_DEPTH} deep (a cycle?)"),
                    });
                }
                let limit = match &native.limit {
                    Some(l) => Limit::parse_unbounded(Some(l))?,
                    None => Limit::All,
                };
                let mut filters = native.filters.clone();
                let outer: &[(String, String)] = self.query.map(|q| q.filters.as_slice()).unwrap_or(&[]);
                if native.bind_all_filters {
                    // The outer query is on the same explore (Looker requires it): its filters
                    // apply inside as they are.
                    // Only filters on fields of the inner explore, and not on this table's own.
                    let own: Vec<String> = filters.iter().map(|(f, _)| f.clone()).collect();
                    let inner = self.model.explores.get(&native.explore);
                    let applies = |f: &str| {
                        let Some((alias, field)) = f.split_once('.') else { return false };
                        let Some(explore) = inner else { return false };
                        explore
                            .view_for_alias(alias)
                            .filter(|v| *v != view.name)
                            .and_then(|v| self.model.views.get(v))
                            .is_some_and(|v| v.field(field).is_some())
                    };
                    filters.extend(outer.iter().filter(|(f, _)| !own.contains(f) && applies(f)).cloned());
                }
                for (from, to) in &native.bind_filters {
                    if let Some((_, value)) = outer.iter().find(|(f, _)| f == from) {
                        filters.push((to.clone(), value.clone()));
                    }
                }
                let spec = QuerySpec {
                    model: self.model.name.clone(),
                    view: native.explore.clone(),
                    fields: native.columns.iter().map(|(_, f)| f.clone()).collect(),
                    filters,
                    sorts: native.sorts.iter().map(|s| native_sort(s, &native.columns)).collect(),
                    limit,
                    // The table's own `timezone`, else the outer query's.
                    time_zones: match (&native.timezone, self.query.and_then(|q| q.time_zones.as_ref())) {
                        (Some(zone), outer) => Some(TimeZones {
                            database: outer.map(|z| z.database.clone()).unwrap_or_else(|| "UTC".into()),
                            query: zone.clone(),
                        }),
                        (None, outer) => outer.cloned(),
                    },
                    persisted: self.query.map(|q| q.persisted.clone()).unwrap_or_default(),
                    // The source explore's access filters apply for the same user.
                    user_attributes: self.query.and_then(|q| q.user_attributes.clone()),
                    ..Default::default()
                };
                let inner = compile_nested(self.model, &spec, self.dialect, self.now, self.depth + 1)
                    .map_err(|e| CompileError::Model { what: what(), message: e.to_string() })?;
                if inner.preamble.is_some() {
                    return Err(CompileError::Model {
                        what: what(),
                        message: format!("explore `{}` has a sql_preamble, which a derived table reading it cannot run yet", spec.view),
                    });
                }
                let q = Name::plain("q");
                let columns = native
                    .columns
                    .iter()
                    .map(|(name, field)| Item::new(Expr::column(q.clone(), Name::quoted(field)), Name::plain(name)))
                    .collect();
                let mut select = Select::from(Relation::Query(Box::new(inner.statement)), q, columns);
                if !native.derived_columns.is_empty() {
                    let c = Name::plain("c");
                    let own =
                        native.columns.iter().map(|(name, _)| Item::new(Expr::column(c.clone(), Name::plain(name)), Name::plain(name)));
                    let derived =
                        native.derived_columns.iter().map(|(name, expr)| Item::new(Expr::sql(format!("({expr})")), Name::plain(name)));
                    let items = own.chain(derived).collect();
                    select = Select::from(Relation::Query(Box::new(Statement { ctes: Vec::new(), body: select })), c, items);
                }
                Ok(Some(Relation::Query(Box::new(Statement { ctes: Vec::new(), body: select }))))
            }
        }
    }

    /// Liquid in a derived table's SQL or a `sql_table_name`, rendered for this query.
    pub(super) fn render_derived(&self, sql: &str, view: &View) -> Result<String, CompileError> {
        if !semantic::liquid::has_liquid(sql) {
            return Ok(sql.to_string());
        }
        let Some(view) = self.model.views.get(&view.name) else { return Ok(sql.to_string()) };
        // Rendering needs the compiler mutably (templated filters compile filters); a copy with
        // the same query does the work.
        let mut copy = Compiler::new(self.model, self.explore, self.dialect, self.fanned.clone(), self.depth, self.custom);
        copy.now = self.now;
        copy.query = self.query;
        let alias = self.explore.view_for_alias(&view.name).map(|_| view.name.as_str()).unwrap_or(view.name.as_str());
        copy.render_liquid(sql, alias, view, What::DerivedTable(&view.name)).map(Cow::into_owned)
    }

    /// What `${view.SQL_TABLE_NAME}` stands for: the table, or the derived table's SQL in
    /// parentheses.
    pub(super) fn table_expression(&self, view: &View) -> Result<String, CompileError> {
        let relation = match self.derived_relation(view)? {
            Some(r) => r,
            None => self.table_reference(view)?,
        };
        Ok(crate::tree::relation(&relation, self.dialect))
    }

    /// The table a persistent derived table was built into, when the query has it.
    pub(super) fn persisted_table(&self, view: &View) -> Option<&'a str> {
        self.query.and_then(|q| q.persisted.get(&view.name)).map(String::as_str)
    }

    /// What a FROM or JOIN names for a view: its table (Liquid rendered), the table a persistent
    /// derived table was built into, or its CTE.
    pub(super) fn table_reference(&self, view: &View) -> Result<Relation, CompileError> {
        if let Some(table) = self.persisted_table(view) {
            return Ok(Relation::Table(table.to_string()));
        }
        match &view.source {
            ViewSource::Table(t) => Ok(Relation::Table(self.render_derived(t, view)?)),
            ViewSource::DerivedSql(_) | ViewSource::Native(_) => Ok(Relation::Named(Name::plain(&view.name))),
        }
    }
}

/// A native derived table's sort names a column; the inner query sorts by its field.
fn native_sort(sort: &str, columns: &[(String, String)]) -> String {
    let mut words = sort.split_whitespace();
    let name = words.next().unwrap_or_default();
    let rest: Vec<&str> = words.collect();
    let field = columns.iter().find(|(c, _)| c == name).map(|(_, f)| f.as_str()).unwrap_or(name);
    if rest.is_empty() {
        field.to_string()
    } else {
        format!("{field} {}", rest.join(" "))
    }
}
