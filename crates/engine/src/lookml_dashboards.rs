//! LookML dashboards (`*.dashboard.lookml`, addressed as `model::name`) as what a render task
//! draws: each element becomes a query (its model, explore, fields, filters, sorts, limit and vis
//! settings) or a text tile, placed where the file puts it; each dashboard filter's value (the
//! render request's, else the filter's `default_value`) is added to the elements that `listen`
//! to it, on the field they name.
//!
//! `newspaper` placements are the file's own on the 24-column grid; elements of the older
//! layouts (`tile`, `static`, `grid`), and those without a place, flow two to a row below.

use std::collections::BTreeMap;

use lookml::{DashboardElement, DashboardLayout, LookmlDashboard};
use render::GridPlacement;
use serde_json::{Map, Value};

use crate::{EngineError, QueryBody};

/// What an element of a LookML dashboard shows.
#[derive(Debug, Clone, PartialEq)]
pub enum TileSource {
    Query {
        query: Box<QueryBody>,
        title: String,
    },
    Text {
        title: String,
        subtitle: String,
        body: String,
    },
    /// The element cannot be made into a query (its message is drawn in the tile).
    Invalid {
        title: String,
        message: String,
    },
}

/// A LookML dashboard as it shows with its filters' defaults.
pub struct LookmlDashboardView<'a> {
    /// The model that includes it.
    pub model: &'a str,
    pub dashboard: &'a LookmlDashboard,
    /// Each element (in the file's order) placed, with what it shows.
    pub tiles: Vec<(GridPlacement, TileSource)>,
}

/// `model::name` split, or `None` when the id is not a LookML dashboard's.
pub(crate) fn split_id(id: &str) -> Option<(&str, &str)> {
    id.split_once("::").filter(|(m, n)| !m.is_empty() && !n.is_empty())
}

/// The value of each filter: the request's (`dashboard_filters` in URL query form, by the
/// filter's name or title), else its default. A name matching no filter is an error naming it.
pub(crate) fn filter_values(dashboard: &LookmlDashboard, requested: &str) -> Result<BTreeMap<String, String>, EngineError> {
    let known: Vec<KnownFilter<'_>> = dashboard
        .filters
        .iter()
        .map(|f| KnownFilter { name: &f.name, title: f.title.as_deref(), default: f.default_value.as_deref() })
        .collect();
    requested_values(&dashboard.dashboard, &known, requested)
}

/// A dashboard filter as a request names it.
pub(crate) struct KnownFilter<'a> {
    pub name: &'a str,
    pub title: Option<&'a str>,
    pub default: Option<&'a str>,
}

