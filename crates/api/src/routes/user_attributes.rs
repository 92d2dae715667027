//! User attributes: `GET/POST /user_attributes`, `GET/PATCH/DELETE /user_attributes/{id}`, and
//! a user's values: `GET /users/{user_id}/attribute_values`,
//! `PATCH/DELETE /users/{user_id}/attribute_values/{user_attribute_id}`.
//!
//! A query runs with the values of the user it runs for: the explore's `access_filter`s filter
//! by them and Liquid's `_user_attributes` reads them. A hidden value (`value_is_hidden`) is
//! never shown back; `hidden_value_domain_whitelist` (hidden values sent to other sites) is
//! refused by name, as are the per-group values (there are no groups).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::Value;
use store::{AttributeFields, AttributeValue, Permission};
use wire::operations as op;
use wire::schemas::{UserAttribute, UserAttributeGroupValue, UserAttributeWithValue};

use super::content_body::ContentBody;
use super::parse_id;
use crate::auth::Caller;
use crate::declare::Declared;
use crate::to_wire::can;
use crate::{ApiError, AppState};

const WRITABLE: &[&str] = &["name", "label", "type", "default_value", "value_is_hidden", "user_can_view", "user_can_edit"];

pub static ALL_USER_ATTRIBUTES: Declared = Declared::of(op::ALL_USER_ATTRIBUTES).query(&["fields"]);
pub static CREATE_USER_ATTRIBUTE: Declared = Declared::of(op::CREATE_USER_ATTRIBUTE).query(&["fields"]).body(WRITABLE);
pub static USER_ATTRIBUTE: Declared = Declared::of(op::USER_ATTRIBUTE).query(&["fields"]);
pub static UPDATE_USER_ATTRIBUTE: Declared = Declared::of(op::UPDATE_USER_ATTRIBUTE).query(&["fields"]).body(WRITABLE);
pub static DELETE_USER_ATTRIBUTE: Declared = Declared::of(op::DELETE_USER_ATTRIBUTE);
pub static USER_ATTRIBUTE_USER_VALUES: Declared =
    Declared::of(op::USER_ATTRIBUTE_USER_VALUES).query(&["fields", "user_attribute_ids", "all_values", "include_unset"]);
pub static SET_USER_ATTRIBUTE_USER_VALUE: Declared = Declared::of(op::SET_USER_ATTRIBUTE_USER_VALUE).body(&["value"]);
pub static DELETE_USER_ATTRIBUTE_USER_VALUE: Declared = Declared::of(op::DELETE_USER_ATTRIBUTE_USER_VALUE);
pub static ALL_USER_ATTRIBUTE_GROUP_VALUES: Declared = Declared::of(op::ALL_USER_ATTRIBUTE_GROUP_VALUES).query(&["fields"]);
/// The spec marks `group_id` and `value` read-only, yet they are what the body is for: the
/// handlers read them.
pub static SET_USER_ATTRIBUTE_GROUP_VALUES: Declared = Declared::of(op::SET_USER_ATTRIBUTE_GROUP_VALUES);
pub static UPDATE_USER_ATTRIBUTE_GROUP_VALUE: Declared = Declared::of(op::UPDATE_USER_ATTRIBUTE_GROUP_VALUE);
pub static DELETE_USER_ATTRIBUTE_GROUP_VALUE: Declared = Declared::of(op::DELETE_USER_ATTRIBUTE_GROUP_VALUE);

/// Looker's attribute types.
const TYPES: &[&str] = &[
    "string",
    "number",
    "datetime",
    "relative_url",
    "yesno",
    "zipcode",
    "advanced_filter_string",
    "advanced_filter_number",
    "advanced_filter_datetime",
];

fn missing(id: &str) -> ApiError {
    ApiError::not_found(format!("user attribute `{id}` does not exist"))
}

async fn find(state: &AppState, id: &str) -> Result<store::UserAttribute, ApiError> {
    let attribute_id = parse_id("user attribute", id).map_err(|_| missing(id))?;
    state.engine.store().user_attribute(attribute_id).await?.ok_or_else(|| missing(id))
}

fn wire(a: &store::UserAttribute) -> UserAttribute {
    let f = &a.fields;
    UserAttribute {
        can: Some(can(&[("show", true), ("update", !a.is_system), ("destroy", !a.is_system)])),
        id: Some(a.id.to_string()),
        name: f.name.clone(),
        label: f.label.clone(),
        r#type: f.kind.clone(),
        default_value: f.default_value.clone().filter(|_| !f.value_is_hidden),
        is_system: Some(a.is_system),
        is_permanent: Some(a.is_system),
        value_is_hidden: Some(f.value_is_hidden),
        user_can_view: Some(f.user_can_view),
        user_can_edit: Some(f.user_can_edit),
        hidden_value_domain_whitelist: None,
        ..Default::default()
    }
}

