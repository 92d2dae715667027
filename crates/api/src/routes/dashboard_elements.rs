//! Dashboard elements (`POST /dashboard_elements`, `GET/PATCH/DELETE /dashboard_elements/{id}`),
//! layouts (`GET /dashboard_layouts/{id}`) and their components
//! (`GET /dashboard_layouts/{id}/dashboard_layout_components`,
//! `GET/PATCH /dashboard_layout_components/{id}`).
//!
//! An element is a chart (`type: vis`: of `query_id`, of a `query` saved with it, or of Look
//! `look_id`) or text (`type: text`: `title_text`, `subtitle_text`, `body_text`). A chart's
//! `result_maker.filterables` say which dashboard filters set which fields of its query (`listen`);
//! the result maker's other fields, notes, merged results, buttons and extensions are refused by
//! name.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::Value;
use store::{DashboardElement as StoredElement, ElementFields, ElementKind, Filterable, Listen, Permission, Placement, GRID_COLUMNS};
use wire::operations as op;
use wire::schemas::{DashboardElement, DashboardLayout, DashboardLayoutComponent};

use super::content_body::ContentBody;
use super::parse_id;
use crate::auth::Caller;
use crate::declare::Declared;
use crate::{to_wire, ApiError, AppState};

const ELEMENT_FIELDS: &[&str] = &[
    "dashboard_id",
    "type",
    "title",
    "title_hidden",
    "title_text",
    "subtitle_text",
    "body_text",
    "query_id",
    "query",
    "look_id",
    "result_maker",
];

/// `apply_filters` (dashboard filters) is refused by name: there are none.
pub static CREATE_DASHBOARD_ELEMENT: Declared = Declared::of(op::CREATE_DASHBOARD_ELEMENT).query(&["fields"]).body(ELEMENT_FIELDS);
pub static DASHBOARD_ELEMENT: Declared = Declared::of(op::DASHBOARD_ELEMENT).query(&["fields"]);
pub static UPDATE_DASHBOARD_ELEMENT: Declared = Declared::of(op::UPDATE_DASHBOARD_ELEMENT).query(&["fields"]).body(ELEMENT_FIELDS);
pub static DELETE_DASHBOARD_ELEMENT: Declared = Declared::of(op::DELETE_DASHBOARD_ELEMENT);
pub static DASHBOARD_LAYOUT: Declared = Declared::of(op::DASHBOARD_LAYOUT).query(&["fields"]);
pub static DASHBOARD_LAYOUT_DASHBOARD_LAYOUT_COMPONENTS: Declared =
    Declared::of(op::DASHBOARD_LAYOUT_DASHBOARD_LAYOUT_COMPONENTS).query(&["fields"]);
pub static DASHBOARD_LAYOUT_COMPONENT: Declared = Declared::of(op::DASHBOARD_LAYOUT_COMPONENT).query(&["fields"]);
/// A component is moved or resized; which layout and element it joins are fixed, and the
/// granular layout is not implemented.
pub static UPDATE_DASHBOARD_LAYOUT_COMPONENT: Declared = Declared::of(op::UPDATE_DASHBOARD_LAYOUT_COMPONENT)
    .query(&["fields"])
    .body(&["row", "column", "width", "height"])
    .body_off(&["deleted"]);

fn missing(what: &str, id: &str) -> ApiError {
    ApiError::not_found(format!("{what} `{id}` does not exist"))
}

pub async fn find(state: &AppState, id: &str) -> Result<StoredElement, ApiError> {
    let element_id = parse_id("dashboard element", id).map_err(|_| missing("dashboard element", id))?;
    state.engine.store().dashboard_element(element_id).await?.ok_or_else(|| missing("dashboard element", id))
}

/// An element with its query or its Look.
pub async fn shown(state: &AppState, e: &StoredElement) -> Result<DashboardElement, ApiError> {
    let store = state.engine.store();
    let query = match e.fields.query_id {
        Some(id) => match store.query(id).await? {
            Some(stored) => Some(to_wire::stored_query(&stored, &state.base_url)?),
            None => None,
        },
        None => None,
    };
    let look = match e.fields.look_id {
        Some(id) => match store.look(id).await? {
            Some(look) => Some(super::looks::shown(state, &look, true).await?),
            None => None,
        },
        None => None,
    };
    Ok(to_wire::element(e, query, look))
}

