//! Users: listed, searched and read (with `see_users`, or one's own), created and changed by
//! admins; their email credentials (the email the `email` user attribute reads; there is no
//! password login) and API3 credentials; their roles; and `POST /login/{user_id}` (an admin or a
//! holder of `sudo` acting as someone else). The last enabled admin can neither be disabled nor lose the
//! Admin role: the server would have nobody left to manage it.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{Map, Value};
use store::{Permission, UserFields};
use wire::operations as op;
use wire::schemas::{AccessToken, CreateCredentialsApi3, CredentialsApi3, CredentialsEmail, Role, User};

use super::content_body::ContentBody;
use super::parse_id;
use crate::auth::Caller;
use crate::body::parse_json;
use crate::declare::Declared;
use crate::to_wire::can;
use crate::{to_wire, ApiError, AppState, TOKEN_LIFETIME};

const USER_FIELDS: &[&str] = &["first_name", "last_name", "is_disabled"];

pub static ALL_USERS: Declared = Declared::of(op::ALL_USERS).query(&["fields", "ids"]);
pub static CREATE_USER: Declared = Declared::of(op::CREATE_USER).query(&["fields"]).body(USER_FIELDS);
pub static USER: Declared = Declared::of(op::USER).query(&["fields"]);
pub static UPDATE_USER: Declared = Declared::of(op::UPDATE_USER).query(&["fields"]).body(USER_FIELDS);
pub static ALL_USER_CREDENTIALS_API3S: Declared = Declared::of(op::ALL_USER_CREDENTIALS_API3S).query(&["fields"]);
pub static CREATE_USER_CREDENTIALS_API3: Declared = Declared::of(op::CREATE_USER_CREDENTIALS_API3).query(&["fields"]);
pub static USER_CREDENTIALS_API3: Declared = Declared::of(op::USER_CREDENTIALS_API3).query(&["fields"]);
pub static DELETE_USER_CREDENTIALS_API3: Declared = Declared::of(op::DELETE_USER_CREDENTIALS_API3);
pub static USER_ROLES: Declared = Declared::of(op::USER_ROLES).query(&["fields", "direct_association_only"]);
pub static SET_USER_ROLES: Declared = Declared::of(op::SET_USER_ROLES).query(&["fields"]);
pub static LOGIN_USER: Declared = Declared::of(op::LOGIN_USER);
pub static SEARCH_USERS: Declared =
    Declared::of(op::SEARCH_USERS).query(&["fields", "id", "first_name", "last_name", "email", "is_disabled", "limit", "offset"]);
/// Email credentials carry the email only: there is no password login to reset.
pub static USER_CREDENTIALS_EMAIL: Declared = Declared::of(op::USER_CREDENTIALS_EMAIL).query(&["fields"]);
pub static CREATE_USER_CREDENTIALS_EMAIL: Declared = Declared::of(op::CREATE_USER_CREDENTIALS_EMAIL).query(&["fields"]).body(&["email"]);
pub static UPDATE_USER_CREDENTIALS_EMAIL: Declared = Declared::of(op::UPDATE_USER_CREDENTIALS_EMAIL).query(&["fields"]).body(&["email"]);
pub static DELETE_USER_CREDENTIALS_EMAIL: Declared = Declared::of(op::DELETE_USER_CREDENTIALS_EMAIL);
pub static DELETE_USER: Declared = Declared::of(op::DELETE_USER);

fn missing(id: &str) -> ApiError {
    ApiError::not_found(format!("user `{id}` does not exist"))
}

/// User `id` from the path, if the caller may see them: themselves, or anyone with `see_users`.
async fn find(state: &AppState, caller: &Caller, id: &str) -> Result<store::User, ApiError> {
    let user_id = parse_id("user", id).map_err(|_| missing(id))?;
    if !caller.owns_or(user_id, Permission::SeeUsers) {
        return Err(missing(id));
    }
    state.engine.store().user(user_id).await?.ok_or_else(|| missing(id))
}

/// A user as the API shows them, with their personal folder and roles.
pub async fn shown(state: &AppState, user: &store::User) -> Result<User, ApiError> {
    let store = state.engine.store();
    let folder = store.personal_folder(user.id).await?;
    // `role_ids` are the roles given to the user (what `PUT /users/{id}/roles` sets); groups
    // bring theirs apart.
    let roles: Vec<i64> = store.user_roles(user.id, store::Holding::Direct).await?.iter().map(|r| r.id).collect();
    let groups = store.user_group_ids(user.id).await?;
    Ok(to_wire::user(user, folder.map(|f| f.id), &roles, &groups))
}