fn wire_value(user_id: i64, rank: usize, v: &AttributeValue) -> UserAttributeWithValue {
    let f = &v.attribute.fields;
    UserAttributeWithValue {
        can: Some(can(&[("show", true), ("index", true)])),
        name: Some(f.name.clone()),
        label: Some(f.label.clone()),
        rank: Some(rank as i64 + 1),
        value: v.value.clone().filter(|_| !f.value_is_hidden),
        user_id: Some(user_id.to_string()),
        user_can_edit: Some(f.user_can_edit && !v.attribute.is_system),
        value_is_hidden: Some(f.value_is_hidden),
        user_attribute_id: Some(v.attribute.id.to_string()),
        source: v.source.map(|s| s.as_str().to_string()),
        hidden_value_domain_whitelist: None,
    }
}

/// The fields a body sets over `current` (an update) or from nothing (a create).
fn attribute_fields(body: &ContentBody, current: Option<&AttributeFields>) -> Result<AttributeFields, ApiError> {
    let text = |name: &str| body.text(name);
    let required = |name: &str, old: Option<&String>| -> Result<String, ApiError> {
        match text(name)? {
            Some(Some(t)) if !t.trim().is_empty() => Ok(t),
            Some(_) => Err(ApiError::validation(name, "invalid", format!("{name} cannot be blank"))),
            None => old.cloned().ok_or_else(|| ApiError::validation(name, "missing_field", format!("{name} is required"))),
        }
    };
    let name = required("name", current.map(|c| &c.name))?;
    if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(ApiError::validation(
            "name",
            "invalid",
            format!("`{name}` is not an attribute name: lowercase letters, digits and `_`, not starting with a digit"),
        ));
    }
    let kind = required("type", current.map(|c| &c.kind))?;
    if !TYPES.contains(&kind.as_str()) {
        return Err(ApiError::validation("type", "invalid", format!("`{kind}` is not a user attribute type ({})", TYPES.join(", "))));
    }
    let value_is_hidden = body.flag("value_is_hidden")?.or(current.map(|c| c.value_is_hidden)).unwrap_or(false);
    Ok(AttributeFields {
        name,
        label: required("label", current.map(|c| &c.label))?,
        kind,
        default_value: match text("default_value")? {
            // A hidden default reads back as null: null written back keeps it, never erases it.
            Some(None) if current.is_some_and(|c| c.value_is_hidden) => current.and_then(|c| c.default_value.clone()),
            Some(value) => value,
            None => current.and_then(|c| c.default_value.clone()),
        },
        value_is_hidden,
        // A hidden value is never shown, to its user either.
        user_can_view: !value_is_hidden && body.flag("user_can_view")?.or(current.map(|c| c.user_can_view)).unwrap_or(true),
        user_can_edit: body.flag("user_can_edit")?.or(current.map(|c| c.user_can_edit)).unwrap_or(false),
    })
}

async fn check_name(state: &AppState, name: &str, except: Option<i64>) -> Result<(), ApiError> {
    match state.engine.store().user_attribute_named(name).await? {
        Some(a) if Some(a.id) != except => Err(ApiError::conflict(format!("a user attribute named `{name}` already exists"))),
        _ => Ok(()),
    }
}

pub async fn all_user_attributes(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<UserAttribute>>, ApiError> {
    caller.require(Permission::SeeUsers)?;
    Ok(Json(state.engine.store().user_attributes().await?.iter().map(wire).collect()))
}

pub async fn create_user_attribute(State(state): State<AppState>, caller: Caller, body: Bytes) -> Result<Json<UserAttribute>, ApiError> {
    caller.require_admin()?;
    let fields = attribute_fields(&ContentBody::parse(&body)?, None)?;
    check_name(&state, &fields.name, None).await?;
    Ok(Json(wire(&state.engine.store().create_user_attribute(&fields).await?)))
}

pub async fn user_attribute(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<UserAttribute>, ApiError> {
    caller.require(Permission::SeeUsers)?;
    Ok(Json(wire(&find(&state, &id).await?)))
}

/// An attribute that may change (not a system one, whose value is the user's own field).
async fn find_editable(state: &AppState, id: &str) -> Result<store::UserAttribute, ApiError> {
    let attribute = find(state, id).await?;
    if attribute.is_system {
        let message = format!("`{}` is a system attribute: its value is the user's own", attribute.fields.name);
        return Err(ApiError::validation("user_attribute_id", "invalid", message));
    }
    Ok(attribute)
}

pub async fn update_user_attribute(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<UserAttribute>, ApiError> {
    caller.require_admin()?;
    let attribute = find_editable(&state, &id).await?;
    let fields = attribute_fields(&ContentBody::parse(&body)?, Some(&attribute.fields))?;
    check_name(&state, &fields.name, Some(attribute.id)).await?;
    let updated = state.engine.store().update_user_attribute(attribute.id, &fields).await?.ok_or_else(|| missing(&id))?;
    Ok(Json(wire(&updated)))
}

pub async fn delete_user_attribute(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let attribute = find_editable(&state, &id).await?;
    match state.engine.store().delete_user_attribute(attribute.id).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(missing(&id)),
    }
}

/// A query-string flag: `true` or `false`.
fn flag(params: &[(String, String)], name: &str) -> Result<bool, ApiError> {
    match params.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str()) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::validation(name, "invalid", format!("{name} must be true or false"))),
    }
}

