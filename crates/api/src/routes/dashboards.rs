//! Dashboards: `GET /dashboards`, `POST /dashboards`, `GET/PATCH/DELETE /dashboards/{id}`,
//! `GET /dashboards/search`. A dashboard is shown with its elements and layouts (elements,
//! layouts and components have their own routes in `dashboard_elements.rs`, filters in
//! `dashboard_filters.rs`).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use store::{ContentColumn, DashboardChange, NewDashboard, Permission};
use wire::operations as op;
use wire::schemas::{Dashboard, DashboardBase, DashboardElement, DashboardLayout};

use super::content_body::{search_of, ContentBody};
use super::parse_id;
use crate::auth::Caller;
use crate::declare::Declared;
use crate::{to_wire, ApiError, AppState};

/// The fields a dashboard is written with; its look (colors, filters bar, …), refresh, model,
/// time zone, slug and the rest are refused by name.
const DASHBOARD_FIELDS: &[&str] = &["title", "description", "folder_id", "folder", "user_id"];

pub static ALL_DASHBOARDS: Declared = Declared::of(op::ALL_DASHBOARDS).query(&["fields"]);
/// A new dashboard is not created in the trash: `deleted` only as false.
pub static CREATE_DASHBOARD: Declared = Declared::of(op::CREATE_DASHBOARD).body(DASHBOARD_FIELDS).body_off(&["deleted"]);
pub static DASHBOARD: Declared = Declared::of(op::DASHBOARD).query(&["fields"]);
pub static UPDATE_DASHBOARD: Declared =
    Declared::of(op::UPDATE_DASHBOARD).body(&["title", "description", "folder_id", "folder", "user_id", "deleted"]);
pub static DELETE_DASHBOARD: Declared = Declared::of(op::DELETE_DASHBOARD);
/// Slugs, favorites, view counts, curation and content metadata do not exist here: those
/// parameters are refused by name.
pub static SEARCH_DASHBOARDS: Declared = Declared::of(op::SEARCH_DASHBOARDS).query(&[
    "id",
    "title",
    "description",
    "folder_id",
    "user_id",
    "deleted",
    "filter_or",
    "sorts",
    "limit",
    "offset",
    "page",
    "per_page",
    "fields",
]);

/// The columns dashboards are sorted by (every content column but `query_id`).
fn sortable() -> Vec<ContentColumn> {
    ContentColumn::ALL.iter().map(|(_, c)| *c).filter(|c| *c != ContentColumn::QueryId).collect()
}

fn missing(id: &str) -> ApiError {
    ApiError::not_found(format!("dashboard `{id}` does not exist"))
}

/// Dashboard `id` from the path, deleted (in the trash) or not; the caller needs
/// `see_user_dashboards`.
pub async fn find(state: &AppState, caller: &Caller, id: &str) -> Result<store::Dashboard, ApiError> {
    caller.require(Permission::SeeUserDashboards)?;
    let dashboard_id = parse_id("dashboard", id).map_err(|_| missing(id))?;
    state.engine.store().dashboard(dashboard_id).await?.ok_or_else(|| missing(id))
}

/// LookML dashboard `model::name` needs `see_lookml_dashboards` on its model; without it, it is
/// missing to the caller.
pub fn may_see_lookml_dashboard(caller: &Caller, id: &str) -> Result<(), ApiError> {
    let model = id.split("::").next().unwrap_or_default();
    if caller.grants.has_on(Permission::SeeLookmlDashboards, model) {
        Ok(())
    } else {
        Err(missing(id))
    }
}

/// A dashboard with its elements and layouts.
async fn shown(state: &AppState, d: &store::Dashboard) -> Result<Dashboard, ApiError> {
    let store = state.engine.store();
    let folder = store.folder(d.folder_id).await?;
    let owner = store.user(d.user_id).await?;
    let elements = store.dashboard_elements(d.id).await?;
    let mut shown_elements = Vec::with_capacity(elements.len());
    for e in &elements {
        shown_elements.push(super::dashboard_elements::shown(state, e).await?);
    }
    let layouts = layouts_of(state, d, &elements).await?;
    let filters = store.dashboard_filters(d.id).await?.iter().map(to_wire::dashboard_filter).collect();
    let context = to_wire::DashboardContext { folder: folder.as_ref(), owner: owner.as_ref(), elements: shown_elements, layouts, filters };
    Ok(to_wire::dashboard(d, context))
}

/// A dashboard's layouts with their components.
pub async fn layouts_of(
    state: &AppState,
    d: &store::Dashboard,
    elements: &[store::DashboardElement],
) -> Result<Vec<DashboardLayout>, ApiError> {
    let mut out = Vec::new();
    for layout in state.engine.store().dashboard_layouts(d.id).await? {
        out.push(super::dashboard_elements::shown_layout(state, &layout, &d.title, elements).await?);
    }
    Ok(out)
}

