//! Dimension fill (`fill_fields`): the values a dimension could take that the rows lack, added
//! with empty measures, as Looker fills dates between the first and last returned and fixed sets
//! (yes/no, tiers, `case` labels, weekday and month names …) in full.

use jiff::civil::Date;

use crate::{PivotColumn, PivotRow, PivotTable, ResultSet, Value};

/// At most this many values come out of one fill (Looker's interactive row maximum).
pub const MAX_FILLED: usize = 5000;

#[derive(Debug, Clone, PartialEq)]
pub enum Fill {
    /// Every value between the least and greatest returned, one step apart.
    Range(Step),
    /// Every value of a fixed set, in order.
    Values(Vec<Value>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Dates (`2024-03-05`).
    Day,
    /// Week starts (dates seven days apart).
    Week,
    /// `2024-03`.
    Month,
    /// `2024-Q1`.
    Quarter,
    /// `2024`.
    Year,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillError(pub String);

/// A value's position on the step's scale (days, months, quarters or years since year 0).
fn ordinal(value: &Value, step: Step) -> Option<i64> {
    let text = value.to_text()?;
    match step {
        Step::Day | Step::Week => {
            let date = match value {
                Value::Date(d) => *d,
                Value::DateTime(t) => t.date(),
                _ => text.get(..10)?.parse::<Date>().ok()?,
            };
            Some(i64::from(date.since(Date::constant(1970, 1, 1)).ok()?.get_days()))
        }
        Step::Month => {
            let (y, m) = text.split_once('-')?;
            Some(y.parse::<i64>().ok()? * 12 + m.parse::<i64>().ok()? - 1)
        }
        Step::Quarter => {
            let (y, q) = text.split_once("-Q")?;
            Some(y.parse::<i64>().ok()? * 4 + q.parse::<i64>().ok()? - 1)
        }
        Step::Year => text.trim().parse::<f64>().ok().filter(|y| y.fract() == 0.0).map(|y| y as i64),
    }
}

/// The value at `ordinal`, in the form of `like` (a returned value).
fn at(ordinal: i64, step: Step, like: &Value) -> Option<Value> {
    Some(match step {
        Step::Day | Step::Week => {
            let date = Date::constant(1970, 1, 1).checked_add(jiff::Span::new().try_days(ordinal).ok()?).ok()?;
            match like {
                Value::Date(_) => Value::Date(date),
                Value::DateTime(_) => Value::DateTime(date.at(0, 0, 0, 0)),
                _ => Value::Text(date.to_string()),
            }
        }
        Step::Month => Value::Text(format!("{:04}-{:02}", ordinal.div_euclid(12), ordinal.rem_euclid(12) + 1)),
        Step::Quarter => Value::Text(format!("{}-Q{}", ordinal.div_euclid(4), ordinal.rem_euclid(4) + 1)),
        Step::Year => match like {
            Value::Text(_) => Value::Text(ordinal.to_string()),
            Value::Decimal(_) => Value::Decimal(ordinal.to_string()),
            Value::Float(_) => Value::Float(ordinal as f64),
            _ => Value::Int(ordinal),
        },
    })
}

/// Every value the dimension should show, in ascending order, given the values returned.
/// Returned values outside the fill (NULL, a label the set lacks) are kept, after the others.
pub fn complete(present: &[Value], fill: &Fill) -> Result<Vec<Value>, FillError> {
    let same = |a: &Value, b: &Value| a.to_text() == b.to_text();
    let mut out: Vec<Value> = match fill {
        Fill::Values(values) => values.clone(),
        Fill::Range(step) => {
            let ordinals: Vec<(i64, &Value)> = present.iter().filter_map(|v| ordinal(v, *step).map(|o| (o, v))).collect();
            let (Some(min), Some(max)) = (ordinals.iter().map(|(o, _)| *o).min(), ordinals.iter().map(|(o, _)| *o).max()) else {
                return Ok(present.to_vec());
            };
            let stride = if *step == Step::Week { 7 } else { 1 };
            let count = (max - min) / stride + 1;
            if count as usize > MAX_FILLED {
                return Err(FillError(format!("filling in would give {count} values; at most {MAX_FILLED} can be filled")));
            }
            let like = ordinals[0].1;
            (0..count).filter_map(|i| at(min + i * stride, *step, like)).collect()
        }
    };
    for v in present {
        if !out.iter().any(|o| same(o, v)) {
            out.push(v.clone());
        }
    }
    Ok(out)
}

/// Where one row (or pivot column) of a filled result comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Slot {
    /// The returned row at this index.
    Present(usize),
    /// A combination no row has: its dimension values, measures empty.
    Missing(Vec<Value>),
}

/// Values compared as Looker compares them when filling: by their text.
type TextKey = Vec<Option<String>>;

fn text_key(values: &[Value]) -> TextKey {
    values.iter().map(Value::to_text).collect()
}

/// The rows a result with dimension tuples `keys` has once filled: every combination of the
/// values the other dimensions take together in the rows with every value of each filled
/// dimension (`fills`: its position in the tuple and how it fills), as Looker fills several
/// dimensions at once. `order` is the query's leading sorts on these dimensions (position,
/// descending): rows are ordered by them, a filled dimension in its fill's order, another in
/// the order its values first appear among the returned rows under the same earlier keys (the
/// database's own order); without one, added rows come after the returned ones.
pub fn fill_keys(keys: &[Vec<Value>], fills: &[(usize, &Fill)], order: &[(usize, bool)]) -> Result<Vec<Slot>, FillError> {
    let width = keys.first().map(Vec::len).unwrap_or_else(|| fills.iter().map(|(p, _)| p + 1).max().unwrap_or(0));
    let mut filled_values: Vec<(usize, Vec<Value>)> = Vec::new();
    for (position, fill) in fills {
        let present: Vec<Value> = keys.iter().map(|k| k[*position].clone()).collect();
        let mut values = complete(&present, fill)?;
        if order.iter().any(|(p, descending)| p == position && *descending) {
            values.reverse();
        }
        filled_values.push((*position, values));
    }
    filled_values.sort_by_key(|(p, _)| *p);
    let is_filled = |p: usize| filled_values.iter().any(|(f, _)| *f == p);
    // The other dimensions' combinations, in the order they first appear.
    let mut others: Vec<Vec<Value>> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for key in keys {
        let other: Vec<Value> = (0..width).filter(|p| !is_filled(*p)).map(|p| key[p].clone()).collect();
        if seen.insert(text_key(&other)) {
            others.push(other);
        }
    }
    if keys.is_empty() && (0..width).all(is_filled) {
        others.push(Vec::new());
    }
    let combinations = others.len().saturating_mul(filled_values.iter().map(|(_, v)| v.len().max(1)).product::<usize>());
    if combinations > MAX_FILLED.max(keys.len()) {
        return Err(FillError(format!("filling in would give {combinations} rows; at most {MAX_FILLED} can be filled")));
    }
    let present: std::collections::HashSet<TextKey> = keys.iter().map(|k| text_key(k)).collect();
    let mut slots: Vec<Slot> = (0..keys.len()).map(Slot::Present).collect();
    let mut tuples: Vec<Vec<Value>> = keys.to_vec();
    for other in &others {
        let mut combination = vec![0usize; filled_values.len()];
        'combinations: loop {
            let mut tuple = Vec::with_capacity(width);
            let mut rest = other.iter();
            for p in 0..width {
                match filled_values.iter().position(|(f, _)| *f == p) {
                    Some(i) => tuple.push(filled_values[i].1.get(combination[i]).cloned().unwrap_or(Value::Null)),
                    None => tuple.push(rest.next().cloned().unwrap_or(Value::Null)),
                }
            }
            if !present.contains(&text_key(&tuple)) {
                slots.push(Slot::Missing(tuple.clone()));
                tuples.push(tuple);
            }
            // The next combination, the last filled dimension turning fastest.
            for i in (0..combination.len()).rev() {
                combination[i] += 1;
                if combination[i] < filled_values[i].1.len() {
                    continue 'combinations;
                }
                combination[i] = 0;
            }
            break;
        }
    }
    if order.is_empty() {
        return Ok(slots);
    }
    // Each slot's sort key: per sorted dimension, its place in the fill, or the rank of its value
    // among those first seen under the same earlier keys.
    let mut ranks: Vec<std::collections::HashMap<(TextKey, Option<String>), usize>> = vec![Default::default(); order.len()];
    let sort_keys: Vec<Vec<usize>> = tuples
        .iter()
        .map(|tuple| {
            let mut prefix = Vec::new();
            order
                .iter()
                .enumerate()
                .map(|(i, (p, _))| {
                    let value = tuple[*p].to_text();
                    let rank = match filled_values.iter().find(|(f, _)| f == p) {
                        Some((_, values)) => values.iter().position(|v| v.to_text() == value).unwrap_or(values.len()),
                        None => {
                            let seen = &mut ranks[i];
                            let next = seen.len();
                            *seen.entry((prefix.clone(), value.clone())).or_insert(next)
                        }
                    };
                    prefix.push(value);
                    rank
                })
                .collect()
        })
        .collect();
    let mut indexed: Vec<(Vec<usize>, Slot)> = sort_keys.into_iter().zip(slots).collect();
    indexed.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(indexed.into_iter().map(|(_, slot)| slot).collect())
}

