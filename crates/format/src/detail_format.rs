//! The JSON formats that describe the query beside its rows. `json_detail` (and `json_fe`, the
//! Looker front end's superset with `measure_like`/`dimension_like`): the query's fields with
//! their metadata, pivots, totals, filters and SQL, and rows whose cells are
//! `{"value", "rendered"}` objects (a pivoted measure: such a cell per pivot key). `json_bi`:
//! `{"metadata": …, "rows": […]}` as the spec's `JsonBi` describes it, pivoted measures
//! flattened to `measure|FIELD|pivot key`, the totals row last. Rows are written one at a time.

use std::io::Write;

use present::CellRenderer;
use result::pivot::{KEY_SEPARATOR, ROW_TOTAL_KEY};
use result::{ColumnInfo, PivotTable, QueryResult, Value, ValueType};
use serde_json::{json, Map, Value as Json};

use crate::drill::{filterable_value, Drill};
use crate::json_format::write_value;
use crate::{FormatError, QueryContext};

fn io(e: serde_json::Error) -> FormatError {
    FormatError::Io(std::io::Error::from(e))
}

/// The view part of `view.field` (custom fields and table calculations have none).
fn view_of(name: &str) -> &str {
    name.split_once('.').map(|(view, _)| view).unwrap_or("")
}

fn is_timeframe(c: &ColumnInfo) -> bool {
    c.type_name.starts_with("date_")
}

/// A field as json_detail's `fields` lists it.
fn detail_field(c: &ColumnInfo) -> Json {
    let numeric = c.value_type == ValueType::Number;
    json!({
        "name": c.name,
        "label": c.label,
        "label_short": c.field_label,
        "view": view_of(&c.name),
        "view_label": c.view_label,
        "type": c.type_name,
        "category": if c.is_measure { "measure" } else { "dimension" },
        "measure": c.is_measure,
        "is_numeric": numeric,
        "is_timeframe": is_timeframe(c),
        "align": if numeric { "right" } else { "left" },
        "value_format": c.value_format,
        "description": c.description,
        "sql": c.sql,
        "hidden": c.hidden,
        "field_group_label": c.group_label,
        "dimension_group": c.dimension_group,
    })
}

/// A field as `JsonBiField` describes it (every key present; absent text as `""`).
fn bi_field(c: &ColumnInfo) -> Json {
    let text = |t: &Option<String>| t.clone().unwrap_or_default();
    json!({
        "sql": text(&c.sql),
        "view": view_of(&c.name),
        "dimension_group": text(&c.dimension_group),
        "category": if c.is_measure { "measure" } else { "dimension" },
        "field_group_label": text(&c.group_label),
        "name": c.name,
        "type": c.type_name,
        "view_label": c.view_label,
        "label": c.label,
        "field_group_variant": c.field_label,
        "hidden": c.hidden,
        "description": text(&c.description),
    })
}

/// The query's fields by role: (dimensions, measures, pivots).
fn roles(result: &QueryResult) -> (Vec<&ColumnInfo>, Vec<&ColumnInfo>, Vec<&ColumnInfo>) {
    match &result.pivot {
        Some(p) => (p.dimensions.iter().collect(), p.measures.iter().collect(), p.pivots.iter().collect()),
        None => {
            let (measures, dimensions) = result.table.columns.iter().partition(|c| c.is_measure);
            (dimensions, measures, Vec::new())
        }
    }
}

/// Pivot columns as json_detail and json_bi list them, the row-total column last.
fn pivots_json(pivot: Option<&PivotTable>, detailed: bool) -> Vec<Json> {
    let Some(pivot) = pivot else { return Vec::new() };
    let mut out: Vec<Json> = pivot
        .columns
        .iter()
        .map(|column| {
            let mut data = Map::new();
            let mut labels = Map::new();
            for (field, value) in pivot.pivots.iter().zip(&column.values) {
                data.insert(field.name.clone(), to_json(value));
                labels.insert(field.name.clone(), Json::from(value.to_text().unwrap_or_else(|| result::pivot::NULL_KEY.into())));
            }
            let mut entry = json!({ "key": column.key, "is_total": false, "data": data.clone(), "sort_values": data });
            if detailed {
                entry["labels"] = Json::Object(labels);
            }
            entry
        })
        .collect();
    if pivot.has_row_totals {
        out.push(json!({ "key": ROW_TOTAL_KEY, "is_total": true, "data": {}, "sort_values": {} }));
    }
    out
}

