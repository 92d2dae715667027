//! Compiles a [`QuerySpec`] against a [`Model`] into one SQL statement.
//!
//! Shape (Looker's): `SELECT dims, measures FROM base LEFT JOIN … WHERE dim filters GROUP BY
//! ordinals HAVING measure filters ORDER BY … LIMIT n`. Only the joins that the chosen fields,
//! filters and other joins' `sql_on` need are emitted. Measures on views whose rows a join fans
//! out are computed over distinct primary keys (`COUNT(DISTINCT pk)`, symmetric sum/average).

use std::borrow::Cow;
use std::collections::BTreeSet;

use jiff::civil::DateTime;
use semantic::{
    parse_references, title_case, Datatype, DimensionType, Explore, Field, FieldKind, FilterType, MeasureType, Model, ReferenceKind,
    Relationship, Timeframe, View,
};

use result::{ColumnInfo, ValueType};

use crate::custom;
use crate::dialect::{Calendar, Dialect, KeyedAggregate, Unsupported};
use crate::error::CompileError;
use crate::filter::{condition_in, FilterGrammar};
mod derived;
mod fill;
mod labels;
mod liquid_host;
mod persistent;
mod shape;
mod statement;

use crate::query::QuerySpec;
use crate::tree::{self, Name, Statement};
use labels::{number_literal, tier_labels};
use liquid_host::Host;
pub use shape::{PIVOT_COLUMN, PIVOT_COUNT};

pub use persistent::{derived_table_sql, derived_tables_read};
use statement::Plan;

/// A query ready to run: its statement, printed for the dialect, and the columns it returns.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledQuery {
    pub sql: String,
    /// The query's own columns, in order. A pivoted query's rows carry two more columns after
    /// them, [`PIVOT_COLUMN`] and [`PIVOT_COUNT`], which the caller reshapes by.
    pub columns: Vec<ColumnInfo>,
    pub statement: Statement,
    /// The connection named by the model.
    pub connection: String,
    /// Positions (in `columns`) of the pivoted dimensions; empty when not pivoted.
    pub pivots: Vec<usize>,
    /// The totals query (`total: true`), when the query has measures to total.
    pub totals: Option<Companion>,
    /// The row-totals query of a pivoted query (`row_total`).
    pub row_totals: Option<Companion>,
    /// Dimensions to fill in on the returned rows (`fill_fields`), and how the result is then
    /// ordered.
    pub fills: Vec<FillPlan>,
    pub fill_order: FillOrder,
    /// Table calculations to evaluate on the returned rows, checked against its fields, value
    /// formats resolved.
    pub table_calcs: Vec<present::TableCalc>,
    /// Vis options that shape the table (`apply_vis`), set by the caller after compiling.
    pub vis: Option<present::VisOptions>,
    /// Sorts to apply to the returned rows, in order, when one names a table calculation:
    /// (field or calculation, descending).
    pub calc_sorts: Vec<present::table_calc::RowSort>,
    /// The query's row limit (set with table calculations: rows sorted by one must all be there).
    pub row_limit: Option<u64>,
    /// `row_total: left`: tables show row totals before the pivot columns.
    pub row_total_left: bool,
    /// The explore's `sql_preamble`, run on the session of each statement above before it.
    pub preamble: Option<String>,
    /// One query per subtotal level, shallowest first.
    pub subtotals: Vec<SubtotalPlan>,
    /// Compiled for nobody (no user attributes) although the explore's access filters or the
    /// model's Liquid read them: fit to check a query, never to run it.
    pub needs_user: bool,
}

/// The subtotal rows of one level: the measures grouped by the first `depth` unpivoted
/// dimensions (and the pivots).
#[derive(Debug, Clone, PartialEq)]
pub struct SubtotalPlan {
    /// 1 for subtotals of the first unpivoted dimension, 2 for the first two, …
    pub depth: usize,
    /// Positions (in `columns`) of the dimensions the rows are grouped by, pivots excluded.
    pub grouped: Vec<usize>,
    /// Its columns are the grouped dimensions, the pivots and the measures, in query order.
    pub companion: Companion,
    /// A pivoted query's row totals of the level (`row_total`): the grouped dimensions and the
    /// measures.
    pub row_totals: Option<Companion>,
}

/// One dimension to fill in, and where its values go.
#[derive(Debug, Clone, PartialEq)]
pub struct FillPlan {
    /// Its position in `columns`.
    pub column: usize,
    pub fill: result::fill::Fill,
    /// Whether it is a pivot (filled as pivot columns) rather than one of the rows' dimensions.
    pub pivoted: bool,
}

/// How filled rows and pivot columns are ordered: the query's leading sorts on the rows'
/// dimensions and on its pivots, as (position in `columns`, descending).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FillOrder {
    pub rows: Vec<(usize, bool)>,
    pub pivots: Vec<(usize, bool)>,
}

