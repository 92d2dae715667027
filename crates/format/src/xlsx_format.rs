//! `xlsx`: one worksheet with the shared tabular layout — bold header rows frozen above the
//! data, numbers as numeric cells, dates and times as Excel dates with a date format, and under
//! `apply_formatting` each field's value format as the cell's number format (Looker's value
//! formats are Excel's). Excel's grid has limits (1,048,576 rows, 16,384 columns, 32,767
//! characters a cell): a result past one fails by name rather than being cut.

use std::io::Write;

use result::{QueryResult, Value};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

use crate::grid::Grid;
use crate::FormatError;

const MAX_ROWS: usize = 1_048_576;
const MAX_COLUMNS: usize = 16_384;

fn xlsx_error(e: XlsxError) -> FormatError {
    FormatError::Io(std::io::Error::other(format!("xlsx: {e}")))
}

pub fn write_xlsx(result: &QueryResult, formatted: bool, out: &mut impl Write) -> Result<(), FormatError> {
    let grid = Grid::new(result, formatted)?;
    let header_rows = grid.headers.len();
    let rows = header_rows + grid.row_count() + usize::from(grid.totals().is_some());
    if rows > MAX_ROWS || grid.width() > MAX_COLUMNS {
        return Err(FormatError::Io(std::io::Error::other(format!(
            "xlsx holds at most {MAX_ROWS} rows and {MAX_COLUMNS} columns; this result has {rows} rows and {} columns (ask for csv)",
            grid.width()
        ))));
    }
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Query").map_err(xlsx_error)?;
    let bold = Format::new().set_bold();
    for (r, record) in grid.header_records().iter().enumerate() {
        for (c, text) in record.iter().enumerate() {
            sheet.write_string_with_format(r as u32, c as u16, text, &bold).map_err(xlsx_error)?;
        }
    }
    if header_rows > 0 {
        sheet.set_freeze_panes(header_rows as u32, 0).map_err(xlsx_error)?;
    }
    let formats: Vec<Format> = grid
        .columns
        .iter()
        .map(|c| match (formatted, &c.value_format) {
            (true, Some(format)) => Format::new().set_num_format(format),
            _ => Format::new(),
        })
        .collect();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let date_time = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let mut write_row = |r: usize, cells: Vec<&Value>| -> Result<(), FormatError> {
        for (c, value) in cells.into_iter().enumerate() {
            let (row, col) = (r as u32, c as u16);
            match value {
                Value::Null => continue,
                Value::Int(_) | Value::Float(_) | Value::Decimal(_) => match value.as_f64().filter(|f| f.is_finite()) {
                    Some(number) => sheet.write_number_with_format(row, col, number, &formats[c]),
                    None => sheet.write_string(row, col, value.to_text().unwrap_or_default()),
                },
                Value::Date(d) => {
                    let excel = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).map_err(xlsx_error)?;
                    sheet.write_datetime_with_format(row, col, &excel, &date)
                }
                Value::DateTime(t) => {
                    let excel = ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)
                        .and_then(|d| d.and_hms(t.hour() as u16, t.minute() as u8, t.second() as f64 + t.subsec_nanosecond() as f64 / 1e9))
                        .map_err(xlsx_error)?;
                    sheet.write_datetime_with_format(row, col, &excel, &date_time)
                }
                Value::Bool(_) | Value::Text(_) => sheet.write_string(row, col, grid.text(c, value)),
            }
            .map_err(xlsx_error)?;
        }
        Ok(())
    };
    for r in 0..grid.row_count() {
        write_row(header_rows + r, grid.row(r))?;
    }
    if let Some(totals) = grid.totals() {
        write_row(header_rows + grid.row_count(), totals)?;
    }
    let bytes = workbook.save_to_buffer().map_err(xlsx_error)?;
    out.write_all(&bytes)?;
    Ok(())
}
