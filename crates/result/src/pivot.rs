//! Pivoted results: rows of the dimensions that are not pivoted, with each measure repeated once
//! per pivot column (a distinct combination of the pivot dimensions' values), as Looker shows
//! them. Built from the long rows a pivoted query returns (ordered by row, then pivot column,
//! each tagged with its pivot column's rank) and from the totals and row-totals queries.

use std::collections::HashMap;

use crate::{ColumnInfo, ResultSet, Value};

/// The key of the row-totals column, as Looker names it.
pub const ROW_TOTAL_KEY: &str = "$$$_row_total_$$$";
/// Between the values of several pivot dimensions in a pivot key, as Looker joins them.
pub const KEY_SEPARATOR: &str = "|FIELD|";
/// A NULL pivot value's part of a key (Looker's UI shows NULL pivot values as ∅).
pub const NULL_KEY: &str = "∅";

#[derive(Debug, Clone, PartialEq)]
pub struct PivotTable {
    /// The dimensions that stay rows, in query order.
    pub dimensions: Vec<ColumnInfo>,
    pub measures: Vec<ColumnInfo>,
    /// The pivoted dimensions.
    pub pivots: Vec<ColumnInfo>,
    /// Pivot columns in order.
    pub columns: Vec<PivotColumn>,
    pub rows: Vec<PivotRow>,
    /// Column totals, `[measure][pivot column]`, when the query asked for them.
    pub totals: Option<Vec<Vec<Value>>>,
    /// Whether rows carry row totals.
    pub has_row_totals: bool,
    /// Table calculations with one value per row (they reduce its pivot columns), shown after
    /// the pivoted columns and row totals.
    pub row_calcs: Vec<ColumnInfo>,
    /// `row_total: left`: tables show the row totals before the pivot columns (the JSON formats
    /// key them alike either way).
    pub row_totals_left: bool,
    /// Whether `column_limit` (or the row limit) left pivot values out.
    pub columns_truncated: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PivotColumn {
    /// The values joined with [`KEY_SEPARATOR`].
    pub key: String,
    /// One value per pivot dimension.
    pub values: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PivotRow {
    pub dimensions: Vec<Value>,
    /// `[measure][pivot column]`; NULL where the combination has no rows.
    pub cells: Vec<Vec<Value>>,
    /// One per measure, when the query asked for row totals.
    pub row_total: Option<Vec<Value>>,
    /// One per [`PivotTable::row_calcs`]: the row's unpivoted table calculations.
    pub row_calcs: Vec<Value>,
}

/// Why long rows could not be pivoted (a planner bug, never user input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PivotError(pub String);

/// The key of a combination of values.
pub fn pivot_key(values: &[Value]) -> String {
    values.iter().map(|v| v.to_text().unwrap_or_else(|| NULL_KEY.to_string())).collect::<Vec<_>>().join(KEY_SEPARATOR)
}

/// Reshapes `long`: its columns are the query's (pivot dimensions at `pivots`) followed by the
/// pivot column's rank and the number of pivot values before `column_limit`; rows come ordered by pivoted row, then pivot column. `totals` has the
/// pivot dimensions and the measures (one row per pivot value); `row_totals` the other
/// dimensions and the measures (one row per pivoted row).
pub fn pivot(
    long: &ResultSet,
    pivots: &[usize],
    totals: Option<&ResultSet>,
    row_totals: Option<&ResultSet>,
) -> Result<PivotTable, PivotError> {
    let width = long.columns.len().checked_sub(2).ok_or_else(|| PivotError("no pivot rank columns".into()))?;
    let (rank_column, count_column) = (width, width + 1);
    let dims: Vec<usize> = (0..width).filter(|c| !long.columns[*c].is_measure && !pivots.contains(c)).collect();
    let measures: Vec<usize> = (0..width).filter(|c| long.columns[*c].is_measure).collect();
    let cols = |idx: &[usize]| idx.iter().map(|c| long.columns[*c].clone()).collect::<Vec<_>>();

    // Pivot columns by rank, as they occur.
    let mut by_rank: Vec<(i64, Vec<Value>)> = Vec::new();
    let mut rank_of_row = Vec::with_capacity(long.row_count());
    let mut available = 0;
    for row in 0..long.row_count() {
        let rank = whole(long.value(rank_column, row))?;
        available = available.max(whole(long.value(count_column, row))?);
        if !by_rank.iter().any(|(r, _)| *r == rank) {
            by_rank.push((rank, pivots.iter().map(|c| long.value(*c, row).clone()).collect()));
        }
        rank_of_row.push(rank);
    }
    by_rank.sort_by_key(|(r, _)| *r);
    let columns: Vec<PivotColumn> =
        by_rank.iter().map(|(_, values)| PivotColumn { key: pivot_key(values), values: values.clone() }).collect();
    let position: HashMap<i64, usize> = by_rank.iter().enumerate().map(|(i, (r, _))| (*r, i)).collect();

    // Consecutive long rows with the same dimension values make one pivoted row.
    let mut rows: Vec<PivotRow> = Vec::new();
    for (row, rank) in rank_of_row.iter().enumerate() {
        let values: Vec<Value> = dims.iter().map(|c| long.value(*c, row).clone()).collect();
        if rows.last().is_none_or(|r| r.dimensions != values) {
            rows.push(PivotRow {
                dimensions: values,
                cells: vec![vec![Value::Null; columns.len()]; measures.len()],
                row_total: None,
                row_calcs: Vec::new(),
            });
        }
        let target = rows.last_mut().ok_or_else(|| PivotError("no row".into()))?;
        let at = position[rank];
        for (m, c) in measures.iter().enumerate() {
            target.cells[m][at] = long.value(*c, row).clone();
        }
    }

    let measure_names: Vec<&str> = measures.iter().map(|c| long.columns[*c].name.as_str()).collect();
    let totals = match totals {
        Some(t) => {
            let mut out = vec![vec![Value::Null; columns.len()]; measures.len()];
            let pivot_names: Vec<&str> = pivots.iter().map(|c| long.columns[*c].name.as_str()).collect();
            let at = column_positions(t, &pivot_names)?;
            let measure_at = column_positions(t, &measure_names)?;
            for row in 0..t.row_count() {
                let key = pivot_key(&at.iter().map(|c| t.value(*c, row).clone()).collect::<Vec<_>>());
                if let Some(p) = columns.iter().position(|c| c.key == key) {
                    for (m, c) in measure_at.iter().enumerate() {
                        out[m][p] = t.value(*c, row).clone();
                    }
                }
            }
            Some(out)
        }
        None => None,
    };
    if let Some(t) = row_totals {
        let dim_names: Vec<&str> = dims.iter().map(|c| long.columns[*c].name.as_str()).collect();
        let at = column_positions(t, &dim_names)?;
        let measure_at = column_positions(t, &measure_names)?;
        let mut index: HashMap<String, usize> = HashMap::new();
        for row in 0..t.row_count() {
            index.insert(pivot_key(&at.iter().map(|c| t.value(*c, row).clone()).collect::<Vec<_>>()), row);
        }
        for r in &mut rows {
            let found = index.get(&pivot_key(&r.dimensions));
            r.row_total = Some(measure_at.iter().map(|c| found.map(|row| t.value(*c, *row).clone()).unwrap_or(Value::Null)).collect());
        }
    }
    let columns_truncated = available > columns.len() as i64;
    Ok(PivotTable {
        dimensions: cols(&dims),
        measures: cols(&measures),
        pivots: cols(pivots),
        columns,
        rows,
        totals,
        has_row_totals: row_totals.is_some(),
        row_calcs: Vec::new(),
        row_totals_left: false,
        columns_truncated,
    })
}

impl PivotTable {
    /// One column per (pivot column, measure), pivot by pivot, after the row dimensions: the
    /// series a chart of a pivoted query draws. Each is named as Looker keys a pivoted series
    /// (`series_colors`, `series_labels`): `<pivot key> - <measure>`; labelled by its pivot
    /// values (and the measure's label when there are several measures). Totals and row totals
    /// are not series.
    pub fn flattened(&self) -> ResultSet {
        let mut columns = self.dimensions.clone();
        for pivot in &self.columns {
            let shown = pivot.values.iter().map(|v| v.to_text().unwrap_or_else(|| NULL_KEY.to_string())).collect::<Vec<_>>().join(", ");
            for measure in &self.measures {
                let mut column = measure.clone();
                column.name = format!("{} - {}", pivot.key, measure.name);
                column.series_of = Some(measure.label.clone());
                column.label = match self.measures.len() {
                    1 => shown.clone(),
                    _ => format!("{shown} - {}", measure.label),
                };
                columns.push(column);
            }
        }
        let mut table = ResultSet::new(columns);
        for row in &self.rows {
            let mut values = row.dimensions.clone();
            for p in 0..self.columns.len() {
                values.extend(row.cells.iter().map(|cells| cells.get(p).cloned().unwrap_or(Value::Null)));
            }
            table.push_row(values);
        }
        table
    }
}

fn whole(value: &Value) -> Result<i64, PivotError> {
    match value {
        Value::Int(r) => Ok(*r),
        Value::Decimal(d) => d.parse().map_err(|_| PivotError(format!("pivot rank `{d}` is not a whole number"))),
        Value::Float(f) => Ok(*f as i64),
        other => Err(PivotError(format!("pivot rank {other:?} is not a number"))),
    }
}

/// Where each named column is in `set`.
fn column_positions(set: &ResultSet, names: &[&str]) -> Result<Vec<usize>, PivotError> {
    names
        .iter()
        .map(|n| set.columns.iter().position(|c| c.name == *n).ok_or_else(|| PivotError(format!("column `{n}` is missing"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ValueType;

    fn long() -> ResultSet {
        let mut r = ResultSet::new(vec![
            ColumnInfo::plain("users.state", ValueType::String),
            ColumnInfo::plain("orders.status", ValueType::String),
            ColumnInfo::plain("orders.count", ValueType::Number).measure(),
            ColumnInfo::plain("__pivot_col", ValueType::Number),
            ColumnInfo::plain("__pivot_count", ValueType::Number),
        ]);
        let t = |s: &str| Value::Text(s.into());
        r.push_row(vec![t("CA"), t("complete"), Value::Int(3), Value::Int(1), Value::Int(3)]);
        r.push_row(vec![t("CA"), Value::Null, Value::Int(1), Value::Int(3), Value::Int(3)]);
        r.push_row(vec![t("NY"), t("pending"), Value::Int(2), Value::Int(2), Value::Int(3)]);
        r
    }

    #[test]
    fn long_rows_become_pivot_columns() {
        let p = pivot(&long(), &[1], None, None).unwrap();
        let keys: Vec<&str> = p.columns.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["complete", "pending", "∅"]);
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[0].cells[0], vec![Value::Int(3), Value::Null, Value::Int(1)]);
        assert_eq!(p.rows[1].cells[0], vec![Value::Null, Value::Int(2), Value::Null]);
        assert!(!p.columns_truncated);
    }

    #[test]
    fn flattened_tables_have_a_series_per_pivot_column_named_as_looker_keys_them() {
        let flat = pivot(&long(), &[1], None, None).unwrap().flattened();
        let names: Vec<&str> = flat.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["users.state", "complete - orders.count", "pending - orders.count", "∅ - orders.count"]);
        let labels: Vec<&str> = flat.columns.iter().skip(1).map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["complete", "pending", "∅"]);
        assert!(flat.columns[1..].iter().all(|c| c.is_measure && c.series_of.as_deref() == Some("orders.count")));
        assert_eq!(flat.row_count(), 2);
        assert_eq!((flat.value(1, 0), flat.value(3, 0), flat.value(2, 1)), (&Value::Int(3), &Value::Int(1), &Value::Int(2)));
        assert_eq!(flat.value(1, 1), &Value::Null);
    }

    #[test]
    fn totals_and_row_totals_are_matched_by_value() {
        let mut totals = ResultSet::new(vec![
            ColumnInfo::plain("orders.status", ValueType::String),
            ColumnInfo::plain("orders.count", ValueType::Number).measure(),
        ]);
        totals.push_row(vec![Value::Text("pending".into()), Value::Int(2)]);
        totals.push_row(vec![Value::Null, Value::Int(1)]);
        let mut row_totals = ResultSet::new(vec![
            ColumnInfo::plain("users.state", ValueType::String),
            ColumnInfo::plain("orders.count", ValueType::Number).measure(),
        ]);
        row_totals.push_row(vec![Value::Text("NY".into()), Value::Int(2)]);
        let p = pivot(&long(), &[1], Some(&totals), Some(&row_totals)).unwrap();
        assert_eq!(p.totals.unwrap()[0], vec![Value::Null, Value::Int(2), Value::Int(1)]);
        assert_eq!(p.rows[0].row_total, Some(vec![Value::Null]));
        assert_eq!(p.rows[1].row_total, Some(vec![Value::Int(2)]));
        assert!(!p.columns_truncated);
        let mut cut = long();
        cut.data[4][0] = Value::Int(4);
        assert!(pivot(&cut, &[1], None, None).unwrap().columns_truncated);
    }
}