impl CompiledQuery {
    /// The SQL as Looker shows it: the explore's `sql_preamble`, then the query.
    pub fn shown_sql(&self) -> String {
        match &self.preamble {
            Some(preamble) => format!("{}\n{}", preamble.trim_end(), self.sql),
            None => self.sql.clone(),
        }
    }
}

/// A query run beside the main one (totals, row totals).
#[derive(Debug, Clone, PartialEq)]
pub struct Companion {
    pub sql: String,
    pub columns: Vec<ColumnInfo>,
}

/// Compiles `spec`. `now` is the current time in the query's time zone, for relative date filters.
pub fn compile(model: &Model, spec: &QuerySpec, dialect: &dyn Dialect, now: DateTime) -> Result<CompiledQuery, CompileError> {
    if spec.table_calcs.is_empty() {
        return compile_nested(model, spec, dialect, now, 0);
    }
    if let Some(first) = spec.subtotals.first() {
        return Err(CompileError::InvalidSubtotal {
            field: first.clone(),
            message: "table calculations on subtotal rows are not supported yet".into(),
        });
    }
    let invalid = |field: &str, message: String| CompileError::InvalidCustomField { field: field.to_string(), message };
    let calcs = &spec.table_calcs;
    let is_calc = |name: &str| calcs.iter().any(|c| c.name == name);
    // Sorting by a calculation sorts the returned rows, by every sort in order (the SQL keeps
    // the field sorts, so rows the calculation ties stay in their order).
    let mut calc_sorts = Vec::new();
    if spec.sorts.iter().any(|s| is_calc(s.split_whitespace().next().unwrap_or(""))) {
        for sort in &spec.sorts {
            let (name, direction, pivot_column) = crate::query::parse_sort(sort)?;
            let descending = direction == crate::query::SortDirection::Desc;
            calc_sorts.push(present::table_calc::RowSort { name, descending, pivot_column });
        }
    }
    let fields: Vec<String> = spec.fields.iter().filter(|f| !is_calc(f)).cloned().collect();
    let sorts: Vec<String> = spec.sorts.iter().filter(|s| !is_calc(s.split_whitespace().next().unwrap_or(""))).cloned().collect();
    let inner = QuerySpec { fields: fields.clone(), sorts, table_calcs: Vec::new(), ..spec.clone() };
    let mut compiled = compile_nested(model, &inner, dialect, now, 0)?;
    let lookup = ModelLookup {
        model,
        explore: model
            .explore(&spec.view)
            .ok_or_else(|| CompileError::UnknownExplore { model: model.name.clone(), explore: spec.view.clone() })?,
    };
    let mut resolved = Vec::new();
    for calc in calcs {
        let mut calc = calc.clone();
        if calc.value_format.is_none() {
            if let Some(name) = &calc.value_format_name {
                let format = custom::Lookup::value_format_named(&lookup, name).ok_or_else(|| {
                    invalid(
                        &calc.name,
                        format!("`value_format_name: {name}` is neither a built-in format nor a named_value_format of the model"),
                    )
                })?;
                calc.value_format = Some(format);
            }
        }
        if let Some(format) = &calc.value_format {
            present::ValueFormat::parse(format).map_err(|e| invalid(&calc.name, e.to_string()))?;
        }
        resolved.push(calc);
    }
    let names: Vec<String> = compiled.columns.iter().map(|c| c.name.clone()).collect();
    present::table_calc::check(&resolved, &names).map_err(|e| invalid(&e.name, e.message))?;
    compiled.table_calcs = resolved;
    compiled.calc_sorts = calc_sorts;
    compiled.row_limit = match spec.limit {
        crate::Limit::Rows(n) => Some(n),
        crate::Limit::All => None,
    };
    Ok(compiled)
}

