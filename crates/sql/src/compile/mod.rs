//! Compiles a [`QuerySpec`] against a [`Model`] into one SQL statement.
//!
//! Shape (Looker's): `SELECT dims, measures FROM base LEFT JOIN … WHERE dim filters GROUP BY
//! ordinals HAVING measure filters ORDER BY … LIMIT n`. Only the joins that the chosen fields,
//! filters and other joins' `sql_on` need are emitted. Measures on views whose rows a join fans
//! out are computed over distinct primary keys (`COUNT(DISTINCT pk)`, symmetric sum/average).

use std::collections::{BTreeSet, HashSet};

use jiff::civil::DateTime;
use semantic::{
    parse_references, title_case, Datatype, DimensionType, Explore, Field, FieldKind, FilterType, MeasureType, Model, ReferenceKind,
    Relationship, Timeframe, View, ViewSource,
};

use result::{ColumnInfo, ValueType};

use crate::dialect::{Calendar, Dialect, KeyedAggregate, Unsupported};
use crate::error::CompileError;
use crate::filter::{condition_in, FilterGrammar};
mod labels;
mod liquid_host;

use crate::query::{parse_sort, Limit, QuerySpec, SortDirection, TimeZones};
use labels::{number_literal, tier_labels};
use liquid_host::Host;

#[derive(Debug, Clone, PartialEq)]
pub struct CompiledQuery {
    pub sql: String,
    pub columns: Vec<ColumnInfo>,
    /// The connection named by the model.
    pub connection: String,
}

/// Compiles `spec`. `now` is the current time in the query's time zone, for relative date filters.
pub fn compile(model: &Model, spec: &QuerySpec, dialect: &dyn Dialect, now: DateTime) -> Result<CompiledQuery, CompileError> {
    compile_nested(model, spec, dialect, now, 0)
}

/// Native derived tables compile the query they read from; `depth` counts that nesting.
const MAX_DERIVED_DEPTH: usize = 8;

fn compile_nested(
    model: &Model,
    spec: &QuerySpec,
    dialect: &dyn Dialect,
    now: DateTime,
    depth: usize,
) -> Result<CompiledQuery, CompileError> {
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
    let spec = &with_explore_filters(explore, spec);
    // Which views a join repeats depends on the joins the query needs: a walk of the references
    // predicts them, so one build usually suffices; if the build needed other joins (Liquid can
    // hide references), it is done again with what it found.
    let predicted: Vec<String> =
        Compiler::new(model, explore, dialect, HashSet::new(), depth).joins_needed(&fields, spec).into_iter().collect();
    let fanned = fanned_out(explore, &predicted);
    let built = Compiler::new(model, explore, dialect, fanned.clone(), depth).build(&fields, spec, now)?;
    let actual = fanned_out(explore, &built.joined);
    let parts = if actual == fanned { built } else { Compiler::new(model, explore, dialect, actual, depth).build(&fields, spec, now)? };
    Ok(CompiledQuery { sql: parts.sql, columns: parts.columns, connection: model.connection.clone() })
}

/// The query's filters plus the explore's `always_filter` defaults (for fields the query does not
/// filter) and its `conditionally_filter` defaults (unless the query filters one of those fields
/// or of the `unless` fields).
fn with_explore_filters(explore: &Explore, spec: &QuerySpec) -> QuerySpec {
    let mut spec = spec.clone();
    let filtered = |spec: &QuerySpec, f: &str| spec.filters.iter().any(|(name, _)| name == f);
    for (field, value) in &explore.always_filter {
        if !filtered(&spec, field) {
            spec.filters.push((field.clone(), value.clone()));
        }
    }
    let conditional = explore.conditionally_filter.iter().map(|(f, _)| f).chain(&explore.conditionally_filter_unless);
    if !explore.conditionally_filter.is_empty() && !conditional.clone().any(|f| filtered(&spec, f)) {
        spec.filters.extend(explore.conditionally_filter.iter().cloned());
    }
    spec
}