/// A layout with its components, each with its element's title and chart type.
pub async fn shown_layout(
    state: &AppState,
    layout: &store::DashboardLayout,
    dashboard_title: &str,
    elements: &[StoredElement],
) -> Result<DashboardLayout, ApiError> {
    let mut components = Vec::new();
    for c in state.engine.store().layout_components(layout.id).await? {
        components.push(shown_component(state, &c, elements.iter().find(|e| e.id == c.dashboard_element_id)).await?);
    }
    Ok(to_wire::layout(layout, dashboard_title, components))
}

async fn shown_component(
    state: &AppState,
    c: &store::LayoutComponent,
    element: Option<&StoredElement>,
) -> Result<DashboardLayoutComponent, ApiError> {
    let query_id = match element.map(|e| &e.fields) {
        Some(ElementFields { query_id: Some(id), .. }) => Some(*id),
        Some(ElementFields { look_id: Some(id), .. }) => state.engine.store().look(*id).await?.map(|l| l.query_id),
        _ => None,
    };
    let vis_type = match query_id {
        Some(id) => state.engine.saved_query(id).await.ok().and_then(|q| q.vis_type().map(str::to_string)),
        None => None,
    };
    Ok(to_wire::component(c, element, vis_type))
}

/// The fields an element body sets, over `current` (an update) or from nothing (a create), and
/// checked as a whole: a chart draws exactly one query or Look, text has something to show.
async fn element_fields(
    state: &AppState,
    caller: &Caller,
    body: &ContentBody,
    current: Option<&ElementFields>,
) -> Result<ElementFields, ApiError> {
    let kind = match body.get("type") {
        None => current.map(|c| c.kind).ok_or_else(|| ApiError::validation("type", "missing_field", "type is required (vis or text)"))?,
        Some(Value::String(name)) => ElementKind::parse(name).ok_or_else(|| {
            ApiError::validation("type", "not_supported", format!("dashboard element type `{name}` is not supported yet (vis or text)"))
        })?,
        Some(_) => return Err(ApiError::validation("type", "invalid", "type must be text")),
    };
    let text = |name: &str| body.text(name);
    let or_current = |new: Option<Option<String>>, old: Option<&Option<String>>| new.unwrap_or_else(|| old.cloned().flatten());
    let query_id = body.query_id(state, caller).await?;
    let look_id = match body.id("look_id")? {
        Some(id) => {
            state
                .engine
                .store()
                .look(id)
                .await?
                .ok_or_else(|| ApiError::validation("look_id", "not_found", format!("Look `{id}` does not exist")))?;
            Some(id)
        }
        None => None,
    };
    // A new source replaces the old one.
    let (query_id, look_id) = match (query_id, look_id) {
        (Some(_), Some(_)) => {
            return Err(ApiError::validation("look_id", "invalid", "a chart draws a query or a Look: give query_id or look_id, not both"))
        }
        (None, None) => (current.and_then(|c| c.query_id), current.and_then(|c| c.look_id)),
        named => named,
    };
    let filterables = match body.fields.get("result_maker") {
        None | Some(Value::Null) => current.and_then(|c| c.filterables.clone()),
        Some(maker) => filterables_of(maker)?,
    };
    let fields = ElementFields {
        kind,
        title: or_current(text("title")?, current.map(|c| &c.title)),
        title_hidden: body.flag("title_hidden")?.or(current.map(|c| c.title_hidden)).unwrap_or(false),
        title_text: or_current(text("title_text")?, current.map(|c| &c.title_text)),
        subtitle_text: or_current(text("subtitle_text")?, current.map(|c| &c.subtitle_text)),
        body_text: or_current(text("body_text")?, current.map(|c| &c.body_text)),
        query_id,
        look_id,
        filterables,
    };
    match fields.kind {
        ElementKind::Text if fields.filterables.is_some() => {
            Err(ApiError::validation("result_maker", "invalid", "a text element has no query for dashboard filters to set"))
        }
        ElementKind::Vis if fields.query_id.is_none() && fields.look_id.is_none() => {
            Err(ApiError::validation("query_id", "missing_field", "a vis element needs query_id, query or look_id"))
        }
        ElementKind::Text if fields.query_id.is_some() || fields.look_id.is_some() => {
            Err(ApiError::validation("type", "invalid", "a text element draws no query or Look"))
        }
        ElementKind::Text if [&fields.title_text, &fields.subtitle_text, &fields.body_text].iter().all(|t| t.is_none()) => {
            Err(ApiError::validation("body_text", "missing_field", "a text element needs body_text, title_text or subtitle_text"))
        }
        _ => Ok(fields),
    }
}

