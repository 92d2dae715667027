//! `apply_vis`: the options of a query's `vis_config` that change its tabular output, as Looker
//! applies them to downloads "with visualization options applied": hidden fields left out,
//! custom column labels (`series_labels`), labels without the view name (`show_view_names:
//! false`), the table's column order (`column_order`) and the displayed rows
//! (`limit_displayed_rows`). Options that only change how a chart looks change no cell and are
//! not read; `hidden_pivots` would, and is refused by name.

use std::collections::BTreeMap;

use result::{ColumnInfo, PivotTable, QueryResult};
use serde_json::{Map, Value};

/// The vis options that change a result's table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VisOptions {
    pub hidden_fields: Vec<String>,
    pub series_labels: BTreeMap<String, String>,
    pub show_view_names: bool,
    pub column_order: Vec<String>,
    /// `limit_displayed_rows`: (show them (else hide them), the first (else the last), how many).
    pub displayed_rows: Option<(bool, bool, usize)>,
}

impl VisOptions {
    /// Reads `vis_config`; a malformed option or one that is not supported is an error naming it.
    pub fn from_vis_config(vis: Option<&Map<String, Value>>) -> Result<VisOptions, String> {
        let empty = Map::new();
        let vis = vis.unwrap_or(&empty);
        let strings = |key: &str| -> Result<Vec<String>, String> {
            match vis.get(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string).ok_or_else(|| format!("vis_config `{key}` must list field names")))
                    .collect(),
                Some(_) => Err(format!("vis_config `{key}` must be a list of field names")),
            }
        };
        if vis.get("hidden_pivots").is_some_and(|v| v.as_object().is_some_and(|o| !o.is_empty())) {
            return Err("vis_config `hidden_pivots` is not supported yet with apply_vis".into());
        }
        let mut series_labels = BTreeMap::new();
        match vis.get("series_labels") {
            None | Some(Value::Null) => {}
            Some(Value::Object(labels)) => {
                for (field, label) in labels {
                    let label = label.as_str().ok_or_else(|| format!("vis_config `series_labels` of `{field}` must be text"))?;
                    series_labels.insert(field.clone(), label.to_string());
                }
            }
            Some(_) => return Err("vis_config `series_labels` must be an object of field → label".into()),
        }
        let show_view_names = match vis.get("show_view_names") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err("vis_config `show_view_names` must be true or false".into()),
        };
        let displayed_rows = match vis.get("limit_displayed_rows") {
            Some(Value::Bool(true)) => {
                let values = vis.get("limit_displayed_rows_values").and_then(Value::as_object).ok_or_else(|| {
                    "vis_config `limit_displayed_rows` needs `limit_displayed_rows_values` {show_hide, first_last, num_rows}".to_string()
                })?;
                let text = |key: &str| values.get(key).map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
                let show = match text("show_hide").as_deref() {
                    None | Some("show") => true,
                    Some("hide") => false,
                    Some(other) => {
                        return Err(format!("vis_config `limit_displayed_rows_values.show_hide` is `{other}`, not show or hide"))
                    }
                };
                let first = match text("first_last").as_deref() {
                    None | Some("first") => true,
                    Some("last") => false,
                    Some(other) => {
                        return Err(format!("vis_config `limit_displayed_rows_values.first_last` is `{other}`, not first or last"))
                    }
                };
                let rows = text("num_rows")
                    .and_then(|n| n.trim_matches('"').parse::<usize>().ok())
                    .ok_or_else(|| "vis_config `limit_displayed_rows_values.num_rows` must be a whole number".to_string())?;
                Some((show, first, rows))
            }
            None | Some(Value::Null | Value::Bool(false)) => None,
            Some(_) => return Err("vis_config `limit_displayed_rows` must be true or false".into()),
        };
        Ok(VisOptions {
            hidden_fields: strings("hidden_fields")?,
            series_labels,
            show_view_names,
            column_order: strings("column_order")?,
            displayed_rows,
        })
    }

    fn label(&self, column: &mut ColumnInfo) {
        if let Some(label) = self.series_labels.get(&column.name) {
            column.label = label.clone();
        } else if !self.show_view_names {
            column.label = column.field_label.clone();
        }
    }

    /// Which of `count` rows are shown, in order.
    fn kept(&self, count: usize) -> Vec<usize> {
        match self.displayed_rows {
            None => (0..count).collect(),
            Some((show, first, n)) => {
                let n = n.min(count);
                let chosen = if first { 0..n } else { count - n..count };
                (0..count).filter(|r| chosen.contains(r) == show).collect()
            }
        }
    }

    /// The result as the options show it.
    pub fn apply(&self, result: &mut QueryResult) {
        if let Some(pivot) = &mut result.pivot {
            return self.apply_pivot(pivot, &mut result.subtotals);
        }
        let table = &mut result.table;
        let kept = self.kept(table.row_count());
        if kept.len() != table.row_count() {
            for column in &mut table.data {
                let old = std::mem::take(column);
                *column = kept.iter().map(|r| old[*r].clone()).collect();
            }
        }
        // The order: `column_order` first (names it lists that are not columns are skipped, as
        // the row-number column is), then the rest as they were; hidden fields left out.
        let mut order: Vec<usize> = Vec::new();
        let listed = self.column_order.iter().filter_map(|name| table.columns.iter().position(|c| &c.name == name));
        for c in listed.chain(0..table.columns.len()) {
            if !order.contains(&c) && !self.hidden_fields.contains(&table.columns[c].name) {
                order.push(c);
            }
        }
        let columns = std::mem::take(&mut table.columns);
        let data = std::mem::take(&mut table.data);
        table.columns = order.iter().map(|c| columns[*c].clone()).collect();
        table.data = order.iter().map(|c| data[*c].clone()).collect();
        for column in &mut table.columns {
            self.label(column);
        }
        if let Some(totals) = &mut result.totals {
            let old = std::mem::take(totals);
            *totals = order.iter().map(|c| old[*c].clone()).collect();
        }
        for row in result.subtotals.iter_mut().flat_map(|level| level.rows.iter_mut()) {
            let old = std::mem::take(row);
            *row = order.iter().map(|c| old[*c].clone()).collect();
        }
    }

    fn apply_pivot(&self, pivot: &mut PivotTable, subtotals: &mut [result::Subtotals]) {
        let kept = self.kept(pivot.rows.len());
        if kept.len() != pivot.rows.len() {
            let rows = std::mem::take(&mut pivot.rows);
            pivot.rows = rows.into_iter().enumerate().filter(|(r, _)| kept.contains(r)).map(|(_, row)| row).collect();
        }
        let hidden = |c: &ColumnInfo| self.hidden_fields.contains(&c.name);
        let dims: Vec<usize> = (0..pivot.dimensions.len()).filter(|d| !hidden(&pivot.dimensions[*d])).collect();
        let measures: Vec<usize> = (0..pivot.measures.len()).filter(|m| !hidden(&pivot.measures[*m])).collect();
        pivot.dimensions = dims.iter().map(|d| pivot.dimensions[*d].clone()).collect();
        pivot.measures = measures.iter().map(|m| pivot.measures[*m].clone()).collect();
        let subtotal_rows = subtotals.iter_mut().flat_map(|level| level.pivot_rows.iter_mut());
        for row in pivot.rows.iter_mut().chain(subtotal_rows) {
            row.dimensions = dims.iter().map(|d| row.dimensions[*d].clone()).collect();
            row.cells = measures.iter().map(|m| row.cells[*m].clone()).collect();
            if let Some(totals) = &mut row.row_total {
                *totals = measures.iter().map(|m| totals[*m].clone()).collect();
            }
        }
        if let Some(totals) = &mut pivot.totals {
            *totals = measures.iter().map(|m| totals[*m].clone()).collect();
        }
        let calcs: Vec<usize> = (0..pivot.row_calcs.len()).filter(|k| !hidden(&pivot.row_calcs[*k])).collect();
        pivot.row_calcs = calcs.iter().map(|k| pivot.row_calcs[*k].clone()).collect();
        for row in &mut pivot.rows {
            row.row_calcs = calcs.iter().map(|k| row.row_calcs[*k].clone()).collect();
        }
        for column in
            pivot.dimensions.iter_mut().chain(pivot.measures.iter_mut()).chain(pivot.pivots.iter_mut()).chain(pivot.row_calcs.iter_mut())
        {
            self.label(column);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use result::{ResultSet, ValueType};
    type Cell = result::Value;

    fn result() -> QueryResult {
        let col = |name: &str, label: &str, short: &str| {
            let mut c = ColumnInfo::plain(name, ValueType::String).labelled(label);
            c.field_label = short.into();
            c
        };
        let mut table = ResultSet::new(vec![
            col("orders.status", "Orders Status", "Status"),
            col("orders.count", "Orders Count", "Count"),
            col("orders.total", "Orders Total", "Total"),
        ]);
        for (s, n) in [("a", 1), ("b", 2), ("c", 3)] {
            table.push_row(vec![Cell::Text(s.into()), Cell::Int(n), Cell::Int(n * 10)]);
        }
        QueryResult { table, totals: Some(vec![Cell::Null, Cell::Int(6), Cell::Int(60)]), ..Default::default() }
    }

    #[test]
    fn hidden_labelled_reordered_and_limited() {
        let vis: Map<String, Value> = serde_json::from_str(
            r#"{"type":"looker_grid","hidden_fields":["orders.count"],"series_labels":{"orders.total":"Revenue"},
                "show_view_names":false,"column_order":["$$$_row_numbers_$$$","orders.total","orders.status"],
                "limit_displayed_rows":true,"limit_displayed_rows_values":{"show_hide":"hide","first_last":"first","num_rows":"1"}}"#,
        )
        .unwrap();
        let options = VisOptions::from_vis_config(Some(&vis)).unwrap();
        let mut r = result();
        options.apply(&mut r);
        let labels: Vec<&str> = r.table.columns.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["Revenue", "Status"]);
        assert_eq!(r.table.data, vec![vec![Cell::Int(20), Cell::Int(30)], vec![Cell::Text("b".into()), Cell::Text("c".into())]]);
        assert_eq!(r.totals, Some(vec![Cell::Int(60), Cell::Null]));
    }

    #[test]
    fn what_cannot_be_applied_is_refused_by_name() {
        let vis: Map<String, Value> = serde_json::from_str(r#"{"hidden_pivots":{"complete":{"measure_names":["orders.count"]}}}"#).unwrap();
        assert!(VisOptions::from_vis_config(Some(&vis)).unwrap_err().contains("hidden_pivots"));
        let vis: Map<String, Value> = serde_json::from_str(r#"{"limit_displayed_rows":true}"#).unwrap();
        assert!(VisOptions::from_vis_config(Some(&vis)).unwrap_err().contains("limit_displayed_rows_values"));
        assert_eq!(VisOptions::from_vis_config(None).unwrap(), VisOptions { show_view_names: true, ..Default::default() });
    }
}
