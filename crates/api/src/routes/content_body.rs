//! Bodies and search parameters shared by content routes (Looks, dashboards, dashboard
//! elements): each field of a body read and checked by name, with Looker's error shapes, and
//! Looker's search parameters read into a `ContentSearch`.

use std::collections::HashMap;

use axum::body::Bytes;
use engine::QueryBody;
use serde_json::{Map, Value};
use store::{ContentColumn, ContentSearch, TextMatch};
use wire::operations as op;

use super::queries::QUERY_FIELDS;
use crate::declare::clip;
use crate::{ApiError, AppState};

/// The search a request's parameters describe. Id parameters take a comma-separated list (any
/// of them); text parameters a case-insensitive LIKE pattern, `IS NULL` or `NOT NULL`.
/// `columns` are those the searched content can be sorted by.
pub fn search_of(params: &HashMap<String, String>, columns: &[ContentColumn]) -> Result<ContentSearch, ApiError> {
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
        let column = ContentColumn::parse(name).filter(|c| columns.contains(c)).ok_or_else(|| {
            let known: Vec<&str> = ContentColumn::ALL.iter().filter(|(_, c)| columns.contains(c)).map(|(n, _)| *n).collect();
            ApiError::validation("sorts", "not_supported", format!("cannot sort by `{}` (by: {})", clip(name), known.join(", ")))
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

/// The JSON body of a Look, dashboard or dashboard element, each field read and checked by
/// name. A null field is "not set".
pub struct ContentBody {
    pub fields: Map<String, Value>,
}

impl ContentBody {
    pub fn parse(bytes: &Bytes) -> Result<ContentBody, ApiError> {
        match crate::body::parse_json::<Value>(bytes)? {
            Value::Object(fields) => Ok(ContentBody { fields }),
            _ => Err(ApiError::bad_request("The request body must be a JSON object.")),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.get(name).filter(|v| !v.is_null())
    }

    pub fn title(&self) -> Result<Option<String>, ApiError> {
        match self.get("title") {
            None => Ok(None),
            Some(Value::String(t)) if !t.trim().is_empty() => Ok(Some(t.clone())),
            Some(Value::String(_)) => Err(ApiError::validation("title", "invalid", "title cannot be blank")),
            Some(_) => Err(ApiError::validation("title", "invalid", "title must be text")),
        }
    }

    /// A text field: `None` when absent, `Some(None)` when set to null.
    pub fn text(&self, name: &str) -> Result<Option<Option<String>>, ApiError> {
        match self.fields.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
            Some(_) => Err(ApiError::validation(name, "invalid", format!("{name} must be text"))),
        }
    }

    /// `Some(None)` when the body sets the description to null or empty.
    pub fn description(&self) -> Result<Option<Option<String>>, ApiError> {
        match self.fields.get("description") {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(d)) => Ok(Some(Some(d.clone()).filter(|d| !d.is_empty()))),
            Some(_) => Err(ApiError::validation("description", "invalid", "description must be text")),
        }
    }

    pub fn flag(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ApiError::validation(name, "invalid", format!("{name} must be true or false"))),
        }
    }

    /// An id field: API 4.0 ids are strings; a number is taken too.
    pub fn id(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let invalid = || ApiError::validation(name, "invalid", format!("{name} must be an id"));
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => s.trim().parse::<i64>().map(Some).map_err(|_| invalid()),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(invalid),
            Some(_) => Err(invalid()),
        }
    }

    /// The query named: `query_id`, or `query` saved now (both given: they must be the
    /// same query, which saving de-duplicates by content).
    /// The query the content saves: `query_id`, or the inline `query` saved now (making a
    /// query, so the caller needs what `create_query` needs).
    pub async fn query_id(&self, state: &AppState, caller: &crate::auth::Caller) -> Result<Option<i64>, ApiError> {
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
        caller.may_create(&query)?;
        state.engine.compile(&query, None)?;
        let saved = state.engine.store().save_query(&query.normalised_json()).await?;
        match named {
            Some(id) if id != saved.id => {
                Err(ApiError::validation("query", "invalid", format!("query and query_id ({id}) name different queries; give one")))
            }
            _ => Ok(Some(saved.id)),
        }
    }

    /// The folder the content goes in: `folder_id`, or the id of `folder`; it must exist. The
    /// other fields of `folder` (the SDKs send `name` and `parent_id` back when what was read is
    /// written again) must be those of that folder (`current` when the body names none): a
    /// body does not rename or move its folder.
    pub async fn folder_id(&self, state: &AppState, current: Option<i64>) -> Result<Option<i64>, ApiError> {
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
                    format!("folder.{key} differs from folder {id}'s: a body chooses a folder, it does not rename or move it"),
                ));
            }
        }
        Ok(chosen)
    }

    /// The owner, when the body names one; the user must exist.
    pub async fn user_id(&self, state: &AppState) -> Result<Option<i64>, ApiError> {
        let Some(id) = self.id("user_id")? else { return Ok(None) };
        if state.engine.store().user(id).await?.is_none() {
            return Err(ApiError::validation("user_id", "not_found", format!("user `{id}` does not exist")));
        }
        Ok(Some(id))
    }
}

/// A query written inside a body is held to what `create_query` honours.
fn refuse_unread_query_fields(fields: &Map<String, Value>) -> Result<(), ApiError> {
    let writable = op::CREATE_QUERY.body.map(|b| b.writable).unwrap_or(&[]);
    for (name, value) in fields {
        if !value.is_null() && writable.contains(&name.as_str()) && !QUERY_FIELDS.contains(&name.as_str()) {
            return Err(ApiError::validation(
                &format!("query.{name}"),
                "not_supported",
                format!("field `query.{name}` is not supported yet"),
            ));
        }
    }
    Ok(())
}
