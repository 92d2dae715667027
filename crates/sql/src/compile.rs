//! Compiles a [`QuerySpec`] against a [`Model`] into one SQL statement.
//!
//! Shape (Looker's): `SELECT dims, measures FROM base LEFT JOIN … WHERE dim filters GROUP BY
//! ordinals HAVING measure filters ORDER BY … LIMIT n`. Only the joins that the chosen fields,
//! filters and other joins' `sql_on` need are emitted. Measures on views whose rows a join fans
//! out are computed over distinct primary keys (`COUNT(DISTINCT pk)`, symmetric sum/average).

use std::collections::{BTreeSet, HashSet};

use jiff::civil::DateTime;
use semantic::{
    parse_references, title_case, DimensionType, Explore, Field, FieldKind, MeasureType, Model, ReferenceKind, Relationship, Timeframe,
    View, ViewSource,
};

use result::{ColumnInfo, ValueType};

use crate::dialect::Dialect;
use crate::error::CompileError;
use crate::filter::{condition, FilterGrammar};
use crate::query::{parse_sort, Limit, QuerySpec, SortDirection};

#[derive(Debug, Clone, PartialEq)]
pub struct CompiledQuery {
    pub sql: String,
    pub columns: Vec<ColumnInfo>,
    /// The connection named by the model.
    pub connection: String,
}

/// Compiles `spec`. `now` is the current time in the query's time zone, for relative date filters.
pub fn compile(model: &Model, spec: &QuerySpec, dialect: &dyn Dialect, now: DateTime) -> Result<CompiledQuery, CompileError> {
    let explore =
        model.explore(&spec.view).ok_or_else(|| CompileError::UnknownExplore { model: model.name.clone(), explore: spec.view.clone() })?;
    let mut fields: Vec<&str> = Vec::new();
    for f in &spec.fields {
        if !fields.contains(&f.as_str()) {
            fields.push(f);
        }
    }
    if fields.is_empty() {
        return Err(CompileError::NoFields);
    }
    let first = Compiler::new(model, explore, dialect, HashSet::new()).build(&fields, spec, now)?;
    let fanned = fanned_out(explore, &first.joined);
    let parts = if fanned.is_empty() { first } else { Compiler::new(model, explore, dialect, fanned).build(&fields, spec, now)? };
    Ok(CompiledQuery { sql: parts.sql, columns: parts.columns, connection: model.connection.clone() })
}

/// Aliases whose rows the chosen joins repeat: a view reached through a many-to-one join is
/// repeated once per row on the many side; every view is repeated when some other join in the
/// query is one-to-many.
fn fanned_out(explore: &Explore, joined: &[String]) -> HashSet<String> {
    let joins: Vec<_> = joined.iter().filter_map(|a| explore.join(a)).collect();
    let mut out = HashSet::new();
    let aliases = std::iter::once(explore.name.clone()).chain(joined.iter().cloned());
    for alias in aliases {
        let own = explore.join(&alias).map(|j| j.relationship);
        let by_own = matches!(own, Some(Relationship::ManyToOne | Relationship::ManyToMany));
        let by_other =
            joins.iter().any(|j| j.name != alias && matches!(j.relationship, Relationship::OneToMany | Relationship::ManyToMany));
        if by_own || by_other {
            out.insert(alias);
        }
    }
    out
}

struct Built {
    sql: String,
    columns: Vec<ColumnInfo>,
    joined: Vec<String>,
}

struct Compiler<'a> {
    model: &'a Model,
    explore: &'a Explore,
    dialect: &'a dyn Dialect,
    fanned: HashSet<String>,
    aliases: BTreeSet<String>,
    stack: Vec<String>,
}

/// A field as reached through an explore alias.
#[derive(Clone, Copy)]
struct Target<'a> {
    alias: &'a str,
    view: &'a View,
    field: &'a Field,
}

const MAX_REFERENCE_DEPTH: usize = 32;

impl<'a> Compiler<'a> {
    fn new(model: &'a Model, explore: &'a Explore, dialect: &'a dyn Dialect, fanned: HashSet<String>) -> Self {
        Compiler { model, explore, dialect, fanned, aliases: BTreeSet::new(), stack: Vec::new() }
    }

