//! User attributes through the API, in process: made, read, changed and deleted; a user's values
//! set and cleared, the default and the system attributes read back; and the queries they
//! govern: an explore's `access_filter` keeps the rows of the user's value (a user without one
//! may not query it), and Liquid's `_user_attributes` reads the value, quoted where it must be.

mod common;

use axum::http::StatusCode;
use common::{json, Fixture};
use serde_json::{json, Value};

const MODEL: &str = r#"connection: "thelook"
include: "*.view"
access_grant: finance {
  user_attribute: department
  allowed_values: ["finance", "admin"]
}
explore: orders {
  access_filter: { field: orders.region user_attribute: region }
}
explore: open_orders { from: orders }
explore: audited_orders {
  from: orders
  required_access_grants: [finance]
}
"#;
const VIEW: &str = r#"view: orders {
  sql_table_name: orders ;;
  dimension: id { primary_key: yes type: number }
  dimension: region {}
  dimension: status {}
  dimension: is_mine { type: yesno sql: ${TABLE}.owner = {{ _user_attributes['first_name'] | sql_quote }} ;; }
  dimension: in_schema { sql: '{{ _user_attributes['schema_name'] }}' ;; }
  dimension: owner { required_access_grants: [finance] }
  dimension: owner_initial { sql: LEFT(${owner}, 1) ;; }
  measure: count { type: count }
}
"#;

async fn fixture() -> Fixture {
    common::fixture_over("CREATE TABLE orders AS SELECT range AS id, CASE WHEN range % 3 = 0 THEN 'EMEA' WHEN range % 3 = 1 THEN 'US' ELSE 'APAC' END AS region, \
         'complete' AS status, CASE WHEN range < 2 THEN 'Admin' ELSE 'Someone' END AS owner FROM range(9)", &[("thelook.model.lkml", MODEL), ("orders.view.lkml", VIEW)]).await
}

async fn call(f: &Fixture, method: &str, uri: &str, body: Value) -> (StatusCode, Value) {
    let text = if body.is_null() { String::new() } else { body.to_string() };
    let (status, _, bytes) = f.call(method, uri, &text).await;
    (status, if bytes.is_empty() { Value::Null } else { json(&bytes) })
}

async fn ok(f: &Fixture, method: &str, uri: &str, body: Value) -> Value {
    let (status, answer) = call(f, method, uri, body).await;
    assert_eq!(status, StatusCode::OK, "{method} {uri}: {answer}");
    answer
}

/// Rows of `fields` of explore `view`, run inline as JSON.
async fn rows(f: &Fixture, view: &str, fields: &[&str]) -> (StatusCode, Value) {
    let query = json!({"model": "thelook", "view": view, "fields": fields, "sorts": [fields[0]]});
    call(f, "POST", "/api/4.0/queries/run/json", query).await
}