/// Aliases whose rows the chosen joins repeat: a view reached through a many-to-one join is
/// repeated once per row on the many side; every view is repeated when some other join in the
/// query is one-to-many.
fn fanned_out(explore: &Explore, joined: &[String]) -> HashSet<String> {
    let joins: Vec<_> = joined.iter().filter_map(|a| explore.join(a)).collect();
    let mut out = HashSet::new();
    let aliases = std::iter::once(explore.base_alias.clone()).chain(joined.iter().cloned());
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
    /// "Now" in the query's time zone, for relative date filters (measure filters included).
    now: DateTime,
    /// How deep inside native derived tables this query is.
    depth: usize,
    /// The query being built, for Liquid (`_filters`, `_is_selected`, `{% condition %}` …).
    query: Option<&'a QuerySpec>,
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
    fn new(model: &'a Model, explore: &'a Explore, dialect: &'a dyn Dialect, fanned: HashSet<String>, depth: usize) -> Self {
        Compiler {
            model,
            explore,
            dialect,
            fanned,
            aliases: BTreeSet::new(),
            stack: Vec::new(),
            now: DateTime::default(),
            depth,
            query: None,
        }
    }

    fn view_of(&self, alias: &str) -> Option<&'a View> {
        self.explore.view_for_alias(alias).and_then(|v| self.model.views.get(v))
    }

    /// An alias of this explore (its own name or a join's) as the explore spells it, with its view.
    fn alias(&self, name: &str) -> Option<(&'a str, &'a View)> {
        let alias = if name == self.explore.base_alias { self.explore.base_alias.as_str() } else { self.explore.join(name)?.name.as_str() };
        Some((alias, self.view_of(alias)?))
    }

    fn resolve(&self, name: &'a str) -> Result<Target<'a>, CompileError> {
        let (alias, field) = name.split_once('.').ok_or_else(|| CompileError::MalformedFieldName { field: name.to_string() })?;
        let unknown = || CompileError::UnknownField { field: name.to_string(), explore: self.explore.name.clone() };
        let (alias, view) = self.alias(alias).ok_or_else(unknown)?;
        let field = view.field(field).ok_or_else(unknown)?;
        if !self.explore.exposes(alias, &field.name) {
            return Err(unknown());
        }
        Ok(Target { alias, view, field })
    }

    /// A field named by a measure's `filters:` (`status` in its own view, or `users.country`).
    fn resolve_relative(&self, t: Target<'a>, name: &str) -> Result<Target<'a>, CompileError> {
        let missing = || self.model_error(t, format!("its filter names `{name}`, which does not exist in explore `{}`", self.explore.name));
        let (alias, view) = match name.split_once('.') {
            Some((a, _)) => self.alias(a).ok_or_else(missing)?,
            None => (t.alias, t.view),
        };
        let short = name.rsplit('.').next().unwrap_or(name);
        let field = view.field(short).ok_or_else(missing)?;
        Ok(Target { alias, view, field })
    }

    /// The joins a query will need, from the references of its fields, filters and sorts
    /// (without writing any SQL); unresolvable names are left for the build to report.
    fn joins_needed(mut self, fields: &[&'a str], spec: &'a QuerySpec) -> BTreeSet<String> {
        let mut seen: HashSet<(String, String)> = HashSet::new();
        let mut todo: Vec<Target<'a>> = Vec::new();
        let names = fields.iter().copied().chain(spec.filters.iter().map(|(f, _)| f.as_str()));
        for name in names {
            if let Ok(t) = self.resolve(name) {
                todo.push(t);
            }
        }
        let base = self.model.views.get(&self.explore.base_view);
        let explore_sql = [&self.explore.sql_always_where, &self.explore.sql_always_having];
        if let Some(base) = base {
            for sql in explore_sql.into_iter().flatten() {
                self.push_references(sql, &self.explore.base_alias, base, &mut todo);
            }
        }
        for always in &self.explore.always_join {
            self.aliases.insert(always.clone());
        }
        while let Some(t) = todo.pop() {
            if !seen.insert((t.alias.to_string(), t.field.name.clone())) {
                continue;
            }
            if t.alias != self.explore.base_alias {
                self.aliases.insert(t.alias.to_string());
            }
            let f = t.field;
            for sql in f.sql_snippets() {
                self.push_references(sql, t.alias, t.view, &mut todo);
            }
            let related = f.filters.iter().map(|m| m.field.as_str()).chain(f.order_by_field.as_deref()).chain(f.list_field.as_deref());
            for name in related {
                let qualified = if name.contains('.') { name.to_string() } else { format!("{}.{name}", t.alias) };
                if let Ok(r) = self.resolve_relative(t, &qualified) {
                    todo.push(r);
                }
            }
            if let (FieldKind::Measure(_), Some(pk)) = (&f.kind, t.view.primary_key()) {
                todo.push(Target { alias: t.alias, view: t.view, field: pk });
            }
        }
        // Joins bring the joins their conditions name, and their required joins.
        let mut done: BTreeSet<String> = BTreeSet::new();
        while let Some(alias) = self.aliases.iter().find(|a| !done.contains(*a)).cloned() {
            done.insert(alias.clone());
            let Some(join) = self.explore.join(&alias) else { continue };
            for required in &join.required_joins {
                self.aliases.insert(required.clone());
            }
            if let (Some(on), Some(view)) = (&join.sql_on, self.view_of(&join.name)) {
                let mut refs = Vec::new();
                self.push_references(on, &join.name, view, &mut refs);
                for r in refs {
                    if r.alias != self.explore.base_alias {
                        self.aliases.insert(r.alias.to_string());
                    }
                }
            }
        }
        self.aliases
    }

    /// The fields `sql` refers to, written in the context of `alias`/`view`.
    fn push_references(&self, sql: &str, alias: &'a str, view: &'a View, out: &mut Vec<Target<'a>>) {
        let Ok(refs) = parse_references(sql) else { return };
        for r in refs {
            let ReferenceKind::Field { view: named, field } = r.kind else { continue };
            let (a, v) = match named {
                None => (alias, view),
                Some(name) => match self.alias(&name) {
                    Some(found) => found,
                    None => continue,
                },
            };
            if let Some(f) = v.field(&field) {
                out.push(Target { alias: a, view: v, field: f });
            }
        }
    }

    /// A dialect's refusal as the measure's compile error.
    fn supported(&self, t: Target, sql: Result<String, Unsupported>) -> Result<String, CompileError> {
        sql.map_err(|Unsupported(message)| self.model_error(t, message))
    }

    fn calendar(&self) -> Calendar {
        Calendar { week_start_day: self.model.week_start_day, fiscal_month_offset: self.model.fiscal_month_offset }
    }

    fn model_error(&self, t: Target, message: impl Into<String>) -> CompileError {
        CompileError::Model { what: format!("field `{}.{}`", t.alias, t.field.name), message: message.into() }
    }

    /// Replaces every `${…}` in `sql`, written in the context of `alias`/`view`.
    fn expand(&mut self, sql: &str, alias: &'a str, view: &'a View, in_measure: bool, what: &str) -> Result<String, CompileError> {
        let rendered = self.render_liquid(sql, alias, view, what)?;
        let sql = rendered.as_str();
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
                    out.push_str(&self.table_expression(target)?);
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
        if t.alias != self.explore.base_alias {
            self.aliases.insert(t.alias.to_string());
        }
        Ok(())
    }

    /// The dimension's SQL with references expanded, before any timeframe or yes/no shaping; time
    /// fields come back as timestamps whatever their `datatype`.
    fn dimension_base(&mut self, t: Target<'a>) -> Result<String, CompileError> {
        if let FieldKind::Dimension(DimensionType::Duration(interval)) = &t.field.kind {
            let interval = *interval;
            self.enter(t)?;
            let what = format!("field `{}.{}`", t.alias, t.field.name);
            let missing = || CompileError::Model { what: what.clone(), message: "a duration needs `sql_start` and `sql_end`".into() };
            let start = t.field.sql_start.as_deref().ok_or_else(missing)?;
            let end = t.field.sql_end.as_deref().ok_or_else(missing)?;
            let start = self.expand(start, t.alias, t.view, false, &what)?;
            let end = self.expand(end, t.alias, t.view, false, &what)?;
            self.stack.pop();
            let (start, end) = (self.dialect.to_timestamp(t.field.datatype, &start), self.dialect.to_timestamp(t.field.datatype, &end));
            return Ok(self.dialect.duration(interval, &start, &end));
        }
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
        match &t.field.kind {
            FieldKind::Dimension(DimensionType::Time(tf)) => {
                let ts = self.dialect.to_timestamp(t.field.datatype, &expr?);
                // Looker converts time values to the query's zone, except `raw`, dates and
                // fields with `convert_tz: no`.
                let zones = self.query.and_then(|q| q.time_zones.as_ref()).filter(|z| z.database != z.query);
                match zones {
                    Some(z)
                        if t.field.convert_tz
                            && *tf != Timeframe::Raw
                            && !matches!(t.field.datatype, Datatype::Date | Datatype::Yyyymmdd) =>
                    {
                        self.supported(t, self.dialect.convert_tz(&ts, &z.database, &z.query))
                    }
                    _ => Ok(ts),
                }
            }
            _ => expr,
        }
    }

    /// What `${dimension}` means elsewhere: the timeframe expression, or a yesno's condition.
    fn dimension_value(&mut self, t: Target<'a>) -> Result<String, CompileError> {
        if let FieldKind::Dimension(DimensionType::Case { whens, otherwise, .. }) = &t.field.kind {
            self.enter(t)?;
            let what = format!("field `{}.{}`", t.alias, t.field.name);
            let mut sql = String::from("CASE");
            for (condition, label) in whens {
                let condition = self.expand(condition, t.alias, t.view, false, &what)?;
                sql.push_str(&format!(" WHEN {condition} THEN {}", self.dialect.string_literal(label)));
            }
            if let Some(label) = otherwise {
                sql.push_str(&format!(" ELSE {}", self.dialect.string_literal(label)));
            }
            sql.push_str(" END");
            self.stack.pop();
            return Ok(sql);
        }
        if let FieldKind::Dimension(DimensionType::Location { latitude, longitude }) = &t.field.kind {
            self.enter(t)?;
            let what = format!("field `{}.{}`", t.alias, t.field.name);
            let lat = self.expand(latitude, t.alias, t.view, false, &what)?;
            let long = self.expand(longitude, t.alias, t.view, false, &what)?;
            self.stack.pop();
            return Ok(self.dialect.concat(&[lat, "','".to_string(), long]));
        }
        let base = self.dimension_base(t)?;
        Ok(match &t.field.kind {
            FieldKind::Dimension(DimensionType::Time(tf)) => self.dialect.timeframe(*tf, &base, self.calendar()),
            FieldKind::Dimension(DimensionType::Tier { tiers, style }) => {
                let labels = tier_labels(tiers, *style);
                let mut sql = format!("CASE WHEN ({base}) IS NULL THEN {}", self.dialect.string_literal("Undefined"));
                for (tier, label) in tiers.iter().zip(&labels) {
                    sql.push_str(&format!(" WHEN ({base}) < {} THEN {}", number_literal(*tier), self.dialect.string_literal(label)));
                }
                let last = labels.last().cloned().unwrap_or_default();
                sql.push_str(&format!(" ELSE {} END", self.dialect.string_literal(&last)));
                sql
            }
            _ => base,
        })
    }

    /// The measure filters of `t` as one condition, or `None` when it has none.
    fn measure_condition(&mut self, t: Target<'a>, now: Option<DateTime>) -> Result<Option<String>, CompileError> {
        if t.field.filters.is_empty() {
            return Ok(None);
        }
        let now = now.unwrap_or(self.now);
        let mut parts = Vec::new();
        for filter in &t.field.filters {
            let target = self.resolve_relative(t, &filter.field)?;
            if let Some(sql) = self
                .filter_on(target, &filter.value, now)
                .map_err(|message| self.model_error(t, format!("filter `{}: \"{}\"`: {message}", filter.field, filter.value)))?
            {
                parts.push(sql);
            }
        }
        Ok(match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(format!("({})", parts.join(" AND "))),
        })
    }

    fn measure(&mut self, t: Target<'a>) -> Result<String, CompileError> {
        let FieldKind::Measure(kind) = t.field.kind else { return self.dimension_value(t) };
        if kind.is_post_query() {
            return Err(self.model_error(
                t,
                format!(
                    "a {} measure is computed over the returned rows; it cannot be filtered or referred to by other fields",
                    kind.name()
                ),
            ));
        }
        self.enter(t)?;
        let what = format!("measure `{}.{}`", t.alias, t.field.name);
        let value = match &t.field.sql {
            Some(sql) => Some(self.expand(sql, t.alias, t.view, kind.is_non_aggregate(), &what)?),
            None => None,
        };
        let condition = self.measure_condition(t, None)?;
        // A filtered measure aggregates only the rows its filters keep.
        let only = |v: &str| match &condition {
            Some(c) => format!("CASE WHEN {c} THEN {v} ELSE NULL END"),
            None => v.to_string(),
        };
        let fanned = self.fanned.contains(t.alias);
        // The primary key's SQL, only where the measure needs it.
        let needs_key =
            fanned || kind.is_distinct_keyed() || (kind == MeasureType::Count && value.is_none() && t.alias != self.explore.base_alias);
        let key = match t.view.primary_key().filter(|_| needs_key) {
            Some(pk) => Some(self.dimension_value(Target { alias: t.alias, view: t.view, field: pk })?),
            None => None,
        };
        let distinct_key = match &t.field.sql_distinct_key {
            Some(sql) if kind.is_distinct_keyed() => Some(self.expand(sql, t.alias, t.view, false, &what)?),
            _ => key.clone(),
        };
        let need_key = |c: &Self| -> Result<String, CompileError> {
            key.clone().ok_or_else(|| c.model_error(t, format!("view `{}` needs a `primary_key: yes` dimension: a join in this query repeats its rows, and a {} over repeated rows would be wrong", t.view.name, kind.name())))
        };
        let need_distinct_key = |c: &Self| -> Result<String, CompileError> {
            distinct_key.clone().ok_or_else(|| {
                c.model_error(t, format!("a {} measure needs `sql_distinct_key` or a primary key in view `{}`", kind.name(), t.view.name))
            })
        };
        let value_or = |c: &Self| value.clone().ok_or_else(|| c.model_error(t, format!("a {} measure needs `sql:`", kind.name())));
        let d = self.dialect;
        let sql = match kind {
            MeasureType::Count if fanned => format!("COUNT(DISTINCT {})", only(&need_key(self)?)),
            MeasureType::Count => match (&value, &key, &condition) {
                (Some(v), _, _) => format!("COUNT({})", only(v)),
                (None, Some(k), _) if t.alias != self.explore.base_alias => format!("COUNT({})", only(k)),
                (None, _, Some(_)) => format!("COUNT({})", only("1")),
                _ => "COUNT(*)".to_string(),
            },
            MeasureType::CountDistinct => format!("COUNT(DISTINCT {})", only(&value_or(self)?)),
            MeasureType::Sum if fanned => {
                self.supported(t, d.keyed_aggregate(KeyedAggregate::Sum, &only(&value_or(self)?), &need_key(self)?))?
            }
            MeasureType::Sum => format!("COALESCE(SUM({}), 0)", only(&value_or(self)?)),
            MeasureType::Average if fanned => {
                self.supported(t, d.keyed_aggregate(KeyedAggregate::Average, &only(&value_or(self)?), &need_key(self)?))?
            }
            MeasureType::Average => format!("AVG({})", only(&value_or(self)?)),
            MeasureType::Median if fanned => {
                self.supported(t, d.keyed_aggregate(KeyedAggregate::Median, &only(&value_or(self)?), &need_key(self)?))?
            }
            MeasureType::Median => self.supported(t, d.median(&only(&value_or(self)?)))?,
            MeasureType::Percentile(p) if fanned => {
                self.supported(t, d.keyed_aggregate(KeyedAggregate::Percentile(p / 100.0), &only(&value_or(self)?), &need_key(self)?))?
            }
            MeasureType::Percentile(p) => self.supported(t, d.percentile(&only(&value_or(self)?), p / 100.0))?,
            MeasureType::SumDistinct => {
                self.supported(t, d.keyed_aggregate(KeyedAggregate::Sum, &only(&value_or(self)?), &need_distinct_key(self)?))?
            }
            MeasureType::AverageDistinct => {
                self.supported(t, d.keyed_aggregate(KeyedAggregate::Average, &only(&value_or(self)?), &need_distinct_key(self)?))?
            }
            MeasureType::MedianDistinct => {
                self.supported(t, d.keyed_aggregate(KeyedAggregate::Median, &only(&value_or(self)?), &need_distinct_key(self)?))?
            }
            MeasureType::PercentileDistinct(p) => self.supported(
                t,
                d.keyed_aggregate(KeyedAggregate::Percentile(p / 100.0), &only(&value_or(self)?), &need_distinct_key(self)?),
            )?,
            MeasureType::Min => format!("MIN({})", only(&value_or(self)?)),
            MeasureType::Max => format!("MAX({})", only(&value_or(self)?)),
            MeasureType::List => {
                let name = t.field.list_field.as_deref().ok_or_else(|| self.model_error(t, "a list measure needs `list_field:`"))?;
                let listed = t.view.field(name).ok_or_else(|| self.model_error(t, format!("`list_field: {name}` does not exist")))?;
                let listed = self.dimension_value(Target { alias: t.alias, view: t.view, field: listed })?;
                d.list(&only(&listed))
            }
            MeasureType::Number | MeasureType::Date | MeasureType::String => value_or(self)?,
            MeasureType::YesNo => format!("CASE WHEN {} THEN 'Yes' ELSE 'No' END", value_or(self)?),
            MeasureType::RunningTotal | MeasureType::PercentOfTotal | MeasureType::PercentOfPrevious => unreachable!("refused above"),
        };
        self.stack.pop();
        Ok(sql)
    }

    fn select_expression(&mut self, t: Target<'a>) -> Result<String, CompileError> {
        match t.field.kind {
            FieldKind::Measure(_) => self.measure(t),
            FieldKind::Dimension(DimensionType::YesNo | DimensionType::Time(Timeframe::YesNo)) => {
                let c = self.dimension_value(t)?;
                Ok(format!("CASE WHEN {c} THEN 'Yes' ELSE 'No' END"))
            }
            FieldKind::Dimension(_) => self.dimension_value(t),
            FieldKind::Filter(_) | FieldKind::Parameter(_) => {
                Err(CompileError::NotSelectable { field: format!("{}.{}", t.alias, t.field.name) })
            }
        }
    }

    fn filter(&mut self, name: &'a str, value: &str, now: DateTime) -> Result<Option<(bool, String)>, CompileError> {
        let t = self.resolve(name)?;
        match &t.field.kind {
            // Read by `{% parameter %}` and `{% condition %}`; a filter field with `sql` adds it.
            FieldKind::Parameter(_) => return Ok(None),
            FieldKind::Filter(_) => {
                let Some(sql) = &t.field.sql else { return Ok(None) };
                let what = format!("filter `{}.{}`", t.alias, t.field.name);
                return match self.expand(sql, t.alias, t.view, false, &what) {
                    Ok(condition) => Ok(Some((false, format!("({condition})")))),
                    Err(_) => Ok(Some((true, format!("({})", self.expand(sql, t.alias, t.view, true, &what)?)))),
                };
            }
            _ => {}
        }
        let sql = self.filter_on(t, value, now).map_err(|message| CompileError::InvalidFilter { field: name.to_string(), message })?;
        Ok(sql.map(|s| (t.field.is_measure(), s)))
    }

    /// The condition for a filter expression on `t`, in the grammar its type uses.
    fn filter_on(&mut self, t: Target<'a>, value: &str, now: DateTime) -> Result<Option<String>, String> {
        let compiled = |e: CompileError| e.to_string();
        let (grammar, expr) = match &t.field.kind {
            FieldKind::Measure(MeasureType::String | MeasureType::List) => (FilterGrammar::String, self.measure(t).map_err(compiled)?),
            FieldKind::Measure(MeasureType::YesNo) => {
                let v = t.field.sql.clone().unwrap_or_default();
                let what = format!("measure `{}.{}`", t.alias, t.field.name);
                (FilterGrammar::YesNo, self.expand(&v, t.alias, t.view, true, &what).map_err(compiled)?)
            }
            FieldKind::Measure(MeasureType::Date) => (FilterGrammar::Date, self.measure(t).map_err(compiled)?),
            FieldKind::Measure(_) => (FilterGrammar::Number, self.measure(t).map_err(compiled)?),
            FieldKind::Dimension(
                DimensionType::String | DimensionType::Zipcode | DimensionType::Case { .. } | DimensionType::Tier { .. },
            ) => (FilterGrammar::String, self.dimension_value(t).map_err(compiled)?),
            FieldKind::Dimension(DimensionType::Number | DimensionType::Duration(_)) => {
                (FilterGrammar::Number, self.dimension_value(t).map_err(compiled)?)
            }
            FieldKind::Dimension(DimensionType::YesNo) => (FilterGrammar::YesNo, self.dimension_value(t).map_err(compiled)?),
            FieldKind::Dimension(DimensionType::Time(Timeframe::YesNo)) => {
                (FilterGrammar::YesNo, self.dimension_value(t).map_err(compiled)?)
            }
            FieldKind::Dimension(DimensionType::Time(tf)) if tf.is_numeric_part() || *tf == Timeframe::FiscalYear => {
                (FilterGrammar::Number, self.dimension_value(t).map_err(compiled)?)
            }
            FieldKind::Dimension(DimensionType::Time(
                Timeframe::DayOfWeek
                | Timeframe::MonthName
                | Timeframe::QuarterOfYear
                | Timeframe::FiscalQuarterOfYear
                | Timeframe::FiscalQuarter
                | Timeframe::TimeOfDay,
            )) => (FilterGrammar::String, self.dimension_value(t).map_err(compiled)?),
            FieldKind::Dimension(DimensionType::Time(_)) => (FilterGrammar::Date, self.dimension_base(t).map_err(compiled)?),
            FieldKind::Filter(_) | FieldKind::Parameter(_) => {
                return Err(format!("`{}.{}` is a filter-only field", t.alias, t.field.name));
            }
            FieldKind::Dimension(DimensionType::Location { .. }) => {
                return Err("location filters (distances, boxes) are not supported yet".into());
            }
        };
        condition_in(self.with_case(t, grammar), &expr, value, self.dialect, now, self.calendar())
    }

    /// String filters match without case where `case_sensitive: no` says so.
    fn with_case(&self, t: Target, grammar: FilterGrammar) -> FilterGrammar {
        let case_sensitive = t.field.case_sensitive.or(self.explore.case_sensitive).or(self.model.case_sensitive).unwrap_or(true);
        if grammar == FilterGrammar::String && !case_sensitive {
            FilterGrammar::StringIgnoringCase
        } else {
            grammar
        }
    }

    /// The grammar a templated filter (`{% condition f %}`) applies for `f`.
    fn template_grammar(&self, t: Target) -> FilterGrammar {
        let grammar = match &t.field.kind {
            FieldKind::Filter(FilterType::String) => FilterGrammar::String,
            FieldKind::Filter(FilterType::Number) => FilterGrammar::Number,
            FieldKind::Filter(FilterType::Date) => FilterGrammar::Date,
            FieldKind::Filter(FilterType::YesNo) => FilterGrammar::YesNo,
            FieldKind::Dimension(DimensionType::Number | DimensionType::Duration(_)) | FieldKind::Measure(_) => FilterGrammar::Number,
            FieldKind::Dimension(DimensionType::YesNo | DimensionType::Time(Timeframe::YesNo)) => FilterGrammar::YesNo,
            FieldKind::Dimension(DimensionType::Time(tf)) if tf.is_numeric_part() || *tf == Timeframe::FiscalYear => FilterGrammar::Number,
            FieldKind::Dimension(DimensionType::Time(tf)) if tf.is_span() && *tf != Timeframe::FiscalQuarter => FilterGrammar::Date,
            _ => FilterGrammar::String,
        };
        self.with_case(t, grammar)
    }

    /// The query's filter value on `name`, if it has one.
    fn query_filter(&self, name: &str) -> Option<&'a str> {
        self.query?.filters.iter().find(|(f, _)| f == name).map(|(_, v)| v.as_str())
    }

    /// Renders the Liquid in `sql` (written in the context of `alias`/`view`), if any.
    fn render_liquid(&mut self, sql: &str, alias: &'a str, view: &'a View, what: &str) -> Result<String, CompileError> {
        if !semantic::liquid::has_liquid(sql) {
            return Ok(sql.to_string());
        }
        let liquid_error = |message: String| CompileError::Model { what: what.to_string(), message: format!("Liquid: {message}") };
        let template = semantic::liquid::parse_liquid(sql).map_err(|e| liquid_error(e.message))?;
        let mut host = Host { compiler: self, alias, view };
        crate::liquid::render(&template, &mut host).map_err(liquid_error)
    }

    fn build(mut self, fields: &[&'a str], spec: &'a QuerySpec, now: DateTime) -> Result<Built, CompileError> {
        self.now = now;
        self.query = Some(spec);
        for always in &self.explore.always_join {
            self.aliases.insert(always.clone());
        }
        let targets = fields.iter().map(|f| self.resolve(f)).collect::<Result<Vec<_>, _>>()?;
        if let Some(t) = targets.iter().find(|t| t.field.is_filter_only()) {
            return Err(CompileError::NotSelectable { field: format!("{}.{}", t.alias, t.field.name) });
        }
        let mut selects = Vec::new();
        let mut select_exprs = Vec::new();
        let mut columns = Vec::new();
        // Post-query measures: the measure they run over is selected under a hidden name, and an
        // outer query computes them over the returned rows.
        let mut post: Vec<Option<(MeasureType, String)>> = Vec::new();
        for (i, (name, t)) in fields.iter().zip(&targets).enumerate() {
            let (expr, alias, post_kind) = match t.field.kind {
                FieldKind::Measure(kind) if kind.is_post_query() => {
                    let what = format!("measure `{}.{}`", t.alias, t.field.name);
                    let sql =
                        t.field.sql.as_deref().ok_or_else(|| self.model_error(*t, format!("a {} measure needs `sql:`", kind.name())))?;
                    self.enter(*t)?;
                    let source = self.expand(sql, t.alias, t.view, true, &what)?;
                    self.stack.pop();
                    (source, format!("__post_{i}"), Some(kind))
                }
                _ => (self.select_expression(*t)?, name.to_string(), None),
            };
            selects.push(format!("    {expr} AS {}", self.dialect.quote_alias(&alias)));
            select_exprs.push(expr);
            post.push(post_kind.map(|k| (k, alias)));
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
        let explore_what = format!("explore `{}`", self.explore.name);
        if let Some(sql) = &self.explore.sql_always_where {
            let base = self.base_view()?;
            wheres.push(format!("({})", self.expand(sql, &self.explore.base_alias, base, false, &explore_what)?));
        }
        if let Some(sql) = &self.explore.sql_always_having {
            let base = self.base_view()?;
            havings.push(format!("({})", self.expand(sql, &self.explore.base_alias, base, true, &explore_what)?));
        }
        let mut order = self.order_by(fields, &targets, &spec.sorts)?;
        // `order_by_field`: sort on the other field, selected under a hidden name at the end (so
        // that it is grouped too; result rows keep only the query's own columns).
        let mut hidden_dims = Vec::new();
        for (i, key, _) in order.iter_mut() {
            let t = targets[*i];
            let Some(other) = &t.field.order_by_field else { continue };
            let by = if other.contains('.') {
                self.resolve_relative(t, other)?
            } else {
                self.resolve_relative(t, &format!("{}.{other}", t.alias))?
            };
            let expr = self.select_expression(by)?;
            selects.push(format!("    {expr} AS {}", self.dialect.quote_alias(&format!("__order_by_{i}"))));
            select_exprs.push(expr.clone());
            if !by.field.is_measure() {
                hidden_dims.push(selects.len());
            }
            *key = Some(expr);
        }
        if let Some(i) = order.iter().map(|(i, _, _)| *i).find(|i| post[*i].is_some()) {
            return Err(CompileError::InvalidSort {
                sort: fields[i].to_string(),
                message: "a measure computed over the returned rows cannot be sorted on".into(),
            });
        }
        let has_post = post.iter().any(Option::is_some);
        if has_post {
            let window: Vec<String> = order
                .iter()
                .map(|(i, key, desc)| {
                    format!("{}{}", key.clone().unwrap_or_else(|| select_exprs[*i].clone()), if *desc { " DESC" } else { "" })
                })
                .collect();
            let over = if window.is_empty() { String::new() } else { format!("ORDER BY {}", window.join(", ")) };
            selects.push(format!("    ROW_NUMBER() OVER ({over}) AS {}", self.dialect.quote_alias("__row")));
        }
        let order: Vec<String> = order
            .iter()
            .map(|(i, key, desc)| format!("{}{}", key.clone().unwrap_or_else(|| (i + 1).to_string()), if *desc { " DESC" } else { "" }))
            .collect();
        let joins = self.joins()?;
        let mut sql = String::new();
        let ctes = self.ctes(&joins)?;
        if !ctes.is_empty() {
            sql.push_str("WITH ");
            sql.push_str(&ctes.join(",\n"));
            sql.push('\n');
        }
        sql.push_str("SELECT\n");
        sql.push_str(&selects.join(",\n"));
        let base = self.base_view()?;
        sql.push_str(&format!("\nFROM {} AS {}", self.table_reference(base)?, self.explore.base_alias));
        for (_, clause) in &joins {
            sql.push('\n');
            sql.push_str(clause);
        }
        if !wheres.is_empty() {
            sql.push_str(&format!("\nWHERE {}", wheres.join("\n  AND ")));
        }
        let dims: Vec<String> = targets
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.field.is_measure())
            .map(|(i, _)| i + 1)
            .chain(hidden_dims)
            .map(|i| i.to_string())
            .collect();
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
        if has_post {
            sql = self.post_query(&sql, fields, &post);
        }
        Ok(Built { sql, columns, joined: joins.into_iter().map(|(a, _)| a).collect() })
    }

    /// Wraps the query to compute post-query measures over its rows, in its order.
    fn post_query(&self, inner: &str, fields: &[&str], post: &[Option<(MeasureType, String)>]) -> String {
        let q = |name: &str| format!("q.{}", self.dialect.quote_alias(name));
        let row = q("__row");
        let mut outer = Vec::new();
        for (name, post) in fields.iter().zip(post) {
            let expr = match post {
                None => q(name),
                Some((kind, source)) => {
                    let v = q(source);
                    match kind {
                        MeasureType::RunningTotal => {
                            format!("SUM({v}) OVER (ORDER BY {row} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)")
                        }
                        MeasureType::PercentOfTotal => format!("100.0 * {v} / NULLIF(SUM({v}) OVER (), 0)"),
                        _ => {
                            let previous = format!("LAG({v}) OVER (ORDER BY {row})");
                            format!("100.0 * ({v} - {previous}) / NULLIF({previous}, 0)")
                        }
                    }
                }
            };
            outer.push(format!("    {expr} AS {}", self.dialect.quote_alias(name)));
        }
        // CTEs stay at the top: the inner query is everything after them.
        let (ctes, body) = match inner.strip_prefix("WITH ") {
            Some(_) => match inner.find("\nSELECT\n") {
                Some(at) => (&inner[..at + 1], &inner[at + 1..]),
                None => ("", inner),
            },
            None => ("", inner),
        };
        format!("{ctes}SELECT\n{}\nFROM (\n{body}\n) AS q\nORDER BY {row}", outer.join(",\n"))
    }

    fn base_view(&self) -> Result<&'a View, CompileError> {
        self.model.views.get(&self.explore.base_view).ok_or_else(|| CompileError::Model {
            what: format!("explore `{}`", self.explore.name),
            message: format!("view `{}` does not exist", self.explore.base_view),
        })
    }

    /// The sort as (column index, key expression when not the column itself, descending).
    fn order_by(
        &mut self,
        fields: &[&str],
        targets: &[Target<'a>],
        sorts: &[String],
    ) -> Result<Vec<(usize, Option<String>, bool)>, CompileError> {
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
            let key = self.sort_key(targets[i])?;
            order.push((i, key, direction == SortDirection::Desc));
        }
        if order.is_empty() {
            // Looker's default: the first time dimension descending, else the first measure
            // descending, else the first dimension ascending.
            let is_time = |t: &Target| matches!(t.field.kind, FieldKind::Dimension(DimensionType::Time(tf)) if tf != Timeframe::Raw);
            let is_post = |t: &Target| t.field.measure_type().is_some_and(MeasureType::is_post_query);
            if let Some(i) = targets.iter().position(is_time) {
                order.push((i, None, true));
            } else if let Some(i) = targets.iter().position(|t| t.field.is_measure() && !is_post(t)) {
                order.push((i, None, true));
            } else if !is_post(&targets[0]) {
                order.push((0, self.sort_key(targets[0])?, false));
            }
        }
        Ok(order)
    }

    /// What to sort a column by when not by itself: for `case` and `tier` dimensions, the position
    /// of its label in declaration order (as Looker's hidden sort column does).
    fn sort_key(&mut self, t: Target<'a>) -> Result<Option<String>, CompileError> {
        let labels: Vec<String> = match &t.field.kind {
            FieldKind::Dimension(DimensionType::Case { whens, otherwise, alpha_sort: false }) => {
                whens.iter().map(|(_, l)| l.clone()).chain(otherwise.clone()).collect()
            }
            FieldKind::Dimension(DimensionType::Tier { tiers, style }) => tier_labels(tiers, *style),
            _ => return Ok(None),
        };
        let expr = self.dimension_value(t)?;
        let mut sql = format!("CASE {expr}");
        for (n, label) in labels.iter().enumerate() {
            sql.push_str(&format!(" WHEN {} THEN {n}", self.dialect.string_literal(label)));
        }
        sql.push_str(&format!(" ELSE {} END", labels.len()));
        Ok(Some(sql))
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
                for required in &join.required_joins {
                    self.aliases.insert(required.clone());
                }
                let mut clause = format!("{} {} AS {}", join.join_type.sql_keyword(), self.table_reference(view)?, join.name);
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
    fn ctes(&self, joins: &[(String, String)]) -> Result<Vec<String>, CompileError> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let aliases = std::iter::once(self.explore.base_alias.as_str()).chain(joins.iter().map(|(a, _)| a.as_str()));
        for alias in aliases {
            if let Some(view) = self.view_of(alias) {
                if let Some(sql) = self.derived_sql(view)? {
                    if seen.insert(view.name.clone()) {
                        out.push(format!("{} AS ({})", view.name, sql));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The SQL of a derived table: its own (with `${view.SQL_TABLE_NAME}` expanded), or the
    /// compiled query of a native one; `None` for a plain table.
    fn derived_sql(&self, view: &View) -> Result<Option<String>, CompileError> {
        let view = self.model.views.get(&view.name).unwrap_or(view);
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
                Ok(Some(out))
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
                };
                let inner = compile_nested(self.model, &spec, self.dialect, self.now, self.depth + 1)
                    .map_err(|e| CompileError::Model { what: what(), message: e.to_string() })?;
                let columns: Vec<String> =
                    native.columns.iter().map(|(name, field)| format!("q.{} AS {name}", self.dialect.quote_alias(field))).collect();
                let mut sql = format!("SELECT {} FROM ({}) AS q", columns.join(", "), inner.sql);
                if !native.derived_columns.is_empty() {
                    let derived: Vec<String> = native.derived_columns.iter().map(|(name, expr)| format!("({expr}) AS {name}")).collect();
                    sql = format!("SELECT c.*, {} FROM ({sql}) AS c", derived.join(", "));
                }
                Ok(Some(sql))
            }
        }
    }

    /// Liquid in a derived table's SQL or a `sql_table_name`, rendered for this query.
    fn render_derived(&self, sql: &str, view: &View) -> Result<String, CompileError> {
        if !semantic::liquid::has_liquid(sql) {
            return Ok(sql.to_string());
        }
        let Some(view) = self.model.views.get(&view.name) else { return Ok(sql.to_string()) };
        // Rendering needs the compiler mutably (templated filters compile filters); a copy with
        // the same query does the work.
        let mut copy = Compiler::new(self.model, self.explore, self.dialect, self.fanned.clone(), self.depth);
        copy.now = self.now;
        copy.query = self.query;
        let alias = self.explore.view_for_alias(&view.name).map(|_| view.name.as_str()).unwrap_or(view.name.as_str());
        copy.render_liquid(sql, alias, view, &format!("derived table `{}`", view.name))
    }

    fn table_expression(&self, view: &View) -> Result<String, CompileError> {
        Ok(match self.derived_sql(view)? {
            Some(sql) => format!("({sql})"),
            None => self.table_reference(view)?,
        })
    }

    /// What a FROM or JOIN names for a view: its table (Liquid rendered) or its CTE.
    fn table_reference(&self, view: &View) -> Result<String, CompileError> {
        match &view.source {
            ViewSource::Table(t) => self.render_derived(t, view),
            ViewSource::DerivedSql(_) | ViewSource::Native(_) => Ok(view.name.clone()),
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

fn column_info(t: Target) -> ColumnInfo {
    let view_label = if t.alias == t.view.name { t.view.label.clone() } else { title_case(t.alias) };
    let value_type = match &t.field.kind {
        FieldKind::Measure(MeasureType::String | MeasureType::List | MeasureType::YesNo) => ValueType::String,
        FieldKind::Measure(MeasureType::Date) => ValueType::DateTime,
        FieldKind::Measure(_) => ValueType::Number,
        FieldKind::Filter(_) | FieldKind::Parameter(_) => ValueType::String,
        FieldKind::Dimension(DimensionType::Number | DimensionType::Duration(_)) => ValueType::Number,
        FieldKind::Dimension(
            DimensionType::String
            | DimensionType::YesNo
            | DimensionType::Zipcode
            | DimensionType::Case { .. }
            | DimensionType::Tier { .. }
            | DimensionType::Location { .. },
        ) => ValueType::String,
        FieldKind::Dimension(DimensionType::Time(tf)) => match tf {
            Timeframe::Raw
            | Timeframe::Time
            | Timeframe::HourN(_)
            | Timeframe::MinuteN(_)
            | Timeframe::Second
            | Timeframe::Millisecond
            | Timeframe::Microsecond => ValueType::DateTime,
            Timeframe::Date | Timeframe::Week => ValueType::Date,
            tf if tf.value_is_number() => ValueType::Number,
            _ => ValueType::String,
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