/// The compiler's maps hash short field names many times per query: foldhash (hashbrown's own,
/// already built) rather than SipHash, whose flooding resistance these keys from the model and
/// one query do not need.
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

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
    // Duplicates dropped in one pass: the field list is the caller's, of any length.
    let mut seen = HashSet::with_capacity_and_hasher(spec.fields.len(), Default::default());
    let fields: Vec<&str> = spec.fields.iter().map(String::as_str).filter(|f| seen.insert(*f)).collect();
    if fields.is_empty() {
        return Err(CompileError::NoFields);
    }
    if let Some(grant) = lacking(model, spec, &explore.required_access_grants) {
        return Err(CompileError::Access {
            message: format!("explore `{}` requires the access grant `{grant}`, which this user does not have", explore.name),
        });
    }
    let spec = &with_explore_filters(explore, spec)?;
    let base_view = model.views.get(&explore.base_view).map(|v| v.name.as_str()).unwrap_or(&explore.base_view);
    let customs = &custom::build(
        &spec.custom_fields,
        spec.filter_expression.as_deref(),
        &ModelLookup { model, explore },
        (&explore.base_alias, base_view),
        dialect,
        now,
    )?;
    // Which views a join repeats depends on the joins the query needs: a walk of the references
    // predicts them, so one build usually suffices; if the build needed other joins (Liquid can
    // hide references), it is done again with what it found.
    let predicted: Vec<String> =
        Compiler::new(model, explore, dialect, HashSet::default(), depth, customs).joins_needed(&fields, spec).into_iter().collect();
    let fanned = fanned_out(explore, &predicted);
    let planned = Compiler::new(model, explore, dialect, fanned.clone(), depth, customs).plan(&fields, spec, now)?;
    let actual = fanned_out(explore, &planned.joined);
    let plan = match actual == fanned {
        true => planned,
        false => Compiler::new(model, explore, dialect, actual, depth, customs).plan(&fields, spec, now)?,
    };
    shape_query(model, spec, &fields, plan, dialect)
}

/// Custom fields find LookML fields through the explore, as queries do.
struct ModelLookup<'m> {
    model: &'m Model,
    explore: &'m Explore,
}

impl custom::Lookup for ModelLookup<'_> {
    fn lookup(&self, name: &str) -> Result<(String, String, &Field), String> {
        let customs = custom::Customs::default();
        let compiler = Compiler::new(self.model, self.explore, &crate::dialect::DuckDb, HashSet::default(), 0, &customs);
        let t = compiler.resolve(name).map_err(|e| e.to_string())?;
        let field: &Field = t.field;
        // The field lives in the model, which outlives this lookup.
        let field = self.model.views.get(&t.view.name).and_then(|v| v.field(&field.name)).ok_or_else(|| format!("no field `{name}`"))?;
        Ok((t.alias.to_string(), t.view.name.clone(), field))
    }

    fn value_format_named(&self, name: &str) -> Option<String> {
        match self.model.named_value_formats.get(name) {
            Some(named) => Some(named.value_format.clone()),
            None => semantic::builtin_value_format(name).map(str::to_string),
        }
    }
}

/// The statements a plan runs as: pivoted or plain, with its totals and row totals.
fn shape_query(model: &Model, spec: &QuerySpec, fields: &[&str], plan: Plan, dialect: &dyn Dialect) -> Result<CompiledQuery, CompileError> {
    let mut pivots = Vec::new();
    for name in &spec.pivots {
        let i = fields.iter().position(|f| f == name).ok_or_else(|| CompileError::InvalidPivot {
            field: name.clone(),
            message: "a pivot must be one of the query's fields".into(),
        })?;
        if plan.fields[i].is_measure {
            return Err(CompileError::InvalidPivot { field: name.clone(), message: "only dimensions can be pivoted".into() });
        }
        if !pivots.contains(&i) {
            pivots.push(i);
        }
    }
    if !pivots.is_empty() {
        if let (Some(f), Some(filled)) = (plan.fields.iter().find(|f| f.post.is_some()), plan.fields.iter().find(|f| f.fill.is_some())) {
            return Err(CompileError::InvalidFill {
                field: filled.name.clone(),
                message: format!(
                    "filling in a pivoted query with `{}` (a measure computed over the returned cells) is not supported yet",
                    f.name
                ),
            });
        }
        if pivots.len() == plan.fields.iter().filter(|f| !f.is_measure).count() && !plan.fields.iter().any(|f| f.is_measure) {
            return Err(CompileError::InvalidPivot { field: spec.pivots[0].clone(), message: "a pivoted query needs a measure".into() });
        }
    }
    let (fills, fill_order) = plan_fills(&plan, &pivots)?;
    let companion = |(statement, columns): (Statement, Vec<ColumnInfo>)| Companion { sql: tree::print(&statement, dialect), columns };
    let totals = if spec.total { plan.totals(&pivots).map(companion) } else { None };
    let row_totals = if spec.row_total && !pivots.is_empty() { plan.row_totals(&pivots).map(companion) } else { None };
    let subtotals = plan_subtotals(spec, fields, &plan, &pivots)?
        .into_iter()
        .map(|(depth, grouped, query)| SubtotalPlan {
            depth,
            row_totals: match spec.row_total && !pivots.is_empty() {
                true => plan.subtotals(&[], &grouped).map(companion),
                false => None,
            },
            grouped,
            companion: companion(query),
        })
        .collect();
    let statement = if pivots.is_empty() { plan.statement() } else { plan.pivoted(&pivots, spec.column_limit) };
    Ok(CompiledQuery {
        sql: tree::print(&statement, dialect),
        columns: plan.columns,
        statement,
        connection: model.connection.clone(),
        pivots,
        totals,
        row_totals,
        fills,
        fill_order,
        table_calcs: Vec::new(),
        vis: None,
        calc_sorts: Vec::new(),
        row_limit: None,
        row_total_left: spec.row_total_left && spec.row_total && !spec.pivots.is_empty(),
        subtotals,
        // Model-wide, as a native derived table may read another explore.
        needs_user: spec.user_attributes.is_none() && model.reads_user_attributes,
        preamble: model.explore(&spec.view).and_then(|e| e.sql_preamble.clone()),
    })
}