/// The result maker's `filterables` (explores and the dashboard filters each field listens to);
/// its other writable fields are refused by name, its read-only ones (`id`, `query_id`) ignored.
fn filterables_of(maker: &Value) -> Result<Option<Vec<Filterable>>, ApiError> {
    let invalid = |message: &str| ApiError::validation("result_maker", "invalid", message.to_string());
    let maker = maker.as_object().ok_or_else(|| invalid("result_maker must be an object"))?;
    for (key, value) in maker {
        if !value.is_null() && !matches!(key.as_str(), "filterables" | "id" | "query_id" | "can") {
            return Err(ApiError::validation(
                &format!("result_maker.{key}"),
                "not_supported",
                format!("result_maker.{key} is not supported yet (filterables is; a chart's query is query_id or query)"),
            ));
        }
    }
    let Some(list) = maker.get("filterables").filter(|v| !v.is_null()) else { return Ok(None) };
    let list = list.as_array().ok_or_else(|| invalid("result_maker.filterables must be a list"))?;
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let mut out = Vec::with_capacity(list.len());
    for f in list {
        let (Some(model), Some(view)) = (text(f, "model"), text(f, "view")) else {
            return Err(invalid("each of result_maker.filterables names the model and view (explore) of the chart's query"));
        };
        let mut listen = Vec::new();
        for l in f
            .get("listen")
            .filter(|v| !v.is_null())
            .map(|v| v.as_array().ok_or_else(|| invalid("listen must be a list")))
            .transpose()?
            .into_iter()
            .flatten()
        {
            let (Some(dashboard_filter_name), Some(field)) = (text(l, "dashboard_filter_name"), text(l, "field")) else {
                return Err(invalid("each listen names a dashboard_filter_name and the field it sets"));
            };
            listen.push(Listen { dashboard_filter_name, field });
        }
        out.push(Filterable { model, view, name: text(f, "name"), listen });
    }
    Ok(Some(out))
}