#[tokio::test]
async fn attributes_are_made_changed_and_deleted() {
    let f = fixture().await;
    let listed = ok(&f, "GET", "/api/4.0/user_attributes", Value::Null).await;
    let names: Vec<&str> = listed.as_array().unwrap().iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(names, ["email", "first_name", "last_name", "name", "id"]);
    assert_eq!(listed[0]["is_system"], true);

    let made =
        ok(&f, "POST", "/api/4.0/user_attributes", json!({"name": "region", "label": "Region", "type": "string", "default_value": "US"}))
            .await;
    let id = made["id"].as_str().unwrap().to_string();
    assert_eq!(
        (made["name"].as_str(), made["default_value"].as_str(), made["is_system"].as_bool()),
        (Some("region"), Some("US"), Some(false))
    );
    let (status, answer) =
        call(&f, "POST", "/api/4.0/user_attributes", json!({"name": "region", "label": "Again", "type": "string"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    for (body, field) in [
        (json!({"name": "Bad Name", "label": "x", "type": "string"}), "name"),
        (json!({"name": "ok", "label": "x", "type": "colour"}), "type"),
        (json!({"name": "ok", "type": "string"}), "label"),
        (json!({"name": "ok", "label": "x", "type": "string", "hidden_value_domain_whitelist": "*"}), "hidden_value_domain_whitelist"),
    ] {
        let (status, answer) = call(&f, "POST", "/api/4.0/user_attributes", body.clone()).await;
        assert_eq!((status, answer["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{body}: {answer}");
    }

    let changed =
        ok(&f, "PATCH", &format!("/api/4.0/user_attributes/{id}"), json!({"label": "Sales region", "value_is_hidden": true})).await;
    assert_eq!((changed["label"].as_str(), changed["default_value"].clone()), (Some("Sales region"), Value::Null), "hidden: {changed}");
    // A hidden default reads back as null; null written back keeps it.
    ok(&f, "PATCH", &format!("/api/4.0/user_attributes/{id}"), json!({"default_value": null})).await;
    let kept = f.store.user_attribute_map(f.user).await.unwrap();
    assert_eq!(kept.get("region").map(String::as_str), Some("US"), "the hidden default stays");
    let system = &listed[0]["id"];
    let (status, _) = call(&f, "DELETE", &format!("/api/4.0/user_attributes/{}", system.as_str().unwrap()), Value::Null).await;
    // 400, not 422: the spec lists no 422 for this operation.
    assert_eq!(status, StatusCode::BAD_REQUEST, "system attributes stay");
    let (status, _) = call(&f, "DELETE", &format!("/api/4.0/user_attributes/{id}"), Value::Null).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&f, "GET", &format!("/api/4.0/user_attributes/{id}"), Value::Null).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn access_filters_keep_the_rows_of_the_users_value() {
    let f = fixture().await;
    let user = f.user;

    // No attribute yet: the explore may not be queried; another explore of the view may.
    let (status, answer) = rows(&f, "orders", &["orders.region", "orders.count"]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("user attribute `region`"), "{answer}");
    let (status, all) = rows(&f, "open_orders", &["open_orders.region", "open_orders.count"]).await;
    assert_eq!((status, all.as_array().map(Vec::len)), (StatusCode::OK, Some(3)), "{all}");

    // The default applies to every user without a value of their own.
    let made = ok(
        &f,
        "POST",
        "/api/4.0/user_attributes",
        json!({"name": "region", "label": "Region", "type": "advanced_filter_string", "default_value": "US"}),
    )
    .await;
    let id = made["id"].as_str().unwrap().to_string();
    let (_, us) = rows(&f, "orders", &["orders.region", "orders.count"]).await;
    assert_eq!(us, json!([{"orders.region": "US", "orders.count": 3}]));

    // The user's own value, a filter expression: two regions.
    let set = ok(&f, "PATCH", &format!("/api/4.0/users/{user}/attribute_values/{id}"), json!({"value": "EMEA,APAC"})).await;
    assert_eq!((set["value"].as_str(), set["source"].as_str()), (Some("EMEA,APAC"), Some("user")));
    let (_, two) = rows(&f, "orders", &["orders.region", "orders.count"]).await;
    assert_eq!(two, json!([{"orders.region": "APAC", "orders.count": 3}, {"orders.region": "EMEA", "orders.count": 3}]));
    // Beside the query's own filter on the field, never instead of it.
    let query = json!({"model": "thelook", "view": "orders", "fields": ["orders.count"], "filters": {"orders.region": "US"}});
    let (_, none) = call(&f, "POST", "/api/4.0/queries/run/json", query).await;
    assert_eq!(none, json!([{"orders.count": 0}]));
    // The SQL says so.
    let query = json!({"model": "thelook", "view": "orders", "fields": ["orders.count"]});
    let (_, _, sql) = f.call("POST", "/api/4.0/queries/run/sql", &query.to_string()).await;
    assert!(String::from_utf8_lossy(&sql).contains("'EMEA'"), "{}", String::from_utf8_lossy(&sql));

    let values = ok(&f, "GET", &format!("/api/4.0/users/{user}/attribute_values?user_attribute_ids={id}"), Value::Null).await;
    assert_eq!(values.as_array().map(Vec::len), Some(1));
    assert_eq!(values[0]["value"], "EMEA,APAC");
    let all = ok(&f, "GET", &format!("/api/4.0/users/{user}/attribute_values"), Value::Null).await;
    let first = all.as_array().unwrap().iter().find(|v| v["name"] == "first_name").expect("first_name").clone();
    assert_eq!((first["value"].as_str(), first["source"].as_str()), (Some("Admin"), Some("system")));
    let unset = ok(&f, "GET", &format!("/api/4.0/users/{user}/attribute_values?include_unset=true"), Value::Null).await;
    assert!(unset.as_array().unwrap().iter().any(|v| v["name"] == "email" && v["value"].is_null()), "the admin has no email: {unset}");

    // Cleared: the default again; without one, no rows at all for this user.
    let (status, _) = call(&f, "DELETE", &format!("/api/4.0/users/{user}/attribute_values/{id}"), Value::Null).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, us) = rows(&f, "orders", &["orders.region", "orders.count"]).await;
    assert_eq!(us, json!([{"orders.region": "US", "orders.count": 3}]));
    ok(&f, "PATCH", &format!("/api/4.0/user_attributes/{id}"), json!({"default_value": null})).await;
    let (status, _) = rows(&f, "orders", &["orders.region", "orders.count"]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = call(&f, "GET", "/api/4.0/users/999/attribute_values", Value::Null).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn liquid_reads_the_users_attributes_quoted_unless_a_plain_name() {
    let f = fixture().await;
    let region =
        ok(&f, "POST", "/api/4.0/user_attributes", json!({"name": "region", "label": "Region", "type": "string", "default_value": "US"}))
            .await;
    assert!(region["id"].is_string());
    // The system attribute `first_name`: the admin's own (Admin, as the store makes it).
    let (status, mine) = rows(&f, "open_orders", &["open_orders.is_mine", "open_orders.count"]).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(
        mine,
        json!([{"open_orders.is_mine": "No", "open_orders.count": 7}, {"open_orders.is_mine": "Yes", "open_orders.count": 2}])
    );

    // A plain name goes into SQL as it is; anything else must be quoted by the LookML.
    let schema = ok(&f, "POST", "/api/4.0/user_attributes", json!({"name": "schema_name", "label": "Schema", "type": "string"})).await;
    let id = schema["id"].as_str().unwrap();
    let user = f.user;
    ok(&f, "PATCH", &format!("/api/4.0/users/{user}/attribute_values/{id}"), json!({"value": "analytics_eu"})).await;
    let (status, plain) = rows(&f, "open_orders", &["open_orders.in_schema", "open_orders.count"]).await;
    assert_eq!((status, plain), (StatusCode::OK, json!([{"open_orders.in_schema": "analytics_eu", "open_orders.count": 9}])));
    ok(&f, "PATCH", &format!("/api/4.0/users/{user}/attribute_values/{id}"), json!({"value": "x' OR '1'='1"})).await;
    let (status, refused) = rows(&f, "open_orders", &["open_orders.in_schema", "open_orders.count"]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("sql_quote"), "{refused}");
}

#[tokio::test]
async fn access_grants_keep_fields_and_explores_from_users_without_them() {
    let f = fixture().await;
    let refused = |answer: &Value| answer["errors"][0]["message"].as_str().unwrap_or_default().to_string();
    // No value of `department`: the granted field, a field reading it and the explore are out of
    // reach; the other fields are not.
    let (status, answer) = rows(&f, "open_orders", &["open_orders.owner", "open_orders.count"]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(refused(&answer).contains("requires the access grant `finance`"), "{answer}");
    let (status, answer) = rows(&f, "open_orders", &["open_orders.owner_initial"]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a reference reaches it too: {answer}");
    let (status, answer) = rows(&f, "audited_orders", &["audited_orders.status"]).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY && refused(&answer).contains("explore `audited_orders`"), "{answer}");
    let (status, _) = rows(&f, "open_orders", &["open_orders.status", "open_orders.count"]).await;
    assert_eq!(status, StatusCode::OK);
    // Filtering or sorting on it is using it.
    let query =
        json!({"model": "thelook", "view": "open_orders", "fields": ["open_orders.count"], "filters": {"open_orders.owner": "Admin"}});
    let (status, _) = call(&f, "POST", "/api/4.0/queries/run/json", query).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The metadata shows the caller what they may use.
    let dimensions = |explore: &Value| -> Vec<String> {
        explore["fields"]["dimensions"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_string()).collect()
    };
    let explore = ok(&f, "GET", "/api/4.0/lookml_models/thelook/explores/open_orders", Value::Null).await;
    assert!(!dimensions(&explore).contains(&"open_orders.owner".to_string()), "{explore}");
    assert!(dimensions(&explore).contains(&"open_orders.status".to_string()));
    let (status, _) = call(&f, "GET", "/api/4.0/lookml_models/thelook/explores/audited_orders", Value::Null).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let model = ok(&f, "GET", "/api/4.0/lookml_models/thelook", Value::Null).await;
    assert!(!model["explores"].as_array().unwrap().iter().any(|e| e["name"] == "audited_orders"), "{model}");

    let department =
        ok(&f, "POST", "/api/4.0/user_attributes", json!({"name": "department", "label": "Department", "type": "string"})).await;
    let id = department["id"].as_str().unwrap().to_string();
    let user = f.user;
    ok(&f, "PATCH", &format!("/api/4.0/users/{user}/attribute_values/{id}"), json!({"value": "sales"})).await;
    let (status, _) = rows(&f, "open_orders", &["open_orders.owner", "open_orders.count"]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "sales is not allowed");
    ok(&f, "PATCH", &format!("/api/4.0/users/{user}/attribute_values/{id}"), json!({"value": "sales, finance"})).await;
    let (status, owners) = rows(&f, "open_orders", &["open_orders.owner", "open_orders.count"]).await;
    assert_eq!(
        (status, owners),
        (
            StatusCode::OK,
            json!([{"open_orders.owner": "Admin", "open_orders.count": 2}, {"open_orders.owner": "Someone", "open_orders.count": 7}])
        )
    );
    let (status, _) = rows(&f, "audited_orders", &["audited_orders.status"]).await;
    assert_eq!(status, StatusCode::OK);
    let explore = ok(&f, "GET", "/api/4.0/lookml_models/thelook/explores/open_orders", Value::Null).await;
    assert!(dimensions(&explore).contains(&"open_orders.owner".to_string()), "granted: {explore}");
    ok(&f, "GET", "/api/4.0/lookml_models/thelook/explores/audited_orders", Value::Null).await;
}