/// The subtotal levels `spec.subtotals` asks for, each with its query. Looker offers no
/// subtotals with measure filters or `sql_always_having` (a subtotal could not honour the
/// filter), so those are refused, as are measures computed over the returned rows.
#[allow(clippy::type_complexity)]
fn plan_subtotals(
    spec: &QuerySpec,
    fields: &[&str],
    plan: &Plan,
    pivots: &[usize],
) -> Result<Vec<(usize, Vec<usize>, (Statement, Vec<ColumnInfo>))>, CompileError> {
    let Some(first) = spec.subtotals.first() else { return Ok(Vec::new()) };
    let refuse = |message: &str| CompileError::InvalidSubtotal { field: first.clone(), message: message.into() };
    if !plan.select.havings.is_empty() {
        return Err(refuse("subtotals are not available with measure filters or sql_always_having (as in Looker)"));
    }
    if let Some(f) = plan.fields.iter().find(|f| f.post.is_some()) {
        return Err(CompileError::InvalidSubtotal {
            field: f.name.clone(),
            message: "subtotals of measures computed over the returned rows are not supported yet".into(),
        });
    }
    let row_dims: Vec<usize> = (0..plan.fields.len()).filter(|i| !plan.fields[*i].is_measure && !pivots.contains(i)).collect();
    let mut depths = std::collections::BTreeSet::new();
    for name in &spec.subtotals {
        depths.insert(statement::subtotal_depth(name, fields, &row_dims, |i| plan.fields[i].is_measure, &spec.pivots)?);
    }
    let mut out = Vec::new();
    for depth in depths {
        let grouped = row_dims[..depth].to_vec();
        let query = plan.subtotals(pivots, &grouped).ok_or_else(|| refuse("subtotals need a measure to total"))?;
        out.push((depth, grouped, query));
    }
    Ok(out)
}

/// Where each filled dimension's values go (rows or pivot columns, any number of each, as Looker
/// fills several at once), and the sorts that order the filled result: the leading sorts on the
/// rows' dimensions (up to the first on anything else), and those on the pivots (ascending
/// pivots when none, as the pivoted query orders its columns).
fn plan_fills(plan: &Plan, pivots: &[usize]) -> Result<(Vec<FillPlan>, FillOrder), CompileError> {
    let mut out = Vec::new();
    for (i, f) in plan.fields.iter().enumerate() {
        let Some(fill) = &f.fill else { continue };
        if f.is_measure {
            return Err(CompileError::InvalidFill { field: f.name.clone(), message: "only dimensions can be filled in".into() });
        }
        out.push(FillPlan { column: i, fill: fill.clone(), pivoted: pivots.contains(&i) });
    }
    let mut order = FillOrder::default();
    if out.is_empty() {
        return Ok((out, order));
    }
    for sort in plan.order.iter().filter(|s| !pivots.contains(&s.field)) {
        if plan.fields[sort.field].is_measure {
            break;
        }
        order.rows.push((sort.field, sort.desc));
    }
    order.pivots = plan.order.iter().filter(|s| pivots.contains(&s.field)).map(|s| (s.field, s.desc)).collect();
    if order.pivots.is_empty() {
        order.pivots = pivots.iter().map(|p| (*p, false)).collect();
    }
    Ok((out, order))
}

/// The query's filters plus the explore's `always_filter` defaults (for fields the query does not
/// filter) and its `conditionally_filter` defaults (unless the query filters one of those fields
/// or of the `unless` fields).
fn with_explore_filters(explore: &Explore, spec: &QuerySpec) -> Result<QuerySpec, CompileError> {
    // Access filters: the user's value of the attribute, as a filter expression on the field,
    // beside any filter of the query's own on it (added last, so that they count for no
    // `always_filter` or `conditionally_filter`). A user without a value may not query.
    let mut access = Vec::new();
    if let Some(attributes) = &spec.user_attributes {
        for (field, attribute) in &explore.access_filters {
            let Some(value) = attributes.get(attribute) else {
                return Err(CompileError::Access {
                    message: format!(
                        "explore `{}` filters `{field}` by the user attribute `{attribute}`, which has no value for this user",
                        explore.name
                    ),
                });
            };
            access.push((field.clone(), value.clone()));
        }
    }
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
    spec.filters.extend(access);
    Ok(spec)
}