pub async fn create_dashboard_element(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<DashboardElement>, ApiError> {
    caller.require(Permission::SaveContent)?;
    let body = ContentBody::parse(&body)?;
    let dashboard_id =
        body.id("dashboard_id")?.ok_or_else(|| ApiError::validation("dashboard_id", "missing_field", "dashboard_id is required"))?;
    if state.engine.store().dashboard(dashboard_id).await?.is_none() {
        return Err(ApiError::validation("dashboard_id", "not_found", format!("dashboard `{dashboard_id}` does not exist")));
    }
    let fields = element_fields(&state, &caller, &body, None).await?;
    let element = state.engine.store().create_dashboard_element(dashboard_id, &fields).await?;
    Ok(Json(shown(&state, &element).await?))
}

pub async fn dashboard_element(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DashboardElement>, ApiError> {
    caller.require(Permission::SeeUserDashboards)?;
    let element = find(&state, &id).await?;
    Ok(Json(shown(&state, &element).await?))
}

pub async fn update_dashboard_element(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<DashboardElement>, ApiError> {
    caller.require(Permission::SaveContent)?;
    let element = find(&state, &id).await?;
    let body = ContentBody::parse(&body)?;
    if body.id("dashboard_id")?.is_some_and(|d| d != element.dashboard_id) {
        return Err(ApiError::validation("dashboard_id", "not_supported", "an element cannot be moved to another dashboard"));
    }
    let fields = element_fields(&state, &caller, &body, Some(&element.fields)).await?;
    let updated =
        state.engine.store().update_dashboard_element(element.id, &fields).await?.ok_or_else(|| missing("dashboard element", &id))?;
    Ok(Json(shown(&state, &updated).await?))
}

pub async fn delete_dashboard_element(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Permission::SaveContent)?;
    let element = find(&state, &id).await?;
    if state.engine.store().delete_dashboard_element(element.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(missing("dashboard element", &id))
    }
}

async fn find_layout(state: &AppState, id: &str) -> Result<(store::DashboardLayout, store::Dashboard), ApiError> {
    let layout_id = parse_id("dashboard layout", id).map_err(|_| missing("dashboard layout", id))?;
    let store = state.engine.store();
    let layout = store.dashboard_layout(layout_id).await?.ok_or_else(|| missing("dashboard layout", id))?;
    let dashboard = store.dashboard(layout.dashboard_id).await?.ok_or_else(|| missing("dashboard layout", id))?;
    Ok((layout, dashboard))
}

pub async fn dashboard_layout(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DashboardLayout>, ApiError> {
    caller.require(Permission::SeeUserDashboards)?;
    let (layout, dashboard) = find_layout(&state, &id).await?;
    let elements = state.engine.store().dashboard_elements(dashboard.id).await?;
    Ok(Json(shown_layout(&state, &layout, &dashboard.title, &elements).await?))
}

pub async fn dashboard_layout_dashboard_layout_components(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<DashboardLayoutComponent>>, ApiError> {
    caller.require(Permission::SeeUserDashboards)?;
    let (layout, dashboard) = find_layout(&state, &id).await?;
    let elements = state.engine.store().dashboard_elements(dashboard.id).await?;
    let shown = shown_layout(&state, &layout, &dashboard.title, &elements).await?;
    Ok(Json(shown.dashboard_layout_components.unwrap_or_default()))
}

async fn find_component(state: &AppState, id: &str) -> Result<(store::LayoutComponent, Option<StoredElement>), ApiError> {
    let component_id = parse_id("dashboard layout component", id).map_err(|_| missing("dashboard layout component", id))?;
    let store = state.engine.store();
    let component = store.layout_component(component_id).await?.ok_or_else(|| missing("dashboard layout component", id))?;
    let element = store.dashboard_element(component.dashboard_element_id).await?;
    Ok((component, element))
}

pub async fn dashboard_layout_component(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DashboardLayoutComponent>, ApiError> {
    caller.require(Permission::SeeUserDashboards)?;
    let (component, element) = find_component(&state, &id).await?;
    Ok(Json(shown_component(&state, &component, element.as_ref()).await?))
}

/// Moves or resizes a component on the 24-column grid; the placement must lie on it.
pub async fn update_dashboard_layout_component(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<DashboardLayoutComponent>, ApiError> {
    caller.require(Permission::SaveContent)?;
    let (component, element) = find_component(&state, &id).await?;
    let body = ContentBody::parse(&body)?;
    let number = |name: &str, current: i64| -> Result<i64, ApiError> {
        match body.get(name) {
            None => Ok(current),
            Some(v) => v.as_i64().ok_or_else(|| ApiError::validation(name, "invalid", format!("{name} must be a whole number"))),
        }
    };
    let p = component.placement;
    let placement = Placement {
        row: number("row", p.row)?,
        column: number("column", p.column)?,
        width: number("width", p.width)?,
        height: number("height", p.height)?,
    };
    let checks = [
        ("row", placement.row >= 0, "row must be 0 or more".to_string()),
        ("column", (0..GRID_COLUMNS).contains(&placement.column), format!("column must be from 0 to {}", GRID_COLUMNS - 1)),
        (
            "width",
            placement.width >= 1 && placement.column + placement.width <= GRID_COLUMNS,
            format!("width must be at least 1 and column + width at most {GRID_COLUMNS}"),
        ),
        ("height", (1..=10_000).contains(&placement.height), "height must be from 1 to 10000".to_string()),
    ];
    if let Some((field, _, message)) = checks.into_iter().find(|(_, ok, _)| !ok) {
        return Err(ApiError::validation(field, "invalid", message));
    }
    let moved = state
        .engine
        .store()
        .place_layout_component(component.id, placement)
        .await?
        .ok_or_else(|| missing("dashboard layout component", &id))?;
    Ok(Json(shown_component(&state, &moved, element.as_ref()).await?))
}
