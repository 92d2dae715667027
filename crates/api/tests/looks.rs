//! Looks through the API, in process, over a small DuckDB table: created in a folder from a
//! query id or a query written inline, read, changed, trashed and restored, searched, run in a
//! format and as an image, rendered by a render task under the Look's title, and deleted; every
//! wrong body answered in Looker's shape naming the field.

mod common;

use axum::http::StatusCode;
use common::{json, Fixture};
use serde_json::{json, Value};

const MODEL: &str = "connection: \"thelook\"\ninclude: \"*.view\"\nexplore: orders {}\n";
const VIEW: &str = r#"view: orders {
  sql_table_name: orders ;;
  dimension: status {}
  measure: count { type: count }
}
"#;

async fn fixture() -> Fixture {
    common::fixture_over(common::NINE_ORDERS, &[("thelook.model.lkml", MODEL), ("orders.view.lkml", VIEW)]).await
}

async fn personal_folder(f: &Fixture) -> String {
    let (status, _, body) = f.call("GET", "/api/4.0/user", "").await;
    assert_eq!(status, StatusCode::OK);
    json(&body)["personal_folder_id"].as_str().expect("personal_folder_id").to_string()
}

async fn create(f: &Fixture, body: Value) -> (StatusCode, Value) {
    let (status, _, bytes) = f.call("POST", "/api/4.0/looks", &body.to_string()).await;
    (status, json(&bytes))
}