pub async fn all_users(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<Vec<User>>, ApiError> {
    caller.require(Permission::SeeUsers)?;
    let wanted = super::ids_param(&params, "user")?;
    let mut out = Vec::new();
    for user in state.engine.store().users().await? {
        if wanted.is_empty() || wanted.contains(&user.id) {
            out.push(shown(&state, &user).await?);
        }
    }
    Ok(Json(out))
}

/// The body's text field `name`, trimmed: `None` when absent or null.
fn text(body: &ContentBody, name: &str) -> Result<Option<String>, ApiError> {
    Ok(body.text(name)?.flatten().map(|s| s.trim().to_string()))
}

/// The body's boolean field `name` (not nullable in the spec: null is refused).
fn boolean(body: &ContentBody, name: &str) -> Result<Option<bool>, ApiError> {
    match body.fields.get(name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::validation(name, "invalid", format!("{name} must be true or false"))),
    }
}

/// Refuses a change that would leave no enabled admin.
async fn keeps_an_admin(state: &AppState, user_id: i64, still_admin: bool) -> Result<(), ApiError> {
    if still_admin {
        return Ok(());
    }
    let admins = state.engine.store().admin_user_ids().await?;
    if admins == [user_id] {
        return Err(ApiError::validation(
            "user_id",
            "invalid",
            "this is the last enabled admin: give another user the Admin role first, or nobody could manage the server",
        ));
    }
    Ok(())
}

pub async fn create_user(State(state): State<AppState>, caller: Caller, body: Bytes) -> Result<Json<User>, ApiError> {
    caller.require_admin()?;
    let body = if body.iter().all(u8::is_ascii_whitespace) { ContentBody { fields: Map::new() } } else { ContentBody::parse(&body)? };
    let store = state.engine.store();
    let first = text(&body, "first_name")?.unwrap_or_default();
    let last = text(&body, "last_name")?.unwrap_or_default();
    let id = store.create_user(&first, &last, None).await?;
    if boolean(&body, "is_disabled")? == Some(true) {
        store.set_user_disabled(id, true).await?;
    }
    let user = store.user(id).await?.ok_or_else(|| missing(&id.to_string()))?;
    Ok(Json(shown(&state, &user).await?))
}

pub async fn user(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<User>, ApiError> {
    let user = find(&state, &caller, &id).await?;
    Ok(Json(shown(&state, &user).await?))
}

pub async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<User>, ApiError> {
    caller.require_admin()?;
    let user = find(&state, &caller, &id).await?;
    let body = ContentBody::parse(&body)?;
    let fields = UserFields {
        first_name: text(&body, "first_name")?.unwrap_or(user.first_name.clone()),
        last_name: text(&body, "last_name")?.unwrap_or(user.last_name.clone()),
        email: user.email.clone(),
        is_disabled: boolean(&body, "is_disabled")?.unwrap_or(user.is_disabled),
    };
    if fields.is_disabled {
        keeps_an_admin(&state, user.id, false).await?;
    }
    state.engine.store().update_user(user.id, &fields).await?;
    let updated = state.engine.store().user(user.id).await?.ok_or_else(|| missing(&id))?;
    Ok(Json(shown(&state, &updated).await?))
}

fn credential(user_id: i64, c: &store::Api3Credential, base_url: &str) -> CredentialsApi3 {
    CredentialsApi3 {
        id: Some(c.id.to_string()),
        client_id: Some(c.client_id.clone()),
        created_at: Some(c.created_at.clone()),
        is_disabled: Some(false),
        r#type: Some("api3".into()),
        url: Some(format!("{base_url}/api/4.0/users/{user_id}/credentials_api3/{}", c.id)),
        can: Some(can(&[("show", true)])),
        ..Default::default()
    }
}

/// A user's API3 credentials: their own, or anyone's for an admin.
async fn credentials_owner(state: &AppState, caller: &Caller, id: &str) -> Result<store::User, ApiError> {
    let user = find(state, caller, id).await?;
    if user.id != caller.user_id {
        caller.require_admin()?;
    }
    Ok(user)
}

pub async fn all_user_credentials_api3s(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<CredentialsApi3>>, ApiError> {
    let user = credentials_owner(&state, &caller, &id).await?;
    let listed = state.engine.store().api3_credentials(user.id).await?;
    Ok(Json(listed.iter().map(|c| credential(user.id, c, &state.base_url)).collect()))
}

/// New API3 credentials (admins make them, as in Looker); the secret is in this answer only.
pub async fn create_user_credentials_api3(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CreateCredentialsApi3>, ApiError> {
    caller.require_admin()?;
    let user = find(&state, &caller, &id).await?;
    let (made, secret) = state.engine.store().create_api3_credentials(user.id).await?;
    let shown = credential(user.id, &made, &state.base_url);
    Ok(Json(CreateCredentialsApi3 {
        id: shown.id,
        client_id: shown.client_id,
        created_at: shown.created_at,
        is_disabled: shown.is_disabled,
        r#type: shown.r#type,
        url: shown.url,
        can: shown.can,
        client_secret: Some(secret),
        ..Default::default()
    }))
}

pub async fn user_credentials_api3(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, credential_id)): Path<(String, String)>,
) -> Result<Json<CredentialsApi3>, ApiError> {
    let user = credentials_owner(&state, &caller, &id).await?;
    let wanted = parse_id("credentials_api3", &credential_id)?;
    let listed = state.engine.store().api3_credentials(user.id).await?;
    let found = listed
        .iter()
        .find(|c| c.id == wanted)
        .ok_or_else(|| ApiError::not_found(format!("user `{id}` has no API3 credentials `{credential_id}`")))?;
    Ok(Json(credential(user.id, found, &state.base_url)))
}

pub async fn delete_user_credentials_api3(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, credential_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let user = find(&state, &caller, &id).await?;
    let wanted = parse_id("credentials_api3", &credential_id)?;
    match state.engine.store().delete_api3_credential(user.id, wanted).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(ApiError::not_found(format!("user `{id}` has no API3 credentials `{credential_id}`"))),
    }
}

