//! Roles through the API, in process: an admin makes users, API3 credentials, permission sets,
//! model sets and roles; each user then sees and does only what their roles give: models outside
//! their model sets are missing to them, a permission they lack is a 403 naming it, another
//! user's tasks are missing to them, and admin-only routes refuse them. The last admin can
//! neither be disabled nor lose the Admin role.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{json, Fixture};
use serde_json::{json, Value};
use tower::ServiceExt;

const SALES: &str = "connection: \"thelook\"\ninclude: \"orders.view\"\nexplore: orders {}\n";
const FINANCE: &str = "connection: \"thelook\"\ninclude: \"orders.view\"\nexplore: ledger { from: orders }\n";
const VIEW: &str = r#"view: orders {
  sql_table_name: orders ;;
  dimension: id { primary_key: yes type: number }
  dimension: status {}
  measure: count { type: count }
}
"#;

async fn fixture() -> Fixture {
    common::fixture_over(common::NINE_ORDERS, &[("sales.model.lkml", SALES), ("finance.model.lkml", FINANCE), ("orders.view.lkml", VIEW)])
        .await
}

/// `method uri` with `body`, as the holder of `token`; the answer as JSON (or its text).
async fn call_as(f: &Fixture, token: &str, method: &str, uri: &str, body: Value) -> (StatusCode, Value) {
    let text = if body.is_null() { String::new() } else { body.to_string() };
    let (status, _, bytes) = f.call_as(token, method, uri, &text).await;
    let parsed = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    (status, parsed)
}

async fn admin_ok(f: &Fixture, method: &str, uri: &str, body: Value) -> Value {
    let (status, answer) = call_as(f, &f.token, method, uri, body).await;
    assert_eq!(status, StatusCode::OK, "{method} {uri}: {answer}");
    answer
}

