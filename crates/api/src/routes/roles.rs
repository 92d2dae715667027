//! Roles, permission sets, model sets and the permission catalogue. Admins change them; admins
//! and holders of `see_users` read them. A permission set may name only permissions Sightline
//! enforces (any other Looker permission is refused by name), each with the permission it
//! depends on; the built-in sets and the built-in Admin role never change.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{Map, Value};
use store::{Permission, RoleChange, SetKind};
use wire::operations as op;
use wire::schemas::{ModelSet, Permission as WirePermission, PermissionSet, Role, User};

use super::parse_id;
use crate::auth::Caller;
use crate::body::parse_json;
use crate::declare::Declared;
use crate::to_wire::can;
use crate::{to_wire, ApiError, AppState};

pub static ALL_ROLES: Declared = Declared::of(op::ALL_ROLES).query(&["fields", "ids"]);
pub static CREATE_ROLE: Declared = Declared::of(op::CREATE_ROLE).body(&["name", "permission_set_id", "model_set_id"]);
pub static ROLE: Declared = Declared::of(op::ROLE);
pub static UPDATE_ROLE: Declared = Declared::of(op::UPDATE_ROLE).body(&["name", "permission_set_id", "model_set_id"]);
pub static DELETE_ROLE: Declared = Declared::of(op::DELETE_ROLE);
pub static ROLE_USERS: Declared = Declared::of(op::ROLE_USERS).query(&["fields", "direct_association_only"]);
pub static ALL_PERMISSION_SETS: Declared = Declared::of(op::ALL_PERMISSION_SETS).query(&["fields"]);
pub static CREATE_PERMISSION_SET: Declared = Declared::of(op::CREATE_PERMISSION_SET).body(&["name", "permissions"]);
pub static PERMISSION_SET: Declared = Declared::of(op::PERMISSION_SET).query(&["fields"]);
pub static UPDATE_PERMISSION_SET: Declared = Declared::of(op::UPDATE_PERMISSION_SET).body(&["name", "permissions"]);
pub static DELETE_PERMISSION_SET: Declared = Declared::of(op::DELETE_PERMISSION_SET);
pub static ALL_MODEL_SETS: Declared = Declared::of(op::ALL_MODEL_SETS).query(&["fields"]);
pub static CREATE_MODEL_SET: Declared = Declared::of(op::CREATE_MODEL_SET).body(&["name", "models"]);
pub static MODEL_SET: Declared = Declared::of(op::MODEL_SET).query(&["fields"]);
pub static UPDATE_MODEL_SET: Declared = Declared::of(op::UPDATE_MODEL_SET).body(&["name", "models"]);
pub static DELETE_MODEL_SET: Declared = Declared::of(op::DELETE_MODEL_SET);
pub static ALL_PERMISSIONS: Declared = Declared::of(op::ALL_PERMISSIONS);

/// Reading roles and sets: an admin, or a holder of `see_users`.
fn may_read(caller: &Caller) -> Result<(), ApiError> {
    caller.require(Permission::SeeUsers)
}

fn body_map(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    parse_json(body)
}

fn name_of(body: &Map<String, Value>, current: Option<&str>) -> Result<String, ApiError> {
    match body.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        None | Some(Value::Null) if current.is_some() => Ok(current.unwrap_or_default().to_string()),
        None | Some(Value::Null) => Err(ApiError::validation("name", "missing_field", "name is required")),
        _ => Err(ApiError::validation("name", "invalid", "name must be text that is not empty")),
    }
}

fn list_of(body: &Map<String, Value>, field: &str, current: Option<&[String]>) -> Result<Vec<String>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(current.map(<[String]>::to_vec).unwrap_or_default()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(|s| s.trim().to_string()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| ApiError::validation(field, "invalid", format!("{field} must be a list of names"))),
        Some(_) => Err(ApiError::validation(field, "invalid", format!("{field} must be a list of names"))),
    }
}

