//! The engine's and store's internal types turned into the spec's generated wire types
//! (`wire::schemas`). Only what Sightline knows is filled; a field it cannot know is left out,
//! never answered with a made-up default.

mod dashboard;
mod explore;
mod look;
mod lookml_dashboard;

use std::collections::BTreeMap;

use engine::QueryBody;
use serde_json::Value;
use wire::schemas::{
    AccessToken, ApiVersion, ApiVersionElement, CredentialsEmail, ModelSet, PermissionSet, Query, QueryTask, RenderTask, Role,
    RunningQueries, User, UserPublic,
};

pub use dashboard::{component, dashboard, dashboard_base, dashboard_filter, element, layout, DashboardContext};
pub use explore::{lookml_explore, lookml_model};
pub use look::{look, LookContext};
pub use lookml_dashboard::{lookml_dashboard, lookml_dashboard_base};

/// The `can` map of a response: which operations the caller may perform on the object.
pub fn can(entries: &[(&str, bool)]) -> BTreeMap<String, bool> {
    entries.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn some_text(text: &Option<String>) -> Option<String> {
    text.as_ref().filter(|t| !t.is_empty()).cloned()
}

fn some_vec<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}

pub fn access_token(token: String, expires_in: i64) -> AccessToken {
    AccessToken { access_token: Some(token), token_type: Some("Bearer".into()), expires_in: Some(expires_in), refresh_token: None }
}

/// A user as the API shows one; `personal_folder` is the id of their personal folder.
pub fn user(u: &store::User, personal_folder: Option<i64>, role_ids: &[i64], group_ids: &[i64]) -> User {
    User {
        personal_folder_id: personal_folder.map(|id| id.to_string()),
        id: Some(u.id.to_string()),
        first_name: Some(u.first_name.clone()),
        last_name: Some(u.last_name.clone()),
        display_name: Some(format!("{} {}", u.first_name, u.last_name)),
        email: u.email.clone(),
        is_disabled: Some(u.is_disabled),
        locale: Some("en".into()),
        role_ids: Some(role_ids.iter().map(i64::to_string).collect()),
        credentials_email: u.email.as_ref().map(|email| Box::new(credentials_email(u.id, email))),
        group_ids: Some(group_ids.iter().map(i64::to_string).collect()),
        can: Some(can(&[("show", true)])),
        ..Default::default()
    }
}

/// A user's email credentials: the email alone (Sightline has no password login).
pub fn credentials_email(user_id: i64, email: &str) -> CredentialsEmail {
    CredentialsEmail {
        email: Some(email.to_string()),
        user_id: Some(user_id.to_string()),
        is_disabled: Some(false),
        r#type: Some("email".into()),
        can: Some(can(&[("show", true)])),
        ..Default::default()
    }
}

pub fn permission_set(p: &store::PermissionSet, base_url: &str) -> PermissionSet {
    PermissionSet {
        id: Some(p.id.to_string()),
        name: Some(p.name.clone()),
        // The Admin set holds every permission, as Looker lists it.
        permissions: Some(if p.all_access {
            store::Permission::ALL.iter().map(|q| q.as_str().to_string()).collect()
        } else {
            p.permissions.clone()
        }),
        all_access: Some(p.all_access),
        built_in: Some(p.built_in),
        url: Some(format!("{base_url}/api/4.0/permission_sets/{}", p.id)),
        can: Some(can(&[("show", true), ("update", !p.built_in)])),
    }
}

pub fn model_set(m: &store::ModelSet, base_url: &str) -> ModelSet {
    ModelSet {
        id: Some(m.id.to_string()),
        name: Some(m.name.clone()),
        models: Some(m.models.clone()),
        all_access: Some(m.all_access),
        built_in: Some(m.built_in),
        url: Some(format!("{base_url}/api/4.0/model_sets/{}", m.id)),
        can: Some(can(&[("show", true), ("update", !m.built_in)])),
    }
}

