//! `POST /queries`, `GET /queries/{query_id}`, `GET /queries/slug/{slug}`,
//! `POST /queries/run/{result_format}`, `GET /queries/{query_id}/run/{result_format}`,
//! `GET /queries/models/{model}/views/{view}/run/{result_format}`, and the share URLs
//! (`/x/{slug}`, `/explore/{model}/{view}?…`) that `Query.share_url` and `url` name.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use engine::{Answer, CacheUse, Image, QueryBody};
use format::{Rendering, ResultFormat};
use render::ImageFormat;
use wire::operations as op;
use wire::schemas::Query as WireQuery;

use super::{parse_id, url_query};
use crate::auth::Caller;
use crate::body::parse_json;
use crate::declare::Declared;
use crate::{to_wire, ApiError, AppState};

/// Every writable field of the spec's `Query`: `QueryBody` reads each one, and refuses by name
/// the values it cannot run yet (shortcut table calculations, among others).
pub const QUERY_FIELDS: &[&str] = &[
    "model",
    "view",
    "fields",
    "pivots",
    "fill_fields",
    "filters",
    "filter_expression",
    "sorts",
    "limit",
    "column_limit",
    "total",
    "row_total",
    "subtotals",
    "vis_config",
    "filter_config",
    "visible_ui_sections",
    "dynamic_fields",
    "client_id",
    "query_timezone",
];

/// Run options: `cache` (serve a fresh cached result; default true), `cache_only` (serve
/// any cached result, even stale; with none, the query runs) and `rebuild_pdts` (build the
/// persistent derived tables the query reads again) and `apply_formatting` (cells rendered by
/// their value formats) as Looker reads them; there is no development mode
/// (`force_production`). Table calculations are always evaluated on the server, so
/// `server_table_calcs` is honoured either way; `apply_vis` shapes the table by the query's
/// `vis_config`; `generate_drill_links` (with `path_prefix`) puts links in json_detail cells.
pub const RUN_QUERY_PARAMS: &[&str] = &[
    "limit",
    "cache",
    "cache_only",
    "force_production",
    "rebuild_pdts",
    "apply_formatting",
    "apply_vis",
    "server_table_calcs",
    "generate_drill_links",
    "path_prefix",
    "image_width",
    "image_height",
];

/// The chart's size when `image_width`/`image_height` are not given.
const DEFAULT_IMAGE_SIZE: (u32, u32) = (800, 600);

/// `png` and `jpg` (the image formats `run_query` answers in): the query drawn as its chart.
/// `image_width`/`image_height` size it and mean nothing for other formats, so there they are
/// refused by name rather than ignored.
fn image_format(result_format: &str, params: &HashMap<String, String>) -> Result<Option<ImageFormat>, ApiError> {
    let image = ImageFormat::parse(result_format).filter(|f| *f != ImageFormat::Pdf);
    if image.is_none() {
        for name in ["image_width", "image_height"] {
            if params.contains_key(name) {
                return Err(ApiError::validation(name, "invalid", format!("{name} applies to the png and jpg formats only")));
            }
        }
    }
    Ok(image)
}

fn image_side(params: &HashMap<String, String>, name: &str, default: u32) -> Result<u32, ApiError> {
    match params.get(name) {
        None => Ok(default),
        Some(value) => value
            .parse::<u32>()
            .map_err(|_| ApiError::validation(name, "invalid", format!("{name} must be a whole number of pixels, not `{value}`"))),
    }
}

/// `query` drawn in `image`, sized by `image_width`/`image_height`, its rows within `limit`;
/// `title` replaces the query's own.
async fn image_response(
    state: &AppState,
    query: &QueryBody,
    title: Option<&str>,
    image: ImageFormat,
    params: &HashMap<String, String>,
    user: i64,
) -> Result<Response, ApiError> {
    let width = image_side(params, "image_width", DEFAULT_IMAGE_SIZE.0)?;
    let height = image_side(params, "image_height", DEFAULT_IMAGE_SIZE.1)?;
    let limit = params.get("limit").map(String::as_str);
    let bytes = state.engine.render_query(query, title, limit, Image { format: image, width, height }, Some(user)).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, image.content_type())], bytes).into_response())
}

