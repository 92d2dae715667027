//! `json`: an array with one object per row, keyed by field name (`"orders.count"`); a pivoted
//! measure is an object keyed by the pivot fields' names, holding one value per pivot key
//! (`{"orders.status": {"complete": 3, "pending": 1}}`). Totals are not part of `json`.
//! `inline_json`: the same array as a JSON *string* in `data`, for webhooks that forward it.
//! Under `apply_formatting` every non-NULL value is its rendered text (`"$1,234.50"`).

use std::io::Write;

use present::CellRenderer;
use result::pivot::{KEY_SEPARATOR, ROW_TOTAL_KEY};
use result::{ColumnInfo, PivotTable, QueryResult, Value};

use crate::stream::RowWriter;
use crate::{FormatError, Rendering, ResultFormat};

pub fn write_json(result: &QueryResult, formatted: bool, out: &mut impl Write) -> Result<(), FormatError> {
    match &result.pivot {
        Some(pivot) => write_pivoted_json(pivot, formatted, out),
        None => write_rows(ResultFormat::Json, result, formatted, out),
    }
}

/// An unpivoted result through the row writer the engine streams with.
fn write_rows(format: ResultFormat, result: &QueryResult, formatted: bool, out: &mut impl Write) -> Result<(), FormatError> {
    let mut writer =
        RowWriter::start(Rendering { format, apply_formatting: formatted, ..Rendering::raw(format) }, &result.table.columns, out)?;
    writer.rows(&result.table)?;
    writer.finish(None)?;
    Ok(())
}

/// How each column's values are written: as they are, or rendered (`None`: raw).
fn renderers(columns: &[ColumnInfo], formatted: bool) -> Result<Vec<Option<CellRenderer>>, FormatError> {
    columns.iter().map(|c| Ok(if formatted { Some(CellRenderer::for_column(c)?) } else { None })).collect()
}

/// `value` as JSON: raw, or as `renderer` renders it.
pub(crate) fn write_cell(value: &Value, renderer: Option<&CellRenderer>, out: &mut impl Write) -> Result<(), FormatError> {
    match renderer.and_then(|r| r.render(value)) {
        Some(text) => serde_json::to_writer(&mut *out, &text).map_err(std::io::Error::from)?,
        None => write_value(value, out)?,
    }
    Ok(())
}

