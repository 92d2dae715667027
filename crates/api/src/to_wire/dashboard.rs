//! Dashboards, their elements, filters, layouts and layout components as the spec's
//! `Dashboard`, `DashboardBase`, `DashboardElement`, `DashboardFilter`, `DashboardLayout` and
//! `DashboardLayoutComponent`.

use wire::schemas::{
    Dashboard, DashboardBase, DashboardElement, DashboardFilter, DashboardLayout, DashboardLayoutComponent, LookWithQuery, Query,
    ResultMakerFilterables, ResultMakerFilterablesListen, ResultMakerWithIdVisConfigAndDynamicFields,
};

use super::can;
use super::look::folder;

/// What a dashboard is shown with besides its own row.
pub struct DashboardContext<'a> {
    pub folder: Option<&'a store::Folder>,
    pub owner: Option<&'a store::User>,
    pub elements: Vec<DashboardElement>,
    pub layouts: Vec<DashboardLayout>,
    pub filters: Vec<DashboardFilter>,
}

pub fn dashboard(d: &store::Dashboard, context: DashboardContext<'_>) -> Dashboard {
    Dashboard {
        id: Some(d.id.to_string()),
        title: Some(d.title.clone()),
        description: d.description.clone(),
        folder_id: Some(d.folder_id.to_string()),
        folder: context.folder.map(|f| Box::new(folder(f))),
        user_id: Some(d.user_id.to_string()),
        user_name: context.owner.map(|u| format!("{} {}", u.first_name, u.last_name)),
        is_owner_disabled: context.owner.map(|u| u.is_disabled),
        deleted: Some(d.deleted),
        deleted_at: d.deleted_at.clone(),
        deleter_id: d.deleter_id.map(|id| id.to_string()),
        last_updater_id: d.last_updater_id.map(|id| id.to_string()),
        created_at: Some(d.created_at.clone()),
        updated_at: Some(d.updated_at.clone()),
        hidden: Some(false),
        readonly: Some(false),
        // No web UI to view dashboards in, nor favorites: none have happened.
        view_count: Some(0),
        favorite_count: Some(0),
        url: Some(format!("/dashboards/{}", d.id)),
        dashboard_elements: Some(context.elements),
        dashboard_filters: Some(context.filters),
        dashboard_layouts: Some(context.layouts),
        can: Some(can(&[("show", true), ("update", true), ("destroy", true), ("render", true)])),
        ..Default::default()
    }
}

/// A dashboard in a list (`all_dashboards`).
pub fn dashboard_base(d: &store::Dashboard, folder_row: Option<&store::Folder>) -> DashboardBase {
    DashboardBase {
        id: Some(d.id.to_string()),
        title: Some(d.title.clone()),
        description: d.description.clone(),
        folder: folder_row.map(|f| Box::new(folder(f))),
        user_id: Some(d.user_id.to_string()),
        hidden: Some(false),
        readonly: Some(false),
        can: Some(can(&[("show", true), ("update", true), ("destroy", true), ("render", true)])),
        ..Default::default()
    }
}

/// An element with its query (a chart of a query) or its Look (a chart of a Look).
pub fn element(e: &store::DashboardElement, query: Option<Query>, look: Option<LookWithQuery>) -> DashboardElement {
    let f = &e.fields;
    DashboardElement {
        id: Some(e.id.to_string()),
        dashboard_id: Some(e.dashboard_id.to_string()),
        r#type: Some(f.kind.name().to_string()),
        title: f.title.clone(),
        title_hidden: Some(f.title_hidden),
        title_text: f.title_text.clone(),
        subtitle_text: f.subtitle_text.clone(),
        body_text: f.body_text.clone(),
        query_id: f.query_id.map(|id| id.to_string()),
        query: query.map(Box::new),
        look_id: f.look_id.map(|id| id.to_string()),
        look: look.map(Box::new),
        result_maker: f.filterables.as_ref().map(|all| {
            Box::new(ResultMakerWithIdVisConfigAndDynamicFields {
                filterables: Some(
                    all.iter()
                        .map(|filterable| ResultMakerFilterables {
                            model: Some(filterable.model.clone()),
                            view: Some(filterable.view.clone()),
                            name: filterable.name.clone(),
                            listen: Some(
                                filterable
                                    .listen
                                    .iter()
                                    .map(|l| ResultMakerFilterablesListen {
                                        dashboard_filter_name: Some(l.dashboard_filter_name.clone()),
                                        field: Some(l.field.clone()),
                                    })
                                    .collect(),
                            ),
                        })
                        .collect(),
                ),
                query_id: f.query_id.map(|id| id.to_string()),
                ..Default::default()
            })
        }),
        can: Some(can(&[("show", true), ("update", true), ("destroy", true)])),
        ..Default::default()
    }
}

pub fn layout(l: &store::DashboardLayout, dashboard_title: &str, components: Vec<DashboardLayoutComponent>) -> DashboardLayout {
    DashboardLayout {
        id: Some(l.id.to_string()),
        dashboard_id: Some(l.dashboard_id.to_string()),
        r#type: Some(l.kind.clone()),
        active: Some(l.active),
        deleted: Some(false),
        dashboard_title: Some(dashboard_title.to_string()),
        dashboard_layout_components: Some(components),
        can: Some(can(&[("show", true)])),
        ..Default::default()
    }
}

/// A component, with the title and chart type of the element it places.
pub fn component(
    c: &store::LayoutComponent,
    element: Option<&store::DashboardElement>,
    vis_type: Option<String>,
) -> DashboardLayoutComponent {
    let p = c.placement;
    DashboardLayoutComponent {
        id: Some(c.id.to_string()),
        dashboard_layout_id: Some(c.dashboard_layout_id.to_string()),
        dashboard_element_id: Some(c.dashboard_element_id.to_string()),
        row: Some(p.row),
        column: Some(p.column),
        width: Some(p.width),
        height: Some(p.height),
        deleted: Some(false),
        element_title: element.and_then(|e| e.fields.title.clone().or_else(|| e.fields.title_text.clone())),
        element_title_hidden: element.map(|e| e.fields.title_hidden),
        vis_type,
        can: Some(can(&[("show", true), ("update", true)])),
        ..Default::default()
    }
}

pub fn dashboard_filter(f: &store::DashboardFilter) -> DashboardFilter {
    let x = &f.fields;
    DashboardFilter {
        id: Some(f.id.to_string()),
        dashboard_id: Some(f.dashboard_id.to_string()),
        name: Some(x.name.clone()),
        title: Some(x.title.clone()),
        r#type: Some(x.kind.clone()),
        default_value: x.default_value.clone(),
        model: x.model.clone(),
        explore: x.explore.clone(),
        dimension: x.dimension.clone(),
        row: x.row,
        listens_to_filters: Some(x.listens_to_filters.clone()),
        allow_multiple_values: Some(x.allow_multiple_values),
        required: Some(x.required),
        can: Some(can(&[("show", true), ("update", true), ("destroy", true)])),
        ..Default::default()
    }
}
