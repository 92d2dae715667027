//! `GET /api/4.0/swagger.json`: the part of Looker's spec this server implements, made from the
//! same declarations the router is built from. Each implemented operation keeps its path
//! parameters and the query parameters and body fields it honours (a field honoured only as
//! `false` is declared as `enum: [false]`); operations not implemented are left out.
//!
//! Five defects of the official spec are repaired in the served copy so that generic OpenAPI
//! tools read it and it says what Looker (and Sightline) send: `type: "any"` (not an OpenAPI
//! type: the schema accepts any value), the media type `text` (served as the range `text/*`:
//! csv, html, markdown, plain text), error responses described only as images or PDF (the
//! errors of `render_task_results` are JSON `Error`s, as everywhere else), `204` answers said to
//! carry a JSON string (a 204 has no body), and properties `required` in answers (`fields=` may
//! leave any of them out; request bodies keep their required fields).

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::declare::Declared;
use crate::{routes, ApiError, AppState};

/// The served document, without its `servers` (which depend on the address asked for).
fn document() -> Result<&'static Value, ApiError> {
    static DOCUMENT: OnceLock<Result<Value, String>> = OnceLock::new();
    DOCUMENT.get_or_init(|| build(&routes::declarations())).as_ref().map_err(|e| ApiError::internal(format!("building swagger.json: {e}")))
}

pub async fn swagger(State(state): State<AppState>) -> Result<Response, ApiError> {
    let mut doc = document()?.clone();
    doc["servers"] = json!([{ "url": format!("{}/api/4.0", state.base_url) }]);
    let body = serde_json::to_vec(&doc).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(([(CONTENT_TYPE, "application/json")], body).into_response())
}

/// The implemented subset of the spec.
pub fn build(declared: &[&'static Declared]) -> Result<Value, String> {
    let mut spec: Value = serde_json::from_str(wire::SPEC).map_err(|e| e.to_string())?;
    let paths = spec.get("paths").and_then(Value::as_object).cloned().ok_or("the spec has no paths")?;
    let schemas = spec.pointer("/components/schemas").and_then(Value::as_object).cloned().ok_or("the spec has no schemas")?;
    let mut served = Map::new();
    for d in declared {
        let method = d.op.method.to_ascii_lowercase();
        let mut op = paths
            .get(d.op.path)
            .and_then(|p| p.get(&method))
            .cloned()
            .ok_or_else(|| format!("{} {} is not in the spec", d.op.method, d.op.path))?;
        if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
            params.retain(|p| {
                let name = p.get("name").and_then(Value::as_str).unwrap_or("");
                p.get("in").and_then(Value::as_str) != Some("query") || d.query.contains(&name) || d.query_off.contains(&name)
            });
            for p in params.iter_mut() {
                let name = p.get("name").and_then(Value::as_str).unwrap_or("");
                if d.query_off.contains(&name) {
                    p["schema"] = json!({ "type": "boolean", "enum": [false] });
                }
            }
        }
        if let Some(body) = d.op.body {
            let schema = schemas.get(body.schema).ok_or_else(|| format!("no schema {}", body.schema))?;
            let restricted = restrict(schema, d);
            if let Some(content) = op.pointer_mut("/requestBody/content/application~1json") {
                content["schema"] = restricted;
            }
        }
        served.entry(d.op.path.to_string()).or_insert_with(|| json!({}))[method] = op;
    }
    spec["paths"] = Value::Object(served);
    json_errors(&mut spec);
    no_content_bodies(&mut spec);
    if let Some(schemas) = spec.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        for schema in schemas.values_mut().filter_map(Value::as_object_mut) {
            schema.remove("required");
        }
    }
    repair(&mut spec);
    Ok(spec)
}

/// A 204 answer has no body, whatever the official spec says of it.
fn no_content_bodies(spec: &mut Value) {
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for op in paths.values_mut().filter_map(Value::as_object_mut).flat_map(|m| m.values_mut()) {
        if let Some(no_content) = op.pointer_mut("/responses/204").and_then(Value::as_object_mut) {
            no_content.remove("content");
        }
    }
}

/// A body schema cut down to the fields the route honours.
fn restrict(schema: &Value, d: &Declared) -> Value {
    let mut schema = schema.clone();
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        props.retain(|name, _| d.body.contains(&name.as_str()) || d.body_off.contains(&name.as_str()));
        for name in d.body_off {
            if let Some(p) = props.get_mut(*name) {
                *p = json!({ "type": "boolean", "enum": [false] });
            }
        }
    }
    schema
}

/// Every error response can carry a JSON `Error`.
fn json_errors(spec: &mut Value) {
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for op in paths.values_mut().filter_map(Value::as_object_mut).flat_map(|m| m.values_mut()) {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { continue };
        for (status, response) in responses.iter_mut() {
            if !status.starts_with('4') && !status.starts_with('5') {
                continue;
            }
            if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) {
                if !content.contains_key("application/json") {
                    content.insert("application/json".into(), json!({ "schema": { "$ref": "#/components/schemas/Error" } }));
                }
            }
        }
    }
}

fn repair(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("any") {
                map.remove("type");
                map.remove("format");
            }
            if let Some(Value::Object(content)) = map.get_mut("content") {
                if let Some(text) = content.remove("text") {
                    content.insert("text/*".into(), text);
                }
            }
            map.values_mut().for_each(repair);
        }
        Value::Array(items) => items.iter_mut().for_each(repair),
        _ => {}
    }
}
