//! `POST /login`, `DELETE /logout`, `GET /user`, `GET /versions`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use wire::operations as op;
use wire::schemas::{AccessToken, ApiVersion, User};

use crate::auth::Caller;
use crate::declare::Declared;
use crate::{to_wire, ApiError, AppState, TOKEN_LIFETIME};

pub static LOGIN: Declared = Declared::of(op::LOGIN).query(&["client_id", "client_secret"]);
pub static LOGOUT: Declared = Declared::of(op::LOGOUT);
pub static ME: Declared = Declared::of(op::ME).query(&["fields"]);
pub static VERSIONS: Declared = Declared::of(op::VERSIONS).query(&["fields"]);

/// Credentials come in the form body (as the SDKs send them) or, deprecated, the query string.
pub async fn login(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Json<AccessToken>, ApiError> {
    let form: HashMap<String, String> =
        serde_urlencoded::from_bytes(&body).map_err(|e| ApiError::bad_request(format!("the login body is not form-encoded: {e}")))?;
    let get = |k: &str| form.get(k).or_else(|| query.get(k)).cloned();
    let (Some(client_id), Some(client_secret)) = (get("client_id"), get("client_secret")) else {
        return Err(ApiError::bad_request("login needs client_id and client_secret"));
    };
    let user = state.engine.store().verify_api3(&client_id, &client_secret).await?;
    // Looker answers wrong credentials with 404, without saying which half was wrong.
    let user = user.ok_or_else(|| ApiError::not_found("Not found: no API key matches this client_id and client_secret"))?;
    let token = state.engine.store().create_token(user, TOKEN_LIFETIME).await?;
    Ok(Json(to_wire::access_token(token, TOKEN_LIFETIME)))
}

pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    state.engine.store().delete_token(&caller.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<User>, ApiError> {
    let user = state.engine.store().user(caller.user_id).await?.ok_or_else(|| ApiError::not_found("user not found"))?;
    Ok(Json(super::users::shown(&state, &user).await?))
}

pub async fn versions(State(state): State<AppState>) -> Json<ApiVersion> {
    Json(to_wire::api_version(&state.base_url))
}
