//! Looks: `GET /looks`, `POST /looks`, `GET/PATCH/DELETE /looks/{look_id}`, `GET /looks/search`
//! and `GET /looks/{look_id}/run/{result_format}` (a Look runs its saved query as `run_query`
//! does; as an image it carries the Look's title). Render tasks of Looks are in
//! `render_tasks.rs`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde_json::Value;
use store::{ContentColumn, Look, LookChange, NewLook, Permission};
use wire::operations as op;
use wire::schemas::LookWithQuery;

use super::content_body::{search_of, ContentBody};
use super::parse_id;
use super::queries::{run_saved, RUN_QUERY_PARAMS};
use crate::auth::Caller;
use crate::declare::Declared;
use crate::{to_wire, ApiError, AppState};

/// The body fields a Look is written with. `folder` is read for its id (a Look's body does not
/// rename or move its folder); `model` must be its query's; `query` saves a new query for it.
/// `certification_metadata` is refused.
const LOOK_FIELDS: &[&str] =
    &["title", "description", "query_id", "query", "folder_id", "folder", "user_id", "is_run_on_load", "public", "model"];

pub static ALL_LOOKS: Declared = Declared::of(op::ALL_LOOKS).query(&["fields"]);
/// A new Look is not created in the trash: `deleted` only as false.
pub static CREATE_LOOK: Declared = Declared::of(op::CREATE_LOOK).query(&["fields"]).body(LOOK_FIELDS).body_off(&["deleted"]);
pub static LOOK: Declared = Declared::of(op::LOOK).query(&["fields"]);
pub static UPDATE_LOOK: Declared = Declared::of(op::UPDATE_LOOK).query(&["fields"]).body(&[
    "title",
    "description",
    "query_id",
    "query",
    "folder_id",
    "folder",
    "user_id",
    "is_run_on_load",
    "public",
    "model",
    "deleted",
]);
pub static DELETE_LOOK: Declared = Declared::of(op::DELETE_LOOK);
/// Favorites, view counts and curation do not exist here: `content_favorite_id`, `view_count`,
/// `curate` and `last_viewed_at` are refused by name.
pub static SEARCH_LOOKS: Declared = Declared::of(op::SEARCH_LOOKS).query(&[
    "id",
    "title",
    "description",
    "folder_id",
    "user_id",
    "query_id",
    "deleted",
    "filter_or",
    "sorts",
    "limit",
    "offset",
    "page",
    "per_page",
    "fields",
]);
pub static RUN_LOOK: Declared = Declared::of(op::RUN_LOOK).query(RUN_QUERY_PARAMS);

/// Looker's answer for a Look that does not exist.
fn missing(id: &str) -> ApiError {
    ApiError::not_found(format!("Look `{id}` does not exist"))
}

/// Look `id` from the path, deleted (in the trash) or not, if the caller may see it.
pub async fn find(state: &AppState, caller: &Caller, id: &str) -> Result<Look, ApiError> {
    let look_id = parse_id("Look", id).map_err(|_| missing(id))?;
    let look = state.engine.store().look(look_id).await?.ok_or_else(|| missing(id))?;
    if seen_by(state, caller, &look).await? {
        Ok(look)
    } else {
        Err(missing(id))
    }
}

/// True when `caller` holds `see_looks` on the model of the Look's query.
async fn seen_by(state: &AppState, caller: &Caller, look: &Look) -> Result<bool, ApiError> {
    let model = state.engine.saved_query(look.query_id).await?.model;
    Ok(caller.grants.has_on(Permission::SeeLooks, &model))
}

/// The Looks among `looks` the caller may see.
async fn seen(state: &AppState, caller: &Caller, looks: Vec<Look>) -> Result<Vec<Look>, ApiError> {
    let mut out = Vec::with_capacity(looks.len());
    for look in looks {
        if seen_by(state, caller, &look).await? {
            out.push(look);
        }
    }
    Ok(out)
}

/// `look` as `LookWithQuery`, its query included when `with_query`.
pub async fn shown(state: &AppState, look: &Look, with_query: bool) -> Result<LookWithQuery, ApiError> {
    let store = state.engine.store();
    let folder = store.folder(look.folder_id).await?;
    let owner = store.user(look.user_id).await?;
    let query = match store.query(look.query_id).await? {
        Some(stored) => Some(to_wire::stored_query(&stored, &state.base_url)?),
        None => None,
    };
    let model = query.as_ref().map(|q| q.model.clone());
    let context = to_wire::LookContext { folder: folder.as_ref(), owner: owner.as_ref(), query: query.filter(|_| with_query), model };
    Ok(to_wire::look(look, context))
}

async fn shown_all(state: &AppState, looks: &[Look]) -> Result<Vec<LookWithQuery>, ApiError> {
    let mut out = Vec::with_capacity(looks.len());
    for look in looks {
        out.push(shown(state, look, false).await?);
    }
    Ok(out)
}

