//! LookML dashboards: `*.dashboard.lookml` files are YAML, not LookML. Each file holds a list of
//! `- dashboard: name` mappings; they are read into a typed model here so render tasks can lay
//! them out later. Errors are located in YAML terms (line and column of the file).
//!
//! Options that only change how a tile looks (the vis config: `stacking`, `series_colors`, …)
//! are kept as they are in `options`, since the set is open-ended (custom visualizations add
//! their own); everything that decides which data a tile shows is typed.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_norway::Value as Yaml;

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LookmlDashboard {
    /// The dashboard's name; the API addresses it as `model::name`.
    pub dashboard: String,
    #[serde(default, deserialize_with = "opt_text")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub description: Option<String>,
    #[serde(default)]
    pub layout: Option<DashboardLayout>,
    #[serde(default, deserialize_with = "text_list")]
    pub extends: Vec<String>,
    #[serde(default)]
    pub extension: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub query_timezone: Option<String>,
    #[serde(default)]
    pub elements: Vec<DashboardElement>,
    #[serde(default)]
    pub filters: Vec<DashboardFilter>,
    /// Display settings (`preferred_viewer`, `refresh`, `auto_run`, `tile_size`, …).
    #[serde(flatten)]
    pub options: BTreeMap<String, Yaml>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DashboardLayout {
    Newspaper,
    Grid,
    Tile,
    Static,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DashboardElement {
    #[serde(default, deserialize_with = "opt_text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub title: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "opt_text")]
    pub vis_type: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub model: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub explore: Option<String>,
    #[serde(default, deserialize_with = "text_list")]
    pub fields: Vec<String>,
    /// Older files list dimensions and measures apart instead of `fields`.
    #[serde(default, deserialize_with = "text_list")]
    pub dimensions: Vec<String>,
    #[serde(default, deserialize_with = "text_list")]
    pub measures: Vec<String>,
    #[serde(default, deserialize_with = "text_list")]
    pub pivots: Vec<String>,
    #[serde(default, deserialize_with = "text_list")]
    pub fill_fields: Vec<String>,
    #[serde(default, deserialize_with = "text_map")]
    pub filters: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "text_list")]
    pub sorts: Vec<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub limit: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub column_limit: Option<String>,
    #[serde(default)]
    pub dynamic_fields: Option<Yaml>,
    #[serde(default, deserialize_with = "opt_text")]
    pub query_timezone: Option<String>,
    /// Dashboard filter name → the field it filters in this tile (a mapping, or in some
    /// exports a list of one-entry mappings).
    #[serde(default)]
    pub listen: Yaml,
    #[serde(default)]
    pub row: Option<i64>,
    #[serde(default)]
    pub col: Option<i64>,
    #[serde(default)]
    pub width: Option<i64>,
    #[serde(default)]
    pub height: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub title_text: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub subtitle_text: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub body_text: Option<String>,
    /// The visualization's own settings, as written.
    #[serde(flatten)]
    pub options: BTreeMap<String, Yaml>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DashboardFilter {
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(default, deserialize_with = "opt_text")]
    pub title: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "opt_text")]
    pub filter_type: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub default_value: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub model: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub explore: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub field: Option<String>,
    #[serde(default, deserialize_with = "text_list")]
    pub listens_to_filters: Vec<String>,
    #[serde(flatten)]
    pub options: BTreeMap<String, Yaml>,
}

/// Parses one dashboard file. A YAML error or a shape error comes back located.
pub fn parse_dashboards(file: FileId, text: &str) -> Result<Vec<LookmlDashboard>, Diagnostic> {
    let located = |e: &serde_norway::Error| {
        let at = e.location().map(|l| l.index()).unwrap_or(0).min(text.len());
        Diagnostic::error(Span::new(file, at, at), format!("LookML dashboard: {e}"))
    };
    // Looker's exports write empty values as `!!null ''`, a tagged scalar the YAML library
    // refuses inside untyped values; it means null, so it is read as `null` (same width, so
    // error columns stay true).
    let normalised;
    let text = if text.contains("!!null") {
        normalised = text.replace("!!null ''", "null     ").replace("!!null \"\"", "null     ");
        normalised.as_str()
    } else {
        text
    };
    let dashboards: Option<Vec<LookmlDashboard>> = serde_norway::from_str(text).map_err(|e| located(&e))?;
    Ok(dashboards.unwrap_or_default())
}

