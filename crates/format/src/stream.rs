//! Unpivoted results written as their rows arrive: csv, txt, json and inline_json need nothing
//! of a row but the row itself, so the engine hands a [`RowWriter`] each batch the database
//! sends and drops it once written — the whole result never exists as values, only as the bytes
//! written. The same writer serves a result that is already whole (`write_csv`, `write_json` …
//! of an unpivoted result), so each format has one implementation of its rows.

use std::io::Write;

use present::CellRenderer;
use result::{ColumnInfo, ResultSet, Value};

use crate::json_format::write_cell;
use crate::{FormatError, Rendering, ResultFormat};

/// Whether `format` can be written row by row (unpivoted).
pub fn streams(format: ResultFormat) -> bool {
    matches!(format, ResultFormat::Csv | ResultFormat::Txt | ResultFormat::Json | ResultFormat::InlineJson)
}

/// Writes into a JSON string literal (between quotes it does not write): what inline_json's
/// `data` holds, escaped as serde_json escapes strings, without a copy of the rows.
pub(crate) struct JsonEscaped<W: Write>(pub W);

impl<W: Write> Write for JsonEscaped<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let mut start = 0;
        for (i, &b) in data.iter().enumerate() {
            let escape: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                0..=0x1f => b"",
                _ => continue,
            };
            self.0.write_all(&data[start..i])?;
            match escape.is_empty() {
                true => write!(self.0, "\\u{b:04x}")?,
                false => self.0.write_all(escape)?,
            }
            start = i + 1;
        }
        self.0.write_all(&data[start..])?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

enum Sink<W: Write> {
    Separated(Box<csv::Writer<W>>),
    Json(W),
    InlineJson(JsonEscaped<W>),
}

/// Writes an unpivoted result's rows in chunks: [`RowWriter::start`], [`RowWriter::rows`] for
/// each chunk, [`RowWriter::finish`] with the totals.
pub struct RowWriter<W: Write> {
    sink: Sink<W>,
    /// JSON keys, encoded once.
    keys: Vec<String>,
    renderers: Vec<Option<CellRenderer>>,
    rows: u64,
}

impl<W: Write> RowWriter<W> {
    /// Starts `rendering` (a format that [`streams`]) of rows with `columns`: writes the header.
    pub fn start(rendering: Rendering, columns: &[ColumnInfo], mut out: W) -> Result<RowWriter<W>, FormatError> {
        let renderers = columns
            .iter()
            .map(|c| Ok(if rendering.apply_formatting { Some(CellRenderer::for_column(c)?) } else { None }))
            .collect::<Result<Vec<_>, FormatError>>()?;
        let keys = columns.iter().map(|c| serde_json::Value::String(c.name.clone()).to_string()).collect();
        let sink = match rendering.format {
            ResultFormat::Csv | ResultFormat::Txt => {
                let delimiter = if rendering.format == ResultFormat::Txt { b'\t' } else { b',' };
                let mut writer = csv::WriterBuilder::new().delimiter(delimiter).from_writer(out);
                writer.write_record(columns.iter().map(|c| c.label.as_str())).map_err(csv_error)?;
                Sink::Separated(Box::new(writer))
            }
            ResultFormat::Json => {
                out.write_all(b"[")?;
                Sink::Json(out)
            }
            ResultFormat::InlineJson => {
                out.write_all(b"{\"data\":\"")?;
                let mut escaped = JsonEscaped(out);
                escaped.write_all(b"[")?;
                Sink::InlineJson(escaped)
            }
            other => return Err(FormatError::NotSupported(other.name())),
        };
        Ok(RowWriter { sink, keys, renderers, rows: 0 })
    }

    /// Writes every row of `chunk` (whose columns are the ones the writer started with).
    pub fn rows(&mut self, chunk: &ResultSet) -> Result<(), FormatError> {
        for row in 0..chunk.row_count() {
            match &mut self.sink {
                Sink::Separated(writer) => {
                    let record = (0..chunk.columns.len()).map(|c| cell_text(chunk.value(c, row), self.renderers[c].as_ref()));
                    writer.write_record(record).map_err(csv_error)?;
                }
                Sink::Json(out) => write_json_row(out, &self.keys, &self.renderers, chunk, row, self.rows == 0)?,
                Sink::InlineJson(out) => write_json_row(out, &self.keys, &self.renderers, chunk, row, self.rows == 0)?,
            }
            self.rows += 1;
        }
        Ok(())
    }

