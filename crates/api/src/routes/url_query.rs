//! A query written as Looker writes it in explore URLs and `run_url_encoded_query`:
//! `fields=a,b&f[view.field]=value&sorts=b desc&limit=500&query_timezone=…`. The inverse of
//! `to_wire::explore_url`. A part Sightline does not read is refused by name.

use engine::QueryBody;
use serde_json::{Map, Value};

use crate::ApiError;

fn list(value: &str) -> Option<Vec<String>> {
    let items: Vec<String> = value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
    (!items.is_empty()).then_some(items)
}

fn text(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_string())
}

pub fn read(model: &str, view: &str, query: &str) -> Result<QueryBody, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|e| ApiError::bad_request(format!("the query string is not URL-encoded: {e}")))?;
    let mut body = QueryBody { model: model.to_string(), view: view.to_string(), ..Default::default() };
    let mut filters = Map::new();
    for (key, value) in pairs {
        if let Some(field) = key.strip_prefix("f[").and_then(|k| k.strip_suffix(']')) {
            filters.insert(field.to_string(), Value::String(value));
            continue;
        }
        match key.as_str() {
            "fields" => body.fields = list(&value),
            "pivots" => body.pivots = list(&value),
            "fill_fields" => body.fill_fields = list(&value),
            "sorts" => body.sorts = list(&value),
            "subtotals" => body.subtotals = list(&value),
            "limit" => body.limit = text(&value),
            "column_limit" => body.column_limit = text(&value),
            "row_total" => body.row_total = text(&value),
            "query_timezone" => body.query_timezone = text(&value),
            "filter_expression" => body.filter_expression = text(&value),
            "dynamic_fields" => body.dynamic_fields = text(&value),
            "total" => {
                body.total = Some(match value.as_str() {
                    "true" | "on" | "yes" => true,
                    "false" | "off" | "no" | "" => false,
                    other => return Err(ApiError::validation("total", "invalid", format!("total must be true or false, not `{other}`"))),
                })
            }
            "vis" | "vis_config" => match serde_json::from_str::<Value>(&value) {
                Ok(Value::Object(vis)) => body.vis_config = Some(vis),
                _ => return Err(ApiError::validation(&key, "invalid", format!("`{key}` must be a JSON object"))),
            },
            other => {
                return Err(ApiError::validation(
                    other,
                    "not_supported",
                    format!("query part `{other}` of an encoded query is not supported"),
                ))
            }
        }
    }
    if !filters.is_empty() {
        body.filters = Some(filters);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lookers_url_form() {
        let q = read(
            "thelook",
            "orders",
            "fields=orders.status,orders.count&f[orders.status]=-Cancelled,Complete&sorts=orders.count+desc+0&limit=500&query_timezone=America/Los_Angeles",
        )
        .unwrap();
        assert_eq!(q.fields, Some(vec!["orders.status".to_string(), "orders.count".to_string()]));
        assert_eq!(q.filters.unwrap()["orders.status"], "-Cancelled,Complete");
        assert_eq!(q.sorts, Some(vec!["orders.count desc 0".to_string()]));
        assert_eq!(q.limit.as_deref(), Some("500"));
        assert_eq!(q.query_timezone.as_deref(), Some("America/Los_Angeles"));
        assert!(read("m", "v", "toggle=dat").is_err());
    }
}