/// A YAML scalar as text: `limit: 500` and `limit: "500"` mean the same in LookML dashboards.
fn scalar_text(value: Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(if b { "yes".into() } else { "no".into() }),
        Yaml::Null => Some(String::new()),
        _ => None,
    }
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    scalar_text(Yaml::deserialize(d)?).ok_or_else(|| serde::de::Error::custom("expected a single value"))
}

fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Yaml::deserialize(d)? {
        Yaml::Null => Ok(None),
        v => scalar_text(v).map(Some).ok_or_else(|| serde::de::Error::custom("expected a single value")),
    }
}

fn text_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match Yaml::deserialize(d)? {
        Yaml::Null => Ok(Vec::new()),
        Yaml::Sequence(items) => {
            items.into_iter().map(|v| scalar_text(v).ok_or_else(|| serde::de::Error::custom("expected a list of values"))).collect()
        }
        v => scalar_text(v).map(|s| vec![s]).ok_or_else(|| serde::de::Error::custom("expected a list")),
    }
}

fn text_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    match Yaml::deserialize(d)? {
        Yaml::Null => Ok(BTreeMap::new()),
        Yaml::Mapping(map) => map
            .into_iter()
            .map(|(k, v)| match (scalar_text(k), scalar_text(v)) {
                (Some(k), Some(v)) => Ok((k, v)),
                _ => Err(serde::de::Error::custom("expected `field: filter expression` pairs")),
            })
            .collect(),
        _ => Err(serde::de::Error::custom("expected a mapping of field to filter expression")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMap;

    const DASHBOARD: &str = r#"
- dashboard: sales_overview
  title: Sales Overview
  layout: newspaper
  preferred_viewer: dashboards-next
  elements:
  - title: Orders by Month
    name: orders_by_month
    model: thelook
    explore: order_items
    type: looker_column
    fields: [order_items.created_month, order_items.count]
    filters:
      order_items.created_date: 12 months
      order_items.count: 5
    sorts: [order_items.created_month desc]
    limit: 500
    stacking: normal
    listen:
      Date: order_items.created_date
    row: 0
    col: 0
    width: 12
    height: 6
  filters:
  - name: Date
    title: Date
    type: date_filter
    default_value: 30 days
"#;

    #[test]
    fn dashboards_are_typed_with_vis_options_kept() {
        let d = parse_dashboards(FileId(0), DASHBOARD).unwrap();
        assert_eq!(d.len(), 1);
        let dash = &d[0];
        assert_eq!(dash.dashboard, "sales_overview");
        assert_eq!(dash.layout, Some(DashboardLayout::Newspaper));
        let e = &dash.elements[0];
        assert_eq!(e.vis_type.as_deref(), Some("looker_column"));
        assert_eq!(e.filters["order_items.count"], "5");
        assert_eq!(e.limit.as_deref(), Some("500"));
        assert_eq!(e.width, Some(12));
        assert_eq!(e.options["stacking"], Yaml::String("normal".into()));
        assert_eq!(dash.filters[0].default_value.as_deref(), Some("30 days"));
        assert!(dash.options.contains_key("preferred_viewer"));
    }

    #[test]
    fn yaml_errors_are_located() {
        let text = "- dashboard: x\n  elements:\n  - title: [unclosed\n";
        let mut sources = SourceMap::default();
        let id = sources.add("x.dashboard.lookml".into(), text.into());
        let e = parse_dashboards(id, text).unwrap_err();
        assert!(e.render(&sources).starts_with("x.dashboard.lookml:4:1: LookML dashboard:"), "{}", e.render(&sources));
    }

    #[test]
    fn a_dashboard_needs_a_name() {
        let e = parse_dashboards(FileId(0), "- title: nameless\n").unwrap_err();
        assert!(e.message.contains("dashboard"), "{}", e.message);
    }

    #[test]
    fn lookers_tagged_nulls_are_nulls() {
        let d = parse_dashboards(
            FileId(0),
            "- dashboard: x\n  elements:\n  - name: a\n    dynamic_fields: [{value_format: !!null '', x: 1}]\n    maxValue: !!null ''\n",
        )
        .unwrap();
        assert_eq!(d[0].elements[0].options["maxValue"], Yaml::Null);
    }

    #[test]
    fn an_empty_file_has_no_dashboards() {
        assert!(parse_dashboards(FileId(0), "---\n").unwrap().is_empty());
    }
}
