//! `POST /render_tasks/queries/{query_id}/{result_format}`,
//! `POST /render_tasks/looks/{look_id}/{result_format}`,
//! `POST /render_tasks/dashboards/{dashboard_id}/{result_format}`,
//! `POST /render_tasks/dashboard_elements/{dashboard_element_id}/{result_format}`, `GET /render_tasks/{id}`,
//! `GET /render_tasks/{id}/results`.

use std::collections::HashMap;
use store::RenderTaskStatus;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::Image;
use render::{DashboardStyle, ImageFormat};
use serde_json::Value;
use store::RenderSource;
use wire::operations as op;
use wire::schemas::RenderTask;

use super::parse_id;
use crate::auth::Caller;
use crate::declare::Declared;
use crate::{to_wire, ApiError, AppState};

pub static CREATE_QUERY_RENDER_TASK: Declared = Declared::of(op::CREATE_QUERY_RENDER_TASK).query(&["width", "height", "fields"]);
pub static CREATE_LOOK_RENDER_TASK: Declared = Declared::of(op::CREATE_LOOK_RENDER_TASK).query(&["width", "height", "fields"]);
pub static CREATE_DASHBOARD_RENDER_TASK: Declared = Declared::of(op::CREATE_DASHBOARD_RENDER_TASK)
    .query(&["width", "height", "fields", "pdf_paper_size", "pdf_landscape", "long_tables"])
    .body(&["dashboard_style", "dashboard_filters"]);
pub static CREATE_DASHBOARD_ELEMENT_RENDER_TASK: Declared =
    Declared::of(op::CREATE_DASHBOARD_ELEMENT_RENDER_TASK).query(&["width", "height", "fields"]);
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
    caller.may_run(&state.engine.saved_query(query_id).await?, None)?;
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
    let look = super::looks::find(&state, &caller, &look_id).await?;
    let task = state.engine.submit_render_task(look.query_id, Some(look.id), caller.user_id, format, width, height).await?;
    Ok(Json(to_wire::render_task(&task)))
}

