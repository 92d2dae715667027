//! Groups: `GET/POST /groups`, `GET/PATCH/DELETE /groups/{id}`, a group's users
//! (`GET/POST /groups/{id}/users`, `DELETE /groups/{id}/users/{user_id}`) and the groups a role
//! is given to (`GET/PUT /roles/{id}/groups`). A user holds the roles of their groups beside
//! their own, and the user attribute values given to it (`user_attributes.rs`) below their
//! own. Groups are an admin's to change; reading them needs `see_users`. Groups within groups
//! are not there yet (their routes are not served).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{Map, Value};
use store::Permission;
use wire::operations as op;
use wire::schemas::{Group, User};

use super::parse_id;
use crate::auth::Caller;
use crate::body::parse_json;
use crate::declare::Declared;
use crate::to_wire::can;
use crate::{ApiError, AppState};

pub static ALL_GROUPS: Declared = Declared::of(op::ALL_GROUPS).query(&["fields", "ids"]);
pub static CREATE_GROUP: Declared = Declared::of(op::CREATE_GROUP).query(&["fields"]).body(&["name"]);
pub static GROUP: Declared = Declared::of(op::GROUP).query(&["fields"]);
pub static UPDATE_GROUP: Declared = Declared::of(op::UPDATE_GROUP).query(&["fields"]).body(&["name"]);
pub static DELETE_GROUP: Declared = Declared::of(op::DELETE_GROUP);
pub static ALL_GROUP_USERS: Declared = Declared::of(op::ALL_GROUP_USERS).query(&["fields"]);
/// The spec marks `user_id` read-only, yet it is what the body is for: the handler reads it.
pub static ADD_GROUP_USER: Declared = Declared::of(op::ADD_GROUP_USER);
pub static DELETE_GROUP_USER: Declared = Declared::of(op::DELETE_GROUP_USER);
pub static ROLE_GROUPS: Declared = Declared::of(op::ROLE_GROUPS).query(&["fields"]);
pub static SET_ROLE_GROUPS: Declared = Declared::of(op::SET_ROLE_GROUPS);

fn missing(id: &str) -> ApiError {
    ApiError::not_found(format!("group `{id}` does not exist"))
}

async fn group_of(state: &AppState, id: &str) -> Result<store::Group, ApiError> {
    let group_id = parse_id("group", id).map_err(|_| missing(id))?;
    state.engine.store().group(group_id).await?.ok_or_else(|| missing(id))
}

async fn shown(state: &AppState, caller: &Caller, g: &store::Group) -> Result<Group, ApiError> {
    let members = state.engine.store().group_user_ids(g.id).await?;
    Ok(Group {
        id: Some(g.id.to_string()),
        name: Some(g.name.clone()),
        user_count: Some(members.len() as i64),
        contains_current_user: Some(members.contains(&caller.user_id)),
        can_add_to_content_metadata: Some(false),
        externally_managed: Some(false),
        include_by_default: Some(false),
        can: Some(can(&[("show", true), ("update", caller.is_admin()), ("delete", caller.is_admin())])),
        ..Default::default()
    })
}

/// A group's name from the body: required on creation, kept when absent on update; unique.
async fn name_of(state: &AppState, body: &Map<String, Value>, current: Option<&store::Group>) -> Result<String, ApiError> {
    let name = match body.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        None | Some(Value::Null) if current.is_some() => return Ok(current.map(|g| g.name.clone()).unwrap_or_default()),
        None | Some(Value::Null) => return Err(ApiError::validation("name", "missing_field", "name is required")),
        _ => return Err(ApiError::validation("name", "invalid", "name must be text that is not empty")),
    };
    if state.engine.store().group_named(&name).await?.is_some_and(|other| current.is_none_or(|g| g.id != other)) {
        return Err(ApiError::conflict(format!("a group named `{name}` already exists")));
    }
    Ok(name)
}