    /// Ends the result: csv and txt write the totals (when given) as a last, unlabelled line.
    pub fn finish(self, totals: Option<&[Value]>) -> Result<W, FormatError> {
        match self.sink {
            Sink::Separated(mut writer) => {
                if let Some(totals) = totals {
                    let record = totals.iter().enumerate().map(|(c, v)| cell_text(v, self.renderers.get(c).and_then(Option::as_ref)));
                    writer.write_record(record).map_err(csv_error)?;
                }
                writer.flush()?;
                writer.into_inner().map_err(|e| FormatError::Io(std::io::Error::other(e.to_string())))
            }
            Sink::Json(mut out) => {
                out.write_all(b"]")?;
                Ok(out)
            }
            Sink::InlineJson(mut escaped) => {
                escaped.write_all(b"]")?;
                let mut out = escaped.0;
                out.write_all(b"\"}")?;
                Ok(out)
            }
        }
    }
}

/// The csv writer's error; an I/O error (a full buffer, a closed sink) stays one, its kind kept.
fn csv_error(e: csv::Error) -> FormatError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => FormatError::Io(io),
        other => FormatError::Io(std::io::Error::other(format!("{other:?}"))),
    }
}

fn cell_text(value: &Value, renderer: Option<&CellRenderer>) -> String {
    match renderer {
        Some(r) => r.render(value),
        None => value.to_text(),
    }
    .unwrap_or_default()
}

fn write_json_row(
    out: &mut impl Write,
    keys: &[String],
    renderers: &[Option<CellRenderer>],
    chunk: &ResultSet,
    row: usize,
    first: bool,
) -> Result<(), FormatError> {
    out.write_all(if first { b"{" } else { b",{" })?;
    for (c, key) in keys.iter().enumerate() {
        if c > 0 {
            out.write_all(b",")?;
        }
        out.write_all(key.as_bytes())?;
        out.write_all(b":")?;
        write_cell(chunk.value(c, row), renderers[c].as_ref(), out)?;
    }
    out.write_all(b"}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use result::ValueType;

    #[test]
    fn escaping_matches_serde_json() {
        let text = "a\"b\\c\nd\te\u{1}f\u{7f}é\u{8}\u{c}\r";
        let mut out = Vec::new();
        JsonEscaped(&mut out).write_all(text.as_bytes()).unwrap();
        let serde = serde_json::to_string(text).unwrap();
        assert_eq!(format!("\"{}\"", String::from_utf8(out).unwrap()), serde);
    }

    #[test]
    fn chunks_write_what_a_whole_result_writes() {
        let columns = vec![ColumnInfo::plain("a.b", ValueType::String).labelled("A B"), ColumnInfo::plain("a.n", ValueType::Number)];
        let mut whole = ResultSet::new(columns.clone());
        let mut chunks = vec![ResultSet::new(columns.clone()), ResultSet::new(columns.clone())];
        for (i, text) in ["x\"y", "z"].iter().enumerate() {
            let row = vec![Value::Text(text.to_string()), Value::Int(i as i64)];
            whole.push_row(row.clone());
            chunks[i].push_row(row);
        }
        for format in [ResultFormat::Csv, ResultFormat::Txt, ResultFormat::Json, ResultFormat::InlineJson] {
            let rendering = Rendering::raw(format);
            let mut writer = RowWriter::start(rendering.clone(), &columns, Vec::new()).unwrap();
            for chunk in &chunks {
                writer.rows(chunk).unwrap();
            }
            let streamed = String::from_utf8(writer.finish(None).unwrap()).unwrap();
            let expected = match format {
                ResultFormat::Csv => "A B,a.n\n\"x\"\"y\",0\nz,1\n".to_string(),
                ResultFormat::Txt => "A B\ta.n\n\"x\"\"y\"\t0\nz\t1\n".to_string(),
                ResultFormat::Json => r#"[{"a.b":"x\"y","a.n":0},{"a.b":"z","a.n":1}]"#.to_string(),
                _ => serde_json::json!({ "data": r#"[{"a.b":"x\"y","a.n":0},{"a.b":"z","a.n":1}]"# }).to_string(),
            };
            assert_eq!(streamed, expected, "{format:?}");
            let mut at_once = Vec::new();
            crate::write_result(&rendering, &result::QueryResult::plain(whole.clone()), &Default::default(), &mut at_once).unwrap();
            assert_eq!(String::from_utf8(at_once).unwrap(), expected, "{format:?}");
        }
    }
}
