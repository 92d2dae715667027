//! The routes against Looker's spec: every implemented operation's declaration is checked against
//! the spec, and every parameter and body field the spec defines but a route does not implement
//! is sent and must answer 422 `not_supported` naming it (400 where the spec documents no 422
//! for the operation). Also `fields=`, paging, parameter
//! types and the served `swagger.json`.

mod common;

use axum::http::StatusCode;
use common::{fixture, json, Fixture};
use serde_json::Value;
use sightline_api::declarations;
use wire::{Kind, Location};

/// A concrete path for an operation: placeholders filled with values that exist in the fixture
/// where that matters little (the layer answers before the handler for refused parameters).
fn concrete_path(path: &str, f: &Fixture) -> String {
    let query = f.query.to_string();
    let mut out = String::from("/api/4.0");
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        out.push_str(match segment {
            "{query_id}" => &query,
            "{result_format}" => "json",
            "{lookml_model_name}" | "{connection_name}" => "thelook",
            "{explore_name}" => "orders",
            s if s.starts_with('{') => "1",
            s => s,
        });
    }
    out
}

fn sample(kind: Kind) -> &'static str {
    match kind {
        Kind::Integer => "3",
        Kind::Number => "1.5",
        Kind::Boolean => "true",
        Kind::DateTime => "2024-01-01T00:00:00Z",
        Kind::String | Kind::StringList | Kind::Object => "x",
    }
}

/// The status a refusal gets: 422, or the nearest one the spec documents for the operation.
fn refusal(op: &wire::Operation) -> StatusCode {
    [422, 400, 404]
        .into_iter()
        .find(|c| op.documents(*c))
        .and_then(|c| StatusCode::from_u16(c).ok())
        .unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
}

fn assert_refused(body: &[u8], name: &str, what: &str) {
    let body = json(body);
    assert_eq!(body["errors"][0]["field"], name, "{what}: {body}");
    assert_eq!(body["errors"][0]["code"], "not_supported", "{what}: {body}");
    assert!(body["documentation_url"].is_string());
}

#[test]
fn declarations_name_only_what_the_spec_defines() {
    let all = declarations();
    assert!(all.len() >= 25, "{} routes", all.len());
    for d in &all {
        for name in d.query.iter().chain(d.query_off) {
            let p = d.op.param(name).unwrap_or_else(|| panic!("{} declares `{name}`, which the spec does not define", d.op.id));
            assert_eq!(p.location, Location::Query, "{}.{name}", d.op.id);
        }
        for name in d.query_off {
            assert_eq!(d.op.param(name).map(|p| p.kind), Some(Kind::Boolean), "{}.{name} is off-only but not boolean", d.op.id);
        }
        let body = d.op.body;
        for name in d.body.iter().chain(d.body_off) {
            assert!(body.is_some_and(|b| b.writable.contains(name)), "{} declares body field `{name}`, not writable in the spec", d.op.id);
        }
    }
    let mut ids: Vec<_> = all.iter().map(|d| (d.op.method, d.op.path)).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "one declaration per operation");
}

#[tokio::test]
async fn every_unimplemented_parameter_and_field_is_refused_by_name() {
    let f = fixture().await;
    let mut checked = 0;
    for d in declarations() {
        let path = concrete_path(d.op.path, &f);
        for name in d.refused_query() {
            let kind = d.op.param(name).map(|p| p.kind).unwrap_or(Kind::String);
            let uri = format!("{path}?{name}={}", sample(kind));
            let (status, _, body) = f.call(d.op.method, &uri, "{}").await;
            assert_eq!(status, refusal(d.op), "{} {uri}: {}", d.op.method, String::from_utf8_lossy(&body));
            assert_refused(&body, name, &uri);
            checked += 1;
        }
        for name in d.query_off {
            let uri = format!("{path}?{name}=true");
            let (status, _, body) = f.call(d.op.method, &uri, "{}").await;
            assert_eq!(status, refusal(d.op), "{} {uri}", d.op.method);
            assert_refused(&body, name, &uri);
            let (_, _, answer) = f.call(d.op.method, &format!("{path}?{name}=false"), "{}").await;
            let answer: Value = serde_json::from_slice(&answer).unwrap_or_default();
            assert_ne!(answer["errors"][0]["field"].as_str(), Some(*name), "{} {path}?{name}=false is honoured", d.op.method);
            checked += 1;
        }
        for name in d.refused_body().chain(d.body_off.iter().copied()) {
            let body = serde_json::json!({ name: true }).to_string();
            let (status, _, answer) = f.call(d.op.method, &path, &body).await;
            assert_eq!(status, refusal(d.op), "{} {path} with {body}", d.op.method);
            assert_refused(&answer, name, &body);
            checked += 1;
        }
    }
    // As many as are still refused (lower it as parameters get implemented): fewer means a
    // declaration stopped being checked.
    assert!(checked >= 4, "only {checked} refusals checked");
}

#[tokio::test]
async fn parameters_of_the_wrong_type_are_400s() {
    let f = fixture().await;
    for uri in [
        "/api/4.0/lookml_models?offset=9223372036854775808",
        "/api/4.0/lookml_models?limit=ten",
        "/api/4.0/lookml_models?exclude_hidden=1",
        "/api/4.0/query_tasks?cache_only=0.3",
    ] {
        let method = if uri.starts_with("/api/4.0/query_tasks") { "POST" } else { "GET" };
        let (status, _, body) = f.call(method, uri, "{}").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {}", String::from_utf8_lossy(&body));
        assert!(json(&body)["message"].as_str().is_some_and(|m| m.contains("must be")), "{uri}");
    }
    // A 422 the spec does not document for the operation is answered as its documented 400.
    let (status, _, body) = f.call("GET", "/api/4.0/lookml_models?offset=-1", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json(&body)["errors"][0]["field"], "offset");
}