/// The roles a user holds: given to them and to their groups, or with
/// `direct_association_only=true` only those given to them.
pub async fn user_roles(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Vec<Role>>, ApiError> {
    let user = find(&state, &caller, &id).await?;
    let holding = match params.get("direct_association_only").is_some_and(|v| v == "true") {
        true => store::Holding::Direct,
        false => store::Holding::All,
    };
    let roles = state.engine.store().user_roles(user.id, holding).await?;
    Ok(Json(roles.iter().map(|r| to_wire::role(r, &state.base_url)).collect()))
}

/// Replaces the user's roles with those named (ids as text or numbers, as the SDKs send them).
pub async fn set_user_roles(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Vec<Role>>, ApiError> {
    caller.require_admin()?;
    let user = find(&state, &caller, &id).await?;
    let ids: Vec<Value> = parse_json(&body)?;
    let store = state.engine.store();
    let mut roles = Vec::with_capacity(ids.len());
    for value in &ids {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err(ApiError::validation("role_ids", "invalid", "the body is a list of role ids")),
        };
        let unknown = || ApiError::validation("role_ids", "invalid", format!("role `{text}` does not exist"));
        let role_id = parse_id("role", &text).map_err(|_| unknown())?;
        roles.push(store.role(role_id).await?.ok_or_else(unknown)?);
    }
    // An admin through a group stays one whatever roles are given to them.
    let through_groups = store.user_roles(user.id, store::Holding::ThroughGroups).await?;
    let still_admin = roles.iter().chain(&through_groups).any(|r| r.permission_set.all_access);
    keeps_an_admin(&state, user.id, still_admin).await?;
    store.set_user_roles(user.id, &roles.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let held = store.user_roles(user.id, store::Holding::Direct).await?;
    Ok(Json(held.iter().map(|r| to_wire::role(r, &state.base_url)).collect()))
}

/// An access token for another user (`sudo`): an admin may act as anyone; a holder of `sudo`
/// as anyone who is not an admin.
pub async fn login_user(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<AccessToken>, ApiError> {
    caller.require(Permission::Sudo)?;
    let user = find(&state, &caller, &id).await?;
    let store = state.engine.store();
    if user.is_disabled {
        return Err(ApiError::validation("user_id", "invalid", format!("user `{id}` is disabled")));
    }
    if !caller.is_admin() && store.grants(user.id).await?.is_admin() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "Forbidden: only an admin may log in as an admin"));
    }
    let token = store.create_token(user.id, TOKEN_LIFETIME).await?;
    Ok(Json(to_wire::access_token(token, TOKEN_LIFETIME)))
}

/// Looker's search pattern: case-insensitive, `%` any run of characters, `_` any one.
fn like(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('%', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('_', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first().is_some_and(|f| f == c) && go(rest, &t[1..]),
        }
    }
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    go(&p, &t)
}

