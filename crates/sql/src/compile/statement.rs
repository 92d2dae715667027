//! Plans the query's main SELECT as a tree: select items, joins, WHERE/HAVING, sorts, limit and
//! the derived tables it reads as CTEs. [`super::shape`] turns the plan into the statements that
//! run (plain, with post-query measures, pivoted, totals).

use std::collections::BTreeSet;

use jiff::civil::DateTime;
use semantic::{DimensionType, FieldKind, MeasureType, Timeframe, View};

use super::labels::tier_labels;
use super::{Compiler, Target, What};
use crate::error::CompileError;
use crate::query::{parse_sort, Limit, QuerySpec, SortDirection};
use crate::tree::{Cte, Expr, Item, Join, Name, Relation, Select};
use result::fill::Fill;
use result::ColumnInfo;

/// The planned query before it is shaped.
pub(crate) struct Plan {
    pub ctes: Vec<Cte>,
    /// One item per query field, in order (a post-query measure's source under `__post_{i}`),
    /// then hidden `order_by_field` items; no ORDER BY or LIMIT yet.
    pub select: Select,
    pub fields: Vec<PlannedField>,
    pub order: Vec<Sort>,
    pub limit: Limit,
    pub columns: Vec<ColumnInfo>,
    /// Join aliases the query used.
    pub joined: Vec<String>,
}

pub(crate) struct PlannedField {
    pub name: String,
    pub is_measure: bool,
    /// A post-query measure, computed by an outer query from the item it names.
    pub post: Option<MeasureType>,
    /// A post-query measure of a pivoted query runs down each pivot column (`direction:
    /// "column"`) rather than across the row.
    pub down_columns: bool,
    /// How the field is filled in, when the query names it in `fill_fields`.
    pub fill: Option<Fill>,
}

/// One sort: the field's position, what to sort by when not the field itself, the direction.
pub(crate) struct Sort {
    pub field: usize,
    pub key: Option<SortOverride>,
    pub desc: bool,
    /// A measure sorted by its value in one pivot column (from 0), as Looker's
    /// `"orders.count desc 0"`; ignored when the query is not pivoted.
    pub pivot_index: Option<u32>,
}

pub(crate) struct SortOverride {
    pub expr: Expr,
    /// A dimension-valued key (grouped when selected).
    pub is_dimension: bool,
}

impl Plan {
    /// The item (alias) a field is selected as.
    pub fn alias(&self, field: usize) -> &Name {
        &self.select.items[field].alias
    }
}

