//! Dashboard filters: `POST /dashboard_filters`, `GET/PATCH/DELETE /dashboard_filters/{id}`,
//! `GET /dashboards/{id}/dashboard_filters`.
//!
//! A `field_filter` is on `dimension` of `model`'s `explore`; `date_filter`, `number_filter` and
//! `string_filter` are bare. When the dashboard is drawn, a filter's value (the render request's
//! `dashboard_filters`, else `default_value`) is set on the fields that charts listening to it
//! name (`result_maker.filterables[].listen`); a chart that lists no listens takes each field
//! filter's value on its dimension when it is of the filter's explore, as Looker applies a new
//! filter to the tiles of its explore. `required` filters must have a value to draw.
//! `listens_to_filters` (linked filters' suggestions) and `ui_config` are refused by name.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use engine::QueryBody;
use store::{FilterFields, Permission};
use wire::operations as op;
use wire::schemas::DashboardFilter;

use super::content_body::ContentBody;
use super::parse_id;
use crate::auth::Caller;
use crate::declare::Declared;
use crate::{to_wire, ApiError, AppState};

const FILTER_FIELDS: &[&str] =
    &["name", "title", "type", "default_value", "model", "explore", "dimension", "row", "allow_multiple_values", "required"];

pub static CREATE_DASHBOARD_FILTER: Declared = Declared::of(op::CREATE_DASHBOARD_FILTER).query(&["fields"]).body(&[
    "dashboard_id",
    "name",
    "title",
    "type",
    "default_value",
    "model",
    "explore",
    "dimension",
    "row",
    "allow_multiple_values",
    "required",
]);
pub static DASHBOARD_FILTER: Declared = Declared::of(op::DASHBOARD_FILTER).query(&["fields"]);
pub static UPDATE_DASHBOARD_FILTER: Declared = Declared::of(op::UPDATE_DASHBOARD_FILTER).query(&["fields"]).body(FILTER_FIELDS);
pub static DELETE_DASHBOARD_FILTER: Declared = Declared::of(op::DELETE_DASHBOARD_FILTER);
pub static DASHBOARD_DASHBOARD_FILTERS: Declared = Declared::of(op::DASHBOARD_DASHBOARD_FILTERS).query(&["fields"]);

/// Looker's dashboard filter types Sightline applies: a field filter (to the charts of its
/// explore, or through listens) and the bare filters (through listens only).
const FILTER_TYPES: &[&str] = &["field_filter", "date_filter", "number_filter", "string_filter"];

fn missing(id: &str) -> ApiError {
    ApiError::not_found(format!("dashboard filter `{id}` does not exist"))
}

async fn find(state: &AppState, id: &str) -> Result<store::DashboardFilter, ApiError> {
    let filter_id = parse_id("dashboard filter", id).map_err(|_| missing(id))?;
    state.engine.store().dashboard_filter(filter_id).await?.ok_or_else(|| missing(id))
}

