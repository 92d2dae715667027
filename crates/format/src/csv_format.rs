//! `csv`: a header of field labels (`Orders Count`), then one line per row; NULL is empty;
//! RFC 4180 quoting, UTF-8 without a BOM. `txt`: the same, separated by tabs.
//! Pivoted: one header line per pivot dimension above the labels, carrying each pivot column's
//! value over its measures (row totals last, unlabelled above). Totals: a last, unlabelled line.

use std::io::Write;

use result::QueryResult;

use crate::grid::Grid;
use crate::stream::RowWriter;
use crate::{FormatError, Rendering, ResultFormat};

pub fn write_csv(result: &QueryResult, formatted: bool, out: &mut impl Write) -> Result<(), FormatError> {
    write_separated(result, formatted, b',', out)
}

pub fn write_txt(result: &QueryResult, formatted: bool, out: &mut impl Write) -> Result<(), FormatError> {
    write_separated(result, formatted, b'\t', out)
}

fn write_separated(result: &QueryResult, formatted: bool, delimiter: u8, out: &mut impl Write) -> Result<(), FormatError> {
    if result.pivot.is_none() {
        let format = if delimiter == b'\t' { ResultFormat::Txt } else { ResultFormat::Csv };
        let mut writer =
            RowWriter::start(Rendering { format, apply_formatting: formatted, ..Rendering::raw(format) }, &result.table.columns, out)?;
        writer.rows(&result.table)?;
        writer.finish(result.totals.as_deref())?;
        return Ok(());
    }
    let grid = Grid::new(result, formatted)?;
    let mut writer = csv::WriterBuilder::new().delimiter(delimiter).from_writer(out);
    let to_io = |e: csv::Error| FormatError::Io(std::io::Error::other(e));
    for record in grid.header_records() {
        writer.write_record(&record).map_err(to_io)?;
    }
    for record in grid.body_records() {
        writer.write_record(&record).map_err(to_io)?;
    }
    if let Some(record) = grid.totals_record() {
        writer.write_record(&record).map_err(to_io)?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use result::{ColumnInfo, ResultSet, Value, ValueType};

    #[test]
    fn header_is_labels_and_values_are_quoted_when_needed() {
        let col = |name: &str, label: &str| ColumnInfo::plain(name, ValueType::String).labelled(label);
        let mut r = ResultSet::new(vec![col("users.city", "Users City"), col("orders.count", "Orders Count")]);
        r.push_row(vec![Value::Text("Santa Cruz, CA".into()), Value::Int(3)]);
        r.push_row(vec![Value::Null, Value::Float(2.0)]);
        let mut out = Vec::new();
        let result = QueryResult { table: r, pivot: None, totals: Some(vec![Value::Null, Value::Int(5)]), ..Default::default() };
        write_csv(&result, false, &mut out).unwrap();
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
        write_csv(&QueryResult { pivot: Some(pivot), ..Default::default() }, false, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Orders Status,complete,\u{2205}\nUsers State,Orders Count,Orders Count\nCA,3,1\n,7,\n"
        );
    }

    #[test]
    fn txt_is_tab_separated_and_formatting_renders_values() {
        let mut sum = ColumnInfo::plain("orders.total", ValueType::Number).labelled("Orders Total").measure();
        sum.value_format = Some("$#,##0.00".into());
        let mut r = ResultSet::new(vec![ColumnInfo::plain("users.city", ValueType::String).labelled("Users City"), sum]);
        r.push_row(vec![Value::Text("Santa Cruz, CA".into()), Value::Decimal("1234.5".into())]);
        let result = QueryResult::plain(r);
        let mut out = Vec::new();
        write_txt(&result, true, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "Users City\tOrders Total\nSanta Cruz, CA\t$1,234.50\n");
        let mut out = Vec::new();
        write_csv(&result, true, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "Users City,Orders Total\n\"Santa Cruz, CA\",\"$1,234.50\"\n");
    }

    #[test]
    fn row_totals_on_the_left_come_before_the_pivot_columns() {
        let col = |name: &str, label: &str| ColumnInfo::plain(name, ValueType::String).labelled(label);
        let mut long = ResultSet::new(vec![
            col("users.state", "Users State"),
            col("orders.status", "Orders Status"),
            col("orders.count", "Orders Count").measure(),
            ColumnInfo::plain("__pivot_col", ValueType::Number),
            ColumnInfo::plain("__pivot_count", ValueType::Number),
        ]);
        long.push_row(vec![Value::Text("CA".into()), Value::Text("complete".into()), Value::Int(3), Value::Int(1), Value::Int(2)]);
        long.push_row(vec![Value::Text("CA".into()), Value::Text("pending".into()), Value::Int(1), Value::Int(2), Value::Int(2)]);
        let mut row_totals = ResultSet::new(vec![col("users.state", "Users State"), col("orders.count", "Orders Count").measure()]);
        row_totals.push_row(vec![Value::Text("CA".into()), Value::Int(4)]);
        let mut pivot = result::pivot(&long, &[1], None, Some(&row_totals)).unwrap();
        pivot.row_totals_left = true;
        let mut out = Vec::new();
        write_csv(&QueryResult { pivot: Some(pivot), ..Default::default() }, false, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Orders Status,,complete,pending\nUsers State,Orders Count,Orders Count,Orders Count\nCA,4,3,1\n"
        );
    }
}
