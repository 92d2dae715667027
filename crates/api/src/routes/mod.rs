//! Route table for `/api/4.0`, built from the per-route declarations ([`Declared`]): each route's
//! path is its operation's path in the spec, and every request passes the declaration's check
//! (parameters honoured or refused by name, `fields=` applied) before its handler.

mod connection_body;
mod connections;
mod content_body;
mod dashboard_elements;
mod dashboard_filters;
mod dashboards;
mod groups;
mod lookml;
mod looks;
mod queries;
mod query_tasks;
mod render_tasks;
mod roles;
mod session;
mod url_query;
mod user_attributes;
mod users;

use axum::middleware::from_fn_with_state;
use axum::routing::{delete, get, patch, post, put, MethodRouter};
use axum::Router;

use crate::declare::{self, Declared};
use crate::{ApiError, AppState};

/// Every implemented operation with its handler. The one list the router, the served spec and
/// the conformance test read.
pub fn table() -> Vec<(&'static Declared, MethodRouter<AppState>)> {
    vec![
        (&session::LOGIN, post(session::login)),
        (&session::LOGOUT, delete(session::logout)),
        (&session::ME, get(session::me)),
        (&session::VERSIONS, get(session::versions)),
        (&queries::CREATE_QUERY, post(queries::create_query)),
        (&queries::QUERY, get(queries::query)),
        (&queries::QUERY_FOR_SLUG, get(queries::query_for_slug)),
        (&queries::RUN_URL_ENCODED_QUERY, get(queries::run_url_encoded_query)),
        (&queries::RUN_INLINE_QUERY, post(queries::run_inline_query)),
        (&queries::RUN_QUERY, get(queries::run_query)),
        (&query_tasks::CREATE_QUERY_TASK, post(query_tasks::create_query_task)),
        (&query_tasks::QUERY_TASK_MULTI_RESULTS, get(query_tasks::query_task_multi_results)),
        (&query_tasks::QUERY_TASK, get(query_tasks::query_task)),
        (&query_tasks::QUERY_TASK_RESULTS, get(query_tasks::query_task_results)),
        (&query_tasks::ALL_RUNNING_QUERIES, get(query_tasks::all_running_queries)),
        (&query_tasks::KILL_QUERY, delete(query_tasks::kill_query)),
        (&connections::ALL_CONNECTIONS, get(connections::all_connections)),
        (&connections::CREATE_CONNECTION, post(connections::create_connection)),
        (&connections::CONNECTION, get(connections::connection)),
        (&connections::UPDATE_CONNECTION, patch(connections::update_connection)),
        (&connections::DELETE_CONNECTION, delete(connections::delete_connection)),
        (&connections::TEST_CONNECTION, put(connections::test_connection)),
        (&connections::ALL_DIALECT_INFOS, get(connections::all_dialect_infos)),
        (&lookml::ALL_LOOKML_MODELS, get(lookml::all_lookml_models)),
        (&lookml::LOOKML_MODEL, get(lookml::lookml_model)),
        (&lookml::LOOKML_MODEL_EXPLORE, get(lookml::lookml_model_explore)),
        (&looks::ALL_LOOKS, get(looks::all_looks)),
        (&looks::CREATE_LOOK, post(looks::create_look)),
        (&looks::SEARCH_LOOKS, get(looks::search_looks)),
        (&looks::LOOK, get(looks::look)),
        (&looks::UPDATE_LOOK, patch(looks::update_look)),
        (&looks::DELETE_LOOK, delete(looks::delete_look)),
        (&looks::RUN_LOOK, get(looks::run_look)),
        (&dashboards::ALL_DASHBOARDS, get(dashboards::all_dashboards)),
        (&dashboards::CREATE_DASHBOARD, post(dashboards::create_dashboard)),
        (&dashboards::SEARCH_DASHBOARDS, get(dashboards::search_dashboards)),
        (&dashboards::DASHBOARD, get(dashboards::dashboard)),
        (&dashboards::UPDATE_DASHBOARD, patch(dashboards::update_dashboard)),
        (&dashboards::DELETE_DASHBOARD, delete(dashboards::delete_dashboard)),
        (&dashboards::DASHBOARD_DASHBOARD_ELEMENTS, get(dashboards::dashboard_dashboard_elements)),
        (&dashboards::DASHBOARD_DASHBOARD_LAYOUTS, get(dashboards::dashboard_dashboard_layouts)),
        (&dashboard_filters::CREATE_DASHBOARD_FILTER, post(dashboard_filters::create_dashboard_filter)),
        (&dashboard_filters::DASHBOARD_FILTER, get(dashboard_filters::dashboard_filter)),
        (&dashboard_filters::UPDATE_DASHBOARD_FILTER, patch(dashboard_filters::update_dashboard_filter)),
        (&dashboard_filters::DELETE_DASHBOARD_FILTER, delete(dashboard_filters::delete_dashboard_filter)),
        (&dashboard_filters::DASHBOARD_DASHBOARD_FILTERS, get(dashboard_filters::dashboard_dashboard_filters)),
        (&dashboard_elements::CREATE_DASHBOARD_ELEMENT, post(dashboard_elements::create_dashboard_element)),
        (&dashboard_elements::DASHBOARD_ELEMENT, get(dashboard_elements::dashboard_element)),
        (&dashboard_elements::UPDATE_DASHBOARD_ELEMENT, patch(dashboard_elements::update_dashboard_element)),
        (&dashboard_elements::DELETE_DASHBOARD_ELEMENT, delete(dashboard_elements::delete_dashboard_element)),
        (&dashboard_elements::DASHBOARD_LAYOUT, get(dashboard_elements::dashboard_layout)),
        (
            &dashboard_elements::DASHBOARD_LAYOUT_DASHBOARD_LAYOUT_COMPONENTS,
            get(dashboard_elements::dashboard_layout_dashboard_layout_components),
        ),
        (&dashboard_elements::DASHBOARD_LAYOUT_COMPONENT, get(dashboard_elements::dashboard_layout_component)),
        (&dashboard_elements::UPDATE_DASHBOARD_LAYOUT_COMPONENT, patch(dashboard_elements::update_dashboard_layout_component)),
        (&render_tasks::CREATE_QUERY_RENDER_TASK, post(render_tasks::create_query_render_task)),
        (&render_tasks::CREATE_DASHBOARD_RENDER_TASK, post(render_tasks::create_dashboard_render_task)),
        (&render_tasks::CREATE_DASHBOARD_ELEMENT_RENDER_TASK, post(render_tasks::create_dashboard_element_render_task)),
        (&render_tasks::CREATE_LOOK_RENDER_TASK, post(render_tasks::create_look_render_task)),
        (&render_tasks::RENDER_TASK, get(render_tasks::render_task)),
        (&render_tasks::RENDER_TASK_RESULTS, get(render_tasks::render_task_results)),
        (&user_attributes::ALL_USER_ATTRIBUTES, get(user_attributes::all_user_attributes)),
        (&user_attributes::CREATE_USER_ATTRIBUTE, post(user_attributes::create_user_attribute)),
        (&user_attributes::USER_ATTRIBUTE, get(user_attributes::user_attribute)),
        (&user_attributes::UPDATE_USER_ATTRIBUTE, patch(user_attributes::update_user_attribute)),
        (&user_attributes::DELETE_USER_ATTRIBUTE, delete(user_attributes::delete_user_attribute)),
        (&user_attributes::USER_ATTRIBUTE_USER_VALUES, get(user_attributes::user_attribute_user_values)),
        (&user_attributes::SET_USER_ATTRIBUTE_USER_VALUE, patch(user_attributes::set_user_attribute_user_value)),
        (&user_attributes::DELETE_USER_ATTRIBUTE_USER_VALUE, delete(user_attributes::delete_user_attribute_user_value)),
        (&user_attributes::ALL_USER_ATTRIBUTE_GROUP_VALUES, get(user_attributes::all_user_attribute_group_values)),
        (&user_attributes::SET_USER_ATTRIBUTE_GROUP_VALUES, post(user_attributes::set_user_attribute_group_values)),
        (&user_attributes::UPDATE_USER_ATTRIBUTE_GROUP_VALUE, patch(user_attributes::update_user_attribute_group_value)),
        (&user_attributes::DELETE_USER_ATTRIBUTE_GROUP_VALUE, delete(user_attributes::delete_user_attribute_group_value)),
        (&users::ALL_USERS, get(users::all_users)),
        (&users::CREATE_USER, post(users::create_user)),
        (&users::USER, get(users::user)),
        (&users::UPDATE_USER, patch(users::update_user)),
        (&users::ALL_USER_CREDENTIALS_API3S, get(users::all_user_credentials_api3s)),
        (&users::CREATE_USER_CREDENTIALS_API3, post(users::create_user_credentials_api3)),
        (&users::USER_CREDENTIALS_API3, get(users::user_credentials_api3)),
        (&users::DELETE_USER_CREDENTIALS_API3, delete(users::delete_user_credentials_api3)),
        (&users::USER_ROLES, get(users::user_roles)),
        (&users::SET_USER_ROLES, put(users::set_user_roles)),
        (&users::LOGIN_USER, post(users::login_user)),
        (&users::SEARCH_USERS, get(users::search_users)),
        (&users::USER_CREDENTIALS_EMAIL, get(users::user_credentials_email)),
        (&users::CREATE_USER_CREDENTIALS_EMAIL, post(users::create_user_credentials_email)),
        (&users::UPDATE_USER_CREDENTIALS_EMAIL, patch(users::update_user_credentials_email)),
        (&users::DELETE_USER_CREDENTIALS_EMAIL, delete(users::delete_user_credentials_email)),
        (&users::DELETE_USER, delete(users::delete_user)),
        (&groups::ALL_GROUPS, get(groups::all_groups)),
        (&groups::CREATE_GROUP, post(groups::create_group)),
        (&groups::GROUP, get(groups::group)),
        (&groups::UPDATE_GROUP, patch(groups::update_group)),
        (&groups::DELETE_GROUP, delete(groups::delete_group)),
        (&groups::ALL_GROUP_USERS, get(groups::all_group_users)),
        (&groups::ADD_GROUP_USER, post(groups::add_group_user)),
        (&groups::DELETE_GROUP_USER, delete(groups::delete_group_user)),
        (&groups::ROLE_GROUPS, get(groups::role_groups)),
        (&groups::SET_ROLE_GROUPS, put(groups::set_role_groups)),
        (&roles::ALL_ROLES, get(roles::all_roles)),
        (&roles::CREATE_ROLE, post(roles::create_role)),
        (&roles::ROLE, get(roles::role)),
        (&roles::UPDATE_ROLE, patch(roles::update_role)),
        (&roles::DELETE_ROLE, delete(roles::delete_role)),
        (&roles::ROLE_USERS, get(roles::role_users)),
        (&roles::ALL_PERMISSION_SETS, get(roles::all_permission_sets)),
        (&roles::CREATE_PERMISSION_SET, post(roles::create_permission_set)),
        (&roles::PERMISSION_SET, get(roles::permission_set)),
        (&roles::UPDATE_PERMISSION_SET, patch(roles::update_permission_set)),
        (&roles::DELETE_PERMISSION_SET, delete(roles::delete_permission_set)),
        (&roles::ALL_MODEL_SETS, get(roles::all_model_sets)),
        (&roles::CREATE_MODEL_SET, post(roles::create_model_set)),
        (&roles::MODEL_SET, get(roles::model_set)),
        (&roles::UPDATE_MODEL_SET, patch(roles::update_model_set)),
        (&roles::DELETE_MODEL_SET, delete(roles::delete_model_set)),
        (&roles::ALL_PERMISSIONS, get(roles::all_permissions)),
    ]
}

