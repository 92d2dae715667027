//! `generate_drill_links`: the links json_detail cells carry, as Looker makes them — a
//! measure's `measure_default` drill ("Show All 773": its `drill_fields`, filtered to the row's
//! dimension values, the pivot column's and the query's own filters, limit 500), and a field's
//! LookML `link:`s (type `url`) with `{{ value }}` and `{{ rendered_value }}` filled in (other
//! Liquid in a link is refused by name). URLs start with `path_prefix`.

use result::{ColumnInfo, Value};
use serde_json::{json, Value as Json};

use crate::{FormatError, QueryContext};

/// Looker's row limit of a drill.
const DRILL_LIMIT: &str = "500";

/// The filter expression that selects exactly `value` of `column` (Looker's `filterable_value`).
pub(crate) fn filterable_value(value: &Value, column: &ColumnInfo) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Text(s) if s.is_empty() => "EMPTY".into(),
        Value::Text(s) if !column.type_name.starts_with("date_") => {
            // The string filter grammar's special characters, escaped with `^`.
            let mut out = String::with_capacity(s.len());
            for (i, c) in s.chars().enumerate() {
                if matches!(c, ',' | '%' | '_' | '^' | '"') || (i == 0 && c == '-') {
                    out.push('^');
                }
                out.push(c);
            }
            out
        }
        other => other.to_text().unwrap_or_default(),
    }
}

/// Makes the links of cells for one query.
pub(crate) struct Drill<'a> {
    pub context: &'a QueryContext,
    pub prefix: &'a str,
}

impl Drill<'_> {
    fn url(&self, fields: &[String], filters: &[(String, String)]) -> String {
        let mut pairs: Vec<(String, String)> = vec![("fields".into(), fields.join(","))];
        for (field, value) in self.context.filters.iter().filter(|(f, _)| !filters.iter().any(|(g, _)| g == f)).chain(filters) {
            pairs.push((format!("f[{field}]"), value.clone()));
        }
        pairs.push(("limit".into(), DRILL_LIMIT.into()));
        pairs.push(("query_timezone".into(), self.context.timezone.clone()));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!("{}/explore/{}/{}?{query}", self.prefix.trim_end_matches('/'), self.context.model, self.context.explore)
    }

    /// The links of a cell of `column` holding `value` (shown as `rendered`), in a row whose
    /// dimensions (and pivot) select it by `row_filters`.
    pub fn links(
        &self,
        column: &ColumnInfo,
        value: &Value,
        rendered: &str,
        row_filters: &[(String, String)],
    ) -> Result<Vec<Json>, FormatError> {
        let mut links = Vec::new();
        if column.is_measure && !column.drill_fields.is_empty() {
            links.push(json!({
                "label": format!("Show All {rendered}"),
                "url": self.url(&column.drill_fields, row_filters),
                "type": "measure_default",
            }));
        }
        for (label, template, icon) in &column.links {
            let url = fill_link(template, value, rendered)
                .map_err(|message| FormatError::Io(std::io::Error::other(format!("link `{label}` of `{}`: {message}", column.name))))?;
            let url = if url.starts_with('/') { format!("{}{url}", self.prefix.trim_end_matches('/')) } else { url };
            links.push(json!({ "label": label, "url": url, "type": "url", "icon_url": icon }));
        }
        Ok(links)
    }
}

/// A link's URL template with `{{ value }}`, `{{ rendered_value }}` (optionally `| url_encode`)
/// filled in.
fn fill_link(template: &str, value: &Value, rendered: &str) -> Result<String, String> {
    let raw = value.to_text().unwrap_or_default();
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").ok_or("an unclosed `{{`")? + start;
        let inner: Vec<&str> = rest[start + 2..end].split('|').map(str::trim).collect();
        let base = match inner[0] {
            "value" => raw.as_str(),
            "rendered_value" => rendered,
            other => return Err(format!("`{{{{ {other} }}}}` in a link is not supported yet (`value` and `rendered_value` are)")),
        };
        match inner.get(1..).unwrap_or_default() {
            [] => out.push_str(base),
            ["url_encode"] => out.push_str(&serde_urlencoded::to_string([("", base)]).unwrap_or_default()[1..]),
            filters => return Err(format!("Liquid filter `{}` in a link is not supported yet (`url_encode` is)", filters.join(" | "))),
        }
        rest = &rest[end + 2..];
    }
    if rest.contains("{%") {
        return Err("Liquid tags (`{% … %}`) in a link are not supported yet".into());
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use result::ValueType;

    #[test]
    fn filter_values_select_exactly_the_value() {
        let c = ColumnInfo::plain("a.b", ValueType::String);
        assert_eq!(filterable_value(&Value::Text("a,b_c%".into()), &c), "a^,b^_c^%");
        assert_eq!(filterable_value(&Value::Text("-x".into()), &c), "^-x");
        assert_eq!(filterable_value(&Value::Text(String::new()), &c), "EMPTY");
        assert_eq!(filterable_value(&Value::Null, &c), "NULL");
    }

    #[test]
    fn measure_drills_and_link_templates() {
        let context = QueryContext {
            model: "m".into(),
            explore: "orders".into(),
            timezone: "UTC".into(),
            filters: vec![("orders.year".into(), "2021".into())],
            ..Default::default()
        };
        let drill = Drill { context: &context, prefix: "https://bi.example.com" };
        let mut count = ColumnInfo::plain("orders.count", ValueType::Number).measure();
        count.drill_fields = vec!["orders.id".into(), "users.name".into()];
        let links = drill.links(&count, &Value::Int(773), "773", &[("orders.status".into(), "complete".into())]).unwrap();
        assert_eq!(links[0]["label"], "Show All 773");
        assert_eq!(
            links[0]["url"],
            "https://bi.example.com/explore/m/orders?fields=orders.id%2Cusers.name&f%5Borders.year%5D=2021&f%5Borders.status%5D=complete&limit=500&query_timezone=UTC"
        );
        let mut city = ColumnInfo::plain("users.city", ValueType::String);
        city.links = vec![("Search".into(), "https://www.google.com/search?q={{ value | url_encode }}".into(), None)];
        let links = drill.links(&city, &Value::Text("Santa Cruz".into()), "Santa Cruz", &[]).unwrap();
        assert_eq!(links[0]["url"], "https://www.google.com/search?q=Santa+Cruz");
        city.links = vec![("X".into(), "/x?id={{ _filters['a'] }}".into(), None)];
        assert!(drill.links(&city, &Value::Null, "", &[]).is_err());
    }
}