pub async fn all_looks(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<LookWithQuery>>, ApiError> {
    let looks = seen(&state, &caller, state.engine.store().all_looks().await?).await?;
    Ok(Json(shown_all(&state, &looks).await?))
}

pub async fn look(State(state): State<AppState>, caller: Caller, Path(look_id): Path<String>) -> Result<Json<LookWithQuery>, ApiError> {
    let look = find(&state, &caller, &look_id).await?;
    Ok(Json(shown(&state, &look, true).await?))
}

pub async fn create_look(State(state): State<AppState>, caller: Caller, body: Bytes) -> Result<Json<LookWithQuery>, ApiError> {
    caller.require(Permission::SaveContent)?;
    let body = ContentBody::parse(&body)?;
    let title = body.title()?.ok_or_else(|| ApiError::validation("title", "missing_field", "title is required"))?;
    let query_id = body.query_id(&state, &caller).await?.ok_or_else(|| {
        ApiError::validation("query_id", "missing_field", "query_id (or a query to save) is required: a Look is a saved query")
    })?;
    let folder_id = body.folder_id(&state, None).await?.ok_or_else(|| {
        ApiError::validation(
            "folder_id",
            "missing_field",
            "folder_id is required (the caller's personal folder is `personal_folder_id` of GET /user)",
        )
    })?;
    let user_id = body.user_id(&state).await?.unwrap_or(caller.user_id);
    check_model(&state, &body, query_id).await?;
    may_save_query(&state, &caller, query_id).await?;
    let store = state.engine.store();
    if store.look_titled(folder_id, &title, None).await?.is_some() {
        return Err(title_taken(&title, folder_id));
    }
    let new = NewLook {
        title,
        description: body.description()?.flatten(),
        query_id,
        user_id,
        folder_id,
        is_run_on_load: body.flag("is_run_on_load")?.unwrap_or(false),
        public: body.flag("public")?.unwrap_or(false),
    };
    let look = store.create_look(&new).await?;
    Ok(Json(shown(&state, &look, true).await?))
}

pub async fn update_look(
    State(state): State<AppState>,
    caller: Caller,
    Path(look_id): Path<String>,
    body: Bytes,
) -> Result<Json<LookWithQuery>, ApiError> {
    caller.require(Permission::SaveContent)?;
    let look = find(&state, &caller, &look_id).await?;
    let body = ContentBody::parse(&body)?;
    let change = LookChange {
        title: body.title()?,
        description: body.description()?,
        query_id: body.query_id(&state, &caller).await?,
        user_id: body.user_id(&state).await?,
        folder_id: body.folder_id(&state, Some(look.folder_id)).await?,
        is_run_on_load: body.flag("is_run_on_load")?,
        public: body.flag("public")?,
        deleted: body.flag("deleted")?,
    };
    check_model(&state, &body, change.query_id.unwrap_or(look.query_id)).await?;
    if let Some(query_id) = change.query_id {
        may_save_query(&state, &caller, query_id).await?;
    }
    let title = change.title.as_deref().unwrap_or(&look.title);
    let folder_id = change.folder_id.unwrap_or(look.folder_id);
    let in_trash = change.deleted.unwrap_or(look.deleted);
    if !in_trash && state.engine.store().look_titled(folder_id, title, Some(look.id)).await?.is_some() {
        return Err(title_taken(title, folder_id));
    }
    let updated = state.engine.store().update_look(look.id, &change, caller.user_id).await?.ok_or_else(|| missing(&look_id))?;
    Ok(Json(shown(&state, &updated, true).await?))
}

pub async fn delete_look(State(state): State<AppState>, caller: Caller, Path(look_id): Path<String>) -> Result<StatusCode, ApiError> {
    caller.require(Permission::SaveContent)?;
    let look = find(&state, &caller, &look_id).await?;
    if state.engine.store().delete_look(look.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(missing(&look_id))
    }
}

pub async fn search_looks(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Vec<LookWithQuery>>, ApiError> {
    let columns: Vec<ContentColumn> = ContentColumn::ALL.iter().map(|(_, c)| *c).collect();
    let search = search_of(&params, &columns)?;
    // Paging applies before the filter by permission, so a page may come back short.
    let looks = seen(&state, &caller, state.engine.store().search_looks(&search).await?).await?;
    Ok(Json(shown_all(&state, &looks).await?))
}

pub async fn run_look(
    State(state): State<AppState>,
    caller: Caller,
    Path((look_id, result_format)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let look = find(&state, &caller, &look_id).await?;
    run_saved(&state, &caller, look.query_id, &result_format, &params, Some(&look.title)).await
}

/// Saving a query in a Look needs the right to see Looks on its model (`see_looks`).
async fn may_save_query(state: &AppState, caller: &Caller, query_id: i64) -> Result<(), ApiError> {
    let model = state.engine.saved_query(query_id).await?.model;
    caller.require_on(Permission::SeeLooks, &model)
}

fn title_taken(title: &str, folder: i64) -> ApiError {
    ApiError::conflict(format!("a Look titled `{title}` already exists in folder {folder}"))
}

/// `model`, when the body names one, must be the model of the Look's query: a Look's model is
/// its query's, not set apart from it.
async fn check_model(state: &AppState, body: &ContentBody, query_id: i64) -> Result<(), ApiError> {
    let Some(model) = body.fields.get("model").filter(|v| !v.is_null()) else { return Ok(()) };
    let named = match model {
        Value::Object(m) => m.get("id").and_then(Value::as_str),
        _ => return Err(ApiError::validation("model", "invalid", "model must be an object ({\"id\": …})")),
    };
    let Some(named) = named else { return Ok(()) };
    let query = state.engine.saved_query(query_id).await?;
    if named == query.model {
        Ok(())
    } else {
        Err(ApiError::validation("model", "invalid", format!("model `{named}` is not the model of the Look's query (`{}`)", query.model)))
    }
}
