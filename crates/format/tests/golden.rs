//! Golden files: every text format of one flat and one pivoted result (totals, row totals,
//! subtotals, value formats, a NULL, a comma and a quote in a value), raw and with
//! `apply_formatting`. A change to any byte of any format shows up here; review it with
//! `cargo insta review` (xlsx is binary: it is read back cell by cell with openpyxl in the SDK
//! tests).

use result::{ColumnInfo, QueryResult, ResultSet, Subtotals, Value, ValueType};
use sightline_format::{write_result, QueryContext, Rendering, ResultFormat};

/// Every implemented format but xlsx (binary) and sql (the query, not its result): a format
/// implemented later gets its golden files here without being listed.
fn text_formats() -> Vec<ResultFormat> {
    let formats: Vec<ResultFormat> = sightline_format::LOOKER_FORMATS
        .iter()
        .filter_map(|name| ResultFormat::parse(name))
        .filter(|f| !matches!(f, ResultFormat::NotYet(_) | ResultFormat::Xlsx | ResultFormat::Sql))
        .collect();
    assert!(formats.len() >= 10, "only {} text formats: {formats:?}", formats.len());
    formats
}

fn dimension(name: &str, label: &str, value_type: ValueType, type_name: &str) -> ColumnInfo {
    ColumnInfo { type_name: type_name.into(), ..ColumnInfo::plain(name, value_type).labelled(label) }
}

fn measure(name: &str, label: &str, format: Option<&str>) -> ColumnInfo {
    ColumnInfo {
        type_name: "sum".into(),
        value_format: format.map(str::to_string),
        ..ColumnInfo::plain(name, ValueType::Number).labelled(label).measure()
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn day(d: i8) -> Value {
    Value::Date(jiff::civil::date(2024, 3, d))
}

fn columns() -> Vec<ColumnInfo> {
    vec![
        dimension("users.state", "Users State", ValueType::String, "string"),
        dimension("orders.created_date", "Orders Created Date", ValueType::Date, "date_date"),
        measure("orders.count", "Orders Count", None),
        measure("orders.revenue", "Orders Revenue", Some("$#,##0.00")),
    ]
}

fn flat() -> QueryResult {
    let mut table = ResultSet::new(columns());
    table.push_row(vec![text("New \"York\", NY"), day(1), Value::Int(1200), Value::Decimal("15234.5".into())]);
    table.push_row(vec![text("New \"York\", NY"), day(2), Value::Int(3), Value::Decimal("-0.125".into())]);
    table.push_row(vec![Value::Null, day(2), Value::Int(7), Value::Null]);
    let subtotals = Subtotals {
        depth: 1,
        grouped: vec!["users.state".into()],
        rows: vec![
            vec![text("New \"York\", NY"), Value::Null, Value::Int(1203), Value::Decimal("15234.375".into())],
            vec![Value::Null, Value::Null, Value::Int(7), Value::Null],
        ],
        pivot_rows: Vec::new(),
    };
    QueryResult {
        table,
        totals: Some(vec![Value::Null, Value::Null, Value::Int(1210), Value::Decimal("15234.375".into())]),
        subtotals: vec![subtotals],
        ..Default::default()
    }
}

/// The long rows of the same query pivoted on the date (each tagged with its pivot column's
/// rank and the number of pivot values), with totals and row totals.
fn pivoted() -> QueryResult {
    let mut long_columns = columns();
    long_columns.push(ColumnInfo::plain("__pivot_column", ValueType::Number));
    long_columns.push(ColumnInfo::plain("__pivot_count", ValueType::Number));
    let mut long = ResultSet::new(long_columns);
    let rank = |n| Value::Int(n);
    long.push_row(vec![text("CA"), day(1), Value::Int(5), Value::Decimal("10.5".into()), rank(1), rank(2)]);
    long.push_row(vec![text("CA"), day(2), Value::Int(6), Value::Decimal("1234567.891".into()), rank(2), rank(2)]);
    long.push_row(vec![text("New \"York\", NY"), day(2), Value::Int(7), Value::Null, rank(2), rank(2)]);
    let mut totals = ResultSet::new(vec![columns()[1].clone(), columns()[2].clone(), columns()[3].clone()]);
    totals.push_row(vec![day(1), Value::Int(5), Value::Decimal("10.5".into())]);
    totals.push_row(vec![day(2), Value::Int(13), Value::Decimal("1234567.891".into())]);
    let mut row_totals = ResultSet::new(vec![columns()[0].clone(), columns()[2].clone(), columns()[3].clone()]);
    row_totals.push_row(vec![text("CA"), Value::Int(11), Value::Decimal("1234578.391".into())]);
    row_totals.push_row(vec![text("New \"York\", NY"), Value::Int(7), Value::Null]);
    let pivot = result::pivot(&long, &[1], Some(&totals), Some(&row_totals)).expect("the fixture pivots");
    let mut table = long;
    table.columns.truncate(4);
    table.data.truncate(4);
    QueryResult { table, pivot: Some(pivot), ..Default::default() }
}

fn context() -> QueryContext {
    QueryContext {
        model: "shop".into(),
        explore: "orders".into(),
        explore_label: "Orders".into(),
        sql: "SELECT …".into(),
        filters: vec![("orders.created_date".into(), "2024-03-01 to 2024-03-03".into())],
        timezone: "UTC".into(),
        ..Default::default()
    }
}

fn check_every_format(layout: &str, result: &QueryResult) {
    for format in text_formats() {
        for formatted in [false, true] {
            let rendering = Rendering { apply_formatting: formatted, ..Rendering::raw(format) };
            let mut out = Vec::new();
            write_result(&rendering, result, &context(), &mut out).expect("the fixture formats");
            let body = String::from_utf8(out).expect("text formats are UTF-8");
            let name = format!("{layout}_{}{}", format.name(), if formatted { "_formatted" } else { "" });
            insta::assert_snapshot!(name, body);
        }
    }
}

#[test]
fn flat_results_in_every_format() {
    check_every_format("flat", &flat());
}

#[test]
fn pivoted_results_in_every_format() {
    check_every_format("pivoted", &pivoted());
}
