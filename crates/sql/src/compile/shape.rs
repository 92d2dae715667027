//! Statements derived from one [`Plan`]: the plain query (sorted, limited, post-query measures
//! computed by an outer query), the pivoted query (ranked so that `column_limit` and the row
//! limit count pivot columns and pivoted rows), and the totals and row-totals queries. Each is
//! an edit of the planned tree.

use semantic::MeasureType;

use super::statement::Plan;
use crate::query::Limit;
use crate::tree::{Expr, Item, Name, Order, Relation, Select, SortKey, Statement};
use result::ColumnInfo;

/// The hidden columns of a pivoted query's rows: the pivot column (from 1) the row belongs to,
/// and how many pivot columns there are before `column_limit` cuts them.
pub const PIVOT_COLUMN: &str = "__pivot_col";
pub const PIVOT_COUNT: &str = "__pivot_count";

/// Every row from the current row back to the first.
const RUNNING: &str = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW";

fn q() -> Name {
    Name::plain("q")
}

fn col(name: &Name) -> Expr {
    Expr::column(q(), name.clone())
}

/// `SELECT q.carried…, extra… FROM (inner) AS q`.
fn over(inner: Select, carried: &[Name], extra: Vec<Item>) -> Select {
    let items = carried.iter().map(|n| Item::new(col(n), n.clone())).chain(extra).collect();
    Select::from(Relation::Query(Box::new(Statement { ctes: Vec::new(), body: inner })), q(), items)
}

impl Plan {
    fn limit_rows(&self) -> Option<u64> {
        match self.limit {
            Limit::Rows(n) => Some(n),
            Limit::All => None,
        }
    }