fn key(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

fn write_pivoted_json(pivot: &PivotTable, formatted: bool, out: &mut impl Write) -> Result<(), FormatError> {
    let dim_renderers = renderers(&pivot.dimensions, formatted)?;
    let measure_renderers = renderers(&pivot.measures, formatted)?;
    let calc_renderers = renderers(&pivot.row_calcs, formatted)?;
    let calc_keys: Vec<String> = pivot.row_calcs.iter().map(|c| key(&c.name)).collect();
    let dims: Vec<String> = pivot.dimensions.iter().map(|c| key(&c.name)).collect();
    let measures: Vec<String> = pivot.measures.iter().map(|c| key(&c.name)).collect();
    let group = key(&pivot.pivots.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(KEY_SEPARATOR));
    let pivot_keys: Vec<String> = pivot.columns.iter().map(|c| key(&c.key)).collect();
    out.write_all(b"[")?;
    for (r, row) in pivot.rows.iter().enumerate() {
        out.write_all(if r > 0 { b",{" } else { b"{" })?;
        let mut first = true;
        let mut comma = |out: &mut dyn Write| -> std::io::Result<()> {
            if !std::mem::take(&mut first) {
                out.write_all(b",")?;
            }
            Ok(())
        };
        for ((name, value), renderer) in dims.iter().zip(&row.dimensions).zip(&dim_renderers) {
            comma(out)?;
            write!(out, "{name}:")?;
            write_cell(value, renderer.as_ref(), out)?;
        }
        for (m, name) in measures.iter().enumerate() {
            comma(out)?;
            write!(out, "{name}:{{{group}:{{")?;
            for (c, pivot_key) in pivot_keys.iter().enumerate() {
                if c > 0 {
                    out.write_all(b",")?;
                }
                write!(out, "{pivot_key}:")?;
                write_cell(&row.cells[m][c], measure_renderers[m].as_ref(), out)?;
            }
            if let Some(totals) = &row.row_total {
                if !pivot_keys.is_empty() {
                    out.write_all(b",")?;
                }
                write!(out, "{}:", key(ROW_TOTAL_KEY))?;
                write_cell(&totals[m], measure_renderers[m].as_ref(), out)?;
            }
            out.write_all(b"}}")?;
        }
        for ((name, value), renderer) in calc_keys.iter().zip(&row.row_calcs).zip(&calc_renderers) {
            comma(out)?;
            write!(out, "{name}:")?;
            write_cell(value, renderer.as_ref(), out)?;
        }
        out.write_all(b"}")?;
    }
    out.write_all(b"]")?;
    Ok(())
}

pub(crate) fn write_value(value: &Value, out: &mut impl Write) -> Result<(), FormatError> {
    match value {
        Value::Null => out.write_all(b"null")?,
        Value::Bool(b) => out.write_all(if *b { b"true" } else { b"false" })?,
        Value::Int(i) => write!(out, "{i}")?,
        Value::Float(f) if f.is_finite() => serde_json::to_writer(&mut *out, f).map_err(std::io::Error::from)?,
        Value::Float(_) => out.write_all(b"null")?,
        // Exact digits as a JSON number (the grammar is checked: anything else goes as a string).
        Value::Decimal(d) if is_json_number(d) => out.write_all(d.as_bytes())?,
        Value::Decimal(d) => serde_json::to_writer(&mut *out, d).map_err(std::io::Error::from)?,
        Value::Text(s) => serde_json::to_writer(&mut *out, s).map_err(std::io::Error::from)?,
        other => serde_json::to_writer(&mut *out, &other.to_text()).map_err(std::io::Error::from)?,
    }
    Ok(())
}

/// `-?digits(.digits)?`: a decimal that is valid JSON as it stands.
fn is_json_number(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && (whole == "0" || !whole.starts_with('0')) && fraction.is_none_or(digits)
}

pub fn write_inline_json(result: &QueryResult, formatted: bool, out: &mut impl Write) -> Result<(), FormatError> {
    if result.pivot.is_none() {
        return write_rows(ResultFormat::InlineJson, result, formatted, out);
    }
    let mut rows = Vec::new();
    write_json(result, formatted, &mut rows)?;
    let data = String::from_utf8_lossy(&rows);
    let body = serde_json::json!({ "data": data });
    serde_json::to_writer(out, &body).map_err(std::io::Error::from)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use result::{ColumnInfo, ResultSet, ValueType};

    fn result() -> QueryResult {
        QueryResult::plain(rows())
    }

    fn rows() -> ResultSet {
        let col = |name: &str, label: &str| ColumnInfo::plain(name, ValueType::String).labelled(label);
        let mut r = ResultSet::new(vec![col("orders.status", "Orders Status"), col("orders.count", "Orders Count")]);
        r.push_row(vec![Value::Text("complete".into()), Value::Int(3)]);
        r.push_row(vec![Value::Null, Value::Float(1.5)]);
        r
    }

    #[test]
    fn decimals_are_exact_json_numbers() {
        let mut r = ResultSet::new(vec![ColumnInfo::plain("a", ValueType::Number), ColumnInfo::plain("b", ValueType::Number)]);
        r.push_row(vec![Value::Decimal("-12345678901234567890.10".into()), Value::Decimal("01.5".into())]);
        let mut out = Vec::new();
        write_json(&QueryResult::plain(r), false, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), r#"[{"a":-12345678901234567890.10,"b":"01.5"}]"#);
    }

    #[test]
    fn json_rows_keep_types_and_nulls() {
        let mut out = Vec::new();
        write_json(&result(), false, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"[{"orders.status":"complete","orders.count":3},{"orders.status":null,"orders.count":1.5}]"#
        );
    }

    #[test]
    fn inline_json_holds_the_rows_as_a_string() {
        let mut out = Vec::new();
        write_inline_json(&result(), false, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let rows: serde_json::Value = serde_json::from_str(v["data"].as_str().unwrap()).unwrap();
        assert_eq!(rows[0]["orders.count"], 3);
    }

    #[test]
    fn pivoted_measures_nest_by_pivot_key() {
        let mut long = ResultSet::new(vec![
            ColumnInfo::plain("users.state", ValueType::String),
            ColumnInfo::plain("orders.status", ValueType::String),
            ColumnInfo::plain("orders.count", ValueType::Number).measure(),
            ColumnInfo::plain("__pivot_col", ValueType::Number),
            ColumnInfo::plain("__pivot_count", ValueType::Number),
        ]);
        let t = |s: &str| Value::Text(s.into());
        long.push_row(vec![t("CA"), t("complete"), Value::Int(3), Value::Int(1), Value::Int(2)]);
        long.push_row(vec![t("NY"), t("pending"), Value::Int(2), Value::Int(2), Value::Int(2)]);
        let mut row_totals = ResultSet::new(vec![
            ColumnInfo::plain("users.state", ValueType::String),
            ColumnInfo::plain("orders.count", ValueType::Number).measure(),
        ]);
        row_totals.push_row(vec![t("CA"), Value::Int(3)]);
        let pivot = result::pivot(&long, &[1], None, Some(&row_totals)).unwrap();
        let mut out = Vec::new();
        write_json(&QueryResult { pivot: Some(pivot), ..Default::default() }, false, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"[{"users.state":"CA","orders.count":{"orders.status":{"complete":3,"pending":null,"$$$_row_total_$$$":3}}},{"users.state":"NY","orders.count":{"orders.status":{"complete":null,"pending":2,"$$$_row_total_$$$":null}}}]"#
        );
    }

    #[test]
    fn formatted_json_holds_rendered_text() {
        let mut r = rows();
        r.columns[1].value_type = result::ValueType::Number;
        r.columns[1].value_format = Some("0.00".into());
        let mut out = Vec::new();
        write_json(&QueryResult::plain(r), true, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"[{"orders.status":"complete","orders.count":"3.00"},{"orders.status":null,"orders.count":"1.50"}]"#
        );
    }
}