/// The first of `grants` that the user `spec` runs for lacks; none when it is compiled for
/// nobody (such SQL never runs: see `CompiledQuery::needs_user`).
fn lacking<'g>(model: &Model, spec: &QuerySpec, grants: &'g [String]) -> Option<&'g str> {
    semantic::first_lacking(model, spec.user_attributes.as_ref()?, grants)
}

/// Aliases whose rows the chosen joins repeat: a view reached through a many-to-one join is
/// repeated once per row on the many side; every view is repeated when some other join in the
/// query is one-to-many.
fn fanned_out(explore: &Explore, joined: &[String]) -> HashSet<String> {
    let joins: Vec<_> = joined.iter().filter_map(|a| explore.join(a)).collect();
    let mut out = HashSet::default();
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

struct Compiler<'a> {
    model: &'a Model,
    explore: &'a Explore,
    dialect: &'a dyn Dialect,
    fanned: HashSet<String>,
    aliases: BTreeSet<String>,
    /// The fields being expanded, outermost first (alias, field), to catch cycles.
    stack: Vec<(&'a str, &'a str)>,
    /// "Now" in the query's time zone, for relative date filters (measure filters included).
    now: DateTime,
    /// How deep inside native derived tables this query is.
    depth: usize,
    /// The query being built, for Liquid (`_filters`, `_is_selected`, `{% condition %}` …).
    query: Option<&'a QuerySpec>,
    /// The query's custom fields and filter expression.
    custom: &'a custom::Customs,
    /// Dimensions already expanded, by (alias, field).
    expanded: HashMap<(&'a str, &'a str), String>,
}

/// A field as reached through an explore alias.
#[derive(Clone, Copy)]
struct Target<'a> {
    alias: &'a str,
    view: &'a View,
    field: &'a Field,
}

const MAX_REFERENCE_DEPTH: usize = 32;

/// What is being compiled, as errors name it: formatted only when an error is raised, since a
/// query expands hundreds of snippets and fails rarely.
#[derive(Clone, Copy)]
pub(crate) enum What<'x> {
    Field(&'x str, &'x str),
    Measure(&'x str, &'x str),
    Filter(&'x str, &'x str),
    Explore(&'x str),
    Join(&'x str),
    DerivedTable(&'x str),
    /// Named as it is (`filter_expression`).
    Named(&'x str),
}

impl std::fmt::Display for What<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            What::Field(alias, name) => write!(f, "field `{alias}.{name}`"),
            What::Measure(alias, name) => write!(f, "measure `{alias}.{name}`"),
            What::Filter(alias, name) => write!(f, "filter `{alias}.{name}`"),
            What::Explore(name) => write!(f, "explore `{name}`"),
            What::Join(name) => write!(f, "join `{name}`"),
            What::DerivedTable(name) => write!(f, "derived table `{name}`"),
            What::Named(name) => f.write_str(name),
        }
    }
}

impl<'a> Compiler<'a> {
    fn new(
        model: &'a Model,
        explore: &'a Explore,
        dialect: &'a dyn Dialect,
        fanned: HashSet<String>,
        depth: usize,
        custom: &'a custom::Customs,
    ) -> Self {
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
            custom,
            expanded: HashMap::default(),
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
        if !name.contains('.') {
            if let Some(t) = self.custom_target(name) {
                return Ok(t);
            }
        }
        let (alias, field) = name.split_once('.').ok_or_else(|| CompileError::MalformedFieldName { field: name.to_string() })?;
        let unknown = || CompileError::UnknownField { field: name.to_string(), explore: self.explore.name.clone() };
        let (alias, view) = self.alias(alias).ok_or_else(unknown)?;
        let field = view.field(field).ok_or_else(unknown)?;
        if !self.explore.exposes(alias, &field.name) {
            return Err(unknown());
        }
        let target = Target { alias, view, field };
        self.check_access(target)?;
        Ok(target)
    }

    /// Whether the user the query runs for may use `t`: the access grants its field, its view
    /// and the join that brings it require.
    fn check_access(&self, t: Target<'a>) -> Result<(), CompileError> {
        let Some(spec) = self.query.filter(|q| q.user_attributes.is_some()) else { return Ok(()) };
        let join = self.explore.join(t.alias).filter(|_| t.alias != self.explore.base_alias);
        let required =
            [&t.field.required_access_grants, &t.view.required_access_grants].into_iter().chain(join.map(|j| &j.required_access_grants));
        for grants in required {
            if let Some(grant) = lacking(self.model, spec, grants) {
                return Err(CompileError::Access {
                    message: format!(
                        "field `{}.{}` requires the access grant `{grant}`, which this user does not have",
                        t.alias, t.field.name
                    ),
                });
            }
        }
        Ok(())
    }