/// Fills an unpivoted table: `fills` and `order` name its columns; a row's dimensions are its
/// columns that are not measures.
pub fn fill_table(table: &mut ResultSet, fills: &[(usize, &Fill)], order: &[(usize, bool)]) -> Result<(), FillError> {
    let dims: Vec<usize> = (0..table.columns.len()).filter(|c| !table.columns[*c].is_measure).collect();
    let at = |column: usize| dims.iter().position(|d| *d == column);
    let fills: Vec<(usize, &Fill)> = fills.iter().filter_map(|(c, f)| Some((at(*c)?, *f))).collect();
    let order: Vec<(usize, bool)> = order.iter().filter_map(|(c, d)| Some((at(*c)?, *d))).collect();
    let keys: Vec<Vec<Value>> = (0..table.row_count()).map(|r| dims.iter().map(|c| table.value(*c, r).clone()).collect()).collect();
    let slots = fill_keys(&keys, &fills, &order)?;
    let old: Vec<Vec<Value>> = std::mem::take(&mut table.data);
    table.data = vec![Vec::with_capacity(slots.len()); table.columns.len()];
    for slot in slots {
        let row: Vec<Value> = match slot {
            Slot::Present(r) => old.iter().map(|c| c[r].clone()).collect(),
            Slot::Missing(tuple) => {
                let mut row = vec![Value::Null; table.columns.len()];
                for (d, value) in dims.iter().zip(tuple) {
                    row[*d] = value;
                }
                row
            }
        };
        table.push_row(row);
    }
    Ok(())
}