pub fn role(r: &store::Role, base_url: &str) -> Role {
    Role {
        id: Some(r.id.to_string()),
        name: Some(r.name.clone()),
        permission_set: Some(Box::new(permission_set(&r.permission_set, base_url))),
        permission_set_id: Some(r.permission_set.id.to_string()),
        model_set: Some(Box::new(model_set(&r.model_set, base_url))),
        model_set_id: Some(r.model_set.id.to_string()),
        internal: Some(false),
        url: Some(format!("{base_url}/api/4.0/roles/{}", r.id)),
        users_url: Some(format!("{base_url}/api/4.0/roles/{}/users", r.id)),
        can: Some(can(&[("show", true), ("update", true)])),
    }
}

/// The explore URL of a query, with its fields, filters, sorts and limit, as Looker builds it.
fn explore_url(body: &QueryBody) -> String {
    let mut params: Vec<(String, String)> = Vec::new();
    let list = |v: &Option<Vec<String>>| v.as_ref().map(|v| v.join(","));
    if let Some(fields) = list(&body.fields) {
        params.push(("fields".into(), fields));
    }
    for (field, value) in body.filters.iter().flatten() {
        params.push((format!("f[{field}]"), value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string())));
    }
    if let Some(pivots) = list(&body.pivots) {
        params.push(("pivots".into(), pivots));
    }
    if let Some(sorts) = list(&body.sorts) {
        params.push(("sorts".into(), sorts));
    }
    if let Some(limit) = &body.limit {
        params.push(("limit".into(), limit.clone()));
    }
    if let Some(zone) = &body.query_timezone {
        params.push(("query_timezone".into(), zone.clone()));
    }
    let query = serde_urlencoded::to_string(&params).unwrap_or_default();
    format!("/explore/{}/{}?{query}", body.model, body.view)
}

/// A saved query as stored (its normalised JSON body).
pub fn stored_query(stored: &store::StoredQuery, base_url: &str) -> Result<Query, crate::ApiError> {
    let body: QueryBody = serde_json::from_str(&stored.body)
        .map_err(|e| crate::ApiError::internal(format!("saved query {} is unreadable: {e}", stored.id)))?;
    Ok(query(stored.id, &stored.slug, &body, base_url))
}

pub fn query(id: i64, slug: &str, body: &QueryBody, base_url: &str) -> Query {
    let url = explore_url(body);
    Query {
        id: Some(id.to_string()),
        slug: Some(slug.to_string()),
        model: body.model.clone(),
        view: body.view.clone(),
        fields: body.fields.clone(),
        pivots: body.pivots.clone(),
        fill_fields: body.fill_fields.clone(),
        filters: body
            .filters
            .as_ref()
            .map(|f| f.iter().map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))).collect()),
        filter_expression: body.filter_expression.clone(),
        sorts: body.sorts.clone(),
        limit: body.limit.clone(),
        column_limit: body.column_limit.clone(),
        total: body.total,
        row_total: body.row_total.clone(),
        subtotals: body.subtotals.clone(),
        vis_config: body.vis_config.as_ref().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        filter_config: match &body.filter_config {
            Some(Value::Object(m)) => Some(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
            _ => None,
        },
        visible_ui_sections: body.visible_ui_sections.clone(),
        dynamic_fields: body.dynamic_fields.clone(),
        client_id: body.client_id.clone(),
        query_timezone: body.query_timezone.clone(),
        share_url: Some(format!("{base_url}/x/{slug}")),
        expanded_share_url: Some(format!("{base_url}{url}")),
        url: Some(url),
        has_table_calculations: Some(false),
        can: Some(can(&[("run", true), ("see_results", true), ("explore", true), ("create", true), ("show", true)])),
    }
}

