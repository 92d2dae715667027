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
use engine::QueryBody;
use serde_json::{Map, Value};
use store::{Look, LookChange, ContentColumn, ContentSearch, NewLook, TextMatch};
use wire::operations as op;
use wire::schemas::LookWithQuery;

use super::parse_id;
use super::queries::{run_saved, QUERY_FIELDS, RUN_QUERY_PARAMS};
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

/// Look `id` from the path, deleted (in the trash) or not.
pub async fn find(state: &AppState, id: &str) -> Result<Look, ApiError> {
    let look_id = parse_id("Look", id).map_err(|_| missing(id))?;
    state.engine.store().look(look_id).await?.ok_or_else(|| missing(id))
}

/// `look` as `LookWithQuery`, its query included when `with_query`.
async fn shown(state: &AppState, look: &Look, with_query: bool) -> Result<LookWithQuery, ApiError> {
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

pub async fn all_looks(State(state): State<AppState>, _caller: Caller) -> Result<Json<Vec<LookWithQuery>>, ApiError> {
    let looks = state.engine.store().all_looks().await?;
    Ok(Json(shown_all(&state, &looks).await?))
}

pub async fn look(State(state): State<AppState>, _caller: Caller, Path(look_id): Path<String>) -> Result<Json<LookWithQuery>, ApiError> {
    let look = find(&state, &look_id).await?;
    Ok(Json(shown(&state, &look, true).await?))
}

pub async fn create_look(State(state): State<AppState>, caller: Caller, body: Bytes) -> Result<Json<LookWithQuery>, ApiError> {
    let body = LookBody::parse(&body)?;
    let title = body.title()?.ok_or_else(|| ApiError::validation("title", "missing_field", "title is required"))?;
    let query_id = body.query_id(&state).await?.ok_or_else(|| {
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
    let look = find(&state, &look_id).await?;
    let body = LookBody::parse(&body)?;
    let change = LookChange {
        title: body.title()?,
        description: body.description()?,
        query_id: body.query_id(&state).await?,
        user_id: body.user_id(&state).await?,
        folder_id: body.folder_id(&state, Some(look.folder_id)).await?,
        is_run_on_load: body.flag("is_run_on_load")?,
        public: body.flag("public")?,
        deleted: body.flag("deleted")?,
    };
    check_model(&state, &body, change.query_id.unwrap_or(look.query_id)).await?;
    let title = change.title.as_deref().unwrap_or(&look.title);
    let folder_id = change.folder_id.unwrap_or(look.folder_id);
    let in_trash = change.deleted.unwrap_or(look.deleted);
    if !in_trash && state.engine.store().look_titled(folder_id, title, Some(look.id)).await?.is_some() {
        return Err(title_taken(title, folder_id));
    }
    let updated = state.engine.store().update_look(look.id, &change, caller.user_id).await?.ok_or_else(|| missing(&look_id))?;
    Ok(Json(shown(&state, &updated, true).await?))
}

pub async fn delete_look(State(state): State<AppState>, _caller: Caller, Path(look_id): Path<String>) -> Result<StatusCode, ApiError> {
    let look = find(&state, &look_id).await?;
    if state.engine.store().delete_look(look.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(missing(&look_id))
    }
}

pub async fn search_looks(
    State(state): State<AppState>,
    _caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Vec<LookWithQuery>>, ApiError> {
    let search = search_of(&params)?;
    let looks = state.engine.store().search_looks(&search).await?;
    Ok(Json(shown_all(&state, &looks).await?))
}

pub async fn run_look(
    State(state): State<AppState>,
    caller: Caller,
    Path((look_id, result_format)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let look = find(&state, &look_id).await?;
    run_saved(&state, &caller, look.query_id, &result_format, &params, Some(&look.title)).await
}

fn title_taken(title: &str, folder: i64) -> ApiError {
    ApiError::conflict(format!("a Look titled `{title}` already exists in folder {folder}"))
}

/// `model`, when the body names one, must be the model of the Look's query: a Look's model is
/// its query's, not set apart from it.
async fn check_model(state: &AppState, body: &LookBody, query_id: i64) -> Result<(), ApiError> {
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

/// The search a request's parameters describe. Id parameters take a comma-separated list (any
/// of them); text parameters a case-insensitive LIKE pattern, `IS NULL` or `NOT NULL`.
fn search_of(params: &HashMap<String, String>) -> Result<ContentSearch, ApiError> {
    let ids = |name: &str| -> Result<Vec<i64>, ApiError> {
        let Some(value) = params.get(name) else { return Ok(Vec::new()) };
        value
            .split(',')
            .map(|part| {
                part.trim()
                    .parse::<i64>()
                    .map_err(|_| ApiError::bad_request(format!("`{name}` must be a comma-separated list of ids, not `{}`", clip(value))))
            })
            .collect()
    };
    let boolean = |name: &str| params.get(name).map(|v| v.eq_ignore_ascii_case("true"));
    let number = |name: &str| -> Result<Option<i64>, ApiError> {
        params
            .get(name)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| ApiError::bad_request(format!("`{name}` must be a whole number ≥ 0, not `{}`", clip(v))))
            })
            .transpose()
    };
    let mut sorts = Vec::new();
    for part in params.get("sorts").map(String::as_str).unwrap_or("").split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, desc) = match part.rsplit_once(char::is_whitespace) {
            Some((name, dir)) if dir.eq_ignore_ascii_case("desc") => (name.trim(), true),
            Some((name, dir)) if dir.eq_ignore_ascii_case("asc") => (name.trim(), false),
            _ => (part, false),
        };
        let column = ContentColumn::parse(name).ok_or_else(|| {
            let known: Vec<&str> = ContentColumn::ALL.iter().map(|(n, _)| *n).collect();
            ApiError::validation("sorts", "not_supported", format!("Looks cannot be sorted by `{}` (by: {})", clip(name), known.join(", ")))
        })?;
        sorts.push((column, desc));
    }
    // `limit`/`offset`, else the older `per_page`/`page` (pages count from 1).
    let (limit, offset) = match (number("limit")?, number("per_page")?) {
        (Some(limit), _) => (Some(limit), number("offset")?.unwrap_or(0)),
        (None, Some(per_page)) => {
            let page = number("page")?.unwrap_or(1).max(1);
            (Some(per_page), per_page.saturating_mul(page - 1))
        }
        (None, None) => (None, number("offset")?.unwrap_or(0)),
    };
    Ok(ContentSearch {
        ids: ids("id")?,
        title: params.get("title").map(|v| TextMatch::parse(v)),
        description: params.get("description").map(|v| TextMatch::parse(v)),
        folder_ids: ids("folder_id")?,
        user_ids: ids("user_id")?,
        query_ids: ids("query_id")?,
        deleted: boolean("deleted"),
        any: boolean("filter_or").unwrap_or(false),
        sorts,
        limit,
        offset,
    })
}

/// A Look's JSON body, each field read and checked by name. A null field is "not set".
struct LookBody {
    fields: Map<String, Value>,
}

impl LookBody {
    fn parse(bytes: &Bytes) -> Result<LookBody, ApiError> {
        match crate::body::parse_json::<Value>(bytes)? {
            Value::Object(fields) => Ok(LookBody { fields }),
            _ => Err(ApiError::bad_request("The request body must be a JSON object (a Look).")),
        }
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.fields.get(name).filter(|v| !v.is_null())
    }

    fn title(&self) -> Result<Option<String>, ApiError> {
        match self.get("title") {
            None => Ok(None),
            Some(Value::String(t)) if !t.trim().is_empty() => Ok(Some(t.clone())),
            Some(Value::String(_)) => Err(ApiError::validation("title", "invalid", "title cannot be blank")),
            Some(_) => Err(ApiError::validation("title", "invalid", "title must be text")),
        }
    }

    /// `Some(None)` when the body sets the description to null or empty.
    fn description(&self) -> Result<Option<Option<String>>, ApiError> {
        match self.fields.get("description") {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(d)) => Ok(Some(Some(d.clone()).filter(|d| !d.is_empty()))),
            Some(_) => Err(ApiError::validation("description", "invalid", "description must be text")),
        }
    }

    fn flag(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ApiError::validation(name, "invalid", format!("{name} must be true or false"))),
        }
    }

    /// An id field: API 4.0 ids are strings; a number is taken too.
    fn id(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let invalid = || ApiError::validation(name, "invalid", format!("{name} must be an id"));
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => s.trim().parse::<i64>().map(Some).map_err(|_| invalid()),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(invalid),
            Some(_) => Err(invalid()),
        }
    }

    /// The query the Look saves: `query_id`, or `query` saved now (both given: they must be the
    /// same query, which saving de-duplicates by content).
    async fn query_id(&self, state: &AppState) -> Result<Option<i64>, ApiError> {
        let named = self.id("query_id")?;
        if let Some(id) = named {
            if state.engine.store().query(id).await?.is_none() {
                return Err(ApiError::validation("query_id", "not_found", format!("query `{id}` does not exist")));
            }
        }
        let Some(inline) = self.get("query") else { return Ok(named) };
        let Value::Object(fields) = inline else {
            return Err(ApiError::validation("query", "invalid", "query must be an object (a Query)"));
        };
        refuse_unread_query_fields(fields)?;
        let query: QueryBody = serde_json::from_value(inline.clone())
            .map_err(|e| ApiError::validation("query", "invalid", format!("query does not match the expected shape: {e}")))?;
        state.engine.compile(&query, None)?;
        let saved = state.engine.store().save_query(&query.normalised_json()).await?;
        match named {
            Some(id) if id != saved.id => {
                Err(ApiError::validation("query", "invalid", format!("query and query_id ({id}) name different queries; give one")))
            }
            _ => Ok(Some(saved.id)),
        }
    }

    /// The folder the Look goes in: `folder_id`, or the id of `folder`; it must exist. The
    /// other fields of `folder` (the SDKs send `name` and `parent_id` back when a Look read is
    /// written again) must be those of the Look's folder (`current` when the body names none):
    /// a Look's body does not rename or move its folder.
    async fn folder_id(&self, state: &AppState, current: Option<i64>) -> Result<Option<i64>, ApiError> {
        let named = self.id("folder_id")?;
        let object = match self.get("folder") {
            None => None,
            Some(Value::Object(folder)) => Some(folder),
            Some(_) => return Err(ApiError::validation("folder", "invalid", "folder must be an object")),
        };
        let invalid = || ApiError::validation("folder", "invalid", "folder.id must be an id");
        let object_id = match object.and_then(|f| f.get("id")) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.trim().parse::<i64>().map_err(|_| invalid())?),
            Some(Value::Number(n)) => Some(n.as_i64().ok_or_else(invalid)?),
            Some(_) => return Err(invalid()),
        };
        let chosen = match (named, object_id) {
            (Some(a), Some(b)) if a != b => {
                return Err(ApiError::validation("folder", "invalid", format!("folder.id {b} and folder_id {a} differ; give one")))
            }
            (a, b) => a.or(b),
        };
        let Some(id) = chosen.or(current) else {
            return match object {
                Some(_) => Err(ApiError::validation("folder_id", "missing_field", "folder names no folder: give folder_id")),
                None => Ok(None),
            };
        };
        let folder = state
            .engine
            .store()
            .folder(id)
            .await?
            .ok_or_else(|| ApiError::validation("folder_id", "not_found", format!("folder `{id}` does not exist")))?;
        for (key, value) in object.into_iter().flatten().filter(|(k, v)| *k != "id" && !v.is_null()) {
            let same = match key.as_str() {
                "name" => value.as_str() == Some(folder.name.as_str()),
                "parent_id" => folder.parent_id.is_some_and(|p| value.as_str() == Some(&p.to_string()) || value.as_i64() == Some(p)),
                _ => true,
            };
            if !same {
                return Err(ApiError::validation(
                    "folder",
                    "not_supported",
                    format!("folder.{key} differs from folder {id}'s: a Look's body chooses its folder, it does not rename or move it"),
                ));
            }
        }
        Ok(chosen)
    }

    /// The Look's owner, when the body names one; the user must exist.
    async fn user_id(&self, state: &AppState) -> Result<Option<i64>, ApiError> {
        let Some(id) = self.id("user_id")? else { return Ok(None) };
        if state.engine.store().user(id).await?.is_none() {
            return Err(ApiError::validation("user_id", "not_found", format!("user `{id}` does not exist")));
        }
        Ok(Some(id))
    }
}

/// A query written inside a Look's body is held to what `create_query` honours.
fn refuse_unread_query_fields(fields: &Map<String, Value>) -> Result<(), ApiError> {
    let writable = op::CREATE_QUERY.body.map(|b| b.writable).unwrap_or(&[]);
    for (name, value) in fields {
        if !value.is_null() && writable.contains(&name.as_str()) && !QUERY_FIELDS.contains(&name.as_str()) {
            return Err(ApiError::validation(
                &format!("query.{name}"),
                "not_supported",
                format!("field `query.{name}` of create_look is not supported yet"),
            ));
        }
    }
    Ok(())
}

fn clip(text: &str) -> &str {
    match text.char_indices().nth(64) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}