/// A dashboard (by id, or a LookML dashboard as `model::name`) drawn `tiled` (on its grid, the
/// default) or in a `single_column`. `dashboard_filters` (URL query form, by filter name or
/// title) sets the dashboard's filters (each must be one of them; a `required` one must have a
/// value). `pdf_paper_size` (with `pdf_landscape`) lays a PDF on pages of
/// that paper; without it the PDF is one page of the image's size. `long_tables` grows table
/// tiles to show every row (over more pages, or a taller image); themes and tabs are refused by
/// name.
pub async fn create_dashboard_render_task(
    State(state): State<AppState>,
    caller: Caller,
    Path((dashboard_id, result_format)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Json<RenderTask>, ApiError> {
    let format = image_format(&result_format)?;
    let (width, height) = (side(&params, "width")?, side(&params, "height")?);
    let body: Value = if body.iter().all(u8::is_ascii_whitespace) { Value::Null } else { crate::body::parse_json(&body)? };
    let filters = match body.get("dashboard_filters").filter(|f| !f.is_null()) {
        None => String::new(),
        Some(Value::String(f)) => f.trim().to_string(),
        Some(_) => return Err(ApiError::validation("dashboard_filters", "invalid", "dashboard_filters must be text in URL query form")),
    };
    let style = match body.get("dashboard_style").filter(|s| !s.is_null()) {
        None => DashboardStyle::Tiled,
        Some(Value::String(name)) => DashboardStyle::parse(name).ok_or_else(|| {
            ApiError::validation("dashboard_style", "invalid", format!("dashboard_style `{name}` is neither tiled nor single_column"))
        })?,
        Some(_) => return Err(ApiError::validation("dashboard_style", "invalid", "dashboard_style must be tiled or single_column")),
    };
    let pdf_paper = pdf_paper(&params, format)?;
    let long_tables = match params.get("long_tables").map(String::as_str) {
        None | Some("" | "false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::validation("long_tables", "invalid", "long_tables must be true or false")),
    };
    let source = if dashboard_id.contains("::") {
        super::dashboards::may_see_lookml_dashboard(&caller, &dashboard_id)?;
        state.engine.check_lookml_dashboard(&dashboard_id, &filters)?;
        RenderSource::LookmlDashboard { id: dashboard_id, style: style.name().to_string(), filters, pdf_paper, long_tables }
    } else {
        let dashboard = super::dashboards::find(&state, &caller, &dashboard_id).await?;
        state.engine.check_dashboard_filters(dashboard.id, &filters).await?;
        RenderSource::Dashboard { dashboard_id: dashboard.id, style: style.name().to_string(), filters, pdf_paper, long_tables }
    };
    let task = state.engine.submit_content_render_task(&source, caller.user_id, Image { format, width, height }).await?;
    Ok(Json(to_wire::render_task(&task)))
}

/// One element of a dashboard: its chart at the whole size, or its text.
pub async fn create_dashboard_element_render_task(
    State(state): State<AppState>,
    caller: Caller,
    Path((element_id, result_format)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<RenderTask>, ApiError> {
    let format = image_format(&result_format)?;
    let (width, height) = (side(&params, "width")?, side(&params, "height")?);
    caller.require(store::Permission::SeeUserDashboards)?;
    let element = super::dashboard_elements::find(&state, &element_id).await?;
    let source = RenderSource::Element { element_id: element.id };
    let task = state.engine.submit_content_render_task(&source, caller.user_id, Image { format, width, height }).await?;
    Ok(Json(to_wire::render_task(&task)))
}

/// `pdf_paper_size` and `pdf_landscape` of a dashboard's PDF (`a4`, `a4 landscape`); `None`
/// for one page of the image's size. Both mean nothing for an image, and `pdf_landscape` means
/// nothing without a paper size: there they are refused by name.
fn pdf_paper(params: &HashMap<String, String>, format: ImageFormat) -> Result<Option<String>, ApiError> {
    let landscape = params.get("pdf_landscape").is_some_and(|v| v == "true");
    let Some(size) = params.get("pdf_paper_size").filter(|s| !s.is_empty()) else {
        if landscape {
            return Err(ApiError::validation("pdf_landscape", "invalid", "pdf_landscape turns a pdf_paper_size page; give one"));
        }
        return Ok(None);
    };
    if format != ImageFormat::Pdf {
        return Err(ApiError::validation("pdf_paper_size", "invalid", "pdf_paper_size applies to the pdf format only"));
    }
    if render::Paper::named(size, landscape).is_none() {
        return Err(ApiError::validation(
            "pdf_paper_size",
            "invalid",
            format!("pdf_paper_size `{}` is not one of {}", size.chars().take(40).collect::<String>(), render::PAPER_SIZES.join(", ")),
        ));
    }
    Ok(Some(if landscape { format!("{size} landscape") } else { size.clone() }))
}

fn image_format(result_format: &str) -> Result<ImageFormat, ApiError> {
    ImageFormat::parse(result_format).ok_or_else(|| {
        ApiError::validation("result_format", "invalid", format!("Unknown result_format `{result_format}` for a render (png, jpg or pdf)"))
    })
}

/// The render task named `id`, if it is the caller's (or the caller is an admin).
async fn task(state: &AppState, caller: &Caller, id: &str) -> Result<store::RenderTaskRow, ApiError> {
    let missing = || ApiError::not_found(format!("render task `{id}` does not exist"));
    let task = state.engine.store().render_task(id).await?.ok_or_else(missing)?;
    if task.user_id == caller.user_id || caller.is_admin() {
        Ok(task)
    } else {
        Err(missing())
    }
}

pub async fn render_task(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<RenderTask>, ApiError> {
    Ok(Json(to_wire::render_task(&task(&state, &caller, &id).await?)))
}

/// The image once rendered; 202 with an empty body and `Retry-After` until then; 404 once it has
/// expired.
pub async fn render_task_results(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let task = task(&state, &caller, &id).await?;
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
