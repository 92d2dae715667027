//! A panic anywhere in a handler becomes a 500 in Looker's shape, logged with its message, instead
//! of a dropped connection. (A task's own failures are the engine's: it ends every task in a
//! terminal state.)

use std::panic::AssertUnwindSafe;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;

use crate::ApiError;

pub async fn catch_panic(request: Request, next: Next) -> Response {
    let route = format!("{} {}", request.method(), request.uri().path());
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            tracing::error!(%route, panic = %message, "a handler panicked");
            ApiError::internal("Sightline failed while answering this request; the reason is in its log.").into_response()
        }
    }
}
