//! A query's result as a typed, columnar value: what every formatter and the renderer read,
//! without re-querying. No I/O here.

use jiff::civil::{Date, DateTime};

pub mod arrow;
pub mod fill;
pub mod pivot;
pub mod subtotal;

pub use pivot::{pivot, PivotColumn, PivotRow, PivotTable};

/// How a result column's values are typed, for formatters and charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    String,
    Number,
    Date,
    DateTime,
}

/// What the caller needs to know about one result column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInfo {
    /// `view.field`: the column alias and JSON key.
    pub name: String,
    /// `Orders Count`: view label and field label, as Looker's CSV header shows.
    pub label: String,
    pub view_label: String,
    pub field_label: String,
    pub is_measure: bool,
    /// Looker's field type name (`string`, `date_month`, `count`, …).
    pub type_name: String,
    pub value_type: ValueType,
    /// The Excel-style format its values are rendered with (`value_format`, or the format its
    /// `value_format_name` names), and that name.
    pub value_format: Option<String>,
    pub value_format_name: Option<String>,
    pub description: Option<String>,
    /// The field's SQL as written in LookML.
    pub sql: Option<String>,
    pub group_label: Option<String>,
    /// For a timeframe or duration interval: its dimension group's name.
    pub dimension_group: Option<String>,
    pub hidden: bool,
    /// The fields a drill into one of its values shows (`drill_fields`, sets expanded, names
    /// qualified); for a measure without its own, its view's.
    pub drill_fields: Vec<String>,
    /// LookML `link:`s: (label, URL template, icon URL).
    pub links: Vec<(String, String, Option<String>)>,
    /// A pivoted query's series ([`PivotTable::flattened`]): the label of the measure it is one
    /// pivot column of, which a chart's value axis shows (the column's own label names the
    /// pivot value).
    pub series_of: Option<String>,
}

impl ColumnInfo {
    /// A column that does not come from a LookML field (hand-written SQL, fixtures): a dimension
    /// labelled with its own name. Adjust with [`ColumnInfo::labelled`] and [`ColumnInfo::measure`].
    pub fn plain(name: &str, value_type: ValueType) -> Self {
        ColumnInfo {
            name: name.into(),
            label: name.into(),
            view_label: String::new(),
            field_label: name.into(),
            is_measure: false,
            type_name: String::new(),
            value_type,
            value_format: None,
            value_format_name: None,
            description: None,
            sql: None,
            group_label: None,
            dimension_group: None,
            hidden: false,
            drill_fields: Vec::new(),
            links: Vec::new(),
            series_of: None,
        }
    }

    pub fn labelled(self, label: &str) -> Self {
        ColumnInfo { label: label.into(), ..self }
    }

    pub fn measure(self) -> Self {
        ColumnInfo { is_measure: true, ..self }
    }
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// An exact decimal as the database printed it (`1234.50`): DECIMAL/NUMERIC columns and
    /// integers too large for `i64` stay exact.
    Decimal(String),
    Text(String),
    Date(Date),
    DateTime(DateTime),
}

impl Value {
    /// The value as a number, for charts (dates count as days since 1970-01-01).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Decimal(d) => d.parse().ok(),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            _ => None,
        }
    }

    /// The value as Looker prints it in text formats (`2024-03-05`, `2024-03-05 10:00:00`).
    pub fn to_text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Bool(b) => Some(if *b { "Yes".into() } else { "No".into() }),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(format_float(*f)),
            Value::Decimal(d) => Some(d.clone()),
            Value::Text(s) => Some(s.clone()),
            // Hand-formatted: jiff's general strftime dominated large results.
            Value::Date(d) => Some(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())),
            Value::DateTime(t) => {
                Some(format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", t.year(), t.month(), t.day(), t.hour(), t.minute(), t.second()))
            }
        }
    }
}

/// Shortest round-tripping text of a float, without a trailing `.0` for whole numbers.
pub fn format_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// Columns of equal length; `columns[i]` describes `data[i]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResultSet {
    pub columns: Vec<ColumnInfo>,
    pub data: Vec<Vec<Value>>,
}

impl ResultSet {
    pub fn new(columns: Vec<ColumnInfo>) -> Self {
        let data = columns.iter().map(|_| Vec::new()).collect();
        ResultSet { columns, data }
    }

    pub fn row_count(&self) -> usize {
        self.data.first().map(Vec::len).unwrap_or(0)
    }

    /// Appends a row; `row` must have one value per column.
    pub fn push_row(&mut self, row: Vec<Value>) {
        debug_assert_eq!(row.len(), self.columns.len(), "a row must have one value per column");
        for (column, value) in self.data.iter_mut().zip(row) {
            column.push(value);
        }
    }

    pub fn value(&self, column: usize, row: usize) -> &Value {
        &self.data[column][row]
    }
}

/// What a query run produced, for the formatters: its rows, and when asked for, the rows pivoted
/// and the column totals.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryResult {
    /// The rows as the query returned them (for a pivoted query, the long rows without the
    /// pivot ranks).
    pub table: ResultSet,
    pub pivot: Option<PivotTable>,
    /// Column totals of an unpivoted query: one per column of `table`, NULL for dimensions.
    pub totals: Option<Vec<Value>>,
    /// Subtotal rows (`subtotals`), one level after another, shallowest first.
    pub subtotals: Vec<Subtotals>,
}

impl QueryResult {
    pub fn plain(table: ResultSet) -> Self {
        QueryResult { table, ..Default::default() }
    }
}

/// One level of subtotal rows: the measures over the rows that share the values of the first
/// `depth` unpivoted dimensions, for each such group among the returned rows, in the order the
/// groups first appear.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Subtotals {
    pub depth: usize,
    /// The dimensions the rows are grouped by (their names).
    pub grouped: Vec<String>,
    /// Unpivoted: rows aligned with `QueryResult::table`'s columns, NULL in the dimensions that
    /// are not grouped.
    pub rows: Vec<Vec<Value>>,
    /// Pivoted: rows aligned with the pivot table's dimensions and columns.
    pub pivot_rows: Vec<pivot::PivotRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_stay_exact() {
        let d = Value::Decimal("12345678901234567890.10".into());
        assert_eq!(d.to_text().unwrap(), "12345678901234567890.10");
        assert!((d.as_f64().unwrap() - 1.2345678901234567e19).abs() < 1e4);
    }

    #[test]
    fn text_forms_follow_looker() {
        assert_eq!(Value::Float(12.0).to_text().unwrap(), "12");
        assert_eq!(Value::Float(12.5).to_text().unwrap(), "12.5");
        assert_eq!(Value::Date(jiff::civil::date(2024, 3, 5)).to_text().unwrap(), "2024-03-05");
        assert_eq!(Value::Null.to_text(), None);
    }
}