impl<'a> Compiler<'a> {
    pub(super) fn plan(mut self, fields: &[&'a str], spec: &'a QuerySpec, now: DateTime) -> Result<Plan, CompileError> {
        self.now = now;
        self.query = Some(spec);
        for always in &self.explore.always_join {
            self.aliases.insert(always.clone());
        }
        let targets = fields.iter().map(|f| self.resolve(f)).collect::<Result<Vec<_>, _>>()?;
        if let Some(t) = targets.iter().find(|t| t.field.is_filter_only()) {
            return Err(CompileError::NotSelectable { field: format!("{}.{}", t.alias, t.field.name) });
        }
        if let Some(name) = spec.fill_fields.iter().find(|f| !fields.contains(&f.as_str())) {
            return Err(CompileError::InvalidFill {
                field: name.clone(),
                message: "a filled field must be one of the query's fields".into(),
            });
        }
        let mut items = Vec::new();
        let mut planned = Vec::new();
        let mut columns = Vec::new();
        for (i, (name, t)) in fields.iter().zip(&targets).enumerate() {
            let (expr, alias, post) = match t.field.kind {
                // Post-query measures: the measure they run over is selected under a hidden name.
                FieldKind::Measure(kind) if kind.is_post_query() => {
                    let what = What::Measure(t.alias, &t.field.name);
                    let sql =
                        t.field.sql.as_deref().ok_or_else(|| self.model_error(*t, format!("a {} measure needs `sql:`", kind.name())))?;
                    self.enter(*t)?;
                    let source = self.expand(sql, t.alias, t.view, true, what)?;
                    self.stack.pop();
                    (source, format!("__post_{i}"), Some(kind))
                }
                _ => (self.select_expression(*t)?, name.to_string(), None),
            };
            let is_measure = t.field.is_measure();
            let fill = match spec.fill_fields.iter().any(|f| f == name) {
                true => Some(
                    super::fill::fill_for(*t, self.model.week_start_day)
                        .map_err(|message| CompileError::InvalidFill { field: name.to_string(), message })?,
                ),
                false => None,
            };
            items.push(Item { expr: Expr::Sql(expr), alias: Name::Quoted(alias), grouped: !is_measure });
            planned.push(PlannedField { name: name.to_string(), is_measure, post, down_columns: t.field.down_columns, fill });
            let mut column = super::column_info(*t);
            if let Some(entry) = self.custom.entry(name) {
                column.name = name.to_string();
                column.label = entry.label.clone();
                column.field_label = entry.label.clone();
                column.view_label = String::new();
            }
            columns.push(column);
        }
        let mut wheres = Vec::new();
        let mut havings = Vec::new();
        for (name, value) in &spec.filters {
            if let Some((is_measure, sql)) = self.filter(name, value, now)? {
                if is_measure {
                    havings.push(Expr::Sql(sql))
                } else {
                    wheres.push(Expr::Sql(sql))
                }
            }
        }
        if self.custom.entry(crate::custom::FILTER_EXPRESSION).is_some() {
            let t = self.resolve(crate::custom::FILTER_EXPRESSION)?;
            let sql = t.field.sql.as_deref().unwrap_or("1 = 1");
            let is_measure = t.field.is_measure();
            let condition = format!("({})", self.expand(sql, t.alias, t.view, is_measure, What::Named("filter_expression"))?);
            if is_measure {
                havings.push(Expr::Sql(condition));
            } else {
                wheres.push(Expr::Sql(condition));
            }
        }
        let explore_what = What::Explore(&self.explore.name);
        if let Some(sql) = &self.explore.sql_always_where {
            let base = self.base_view()?;
            wheres.push(Expr::Sql(format!("({})", self.expand(sql, &self.explore.base_alias, base, false, explore_what)?)));
        }
        if let Some(sql) = &self.explore.sql_always_having {
            let base = self.base_view()?;
            havings.push(Expr::Sql(format!("({})", self.expand(sql, &self.explore.base_alias, base, true, explore_what)?)));
        }
        let mut order = self.order_by(fields, &targets, &spec.sorts)?;
        if !spec.subtotals.is_empty() {
            order = self.subtotal_order(order, fields, &targets, spec)?;
        }
        // `order_by_field`: sort on the other field, selected under a hidden name at the end (so
        // that it is grouped too; result rows keep only the query's own columns).
        for sort in order.iter_mut() {
            let t = targets[sort.field];
            let Some(other) = &t.field.order_by_field else { continue };
            let by = if other.contains('.') {
                self.resolve_relative(t, other)?
            } else {
                self.resolve_relative(t, &format!("{}.{other}", t.alias))?
            };
            let expr = Expr::Sql(self.select_expression(by)?);
            let is_dimension = !by.field.is_measure();
            items.push(Item { expr: expr.clone(), alias: Name::Quoted(format!("__order_by_{}", sort.field)), grouped: is_dimension });
            sort.key = Some(SortOverride { expr, is_dimension });
        }
        // `cancel_grouping_fields`: a query with one of them is not grouped (each row is the
        // table's own), so it may have no measure.
        if let Some(field) = fields.iter().find(|f| self.explore.cancel_grouping_fields.iter().any(|c| c == *f)) {
            if let Some(measure) = planned.iter().find(|p| p.is_measure) {
                return Err(CompileError::Ungrouped { field: field.to_string(), measure: measure.name.clone() });
            }
            items.iter_mut().for_each(|item| item.grouped = false);
        }
        if let Some(sort) = order.iter().find(|s| planned[s.field].post.is_some()) {
            return Err(CompileError::InvalidSort {
                sort: fields[sort.field].to_string(),
                message: "a measure computed over the returned rows cannot be sorted on".into(),
            });
        }
        let (joins, join_conditions) = self.joins()?;
        wheres.extend(join_conditions);
        let ctes = self.ctes(&joins)?;
        let base = self.base_view()?;
        let mut select = Select::from(self.table_reference(base)?, Name::plain(&self.explore.base_alias), items);
        select.wheres = wheres;
        select.havings = havings;
        let joined = joins.iter().map(|j| j.alias.as_str().to_string()).collect();
        select.joins = joins;
        Ok(Plan { ctes, select, fields: planned, order, limit: spec.limit, columns, joined })
    }

    pub(super) fn base_view(&self) -> Result<&'a View, CompileError> {
        self.model.views.get(&self.explore.base_view).ok_or_else(|| CompileError::Model {
            what: format!("explore `{}`", self.explore.name),
            message: format!("view `{}` does not exist", self.explore.base_view),
        })
    }