fn to_json(value: &Value) -> Json {
    let mut bytes = Vec::new();
    match write_value(value, &mut bytes) {
        Ok(()) => serde_json::from_slice(&bytes).unwrap_or(Json::Null),
        Err(_) => Json::Null,
    }
}

/// Cells as `{"value": …, "rendered": …}`: `rendered` when the field has a value format or its
/// rendering differs from the value's text.
/// With drill links (`generate_drill_links`), cells also carry `links`, and dimension cells
/// their `filterable_value`.
struct Cells<'a> {
    columns: Vec<&'a ColumnInfo>,
    renderers: Vec<CellRenderer>,
    drill: Option<Drill<'a>>,
}

impl<'a> Cells<'a> {
    fn new(columns: &[&'a ColumnInfo]) -> Result<Cells<'a>, FormatError> {
        let renderers = columns.iter().map(|c| CellRenderer::for_column(c)).collect::<Result<_, _>>()?;
        Ok(Cells { columns: columns.to_vec(), renderers, drill: None })
    }

    fn drilling(mut self, context: &'a QueryContext) -> Cells<'a> {
        self.drill = context.drill_links.as_deref().map(|prefix| Drill { context, prefix });
        self
    }

    /// The filters that select a row: its dimensions' values.
    fn row_filters(&self, values: &[&Value]) -> Vec<(String, String)> {
        match self.drill {
            None => Vec::new(),
            Some(_) => self
                .columns
                .iter()
                .zip(values)
                .filter(|(c, _)| !c.is_measure)
                .map(|(c, v)| (c.name.clone(), filterable_value(v, c)))
                .collect(),
        }
    }

    fn write(&self, column: usize, value: &Value, row_filters: &[(String, String)], out: &mut impl Write) -> Result<(), FormatError> {
        out.write_all(b"{\"value\":")?;
        write_value(value, out)?;
        let renderer = &self.renderers[column];
        let rendered = renderer.render(value);
        if let Some(rendered) = &rendered {
            if renderer.has_format() || Some(rendered) != value.to_text().as_ref() {
                out.write_all(b",\"rendered\":")?;
                serde_json::to_writer(&mut *out, rendered).map_err(io)?;
            }
        }
        if let Some(drill) = &self.drill {
            let info = self.columns[column];
            let shown = rendered.unwrap_or_default();
            let links = drill.links(info, value, &shown, row_filters)?;
            out.write_all(b",\"links\":")?;
            serde_json::to_writer(&mut *out, &links).map_err(io)?;
            if !info.is_measure {
                out.write_all(b",\"filterable_value\":")?;
                serde_json::to_writer(&mut *out, &filterable_value(value, info)).map_err(io)?;
            }
        }
        out.write_all(b"}")?;
        Ok(())
    }

    fn to_json(&self, column: usize, value: &Value) -> Json {
        let mut bytes = Vec::new();
        match self.write(column, value, &[], &mut bytes) {
            Ok(()) => serde_json::from_slice(&bytes).unwrap_or(Json::Null),
            Err(_) => Json::Null,
        }
    }
}

fn key(text: &str) -> String {
    Json::from(text).to_string()
}

/// Writes `meta` without its closing brace, so rows can follow as one more member.
fn open_object(meta: &Map<String, Json>, out: &mut impl Write) -> Result<(), FormatError> {
    let text = serde_json::to_string(meta).map_err(io)?;
    out.write_all(text.strip_suffix('}').unwrap_or(&text).as_bytes())?;
    if !meta.is_empty() {
        out.write_all(b",")?;
    }
    Ok(())
}

pub fn write_json_detail(result: &QueryResult, context: &QueryContext, front_end: bool, out: &mut impl Write) -> Result<(), FormatError> {
    let (dimensions, measures, pivots) = roles(result);
    let field_list = |fields: &[&ColumnInfo]| Json::Array(fields.iter().map(|c| detail_field(c)).collect());
    let mut fields = json!({
        "dimensions": field_list(&dimensions),
        "measures": field_list(&measures),
        "table_calculations": [],
        "pivots": field_list(&pivots),
    });
    if front_end {
        fields["dimension_like"] = field_list(&dimensions);
        fields["measure_like"] = field_list(&measures);
    }
    let mut applied = Map::new();
    for (field, value) in &context.filters {
        let column = result.table.columns.iter().find(|c| &c.name == field);
        let field_json = column.map(detail_field).unwrap_or_else(|| json!({ "name": field }));
        applied.insert(field.clone(), json!({ "field": field_json, "value": value }));
    }
    let pivot = result.pivot.as_ref();
    let mut meta = Map::new();
    meta.insert("status".into(), json!("complete"));
    meta.insert("sql".into(), json!(context.sql));
    meta.insert("fields".into(), fields);
    meta.insert("fill_fields".into(), json!(context.fill_fields));
    meta.insert("has_totals".into(), json!(result.totals.is_some() || pivot.is_some_and(|p| p.totals.is_some())));
    meta.insert("has_subtotals".into(), json!(!result.subtotals.is_empty()));
    if !result.subtotals.is_empty() {
        let sets: Vec<&Vec<String>> = result.subtotals.iter().map(|level| &level.grouped).collect();
        meta.insert("subtotal_sets".into(), json!(sets));
    }
    meta.insert("has_row_totals".into(), json!(pivot.is_some_and(|p| p.has_row_totals)));
    meta.insert("pivots".into(), Json::Array(pivots_json(pivot, true)));
    meta.insert("columns_truncated".into(), json!(pivot.is_some_and(|p| p.columns_truncated)));
    meta.insert("applied_filters".into(), Json::Object(applied));
    meta.insert("applied_filter_expression".into(), json!(context.filter_expression));
    meta.insert("explore".into(), json!({ "name": context.explore, "label": context.explore_label, "description": null }));
    meta.insert("timezone".into(), json!(context.timezone));
    meta.insert("number_format".into(), json!("1,234.56"));
    if let Some(totals) = detail_totals(result)? {
        meta.insert("totals_data".into(), totals);
    }
    open_object(&meta, out)?;
    out.write_all(b"\"data\":[")?;
    match pivot {
        None => {
            let table = &result.table;
            let rows = Rows::plain(&table.columns.iter().collect::<Vec<_>>(), context)?;
            for row in 0..table.row_count() {
                if row > 0 {
                    out.write_all(b",")?;
                }
                let values: Vec<&Value> = (0..table.columns.len()).map(|c| table.value(c, row)).collect();
                rows.write_plain(&values, None, out)?;
            }
        }
        Some(pivot) => {
            let rows = Rows::pivoted(pivot, context)?;
            for (r, row) in pivot.rows.iter().enumerate() {
                if r > 0 {
                    out.write_all(b",")?;
                }
                rows.write_pivoted(pivot, row, None, out)?;
            }
        }
    }
    out.write_all(b"]")?;
    if !result.subtotals.is_empty() {
        write_subtotals(result, context, out)?;
    }
    out.write_all(b"}")?;
    Ok(())
}

/// `subtotals_data`: each level's rows keyed by depth, as Looker sends them: the dimensions the
/// level does not group by are empty cells, and `$$$__grouping__$$$` names those it does.
fn write_subtotals(result: &QueryResult, context: &QueryContext, out: &mut impl Write) -> Result<(), FormatError> {
    out.write_all(b",\"subtotals_data\":{")?;
    let plain_columns: Vec<&ColumnInfo> = result.table.columns.iter().collect();
    let rows = match &result.pivot {
        None => Rows::plain(&plain_columns, context)?,
        Some(pivot) => Rows::pivoted(pivot, context)?,
    };
    for (l, level) in result.subtotals.iter().enumerate() {
        if l > 0 {
            out.write_all(b",")?;
        }
        write!(out, "{}:[", key(&level.depth.to_string()))?;
        match &result.pivot {
            None => {
                for (r, row) in level.rows.iter().enumerate() {
                    if r > 0 {
                        out.write_all(b",")?;
                    }
                    rows.write_plain(&row.iter().collect::<Vec<_>>(), Some(&level.grouped), out)?;
                }
            }
            Some(pivot) => {
                for (r, row) in level.pivot_rows.iter().enumerate() {
                    if r > 0 {
                        out.write_all(b",")?;
                    }
                    rows.write_pivoted(pivot, row, Some(&level.grouped), out)?;
                }
            }
        }
        out.write_all(b"]")?;
    }
    out.write_all(b"}")?;
    Ok(())
}

/// The cell of a dimension a subtotal row does not group by.
const UNGROUPED_CELL: &[u8] = br#"{"value":null,"filterable_value":"EMPTY"}"#;
/// The member of a subtotal row naming the dimensions it groups by.
const GROUPING_KEY: &str = "$$$__grouping__$$$";

/// Writes json_detail rows (data or subtotal rows) of one result.
struct Rows<'a> {
    keys: Vec<String>,
    cells: Cells<'a>,
    /// Pivoted results: their measures' and row calculations' cells (none when unpivoted).
    measures: Cells<'a>,
    row_calcs: Cells<'a>,
}

impl<'a> Rows<'a> {
    fn plain(columns: &[&'a ColumnInfo], context: &'a QueryContext) -> Result<Rows<'a>, FormatError> {
        let cells = Cells::new(columns)?.drilling(context);
        let keys = columns.iter().map(|c| key(&c.name)).collect();
        Ok(Rows { keys, cells, measures: Cells::new(&[])?, row_calcs: Cells::new(&[])? })
    }

    fn pivoted(pivot: &'a PivotTable, context: &'a QueryContext) -> Result<Rows<'a>, FormatError> {
        Ok(Rows {
            keys: pivot.dimensions.iter().map(|c| key(&c.name)).collect(),
            cells: Cells::new(&pivot.dimensions.iter().collect::<Vec<_>>())?.drilling(context),
            measures: Cells::new(&pivot.measures.iter().collect::<Vec<_>>())?.drilling(context),
            row_calcs: Cells::new(&pivot.row_calcs.iter().collect::<Vec<_>>())?.drilling(context),
        })
    }

    /// Whether column `c` of `cells` is a dimension a subtotal row (`grouping`) leaves empty.
    fn ungrouped(cells: &Cells, c: usize, grouping: Option<&Vec<String>>) -> bool {
        let column = cells.columns[c];
        grouping.is_some_and(|g| !column.is_measure && !g.contains(&column.name))
    }

    /// The filters that select the row: a subtotal row's only by the dimensions it groups by.
    fn filters(cells: &Cells, values: &[&Value], grouping: Option<&Vec<String>>) -> Vec<(String, String)> {
        let mut filters = cells.row_filters(values);
        if let Some(g) = grouping {
            filters.retain(|(name, _)| g.contains(name));
        }
        filters
    }

    fn end_row(grouping: Option<&Vec<String>>, out: &mut impl Write) -> Result<(), FormatError> {
        if let Some(g) = grouping {
            write!(out, ",{}:", key(GROUPING_KEY))?;
            serde_json::to_writer(&mut *out, g).map_err(io)?;
        }
        out.write_all(b"}")?;
        Ok(())
    }

    fn write_plain(&self, values: &[&Value], grouping: Option<&Vec<String>>, out: &mut impl Write) -> Result<(), FormatError> {
        out.write_all(b"{")?;
        let filters = Self::filters(&self.cells, values, grouping);
        for (c, name) in self.keys.iter().enumerate() {
            if c > 0 {
                out.write_all(b",")?;
            }
            write!(out, "{name}:")?;
            match Self::ungrouped(&self.cells, c, grouping) {
                true => out.write_all(UNGROUPED_CELL)?,
                false => self.cells.write(c, values[c], &filters, out)?,
            }
        }
        Self::end_row(grouping, out)
    }

    fn write_pivoted(
        &self,
        pivot: &PivotTable,
        row: &result::PivotRow,
        grouping: Option<&Vec<String>>,
        out: &mut impl Write,
    ) -> Result<(), FormatError> {
        let (measures, row_calcs) = (&self.measures, &self.row_calcs);
        out.write_all(b"{")?;
        let row_filters = Self::filters(&self.cells, &row.dimensions.iter().collect::<Vec<_>>(), grouping);
        let mut first = true;
        for (d, name) in self.keys.iter().enumerate() {
            if !std::mem::take(&mut first) {
                out.write_all(b",")?;
            }
            write!(out, "{name}:")?;
            match Self::ungrouped(&self.cells, d, grouping) {
                true => out.write_all(UNGROUPED_CELL)?,
                false => self.cells.write(d, &row.dimensions[d], &row_filters, out)?,
            }
        }
        for (m, measure) in pivot.measures.iter().enumerate() {
            if !std::mem::take(&mut first) {
                out.write_all(b",")?;
            }
            write!(out, "{}:{{", key(&measure.name))?;
            for (c, column) in pivot.columns.iter().enumerate() {
                if c > 0 {
                    out.write_all(b",")?;
                }
                write!(out, "{}:", key(&column.key))?;
                let mut filters = row_filters.clone();
                if measures.drill.is_some() {
                    filters.extend(pivot.pivots.iter().zip(&column.values).map(|(p, v)| (p.name.clone(), filterable_value(v, p))));
                }
                measures.write(m, &row.cells[m][c], &filters, out)?;
            }
            if pivot.has_row_totals {
                if !pivot.columns.is_empty() {
                    out.write_all(b",")?;
                }
                write!(out, "{}:", key(ROW_TOTAL_KEY))?;
                measures.write(m, row.row_total.as_ref().map(|t| &t[m]).unwrap_or(&Value::Null), &row_filters, out)?;
            }
            out.write_all(b"}")?;
        }
        for (k, calc) in pivot.row_calcs.iter().enumerate() {
            if !std::mem::take(&mut first) {
                out.write_all(b",")?;
            }
            write!(out, "{}:", key(&calc.name))?;
            row_calcs.write(k, row.row_calcs.get(k).unwrap_or(&Value::Null), &row_filters, out)?;
        }
        Self::end_row(grouping, out)
    }
}

/// `totals_data`: each measure's total cell (pivoted: a cell per pivot key).
fn detail_totals(result: &QueryResult) -> Result<Option<Json>, FormatError> {
    match &result.pivot {
        None => {
            let Some(totals) = &result.totals else { return Ok(None) };
            let columns: Vec<&ColumnInfo> = result.table.columns.iter().collect();
            let cells = Cells::new(&columns)?;
            let mut out = Map::new();
            for (c, column) in columns.iter().enumerate().filter(|(_, c)| c.is_measure) {
                out.insert(column.name.clone(), cells.to_json(c, &totals[c]));
            }
            Ok(Some(Json::Object(out)))
        }
        Some(pivot) => {
            let Some(totals) = &pivot.totals else { return Ok(None) };
            let cells = Cells::new(&pivot.measures.iter().collect::<Vec<_>>())?;
            let mut out = Map::new();
            for (m, measure) in pivot.measures.iter().enumerate() {
                let by_key: Map<String, Json> =
                    pivot.columns.iter().enumerate().map(|(c, column)| (column.key.clone(), cells.to_json(m, &totals[m][c]))).collect();
                out.insert(measure.name.clone(), Json::Object(by_key));
            }
            Ok(Some(Json::Object(out)))
        }
    }
}

pub fn write_json_bi(result: &QueryResult, context: &QueryContext, formatted: bool, out: &mut impl Write) -> Result<(), FormatError> {
    let (dimensions, measures, pivots) = roles(result);
    let field_list = |fields: &[&ColumnInfo]| Json::Array(fields.iter().map(|c| bi_field(c)).collect());
    let pivot = result.pivot.as_ref();
    let filters: Map<String, Json> = context.filters.iter().map(|(f, v)| (f.clone(), json!(v))).collect();
    let metadata = json!({
        "big_query_metadata": { "total_bytes_processed": 0, "backend_cache_hit": false },
        "fields": {
            "dimensions": field_list(&dimensions),
            "measures": field_list(&measures),
            "pivots": field_list(&pivots),
            "table_calculations": [],
        },
        "pivots": pivots_json(pivot, false),
        "has_subtotals": !result.subtotals.is_empty(),
        "has_totals": result.totals.is_some() || pivot.is_some_and(|p| p.totals.is_some()),
        "columns_truncated": pivot.is_some_and(|p| p.columns_truncated).to_string(),
        "filter_expression": context.filter_expression.clone().unwrap_or_default(),
        "filters": filters,
        "sql": context.sql,
    });
    let mut meta = Map::new();
    meta.insert("metadata".into(), metadata);
    open_object(&meta, out)?;
    out.write_all(b"\"rows\":[")?;
    // json_bi's rows are the tabular layout with keys: `view.field`, or `measure|FIELD|key`.
    let grid = crate::grid::Grid::new(result, formatted)?;
    let keys: Vec<String> = match pivot {
        None => result.table.columns.iter().map(|c| key(&c.name)).collect(),
        Some(p) => {
            let mut keys: Vec<String> = p.dimensions.iter().map(|c| key(&c.name)).collect();
            let left = (p.has_row_totals && p.row_totals_left).then_some(ROW_TOTAL_KEY);
            let right = (p.has_row_totals && !p.row_totals_left).then_some(ROW_TOTAL_KEY);
            let pivot_keys = left.into_iter().chain(p.columns.iter().map(|c| c.key.as_str())).chain(right);
            for pivot_key in pivot_keys {
                keys.extend(p.measures.iter().map(|m| key(&format!("{}{KEY_SEPARATOR}{pivot_key}", m.name))));
            }
            keys.extend(p.row_calcs.iter().map(|c| key(&c.name)));
            keys
        }
    };
    let cells = Cells::new(&grid.columns)?;
    let rows = (0..grid.row_count()).map(|r| grid.row(r)).chain(grid.totals());
    for (r, row) in rows.enumerate() {
        out.write_all(if r > 0 { b",{" } else { b"{" })?;
        for (c, value) in row.into_iter().enumerate() {
            if c > 0 {
                out.write_all(b",")?;
            }
            write!(out, "{}:", keys[c])?;
            cells.write(c, value, &[], out)?;
        }
        out.write_all(b"}")?;
    }
    out.write_all(b"]}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result() -> QueryResult {
        let mut total = ColumnInfo::plain("orders.total", ValueType::Number).labelled("Orders Total").measure();
        total.value_format = Some("$#,##0.00".into());
        total.type_name = "sum".into();
        let mut r = result::ResultSet::new(vec![ColumnInfo::plain("orders.status", ValueType::String).labelled("Orders Status"), total]);
        r.push_row(vec![Value::Text("complete".into()), Value::Decimal("1234.5".into())]);
        QueryResult { table: r, pivot: None, totals: Some(vec![Value::Null, Value::Decimal("1234.5".into())]), ..Default::default() }
    }

    fn context() -> QueryContext {
        QueryContext {
            explore: "orders".into(),
            sql: "SELECT 1".into(),
            filters: vec![("orders.status".into(), "complete".into())],
            timezone: "UTC".into(),
            ..Default::default()
        }
    }

    #[test]
    fn json_detail_cells_carry_rendered_values() {
        let mut out = Vec::new();
        write_json_detail(&result(), &context(), false, &mut out).unwrap();
        let doc: Json = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["data"][0]["orders.total"], json!({"value": 1234.5, "rendered": "$1,234.50"}));
        assert_eq!(doc["data"][0]["orders.status"], json!({"value": "complete"}));
        assert_eq!(doc["totals_data"]["orders.total"]["rendered"], "$1,234.50");
        assert_eq!(doc["fields"]["measures"][0]["value_format"], "$#,##0.00");
        assert_eq!(doc["applied_filters"]["orders.status"]["value"], "complete");
        assert_eq!((doc["has_totals"].as_bool(), doc["sql"].as_str()), (Some(true), Some("SELECT 1")));
    }

    #[test]
    fn json_bi_matches_the_spec_shape() {
        let mut out = Vec::new();
        write_json_bi(&result(), &context(), false, &mut out).unwrap();
        let doc: Json = serde_json::from_slice(&out).unwrap();
        let meta = &doc["metadata"];
        for key in [
            "big_query_metadata",
            "fields",
            "pivots",
            "has_subtotals",
            "has_totals",
            "columns_truncated",
            "filter_expression",
            "filters",
            "sql",
        ] {
            assert!(meta.get(key).is_some(), "metadata lacks {key}: {meta}");
        }
        assert_eq!(meta["columns_truncated"], "false");
        assert_eq!(meta["fields"]["measures"][0]["name"], "orders.total");
        // The rows, then the totals row.
        assert_eq!(doc["rows"].as_array().unwrap().len(), 2);
        assert_eq!(doc["rows"][1]["orders.status"], json!({"value": null}));
    }
}