    fn view_of(&self, alias: &str) -> Option<&'a View> {
        self.explore.view_for_alias(alias).and_then(|v| self.model.views.get(v))
    }

    /// An alias of this explore (its own name or a join's) as the explore spells it, with its view.
    fn alias(&self, name: &str) -> Option<(&'a str, &'a View)> {
        let alias = if name == self.explore.name { self.explore.name.as_str() } else { self.explore.join(name)?.name.as_str() };
        Some((alias, self.view_of(alias)?))
    }

    fn resolve(&self, name: &'a str) -> Result<Target<'a>, CompileError> {
        let (alias, field) = name.split_once('.').ok_or_else(|| CompileError::MalformedFieldName { field: name.to_string() })?;
        let unknown = || CompileError::UnknownField { field: name.to_string(), explore: self.explore.name.clone() };
        let (alias, view) = self.alias(alias).ok_or_else(unknown)?;
        let field = view.field(field).ok_or_else(unknown)?;
        Ok(Target { alias, view, field })
    }

    fn model_error(&self, t: Target, message: impl Into<String>) -> CompileError {
        CompileError::Model { what: format!("field `{}.{}`", t.alias, t.field.name), message: message.into() }
    }

    /// Replaces every `${…}` in `sql`, written in the context of `alias`/`view`.
    fn expand(&mut self, sql: &str, alias: &'a str, view: &'a View, in_measure: bool, what: &str) -> Result<String, CompileError> {
        let refs =
            parse_references(sql).map_err(|_| CompileError::Model { what: what.to_string(), message: "`${` is never closed".into() })?;
        let mut out = String::with_capacity(sql.len());
        let mut last = 0;
        for r in refs {
            out.push_str(&sql[last..r.start]);
            last = r.end;
            match r.kind {
                ReferenceKind::Table => out.push_str(alias),
                ReferenceKind::SqlTableName(v) => {
                    let target = self
                        .view_of(&v)
                        .or_else(|| self.model.views.get(&v))
                        .ok_or_else(|| CompileError::Model { what: what.to_string(), message: format!("no view `{v}`") })?;
                    out.push_str(&table_expression(target));
                }
                ReferenceKind::Field { view: ref_view, field } => {
                    let (ref_alias, ref_view) = match ref_view {
                        None => (alias, view),
                        Some(a) => self.alias(&a).ok_or_else(|| CompileError::Model {
                            what: what.to_string(),
                            message: format!("`${{{a}.{field}}}`: explore `{}` has no view or join `{a}`", self.explore.name),
                        })?,
                    };
                    let f = ref_view.field(&field).ok_or_else(|| CompileError::Model {
                        what: what.to_string(),
                        message: format!("`{}.{field}` does not exist", ref_view.name),
                    })?;
                    let target = Target { alias: ref_alias, view: ref_view, field: f };
                    let expr = if f.is_measure() {
                        if !in_measure {
                            return Err(CompileError::Model {
                                what: what.to_string(),
                                message: format!("a dimension cannot refer to the measure `{}.{}`", ref_alias, f.name),
                            });
                        }
                        self.measure(target)?
                    } else {
                        self.dimension_value(target)?
                    };
                    out.push('(');
                    out.push_str(&expr);
                    out.push(')');
                }
            }
        }
        out.push_str(&sql[last..]);
        Ok(out)
    }

    fn enter(&mut self, t: Target) -> Result<(), CompileError> {
        let key = format!("{}.{}", t.alias, t.field.name);
        if self.stack.contains(&key) || self.stack.len() > MAX_REFERENCE_DEPTH {
            let chain = self.stack.join(" → ");
            return Err(self.model_error(t, format!("refers to itself through {chain} → {key}")));
        }
        self.stack.push(key);
        if t.alias != self.explore.name {
            self.aliases.insert(t.alias.to_string());
        }
        Ok(())
    }

    /// The dimension's SQL with references expanded, before any timeframe or yes/no shaping.
    fn dimension_base(&mut self, t: Target<'a>) -> Result<String, CompileError> {
        self.enter(t)?;
        let default;
        let sql = match &t.field.sql {
            Some(s) => s.as_str(),
            None => {
                default = format!("${{TABLE}}.{}", t.field.group.as_deref().unwrap_or(&t.field.name));
                default.as_str()
            }
        };
        let what = format!("field `{}.{}`", t.alias, t.field.name);
        let expr = self.expand(sql, t.alias, t.view, false, &what);
        self.stack.pop();
        expr
    }

    /// What `${dimension}` means elsewhere: the timeframe expression, or a yesno's condition.
    fn dimension_value(&mut self, t: Target<'a>) -> Result<String, CompileError> {
        let base = self.dimension_base(t)?;
        Ok(match t.field.kind {
            FieldKind::Dimension(DimensionType::Time(tf)) => self.dialect.timeframe(tf, &base),
            _ => base,
        })
    }

    fn measure(&mut self, t: Target<'a>) -> Result<String, CompileError> {
        let FieldKind::Measure(kind) = t.field.kind else { return self.dimension_value(t) };
        self.enter(t)?;
        let what = format!("measure `{}.{}`", t.alias, t.field.name);
        let value = match &t.field.sql {
            Some(sql) => Some(self.expand(sql, t.alias, t.view, kind == MeasureType::Number, &what)?),
            None => None,
        };
        let fanned = self.fanned.contains(t.alias);
        let key = match t.view.primary_key() {
            Some(pk) => Some(self.dimension_value(Target { alias: t.alias, view: t.view, field: pk })?),
            None => None,
        };
        let need_key = |c: &Self| -> Result<String, CompileError> {
            key.clone().ok_or_else(|| c.model_error(t, format!("view `{}` needs a `primary_key: yes` dimension: a join in this query repeats its rows, and a {} over repeated rows would be wrong", t.view.name, kind.name())))
        };
        let value_or = |c: &Self| value.clone().ok_or_else(|| c.model_error(t, format!("a {} measure needs `sql:`", kind.name())));
        let sql = match kind {
            MeasureType::Count if fanned => format!("COUNT(DISTINCT {})", need_key(self)?),
            MeasureType::Count => match (&value, &key) {
                (Some(v), _) => format!("COUNT({v})"),
                (None, Some(k)) if t.alias != self.explore.name => format!("COUNT({k})"),
                _ => "COUNT(*)".to_string(),
            },
            MeasureType::CountDistinct => format!("COUNT(DISTINCT {})", value_or(self)?),
            MeasureType::Sum if fanned => self.dialect.symmetric_sum(&value_or(self)?, &need_key(self)?),
            MeasureType::Sum => format!("COALESCE(SUM({}), 0)", value_or(self)?),
            MeasureType::Average if fanned => self.dialect.symmetric_average(&value_or(self)?, &need_key(self)?),
            MeasureType::Average => format!("AVG({})", value_or(self)?),
            MeasureType::Min => format!("MIN({})", value_or(self)?),
            MeasureType::Max => format!("MAX({})", value_or(self)?),
            MeasureType::Number => value_or(self)?,
        };
        self.stack.pop();
        Ok(sql)
    }

    fn select_expression(&mut self, t: Target<'a>) -> Result<String, CompileError> {
        match t.field.kind {
            FieldKind::Measure(_) => self.measure(t),
            FieldKind::Dimension(DimensionType::YesNo) => {
                let c = self.dimension_value(t)?;
                Ok(format!("CASE WHEN {c} THEN 'Yes' ELSE 'No' END"))
            }
            FieldKind::Dimension(_) => self.dimension_value(t),
        }
    }

    fn filter(&mut self, name: &'a str, value: &str, now: DateTime) -> Result<Option<(bool, String)>, CompileError> {
        let t = self.resolve(name)?;
        let (grammar, expr) = match t.field.kind {
            FieldKind::Measure(_) => (FilterGrammar::Number, self.measure(t)?),
            FieldKind::Dimension(DimensionType::String) => (FilterGrammar::String, self.dimension_value(t)?),
            FieldKind::Dimension(DimensionType::Number) => (FilterGrammar::Number, self.dimension_value(t)?),
            FieldKind::Dimension(DimensionType::YesNo) => (FilterGrammar::YesNo, self.dimension_value(t)?),
            FieldKind::Dimension(DimensionType::Time(_)) => (FilterGrammar::Date, self.dimension_base(t)?),
        };
        let sql = condition(grammar, &expr, value, self.dialect, now)
            .map_err(|message| CompileError::InvalidFilter { field: name.to_string(), message })?;
        Ok(sql.map(|s| (t.field.is_measure(), s)))
    }

    fn build(mut self, fields: &[&'a str], spec: &'a QuerySpec, now: DateTime) -> Result<Built, CompileError> {
        let targets = fields.iter().map(|f| self.resolve(f)).collect::<Result<Vec<_>, _>>()?;
        let mut selects = Vec::new();
        let mut columns = Vec::new();
        for (name, t) in fields.iter().zip(&targets) {
            let expr = self.select_expression(*t)?;
            selects.push(format!("    {expr} AS {}", self.dialect.quote_alias(name)));
            columns.push(column_info(*t));
        }
        let mut wheres = Vec::new();
        let mut havings = Vec::new();
        for (name, value) in &spec.filters {
            if let Some((is_measure, sql)) = self.filter(name, value, now)? {
                if is_measure {
                    havings.push(sql)
                } else {
                    wheres.push(sql)
                }
            }
        }
        let order = self.order_by(fields, &targets, &spec.sorts)?;
        let joins = self.joins()?;
        let mut sql = String::new();
        let ctes = self.ctes(&joins);
        if !ctes.is_empty() {
            sql.push_str("WITH ");
            sql.push_str(&ctes.join(",\n"));
            sql.push('\n');
        }
        sql.push_str("SELECT\n");
        sql.push_str(&selects.join(",\n"));
        let base = self.model.views.get(&self.explore.base_view).ok_or_else(|| CompileError::Model {
            what: format!("explore `{}`", self.explore.name),
            message: format!("view `{}` does not exist", self.explore.base_view),
        })?;
        sql.push_str(&format!("\nFROM {} AS {}", from_expression(base), self.explore.name));
        for (_, clause) in &joins {
            sql.push('\n');
            sql.push_str(clause);
        }
        if !wheres.is_empty() {
            sql.push_str(&format!("\nWHERE {}", wheres.join("\n  AND ")));
        }
        let dims: Vec<String> =
            targets.iter().enumerate().filter(|(_, t)| !t.field.is_measure()).map(|(i, _)| (i + 1).to_string()).collect();
        if !dims.is_empty() {
            sql.push_str(&format!("\nGROUP BY {}", dims.join(", ")));
        }
        if !havings.is_empty() {
            sql.push_str(&format!("\nHAVING {}", havings.join("\n  AND ")));
        }
        if !order.is_empty() {
            sql.push_str(&format!("\nORDER BY {}", order.join(", ")));
        }
        if let Limit::Rows(n) = spec.limit {
            sql.push_str(&format!("\nLIMIT {n}"));
        }
        Ok(Built { sql, columns, joined: joins.into_iter().map(|(a, _)| a).collect() })
    }

    fn order_by(&self, fields: &[&str], targets: &[Target], sorts: &[String]) -> Result<Vec<String>, CompileError> {
        if sorts.iter().any(|s| s.trim() == "__UNSORTED__") {
            return Ok(Vec::new());
        }
        let position = |name: &str| fields.iter().position(|f| *f == name);
        let mut order = Vec::new();
        for sort in sorts.iter().filter(|s| !s.trim().is_empty()) {
            let (field, direction) = parse_sort(sort)?;
            let i = position(&field).ok_or_else(|| CompileError::InvalidSort {
                sort: sort.clone(),
                message: format!("`{field}` is not one of the query's fields"),
            })?;
            order.push(format!("{}{}", i + 1, if direction == SortDirection::Desc { " DESC" } else { "" }));
        }
        if order.is_empty() {
            // Looker's default: the first time dimension descending, else the first measure
            // descending, else the first dimension ascending.
            let is_time = |t: &Target| matches!(t.field.kind, FieldKind::Dimension(DimensionType::Time(tf)) if tf != Timeframe::Raw);
            if let Some(i) = targets.iter().position(is_time) {
                order.push(format!("{} DESC", i + 1));
            } else if let Some(i) = targets.iter().position(|t| t.field.is_measure()) {
                order.push(format!("{} DESC", i + 1));
            } else {
                order.push("1".to_string());
            }
        }
        Ok(order)
    }

    /// The joins needed, in the explore's declared order: (alias, `LEFT JOIN table AS alias ON …`).
    /// Expanding one join's `sql_on` may call for further joins; repeat until none is missing.
    fn joins(&mut self) -> Result<Vec<(String, String)>, CompileError> {
        let mut rendered: Vec<(String, String)> = Vec::new();
        loop {
            let pending: Vec<String> = self.aliases.iter().filter(|a| !rendered.iter().any(|(r, _)| r == *a)).cloned().collect();
            if pending.is_empty() {
                break;
            }
            for alias in pending {
                let join = self.explore.join(&alias).ok_or_else(|| CompileError::Model {
                    what: format!("explore `{}`", self.explore.name),
                    message: format!("no join `{alias}`"),
                })?;
                let view = self.view_of(&join.name).ok_or_else(|| CompileError::Model {
                    what: format!("join `{alias}`"),
                    message: format!("view `{}` does not exist", join.view),
                })?;
                let mut clause = format!("{} {} AS {}", join.join_type.sql_keyword(), from_expression(view), join.name);
                if let Some(on) = &join.sql_on {
                    clause.push_str(" ON ");
                    clause.push_str(&self.expand(on, &join.name, view, false, &format!("join `{}`", join.name))?);
                }
                rendered.push((alias, clause));
            }
        }
        let order: Vec<&str> = self.explore.joins.iter().map(|j| j.name.as_str()).collect();
        rendered.sort_by_key(|(a, _)| order.iter().position(|o| o == a));
        Ok(rendered)
    }

    /// One CTE per derived-table view used.
    fn ctes(&self, joins: &[(String, String)]) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let aliases = std::iter::once(self.explore.name.as_str()).chain(joins.iter().map(|(a, _)| a.as_str()));
        for alias in aliases {
            if let Some(view) = self.view_of(alias) {
                if let ViewSource::DerivedSql(sql) = &view.source {
                    if seen.insert(view.name.clone()) {
                        out.push(format!("{} AS ({})", view.name, sql));
                    }
                }
            }
        }
        out
    }
}