#[tokio::test]
async fn fields_trim_answers_and_models_page_by_offset() {
    let f = fixture().await;
    let (status, _, body) = f.call("GET", "/api/4.0/lookml_models?fields=name,explores(name)", "").await;
    assert_eq!(status, StatusCode::OK);
    let models = json(&body);
    let mut keys: Vec<String> = models[0].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
    keys.sort();
    assert_eq!(keys, ["explores", "name"]);
    assert_eq!(models[0]["explores"][0].as_object().map(|m| m.len()), Some(1));
    let (_, _, body) = f.call("GET", "/api/4.0/lookml_models?limit=1&offset=5", "").await;
    assert_eq!(json(&body), serde_json::json!([]));
    let (_, _, body) = f.call("GET", "/api/4.0/lookml_models?limit=1&offset=0", "").await;
    assert_eq!(json(&body).as_array().map(Vec::len), Some(1));
    let (status, _, body) = f.call("GET", "/api/4.0/lookml_models?fields=name(", "").await;
    assert_eq!(status, StatusCode::OK, "a malformed list is read leniently");
    assert_eq!(json(&body)[0].as_object().map(|m| m.len()), Some(1));
    let (status, _, body) = f.call("GET", "/api/4.0/query_tasks/multi_results?query_task_ids=nope", "").await;
    assert_eq!(status, StatusCode::OK, "multi_results is not taken for a task id");
    assert_eq!(json(&body)["nope"]["status"], "missing");
}

#[tokio::test]
async fn explore_metadata_uses_the_spec_spelling() {
    let f = fixture().await;
    let (status, _, body) = f.call("GET", "/api/4.0/lookml_models/thelook/explores/order_items", "").await;
    assert_eq!(status, StatusCode::OK);
    let explore = json(&body);
    let join = explore["joins"].as_array().and_then(|j| j.iter().find(|j| j["name"] == "orders")).cloned().unwrap_or_default();
    assert_eq!((join["type"].as_str(), join["relationship"].as_str()), (Some("left_outer"), Some("many_to_one")));
    let dims = explore["fields"]["dimensions"].as_array().cloned().unwrap_or_default();
    let zip = dims.iter().find(|d| d["name"] == "users.zip").cloned().unwrap_or_default();
    assert_eq!(zip["type"], "zipcode");
    let created = dims.iter().find(|d| d["name"] == "orders.created_month").cloned().unwrap_or_default();
    assert_eq!(created["is_timeframe"], true);
    assert_eq!(created["time_interval"], serde_json::json!({"name": "month", "count": 1}));
    assert_eq!(created["fill_style"], "range");
    assert_eq!(explore["dialect_name"], "duckdb");
    assert_eq!(explore["can_pivot_in_db"], true);
    assert_eq!(explore["can_subtotal"], true);
}

#[tokio::test]
async fn the_served_spec_lists_what_is_implemented() {
    let f = fixture().await;
    let (status, _, body) = f.call("GET", "/api/4.0/swagger.json", "").await;
    assert_eq!(status, StatusCode::OK);
    let spec = json(&body);
    let paths = spec["paths"].as_object().expect("paths");
    let served: usize = paths.values().map(|p| p.as_object().map(|m| m.len()).unwrap_or(0)).sum();
    assert_eq!(served, declarations().len());
    let create_task = &spec["paths"]["/query_tasks"]["post"];
    let params: Vec<&str> = create_task["parameters"].as_array().expect("params").iter().filter_map(|p| p["name"].as_str()).collect();
    assert!(params.contains(&"cache") && params.contains(&"path_prefix"), "{params:?}");
    let body = &create_task["requestBody"]["content"]["application/json"]["schema"]["properties"];
    assert!(body.get("look_id").is_none() && body.get("query_id").is_some(), "{body}");
    assert!(!String::from_utf8_lossy(&serde_json::to_vec(&spec).unwrap_or_default()).contains("\"type\":\"any\""));
    assert_eq!(spec["servers"][0]["url"], Value::from("http://test/api/4.0"));
}

#[tokio::test]
async fn a_querys_share_url_and_url_resolve_to_the_query() {
    let f = fixture().await;
    let (status, _, body) = f
        .call(
            "POST",
            "/api/4.0/queries",
            r#"{"model":"thelook","view":"orders","fields":["orders.status"],"filters":{"orders.status":"-Cancelled"},"limit":"7"}"#,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let query = json(&body);
    let slug = query["slug"].as_str().unwrap_or_default().to_string();
    assert_eq!(query["share_url"], format!("http://test/x/{slug}"));
    let (status, headers, _) = f.call("GET", &format!("/x/{slug}"), "").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers.get("location").map(String::as_str), query["url"].as_str());
    let (status, headers, _) = f.call("GET", query["url"].as_str().unwrap_or_default(), "").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = headers.get("location").cloned().unwrap_or_default();
    assert!(location.starts_with("/api/4.0/queries/models/thelook/views/orders/run/json?"), "{location}");
    // The encoded query is the same query: run as SQL, it filters and limits as the saved one.
    let (status, _, sql) = f.call("GET", &location.replace("/run/json", "/run/sql"), "").await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&sql));
    let sql = String::from_utf8_lossy(&sql);
    assert!(sql.contains("'Cancelled'") && sql.contains("LIMIT 7"), "{sql}");
    let (status, _, body) = f.call("GET", &format!("/api/4.0/queries/slug/{slug}"), "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["id"], query["id"]);
    let (status, _, body) = f.call("GET", "/api/4.0/queries/models/thelook/views/orders/run/sql?fields=orders.status&toggle=dat", "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(&body)["errors"][0]["field"], "toggle");
}