pub async fn all_groups(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<Vec<Group>>, ApiError> {
    caller.require(Permission::SeeUsers)?;
    let wanted = super::ids_param(&params, "group")?;
    let mut out = Vec::new();
    for group in state.engine.store().groups().await? {
        if wanted.is_empty() || wanted.contains(&group.id) {
            out.push(shown(&state, &caller, &group).await?);
        }
    }
    Ok(Json(out))
}

pub async fn create_group(State(state): State<AppState>, caller: Caller, body: Bytes) -> Result<Json<Group>, ApiError> {
    caller.require_admin()?;
    let body: Map<String, Value> = parse_json(&body)?;
    let name = name_of(&state, &body, None).await?;
    let id = state.engine.store().create_group(&name).await?;
    let group = group_of(&state, &id.to_string()).await?;
    Ok(Json(shown(&state, &caller, &group).await?))
}

pub async fn group(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Group>, ApiError> {
    caller.require(Permission::SeeUsers)?;
    let group = group_of(&state, &id).await?;
    Ok(Json(shown(&state, &caller, &group).await?))
}

pub async fn update_group(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Group>, ApiError> {
    caller.require_admin()?;
    let current = group_of(&state, &id).await?;
    let body: Map<String, Value> = parse_json(&body)?;
    let name = name_of(&state, &body, Some(&current)).await?;
    state.engine.store().rename_group(current.id, &name).await?;
    let group = group_of(&state, &id).await?;
    Ok(Json(shown(&state, &caller, &group).await?))
}

/// Deletes a group: its users lose the roles it gave them. The last enabled admin may not
/// lose the Admin role this way.
pub async fn delete_group(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let group = group_of(&state, &id).await?;
    let store = state.engine.store();
    let admins = store.admin_user_ids().await?;
    // Its users leave it first, which can be undone when that leaves no admin.
    let members = store.group_user_ids(group.id).await?;
    for user in &members {
        store.remove_group_user(group.id, *user).await?;
    }
    if let Err(e) = keeps_admins(&state, &admins).await {
        for user in &members {
            store.add_group_user(group.id, *user).await?;
        }
        return Err(e);
    }
    store.delete_group(group.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// After a change to groups: whether an enabled admin is left, if there was one (the caller
/// undoes its change when not).
async fn keeps_admins(state: &AppState, before: &[i64]) -> Result<(), ApiError> {
    if !before.is_empty() && state.engine.store().admin_user_ids().await?.is_empty() {
        return Err(ApiError::validation("group_id", "invalid", "this would leave no enabled admin"));
    }
    Ok(())
}

pub async fn all_group_users(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Vec<User>>, ApiError> {
    caller.require(Permission::SeeUsers)?;
    let group = group_of(&state, &id).await?;
    let store = state.engine.store();
    let mut out = Vec::new();
    for user_id in store.group_user_ids(group.id).await? {
        if let Some(user) = store.user(user_id).await? {
            out.push(super::users::shown(&state, &user).await?);
        }
    }
    Ok(Json(out))
}

/// The user named by `user_id` (text or a number, as the SDKs send it).
async fn user_of(state: &AppState, value: Option<&Value>) -> Result<store::User, ApiError> {
    let text = match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        None | Some(Value::Null) => return Err(ApiError::validation("user_id", "missing_field", "user_id is required")),
        Some(_) => return Err(ApiError::validation("user_id", "invalid", "user_id must be a user's id")),
    };
    let unknown = || ApiError::validation("user_id", "invalid", format!("user `{text}` does not exist"));
    let id = parse_id("user", &text).map_err(|_| unknown())?;
    state.engine.store().user(id).await?.ok_or_else(unknown)
}

pub async fn add_group_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<User>, ApiError> {
    caller.require_admin()?;
    let group = group_of(&state, &id).await?;
    let body: Map<String, Value> = parse_json(&body)?;
    let user = user_of(&state, body.get("user_id")).await?;
    state.engine.store().add_group_user(group.id, user.id).await?;
    Ok(Json(super::users::shown(&state, &user).await?))
}

pub async fn delete_group_user(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let group = group_of(&state, &id).await?;
    let user = user_of(&state, Some(&Value::String(user_id.clone())))
        .await
        .map_err(|_| ApiError::not_found(format!("user `{user_id}` does not exist")))?;
    let store = state.engine.store();
    let admins = store.admin_user_ids().await?;
    if !store.remove_group_user(group.id, user.id).await? {
        return Err(ApiError::not_found(format!("user `{user_id}` is not in group `{id}`")));
    }
    if let Err(e) = keeps_admins(&state, &admins).await {
        store.add_group_user(group.id, user.id).await?;
        return Err(e);
    }
    Ok(StatusCode::NO_CONTENT)
}

pub async fn role_groups(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Vec<Group>>, ApiError> {
    caller.require(Permission::SeeUsers)?;
    let role_id = parse_id("role", &id).map_err(|_| ApiError::not_found(format!("role `{id}` does not exist")))?;
    let store = state.engine.store();
    store.role(role_id).await?.ok_or_else(|| ApiError::not_found(format!("role `{id}` does not exist")))?;
    Ok(Json(groups_of_role(&state, &caller, role_id).await?))
}

/// The groups a role is given to, as the API shows them.
async fn groups_of_role(state: &AppState, caller: &Caller, role_id: i64) -> Result<Vec<Group>, ApiError> {
    let store = state.engine.store();
    let mut out = Vec::new();
    for group_id in store.role_group_ids(role_id).await? {
        if let Some(group) = store.group(group_id).await? {
            out.push(shown(state, caller, &group).await?);
        }
    }
    Ok(out)
}

/// Gives a role to exactly the groups listed (ids as text or numbers); the last enabled admin
/// may not lose the Admin role this way.
pub async fn set_role_groups(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Vec<Group>>, ApiError> {
    caller.require_admin()?;
    let role_id = parse_id("role", &id).map_err(|_| ApiError::not_found(format!("role `{id}` does not exist")))?;
    let store = state.engine.store();
    store.role(role_id).await?.ok_or_else(|| ApiError::not_found(format!("role `{id}` does not exist")))?;
    let ids: Vec<Value> = parse_json(&body)?;
    let mut groups = Vec::with_capacity(ids.len());
    for value in &ids {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err(ApiError::validation("group_ids", "invalid", "the body is a list of group ids")),
        };
        let unknown = || ApiError::validation("group_ids", "invalid", format!("group `{text}` does not exist"));
        let group_id = parse_id("group", &text).map_err(|_| unknown())?;
        groups.push(store.group(group_id).await?.ok_or_else(unknown)?);
    }
    let before = store.role_group_ids(role_id).await?;
    let admins = store.admin_user_ids().await?;
    store.set_role_groups(role_id, &groups.iter().map(|g| g.id).collect::<Vec<_>>()).await?;
    if let Err(e) = keeps_admins(&state, &admins).await {
        store.set_role_groups(role_id, &before).await?;
        return Err(e);
    }
    Ok(Json(groups_of_role(&state, &caller, role_id).await?))
}