    /// The plain query.
    pub fn statement(&self) -> Statement {
        let mut select = self.select.clone();
        select.order_by = self
            .order
            .iter()
            .map(|s| Order {
                key: match &s.key {
                    Some(o) => SortKey::Expr(o.expr.clone()),
                    None => SortKey::Item(self.alias(s.field).clone()),
                },
                desc: s.desc,
            })
            .collect();
        select.limit = self.limit_rows();
        if self.fields.iter().all(|f| f.post.is_none()) {
            return Statement { ctes: self.ctes.clone(), body: select };
        }
        // Post-query measures: the rows are numbered in the query's order, and an outer query
        // computes the measures over them in that order.
        let window = self
            .order
            .iter()
            .map(|s| (s.key.as_ref().map(|o| o.expr.clone()).unwrap_or_else(|| select.items[s.field].expr.clone()), s.desc))
            .collect();
        let row_name = Name::quoted("__row");
        select.items.push(Item::new(Expr::window(Expr::call("ROW_NUMBER", Vec::new()), Vec::new(), window), row_name.clone()));
        let row = col(&row_name);
        let items = self
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let v = col(self.alias(i));
                let expr = match f.post {
                    None => v,
                    Some(MeasureType::RunningTotal) => Expr::Window {
                        call: Box::new(Expr::call("SUM", vec![v])),
                        partition_by: Vec::new(),
                        order_by: vec![(row.clone(), false)],
                        frame: Some(RUNNING),
                    },
                    Some(MeasureType::PercentOfTotal) => {
                        let total = Expr::window(Expr::call("SUM", vec![v.clone()]), Vec::new(), Vec::new());
                        percent(v, Expr::call("NULLIF", vec![total, Expr::Integer(0)]))
                    }
                    Some(_) => {
                        let previous = Expr::window(Expr::call("LAG", vec![v.clone()]), Vec::new(), vec![(row.clone(), false)]);
                        let change = Expr::binary(v, "-", previous.clone()).nested();
                        percent(change, Expr::call("NULLIF", vec![previous, Expr::Integer(0)]))
                    }
                };
                Item::new(expr, Name::quoted(&f.name))
            })
            .collect();
        let mut outer = over(select, &[], items);
        outer.order_by = vec![Order { key: SortKey::Expr(row), desc: false }];
        Statement { ctes: self.ctes.clone(), body: outer }
    }

    /// The query pivoted on the fields at `pivots`: its rows are the plain rows (pivot
    /// dimensions included) plus [`PIVOT_COLUMN`] and [`PIVOT_COUNT`], at most `column_limit`
    /// pivot columns and `limit` distinct rows of the other dimensions, ordered by row then
    /// pivot column. Rows are ranked as Looker ranks them: by their best-placed cell under the
    /// query's sorts, or by a measure's value in one pivot column when the sort names one.
    pub fn pivoted(&self, pivots: &[usize], column_limit: u64) -> Statement {
        let mut base = self.select.clone();
        base.items.truncate(self.fields.len());
        let mut row_keys = Vec::new();
        let mut pivot_keys = Vec::new();
        // Measures sorted in one pivot column: (the measure, the row's value there, the column
        // from 1).
        let mut in_column: Vec<(Name, Name, u32)> = Vec::new();
        for (n, sort) in self.order.iter().enumerate() {
            let key = match &sort.key {
                None => self.alias(sort.field).clone(),
                Some(o) => {
                    let alias = Name::quoted(format!("__sort_{n}"));
                    base.items.push(Item { expr: o.expr.clone(), alias: alias.clone(), grouped: o.is_dimension });
                    alias
                }
            };
            if pivots.contains(&sort.field) {
                pivot_keys.push((col(&key), sort.desc));
            } else if let Some(index) = sort.pivot_index {
                // Rows with a value in that column come first, then by the value.
                let by = Name::quoted(format!("__sort_in_pivot_{n}"));
                row_keys.push((Expr::binary(col(&by), "IS", Expr::sql("NULL")), false));
                row_keys.push((col(&by), sort.desc));
                in_column.push((key, by, index.saturating_add(1)));
            } else {
                row_keys.push((col(&key), sort.desc));
            }
        }
        if pivot_keys.is_empty() {
            pivot_keys = pivots.iter().map(|p| (col(self.alias(*p)), false)).collect();
        }
        let row_dims: Vec<Expr> =
            (0..self.fields.len()).filter(|i| !self.fields[*i].is_measure && !pivots.contains(i)).map(|i| col(self.alias(i))).collect();
        let mut carried: Vec<Name> = base.items.iter().map(|i| i.alias.clone()).collect();
        let pivot_col = Name::quoted(PIVOT_COLUMN);
        let dense_rank = |keys| Expr::window(Expr::call("DENSE_RANK", Vec::new()), Vec::new(), keys);

        let ranked_columns = over(base, &carried, vec![Item::new(dense_rank(pivot_keys), pivot_col.clone())]);
        carried.push(pivot_col.clone());
        let pivot_count = Name::quoted(PIVOT_COUNT);
        let count = Expr::window(Expr::call("MAX", vec![col(&pivot_col)]), Vec::new(), Vec::new());
        let mut counted = over(ranked_columns, &carried, vec![Item::new(count, pivot_count.clone())]);
        carried.push(pivot_count.clone());
        if !in_column.is_empty() {
            // Each row's value of the measure in the chosen pivot column, on all its cells.
            let keys = in_column
                .iter()
                .map(|(measure, by, column)| {
                    let case = Expr::Case(vec![(Expr::binary(col(&pivot_col), "=", Expr::Integer(i64::from(*column))), col(measure))]);
                    Item::new(Expr::window(Expr::call("MAX", vec![case]), row_dims.clone(), Vec::new()), by.clone())
                })
                .collect();
            counted = over(counted, &carried, keys);
            carried.extend(in_column.iter().map(|(_, by, _)| by.clone()));
        }
        let cell = Name::quoted("__cell_rank");
        let cell_order =
            row_keys.into_iter().chain([(col(&pivot_col), false)]).chain(row_dims.iter().map(|d| (d.clone(), false))).collect();
        let cell_rank = Expr::window(Expr::call("RANK", Vec::new()), Vec::new(), cell_order);
        let mut cells = over(counted, &carried, vec![Item::new(cell_rank, cell.clone())]);
        cells.wheres.push(Expr::binary(col(&pivot_col), "<=", Expr::Integer(column_limit.min(i64::MAX as u64) as i64)));
        let row_min = Name::quoted("__row_min");
        let best = Expr::window(Expr::call("MIN", vec![col(&cell)]), row_dims, Vec::new());
        let best_cells = over(cells, &carried, vec![Item::new(best, row_min.clone())]);
        let pivot_row = Name::quoted("__pivot_row");
        let rows = over(best_cells, &carried, vec![Item::new(dense_rank(vec![(col(&row_min), false)]), pivot_row.clone())]);
        let mut shown: Vec<Name> = (0..self.fields.len()).map(|i| self.alias(i).clone()).collect();
        shown.push(pivot_col.clone());
        shown.push(pivot_count.clone());
        let has_post = self.fields.iter().any(|f| f.post.is_some());
        if has_post {
            shown.push(pivot_row.clone());
        }
        let mut outer = over(rows, &shown, Vec::new());
        if let Some(n) = self.limit_rows() {
            outer.wheres.push(Expr::binary(col(&pivot_row), "<=", Expr::Integer(n.min(i64::MAX as u64) as i64)));
        }
        if has_post {
            outer = self.pivoted_post_measures(outer, &pivot_row, &pivot_col, &pivot_count);
        }
        outer.order_by =
            vec![Order { key: SortKey::Expr(col(&pivot_row)), desc: false }, Order { key: SortKey::Expr(col(&pivot_col)), desc: false }];
        Statement { ctes: self.ctes.clone(), body: outer }
    }

    /// Post-query measures of a pivoted query, over its returned cells (`rows`: one per row and
    /// pivot column, numbered by [`PIVOT_COLUMN`] and `pivot_row`): across each row's pivot
    /// columns by default, down each pivot column with `direction: "column"`. A missing cell
    /// breaks a percent of previous: the cell after it has no previous value.
    fn pivoted_post_measures(&self, rows: Select, pivot_row: &Name, pivot_col: &Name, pivot_count: &Name) -> Select {
        let mut items: Vec<Item> = self
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let v = col(self.alias(i));
                let Some(kind) = f.post else { return Item::new(v, self.alias(i).clone()) };
                let (within, along) = match f.down_columns {
                    true => (col(pivot_col), col(pivot_row)),
                    false => (col(pivot_row), col(pivot_col)),
                };
                let expr = match kind {
                    MeasureType::RunningTotal => Expr::Window {
                        call: Box::new(Expr::call("SUM", vec![v])),
                        partition_by: vec![within],
                        order_by: vec![(along, false)],
                        frame: Some(RUNNING),
                    },
                    MeasureType::PercentOfTotal => {
                        let total = Expr::window(Expr::call("SUM", vec![v.clone()]), vec![within], Vec::new());
                        percent(v, Expr::call("NULLIF", vec![total, Expr::Integer(0)]))
                    }
                    _ => {
                        let lag = |e: Expr| Expr::window(Expr::call("LAG", vec![e]), vec![within.clone()], vec![(along.clone(), false)]);
                        let adjacent = Expr::binary(lag(along.clone()), "=", Expr::binary(along.clone(), "-", Expr::Integer(1)));
                        let previous = Expr::Case(vec![(adjacent, lag(v.clone()))]);
                        let change = Expr::binary(v, "-", previous.clone()).nested();
                        percent(change, Expr::call("NULLIF", vec![previous, Expr::Integer(0)]))
                    }
                };
                Item::new(expr, Name::quoted(&f.name))
            })
            .collect();
        // The row number only orders the cells: the columns are those of any pivoted query.
        items.extend([pivot_col, pivot_count].into_iter().map(|n| Item::new(col(n), n.clone())));
        over(rows, &[], items)
    }

    /// The totals query: the measures (post-query ones aside) over every row the filters keep,
    /// grouped by the pivot dimensions only; measure filters do not apply (as in Looker).
    /// `None` when the query has no measure to total.
    pub fn totals(&self, pivots: &[usize]) -> Option<(Statement, Vec<ColumnInfo>)> {
        self.regrouped(|i| pivots.contains(&i))
    }

    /// The row-totals query of a pivoted query: the measures grouped by the dimensions that are
    /// not pivoted, across every pivot value.
    pub fn row_totals(&self, pivots: &[usize]) -> Option<(Statement, Vec<ColumnInfo>)> {
        self.regrouped(|i| !pivots.contains(&i))
    }

    /// A subtotal level's query: the measures grouped by the `grouped` dimensions and the pivots.
    pub fn subtotals(&self, pivots: &[usize], grouped: &[usize]) -> Option<(Statement, Vec<ColumnInfo>)> {
        self.regrouped(|i| pivots.contains(&i) || grouped.contains(&i))
    }

    /// The measures, with only the dimensions `keep` chooses, unsorted and unlimited.
    fn regrouped(&self, keep: impl Fn(usize) -> bool) -> Option<(Statement, Vec<ColumnInfo>)> {
        let chosen: Vec<usize> = (0..self.fields.len())
            .filter(|i| {
                let f = &self.fields[*i];
                if f.is_measure {
                    f.post.is_none()
                } else {
                    keep(*i)
                }
            })
            .collect();
        if !chosen.iter().any(|i| self.fields[*i].is_measure) {
            return None;
        }
        let mut select = self.select.clone();
        select.items = chosen.iter().map(|i| self.select.items[*i].clone()).collect();
        select.havings.clear();
        select.order_by.clear();
        select.limit = None;
        let columns = chosen.iter().map(|i| self.columns[*i].clone()).collect();
        Some((Statement { ctes: self.ctes.clone(), body: select }, columns))
    }
}

/// `100.0 * value / divisor`.
fn percent(value: Expr, divisor: Expr) -> Expr {
    Expr::binary(Expr::binary(Expr::sql("100.0"), "*", value), "/", divisor)
}