/// Fills the pivot columns of a pivoted table: `fills` and `order` name positions among its
/// pivot dimensions.
pub fn fill_pivot_columns(pivot: &mut PivotTable, fills: &[(usize, &Fill)], order: &[(usize, bool)]) -> Result<(), FillError> {
    let keys: Vec<Vec<Value>> = pivot.columns.iter().map(|c| c.values.clone()).collect();
    let slots = fill_keys(&keys, fills, order)?;
    let from: Vec<Option<usize>> = slots.iter().map(|s| if let Slot::Present(i) = s { Some(*i) } else { None }).collect();
    let old = std::mem::take(&mut pivot.columns);
    pivot.columns = slots
        .into_iter()
        .map(|slot| match slot {
            Slot::Present(i) => old[i].clone(),
            Slot::Missing(values) => PivotColumn { key: crate::pivot::pivot_key(&values), values },
        })
        .collect();
    let remap = |cells: &Vec<Vec<Value>>| -> Vec<Vec<Value>> {
        cells.iter().map(|measure| from.iter().map(|f| f.map(|i| measure[i].clone()).unwrap_or(Value::Null)).collect()).collect()
    };
    for row in &mut pivot.rows {
        row.cells = remap(&row.cells);
    }
    if let Some(totals) = &pivot.totals {
        pivot.totals = Some(remap(totals));
    }
    Ok(())
}

