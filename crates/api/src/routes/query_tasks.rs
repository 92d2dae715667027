//! `POST /query_tasks`, `GET /query_tasks/{id}`, `GET /query_tasks/{id}/results`,
//! `GET /query_tasks/multi_results`, and the queue as `GET /running_queries` with
//! `DELETE /running_queries/{query_task_id}` to kill a task.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use format::ResultFormat;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use store::QueryTaskStatus;
use wire::operations as op;
use wire::schemas::{QueryTask, RunningQueries};

use super::parse_id;
use crate::auth::Caller;
use crate::body::parse_json;
use crate::declare::Declared;
use crate::{to_wire, ApiError, AppState};

/// Run options as for `run_query` (see `queries`). A `deferred` task is created but not queued
/// until its results are first asked for (`query_task_results` or `multi_results`).
pub static CREATE_QUERY_TASK: Declared = Declared::of(op::CREATE_QUERY_TASK)
    .query(&[
        "limit",
        "fields",
        "cache",
        "cache_only",
        "force_production",
        "rebuild_pdts",
        "apply_formatting",
        "apply_vis",
        "server_table_calcs",
        "generate_drill_links",
        "path_prefix",
    ])
    .body(&["query_id", "result_format", "source", "deferred"]);
pub static QUERY_TASK: Declared = Declared::of(op::QUERY_TASK).query(&["fields"]);
pub static QUERY_TASK_RESULTS: Declared = Declared::of(op::QUERY_TASK_RESULTS);
pub static QUERY_TASK_MULTI_RESULTS: Declared = Declared::of(op::QUERY_TASK_MULTI_RESULTS).query(&["query_task_ids"]);
pub static ALL_RUNNING_QUERIES: Declared = Declared::of(op::ALL_RUNNING_QUERIES);
pub static KILL_QUERY: Declared = Declared::of(op::KILL_QUERY);

/// A `QueryTask` as Sightline answers it: Looker's fields, and beside them `phases`, how long
/// each phase of its run took in seconds (`queue`, `compile`, `cache`, `turn` — waiting for the
/// connection's limits —, `database`, `format`), once it has run.
#[derive(serde::Serialize)]
pub struct QueryTaskAnswer {
    #[serde(flatten)]
    task: QueryTask,
    #[serde(skip_serializing_if = "Option::is_none")]
    phases: Option<Value>,
}

/// Most task ids one `multi_results` call may name.
const MAX_MULTI_IDS: usize = 250;

/// The spec's `CreateQueryTask`.
#[derive(Deserialize)]
struct CreateQueryTask {
    query_id: Option<Value>,
    result_format: Option<String>,
    source: Option<String>,
    #[serde(default)]
    deferred: Option<bool>,
}