    /// The query's sorts, or Looker's default when it names none.
    fn order_by(&mut self, fields: &[&str], targets: &[Target<'a>], sorts: &[String]) -> Result<Vec<Sort>, CompileError> {
        if sorts.iter().any(|s| s.trim() == "__UNSORTED__") {
            return Ok(Vec::new());
        }
        let position = |name: &str| fields.iter().position(|f| *f == name);
        let mut order = Vec::new();
        for sort in sorts.iter().filter(|s| !s.trim().is_empty()) {
            let (field, direction, pivot_index) = parse_sort(sort)?;
            let i = position(&field).ok_or_else(|| CompileError::InvalidSort {
                sort: sort.clone(),
                message: format!("`{field}` is not one of the query's fields"),
            })?;
            let key = self.sort_key(targets[i])?;
            let pivot_index = pivot_index.filter(|_| targets[i].field.is_measure());
            order.push(Sort { field: i, key, desc: direction == SortDirection::Desc, pivot_index });
        }
        if order.is_empty() {
            // Looker's default: the first time dimension descending, else the first measure
            // descending, else the first dimension ascending.
            let is_time = |t: &Target| matches!(t.field.kind, FieldKind::Dimension(DimensionType::Time(tf)) if tf != Timeframe::Raw);
            let is_post = |t: &Target| t.field.measure_type().is_some_and(MeasureType::is_post_query);
            if let Some(i) = targets.iter().position(is_time) {
                order.push(Sort { field: i, key: None, desc: true, pivot_index: None });
            } else if let Some(i) = targets.iter().position(|t| t.field.is_measure() && !is_post(t)) {
                order.push(Sort { field: i, key: None, desc: true, pivot_index: None });
            } else if !is_post(&targets[0]) {
                order.push(Sort { field: 0, key: self.sort_key(targets[0])?, desc: false, pivot_index: None });
            }
        }
        Ok(order)
    }

    /// Subtotals sort the rows by their dimensions first, in query order, each in its sort's
    /// direction (ascending when unsorted), as Looker does; the other sorts follow.
    fn subtotal_order(
        &mut self,
        mut order: Vec<Sort>,
        fields: &[&str],
        targets: &[Target<'a>],
        spec: &QuerySpec,
    ) -> Result<Vec<Sort>, CompileError> {
        let row_dims: Vec<usize> =
            (0..fields.len()).filter(|i| !targets[*i].field.is_measure() && !spec.pivots.iter().any(|p| p == fields[*i])).collect();
        let mut depth = 0;
        for name in &spec.subtotals {
            depth = depth.max(subtotal_depth(name, fields, &row_dims, |i| targets[i].field.is_measure(), &spec.pivots)?);
        }
        let mut leading = Vec::new();
        for &d in &row_dims[..depth] {
            let sort = match order.iter().position(|s| s.field == d) {
                Some(at) => order.remove(at),
                None => Sort { field: d, key: self.sort_key(targets[d])?, desc: false, pivot_index: None },
            };
            leading.push(sort);
        }
        leading.extend(order);
        Ok(leading)
    }

    /// What to sort a column by when not by itself: for `case` and `tier` dimensions, the position
    /// of its label in declaration order (as Looker's hidden sort column does).
    fn sort_key(&mut self, t: Target<'a>) -> Result<Option<SortOverride>, CompileError> {
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
        Ok(Some(SortOverride { expr: Expr::Sql(sql), is_dimension: true }))
    }

    /// The joins needed, in the explore's declared order, with the `sql_where` conditions of
    /// those that have one (for the WHERE clause). Expanding one join's `sql_on` or `sql_where`
    /// may call for further joins; repeat until none is missing.
    fn joins(&mut self) -> Result<(Vec<Join>, Vec<Expr>), CompileError> {
        let mut rendered: Vec<Join> = Vec::new();
        let mut conditions: Vec<(String, Expr)> = Vec::new();
        loop {
            let pending: Vec<String> =
                self.aliases.iter().filter(|a| !rendered.iter().any(|r| r.alias.as_str() == a.as_str())).cloned().collect();
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
                let on = match &join.sql_on {
                    Some(on) => Some(Expr::Sql(self.expand(on, &join.name, view, false, What::Join(&join.name))?)),
                    None => None,
                };
                if let Some(condition) = &join.sql_where {
                    let sql = self.expand(condition, &join.name, view, false, What::Join(&join.name))?;
                    conditions.push((join.name.clone(), Expr::Sql(format!("({sql})"))));
                }
                // A join's own `sql_table_name` replaces its view's table.
                let relation = match &join.sql_table_name {
                    Some(table) => Relation::Table(self.render_derived(table, view)?),
                    None => self.table_reference(view)?,
                };
                rendered.push(Join { keyword: join.join_type.sql_keyword(), relation, alias: Name::plain(&join.name), on });
            }
        }
        let order: Vec<&str> = self.explore.joins.iter().map(|j| j.name.as_str()).collect();
        rendered.sort_by_key(|j| order.iter().position(|o| *o == j.alias.as_str()));
        conditions.sort_by_key(|(alias, _)| order.iter().position(|o| *o == alias.as_str()));
        Ok((rendered, conditions.into_iter().map(|(_, c)| c).collect()))
    }

    /// One CTE per derived-table view used.
    fn ctes(&self, joins: &[Join]) -> Result<Vec<Cte>, CompileError> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let aliases = std::iter::once(self.explore.base_alias.as_str()).chain(joins.iter().map(|j| j.alias.as_str()));
        for alias in aliases {
            if let Some(view) = self.view_of(alias) {
                if let Some(body) = self.derived_relation(view)? {
                    if seen.insert(view.name.clone()) {
                        out.push(Cte { name: Name::plain(&view.name), body });
                    }
                }
            }
        }
        Ok(out)
    }
}

/// The subtotal level of `name` (1 for the first unpivoted dimension): it must be one of the
/// query's unpivoted dimensions (`row_dims`, positions in `fields`), and not the last of them,
/// whose rows are the data itself.
pub(crate) fn subtotal_depth(
    name: &str,
    fields: &[&str],
    row_dims: &[usize],
    is_measure: impl Fn(usize) -> bool,
    pivots: &[String],
) -> Result<usize, CompileError> {
    let refuse = |message: &str| CompileError::InvalidSubtotal { field: name.to_string(), message: message.into() };
    let i = fields.iter().position(|f| *f == name).ok_or_else(|| refuse("a subtotal must be one of the query's dimensions"))?;
    if is_measure(i) {
        return Err(refuse("only dimensions have subtotals"));
    }
    if pivots.iter().any(|p| p == name) {
        return Err(refuse("a pivoted dimension has no subtotal rows"));
    }
    match row_dims.iter().position(|d| *d == i) {
        Some(at) if at + 1 < row_dims.len() => Ok(at + 1),
        _ => Err(refuse("the last unpivoted dimension has no subtotals (its rows are the data)")),
    }
}
