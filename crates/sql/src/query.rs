//! What the compiler is asked for: the dialect-neutral part of Looker's `Query` object.

use crate::error::CompileError;

/// Looker's row limit when a query names none.
pub const DEFAULT_LIMIT: u64 = 500;
/// Looker's interactive maximum; larger limits are capped to it.
pub const MAX_LIMIT: u64 = 5000;

#[derive(Debug, Clone, PartialEq)]
pub struct QuerySpec {
    pub model: String,
    /// The explore's name (Looker's `Query.view`).
    pub view: String,
    pub fields: Vec<String>,
    /// Field → Looker filter expression, in request order.
    pub filters: Vec<(String, String)>,
    pub sorts: Vec<String>,
    pub limit: Limit,
    /// `query_timezone` different from the connection's zone: time values are converted to it
    /// (fields with `convert_tz: no`, `raw` timeframes and dates are not).
    pub time_zones: Option<TimeZones>,
    /// Dimensions (among `fields`) whose values become columns.
    pub pivots: Vec<String>,
    /// At most this many pivot columns (Looker's `column_limit`; default 50, at most 200).
    pub column_limit: u64,
    /// Compute column totals (a second query).
    pub total: bool,
    /// Compute row totals of a pivoted query (a third query).
    pub row_total: bool,
    /// Dimensions (among `fields`) whose missing values are filled in.
    pub fill_fields: Vec<String>,
    /// Custom dimensions and measures (`dynamic_fields`), named in `fields`, `filters` and
    /// `sorts` by their bare names.
    pub custom_fields: Vec<crate::custom::CustomField>,
    /// A Looker expression every row must satisfy (`filter_expression`).
    pub filter_expression: Option<String>,
    /// Persistent derived tables already built: view name → the table to read instead of the
    /// derived table's SQL (the engine builds them; see `compile::persistent`).
    pub persisted: std::collections::BTreeMap<String, String>,
    /// Table calculations, named in `fields` by their bare names: not SQL, evaluated on the
    /// returned rows (checked here, carried to the caller in [`crate::CompiledQuery`]).
    pub table_calcs: Vec<present::TableCalc>,
    /// `row_total: left`: row totals shown before the pivot columns (layout only).
    pub row_total_left: bool,
    /// Dimensions (among `fields`, not pivoted, not the last) at whose levels subtotal rows are
    /// computed; the rows are then sorted by those dimensions first.
    pub subtotals: Vec<String>,
    /// The attribute values (by name) of the user the query runs for: read by the explore's
    /// access filters and by Liquid's `_user_attributes`. `None` when the query is compiled only
    /// to be checked, for nobody: access filters are then left out and
    /// [`crate::CompiledQuery::needs_user`] says so; such SQL must not run.
    pub user_attributes: Option<std::collections::BTreeMap<String, String>>,
}

/// Looker's pivot column limit when a query names none, and its maximum.
pub const DEFAULT_COLUMN_LIMIT: u64 = 50;
pub const MAX_COLUMN_LIMIT: u64 = 200;

impl Default for QuerySpec {
    fn default() -> Self {
        QuerySpec {
            model: String::new(),
            view: String::new(),
            fields: Vec::new(),
            filters: Vec::new(),
            sorts: Vec::new(),
            limit: Limit::default(),
            time_zones: None,
            pivots: Vec::new(),
            column_limit: DEFAULT_COLUMN_LIMIT,
            total: false,
            row_total: false,
            fill_fields: Vec::new(),
            custom_fields: Vec::new(),
            filter_expression: None,
            persisted: Default::default(),
            table_calcs: Vec::new(),
            row_total_left: false,
            subtotals: Vec::new(),
            user_attributes: None,
        }
    }
}

/// Time values stored in `database`'s zone, shown and filtered in `query`'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZones {
    pub database: String,
    pub query: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Rows(u64),
    /// `-1`: every row.
    All,
}

impl Default for Limit {
    fn default() -> Self {
        Limit::Rows(DEFAULT_LIMIT)
    }
}

impl Limit {
    /// Parses Looker's string limit: empty means the default, `-1` means all rows, larger than
    /// the maximum is capped.
    pub fn parse(text: Option<&str>) -> Result<Limit, CompileError> {
        let text = text.map(str::trim).unwrap_or("");
        if text.is_empty() {
            return Ok(Limit::default());
        }
        match text.parse::<i64>() {
            Ok(-1) => Ok(Limit::All),
            Ok(n) if n > 0 => Ok(Limit::Rows((n as u64).min(MAX_LIMIT))),
            _ => Err(CompileError::InvalidLimit { limit: text.to_string() }),
        }
    }
}

impl Limit {
    /// A limit written in LookML (a native derived table's `limit:`): not capped at Looker's
    /// interactive maximum.
    pub fn parse_unbounded(text: Option<&str>) -> Result<Limit, CompileError> {
        let text = text.map(str::trim).unwrap_or("");
        match text.parse::<i64>() {
            Ok(-1) => Ok(Limit::All),
            Ok(n) if n > 0 => Ok(Limit::Rows(n as u64)),
            _ => Err(CompileError::InvalidLimit { limit: text.to_string() }),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDirection {
    Asc,
    Desc,
}

/// `"view.field"`, `"view.field desc"`, `"view.field desc 1"` → (field, direction, the pivot
/// column a measure is sorted in: `1` is the second, by its value there).
pub fn parse_sort(sort: &str) -> Result<(String, SortDirection, Option<u32>), CompileError> {
    let mut words = sort.split_whitespace();
    let field = words.next().ok_or_else(|| CompileError::InvalidSort { sort: sort.into(), message: "names no field".into() })?;
    let mut direction = SortDirection::Asc;
    let mut pivot = None;
    for word in words {
        match word.to_ascii_lowercase().as_str() {
            "desc" => direction = SortDirection::Desc,
            "asc" => direction = SortDirection::Asc,
            // Looker appends a pivot column index ("products.count desc 0"); it only matters for pivots.
            w if w.parse::<u32>().is_ok() => pivot = w.parse::<u32>().ok(),
            _ => return Err(CompileError::InvalidSort { sort: sort.into(), message: format!("`{word}` is neither `asc` nor `desc`") }),
        }
    }
    Ok((field.to_string(), direction, pivot))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_looker() {
        assert_eq!(Limit::parse(None), Ok(Limit::Rows(500)));
        assert_eq!(Limit::parse(Some("")), Ok(Limit::Rows(500)));
        assert_eq!(Limit::parse(Some("10")), Ok(Limit::Rows(10)));
        assert_eq!(Limit::parse(Some("100000")), Ok(Limit::Rows(5000)));
        assert_eq!(Limit::parse(Some("-1")), Ok(Limit::All));
        assert!(Limit::parse(Some("0")).is_err());
        assert!(Limit::parse(Some("ten")).is_err());
    }

    #[test]
    fn sorts_take_direction_and_pivot_column() {
        assert_eq!(parse_sort("a.b desc 0").unwrap(), ("a.b".into(), SortDirection::Desc, Some(0)));
        assert_eq!(parse_sort("a.b").unwrap(), ("a.b".into(), SortDirection::Asc, None));
        assert!(parse_sort("a.b sideways").is_err());
    }
}
