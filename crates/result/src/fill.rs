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

/// Fills the one dimension (`column`) of an unpivoted table; `descending` is its sort direction
/// when the query sorts by it first (rows are then ordered by it), `None` otherwise (added rows
/// come last).
pub fn fill_table(table: &mut ResultSet, column: usize, fill: &Fill, descending: Option<bool>) -> Result<(), FillError> {
    let present: Vec<Value> = table.data[column].clone();
    let mut order = complete(&present, fill)?;
    if descending == Some(true) {
        order.reverse();
    }
    let position = |v: &Value| order.iter().position(|o| o.to_text() == v.to_text()).unwrap_or(order.len());
    let mut rows: Vec<Vec<Value>> = (0..table.row_count()).map(|r| table.data.iter().map(|c| c[r].clone()).collect()).collect();
    for v in &order {
        if !present.iter().any(|p| p.to_text() == v.to_text()) {
            let mut row = vec![Value::Null; table.columns.len()];
            row[column] = v.clone();
            rows.push(row);
        }
    }
    if descending.is_some() {
        rows.sort_by_key(|row| position(&row[column]));
    }
    for c in &mut table.data {
        c.clear();
    }
    for row in rows {
        table.push_row(row);
    }
    Ok(())
}

/// Fills the pivot columns of a table pivoted on one dimension.
pub fn fill_pivot_columns(pivot: &mut PivotTable, fill: &Fill, descending: bool) -> Result<(), FillError> {
    let present: Vec<Value> = pivot.columns.iter().map(|c| c.values[0].clone()).collect();
    let mut order = complete(&present, fill)?;
    if descending {
        order.reverse();
    }
    let from: Vec<Option<usize>> = order.iter().map(|v| present.iter().position(|p| p.to_text() == v.to_text())).collect();
    pivot.columns =
        order.iter().map(|v| PivotColumn { key: crate::pivot::pivot_key(std::slice::from_ref(v)), values: vec![v.clone()] }).collect();
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

/// Fills the one row dimension of a pivoted table; `descending` as in [`fill_table`].
pub fn fill_pivot_rows(pivot: &mut PivotTable, fill: &Fill, descending: Option<bool>) -> Result<(), FillError> {
    let present: Vec<Value> = pivot.rows.iter().map(|r| r.dimensions[0].clone()).collect();
    let mut order = complete(&present, fill)?;
    if descending == Some(true) {
        order.reverse();
    }
    let empty = vec![vec![Value::Null; pivot.columns.len()]; pivot.measures.len()];
    let row_total = pivot.has_row_totals.then(|| vec![Value::Null; pivot.measures.len()]);
    for v in &order {
        if !present.iter().any(|p| p.to_text() == v.to_text()) {
            let row_calcs = vec![Value::Null; pivot.row_calcs.len()];
            pivot.rows.push(PivotRow { dimensions: vec![v.clone()], cells: empty.clone(), row_total: row_total.clone(), row_calcs });
        }
    }
    if descending.is_some() {
        let position = |v: &Value| order.iter().position(|o| o.to_text() == v.to_text()).unwrap_or(order.len());
        pivot.rows.sort_by_key(|r| position(&r.dimensions[0]));
    }
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
        fill_table(&mut t, 0, &Fill::Range(Step::Year), Some(true)).unwrap();
        assert_eq!(t.data[0], vec![Value::Int(2024), Value::Int(2023), Value::Int(2022), Value::Int(2021)]);
        assert_eq!(t.data[1], vec![Value::Int(3), Value::Null, Value::Null, Value::Int(1)]);
        let mut t = ResultSet::new(vec![ColumnInfo::plain("b", ValueType::String), ColumnInfo::plain("n", ValueType::Number).measure()]);
        t.push_row(vec![Value::Text("Yes".into()), Value::Int(3)]);
        fill_table(&mut t, 0, &Fill::Values(vec![Value::Text("No".into()), Value::Text("Yes".into())]), None).unwrap();
        assert_eq!(t.data[0], vec![Value::Text("Yes".into()), Value::Text("No".into())]);
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
        fill_pivot_columns(&mut p, &Fill::Range(Step::Month), false).unwrap();
        let keys: Vec<&str> = p.columns.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["2024-01", "2024-02", "2024-03"]);
        assert_eq!(p.rows[0].cells[0], vec![Value::Int(1), Value::Null, Value::Int(3)]);
        fill_pivot_rows(&mut p, &Fill::Values(vec![t("No"), t("Yes")]), Some(false)).unwrap();
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[0].dimensions, vec![t("No")]);
        assert_eq!(p.rows[0].cells[0], vec![Value::Null; 3]);
    }
}
