//! `POST /queries`, `GET /queries/{query_id}`, `POST /queries/run/{result_format}`,
//! `GET /queries/{query_id}/run/{result_format}`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::{Output, QueryBody};
use format::ResultFormat;
use serde_json::Value;

use super::parse_id;
use crate::auth::Caller;
use crate::body::parse_json;
use crate::{wire, ApiError, AppState};

pub async fn create_query(State(state): State<AppState>, _caller: Caller, body: Bytes) -> Result<Json<Value>, ApiError> {
    let query: QueryBody = parse_json(&body)?;
    // Looker checks the model, explore and fields when the query is created.
    state.engine.compile(&query, None)?;
    let stored = state.engine.store().save_query(&query.normalised_json()).await?;
    Ok(Json(wire::query(stored.id, &stored.slug, &query, &state.base_url)))
}

pub async fn query(State(state): State<AppState>, _caller: Caller, Path(query_id): Path<String>) -> Result<Json<Value>, ApiError> {
    let id = parse_id("query", &query_id)?;
    let stored = state.engine.store().query(id).await?.ok_or_else(|| ApiError::not_found(format!("query `{query_id}` does not exist")))?;
    let body: QueryBody = serde_json::from_str(&stored.body).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Json(wire::query(stored.id, &stored.slug, &body, &state.base_url)))
}

/// The result format named in a path; unknown names are a 400 that names them.
pub fn path_format(name: &str) -> Result<ResultFormat, ApiError> {
    ResultFormat::parse(name)
        .ok_or_else(|| ApiError::bad_request(format!("Unknown result_format `{name}` (one of: {})", format::LOOKER_FORMATS.join(", "))))
}

fn respond(output: Output) -> Response {
    ([(CONTENT_TYPE, output.content_type)], output.body).into_response()
}

pub async fn run_inline_query(
    State(state): State<AppState>,
    _caller: Caller,
    Path(result_format): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let format = path_format(&result_format)?;
    let query: QueryBody = parse_json(&body)?;
    Ok(respond(state.engine.run(&query, format, params.get("limit").map(String::as_str)).await?))
}

pub async fn run_query(
    State(state): State<AppState>,
    _caller: Caller,
    Path((query_id, result_format)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let format = path_format(&result_format)?;
    let query = state.engine.saved_query(parse_id("query", &query_id)?).await?;
    Ok(respond(state.engine.run(&query, format, params.get("limit").map(String::as_str)).await?))
}
