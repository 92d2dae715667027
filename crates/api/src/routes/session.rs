//! `POST /login`, `DELETE /logout`, `GET /user`, `GET /versions`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::Value;

use crate::auth::Caller;
use crate::wire::{self, AccessToken};
use crate::{ApiError, AppState, TOKEN_LIFETIME};

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
    Ok(Json(AccessToken { access_token: token, token_type: "Bearer", expires_in: TOKEN_LIFETIME, refresh_token: None }))
}

pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    state.engine.store().delete_token(&caller.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let user = state.engine.store().user(caller.user_id).await?.ok_or_else(|| ApiError::not_found("user not found"))?;
    Ok(Json(wire::user(&user)))
}

pub async fn versions(State(state): State<AppState>) -> Json<Value> {
    Json(wire::api_version(&state.base_url))
}
