//! The caller, from `Authorization: token …` (Looker's form) or `Bearer …` (what the SDKs send),
//! held to its request rate when there is one.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::{ApiError, AppState};

pub struct Caller {
    pub user_id: i64,
    pub token: String,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(ApiError::unauthorized)?;
        let token = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim().to_string())
            .ok_or_else(ApiError::unauthorized)?;
        let user_id = state.engine.store().user_for_token(&token).await?.ok_or_else(ApiError::unauthorized)?;
        if let Some(rates) = &state.user_rates {
            rates.take(user_id).map_err(ApiError::too_many_requests)?;
        }
        Ok(Caller { user_id, token })
    }
}