/// A boolean parameter of a request (the declaration has checked it is one), false when absent.
pub fn flag(params: &HashMap<String, String>, name: &str) -> bool {
    params.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// `generate_drill_links` with its `path_prefix` (json_detail cells' link URLs start with it).
pub fn drill_links(params: &HashMap<String, String>) -> Option<String> {
    flag(params, "generate_drill_links").then(|| params.get("path_prefix").cloned().unwrap_or_default())
}

fn rendering(format: ResultFormat, params: &HashMap<String, String>) -> Rendering {
    Rendering {
        format,
        apply_formatting: flag(params, "apply_formatting"),
        apply_vis: flag(params, "apply_vis"),
        drill_links: drill_links(params),
    }
}

/// `cache` and `cache_only` of a request (the declaration has checked they are booleans).
pub fn cache_use(params: &HashMap<String, String>) -> CacheUse {
    let flag = |name: &str| params.get(name).map(|v| v.eq_ignore_ascii_case("true"));
    CacheUse {
        read: flag("cache").unwrap_or(true),
        only: flag("cache_only").unwrap_or(false),
        rebuild_pdts: flag("rebuild_pdts").unwrap_or(false),
    }
}

pub static CREATE_QUERY: Declared = Declared::of(op::CREATE_QUERY).query(&["fields"]).body(QUERY_FIELDS);
pub static QUERY: Declared = Declared::of(op::QUERY).query(&["fields"]);
pub static QUERY_FOR_SLUG: Declared = Declared::of(op::QUERY_FOR_SLUG).query(&["fields"]);
/// The spec declares no query parameters here: the query itself is the query string, read by
/// `url_query` (which refuses any part it does not read).
pub static RUN_URL_ENCODED_QUERY: Declared = Declared::of(op::RUN_URL_ENCODED_QUERY);
pub static RUN_INLINE_QUERY: Declared = Declared::of(op::RUN_INLINE_QUERY).query(RUN_QUERY_PARAMS).body(QUERY_FIELDS);
pub static RUN_QUERY: Declared = Declared::of(op::RUN_QUERY).query(RUN_QUERY_PARAMS);

pub async fn create_query(State(state): State<AppState>, caller: Caller, body: Bytes) -> Result<Json<WireQuery>, ApiError> {
    let query: QueryBody = parse_json(&body)?;
    caller.may_create(&query)?;
    // Looker checks the model, explore and fields when the query is created.
    state.engine.compile(&query, None)?;
    let stored = state.engine.store().save_query(&query.normalised_json()).await?;
    Ok(Json(to_wire::query(stored.id, &stored.slug, &query, &state.base_url)))
}

pub async fn query(State(state): State<AppState>, caller: Caller, Path(query_id): Path<String>) -> Result<Json<WireQuery>, ApiError> {
    let id = parse_id("query", &query_id)?;
    let missing = || ApiError::not_found(format!("query `{query_id}` does not exist"));
    let stored = state.engine.store().query(id).await?.ok_or_else(missing)?;
    let query = to_wire::stored_query(&stored, &state.base_url)?;
    // A query on a model the caller may not see is not theirs to read.
    if !caller.sees_model(&query.model) {
        return Err(missing());
    }
    Ok(Json(query))
}

pub async fn query_for_slug(State(state): State<AppState>, caller: Caller, Path(slug): Path<String>) -> Result<Json<WireQuery>, ApiError> {
    let missing = || ApiError::not_found(format!("no query has slug `{slug}`"));
    let stored = state.engine.store().query_by_slug(&slug).await?.ok_or_else(missing)?;
    let query = to_wire::stored_query(&stored, &state.base_url)?;
    if !caller.sees_model(&query.model) {
        return Err(missing());
    }
    Ok(Json(query))
}

pub async fn run_url_encoded_query(
    State(state): State<AppState>,
    caller: Caller,
    Path((model, view, result_format)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let format = path_format(&result_format)?;
    let query = url_query::read(&model, &view, query.as_deref().unwrap_or(""))?;
    caller.may_create(&query)?;
    caller.may_run(&query, Some(format))?;
    Ok(respond(state.engine.run(&query, format, None, CacheUse::default(), Some(caller.user_id)).await?))
}

/// `GET /x/{slug}` (a query's `share_url`): redirects to its explore URL.
pub async fn share_url(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response, ApiError> {
    let stored =
        state.engine.store().query_by_slug(&slug).await?.ok_or_else(|| ApiError::not_found(format!("no query has slug `{slug}`")))?;
    let url = to_wire::stored_query(&stored, &state.base_url)?.url.unwrap_or_default();
    Ok(Redirect::to(&url).into_response())
}

/// `GET /explore/{model}/{view}?…` (a query's `url`): Sightline has no explore page, so the URL
/// runs the same query through the API as JSON (`run_url_encoded_query`, authenticated as
/// every API call).
pub async fn explore_url(Path((model, view)): Path<(String, String)>, RawQuery(query): RawQuery) -> Response {
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    Redirect::to(&format!("/api/4.0/queries/models/{model}/views/{view}/run/json{query}")).into_response()
}

/// The result format named in a path; unknown names are a 400 that names them.
pub fn path_format(name: &str) -> Result<ResultFormat, ApiError> {
    ResultFormat::parse(name)
        .ok_or_else(|| ApiError::bad_request(format!("Unknown result_format `{name}` (one of: {})", format::LOOKER_FORMATS.join(", "))))
}

fn respond(answer: Answer) -> Response {
    crate::payload_body::payload_response(answer.output.content_type, answer.output.body)
}

pub async fn run_inline_query(
    State(state): State<AppState>,
    caller: Caller,
    Path(result_format): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let query: QueryBody = parse_json(&body)?;
    caller.may_create(&query)?;
    if let Some(image) = image_format(&result_format, &params)? {
        return image_response(&state, &query, None, image, &params, caller.user_id).await;
    }
    let format = rendering(path_format(&result_format)?, &params);
    caller.may_run(&query, Some(format.format))?;
    Ok(respond(state.engine.run(&query, format, params.get("limit").map(String::as_str), cache_use(&params), Some(caller.user_id)).await?))
}

pub async fn run_query(
    State(state): State<AppState>,
    caller: Caller,
    Path((query_id, result_format)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let id = parse_id("query", &query_id)?;
    run_saved(&state, &caller, id, &result_format, &params, None).await
}

/// Saved query `id` run in `result_format` with `run_query`'s parameters (`run_look` too); an
/// image carries `title` when given.
pub async fn run_saved(
    state: &AppState,
    caller: &Caller,
    id: i64,
    result_format: &str,
    params: &HashMap<String, String>,
    title: Option<&str>,
) -> Result<Response, ApiError> {
    let query = state.engine.saved_query(id).await?;
    if let Some(image) = image_format(result_format, params)? {
        caller.may_run(&query, None)?;
        return image_response(state, &query, title, image, params, caller.user_id).await;
    }
    let format = rendering(path_format(result_format)?, params);
    caller.may_run(&query, Some(format.format))?;
    Ok(respond(state.engine.run(&query, format, params.get("limit").map(String::as_str), cache_use(params), Some(caller.user_id)).await?))
}