/// The `field` of a 422's first error.
fn field(answer: &Value) -> &str {
    answer["errors"][0]["field"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn looks_are_created_read_changed_trashed_and_deleted() {
    let f = fixture().await;
    let folder = personal_folder(&f).await;
    let (status, look) = create(&f, json!({"title": "Orders by status", "query_id": f.query.to_string(), "folder_id": folder})).await;
    assert_eq!(status, StatusCode::OK, "{look}");
    let id = look["id"].as_str().expect("id").to_string();
    assert_eq!(look["title"], "Orders by status");
    assert_eq!(look["query_id"], f.query.to_string());
    assert_eq!(look["query"]["model"], "thelook", "LookWithQuery carries its query");
    assert_eq!(look["model"]["id"], "thelook");
    assert_eq!(look["folder"]["id"], folder.as_str());
    assert_eq!(look["folder"]["is_personal"], true);
    assert_eq!(look["user_id"], f.user.to_string());
    assert_eq!(look["user_name"], "Admin User");
    assert_eq!(look["deleted"], false);

    let (status, _, bytes) = f.call("GET", &format!("/api/4.0/looks/{id}"), "").await;
    assert_eq!((status, json(&bytes)["title"].clone()), (StatusCode::OK, json!("Orders by status")));

    // The same title in the same folder is taken; in the Shared folder it is not.
    let (status, answer) = create(&f, json!({"title": "Orders by status", "query_id": f.query.to_string(), "folder_id": folder})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    let (status, shared) = create(&f, json!({"title": "Orders by status", "query_id": f.query, "folder_id": "1"})).await;
    assert_eq!(status, StatusCode::OK, "{shared}");
    assert_eq!(shared["folder"]["is_shared_root"], true);

    // An update names what it changes; the rest stays.
    let (status, _, bytes) =
        f.call("PATCH", &format!("/api/4.0/looks/{id}"), &json!({"title": "Statuses", "description": "all orders"}).to_string()).await;
    let changed = json(&bytes);
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!((changed["title"].as_str(), changed["description"].as_str()), (Some("Statuses"), Some("all orders")));
    assert_eq!(changed["query_id"], f.query.to_string());
    // Moving it next to the Shared Look of the same title is refused.
    let (status, _, _) =
        f.call("PATCH", &format!("/api/4.0/looks/{id}"), &json!({"title": "Orders by status", "folder_id": "1"}).to_string()).await;
    assert_ne!(status, StatusCode::OK);

    // The trash: read by id, not listed, found by `deleted=true`, restorable.
    let (status, _, bytes) = f.call("PATCH", &format!("/api/4.0/looks/{id}"), r#"{"deleted": true}"#).await;
    let trashed = json(&bytes);
    assert_eq!((status, trashed["deleted"].clone()), (StatusCode::OK, json!(true)));
    assert!(trashed["deleted_at"].is_string() && trashed["deleter_id"].as_str() == Some(f.user.to_string().as_str()));
    let (_, _, bytes) = f.call("GET", "/api/4.0/looks", "").await;
    let listed: Vec<String> =
        json(&bytes).as_array().expect("list").iter().map(|l| l["id"].as_str().unwrap_or_default().to_string()).collect();
    assert!(!listed.contains(&id) && listed.contains(&shared["id"].as_str().unwrap_or_default().to_string()), "{listed:?}");
    let (_, _, bytes) = f.call("GET", "/api/4.0/looks/search?deleted=true", "").await;
    assert_eq!(json(&bytes)[0]["id"], id.as_str());
    let (status, _, _) = f.call("PATCH", &format!("/api/4.0/looks/{id}"), r#"{"deleted": false}"#).await;
    assert_eq!(status, StatusCode::OK);

    let (status, _, _) = f.call("DELETE", &format!("/api/4.0/looks/{id}"), "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for (method, body) in [("GET", ""), ("PATCH", r#"{"title":"x"}"#), ("DELETE", "")] {
        let (status, _, bytes) = f.call(method, &format!("/api/4.0/looks/{id}"), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}: {}", String::from_utf8_lossy(&bytes));
        assert!(json(&bytes)["message"].as_str().is_some_and(|m| m.contains(&id)));
    }
    let (status, _, _) = f.call("GET", "/api/4.0/looks/abc", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn wrong_bodies_are_refused_by_name() {
    let f = fixture().await;
    let folder = personal_folder(&f).await;
    let q = f.query.to_string();
    let cases = [
        (json!({"query_id": q, "folder_id": folder}), "title"),
        (json!({"title": "  ", "query_id": q, "folder_id": folder}), "title"),
        (json!({"title": "t", "folder_id": folder}), "query_id"),
        (json!({"title": "t", "query_id": "999999", "folder_id": folder}), "query_id"),
        (json!({"title": "t", "query_id": q}), "folder_id"),
        (json!({"title": "t", "query_id": q, "folder_id": "999"}), "folder_id"),
        (json!({"title": "t", "query_id": q, "folder_id": folder, "user_id": "999"}), "user_id"),
        (json!({"title": "t", "query_id": q, "folder_id": folder, "public": "yes"}), "public"),
        (json!({"title": "t", "query_id": q, "folder_id": folder, "model": {"id": "other"}}), "model"),
        (json!({"title": "t", "query_id": q, "folder_id": folder, "folder": {"name": "Renamed"}}), "folder"),
        (json!({"title": "t", "query_id": q, "folder_id": folder, "deleted": true}), "deleted"),
        (
            json!({"title": "t", "query_id": q, "folder_id": folder, "certification_metadata": {"status": "certified"}}),
            "certification_metadata",
        ),
        (json!({"title": "t", "folder_id": folder, "query": {"model": "thelook", "view": "orders", "fields": ["orders.nope"]}}), "fields"),
        (
            json!({"title": "t", "folder_id": folder, "query": {"model": "thelook", "view": "orders", "fields": ["orders.count"], "query_timezone": "UTC", "runtime": 1, "bogus_is_ignored": 1, "filter_config": null}}),
            "",
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = create(&f, body.clone()).await;
        if expected.is_empty() {
            assert_eq!(status, StatusCode::OK, "{body}: {answer}");
            continue;
        }
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(field(&answer), expected, "{body}: {answer}");
        assert!(answer["documentation_url"].is_string());
    }
    let (status, _, bytes) = f.call("POST", "/api/4.0/looks", "[1]").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(&bytes));
    let (status, _, _) = f.call("GET", "/api/4.0/looks/search?view_count=3", "").await;
    // search_looks documents no 422: a refused parameter is its 400, naming the parameter.
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_query_written_inline_is_saved_with_the_look() {
    let f = fixture().await;
    let folder = personal_folder(&f).await;
    let query = json!({"model": "thelook", "view": "orders", "fields": ["orders.status", "orders.count"], "sorts": ["orders.status"]});
    let (status, look) = create(&f, json!({"title": "Inline", "folder_id": folder, "query": query})).await;
    assert_eq!(status, StatusCode::OK, "{look}");
    let query_id = look["query_id"].as_str().expect("query_id").to_string();
    assert_eq!(look["query"]["id"], query_id.as_str());
    assert_eq!(look["query"]["sorts"], json!(["orders.status"]));
    // Naming the same query both ways is fine; two different ones are refused.
    let (status, _) = create(&f, json!({"title": "Both", "folder_id": folder, "query": query, "query_id": query_id})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) =
        create(&f, json!({"title": "Clash", "folder_id": folder, "query": query, "query_id": f.query.to_string()})).await;
    assert_eq!((status, field(&answer)), (StatusCode::UNPROCESSABLE_ENTITY, "query"), "{answer}");
}

#[tokio::test]
async fn searches_filter_sort_and_page() {
    let f = fixture().await;
    let folder = personal_folder(&f).await;
    for title in ["Danger", "Danzig", "David", "Dump"] {
        let (status, answer) = create(&f, json!({"title": title, "query_id": f.query.to_string(), "folder_id": folder})).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    let titles = |bytes: &[u8]| -> Vec<String> {
        json(bytes).as_array().expect("list").iter().map(|l| l["title"].as_str().unwrap_or_default().to_string()).collect()
    };
    let search = |q: String| {
        let f = &f;
        async move {
            let (status, _, bytes) = f.call("GET", &format!("/api/4.0/looks/search?{q}"), "").await;
            assert_eq!(status, StatusCode::OK, "{q}: {}", String::from_utf8_lossy(&bytes));
            titles(&bytes)
        }
    };
    assert_eq!(search("title=dan%25".to_string()).await, ["Danger", "Danzig"]);
    assert_eq!(search("title=dan%25&sorts=title%20desc".to_string()).await, ["Danzig", "Danger"]);
    assert_eq!(search("title=d_m%25".to_string()).await, ["Dump"]);
    assert_eq!(search("title=david&folder_id=1&filter_or=true".to_string()).await, ["David"], "any condition");
    assert_eq!(search("title=david&folder_id=1".to_string()).await, Vec::<String>::new(), "every condition");
    assert_eq!(search("sorts=title&limit=2&offset=1".to_string()).await, ["Danzig", "David"]);
    assert_eq!(search("sorts=title&per_page=3&page=2".to_string()).await, ["Dump"]);
    assert_eq!(search(format!("folder_id={folder}&description=IS%20NULL&fields=title")).await.len(), 4);
    let (_, _, bytes) = f.call("GET", "/api/4.0/looks/search?title=Dump&fields=id,title", "").await;
    let trimmed = json(&bytes);
    assert_eq!(trimmed[0].as_object().map(|o| o.len()), Some(2), "fields= trims: {trimmed}");
    for refused in ["sorts=view_count", "id=abc", "limit=-1", "curate=true"] {
        let (status, _, bytes) = f.call("GET", &format!("/api/4.0/looks/search?{refused}"), "").await;
        assert!(status.is_client_error(), "{refused}: {status}");
        assert!(json(&bytes)["message"].is_string());
    }
}

#[tokio::test]
async fn a_look_runs_and_renders_under_its_title() {
    let f = fixture().await;
    let folder = personal_folder(&f).await;
    let vis = json!({"type": "looker_column"});
    let query = json!({"model": "thelook", "view": "orders", "fields": ["orders.status", "orders.count"], "sorts": ["orders.status"], "vis_config": vis});
    let (status, look) = create(&f, json!({"title": "Status mix", "folder_id": folder, "query": query})).await;
    assert_eq!(status, StatusCode::OK, "{look}");
    let id = look["id"].as_str().expect("id");

    let (status, headers, bytes) = f.call("GET", &format!("/api/4.0/looks/{id}/run/csv"), "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"].starts_with("text/csv"));
    assert_eq!(String::from_utf8_lossy(&bytes), "Orders Status,Orders Count\ncomplete,3\npending,6\n");
    let (_, _, bytes) = f.call("GET", &format!("/api/4.0/looks/{id}/run/json?limit=1"), "").await;
    assert_eq!(json(&bytes), json!([{"orders.status": "complete", "orders.count": 3}]));

    let (status, headers, png) = f.call("GET", &format!("/api/4.0/looks/{id}/run/png?image_width=320&image_height=200"), "").await;
    assert_eq!((status, headers["content-type"].as_str()), (StatusCode::OK, "image/png"));
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!((u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap())), (320, 200));

    // A render task of the Look: its query, its title (the PDF's text says so).
    let (status, _, bytes) = f.call("POST", &format!("/api/4.0/render_tasks/looks/{id}/pdf?width=400&height=300"), "").await;
    let task = json(&bytes);
    assert_eq!(status, StatusCode::OK, "{task}");
    assert_eq!((task["look_id"].as_str(), task["query_id"].as_str()), (Some(id), look["query_id"].as_str()));
    let done = f.wait(&format!("/api/4.0/render_tasks/{}", task["id"].as_str().expect("task id")), &["success", "failure"]).await;
    assert_eq!(done["status"], "success", "{done}");
    let (status, headers, pdf) =
        f.call("GET", &format!("/api/4.0/render_tasks/{}/results", done["id"].as_str().unwrap_or_default()), "").await;
    assert_eq!((status, headers["content-type"].as_str()), (StatusCode::OK, "application/pdf"));
    assert!(pdf.starts_with(b"%PDF"));

    for (uri, expected) in [
        (format!("/api/4.0/render_tasks/looks/{id}/gif?width=10&height=10"), StatusCode::UNPROCESSABLE_ENTITY),
        (format!("/api/4.0/render_tasks/looks/{id}/png?width=10"), StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/4.0/render_tasks/looks/424242/png?width=10&height=10".to_string(), StatusCode::NOT_FOUND),
    ] {
        let (status, _, bytes) = f.call("POST", &uri, "").await;
        assert_eq!(status, expected, "{uri}: {}", String::from_utf8_lossy(&bytes));
    }
    // A color that is not one is refused by name, never written into the picture.
    let bad = json!({"model": "thelook", "view": "orders", "fields": ["orders.status", "orders.count"],
        "vis_config": {"type": "looker_column", "series_colors": {"orders.count": "red\"/><script>"}}});
    let (status, bad_look) = create(&f, json!({"title": "Bad colors", "folder_id": folder, "query": bad})).await;
    assert_eq!(status, StatusCode::OK, "{bad_look}");
    let (status, _, bytes) = f.call("GET", &format!("/api/4.0/looks/{}/run/png", bad_look["id"].as_str().unwrap_or_default()), "").await;
    let answer = json(&bytes);
    assert_eq!((status, field(&answer)), (StatusCode::UNPROCESSABLE_ENTITY, "vis_config"), "{answer}");
    let (status, _, _) = f.call("GET", "/api/4.0/looks/424242/run/json", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = f.call("GET", &format!("/api/4.0/looks/{id}/run/csv?image_width=10"), "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