/// A query task as stored, with its query. The run options Sightline does not record per task
/// (`cache`, `force_production` …) are left out rather than reported with a value nobody asked
/// for; `result_source` is `query` once complete (there is no result cache yet).
pub fn query_task(t: &store::QueryTaskRow, query: Option<Query>) -> QueryTask {
    QueryTask {
        id: Some(t.id.clone()),
        query_id: Some(t.query_id.to_string()),
        query: query.map(Box::new),
        result_source: t.result_source.clone(),
        cache_key: t.cache_key.clone(),
        cache: Some(t.use_cache),
        cache_only: Some(t.cache_only),
        rebuild_pdts: Some(t.rebuild_pdts),
        status: Some(t.status.to_string()),
        source: t.source.clone(),
        runtime: t.runtime,
        result_format: Some(t.result_format.clone()),
        can: Some(can(&[("show", true)])),
        ..Default::default()
    }
}

/// A query task waiting or running, as `GET /running_queries` lists it; `message` says where it
/// waits (its place in the queue, or the connection limit that holds it).
pub fn running_query(r: &engine::RunningQuery, user: Option<&store::User>, query: Option<Query>) -> RunningQueries {
    let t = &r.task;
    RunningQueries {
        id: Some(t.id.clone()),
        query_task_id: Some(t.id.clone()),
        query_id: Some(t.query_id.to_string()),
        slug: query.as_ref().and_then(|q| q.slug.clone()),
        query: query.map(Box::new),
        user: user.map(|u| {
            Box::new(UserPublic {
                id: Some(u.id.to_string()),
                first_name: Some(u.first_name.clone()),
                last_name: Some(u.last_name.clone()),
                display_name: Some(format!("{} {}", u.first_name, u.last_name)),
                ..Default::default()
            })
        }),
        source: t.source.clone(),
        created_at: Some(t.created_at.clone()),
        status: Some(t.status.to_string()),
        message: Some(r.message.clone()),
        runtime: r.runtime,
        connection_name: r.connection.clone(),
        connection_id: r.connection.clone(),
        dialect: r.dialect.map(str::to_string),
        sql: r.sql.clone(),
        can: Some(can(&[("show", true), ("kill", true)])),
        ..Default::default()
    }
}

pub fn render_task(t: &store::RenderTaskRow) -> RenderTask {
    RenderTask {
        id: Some(t.id.clone()),
        status: Some(t.status.to_string()),
        status_detail: t.status_detail.clone(),
        created_at: Some(t.created_at.clone()),
        finalized_at: t.finalized_at.clone(),
        query_runtime: t.query_runtime,
        render_runtime: t.render_runtime,
        runtime: t.runtime,
        result_format: Some(t.result_format.clone()),
        width: Some(t.width),
        height: Some(t.height),
        query_id: t.query_id.map(|id| id.to_string()),
        look_id: t.look_id.map(|id| id.to_string()),
        dashboard_id: t.dashboard_id.map(|id| id.to_string()),
        dashboard_element_id: t.dashboard_element_id.map(|id| id.to_string()),
        dashboard_style: t.dashboard_style.clone(),
        lookml_dashboard_id: t.lookml_dashboard_id.clone(),
        dashboard_filters: t.dashboard_filters.clone().filter(|f| !f.is_empty()),
        user_id: Some(t.user_id.to_string()),
        can: Some(can(&[("show", true)])),
    }
}

pub fn api_version(base_url: &str) -> ApiVersion {
    let current = ApiVersionElement {
        version: Some("4.0".into()),
        full_version: Some("4.0.26.12".into()),
        status: Some("current".into()),
        swagger_url: Some(format!("{base_url}/api/4.0/swagger.json")),
    };
    ApiVersion {
        looker_release_version: Some(format!("26.12.0 (sightline {})", env!("CARGO_PKG_VERSION"))),
        current_version: Some(Box::new(current.clone())),
        supported_versions: Some(vec![current]),
        api_server_url: Some(base_url.to_string()),
        web_server_url: Some(base_url.to_string()),
    }
}
