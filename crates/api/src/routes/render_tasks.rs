//! `POST /render_tasks/queries/{query_id}/{result_format}`,
//! `POST /render_tasks/looks/{look_id}/{result_format}`, `GET /render_tasks/{id}`,
//! `GET /render_tasks/{id}/results`.

use std::collections::HashMap;
use store::RenderTaskStatus;

use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use render::ImageFormat;
use wire::operations as op;
use wire::schemas::RenderTask;

use super::parse_id;
use crate::auth::Caller;
use crate::declare::Declared;
use crate::{to_wire, ApiError, AppState};

pub static CREATE_QUERY_RENDER_TASK: Declared = Declared::of(op::CREATE_QUERY_RENDER_TASK).query(&["width", "height", "fields"]);
pub static CREATE_LOOK_RENDER_TASK: Declared = Declared::of(op::CREATE_LOOK_RENDER_TASK).query(&["width", "height", "fields"]);
pub static RENDER_TASK: Declared = Declared::of(op::RENDER_TASK).query(&["fields"]);
pub static RENDER_TASK_RESULTS: Declared = Declared::of(op::RENDER_TASK_RESULTS);

fn side(params: &HashMap<String, String>, name: &str) -> Result<u32, ApiError> {
    let value = params.get(name).ok_or_else(|| ApiError::validation(name, "missing", format!("{name} is required")))?;
    value
        .parse::<u32>()
        .map_err(|_| ApiError::validation(name, "invalid", format!("{name} must be a whole number of pixels, not `{value}`")))
}

pub async fn create_query_render_task(
    State(state): State<AppState>,
    caller: Caller,
    Path((query_id, result_format)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<RenderTask>, ApiError> {
    let format = image_format(&result_format)?;
    let (width, height) = (side(&params, "width")?, side(&params, "height")?);
    let query_id = parse_id("query", &query_id)?;
    let task = state.engine.submit_render_task(query_id, None, caller.user_id, format, width, height).await?;
    Ok(Json(to_wire::render_task(&task)))
}

/// A Look drawn as its query's chart under the Look's title.
pub async fn create_look_render_task(
    State(state): State<AppState>,
    caller: Caller,
    Path((look_id, result_format)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<RenderTask>, ApiError> {
    let format = image_format(&result_format)?;
    let (width, height) = (side(&params, "width")?, side(&params, "height")?);
    let look = super::looks::find(&state, &look_id).await?;
    let task = state.engine.submit_render_task(look.query_id, Some(look.id), caller.user_id, format, width, height).await?;
    Ok(Json(to_wire::render_task(&task)))
}

fn image_format(result_format: &str) -> Result<ImageFormat, ApiError> {
    ImageFormat::parse(result_format).ok_or_else(|| {
        ApiError::validation("result_format", "invalid", format!("Unknown result_format `{result_format}` for a render (png, jpg or pdf)"))
    })
}

async fn task(state: &AppState, id: &str) -> Result<store::RenderTaskRow, ApiError> {
    state.engine.store().render_task(id).await?.ok_or_else(|| ApiError::not_found(format!("render task `{id}` does not exist")))
}

pub async fn render_task(State(state): State<AppState>, _caller: Caller, Path(id): Path<String>) -> Result<Json<RenderTask>, ApiError> {
    Ok(Json(to_wire::render_task(&task(&state, &id).await?)))
}

/// The image once rendered; 202 with an empty body and `Retry-After` until then; 404 once it has
/// expired.
pub async fn render_task_results(State(state): State<AppState>, _caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let task = task(&state, &id).await?;
    match task.status {
        RenderTaskStatus::Success => {
            let bytes = state
                .engine
                .store()
                .render_task_result(&id)
                .await?
                .ok_or_else(|| ApiError::not_found(format!("the image of render task `{id}` has expired")))?;
            let content_type = ImageFormat::parse(&task.result_format).unwrap_or(ImageFormat::Png).content_type();
            Ok(([(CONTENT_TYPE, content_type)], bytes).into_response())
        }
        RenderTaskStatus::Failure => Err(ApiError::bad_request(task.status_detail.unwrap_or_else(|| "the render task failed".into()))),
        _ => Ok((StatusCode::ACCEPTED, [(RETRY_AFTER, "1")], "").into_response()),
    }
}