/// The values of user `user_id` the caller may read: all of them for an admin or a holder of
/// `see_users`; a user's own, those the attribute lets users view; nobody else's.
async fn values_of(state: &AppState, caller: &Caller, user_id: &str) -> Result<(i64, Vec<AttributeValue>), ApiError> {
    let not_found = || ApiError::not_found(format!("user `{user_id}` does not exist"));
    let id = parse_id("user", user_id).map_err(|_| not_found())?;
    if !caller.owns_or(id, Permission::SeeUsers) {
        return Err(not_found());
    }
    let mut values = state.engine.store().user_attribute_values(id).await?.ok_or_else(not_found)?;
    if !caller.grants.has(Permission::SeeUsers) {
        values.retain(|v| v.attribute.fields.user_can_view);
    }
    Ok((id, values))
}

/// Changing a value: an admin's to do for anyone; a user's own, where the attribute lets users
/// edit it.
fn may_change_value(caller: &Caller, user_id: i64, attribute: &store::UserAttribute) -> Result<(), ApiError> {
    if caller.is_admin() || (user_id == caller.user_id && attribute.fields.user_can_edit) {
        return Ok(());
    }
    caller.require_admin()
}

pub async fn user_attribute_user_values(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<Vec<UserAttributeWithValue>>, ApiError> {
    if flag(&params, "all_values")? {
        // Looker's search path (user, groups, default) has one step with a value here.
        return Err(ApiError::validation(
            "all_values",
            "not_supported",
            "all_values=true is not supported yet: a value comes from the user, else the default (there are no groups)",
        ));
    }
    let include_unset = flag(&params, "include_unset")?;
    // Ids separated by commas, or the parameter repeated.
    let ids: Vec<&str> = params
        .iter()
        .filter(|(k, _)| k == "user_attribute_ids")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .collect();
    let invalid = || ApiError::validation("user_attribute_ids", "invalid", "user_attribute_ids must be ids separated by commas");
    let wanted: Option<Vec<i64>> = match ids.is_empty() {
        true => None,
        false => Some(ids.iter().map(|i| i.parse::<i64>()).collect::<Result<_, _>>().map_err(|_| invalid())?),
    };
    let (id, values) = values_of(&state, &caller, &user_id).await?;
    let listed = values
        .iter()
        .enumerate()
        .filter(|(_, v)| wanted.as_ref().is_none_or(|w| w.contains(&v.attribute.id)))
        .filter(|(_, v)| v.value.is_some() || include_unset)
        .map(|(rank, v)| wire_value(id, rank, v))
        .collect();
    Ok(Json(listed))
}

pub async fn set_user_attribute_user_value(
    State(state): State<AppState>,
    caller: Caller,
    Path((user_id, attribute_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<UserAttributeWithValue>, ApiError> {
    let (id, _) = values_of(&state, &caller, &user_id).await?;
    let attribute = find_editable(&state, &attribute_id).await?;
    may_change_value(&caller, id, &attribute)?;
    let body = ContentBody::parse(&body)?;
    let value = value_text(body.fields.get("value"))?;
    state.engine.store().set_user_attribute_value(id, attribute.id, &value).await?;
    let (_, values) = values_of(&state, &caller, &user_id).await?;
    let (rank, set) = values.iter().enumerate().find(|(_, v)| v.attribute.id == attribute.id).ok_or_else(|| missing(&attribute_id))?;
    Ok(Json(wire_value(id, rank, set)))
}

pub async fn delete_user_attribute_user_value(
    State(state): State<AppState>,
    caller: Caller,
    Path((user_id, attribute_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (id, _) = values_of(&state, &caller, &user_id).await?;
    let attribute = find_editable(&state, &attribute_id).await?;
    may_change_value(&caller, id, &attribute)?;
    // As Looker: 204 whether or not the user had a value of their own.
    state.engine.store().delete_user_attribute_value(id, attribute.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A group value as the API shows it (hidden as the attribute hides its values).
fn wire_group_value(attribute: &store::UserAttribute, v: &store::GroupValue) -> UserAttributeGroupValue {
    let hidden = attribute.fields.value_is_hidden;
    UserAttributeGroupValue {
        can: Some(can(&[("show", true), ("update", true), ("destroy", true)])),
        id: Some(format!("{}-{}", v.group_id, v.attribute_id)),
        group_id: Some(v.group_id.to_string()),
        user_attribute_id: Some(v.attribute_id.to_string()),
        value_is_hidden: Some(hidden),
        rank: Some(v.rank),
        value: (!hidden).then(|| v.value.clone()),
    }
}

/// A value from a body: text, a number or a boolean (as yes/no).
fn value_text(value: Option<&Value>) -> Result<String, ApiError> {
    match value {
        Some(Value::String(v)) => Ok(v.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::Bool(b)) => Ok(if *b { "yes" } else { "no" }.to_string()),
        None | Some(Value::Null) => Err(ApiError::validation("value", "missing_field", "value is required")),
        Some(_) => Err(ApiError::validation("value", "invalid", "value must be text")),
    }
}

/// A group named by id in a path or a body.
async fn group_named(state: &AppState, text: &str, field: &'static str) -> Result<store::Group, ApiError> {
    let unknown = || ApiError::validation(field, "invalid", format!("group `{text}` does not exist"));
    let id = parse_id("group", text).map_err(|_| unknown())?;
    state.engine.store().group(id).await?.ok_or_else(unknown)
}

/// An attribute's values for groups, by rank: of a user's groups, the lowest rank gives the
/// value (below the user's own value, above the default).
pub async fn all_user_attribute_group_values(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<UserAttributeGroupValue>>, ApiError> {
    caller.require_admin()?;
    let attribute = find(&state, &id).await?;
    let values = state.engine.store().attribute_group_values(attribute.id).await?;
    Ok(Json(values.iter().map(|v| wire_group_value(&attribute, v)).collect()))
}

/// Replaces an attribute's group values with those listed, in priority order (the first ranked
/// 1), each `{group_id, value}`.
pub async fn set_user_attribute_group_values(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Vec<UserAttributeGroupValue>>, ApiError> {
    caller.require_admin()?;
    let attribute = find_editable(&state, &id).await?;
    let items: Vec<serde_json::Map<String, Value>> = crate::body::parse_json(&body)?;
    let mut values: Vec<(i64, String)> = Vec::with_capacity(items.len());
    for item in &items {
        let group = match item.get("group_id") {
            Some(Value::String(g)) => group_named(&state, g, "group_id").await?,
            Some(Value::Number(n)) => group_named(&state, &n.to_string(), "group_id").await?,
            _ => return Err(ApiError::validation("group_id", "missing_field", "each group value needs a group_id")),
        };
        if values.iter().any(|(g, _)| *g == group.id) {
            return Err(ApiError::validation("group_id", "invalid", format!("group `{}` is listed twice", group.id)));
        }
        values.push((group.id, value_text(item.get("value"))?));
    }
    let store = state.engine.store();
    store.set_attribute_group_values(attribute.id, &values).await?;
    let values = store.attribute_group_values(attribute.id).await?;
    Ok(Json(values.iter().map(|v| wire_group_value(&attribute, v)).collect()))
}

/// Sets one group's value of an attribute (ranked after the others when it is new).
pub async fn update_user_attribute_group_value(
    State(state): State<AppState>,
    caller: Caller,
    Path((group_id, attribute_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<UserAttributeGroupValue>, ApiError> {
    caller.require_admin()?;
    let group =
        group_named(&state, &group_id, "group_id").await.map_err(|_| ApiError::not_found(format!("group `{group_id}` does not exist")))?;
    let attribute = find_editable(&state, &attribute_id).await?;
    let body = ContentBody::parse(&body)?;
    let value = value_text(body.fields.get("value"))?;
    let set = state.engine.store().set_group_attribute_value(group.id, attribute.id, &value).await?;
    Ok(Json(wire_group_value(&attribute, &set)))
}

pub async fn delete_user_attribute_group_value(
    State(state): State<AppState>,
    caller: Caller,
    Path((group_id, attribute_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let group =
        group_named(&state, &group_id, "group_id").await.map_err(|_| ApiError::not_found(format!("group `{group_id}` does not exist")))?;
    let attribute = find(&state, &attribute_id).await?;
    match state.engine.store().delete_group_attribute_value(group.id, attribute.id).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(ApiError::not_found(format!("group `{group_id}` has no value of user attribute `{attribute_id}`"))),
    }
}