/// Users matching every condition given (`first_name`, `last_name`, `email` as patterns; `id`
/// a comma-separated list; `is_disabled`), by id, paged by `limit`/`offset`.
pub async fn search_users(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Vec<User>>, ApiError> {
    caller.require(Permission::SeeUsers)?;
    let number = |name: &str| -> Result<Option<usize>, ApiError> {
        params
            .get(name)
            .map(|v| v.trim().parse::<usize>().map_err(|_| ApiError::bad_request(format!("`{name}` must be a whole number ≥ 0"))))
            .transpose()
    };
    let ids: Option<Vec<i64>> = params
        .get("id")
        .map(|list| {
            list.split(',')
                .map(|p| p.trim().parse::<i64>().map_err(|_| ApiError::bad_request(format!("`id` must be user ids, not `{p}`"))))
                .collect()
        })
        .transpose()?;
    let disabled = params.get("is_disabled").map(|v| v == "true");
    let text = |name: &str, value: &str| params.get(name).is_none_or(|pattern| like(pattern, value));
    let mut out = Vec::new();
    let found = state.engine.store().users().await?.into_iter().filter(|u| {
        ids.as_ref().is_none_or(|ids| ids.contains(&u.id))
            && disabled.is_none_or(|d| d == u.is_disabled)
            && text("first_name", &u.first_name)
            && text("last_name", &u.last_name)
            && params.get("email").is_none_or(|pattern| u.email.as_deref().is_some_and(|e| like(pattern, e)))
    });
    for user in found.skip(number("offset")?.unwrap_or(0)).take(number("limit")?.unwrap_or(usize::MAX)) {
        out.push(shown(&state, &user).await?);
    }
    Ok(Json(out))
}

fn no_email(id: &str) -> ApiError {
    ApiError::not_found(format!("user `{id}` has no email credentials"))
}

pub async fn user_credentials_email(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CredentialsEmail>, ApiError> {
    let user = find(&state, &caller, &id).await?;
    let email = user.email.as_deref().ok_or_else(|| no_email(&id))?;
    Ok(Json(to_wire::credentials_email(user.id, email)))
}

/// Sets the user's email (one user per email, compared ignoring case); admins only.
async fn write_email(state: &AppState, caller: &Caller, id: &str, body: &Bytes, creating: bool) -> Result<CredentialsEmail, ApiError> {
    caller.require_admin()?;
    let user = find(state, caller, id).await?;
    if creating && user.email.is_some() {
        return Err(ApiError::conflict(format!("user `{id}` has email credentials already: change them with PATCH")));
    }
    if !creating && user.email.is_none() {
        return Err(no_email(id));
    }
    let body: Map<String, Value> = parse_json(body)?;
    let email = match body.get("email") {
        Some(Value::String(e)) if e.contains('@') && !e.trim().is_empty() && e.len() <= 255 => e.trim().to_string(),
        Some(Value::String(_)) => return Err(ApiError::validation("email", "invalid", "email must be an email address")),
        None | Some(Value::Null) => return Err(ApiError::validation("email", "missing_field", "email is required")),
        Some(_) => return Err(ApiError::validation("email", "invalid", "email must be text")),
    };
    let store = state.engine.store();
    if store.user_with_email(&email).await?.is_some_and(|other| other != user.id) {
        return Err(ApiError::conflict(format!("another user has the email `{email}`")));
    }
    store.set_user_email(user.id, Some(&email)).await?;
    Ok(to_wire::credentials_email(user.id, &email))
}

pub async fn create_user_credentials_email(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<CredentialsEmail>, ApiError> {
    Ok(Json(write_email(&state, &caller, &id, &body, true).await?))
}

pub async fn update_user_credentials_email(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<CredentialsEmail>, ApiError> {
    Ok(Json(write_email(&state, &caller, &id, &body, false).await?))
}

pub async fn delete_user_credentials_email(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let user = find(&state, &caller, &id).await?;
    if user.email.is_none() {
        return Err(no_email(&id));
    }
    state.engine.store().set_user_email(user.id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a user, as Looker does: an admin's act, never on themselves nor on the last enabled
/// admin (400, the codes the spec gives); their Looks and dashboards go to the trash, their
/// credentials and sessions end at once, and the user is found no more.
pub async fn delete_user(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let user = find(&state, &caller, &id).await?;
    if user.id == caller.user_id {
        return Err(ApiError::bad_request("a user cannot delete themselves"));
    }
    if state.engine.store().admin_user_ids().await? == [user.id] {
        return Err(ApiError::bad_request("this is the last enabled admin: give another user the Admin role first"));
    }
    match state.engine.store().delete_user(user.id, caller.user_id).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(missing(&id)),
    }
}