/// A new user holding `roles`, logged in with API3 credentials made through the API; their id
/// and token.
async fn user_with_roles(f: &Fixture, name: &str, roles: &[&str]) -> (String, String) {
    let made = admin_ok(f, "POST", "/api/4.0/users", json!({"first_name": name, "last_name": "Test"})).await;
    let id = made["id"].as_str().expect("id").to_string();
    admin_ok(f, "PUT", &format!("/api/4.0/users/{id}/roles"), json!(roles)).await;
    let creds = admin_ok(f, "POST", &format!("/api/4.0/users/{id}/credentials_api3"), Value::Null).await;
    let form = format!("client_id={}&client_secret={}", creds["client_id"].as_str().unwrap(), creds["client_secret"].as_str().unwrap());
    let request = Request::builder()
        .method("POST")
        .uri("/api/4.0/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .expect("request");
    let response = f.app.clone().oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK, "the new credentials log in");
    let token = json(&axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body"))["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    (id, token)
}

/// A role of `permissions` on `models`, made through the API; its id.
async fn role(f: &Fixture, name: &str, permissions: &[&str], models: &[&str]) -> String {
    let set = admin_ok(f, "POST", "/api/4.0/permission_sets", json!({"name": format!("{name} set"), "permissions": permissions})).await;
    let models = admin_ok(f, "POST", "/api/4.0/model_sets", json!({"name": format!("{name} models"), "models": models})).await;
    let made =
        admin_ok(f, "POST", "/api/4.0/roles", json!({"name": name, "permission_set_id": set["id"], "model_set_id": models["id"]})).await;
    made["id"].as_str().expect("id").to_string()
}

fn model_names(models: &Value) -> Vec<&str> {
    models.as_array().expect("list").iter().filter_map(|m| m["name"].as_str()).collect()
}

#[tokio::test]
async fn the_admin_holds_the_built_in_admin_role() {
    let f = fixture().await;
    let me = admin_ok(&f, "GET", "/api/4.0/user", Value::Null).await;
    let roles = admin_ok(&f, "GET", &format!("/api/4.0/users/{}/roles", me["id"].as_str().unwrap()), Value::Null).await;
    assert_eq!(me["role_ids"], json!([roles[0]["id"]]));
    assert_eq!((roles[0]["name"].as_str(), roles[0]["permission_set"]["all_access"].as_bool()), (Some("Admin"), Some(true)));
    let all = admin_ok(&f, "GET", "/api/4.0/roles", Value::Null).await;
    let names: Vec<&str> = all.as_array().unwrap().iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["Admin", "Viewer", "User", "Developer"]);
    let permissions = admin_ok(&f, "GET", "/api/4.0/permissions", Value::Null).await;
    let explore = permissions.as_array().unwrap().iter().find(|p| p["permission"] == "explore").expect("explore");
    assert_eq!(explore["parent"], "see_looks");

    // The last admin stays an admin, and enabled.
    let id = me["id"].as_str().unwrap();
    let (status, answer) = call_as(&f, &f.token, "PUT", &format!("/api/4.0/users/{id}/roles"), json!([])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, answer) = call_as(&f, &f.token, "PATCH", &format!("/api/4.0/users/{id}"), json!({"is_disabled": true})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let admin_role = roles[0]["id"].as_str().unwrap();
    let (status, _) = call_as(&f, &f.token, "DELETE", &format!("/api/4.0/roles/{admin_role}"), Value::Null).await;
    assert_ne!(status, StatusCode::NO_CONTENT, "the built-in Admin role stays");
}

#[tokio::test]
async fn an_admin_through_a_group_may_lose_their_own_admin_role_but_not_the_group() {
    let f = fixture().await;
    let me = admin_ok(&f, "GET", "/api/4.0/user", Value::Null).await;
    let id = me["id"].as_str().unwrap().to_string();
    let admin_role = me["role_ids"][0].as_str().unwrap().to_string();
    let group = admin_ok(&f, "POST", "/api/4.0/groups", json!({"name": "Admins"})).await;
    let group_id = group["id"].as_str().unwrap().to_string();
    admin_ok(&f, "POST", &format!("/api/4.0/groups/{group_id}/users"), json!({"user_id": id})).await;
    admin_ok(&f, "PUT", &format!("/api/4.0/roles/{admin_role}/groups"), json!([group_id])).await;
    // Still an admin through the group: their own Admin role may go.
    let held = admin_ok(&f, "PUT", &format!("/api/4.0/users/{id}/roles"), json!([])).await;
    assert_eq!(held, json!([]));
    let all = admin_ok(&f, "GET", &format!("/api/4.0/users/{id}/roles"), Value::Null).await;
    assert_eq!(all[0]["name"], "Admin", "{all}");
    let direct = admin_ok(&f, "GET", &format!("/api/4.0/users/{id}/roles?direct_association_only=true"), Value::Null).await;
    assert_eq!(direct, json!([]));
    // Now the group is what keeps an admin: leaving it, deleting it or taking its role is refused.
    // (400 where the spec gives the operation no 422.)
    for (method, uri, body) in [
        ("DELETE", format!("/api/4.0/groups/{group_id}/users/{id}"), Value::Null),
        ("DELETE", format!("/api/4.0/groups/{group_id}"), Value::Null),
        ("PUT", format!("/api/4.0/roles/{admin_role}/groups"), json!([])),
    ] {
        let (status, answer) = call_as(&f, &f.token, method, &uri, body).await;
        assert!(status.is_client_error() && answer.to_string().contains("no enabled admin"), "{method} {uri}: {status} {answer}");
    }
    // Each refusal left things as they were.
    let group = admin_ok(&f, "GET", &format!("/api/4.0/groups/{group_id}"), Value::Null).await;
    assert_eq!((group["user_count"].as_i64(), group["contains_current_user"].as_bool()), (Some(1), Some(true)), "{group}");
    let groups = admin_ok(&f, "GET", &format!("/api/4.0/roles/{admin_role}/groups"), Value::Null).await;
    assert_eq!(groups[0]["name"], "Admins");
}

#[tokio::test]
async fn permission_sets_name_only_permissions_sightline_enforces() {
    let f = fixture().await;
    for (permissions, code, named) in [
        (json!(["access_data", "download_without_limit"]), "not_supported", "download_without_limit"),
        (json!(["explore"]), "invalid", "see_looks"),
    ] {
        let (status, answer) =
            call_as(&f, &f.token, "POST", "/api/4.0/permission_sets", json!({"name": "bad", "permissions": permissions})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["errors"][0]["code"], code, "{answer}");
        assert!(answer["errors"][0]["message"].as_str().unwrap().contains(named), "{answer}");
    }
    let viewer = admin_ok(&f, "GET", "/api/4.0/permission_sets", Value::Null).await[1].clone();
    assert_eq!(viewer["built_in"], true);
    let (status, _) =
        call_as(&f, &f.token, "PATCH", &format!("/api/4.0/permission_sets/{}", viewer["id"].as_str().unwrap()), json!({"name": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "built-in sets never change");
}

#[tokio::test]
async fn a_user_sees_and_does_only_what_their_roles_give() {
    let f = fixture().await;
    let viewer = role(&f, "Sales viewer", &["access_data", "see_looks"], &["sales"]).await;
    let (ann, token) = user_with_roles(&f, "Ann", &[&viewer]).await;

    // Models outside the model set are missing to her.
    let (_, models) = call_as(&f, &token, "GET", "/api/4.0/lookml_models", Value::Null).await;
    assert_eq!(model_names(&models), ["sales"]);
    let (status, _) = call_as(&f, &token, "GET", "/api/4.0/lookml_models/finance", Value::Null).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call_as(&f, &token, "GET", "/api/4.0/lookml_models/finance/explores/ledger", Value::Null).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A query saved by the admin runs for her; making a new one needs `explore`.
    let sales_query =
        admin_ok(&f, "POST", "/api/4.0/queries", json!({"model": "sales", "view": "orders", "fields": ["orders.count"]})).await;
    let finance_query =
        admin_ok(&f, "POST", "/api/4.0/queries", json!({"model": "finance", "view": "ledger", "fields": ["ledger.count"]})).await;
    let (status, rows) =
        call_as(&f, &token, "GET", &format!("/api/4.0/queries/{}/run/json", sales_query["id"].as_str().unwrap()), Value::Null).await;
    assert_eq!((status, rows), (StatusCode::OK, json!([{"orders.count": 9}])));
    let (status, _) =
        call_as(&f, &token, "GET", &format!("/api/4.0/queries/{}/run/json", finance_query["id"].as_str().unwrap()), Value::Null).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another model's query is missing to her");
    let (status, answer) =
        call_as(&f, &token, "GET", &format!("/api/4.0/queries/{}/run/sql", sales_query["id"].as_str().unwrap()), Value::Null).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("`see_sql`"), "{answer}");
    let (status, answer) =
        call_as(&f, &token, "POST", "/api/4.0/queries", json!({"model": "sales", "view": "orders", "fields": ["orders.count"]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("`explore`"), "{answer}");

    // Her tasks are hers; the admin's are missing to her.
    let task = |query: &Value| json!({"query_id": query["id"], "result_format": "json"});
    let (status, mine) = call_as(&f, &token, "POST", "/api/4.0/query_tasks", task(&sales_query)).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let theirs = admin_ok(&f, "POST", "/api/4.0/query_tasks", task(&sales_query)).await;
    let (status, _) = call_as(&f, &token, "GET", &format!("/api/4.0/query_tasks/{}", mine["id"].as_str().unwrap()), Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call_as(&f, &token, "GET", &format!("/api/4.0/query_tasks/{}", theirs["id"].as_str().unwrap()), Value::Null).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    admin_ok(&f, "GET", &format!("/api/4.0/query_tasks/{}", mine["id"].as_str().unwrap()), Value::Null).await;

    // Admin routes refuse her; her own user and roles she may read, nobody else's.
    for (method, uri) in [
        ("GET", "/api/4.0/connections".to_string()),
        ("GET", "/api/4.0/users".to_string()),
        ("GET", "/api/4.0/roles".to_string()),
        ("POST", "/api/4.0/users".to_string()),
        ("PUT", format!("/api/4.0/users/{ann}/roles")),
    ] {
        let (status, answer) = call_as(&f, &token, method, &uri, json!([])).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}: {answer}");
    }
    let (status, me) = call_as(&f, &token, "GET", &format!("/api/4.0/users/{ann}"), Value::Null).await;
    assert_eq!((status, me["role_ids"].clone()), (StatusCode::OK, json!([viewer])));
    let (status, _) = call_as(&f, &token, "GET", &format!("/api/4.0/users/{}", f.user), Value::Null).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call_as(&f, &token, "POST", &format!("/api/4.0/login/{}", f.user), Value::Null).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "sudo needs the sudo permission");

    // Saving content lets her save a Look of a query that exists, not make a query inline.
    let saver = role(&f, "Sales saver", &["access_data", "see_looks", "save_content"], &["sales"]).await;
    admin_ok(&f, "PUT", &format!("/api/4.0/users/{ann}/roles"), json!([viewer, saver])).await;
    let folder = me["personal_folder_id"].clone();
    let look = json!({"title": "Mine", "folder_id": folder, "query_id": sales_query["id"]});
    let (status, answer) = call_as(&f, &token, "POST", "/api/4.0/looks", look).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let inline =
        json!({"title": "Inline", "folder_id": folder, "query": {"model": "sales", "view": "orders", "fields": ["orders.status"]}});
    let (status, answer) = call_as(&f, &token, "POST", "/api/4.0/looks", inline).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("`explore`"), "{answer}");

    // Given `explore` on the sales model, she may make queries there, and only there.
    let explorer = role(&f, "Sales explorer", &["access_data", "see_looks", "explore"], &["sales"]).await;
    admin_ok(&f, "PUT", &format!("/api/4.0/users/{ann}/roles"), json!([viewer, explorer])).await;
    let (status, _) =
        call_as(&f, &token, "POST", "/api/4.0/queries", json!({"model": "sales", "view": "orders", "fields": ["orders.count"]})).await;
    assert_eq!(status, StatusCode::OK);
    let calc = json!([{"table_calculation": "twice", "expression": "${orders.count} * 2"}]).to_string();
    let (status, answer) = call_as(
        &f,
        &token,
        "POST",
        "/api/4.0/queries",
        json!({"model": "sales", "view": "orders", "fields": ["orders.count", "twice"], "dynamic_fields": calc}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("create_table_calculations"), "{answer}");

    // Disabled, her token stops working at once.
    admin_ok(&f, "PATCH", &format!("/api/4.0/users/{ann}"), json!({"is_disabled": true})).await;
    let (status, _) = call_as(&f, &token, "GET", "/api/4.0/user", Value::Null).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn email_credentials_set_the_email_users_are_found_by() {
    let f = fixture().await;
    let viewer = role(&f, "Viewer here", &["access_data"], &["sales"]).await;
    let (ann, token) = user_with_roles(&f, "Ann", &[&viewer]).await;
    let (bob, _) = user_with_roles(&f, "Bob", &[&viewer]).await;
    let uri = format!("/api/4.0/users/{ann}/credentials_email");
    let (status, _) = call_as(&f, &f.token, "GET", &uri, Value::Null).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "none yet");
    let made = admin_ok(&f, "POST", &uri, json!({"email": "Ann@Example.com"})).await;
    assert_eq!((made["email"].as_str(), made["type"].as_str()), (Some("Ann@Example.com"), Some("email")));
    let (status, _) =
        call_as(&f, &f.token, "POST", &format!("/api/4.0/users/{bob}/credentials_email"), json!({"email": "ann@example.com"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "one user per email, whatever its case");
    let (status, _) = call_as(&f, &token, "PATCH", &uri, json!({"email": "me@example.com"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an admin's to change");
    let (status, answer) =
        call_as(&f, &f.token, "POST", &uri, json!({"email": "x@example.com", "forced_password_reset_at_next_login": true})).await;
    assert_eq!(
        (status, answer["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("forced_password_reset_at_next_login"))
    );

    // Found by email, any case, with `%`; the `email` attribute reads it.
    let found = admin_ok(&f, "GET", "/api/4.0/users/search?email=ann%25", Value::Null).await;
    assert_eq!(found.as_array().map(|a| a.iter().filter_map(|u| u["id"].as_str()).collect::<Vec<_>>()), Some(vec![ann.as_str()]));
    assert_eq!(found[0]["credentials_email"]["email"], "Ann@Example.com");
    let by_name = admin_ok(&f, "GET", "/api/4.0/users/search?first_name=b_b&is_disabled=false", Value::Null).await;
    assert_eq!(by_name.as_array().map(Vec::len), Some(1));
    let values = admin_ok(&f, "GET", &format!("/api/4.0/users/{ann}/attribute_values?user_attribute_ids=1"), Value::Null).await;
    assert_eq!(values[0]["value"], "Ann@Example.com", "{values}");
    let (status, _) = call_as(&f, &token, "GET", "/api/4.0/users/search", Value::Null).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "searching users needs see_users");
    let (status, _) = call_as(&f, &f.token, "DELETE", &uri, Value::Null).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(admin_ok(&f, "GET", "/api/4.0/users/search?email=ann%25", Value::Null).await, json!([]));
}

#[tokio::test]
async fn an_admin_acts_as_another_user_through_sudo() {
    let f = fixture().await;
    let viewer = role(&f, "Finance viewer", &["access_data"], &["finance"]).await;
    let (bob, _) = user_with_roles(&f, "Bob", &[&viewer]).await;
    let token = admin_ok(&f, "POST", &format!("/api/4.0/login/{bob}"), Value::Null).await;
    let token = token["access_token"].as_str().expect("token");
    let (_, me) = call_as(&f, token, "GET", "/api/4.0/user", Value::Null).await;
    assert_eq!(me["id"].as_str(), Some(bob.as_str()));
    let (_, models) = call_as(&f, token, "GET", "/api/4.0/lookml_models", Value::Null).await;
    assert_eq!(model_names(&models), ["finance"]);
}