/// User-defined dashboards (with `see_user_dashboards`), then the LookML dashboards of the
/// models where the caller holds `see_lookml_dashboards`.
pub async fn all_dashboards(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<DashboardBase>>, ApiError> {
    let store = state.engine.store();
    let mut out = Vec::new();
    if caller.grants.has(Permission::SeeUserDashboards) {
        for d in store.search_dashboards(&store::ContentSearch::default()).await? {
            let folder = store.folder(d.folder_id).await?;
            out.push(to_wire::dashboard_base(&d, folder.as_ref()));
        }
    }
    // Then the project's LookML dashboards, as `model::name`, as Looker lists them too.
    let lookml_models = state.engine.catalog().models.values().filter(|m| caller.grants.has_on(Permission::SeeLookmlDashboards, &m.name));
    for model in lookml_models {
        for (name, lookml) in &model.dashboards {
            out.push(to_wire::lookml_dashboard_base(&model.name, name, lookml));
        }
    }
    Ok(Json(out))
}

/// A dashboard by id, or a LookML dashboard by `model::name` (read-only: it lives in the project).
pub async fn dashboard(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Dashboard>, ApiError> {
    if id.contains("::") {
        may_see_lookml_dashboard(&caller, &id)?;
        let view = state.engine.lookml_dashboard_tiles(&id)?;
        return Ok(Json(to_wire::lookml_dashboard(&id, &view, &state.base_url)));
    }
    let d = find(&state, &caller, &id).await?;
    Ok(Json(shown(&state, &d).await?))
}

pub async fn create_dashboard(State(state): State<AppState>, caller: Caller, body: Bytes) -> Result<Json<Dashboard>, ApiError> {
    caller.require(Permission::SaveContent)?;
    let body = ContentBody::parse(&body)?;
    let title = body.title()?.ok_or_else(|| ApiError::validation("title", "missing_field", "title is required"))?;
    let folder_id = body.folder_id(&state, None).await?.ok_or_else(|| {
        ApiError::validation(
            "folder_id",
            "missing_field",
            "folder_id is required (the caller's personal folder is `personal_folder_id` of GET /user)",
        )
    })?;
    let new = NewDashboard {
        title,
        description: body.description()?.flatten(),
        folder_id,
        user_id: body.user_id(&state).await?.unwrap_or(caller.user_id),
    };
    let d = state.engine.store().create_dashboard(&new).await?;
    Ok(Json(shown(&state, &d).await?))
}

pub async fn update_dashboard(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Dashboard>, ApiError> {
    caller.require(Permission::SaveContent)?;
    let d = find(&state, &caller, &id).await?;
    let body = ContentBody::parse(&body)?;
    let change = DashboardChange {
        title: body.title()?,
        description: body.description()?,
        folder_id: body.folder_id(&state, Some(d.folder_id)).await?,
        user_id: body.user_id(&state).await?,
        deleted: body.flag("deleted")?,
    };
    let updated = state.engine.store().update_dashboard(d.id, &change, caller.user_id).await?.ok_or_else(|| missing(&id))?;
    Ok(Json(shown(&state, &updated).await?))
}

pub async fn delete_dashboard(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    caller.require(Permission::SaveContent)?;
    let d = find(&state, &caller, &id).await?;
    if state.engine.store().delete_dashboard(d.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(missing(&id))
    }
}

pub async fn search_dashboards(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Dashboard>>, ApiError> {
    caller.require(Permission::SeeUserDashboards)?;
    let search = search_of(&params, &sortable())?;
    let mut out = Vec::new();
    for d in state.engine.store().search_dashboards(&search).await? {
        out.push(shown(&state, &d).await?);
    }
    Ok(Json(out))
}

/// Elements of the dashboard in the path (`GET /dashboards/{id}/dashboard_elements`).
pub async fn dashboard_dashboard_elements(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<DashboardElement>>, ApiError> {
    caller.require(Permission::SeeUserDashboards)?;
    let d = find(&state, &caller, &id).await?;
    let mut out = Vec::new();
    for e in state.engine.store().dashboard_elements(d.id).await? {
        out.push(super::dashboard_elements::shown(&state, &e).await?);
    }
    Ok(Json(out))
}

/// Layouts of the dashboard in the path (`GET /dashboards/{id}/dashboard_layouts`).
pub async fn dashboard_dashboard_layouts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<DashboardLayout>>, ApiError> {
    caller.require(Permission::SeeUserDashboards)?;
    let d = find(&state, &caller, &id).await?;
    let elements = state.engine.store().dashboard_elements(d.id).await?;
    Ok(Json(layouts_of(&state, &d, &elements).await?))
}

pub static DASHBOARD_DASHBOARD_ELEMENTS: Declared = Declared::of(op::DASHBOARD_DASHBOARD_ELEMENTS).query(&["fields"]);
pub static DASHBOARD_DASHBOARD_LAYOUTS: Declared = Declared::of(op::DASHBOARD_DASHBOARD_LAYOUTS).query(&["fields"]);