/// The declarations alone, in route-table order.
pub fn declarations() -> Vec<&'static Declared> {
    table().into_iter().map(|(d, _)| d).collect()
}

pub fn api_routes() -> Router<AppState> {
    // Static segments win over `{id}` in axum's matcher, so `/query_tasks/multi_results` is not
    // taken for a task id whatever the order.
    table().into_iter().fold(Router::new(), |router, (declared, handler)| {
        router.route(declared.op.path, handler.layer(from_fn_with_state(declared, declare::check)))
    })
}

/// Routes outside the versioned prefix: the official SDKs log out with `DELETE /api/logout`;
/// a query's `share_url` and `url` and a Look's `url` resolve; Prometheus scrapes `/metrics`.
pub fn unversioned_routes() -> Router<AppState> {
    Router::new()
        .route("/api/logout", delete(session::logout))
        .route("/x/{slug}", get(queries::share_url))
        .route("/explore/{model}/{view}", get(queries::explore_url))
        .route("/looks/{look_id}", get(look_url))
        .route("/metrics", get(metrics))
}

/// `GET /looks/{id}` (a Look's `url`): Sightline has no Look page, so it runs the Look as JSON
/// through the API (authenticated as every API call).
async fn look_url(axum::extract::Path(look_id): axum::extract::Path<String>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let id: String = look_id.chars().filter(char::is_ascii_digit).collect();
    axum::response::Redirect::to(&format!("/api/4.0/looks/{id}/run/json")).into_response()
}

/// `GET /metrics`: the task engine's counters as Prometheus text. Like `/versions`, it needs no
/// login: it carries counts and durations, never a query or a result.
async fn metrics(axum::extract::State(state): axum::extract::State<AppState>) -> impl axum::response::IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.engine.metrics().prometheus())
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("Not found")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(axum::http::StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
}

/// Ids in paths are strings in API 4.0; ours are integers, so anything else names nothing.
pub fn parse_id(what: &str, id: &str) -> Result<i64, ApiError> {
    id.trim().parse::<i64>().map_err(|_| ApiError::not_found(format!("{what} `{id}` does not exist")))
}

/// The ids of `what` in the query parameter `ids` (comma-separated, or the parameter repeated);
/// empty when absent.
pub fn ids_param(params: &[(String, String)], what: &str) -> Result<Vec<i64>, ApiError> {
    let mut ids = Vec::new();
    for (_, list) in params.iter().filter(|(k, _)| k == "ids") {
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            ids.push(part.parse::<i64>().map_err(|_| ApiError::bad_request(format!("`ids` must be {what} ids, not `{part}`")))?);
        }
    }
    Ok(ids)
}
