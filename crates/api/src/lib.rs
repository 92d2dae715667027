//! The Looker API 4.0 over HTTP (`/api/4.0/…`), thin: each route parses the request, checks the
//! caller, calls the engine or store, and shapes the answer as the OpenAPI spec's schema.
//! Every error leaves through [`ApiError`] in Looker's JSON shape.

mod auth;
mod body;
pub mod declare;
mod error;
mod panic;
mod payload_body;
mod rate;
mod routes;
mod serve;
mod swagger;
mod to_wire;

use axum::Router;
use engine::Engine;

pub use declare::Declared;
pub use error::{ApiError, DOCUMENTATION_URL};
pub use rate::UserRates;
pub use routes::declarations;
pub use serve::{serve, Limits};

/// Seconds an access token lives, as Looker's default.
pub const TOKEN_LIFETIME: i64 = 3600;

#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    /// The address clients reach this server at (`http://host:port`), for `url` fields.
    pub base_url: String,
    /// Requests a second per user, when limited (`--user-rate`): past it, 429.
    pub user_rates: Option<std::sync::Arc<UserRates>>,
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    Router::new()
        .nest("/api/4.0", routes::api_routes().route("/swagger.json", axum::routing::get(swagger::swagger)))
        .merge(routes::unversioned_routes())
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(axum::middleware::from_fn(panic::catch_panic))
        .with_state(state)
}
