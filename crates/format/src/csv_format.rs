//! `csv`: a header of field labels (`Orders Count`), then one line per row; NULL is empty.
//! Pivoted: one header line per pivot dimension above the labels, carrying each pivot column's
//! value over its measures (row totals last, unlabelled above). Totals: a last, unlabelled line.

use std::io::Write;

use result::pivot::NULL_KEY;
use result::{PivotTable, QueryResult, Value};

use crate::FormatError;

fn text(value: &Value) -> String {
    value.to_text().unwrap_or_default()
}

pub fn write_csv(result: &QueryResult, out: &mut impl Write) -> Result<(), FormatError> {
    let mut writer = csv::Writer::from_writer(out);
    let to_io = |e: csv::Error| FormatError::Io(std::io::Error::other(e));
    match &result.pivot {
        Some(pivot) => {
            for record in pivoted_records(pivot) {
                writer.write_record(&record).map_err(to_io)?;
            }
        }
        None => {
            let table = &result.table;
            writer.write_record(table.columns.iter().map(|c| c.label.as_str())).map_err(to_io)?;
            for row in 0..table.row_count() {
                let record: Vec<String> = (0..table.columns.len()).map(|c| text(table.value(c, row))).collect();
                writer.write_record(&record).map_err(to_io)?;
            }
            if let Some(totals) = &result.totals {
                writer.write_record(totals.iter().map(text)).map_err(to_io)?;
            }
        }
    }
    writer.flush()?;
    Ok(())
}

fn pivoted_records(pivot: &PivotTable) -> Vec<Vec<String>> {
    let dims = pivot.dimensions.len();
    let measures = pivot.measures.len();
    let row_total_columns = if pivot.has_row_totals { measures } else { 0 };
    let mut records = Vec::new();
    for (k, field) in pivot.pivots.iter().enumerate() {
        let mut record = vec![String::new(); dims];
        if let Some(last) = record.last_mut() {
            *last = field.label.clone();
        }
        for column in &pivot.columns {
            let value = column.values[k].to_text().unwrap_or_else(|| NULL_KEY.to_string());
            record.extend(std::iter::repeat_n(value, measures));
        }
        record.extend(std::iter::repeat_n(String::new(), row_total_columns));
        records.push(record);
    }
    let labels = pivot.measures.iter().map(|m| m.label.clone());
    let mut header: Vec<String> = pivot.dimensions.iter().map(|d| d.label.clone()).collect();
    for _ in &pivot.columns {
        header.extend(labels.clone());
    }
    if pivot.has_row_totals {
        header.extend(labels);
    }
    records.push(header);
    for row in &pivot.rows {
        let mut record: Vec<String> = row.dimensions.iter().map(text).collect();
        record.extend(by_column(&row.cells, pivot.columns.len()));
        if let Some(totals) = &row.row_total {
            record.extend(totals.iter().map(text));
        }
        records.push(record);
    }
    if let Some(totals) = &pivot.totals {
        let mut record = vec![String::new(); dims];
        record.extend(by_column(totals, pivot.columns.len()));
        record.extend(std::iter::repeat_n(String::new(), row_total_columns));
        records.push(record);
    }
    records
}

/// `[measure][pivot column]` cells in CSV order: every measure of the first pivot column, then
/// of the next.
fn by_column(cells: &[Vec<Value>], columns: usize) -> impl Iterator<Item = String> + '_ {
    (0..columns).flat_map(move |c| cells.iter().map(move |measure| text(&measure[c])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use result::{ColumnInfo, ResultSet, ValueType};

    #[test]
    fn header_is_labels_and_values_are_quoted_when_needed() {
        let col = |name: &str, label: &str| ColumnInfo::plain(name, ValueType::String).labelled(label);
        let mut r = ResultSet::new(vec![col("users.city", "Users City"), col("orders.count", "Orders Count")]);
        r.push_row(vec![Value::Text("Santa Cruz, CA".into()), Value::Int(3)]);
        r.push_row(vec![Value::Null, Value::Float(2.0)]);
        let mut out = Vec::new();
        let result = QueryResult { table: r, pivot: None, totals: Some(vec![Value::Null, Value::Int(5)]) };
        write_csv(&result, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "Users City,Orders Count\n\"Santa Cruz, CA\",3\n,2\n,5\n");
    }

    #[test]
    fn pivot_values_head_their_measure_columns() {
        let col = |name: &str, label: &str| ColumnInfo::plain(name, ValueType::String).labelled(label);
        let mut long = ResultSet::new(vec![
            col("users.state", "Users State"),
            col("orders.status", "Orders Status"),
            col("orders.count", "Orders Count").measure(),
            ColumnInfo::plain("__pivot_col", ValueType::Number),
            ColumnInfo::plain("__pivot_count", ValueType::Number),
        ]);
        long.push_row(vec![Value::Text("CA".into()), Value::Text("complete".into()), Value::Int(3), Value::Int(1), Value::Int(2)]);
        long.push_row(vec![Value::Text("CA".into()), Value::Null, Value::Int(1), Value::Int(2), Value::Int(2)]);
        let mut totals = ResultSet::new(vec![col("orders.status", "Orders Status"), col("orders.count", "Orders Count").measure()]);
        totals.push_row(vec![Value::Text("complete".into()), Value::Int(7)]);
        let pivot = result::pivot(&long, &[1], Some(&totals), None).unwrap();
        let mut out = Vec::new();
        write_csv(&QueryResult { pivot: Some(pivot), ..Default::default() }, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Orders Status,complete,\u{2205}\nUsers State,Orders Count,Orders Count\nCA,3,1\n,7,\n"
        );
    }
}
