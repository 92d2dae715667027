//! Route table for `/api/4.0`. Paths and parameter names are the OpenAPI spec's.

mod connection_body;
mod connections;
mod lookml;
mod queries;
mod query_tasks;
mod render_tasks;
mod session;

use axum::routing::{delete, get, post, put};
use axum::Router;

use crate::{ApiError, AppState};

pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/login", post(session::login))
        .route("/logout", delete(session::logout))
        .route("/user", get(session::me))
        .route("/versions", get(session::versions))
        .route("/queries", post(queries::create_query))
        .route("/queries/{query_id}", get(queries::query))
        .route("/queries/run/{result_format}", post(queries::run_inline_query))
        .route("/queries/{query_id}/run/{result_format}", get(queries::run_query))
        .route("/query_tasks", post(query_tasks::create_query_task))
        .route("/query_tasks/{query_task_id}", get(query_tasks::query_task))
        .route("/query_tasks/{query_task_id}/results", get(query_tasks::query_task_results))
        .route("/connections", get(connections::all_connections).post(connections::create_connection))
        .route(
            "/connections/{connection_name}",
            get(connections::connection).patch(connections::update_connection).delete(connections::delete_connection),
        )
        .route("/connections/{connection_name}/test", put(connections::test_connection))
        .route("/dialect_info", get(connections::all_dialect_infos))
        .route("/lookml_models", get(lookml::all_lookml_models))
        .route("/lookml_models/{lookml_model_name}", get(lookml::lookml_model))
        .route("/lookml_models/{lookml_model_name}/explores/{explore_name}", get(lookml::lookml_model_explore))
        .route("/render_tasks/queries/{query_id}/{result_format}", post(render_tasks::create_query_render_task))
        .route("/render_tasks/{render_task_id}", get(render_tasks::render_task))
        .route("/render_tasks/{render_task_id}/results", get(render_tasks::render_task_results))
}

/// Routes outside the versioned prefix: the official SDKs log out with `DELETE /api/logout`.
pub fn unversioned_routes() -> Router<AppState> {
    Router::new().route("/api/logout", delete(session::logout))
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