/// Each filter's value by name: the request's (URL query form, by name or title), else its
/// default. A name matching none of `known` is an error naming it and them.
pub(crate) fn requested_values(
    dashboard: &str,
    known: &[KnownFilter<'_>],
    requested: &str,
) -> Result<BTreeMap<String, String>, EngineError> {
    let mut values: BTreeMap<String, String> =
        known.iter().filter_map(|f| f.default.map(|v| (f.name.to_string(), v.to_string()))).collect();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(requested.trim_start_matches('?')).map_err(|e| EngineError::Invalid {
        field: "dashboard_filters",
        message: format!("dashboard_filters is not in URL query form (name=value&…): {e}"),
    })?;
    for (name, value) in pairs {
        let filter = known.iter().find(|f| f.name == name || f.title == Some(name.as_str())).ok_or_else(|| {
            let names: Vec<&str> = known.iter().map(|f| f.name).collect();
            EngineError::Invalid {
                field: "dashboard_filters",
                message: format!(
                    "dashboard `{dashboard}` has no filter `{}` (its filters: {})",
                    name.chars().take(100).collect::<String>(),
                    if names.is_empty() { "none".to_string() } else { names.join(", ") }
                ),
            }
        })?;
        values.insert(filter.name.to_string(), value);
    }
    Ok(values)
}

/// The dashboard's elements (in the file's order), each placed, with what it shows.
pub(crate) fn tiles(model: &str, dashboard: &LookmlDashboard, values: &BTreeMap<String, String>) -> Vec<(GridPlacement, TileSource)> {
    let newspaper = matches!(dashboard.layout, None | Some(DashboardLayout::Newspaper));
    let mut flowed = 0u32;
    let mut bottom = 0u32;
    let mut out = Vec::with_capacity(dashboard.elements.len());
    for element in &dashboard.elements {
        let grid = |v: Option<i64>| v.and_then(|v| u32::try_from(v).ok());
        let placement = match (newspaper, grid(element.row), grid(element.col)) {
            (true, Some(row), Some(column)) => GridPlacement {
                row,
                column,
                width: grid(element.width).unwrap_or(8).max(1),
                height: grid(element.height).unwrap_or(6).max(1),
            },
            _ => {
                let placement = GridPlacement { row: u32::MAX, column: (flowed % 2) * 12, width: 12, height: 6 };
                flowed += 1;
                placement
            }
        };
        if placement.row != u32::MAX {
            bottom = bottom.max(placement.row.saturating_add(placement.height));
        }
        out.push((placement, source(model, element, dashboard, values)));
    }
    // Flowed elements go below the placed ones, two to a row.
    for (i, (placement, _)) in (0u32..).zip(out.iter_mut().filter(|(p, _)| p.row == u32::MAX)) {
        placement.row = bottom.saturating_add((i / 2) * 6);
    }
    out
}

fn source(model: &str, e: &DashboardElement, dashboard: &LookmlDashboard, values: &BTreeMap<String, String>) -> TileSource {
    let title = e.title.clone().or_else(|| e.name.clone()).unwrap_or_default();
    if e.vis_type.as_deref() == Some("text") {
        return TileSource::Text {
            title: e.title_text.clone().unwrap_or_default(),
            subtitle: e.subtitle_text.clone().unwrap_or_default(),
            body: e.body_text.clone().unwrap_or_default(),
        };
    }
    let Some(explore) = e.explore.clone() else {
        return TileSource::Invalid { title, message: "this element names no explore".into() };
    };
    let mut fields = e.fields.clone();
    if fields.is_empty() {
        fields = e.dimensions.iter().chain(&e.measures).cloned().collect();
    }
    let mut filters: Map<String, Value> = e.filters.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    match listened(&e.listen) {
        Ok(listen) => {
            for (filter, field) in listen {
                if let Some(value) = values.get(&filter).filter(|v| !v.is_empty()) {
                    filters.insert(field, Value::String(value.clone()));
                } else if !dashboard.filters.iter().any(|f| f.name == filter) {
                    return TileSource::Invalid {
                        title,
                        message: format!("this element listens to `{filter}`, which is not a filter of the dashboard"),
                    };
                }
            }
        }
        Err(message) => return TileSource::Invalid { title, message },
    }
    let mut vis_config: Map<String, Value> = Map::new();
    for (key, value) in &e.options {
        match serde_json::to_value(value) {
            Ok(v) => {
                vis_config.insert(key.clone(), v);
            }
            Err(err) => return TileSource::Invalid { title, message: format!("`{key}` cannot be read: {err}") },
        }
    }
    if let Some(vis_type) = &e.vis_type {
        vis_config.insert("type".into(), Value::String(vis_type.clone()));
    }
    let dynamic_fields = match &e.dynamic_fields {
        None => None,
        Some(yaml) => match serde_json::to_string(yaml) {
            Ok(json) => Some(json),
            Err(err) => return TileSource::Invalid { title, message: format!("`dynamic_fields` cannot be read: {err}") },
        },
    };
    let list = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
    let query = QueryBody {
        model: e.model.clone().unwrap_or_else(|| model.to_string()),
        view: explore,
        fields: Some(fields),
        pivots: list(&e.pivots),
        fill_fields: list(&e.fill_fields),
        filters: (!filters.is_empty()).then_some(filters),
        sorts: list(&e.sorts),
        limit: e.limit.clone(),
        column_limit: e.column_limit.clone(),
        vis_config: Some(vis_config),
        dynamic_fields,
        query_timezone: e.query_timezone.clone().or_else(|| dashboard.query_timezone.clone()),
        ..QueryBody::default()
    };
    TileSource::Query { query: Box::new(query), title }
}

/// An element's `listen`: filter name → field, written as a mapping or as a list of one-entry
/// mappings.
fn listened(listen: &serde_norway::Value) -> Result<Vec<(String, String)>, String> {
    use serde_norway::Value as Yaml;
    let pair = |k: &Yaml, v: &Yaml| match (k.as_str(), v.as_str()) {
        (Some(k), Some(v)) => Ok((k.to_string(), v.to_string())),
        _ => Err("`listen` maps filter names to fields".to_string()),
    };
    match listen {
        Yaml::Null => Ok(Vec::new()),
        Yaml::Mapping(m) => m.iter().map(|(k, v)| pair(k, v)).collect(),
        Yaml::Sequence(items) => {
            let mut out = Vec::new();
            for item in items {
                let Yaml::Mapping(m) = item else { return Err("`listen` maps filter names to fields".into()) };
                for (k, v) in m {
                    out.push(pair(k, v)?);
                }
            }
            Ok(out)
        }
        _ => Err("`listen` maps filter names to fields".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
- dashboard: overview
  title: Overview
  layout: newspaper
  filters:
  - name: Status
    title: Order status
    type: field_filter
    default_value: Complete
    explore: order_items
    field: orders.status
  - name: Since
    type: date_filter
  elements:
  - title: Items
    name: items
    model: thelook
    explore: order_items
    type: looker_column
    fields: [orders.status, order_items.count]
    filters:
      users.state: California
    sorts: [orders.status]
    listen:
      Status: orders.status
      Since: order_items.created_date
    row: 0
    col: 0
    width: 12
    height: 6
    show_value_labels: true
  - name: notes
    type: text
    title_text: Notes
    body_text: Read me
    row: 0
    col: 12
    width: 12
    height: 6
  - name: unplaced
    explore: order_items
    dimensions: [orders.status]
    measures: [order_items.count]
  - name: broken
    type: looker_bar
"#;

    fn dashboard() -> LookmlDashboard {
        let mut d = lookml::dashboard::parse_dashboards(lookml::FileId(0), FILE).expect("parses");
        d.remove(0)
    }

    #[test]
    fn elements_become_queries_and_text_placed_on_the_grid() {
        let d = dashboard();
        let values = filter_values(&d, "").expect("defaults");
        assert_eq!(values, BTreeMap::from([("Status".to_string(), "Complete".to_string())]));
        let tiles = tiles("thelook", &d, &values);
        assert_eq!(tiles.len(), 4);
        let TileSource::Query { query, title } = &tiles[0].1 else { panic!("{:?}", tiles[0]) };
        assert_eq!(title, "Items");
        assert_eq!((query.model.as_str(), query.view.as_str()), ("thelook", "order_items"));
        let filters = query.filters.clone().unwrap_or_default();
        assert_eq!(filters.get("orders.status"), Some(&Value::from("Complete")), "the filter's default, through `listen`");
        assert_eq!(filters.get("users.state"), Some(&Value::from("California")));
        assert!(!filters.contains_key("order_items.created_date"), "a filter without a value adds nothing");
        let vis = query.vis_config.clone().unwrap_or_default();
        assert_eq!((vis.get("type"), vis.get("show_value_labels")), (Some(&Value::from("looker_column")), Some(&Value::from(true))));
        assert_eq!(tiles[0].0, GridPlacement { row: 0, column: 0, width: 12, height: 6 });
        assert!(matches!(&tiles[1].1, TileSource::Text { title, body, .. } if title == "Notes" && body == "Read me"));
        let TileSource::Query { query, .. } = &tiles[2].1 else { panic!("{:?}", tiles[2]) };
        assert_eq!(query.fields.clone().unwrap_or_default(), ["orders.status", "order_items.count"], "dimensions, then measures");
        assert_eq!(query.model, "thelook", "the dashboard's model when the element names none");
        assert_eq!((tiles[2].0.row, tiles[2].0.column, tiles[3].0.row, tiles[3].0.column), (6, 0, 6, 12), "flowed below, two a row");
        assert!(matches!(&tiles[3].1, TileSource::Invalid { message, .. } if message.contains("no explore")));
    }

    #[test]
    fn requested_filter_values_replace_defaults_by_name_or_title() {
        let d = dashboard();
        let values = filter_values(&d, "Order+status=Returned&Since=7+days").expect("values");
        assert_eq!(values["Status"], "Returned");
        assert_eq!(values["Since"], "7 days");
        let tiles = tiles("thelook", &d, &values);
        let TileSource::Query { query, .. } = &tiles[0].1 else { panic!() };
        let filters = query.filters.clone().unwrap_or_default();
        assert_eq!(filters.get("order_items.created_date"), Some(&Value::from("7 days")));
        let unknown = filter_values(&d, "Region=West").expect_err("no such filter");
        assert!(unknown.to_string().contains("no filter `Region`") && unknown.to_string().contains("Status, Since"), "{unknown}");
        assert_eq!(split_id("thelook::overview"), Some(("thelook", "overview")));
        assert_eq!(split_id("12"), None);
        assert_eq!(split_id("::x"), None);
    }
}