pub async fn create_query_task(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Json<QueryTaskAnswer>, ApiError> {
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
    caller.may_run(&state.engine.saved_query(query_id).await?, Some(format))?;
    let cache = super::queries::cache_use(&params);
    let options = store::QueryTaskOptions {
        source: request.source,
        row_limit: params.get("limit").cloned(),
        use_cache: cache.read,
        cache_only: cache.only,
        deferred: request.deferred.unwrap_or(false),
        rebuild_pdts: cache.rebuild_pdts,
        apply_formatting: super::queries::flag(&params, "apply_formatting"),
        apply_vis: super::queries::flag(&params, "apply_vis"),
        drill_links: super::queries::drill_links(&params),
    };
    let task = state.engine.submit_query_task(query_id, caller.user_id, format, &options).await?;
    Ok(Json(with_query(&state, &task).await?))
}

/// The task's wire form, with its saved query and its phase timings.
async fn with_query(state: &AppState, task: &store::QueryTaskRow) -> Result<QueryTaskAnswer, ApiError> {
    let query = match state.engine.store().query(task.query_id).await? {
        Some(stored) => Some(to_wire::stored_query(&stored, &state.base_url)?),
        None => None,
    };
    let phases = task.phases.as_deref().and_then(|p| serde_json::from_str(p).ok());
    Ok(QueryTaskAnswer { task: to_wire::query_task(task, query), phases })
}

fn expired(id: &str) -> ApiError {
    ApiError::not_found(format!("the results of query task `{id}` have expired"))
}

/// True when `caller` may read `task`: their own, or any for an admin.
fn readable(caller: &Caller, task: &store::QueryTaskRow) -> bool {
    task.user_id == caller.user_id || caller.is_admin()
}

/// The task named `id`, if the caller may read it (another user's task is missing to them).
async fn task(state: &AppState, caller: &Caller, id: &str) -> Result<store::QueryTaskRow, ApiError> {
    let missing = || ApiError::not_found(format!("query task `{id}` does not exist"));
    let task = state.engine.store().query_task(id).await?.ok_or_else(missing)?;
    if readable(caller, &task) {
        Ok(task)
    } else {
        Err(missing())
    }
}

pub async fn query_task(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<QueryTaskAnswer>, ApiError> {
    Ok(Json(with_query(&state, &task(&state, &caller, &id).await?).await?))
}

/// 200 with the result once complete; 202 while queued or running, with a JSON string saying so
/// (the spec's 202 body is a string); 400 with the database's message when the task failed; 404
/// once the result has expired.
pub async fn query_task_results(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let task = task(&state, &caller, &id).await?;
    state.engine.start_if_deferred(&task).await?;
    match task.status {
        QueryTaskStatus::Complete => {
            let body = state.engine.store().query_task_payload(&id).await?.ok_or_else(|| expired(&id))?;
            let content_type = task.content_type.unwrap_or_else(|| "application/json".into());
            Ok(crate::payload_body::payload_response(&content_type, body))
        }
        // The spec: a json_detail task that failed answers 200 with the error in `errors`.
        QueryTaskStatus::Error if task.result_format == "json_detail" => {
            let message = task.error.clone().unwrap_or_else(|| "the query task failed".into());
            let sql = match state.engine.saved_query(task.query_id).await {
                Ok(query) => match state.engine.attributes_for(&query.model, Some(task.user_id)).await {
                    Ok(attributes) => state.engine.compile_for(&query, task.row_limit.as_deref(), &attributes).ok().map(|c| c.shown_sql()),
                    Err(_) => None,
                },
                Err(_) => None,
            };
            let errors = json!([{ "message": message, "message_details": null, "sql_error_loc": null }]);
            Ok(Json(json!({ "status": "error", "errors": errors, "data": [], "sql": sql })).into_response())
        }
        QueryTaskStatus::Error | QueryTaskStatus::Killed => {
            Err(ApiError::bad_request(task.error.unwrap_or_else(|| format!("the query task is {}", task.status))))
        }
        status => Ok((StatusCode::ACCEPTED, Json(format!("The query task is {status}; its results are not ready yet."))).into_response()),
    }
}

/// `{task id: {status, data}}` for each named task, as Looker answers: `data` is the result
/// (parsed when it is JSON) once complete, `{errors: [{message}]}` when the task failed;
/// unknown ids are `missing`.
pub async fn query_task_multi_results(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Map<String, Value>>, ApiError> {
    let ids: Vec<&str> =
        params.get("query_task_ids").map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()).unwrap_or_default();
    if ids.is_empty() {
        return Err(ApiError::validation("query_task_ids", "missing", "query_task_ids names the tasks, separated by commas"));
    }
    if ids.len() > MAX_MULTI_IDS {
        return Err(ApiError::validation("query_task_ids", "invalid", format!("at most {MAX_MULTI_IDS} query task ids at once")));
    }
    let mut out = Map::new();
    for id in ids {
        let task = state.engine.store().query_task(id).await?.filter(|t| readable(&caller, t));
        if let Some(t) = &task {
            state.engine.start_if_deferred(t).await?;
        }
        let entry = match task {
            None => json!({ "status": "missing" }),
            Some(t) if t.status == QueryTaskStatus::Complete && !t.has_result => json!({ "status": "expired" }),
            Some(t) if t.status == QueryTaskStatus::Complete => {
                let Some(bytes) = state.engine.store().query_task_result(id).await? else {
                    out.insert(id.to_string(), json!({ "status": "expired" }));
                    continue;
                };
                let is_json = t.content_type.as_deref().is_some_and(|c| c.starts_with("application/json"));
                let data = match serde_json::from_slice::<Value>(&bytes) {
                    Ok(v) if is_json => v,
                    _ => Value::String(String::from_utf8_lossy(&bytes).into_owned()),
                };
                json!({ "status": "complete", "data": data })
            }
            Some(t) if matches!(t.status, QueryTaskStatus::Error | QueryTaskStatus::Killed) => {
                let message = t.error.unwrap_or_else(|| format!("the query task is {}", t.status));
                json!({ "status": t.status.as_str(), "data": { "errors": [{ "message": message }] } })
            }
            Some(t) => json!({ "status": t.status.as_str() }),
        };
        out.insert(id.to_string(), entry);
    }
    Ok(Json(out))
}

/// The query tasks waiting or running, oldest first, each with its place in the queue or what
/// holds it in `message`, its connection and SQL. Every user's with `see_queries`, else the
/// caller's own.
pub async fn all_running_queries(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<RunningQueries>>, ApiError> {
    let mut running = state.engine.running_queries().await?;
    running.retain(|r| caller.owns_or(r.task.user_id, store::Permission::SeeQueries));
    let mut listed = Vec::with_capacity(running.len());
    let mut users = HashMap::new();
    for r in &running {
        if let std::collections::hash_map::Entry::Vacant(slot) = users.entry(r.task.user_id) {
            slot.insert(state.engine.store().user(r.task.user_id).await?);
        }
        let query = match state.engine.store().query(r.task.query_id).await? {
            Some(stored) => Some(to_wire::stored_query(&stored, &state.base_url)?),
            None => None,
        };
        listed.push(to_wire::running_query(r, users.get(&r.task.user_id).and_then(Option::as_ref), query));
    }
    Ok(Json(listed))
}

/// Kills a query task waiting or running: it ends `killed`, and its statement is cancelled in
/// the database (unless an identical query of another task shares it). 404 when the task does
/// not exist or has finished. Another user's task needs `see_queries`.
pub async fn kill_query(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    if let Some(task) = state.engine.store().query_task(&id).await? {
        if !caller.owns_or(task.user_id, store::Permission::SeeQueries) {
            return Err(ApiError::not_found(format!("query task `{id}` is not running")));
        }
    }
    state.engine.kill_query_task(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
