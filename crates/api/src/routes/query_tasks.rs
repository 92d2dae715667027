//! `POST /query_tasks`, `GET /query_tasks/{id}`, `GET /query_tasks/{id}/results`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use format::ResultFormat;
use serde::Deserialize;
use serde_json::Value;

use super::parse_id;
use crate::auth::Caller;
use crate::body::parse_json;
use crate::{wire, ApiError, AppState};

/// The spec's `CreateQueryTask`.
#[derive(Deserialize)]
struct CreateQueryTask {
    query_id: Option<Value>,
    result_format: Option<String>,
    source: Option<String>,
}

pub async fn create_query_task(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let request: CreateQueryTask = parse_json(&body)?;
    let query_id = match request.query_id {
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(ApiError::validation("query_id", "missing", "query_id is required")),
    };
    let Some(format_name) = request.result_format else {
        return Err(ApiError::validation("result_format", "missing", "result_format is required"));
    };
    let format = ResultFormat::parse(&format_name)
        .filter(|f| !matches!(f, ResultFormat::NotYet("png" | "jpg")))
        .ok_or_else(|| ApiError::validation("result_format", "invalid", format!("Unknown result_format `{format_name}`")))?;
    let query_id = parse_id("query", &query_id)?;
    let task = state
        .engine
        .submit_query_task(query_id, caller.user_id, format, request.source.as_deref(), params.get("limit").map(String::as_str))
        .await?;
    Ok(Json(wire::query_task(&task)))
}

async fn task(state: &AppState, id: &str) -> Result<store::QueryTaskRow, ApiError> {
    state.engine.store().query_task(id).await?.ok_or_else(|| ApiError::not_found(format!("query task `{id}` does not exist")))
}

pub async fn query_task(State(state): State<AppState>, _caller: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(wire::query_task(&task(&state, &id).await?)))
}

/// 200 with the result once complete; 202 while queued or running; 400 with the database's
/// message when the task failed.
pub async fn query_task_results(State(state): State<AppState>, _caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let task = task(&state, &id).await?;
    match task.status.as_str() {
        "complete" => {
            let body = state.engine.store().query_task_result(&id).await?.unwrap_or_default();
            let content_type = task.content_type.unwrap_or_else(|| "application/json".into());
            Ok(([(CONTENT_TYPE, content_type)], body).into_response())
        }
        "error" => Err(ApiError::bad_request(task.error.unwrap_or_else(|| "the query task failed".into()))),
        _ => Ok((StatusCode::ACCEPTED, [(CONTENT_TYPE, "application/json")], "").into_response()),
    }
}