/// The fields a body sets over `current` (an update) or from nothing (a create), checked as a
/// whole: a field filter names a field of an explore that exists.
fn filter_fields(state: &AppState, body: &ContentBody, current: Option<&FilterFields>) -> Result<FilterFields, ApiError> {
    let required_text = |name: &str, old: Option<&String>| -> Result<String, ApiError> {
        match body.text(name)? {
            Some(Some(t)) if !t.trim().is_empty() => Ok(t),
            Some(_) => Err(ApiError::validation(name, "invalid", format!("{name} cannot be blank"))),
            None => old.cloned().ok_or_else(|| ApiError::validation(name, "missing_field", format!("{name} is required"))),
        }
    };
    let optional = |name: &str, old: Option<&Option<String>>| -> Result<Option<String>, ApiError> {
        Ok(body.text(name)?.unwrap_or_else(|| old.cloned().flatten()))
    };
    let kind = required_text("type", current.map(|c| &c.kind))?;
    if !FILTER_TYPES.contains(&kind.as_str()) {
        return Err(ApiError::validation(
            "type",
            "not_supported",
            format!("dashboard filter type `{kind}` is not supported yet (these are: {})", FILTER_TYPES.join(", ")),
        ));
    }
    let row = match body.get("row") {
        None => current.and_then(|c| c.row),
        Some(v) => Some(v.as_i64().ok_or_else(|| ApiError::validation("row", "invalid", "row must be a whole number"))?),
    };
    let fields = FilterFields {
        name: required_text("name", current.map(|c| &c.name))?,
        title: required_text("title", current.map(|c| &c.title))?,
        kind,
        default_value: optional("default_value", current.map(|c| &c.default_value))?,
        model: optional("model", current.map(|c| &c.model))?,
        explore: optional("explore", current.map(|c| &c.explore))?,
        dimension: optional("dimension", current.map(|c| &c.dimension))?,
        row,
        listens_to_filters: current.map(|c| c.listens_to_filters.clone()).unwrap_or_default(),
        allow_multiple_values: body.flag("allow_multiple_values")?.or(current.map(|c| c.allow_multiple_values)).unwrap_or(true),
        required: body.flag("required")?.or(current.map(|c| c.required)).unwrap_or(false),
    };
    if fields.kind != "field_filter" {
        // A bare filter sets fields only through the charts that listen to it.
        return Ok(fields);
    }
    let (Some(model), Some(explore), Some(dimension)) = (&fields.model, &fields.explore, &fields.dimension) else {
        let absent = [("model", &fields.model), ("explore", &fields.explore), ("dimension", &fields.dimension)]
            .into_iter()
            .find(|(_, v)| v.is_none())
            .map_or("dimension", |(n, _)| n);
        return Err(ApiError::validation(
            absent,
            "missing_field",
            format!("a field_filter needs model, explore and dimension: {absent} is missing"),
        ));
    };
    // The field must be one of the explore's: compiled as a query of it alone.
    let probe = QueryBody { model: model.clone(), view: explore.clone(), fields: Some(vec![dimension.clone()]), ..QueryBody::default() };
    state.engine.compile(&probe, None).map_err(|e| ApiError::validation("dimension", "invalid", e.to_string()))?;
    Ok(fields)
}

async fn check_name(state: &AppState, dashboard_id: i64, name: &str, except: Option<i64>) -> Result<(), ApiError> {
    let taken =
        state.engine.store().dashboard_filters(dashboard_id).await?.into_iter().any(|f| f.fields.name == name && Some(f.id) != except);
    if taken {
        return Err(ApiError::conflict(format!("dashboard {dashboard_id} already has a filter named `{name}`")));
    }
    Ok(())
}

pub async fn create_dashboard_filter(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<DashboardFilter>, ApiError> {
    caller.require(Permission::SaveContent)?;
    let body = ContentBody::parse(&body)?;
    let dashboard_id =
        body.id("dashboard_id")?.ok_or_else(|| ApiError::validation("dashboard_id", "missing_field", "dashboard_id is required"))?;
    if state.engine.store().dashboard(dashboard_id).await?.is_none() {
        return Err(ApiError::validation("dashboard_id", "not_found", format!("dashboard `{dashboard_id}` does not exist")));
    }
    let fields = filter_fields(&state, &body, None)?;
    check_name(&state, dashboard_id, &fields.name, None).await?;
    let filter = state.engine.store().create_dashboard_filter(dashboard_id, &fields).await?;
    Ok(Json(to_wire::dashboard_filter(&filter)))
}

pub async fn dashboard_filter(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DashboardFilter>, ApiError> {
    caller.require(Permission::SeeUserDashboards)?;
    Ok(Json(to_wire::dashboard_filter(&find(&state, &id).await?)))
}

pub async fn update_dashboard_filter(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<DashboardFilter>, ApiError> {
    caller.require(Permission::SaveContent)?;
    let filter = find(&state, &id).await?;
    let body = ContentBody::parse(&body)?;
    let fields = filter_fields(&state, &body, Some(&filter.fields))?;
    check_name(&state, filter.dashboard_id, &fields.name, Some(filter.id)).await?;
    let updated = state.engine.store().update_dashboard_filter(filter.id, &fields).await?.ok_or_else(|| missing(&id))?;
    Ok(Json(to_wire::dashboard_filter(&updated)))
}

pub async fn delete_dashboard_filter(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Permission::SaveContent)?;
    let filter = find(&state, &id).await?;
    if state.engine.store().delete_dashboard_filter(filter.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(missing(&id))
    }
}

pub async fn dashboard_dashboard_filters(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<DashboardFilter>>, ApiError> {
    caller.require(Permission::SeeUserDashboards)?;
    let d = super::dashboards::find(&state, &caller, &id).await?;
    let filters = state.engine.store().dashboard_filters(d.id).await?;
    Ok(Json(filters.iter().map(to_wire::dashboard_filter).collect()))
}