    /// A custom field (or the filter expression) by name.
    fn custom_target(&self, name: &str) -> Option<Target<'a>> {
        let entry = self.custom.entry(name)?;
        let (alias, view) = self.alias(&entry.alias)?;
        Some(Target { alias, view, field: &entry.field })
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
        let mut seen: HashSet<(&str, &str)> = HashSet::default();
        let mut todo: Vec<Target<'a>> = Vec::new();
        let filter_expression = self.custom.entry(custom::FILTER_EXPRESSION).map(|_| custom::FILTER_EXPRESSION);
        let names = fields.iter().copied().chain(spec.filters.iter().map(|(f, _)| f.as_str())).chain(filter_expression);
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
            if !seen.insert((t.alias, t.field.name.as_str())) {
                continue;
            }
            if t.alias != self.explore.base_alias {
                self.aliases.insert(t.alias.to_string());
            }
            let f = t.field;
            for sql in f.sql_snippets() {
                self.push_references(sql, t.alias, t.view, &mut todo);
            }
            let distance_ends: Vec<&str> = match &f.kind {
                FieldKind::Dimension(DimensionType::Distance { start, end, .. }) => vec![start, end],
                _ => Vec::new(),
            };
            let related = f
                .filters
                .iter()
                .map(|m| m.field.as_str())
                .chain(f.order_by_field.as_deref())
                .chain(f.list_field.as_deref())
                .chain(distance_ends);
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
            if let Some(view) = self.view_of(&join.name) {
                let mut refs = Vec::new();
                for sql in [&join.sql_on, &join.sql_where].into_iter().flatten() {
                    self.push_references(sql, &join.name, view, &mut refs);
                }
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
    fn expand(&mut self, sql: &str, alias: &'a str, view: &'a View, in_measure: bool, what: What<'_>) -> Result<String, CompileError> {
        let rendered = self.render_liquid(sql, alias, view, what)?;
        let sql = &*rendered;
        let refs =
            parse_references(sql).map_err(|_| CompileError::Model { what: what.to_string(), message: "`${` is never closed".into() })?;
        let mut out = String::with_capacity(sql.len());
        let mut last = 0;
        for r in refs {
            out.push_str(&sql[last..r.start]);
            last = r.end;
            match r.kind {
                ReferenceKind::Table => out.push_str(&tree::name(&Name::plain(alias), self.dialect)),
                ReferenceKind::SqlTableName(v) => {
                    let target = self
                        .view_of(&v)
                        .or_else(|| self.model.views.get(&v))
                        .ok_or_else(|| CompileError::Model { what: what.to_string(), message: format!("no view `{v}`") })?;
                    out.push_str(&self.table_expression(target)?);
                }
                ReferenceKind::Field { view: Some(scope), field } if scope == crate::expression::MATCHES_SCOPE => {
                    out.push('(');
                    out.push_str(&self.matches_condition(&field, what)?);
                    out.push(')');
                }
                ReferenceKind::Field { view: Some(scope), field } if custom::is_custom_scope(&scope) => {
                    let target = self
                        .custom_target(&field)
                        .ok_or_else(|| CompileError::Model { what: what.to_string(), message: format!("no custom field `{field}`") })?;
                    let expr = self.referenced(target, in_measure, what, &field)?;
                    out.push('(');
                    out.push_str(&expr);
                    out.push(')');
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
                    let expr = self.referenced(target, in_measure, what, &format_args!("{ref_alias}.{}", f.name))?;
                    out.push('(');
                    out.push_str(&expr);
                    out.push(')');
                }
            }
        }
        out.push_str(&sql[last..]);
        Ok(out)
    }

    /// What a `${…}` reference to `target` (named `name`) stands for: a measure's aggregate
    /// (only inside measures) or a dimension's value.
    fn referenced(
        &mut self,
        target: Target<'a>,
        in_measure: bool,
        what: What<'_>,
        name: &dyn std::fmt::Display,
    ) -> Result<String, CompileError> {
        if !target.field.is_measure() {
            return self.dimension_value(target);
        }
        if !in_measure {
            return Err(CompileError::Model {
                what: what.to_string(),
                message: format!("a dimension cannot refer to the measure `{name}`"),
            });
        }
        self.measure(target)
    }

    /// The condition of a `matches_filter` call (`${__matches.mN}`).
    fn matches_condition(&mut self, name: &str, what: What<'_>) -> Result<String, CompileError> {
        let missing = || CompileError::Model { what: what.to_string(), message: format!("no matches_filter call `{name}`") };
        let n: usize = name.strip_prefix('m').and_then(|n| n.parse().ok()).ok_or_else(missing)?;
        let custom: &'a custom::Customs = self.custom;
        let (field, filter) = custom.matches.get(n).ok_or_else(missing)?;
        let t = self.resolve(field)?;
        let condition = self.filter_on(t, filter, self.now).map_err(|message| CompileError::InvalidFilter {
            field: field.to_string(),
            message: format!("in matches_filter: {message}"),
        })?;
        Ok(condition.unwrap_or_else(|| "1 = 1".to_string()))
    }

    fn enter(&mut self, t: Target<'a>) -> Result<(), CompileError> {
        self.check_access(t)?;
        let key = (t.alias, t.field.name.as_str());
        if self.stack.contains(&key) || self.stack.len() > MAX_REFERENCE_DEPTH {
            let chain: Vec<String> = self.stack.iter().chain([&key]).map(|(a, f)| format!("{a}.{f}")).collect();
            return Err(self.model_error(t, format!("refers to itself through {}", chain.join(" → "))));
        }
        self.stack.push(key);
        if t.alias != self.explore.base_alias && !self.aliases.contains(t.alias) {
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
            let what = What::Field(t.alias, &t.field.name);
            let missing = || CompileError::Model { what: what.to_string(), message: "a duration needs `sql_start` and `sql_end`".into() };
            let start = t.field.sql_start.as_deref().ok_or_else(missing)?;
            let end = t.field.sql_end.as_deref().ok_or_else(missing)?;
            let start = self.expand(start, t.alias, t.view, false, what)?;
            let end = self.expand(end, t.alias, t.view, false, what)?;
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
        let what = What::Field(t.alias, &t.field.name);
        let expr = self.expand(sql, t.alias, t.view, false, what);
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
        // A dimension's SQL is the same wherever one query uses it (a primary key under every
        // fanned-out measure, say): expanded once.
        let key = (t.alias, t.field.name.as_str());
        if let Some(sql) = self.expanded.get(&key) {
            return Ok(sql.clone());
        }
        let sql = self.expand_dimension(t)?;
        self.expanded.insert(key, sql.clone());
        Ok(sql)
    }

    fn expand_dimension(&mut self, t: Target<'a>) -> Result<String, CompileError> {
        if let FieldKind::Dimension(DimensionType::Case { whens, otherwise, .. }) = &t.field.kind {
            self.enter(t)?;
            let what = What::Field(t.alias, &t.field.name);
            let mut sql = String::from("CASE");
            for (condition, label) in whens {
                let condition = self.expand(condition, t.alias, t.view, false, what)?;
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
            let what = What::Field(t.alias, &t.field.name);
            let lat = self.expand(latitude, t.alias, t.view, false, what)?;
            let long = self.expand(longitude, t.alias, t.view, false, what)?;
            self.stack.pop();
            return Ok(self.dialect.concat(&[lat, "','".to_string(), long]));
        }
        if let FieldKind::Dimension(DimensionType::Distance { start, end, units }) = &t.field.kind {
            self.enter(t)?;
            let start = self.coordinates(t, start)?;
            let end = self.coordinates(t, end)?;
            self.stack.pop();
            return Ok(haversine(start, end, *units));
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

    /// The latitude and longitude SQL of the location dimension a distance `t` names.
    fn coordinates(&mut self, t: Target<'a>, name: &str) -> Result<(String, String), CompileError> {
        let qualified = if name.contains('.') { name.to_string() } else { format!("{}.{name}", t.alias) };
        let location = self.resolve_relative(t, &qualified)?;
        let FieldKind::Dimension(DimensionType::Location { latitude, longitude }) = &location.field.kind else {
            return Err(self.model_error(t, format!("`{name}` is not a `type: location` dimension")));
        };
        self.enter(location)?;
        let what = What::Field(location.alias, &location.field.name);
        let lat = self.expand(latitude, location.alias, location.view, false, what)?;
        let long = self.expand(longitude, location.alias, location.view, false, what)?;
        self.stack.pop();
        Ok((lat, long))
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
        let what = What::Measure(t.alias, &t.field.name);
        let value = match &t.field.sql {
            Some(sql) => Some(self.expand(sql, t.alias, t.view, kind.is_non_aggregate(), what)?),
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
            Some(sql) if kind.is_distinct_keyed() => Some(self.expand(sql, t.alias, t.view, false, what)?),
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
            MeasureType::Count if fanned && t.field.approximate => d.approximate_count_distinct(&only(&need_key(self)?)),
            MeasureType::Count if fanned => format!("COUNT(DISTINCT {})", only(&need_key(self)?)),
            MeasureType::Count => match (&value, &key, &condition) {
                (Some(v), _, _) => format!("COUNT({})", only(v)),
                (None, Some(k), _) if t.alias != self.explore.base_alias => format!("COUNT({})", only(k)),
                (None, _, Some(_)) => format!("COUNT({})", only("1")),
                _ => "COUNT(*)".to_string(),
            },
            MeasureType::CountDistinct if t.field.approximate => d.approximate_count_distinct(&only(&value_or(self)?)),
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
                let what = What::Filter(t.alias, &t.field.name);
                return match self.expand(sql, t.alias, t.view, false, what) {
                    Ok(condition) => Ok(Some((false, format!("({condition})")))),
                    Err(_) => Ok(Some((true, format!("({})", self.expand(sql, t.alias, t.view, true, what)?)))),
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
                let what = What::Measure(t.alias, &t.field.name);
                (FilterGrammar::YesNo, self.expand(&v, t.alias, t.view, true, what).map_err(compiled)?)
            }
            FieldKind::Measure(MeasureType::Date) => (FilterGrammar::Date, self.measure(t).map_err(compiled)?),
            FieldKind::Measure(_) => (FilterGrammar::Number, self.measure(t).map_err(compiled)?),
            FieldKind::Dimension(
                DimensionType::String | DimensionType::Zipcode | DimensionType::Case { .. } | DimensionType::Tier { .. },
            ) => (FilterGrammar::String, self.dimension_value(t).map_err(compiled)?),
            FieldKind::Dimension(DimensionType::Number | DimensionType::Duration(_) | DimensionType::Distance { .. }) => {
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
    fn render_liquid<'s>(&mut self, sql: &'s str, alias: &'a str, view: &'a View, what: What<'_>) -> Result<Cow<'s, str>, CompileError> {
        if !semantic::liquid::has_liquid(sql) {
            return Ok(Cow::Borrowed(sql));
        }
        let liquid_error = |message: String| CompileError::Model { what: what.to_string(), message: format!("Liquid: {message}") };
        let template = semantic::liquid::parse_liquid(sql).map_err(|e| liquid_error(e.message))?;
        let mut host = Host { compiler: self, alias, view };
        crate::liquid::render(&template, &mut host).map(Cow::Owned).map_err(liquid_error)
    }
}

/// Mean Earth radius (IUGG), in kilometres.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// The great-circle distance between two (latitude, longitude) in degrees, by the haversine
/// formula, written with functions every dialect has (degrees → radians by multiplication).
fn haversine((lat1, lon1): (String, String), (lat2, lon2): (String, String), units: semantic::DistanceUnit) -> String {
    let rad = "0.017453292519943295";
    let radius = number_literal(EARTH_RADIUS_KM * units.per_kilometer());
    format!(
        "(2 * {radius} * ASIN(SQRT(POWER(SIN((({lat2}) - ({lat1})) * {rad} / 2), 2) + COS(({lat1}) * {rad}) * COS(({lat2}) * {rad}) * POWER(SIN((({lon2}) - ({lon1})) * {rad} / 2), 2))))"
    )
}

fn column_info(t: Target) -> ColumnInfo {
    let view_label = if t.alias == t.view.name { t.view.label.clone() } else { title_case(t.alias) };
    let value_type = match &t.field.kind {
        FieldKind::Measure(MeasureType::String | MeasureType::List | MeasureType::YesNo) => ValueType::String,
        FieldKind::Measure(MeasureType::Date) => ValueType::DateTime,
        FieldKind::Measure(_) => ValueType::Number,
        FieldKind::Filter(_) | FieldKind::Parameter(_) => ValueType::String,
        FieldKind::Dimension(DimensionType::Number | DimensionType::Duration(_) | DimensionType::Distance { .. }) => ValueType::Number,
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
        value_format: t.field.display.value_format.clone(),
        value_format_name: t.field.display.value_format_name.clone(),
        description: t.field.description.clone(),
        sql: t.field.sql.clone(),
        group_label: t.field.display.group_label.clone(),
        dimension_group: t.field.group.clone(),
        hidden: t.field.hidden,
        drill_fields: drill_fields(&t),
        links: t.field.display.links.iter().map(|l| (l.label.clone(), l.url.clone(), l.icon_url.clone())).collect(),
        series_of: None,
    }
}

/// A field's `drill_fields` (a measure without its own takes its view's): sets (`detail*`)
/// expanded, bare names qualified with the field's view alias.
fn drill_fields(t: &Target) -> Vec<String> {
    let own = &t.field.display.drill_fields;
    let listed = if own.is_empty() && t.field.is_measure() { &t.view.drill_fields } else { own };
    let mut out = Vec::new();
    fn walk(t: &Target, entries: &[String], out: &mut Vec<String>, depth: usize) {
        for entry in entries {
            match entry.strip_suffix('*') {
                Some(set) => {
                    let set = set.rsplit('.').next().unwrap_or(set);
                    if let Some(members) = t.view.sets.get(set).filter(|_| depth < 8) {
                        walk(t, members, out, depth + 1);
                    }
                }
                None => {
                    let name = if entry.contains('.') { entry.to_string() } else { format!("{}.{entry}", t.alias) };
                    if !out.contains(&name) {
                        out.push(name);
                    }
                }
            }
        }
    }
    walk(t, listed, &mut out, 0);
    out
}