/// Every name a permission Sightline enforces, each with its parent in the set.
fn checked_permissions(names: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for name in names {
        let permission = Permission::named(name).ok_or_else(|| {
            let known: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
            ApiError::validation(
                "permissions",
                "not_supported",
                format!("permission `{name}` is not supported yet (Sightline enforces: {})", known.join(", ")),
            )
        })?;
        if let Some(parent) = permission.parent().filter(|p| !names.iter().any(|n| n == p.as_str())) {
            return Err(ApiError::validation(
                "permissions",
                "invalid",
                format!("permission `{name}` depends on `{}`: add it to the set too", parent.as_str()),
            ));
        }
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    Ok(out)
}

/// Model names: LookML names (lowercase letters, digits, underscores), which a model set keeps.
fn checked_models(names: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for name in names {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(ApiError::validation("models", "invalid", format!("`{name}` is not a LookML model name")));
        }
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    Ok(out)
}

fn set_missing(kind: SetKind, id: &str) -> ApiError {
    let what = match kind {
        SetKind::Permission => "permission set",
        SetKind::Model => "model set",
    };
    ApiError::not_found(format!("{what} `{id}` does not exist"))
}

/// Answers a change to a set: done, or why not.
fn change_answer(kind: SetKind, id: &str, change: RoleChange) -> Result<(), ApiError> {
    match change {
        RoleChange::Done => Ok(()),
        RoleChange::Missing => Err(set_missing(kind, id)),
        RoleChange::BuiltIn => Err(ApiError::validation("id", "invalid", "a built-in set cannot change or be deleted")),
        RoleChange::InUse => Err(ApiError::conflict("the set is in use by a role: change or delete the role first")),
    }
}

async fn name_free(state: &AppState, kind: SetKind, name: &str, except: Option<i64>) -> Result<(), ApiError> {
    match state.engine.store().set_named(kind, name).await? {
        Some(id) if Some(id) != except => Err(ApiError::conflict(format!("a set named `{name}` already exists"))),
        _ => Ok(()),
    }
}

// Permission sets.

async fn permission_set_of(state: &AppState, id: &str) -> Result<store::PermissionSet, ApiError> {
    let set_id = parse_id("permission set", id).map_err(|_| set_missing(SetKind::Permission, id))?;
    state.engine.store().permission_set(set_id).await?.ok_or_else(|| set_missing(SetKind::Permission, id))
}

pub async fn all_permission_sets(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<PermissionSet>>, ApiError> {
    may_read(&caller)?;
    let sets = state.engine.store().permission_sets().await?;
    Ok(Json(sets.iter().map(|s| to_wire::permission_set(s, &state.base_url)).collect()))
}

pub async fn permission_set(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<PermissionSet>, ApiError> {
    may_read(&caller)?;
    Ok(Json(to_wire::permission_set(&permission_set_of(&state, &id).await?, &state.base_url)))
}

pub async fn create_permission_set(State(state): State<AppState>, caller: Caller, body: Bytes) -> Result<Json<PermissionSet>, ApiError> {
    caller.require_admin()?;
    let body = body_map(&body)?;
    let name = name_of(&body, None)?;
    let permissions = checked_permissions(&list_of(&body, "permissions", None)?)?;
    name_free(&state, SetKind::Permission, &name, None).await?;
    let id = state.engine.store().create_set(SetKind::Permission, &name, &permissions).await?;
    Ok(Json(to_wire::permission_set(&permission_set_of(&state, &id.to_string()).await?, &state.base_url)))
}

pub async fn update_permission_set(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<PermissionSet>, ApiError> {
    caller.require_admin()?;
    let current = permission_set_of(&state, &id).await?;
    let body = body_map(&body)?;
    let name = name_of(&body, Some(&current.name))?;
    let permissions = checked_permissions(&list_of(&body, "permissions", Some(&current.permissions))?)?;
    name_free(&state, SetKind::Permission, &name, Some(current.id)).await?;
    change_answer(SetKind::Permission, &id, state.engine.store().update_set(SetKind::Permission, current.id, &name, &permissions).await?)?;
    Ok(Json(to_wire::permission_set(&permission_set_of(&state, &id).await?, &state.base_url)))
}

pub async fn delete_permission_set(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let current = permission_set_of(&state, &id).await?;
    change_answer(SetKind::Permission, &id, state.engine.store().delete_set(SetKind::Permission, current.id).await?)?;
    Ok(StatusCode::NO_CONTENT)
}

// Model sets.

async fn model_set_of(state: &AppState, id: &str) -> Result<store::ModelSet, ApiError> {
    let set_id = parse_id("model set", id).map_err(|_| set_missing(SetKind::Model, id))?;
    state.engine.store().model_set(set_id).await?.ok_or_else(|| set_missing(SetKind::Model, id))
}

pub async fn all_model_sets(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<ModelSet>>, ApiError> {
    may_read(&caller)?;
    let sets = state.engine.store().model_sets().await?;
    Ok(Json(sets.iter().map(|s| to_wire::model_set(s, &state.base_url)).collect()))
}

pub async fn model_set(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<ModelSet>, ApiError> {
    may_read(&caller)?;
    Ok(Json(to_wire::model_set(&model_set_of(&state, &id).await?, &state.base_url)))
}

pub async fn create_model_set(State(state): State<AppState>, caller: Caller, body: Bytes) -> Result<Json<ModelSet>, ApiError> {
    caller.require_admin()?;
    let body = body_map(&body)?;
    let name = name_of(&body, None)?;
    let models = checked_models(&list_of(&body, "models", None)?)?;
    name_free(&state, SetKind::Model, &name, None).await?;
    let id = state.engine.store().create_set(SetKind::Model, &name, &models).await?;
    Ok(Json(to_wire::model_set(&model_set_of(&state, &id.to_string()).await?, &state.base_url)))
}

pub async fn update_model_set(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ModelSet>, ApiError> {
    caller.require_admin()?;
    let current = model_set_of(&state, &id).await?;
    let body = body_map(&body)?;
    let name = name_of(&body, Some(&current.name))?;
    let models = checked_models(&list_of(&body, "models", Some(&current.models))?)?;
    name_free(&state, SetKind::Model, &name, Some(current.id)).await?;
    change_answer(SetKind::Model, &id, state.engine.store().update_set(SetKind::Model, current.id, &name, &models).await?)?;
    Ok(Json(to_wire::model_set(&model_set_of(&state, &id).await?, &state.base_url)))
}

pub async fn delete_model_set(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let current = model_set_of(&state, &id).await?;
    change_answer(SetKind::Model, &id, state.engine.store().delete_set(SetKind::Model, current.id).await?)?;
    Ok(StatusCode::NO_CONTENT)
}

// Roles.

fn role_missing(id: &str) -> ApiError {
    ApiError::not_found(format!("role `{id}` does not exist"))
}

async fn role_of(state: &AppState, id: &str) -> Result<store::Role, ApiError> {
    let role_id = parse_id("role", id).map_err(|_| role_missing(id))?;
    state.engine.store().role(role_id).await?.ok_or_else(|| role_missing(id))
}

/// The built-in Admin role: what keeps the server manageable, never changed or deleted.
fn is_builtin_admin(role: &store::Role) -> bool {
    role.permission_set.all_access && role.permission_set.built_in && role.name == "Admin"
}

/// A set id from the body (`permission_set_id` / `model_set_id`, text or a number).
async fn set_id_of(state: &AppState, body: &Map<String, Value>, field: &str, kind: SetKind, current: Option<i64>) -> Result<i64, ApiError> {
    let text = match body.get(field) {
        None | Some(Value::Null) => {
            return current.ok_or_else(|| ApiError::validation(field, "missing_field", format!("{field} is required")));
        }
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(ApiError::validation(field, "invalid", format!("{field} must be an id"))),
    };
    let unknown = || ApiError::validation(field, "invalid", format!("{field} `{text}` does not exist"));
    let id = parse_id(field, &text).map_err(|_| unknown())?;
    let exists = match kind {
        SetKind::Permission => state.engine.store().permission_set(id).await?.is_some(),
        SetKind::Model => state.engine.store().model_set(id).await?.is_some(),
    };
    if exists {
        Ok(id)
    } else {
        Err(unknown())
    }
}

pub async fn all_roles(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Query(params): axum::extract::Query<Vec<(String, String)>>,
) -> Result<Json<Vec<Role>>, ApiError> {
    may_read(&caller)?;
    let wanted = super::ids_param(&params, "role")?;
    let roles = state.engine.store().roles().await?;
    Ok(Json(roles.iter().filter(|r| wanted.is_empty() || wanted.contains(&r.id)).map(|r| to_wire::role(r, &state.base_url)).collect()))
}

pub async fn role(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Role>, ApiError> {
    may_read(&caller)?;
    Ok(Json(to_wire::role(&role_of(&state, &id).await?, &state.base_url)))
}

pub async fn create_role(State(state): State<AppState>, caller: Caller, body: Bytes) -> Result<Json<Role>, ApiError> {
    caller.require_admin()?;
    let body = body_map(&body)?;
    let name = name_of(&body, None)?;
    let permission_set = set_id_of(&state, &body, "permission_set_id", SetKind::Permission, None).await?;
    let model_set = set_id_of(&state, &body, "model_set_id", SetKind::Model, None).await?;
    let store = state.engine.store();
    if store.role_named(&name).await?.is_some() {
        return Err(ApiError::conflict(format!("a role named `{name}` already exists")));
    }
    let id = store.create_role(&name, permission_set, model_set).await?;
    Ok(Json(to_wire::role(&role_of(&state, &id.to_string()).await?, &state.base_url)))
}

pub async fn update_role(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Role>, ApiError> {
    caller.require_admin()?;
    let current = role_of(&state, &id).await?;
    if is_builtin_admin(&current) {
        return Err(ApiError::validation("role_id", "invalid", "the built-in Admin role cannot change"));
    }
    let body = body_map(&body)?;
    let name = name_of(&body, Some(&current.name))?;
    let permission_set = set_id_of(&state, &body, "permission_set_id", SetKind::Permission, Some(current.permission_set.id)).await?;
    let model_set = set_id_of(&state, &body, "model_set_id", SetKind::Model, Some(current.model_set.id)).await?;
    let store = state.engine.store();
    if store.role_named(&name).await?.is_some_and(|other| other != current.id) {
        return Err(ApiError::conflict(format!("a role named `{name}` already exists")));
    }
    store.update_role(current.id, &name, permission_set, model_set).await?;
    Ok(Json(to_wire::role(&role_of(&state, &id).await?, &state.base_url)))
}

pub async fn delete_role(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let current = role_of(&state, &id).await?;
    if is_builtin_admin(&current) {
        return Err(ApiError::validation("role_id", "invalid", "the built-in Admin role cannot be deleted"));
    }
    match state.engine.store().delete_role(current.id).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(role_missing(&id)),
    }
}

/// The users holding a role: given to them or to a group they are in, or with
/// `direct_association_only=true` only those given it themselves.
pub async fn role_users(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Vec<User>>, ApiError> {
    may_read(&caller)?;
    let role = role_of(&state, &id).await?;
    let store = state.engine.store();
    let direct = params.get("direct_association_only").is_some_and(|v| v == "true");
    let mut out = Vec::new();
    for user_id in store.role_user_ids(role.id, direct).await? {
        if let Some(user) = store.user(user_id).await? {
            out.push(super::users::shown(&state, &user).await?);
        }
    }
    Ok(Json(out))
}

/// The permissions Sightline enforces, with the one each depends on.
pub async fn all_permissions(caller: Caller) -> Result<Json<Vec<WirePermission>>, ApiError> {
    may_read(&caller)?;
    Ok(Json(
        Permission::ALL
            .iter()
            .map(|p| WirePermission {
                permission: Some(p.as_str().into()),
                parent: p.parent().map(|q| q.as_str().into()),
                description: Some(p.description().into()),
                can: Some(can(&[("show", true)])),
            })
            .collect(),
    ))
}
