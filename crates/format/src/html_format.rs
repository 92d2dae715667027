//! `html`: a complete UTF-8 page holding one `<table>` — header rows in `<thead>` (pivot values
//! as merged cells over their measures), rows in `<tbody>`, totals in `<tfoot>`; numbers right
//! aligned. `gsxml`: the same table as XML for Google Sheets' `IMPORTXML(url, "//tr")`, every
//! header cell repeated (no merged cells). Text is escaped, and characters XML cannot carry
//! (control characters, NUL) are replaced, so both always parse.

use std::io::Write;

use result::{QueryResult, ValueType};

use crate::grid::Grid;
use crate::FormatError;

/// `text` safe inside an element or a double-quoted attribute of HTML and XML.
pub(crate) fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

pub fn write_html(result: &QueryResult, formatted: bool, out: &mut impl Write) -> Result<(), FormatError> {
    let grid = Grid::new(result, formatted)?;
    out.write_all(
        b"<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>Query results</title>\n\
          <style>table{border-collapse:collapse;font-family:sans-serif}th,td{border:1px solid #ccc;padding:2px 6px}\
          th{background:#f4f4f4}.number{text-align:right}</style>\n</head>\n<body>\n<table>\n<thead>\n",
    )?;
    for row in &grid.headers {
        out.write_all(b"<tr>")?;
        for cell in row.iter().filter(|c| c.span > 0) {
            match cell.span {
                1 => write!(out, "<th>{}</th>", escape_markup(&cell.text))?,
                span => write!(out, "<th colspan=\"{span}\">{}</th>", escape_markup(&cell.text))?,
            }
        }
        out.write_all(b"</tr>\n")?;
    }
    out.write_all(b"</thead>\n<tbody>\n")?;
    let numeric: Vec<bool> = grid.columns.iter().map(|c| c.value_type == ValueType::Number).collect();
    let write_row = |out: &mut dyn Write, cells: Vec<String>| -> std::io::Result<()> {
        out.write_all(b"<tr>")?;
        for (c, text) in cells.iter().enumerate() {
            match numeric[c] {
                true => write!(out, "<td class=\"number\">{}</td>", escape_markup(text))?,
                false => write!(out, "<td>{}</td>", escape_markup(text))?,
            }
        }
        out.write_all(b"</tr>\n")
    };
    for record in grid.body_records() {
        write_row(out, record)?;
    }
    out.write_all(b"</tbody>\n")?;
    if let Some(record) = grid.totals_record() {
        out.write_all(b"<tfoot>\n")?;
        write_row(out, record)?;
        out.write_all(b"</tfoot>\n")?;
    }
    out.write_all(b"</table>\n</body>\n</html>\n")?;
    Ok(())
}

pub fn write_gsxml(result: &QueryResult, formatted: bool, out: &mut impl Write) -> Result<(), FormatError> {
    let grid = Grid::new(result, formatted)?;
    out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<table>\n")?;
    let write_row = |out: &mut dyn Write, cells: &[String], tag: &str| -> std::io::Result<()> {
        out.write_all(b"<tr>")?;
        for text in cells {
            write!(out, "<{tag}>{}</{tag}>", escape_markup(text))?;
        }
        out.write_all(b"</tr>\n")
    };
    for record in grid.header_records() {
        write_row(out, &record, "th")?;
    }
    for record in grid.body_records() {
        write_row(out, &record, "td")?;
    }
    if let Some(record) = grid.totals_record() {
        write_row(out, &record, "td")?;
    }
    out.write_all(b"</table>\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use result::{ColumnInfo, ResultSet, Value};

    fn result() -> QueryResult {
        let mut r = ResultSet::new(vec![
            ColumnInfo::plain("users.city", ValueType::String).labelled("Users <City>"),
            ColumnInfo::plain("orders.count", ValueType::Number).labelled("Orders Count").measure(),
        ]);
        r.push_row(vec![Value::Text("A & B\u{0}".into()), Value::Int(1234)]);
        QueryResult { table: r, pivot: None, totals: Some(vec![Value::Null, Value::Int(1234)]), ..Default::default() }
    }

    #[test]
    fn html_escapes_and_keeps_totals_apart() {
        let mut out = Vec::new();
        write_html(&result(), true, &mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        assert!(page.contains("<th>Users &lt;City&gt;</th>"), "{page}");
        assert!(page.contains("<tbody>\n<tr><td>A &amp; B\u{FFFD}</td><td class=\"number\">1,234</td></tr>\n</tbody>"), "{page}");
        assert!(page.contains("<tfoot>\n<tr><td></td><td class=\"number\">1,234</td></tr>\n</tfoot>"), "{page}");
    }

    #[test]
    fn gsxml_is_rows_of_cells() {
        let mut out = Vec::new();
        write_gsxml(&result(), false, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<table>\n<tr><th>Users &lt;City&gt;</th><th>Orders Count</th></tr>\n\
             <tr><td>A &amp; B\u{FFFD}</td><td>1234</td></tr>\n<tr><td></td><td>1234</td></tr>\n</table>\n"
        );
    }
}
