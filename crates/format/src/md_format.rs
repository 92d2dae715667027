//! `md`: a GitHub-flavoured Markdown table. The first header row heads the table (a pivoted
//! result's further header rows, the pivot values and the labels, come first in the body);
//! numeric columns are right aligned; `|` is escaped and line breaks become `<br>`, so a cell
//! never breaks the table.

use std::io::Write;

use result::{QueryResult, ValueType};

use crate::grid::Grid;
use crate::FormatError;

fn escape_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\\' => out.push_str("\\\\"),
            '\r' => {}
            '\n' => out.push_str("<br>"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn write_line(out: &mut impl Write, cells: &[String]) -> std::io::Result<()> {
    out.write_all(b"|")?;
    for cell in cells {
        write!(out, " {} |", escape_cell(cell))?;
    }
    out.write_all(b"\n")
}

pub fn write_md(result: &QueryResult, formatted: bool, out: &mut impl Write) -> Result<(), FormatError> {
    let grid = Grid::new(result, formatted)?;
    let mut headers = grid.header_records().into_iter();
    let Some(first) = headers.next() else { return Ok(()) };
    write_line(out, &first)?;
    out.write_all(b"|")?;
    for column in &grid.columns {
        out.write_all(if column.value_type == ValueType::Number { b" ---: |" } else { b" --- |" })?;
    }
    out.write_all(b"\n")?;
    for record in headers {
        write_line(out, &record)?;
    }
    for record in grid.body_records() {
        write_line(out, &record)?;
    }
    if let Some(record) = grid.totals_record() {
        write_line(out, &record)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use result::{ColumnInfo, ResultSet, Value};

    #[test]
    fn a_table_with_escaped_cells() {
        let mut r = ResultSet::new(vec![
            ColumnInfo::plain("users.city", ValueType::String).labelled("Users City"),
            ColumnInfo::plain("orders.count", ValueType::Number).labelled("Orders Count").measure(),
        ]);
        r.push_row(vec![Value::Text("a|b\nc".into()), Value::Int(1234)]);
        let mut out = Vec::new();
        write_md(&QueryResult::plain(r), true, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "| Users City | Orders Count |\n| --- | ---: |\n| a\\|b<br>c | 1,234 |\n");
    }
}
