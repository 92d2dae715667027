//! The `vis_config` options a chart draws by: stacking, the palette (`colors`), colors per
//! series (`series_colors`, by field name), value labels, the legend, and a single value's title
//! and comparison. Options that only
//! change interaction (tooltips, zoom, …) have no meaning in a picture; those not drawn yet are
//! left to the default look. A color is written into the SVG, so it must be a hex or an
//! `rgb()`/`rgba()` color: anything else is refused by name, never written.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::chart::ChartKind;

/// `stacking`: series side by side, stacked, or stacked to 100%.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Stacking {
    #[default]
    Grouped,
    Normal,
    Percent,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChartOptions {
    pub stacking: Stacking,
    /// The palette series take their colors from, in order.
    pub colors: Vec<String>,
    /// A series' color by its field name.
    pub series_colors: BTreeMap<String, String>,
    pub show_value_labels: bool,
    pub hide_legend: bool,
    /// What a `single_value` chart shows beside its value.
    pub single_value: SingleValueOptions,
}

/// `single_value`'s options: its title (`show_single_value_title`, `single_value_title`) and
/// its comparison (`show_comparison` and the `comparison_*` options).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SingleValueOptions {
    pub hide_title: bool,
    /// Replaces the field's label under the value.
    pub title: Option<String>,
    pub comparison: Option<Comparison>,
}

/// The comparison a single value shows: the next numeric column of the first row.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub kind: ComparisonKind,
    /// `comparison_reverse_colors`: a fall is good news (green), a rise bad (red).
    pub reverse_colors: bool,
    pub hide_label: bool,
    /// Replaces the comparison field's label.
    pub label: Option<String>,
}

/// `comparison_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComparisonKind {
    /// The comparison value as it is.
    Value,
    /// The comparison value is a change: an arrow up (green) or down (red) by its sign.
    Change,
    /// The value as progress towards the comparison (a goal): a bar.
    Progress,
    /// The bar, and the share as a percentage.
    ProgressPercentage,
}

/// A chart: what it is and how it is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub kind: ChartKind,
    pub options: ChartOptions,
}

impl From<ChartKind> for Chart {
    fn from(kind: ChartKind) -> Chart {
        Chart { kind, options: ChartOptions::default() }
    }
}

fn color(key: &str, value: &Value) -> Result<String, String> {
    let text = value.as_str().ok_or_else(|| format!("vis_config.{key} must hold colors as text"))?.trim();
    let hex = text.strip_prefix('#').is_some_and(|h| matches!(h.len(), 3 | 4 | 6 | 8) && h.chars().all(|c| c.is_ascii_hexdigit()));
    let functional = (text.starts_with("rgb(") || text.starts_with("rgba("))
        && text.ends_with(')')
        && text.chars().all(|c| c.is_ascii_digit() || "rgba(), .%".contains(c));
    if hex || functional {
        Ok(text.to_string())
    } else {
        Err(format!("vis_config.{key}: `{}` is not a color (#rrggbb or rgb(…))", text.chars().take(40).collect::<String>()))
    }
}

impl ChartOptions {
    /// The options of a query's `vis_config`; a malformed one is an error naming it.
    pub fn from_vis_config(vis: &Map<String, Value>) -> Result<ChartOptions, String> {
        let mut options = ChartOptions::default();
        match vis.get("stacking") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                options.stacking = match s.as_str() {
                    "" => Stacking::Grouped,
                    "normal" => Stacking::Normal,
                    "percent" => Stacking::Percent,
                    other => {
                        return Err(format!(
                            "vis_config.stacking `{}` is not drawn yet (\"\", normal or percent)",
                            other.chars().take(40).collect::<String>()
                        ))
                    }
                }
            }
            Some(_) => return Err("vis_config.stacking must be text".into()),
        }
        match vis.get("colors") {
            None | Some(Value::Null) => {}
            Some(Value::Array(list)) => options.colors = list.iter().map(|c| color("colors", c)).collect::<Result<_, _>>()?,
            Some(_) => return Err("vis_config.colors must be a list of colors".into()),
        }
        match vis.get("series_colors") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (field, c) in map {
                    options.series_colors.insert(field.clone(), color("series_colors", c)?);
                }
            }
            Some(_) => return Err("vis_config.series_colors must map fields to colors".into()),
        }
        let flag = |key: &str| match vis.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(format!("vis_config.{key} must be true or false")),
        };
        options.show_value_labels = flag("show_value_labels")?;
        options.hide_legend = flag("hide_legend")?;
        let shown = |key: &str| match vis.get(key) {
            None | Some(Value::Null) => Ok(true),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(format!("vis_config.{key} must be true or false")),
        };
        let text = |key: &str| match vis.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone()).filter(|s| !s.is_empty())),
            Some(_) => Err(format!("vis_config.{key} must be text")),
        };
        options.single_value.hide_title = !shown("show_single_value_title")?;
        options.single_value.title = text("single_value_title")?;
        if flag("show_comparison")? {
            let kind = match text("comparison_type")?.as_deref() {
                None | Some("value") => ComparisonKind::Value,
                Some("change") => ComparisonKind::Change,
                Some("progress") => ComparisonKind::Progress,
                Some("progress_percentage") => ComparisonKind::ProgressPercentage,
                Some(other) => {
                    return Err(format!(
                        "vis_config.comparison_type `{}` is not drawn yet (value, change, progress or progress_percentage)",
                        other.chars().take(40).collect::<String>()
                    ))
                }
            };
            options.single_value.comparison = Some(Comparison {
                kind,
                reverse_colors: flag("comparison_reverse_colors")?,
                hide_label: !shown("show_comparison_label")?,
                label: text("comparison_label")?,
            });
        }
        Ok(options)
    }

    /// The color of series `index` (field `field`).
    pub(crate) fn color_of(&self, index: usize, field: &str) -> String {
        if let Some(c) = self.series_colors.get(field) {
            return c.clone();
        }
        if !self.colors.is_empty() {
            return self.colors[index % self.colors.len()].clone();
        }
        crate::chart::PALETTE[index % crate::chart::PALETTE.len()].to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn options(v: Value) -> Result<ChartOptions, String> {
        ChartOptions::from_vis_config(v.as_object().expect("object"))
    }

    #[test]
    fn options_are_read_and_bad_colors_refused_by_name() {
        let o = options(json!({"stacking": "percent", "colors": ["#112233", "rgb(1, 2, 3)"], "series_colors": {"a.b": "#abc"},
            "show_value_labels": true, "type": "looker_column", "x_axis_gridlines": false}))
        .expect("read");
        assert_eq!(o.stacking, Stacking::Percent);
        assert_eq!(
            (o.color_of(0, "a.b"), o.color_of(1, "x"), o.color_of(2, "x")),
            ("#abc".into(), "rgb(1, 2, 3)".into(), "#112233".into())
        );
        assert!(o.show_value_labels && !o.hide_legend);
        assert_eq!(options(json!({})).expect("empty").color_of(0, "x"), crate::chart::PALETTE[0]);
        let bad = options(json!({"series_colors": {"a.b": "red\"/><script>"}})).expect_err("not a color");
        assert!(bad.contains("series_colors"), "{bad}");
        assert!(options(json!({"stacking": "sideways"})).expect_err("unknown").contains("stacking"));
        assert!(options(json!({"show_value_labels": "yes"})).is_err());
    }
}