fn from_expression(view: &View) -> String {
    match &view.source {
        ViewSource::Table(t) => t.clone(),
        ViewSource::DerivedSql(_) => view.name.clone(),
    }
}

fn table_expression(view: &View) -> String {
    match &view.source {
        ViewSource::Table(t) => t.clone(),
        ViewSource::DerivedSql(sql) => format!("({sql})"),
    }
}

fn column_info(t: Target) -> ColumnInfo {
    let view_label = if t.alias == t.view.name { t.view.label.clone() } else { title_case(t.alias) };
    let value_type = match t.field.kind {
        FieldKind::Measure(_) => ValueType::Number,
        FieldKind::Dimension(DimensionType::Number) => ValueType::Number,
        FieldKind::Dimension(DimensionType::String | DimensionType::YesNo) => ValueType::String,
        FieldKind::Dimension(DimensionType::Time(tf)) => match tf {
            Timeframe::Raw | Timeframe::Time => ValueType::DateTime,
            Timeframe::Date | Timeframe::Week => ValueType::Date,
            Timeframe::Month | Timeframe::Quarter => ValueType::String,
            Timeframe::Year => ValueType::Number,
        },
    };
    ColumnInfo {
        name: format!("{}.{}", t.alias, t.field.name),
        label: format!("{view_label} {}", t.field.label),
        view_label,
        field_label: t.field.label.clone(),
        is_measure: t.field.is_measure(),
        type_name: t.field.type_name(),
        value_type,
    }
}
