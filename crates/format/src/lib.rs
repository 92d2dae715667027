//! Result set → bytes in one of Looker's result formats, written to any `impl Write`.
//!
//! Formatters read the typed [`ResultSet`] and never query again. `sql` is not a formatter: the
//! engine answers it from the compiled query without running it.

mod csv_format;
mod json_format;

use std::io::Write;

use result::QueryResult;
use thiserror::Error;

pub use csv_format::write_csv;
pub use json_format::{write_inline_json, write_json};

/// Looker's `result_format` values (the `CreateQueryTask.result_format` enum plus the image
/// formats `run_query` accepts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultFormat {
    Json,
    InlineJson,
    Csv,
    Sql,
    /// Formats Looker has that Sightline does not produce yet.
    NotYet(&'static str),
}

/// Every result format Looker names, for messages.
pub const LOOKER_FORMATS: [&str; 15] =
    ["inline_json", "json", "json_detail", "json_fe", "json_bi", "csv", "html", "md", "txt", "xlsx", "gsxml", "sql", "odc", "png", "jpg"];

impl ResultFormat {
    /// `None` for a name Looker does not know at all.
    pub fn parse(name: &str) -> Option<ResultFormat> {
        Some(match name {
            "json" => ResultFormat::Json,
            "inline_json" => ResultFormat::InlineJson,
            "csv" => ResultFormat::Csv,
            "sql" => ResultFormat::Sql,
            other => ResultFormat::NotYet(LOOKER_FORMATS.into_iter().find(|f| *f == other)?),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ResultFormat::Json => "json",
            ResultFormat::InlineJson => "inline_json",
            ResultFormat::Csv => "csv",
            ResultFormat::Sql => "sql",
            ResultFormat::NotYet(n) => n,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ResultFormat::Json | ResultFormat::InlineJson => "application/json",
            ResultFormat::Csv => "text/csv; charset=utf-8",
            _ => "text/plain; charset=utf-8",
        }
    }
}

#[derive(Debug, Error)]
pub enum FormatError {
    #[error("result format `{0}` is not supported yet (supported: json, inline_json, csv, sql)")]
    NotSupported(&'static str),
    #[error("writing the result failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes `result` in `format` (anything but `sql`).
pub fn write_result(format: ResultFormat, result: &QueryResult, out: &mut impl Write) -> Result<(), FormatError> {
    match format {
        ResultFormat::Json => write_json(result, out),
        ResultFormat::InlineJson => write_inline_json(result, out),
        ResultFormat::Csv => write_csv(result, out),
        ResultFormat::Sql => Err(FormatError::NotSupported("sql")),
        ResultFormat::NotYet(name) => Err(FormatError::NotSupported(name)),
    }
}