/// Fills the rows of a pivoted table: `fills` and `order` name positions among its row
/// dimensions.
pub fn fill_pivot_rows(pivot: &mut PivotTable, fills: &[(usize, &Fill)], order: &[(usize, bool)]) -> Result<(), FillError> {
    let keys: Vec<Vec<Value>> = pivot.rows.iter().map(|r| r.dimensions.clone()).collect();
    let slots = fill_keys(&keys, fills, order)?;
    let empty = vec![vec![Value::Null; pivot.columns.len()]; pivot.measures.len()];
    let row_total = pivot.has_row_totals.then(|| vec![Value::Null; pivot.measures.len()]);
    let mut old: Vec<Option<PivotRow>> = std::mem::take(&mut pivot.rows).into_iter().map(Some).collect();
    pivot.rows = slots
        .into_iter()
        .filter_map(|slot| match slot {
            Slot::Present(i) => old[i].take(),
            Slot::Missing(dimensions) => Some(PivotRow {
                dimensions,
                cells: empty.clone(),
                row_total: row_total.clone(),
                row_calcs: vec![Value::Null; pivot.row_calcs.len()],
            }),
        })
        .collect();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ColumnInfo, ValueType};

    #[test]
    fn ranges_fill_between_the_first_and_last_value() {
        let months = [Value::Text("2023-11".into()), Value::Text("2024-02".into())];
        let filled = complete(&months, &Fill::Range(Step::Month)).unwrap();
        let texts: Vec<String> = filled.iter().filter_map(Value::to_text).collect();
        assert_eq!(texts, ["2023-11", "2023-12", "2024-01", "2024-02"]);
        let weeks = [Value::Date(jiff::civil::date(2024, 1, 1)), Value::Date(jiff::civil::date(2024, 1, 22)), Value::Null];
        let filled = complete(&weeks, &Fill::Range(Step::Week)).unwrap();
        assert_eq!(filled.len(), 5, "{filled:?}");
        assert_eq!(filled[4], Value::Null);
        let quarters = [Value::Text("2023-Q4".into()), Value::Text("2024-Q2".into())];
        assert_eq!(complete(&quarters, &Fill::Range(Step::Quarter)).unwrap()[1], Value::Text("2024-Q1".into()));
        let days = [Value::Date(jiff::civil::date(1900, 1, 1)), Value::Date(jiff::civil::date(2024, 1, 1))];
        assert!(complete(&days, &Fill::Range(Step::Day)).is_err());
    }

    #[test]
    fn a_table_gains_empty_rows_in_its_order() {
        let mut t = ResultSet::new(vec![ColumnInfo::plain("y", ValueType::Number), ColumnInfo::plain("n", ValueType::Number).measure()]);
        t.push_row(vec![Value::Int(2024), Value::Int(3)]);
        t.push_row(vec![Value::Int(2021), Value::Int(1)]);
        fill_table(&mut t, &[(0, &Fill::Range(Step::Year))], &[(0, true)]).unwrap();
        assert_eq!(t.data[0], vec![Value::Int(2024), Value::Int(2023), Value::Int(2022), Value::Int(2021)]);
        assert_eq!(t.data[1], vec![Value::Int(3), Value::Null, Value::Null, Value::Int(1)]);
        let mut t = ResultSet::new(vec![ColumnInfo::plain("b", ValueType::String), ColumnInfo::plain("n", ValueType::Number).measure()]);
        t.push_row(vec![Value::Text("Yes".into()), Value::Int(3)]);
        fill_table(&mut t, &[(0, &Fill::Values(vec![Value::Text("No".into()), Value::Text("Yes".into())]))], &[]).unwrap();
        assert_eq!(t.data[0], vec![Value::Text("Yes".into()), Value::Text("No".into())]);
    }

    #[test]
    fn several_dimensions_fill_every_combination_in_the_sorted_order() {
        let t = |s: &str| Value::Text(s.into());
        let mut table = ResultSet::new(vec![
            ColumnInfo::plain("status", ValueType::String),
            ColumnInfo::plain("month", ValueType::String),
            ColumnInfo::plain("n", ValueType::Number).measure(),
        ]);
        // Sorted by status descending, then month: the database's order.
        for (status, month, n) in [("b", "2024-01", 1), ("b", "2024-03", 2), ("a", "2024-02", 3)] {
            table.push_row(vec![t(status), t(month), Value::Int(n)]);
        }
        fill_table(&mut table, &[(1, &Fill::Range(Step::Month))], &[(0, true), (1, false)]).unwrap();
        let rows: Vec<(Value, Value, Value)> =
            (0..table.row_count()).map(|r| (table.value(0, r).clone(), table.value(1, r).clone(), table.value(2, r).clone())).collect();
        assert_eq!(
            rows,
            vec![
                (t("b"), t("2024-01"), Value::Int(1)),
                (t("b"), t("2024-02"), Value::Null),
                (t("b"), t("2024-03"), Value::Int(2)),
                (t("a"), t("2024-01"), Value::Null),
                (t("a"), t("2024-02"), Value::Int(3)),
                (t("a"), t("2024-03"), Value::Null),
            ]
        );
        // Two filled dimensions: every pair; sorted by a measure, the added rows come last.
        let yes_no = Fill::Values(vec![t("No"), t("Yes")]);
        let slots =
            fill_keys(&[vec![t("Yes"), t("2024-01")], vec![t("No"), t("2024-02")]], &[(0, &yes_no), (1, &Fill::Range(Step::Month))], &[])
                .unwrap();
        assert_eq!(
            slots,
            vec![
                Slot::Present(0),
                Slot::Present(1),
                Slot::Missing(vec![t("No"), t("2024-01")]),
                Slot::Missing(vec![t("Yes"), t("2024-02")]),
            ]
        );
        let many = Fill::Range(Step::Day);
        let keys = [
            vec![Value::Date(jiff::civil::date(2024, 1, 1)), t("x")],
            vec![Value::Date(jiff::civil::date(2024, 12, 31)), t("y")],
            vec![Value::Date(jiff::civil::date(2024, 6, 1)), t("z")],
            vec![Value::Date(jiff::civil::date(2024, 6, 2)), t("w")],
            vec![Value::Date(jiff::civil::date(2024, 6, 3)), t("v")],
            vec![Value::Date(jiff::civil::date(2024, 6, 4)), t("u")],
            vec![Value::Date(jiff::civil::date(2024, 6, 5)), t("s")],
            vec![Value::Date(jiff::civil::date(2024, 6, 6)), t("r")],
            vec![Value::Date(jiff::civil::date(2024, 6, 7)), t("q")],
            vec![Value::Date(jiff::civil::date(2024, 6, 8)), t("p")],
            vec![Value::Date(jiff::civil::date(2024, 6, 9)), t("o")],
            vec![Value::Date(jiff::civil::date(2024, 6, 10)), t("m")],
            vec![Value::Date(jiff::civil::date(2024, 6, 11)), t("l")],
            vec![Value::Date(jiff::civil::date(2024, 6, 12)), t("k")],
        ];
        let e = fill_keys(&keys, &[(0, &many)], &[]).unwrap_err();
        assert!(e.0.contains("at most 5000"), "{e:?}");
    }

    #[test]
    fn pivot_columns_and_rows_are_filled() {
        let mut long = ResultSet::new(vec![
            ColumnInfo::plain("d", ValueType::String),
            ColumnInfo::plain("m", ValueType::String),
            ColumnInfo::plain("n", ValueType::Number).measure(),
            ColumnInfo::plain("__pivot_col", ValueType::Number),
            ColumnInfo::plain("__pivot_count", ValueType::Number),
        ]);
        let t = |s: &str| Value::Text(s.into());
        long.push_row(vec![t("Yes"), t("2024-01"), Value::Int(1), Value::Int(1), Value::Int(2)]);
        long.push_row(vec![t("Yes"), t("2024-03"), Value::Int(3), Value::Int(2), Value::Int(2)]);
        let mut p = crate::pivot(&long, &[1], None, None).unwrap();
        fill_pivot_columns(&mut p, &[(0, &Fill::Range(Step::Month))], &[(0, false)]).unwrap();
        let keys: Vec<&str> = p.columns.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["2024-01", "2024-02", "2024-03"]);
        assert_eq!(p.rows[0].cells[0], vec![Value::Int(1), Value::Null, Value::Int(3)]);
        fill_pivot_rows(&mut p, &[(0, &Fill::Values(vec![t("No"), t("Yes")]))], &[(0, false)]).unwrap();
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[0].dimensions, vec![t("No")]);
        assert_eq!(p.rows[0].cells[0], vec![Value::Null; 3]);
    }
}
