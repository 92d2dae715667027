//! Subtotal rows: a level's query returns the measures grouped by the first few unpivoted
//! dimensions (and the pivots); here its rows are matched to the groups among the returned rows,
//! in the order the groups first appear, and laid out like the rows they total. Groups the row
//! limit left out get no subtotal row, as in Looker.

use std::collections::HashMap;

use crate::pivot::{pivot_key, PivotRow, PivotTable};
use crate::{ResultSet, Subtotals, Value};

/// A group's identity: its dimensions' values as text (NULL distinct from any text).
type GroupKey = Vec<Option<String>>;

fn group_key<'v>(values: impl Iterator<Item = &'v Value>) -> GroupKey {
    values.map(Value::to_text).collect()
}

fn column_named(set: &ResultSet, name: &str) -> Option<usize> {
    set.columns.iter().position(|c| c.name == name)
}

/// The subtotal rows of an unpivoted result `table`, grouped by the columns at `grouped`, from
/// `level` (the level query's rows: the grouped dimensions and the measures, by name).
pub fn plain(table: &ResultSet, depth: usize, grouped: &[usize], level: &ResultSet) -> Subtotals {
    let level_grouped: Vec<Option<usize>> = grouped.iter().map(|g| column_named(level, &table.columns[*g].name)).collect();
    let mut by_group: HashMap<GroupKey, usize> = HashMap::with_capacity(level.row_count());
    for row in 0..level.row_count() {
        let key = level_grouped.iter().map(|c| c.map(|c| level.value(c, row)).unwrap_or(&Value::Null).to_text()).collect();
        by_group.insert(key, row);
    }
    let sources: Vec<Option<usize>> =
        table.columns.iter().map(|c| if c.is_measure { column_named(level, &c.name) } else { None }).collect();
    let mut seen = std::collections::HashSet::new();
    let mut rows = Vec::new();
    for row in 0..table.row_count() {
        let key = group_key(grouped.iter().map(|g| table.value(*g, row)));
        if !seen.insert(key.clone()) {
            continue;
        }
        let Some(&at) = by_group.get(&key) else { continue };
        let values = (0..table.columns.len())
            .map(|c| match (grouped.contains(&c), sources[c]) {
                (true, _) => table.value(c, row).clone(),
                (false, Some(source)) => level.value(source, at).clone(),
                (false, None) => Value::Null,
            })
            .collect();
        rows.push(values);
    }
    Subtotals { depth, grouped: grouped.iter().map(|g| table.columns[*g].name.clone()).collect(), rows, pivot_rows: Vec::new() }
}

