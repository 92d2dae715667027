//! `GET /lookml_models`, `GET /lookml_models/{name}`, `GET /lookml_models/{name}/explores/{explore}`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use wire::operations as op;
use wire::schemas::{LookmlModel, LookmlModelExplore};

use super::connections::looker_dialect_name;
use crate::auth::Caller;
use crate::declare::Declared;
use crate::{to_wire, ApiError, AppState};

/// Sightline has no built-in (System Activity) or self-service models, so asking to include them
/// is honoured by the models it has.
pub static ALL_LOOKML_MODELS: Declared = Declared::of(op::ALL_LOOKML_MODELS).query(&[
    "fields",
    "limit",
    "offset",
    "exclude_empty",
    "exclude_hidden",
    "include_internal",
    "include_self_service",
]);
pub static LOOKML_MODEL: Declared = Declared::of(op::LOOKML_MODEL).query(&["fields"]);
pub static LOOKML_MODEL_EXPLORE: Declared = Declared::of(op::LOOKML_MODEL_EXPLORE).query(&["fields"]).query_off(&["add_drills_metadata"]);

/// A non-negative count from a query parameter the declaration has already checked is an integer.
fn count(params: &HashMap<String, String>, name: &str) -> Result<Option<usize>, ApiError> {
    match params.get(name).map(|v| v.trim().parse::<i64>()) {
        None => Ok(None),
        Some(Ok(n)) if n >= 0 => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
        Some(_) => Err(ApiError::validation(name, "invalid", format!("{name} must be zero or more"))),
    }
}

pub async fn all_lookml_models(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Vec<LookmlModel>>, ApiError> {
    let flag = |name: &str| params.get(name).is_some_and(|v| v == "true");
    let (limit, offset) = (count(&params, "limit")?, count(&params, "offset")?);
    let catalog = state.engine.catalog();
    let mut seen = Vec::with_capacity(catalog.models.len());
    // Only the models the caller may see (`access_data`, through their roles' model sets).
    for m in catalog.models.values().filter(|m| caller.sees_model(&m.name)) {
        seen.push(to_wire::lookml_model(m, &state.engine.attributes_for(&m.name, Some(caller.user_id)).await?));
    }
    let models = seen
        .into_iter()
        .map(|mut m| {
            if flag("exclude_hidden") {
                if let Some(explores) = &mut m.explores {
                    explores.retain(|e| e.hidden != Some(true));
                }
            }
            m
        })
        .filter(|m| !flag("exclude_empty") || m.explores.as_ref().is_some_and(|e| !e.is_empty()))
        .skip(offset.unwrap_or(0))
        .take(limit.unwrap_or(usize::MAX))
        .collect();
    Ok(Json(models))
}

/// The model named `name`, if the caller may see it (one they may not is missing to them).
fn model<'a>(state: &'a AppState, caller: &Caller, name: &str) -> Result<&'a semantic::Model, ApiError> {
    state
        .engine
        .catalog()
        .models
        .get(name)
        .filter(|_| caller.sees_model(name))
        .ok_or_else(|| ApiError::not_found(format!("model `{name}` does not exist")))
}

pub async fn lookml_model(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> Result<Json<LookmlModel>, ApiError> {
    let m = model(&state, &caller, &name)?;
    let attributes = state.engine.attributes_for(&m.name, Some(caller.user_id)).await?;
    Ok(Json(to_wire::lookml_model(m, &attributes)))
}

pub async fn lookml_model_explore(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, explore)): Path<(String, String)>,
) -> Result<Json<LookmlModelExplore>, ApiError> {
    let m = model(&state, &caller, &name)?;
    let attributes = state.engine.attributes_for(&m.name, Some(caller.user_id)).await?;
    // An explore the caller's access grants do not allow is not theirs to see.
    let e = m
        .explore(&explore)
        .filter(|e| semantic::first_lacking(m, &attributes, &e.required_access_grants).is_none())
        .ok_or_else(|| ApiError::not_found(format!("explore `{explore}` does not exist in model `{name}`")))?;
    let dialect = state
        .engine
        .connections()
        .into_iter()
        .find(|c| c.name == m.connection)
        .map(|c| looker_dialect_name(c.connection.dialect()).to_string());
    Ok(Json(to_wire::lookml_explore(m, e, dialect, &attributes)))
}
