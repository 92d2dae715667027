//! Result set → bytes in one of Looker's result formats, written to any `impl Write`.
//!
//! Formatters read the typed [`QueryResult`] and never query again; what a cell shows under
//! `apply_formatting` comes from `present` (value formats), and the tabular formats (csv, txt,
//! md, html, gsxml, xlsx) share one layout of header rows, body and totals (`grid.rs`). `sql` is
//! not a formatter: the engine answers it from the compiled query without running it.

mod csv_format;
mod detail_format;
mod drill;
mod grid;
mod html_format;
mod json_format;
mod md_format;
mod stream;
mod xlsx_format;

use std::io::Write;

use result::QueryResult;
use thiserror::Error;

pub use csv_format::{write_csv, write_txt};
pub use detail_format::{write_json_bi, write_json_detail};
pub use html_format::{write_gsxml, write_html};
pub use json_format::{write_inline_json, write_json};
pub use md_format::write_md;
pub use stream::{streams, RowWriter};
pub use xlsx_format::write_xlsx;

/// Looker's `result_format` values (the `CreateQueryTask.result_format` enum plus the image
/// formats `run_query` accepts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultFormat {
    Json,
    InlineJson,
    JsonDetail,
    /// The Looker front end's JSON: json_detail with `measure_like`/`dimension_like` fields.
    JsonFe,
    JsonBi,
    Csv,
    Txt,
    Html,
    Md,
    Xlsx,
    Gsxml,
    Sql,
    /// Formats Looker has that Sightline does not produce yet.
    NotYet(&'static str),
}

/// Every result format Looker names, for messages.
pub const LOOKER_FORMATS: [&str; 15] =
    ["inline_json", "json", "json_detail", "json_fe", "json_bi", "csv", "html", "md", "txt", "xlsx", "gsxml", "sql", "odc", "png", "jpg"];

const IMPLEMENTED: [ResultFormat; 12] = [
    ResultFormat::Json,
    ResultFormat::InlineJson,
    ResultFormat::JsonDetail,
    ResultFormat::JsonFe,
    ResultFormat::JsonBi,
    ResultFormat::Csv,
    ResultFormat::Txt,
    ResultFormat::Html,
    ResultFormat::Md,
    ResultFormat::Xlsx,
    ResultFormat::Gsxml,
    ResultFormat::Sql,
];

impl ResultFormat {
    /// `None` for a name Looker does not know at all.
    pub fn parse(name: &str) -> Option<ResultFormat> {
        match IMPLEMENTED.into_iter().find(|f| f.name() == name) {
            Some(format) => Some(format),
            None => Some(ResultFormat::NotYet(LOOKER_FORMATS.into_iter().find(|f| *f == name)?)),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ResultFormat::Json => "json",
            ResultFormat::InlineJson => "inline_json",
            ResultFormat::JsonDetail => "json_detail",
            ResultFormat::JsonFe => "json_fe",
            ResultFormat::JsonBi => "json_bi",
            ResultFormat::Csv => "csv",
            ResultFormat::Txt => "txt",
            ResultFormat::Html => "html",
            ResultFormat::Md => "md",
            ResultFormat::Xlsx => "xlsx",
            ResultFormat::Gsxml => "gsxml",
            ResultFormat::Sql => "sql",
            ResultFormat::NotYet(n) => n,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ResultFormat::Json | ResultFormat::InlineJson | ResultFormat::JsonDetail | ResultFormat::JsonFe | ResultFormat::JsonBi => {
                "application/json"
            }
            ResultFormat::Csv => "text/csv; charset=utf-8",
            ResultFormat::Html => "text/html; charset=utf-8",
            ResultFormat::Md => "text/markdown; charset=utf-8",
            ResultFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ResultFormat::Gsxml => "application/xml; charset=utf-8",
            _ => "text/plain; charset=utf-8",
        }
    }
}

/// A format and the request options that change its bytes: part of every cache and in-flight
/// key, and stored with each query task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendering {
    pub format: ResultFormat,
    /// `apply_formatting`: cells as their value formats render them (`$1,234.50`), not raw.
    pub apply_formatting: bool,
    /// `apply_vis`: the query's vis options shape the table (hidden fields, labels, order,
    /// displayed rows); the engine reads them into the compiled query.
    pub apply_vis: bool,
    /// `generate_drill_links` with its `path_prefix`: json_detail cells carry links.
    pub drill_links: Option<String>,
}

impl From<ResultFormat> for Rendering {
    fn from(format: ResultFormat) -> Rendering {
        Rendering::raw(format)
    }
}

impl Rendering {
    pub fn raw(format: ResultFormat) -> Rendering {
        Rendering { format, apply_formatting: false, apply_vis: false, drill_links: None }
    }

    /// What tells its bytes from another rendering's of the same result.
    pub fn key(&self) -> String {
        let mut key = self.format.name().to_string();
        if self.apply_formatting {
            key.push_str("+formatted");
        }
        if self.apply_vis {
            key.push_str("+vis");
        }
        if let (Some(prefix), ResultFormat::JsonDetail | ResultFormat::JsonFe) = (&self.drill_links, self.format) {
            key.push_str("+drill:");
            key.push_str(prefix);
        }
        key
    }
}

/// What the query was, for the formats that describe it (json_detail, json_bi): its SQL,
/// filters, explore and time zone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryContext {
    pub model: String,
    pub explore: String,
    pub explore_label: String,
    pub sql: String,
    /// (field, filter expression) in request order.
    pub filters: Vec<(String, String)>,
    pub filter_expression: Option<String>,
    pub fill_fields: Vec<String>,
    pub timezone: String,
    /// `generate_drill_links`: json_detail cells carry links whose URLs start with this
    /// `path_prefix` (empty: relative URLs).
    pub drill_links: Option<String>,
}

#[derive(Debug, Error)]
pub enum FormatError {
    #[error("result format `{0}` is not supported yet (supported: json, inline_json, json_detail, json_fe, json_bi, csv, txt, html, md, xlsx, gsxml, sql)")]
    NotSupported(&'static str),
    #[error("{0}")]
    ValueFormat(#[from] present::ValueFormatError),
    #[error("writing the result failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes `result` as `rendering` asks (any format but `sql`).
pub fn write_result(rendering: &Rendering, result: &QueryResult, context: &QueryContext, out: &mut impl Write) -> Result<(), FormatError> {
    let formatted = rendering.apply_formatting;
    match rendering.format {
        ResultFormat::Json => write_json(result, formatted, out),
        ResultFormat::InlineJson => write_inline_json(result, formatted, out),
        ResultFormat::JsonDetail => write_json_detail(result, context, false, out),
        ResultFormat::JsonFe => write_json_detail(result, context, true, out),
        ResultFormat::JsonBi => write_json_bi(result, context, formatted, out),
        ResultFormat::Csv => write_csv(result, formatted, out),
        ResultFormat::Txt => write_txt(result, formatted, out),
        ResultFormat::Html => write_html(result, formatted, out),
        ResultFormat::Md => write_md(result, formatted, out),
        ResultFormat::Xlsx => write_xlsx(result, formatted, out),
        ResultFormat::Gsxml => write_gsxml(result, formatted, out),
        ResultFormat::Sql => Err(FormatError::NotSupported("sql")),
        ResultFormat::NotYet(name) => Err(FormatError::NotSupported(name)),
    }
}
