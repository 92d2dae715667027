//! `GET /lookml_models`, `GET /lookml_models/{name}`, `GET /lookml_models/{name}/explores/{explore}`.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::Value;

use crate::auth::Caller;
use crate::{wire, ApiError, AppState};

pub async fn all_lookml_models(State(state): State<AppState>, _caller: Caller) -> Json<Value> {
    Json(Value::Array(state.engine.catalog().models.values().map(wire::lookml_model).collect()))
}

fn model<'a>(state: &'a AppState, name: &str) -> Result<&'a semantic::Model, ApiError> {
    state.engine.catalog().models.get(name).ok_or_else(|| ApiError::not_found(format!("model `{name}` does not exist")))
}

pub async fn lookml_model(State(state): State<AppState>, _caller: Caller, Path(name): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(wire::lookml_model(model(&state, &name)?)))
}

pub async fn lookml_model_explore(
    State(state): State<AppState>,
    _caller: Caller,
    Path((name, explore)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let m = model(&state, &name)?;
    let e = m.explore(&explore).ok_or_else(|| ApiError::not_found(format!("explore `{explore}` does not exist in model `{name}`")))?;
    Ok(Json(wire::lookml_explore(m, e)))
}