/// The subtotal rows of a pivoted result, grouped by the dimensions named `grouped` (leading
/// dimensions of `pivot`), from `level` (the grouped dimensions, the pivots and the measures)
/// and `row_totals` (the grouped dimensions and the measures, when the query has row totals).
pub fn pivoted(pivot: &PivotTable, depth: usize, grouped: &[String], level: &ResultSet, row_totals: Option<&ResultSet>) -> Subtotals {
    let at_level = |set: &ResultSet, names: &[String]| -> Vec<Option<usize>> { names.iter().map(|n| column_named(set, n)).collect() };
    let value_at = |set: &'_ ResultSet, column: Option<usize>, row: usize| -> Value {
        column.map(|c| set.value(c, row).clone()).unwrap_or(Value::Null)
    };
    let level_grouped = at_level(level, grouped);
    let pivot_names: Vec<String> = pivot.pivots.iter().map(|p| p.name.clone()).collect();
    let level_pivots = at_level(level, &pivot_names);
    let measure_names: Vec<String> = pivot.measures.iter().map(|m| m.name.clone()).collect();
    let level_measures = at_level(level, &measure_names);
    let column_of: HashMap<&str, usize> = pivot.columns.iter().enumerate().map(|(i, c)| (c.key.as_str(), i)).collect();
    let mut cells: HashMap<GroupKey, Vec<Vec<Value>>> = HashMap::new();
    for row in 0..level.row_count() {
        let key = level_grouped.iter().map(|c| value_at(level, *c, row).to_text()).collect();
        let pivot_values: Vec<Value> = level_pivots.iter().map(|c| value_at(level, *c, row)).collect();
        let Some(&column) = column_of.get(pivot_key(&pivot_values).as_str()) else { continue };
        let group = cells.entry(key).or_insert_with(|| vec![vec![Value::Null; pivot.columns.len()]; pivot.measures.len()]);
        for (m, source) in level_measures.iter().enumerate() {
            group[m][column] = value_at(level, *source, row);
        }
    }
    let mut totals: HashMap<GroupKey, Vec<Value>> = HashMap::new();
    if let Some(set) = row_totals {
        let (set_grouped, set_measures) = (at_level(set, grouped), at_level(set, &measure_names));
        for row in 0..set.row_count() {
            let key = set_grouped.iter().map(|c| value_at(set, *c, row).to_text()).collect();
            totals.insert(key, set_measures.iter().map(|c| value_at(set, *c, row)).collect());
        }
    }
    let positions: Vec<usize> = grouped.iter().filter_map(|name| pivot.dimensions.iter().position(|d| &d.name == name)).collect();
    let mut seen = std::collections::HashSet::new();
    let mut pivot_rows = Vec::new();
    for row in &pivot.rows {
        let key = group_key(positions.iter().map(|p| &row.dimensions[*p]));
        if !seen.insert(key.clone()) {
            continue;
        }
        let Some(group_cells) = cells.get(&key) else { continue };
        let dimensions =
            (0..pivot.dimensions.len()).map(|d| if positions.contains(&d) { row.dimensions[d].clone() } else { Value::Null }).collect();
        let row_total = match pivot.has_row_totals {
            true => Some(totals.get(&key).cloned().unwrap_or_else(|| vec![Value::Null; pivot.measures.len()])),
            false => None,
        };
        pivot_rows.push(PivotRow { dimensions, cells: group_cells.clone(), row_total, row_calcs: Vec::new() });
    }
    Subtotals { depth, grouped: grouped.to_vec(), rows: Vec::new(), pivot_rows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ColumnInfo, ValueType};

    fn set(columns: &[(&str, bool)], rows: Vec<Vec<Value>>) -> ResultSet {
        let mut out = ResultSet::new(
            columns
                .iter()
                .map(|(n, m)| {
                    let c = ColumnInfo::plain(n, if *m { ValueType::Number } else { ValueType::String });
                    if *m {
                        c.measure()
                    } else {
                        c
                    }
                })
                .collect(),
        );
        for r in rows {
            out.push_row(r);
        }
        out
    }

    fn s(text: &str) -> Value {
        Value::Text(text.into())
    }

    #[test]
    fn plain_subtotals_follow_the_groups_returned() {
        let table = set(
            &[("u.state", false), ("o.status", false), ("o.count", true)],
            vec![
                vec![s("CA"), s("a"), Value::Int(1)],
                vec![s("CA"), s("b"), Value::Int(2)],
                vec![Value::Null, s("a"), Value::Int(4)],
                vec![s("NY"), s("a"), Value::Int(8)],
            ],
        );
        // The level query also has a group (TX) that the limit left out, and a true total
        // for CA that is not the sum of the rows shown.
        let level = set(
            &[("u.state", false), ("o.count", true)],
            vec![
                vec![s("NY"), Value::Int(8)],
                vec![s("CA"), Value::Int(5)],
                vec![s("TX"), Value::Int(9)],
                vec![Value::Null, Value::Int(4)],
            ],
        );
        let out = plain(&table, 1, &[0], &level);
        assert_eq!(out.grouped, ["u.state"]);
        assert_eq!(
            out.rows,
            vec![
                vec![s("CA"), Value::Null, Value::Int(5)],
                vec![Value::Null, Value::Null, Value::Int(4)],
                vec![s("NY"), Value::Null, Value::Int(8)],
            ]
        );
    }

    #[test]
    fn pivoted_subtotals_fill_each_pivot_column() {
        let long = set(
            &[
                ("u.state", false),
                ("o.status", false),
                ("o.year", false),
                ("o.count", true),
                ("__pivot_column", true),
                ("__pivot_count", true),
            ],
            vec![
                vec![s("CA"), s("a"), s("2024"), Value::Int(1), Value::Int(1), Value::Int(2)],
                vec![s("CA"), s("a"), s("2025"), Value::Int(2), Value::Int(2), Value::Int(2)],
                vec![s("CA"), s("b"), s("2025"), Value::Int(3), Value::Int(2), Value::Int(2)],
            ],
        );
        let mut table = crate::pivot(&long, &[2], None, None).unwrap();
        table.has_row_totals = true;
        let level = set(
            &[("u.state", false), ("o.year", false), ("o.count", true)],
            vec![vec![s("CA"), s("2024"), Value::Int(1)], vec![s("CA"), s("2025"), Value::Int(5)]],
        );
        let totals = set(&[("u.state", false), ("o.count", true)], vec![vec![s("CA"), Value::Int(6)]]);
        let out = pivoted(&table, 1, &["u.state".to_string()], &level, Some(&totals));
        assert_eq!(out.pivot_rows.len(), 1);
        let row = &out.pivot_rows[0];
        assert_eq!(row.dimensions, vec![s("CA"), Value::Null]);
        assert_eq!(row.cells, vec![vec![Value::Int(1), Value::Int(5)]]);
        assert_eq!(row.row_total, Some(vec![Value::Int(6)]));
    }
}
