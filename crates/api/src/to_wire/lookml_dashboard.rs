//! A LookML dashboard (read-only, from the project) as the spec's `Dashboard`: id `model::name`,
//! its elements (with the query each runs under the filters' defaults), its filters, and one
//! newspaper layout placing the elements as the file does.

use engine::{LookmlDashboardView, QueryBody, TileSource};
use wire::schemas::{Dashboard, DashboardBase, DashboardElement, DashboardFilter, DashboardLayout, DashboardLayoutComponent, LookModel};

use super::can;

pub fn lookml_dashboard(id: &str, view: &LookmlDashboardView<'_>, base_url: &str) -> Dashboard {
    let (model, d, tiles) = (view.model, view.dashboard, &view.tiles);
    let title = d.title.clone().unwrap_or_else(|| d.dashboard.clone());
    let elements: Vec<DashboardElement> = d
        .elements
        .iter()
        .zip(tiles)
        .map(|(e, (_, source))| {
            let name = e.name.clone();
            let mut element = DashboardElement {
                dashboard_id: Some(id.to_string()),
                lookml_link_id: name,
                can: Some(can(&[("show", true)])),
                ..Default::default()
            };
            match source {
                TileSource::Query { query, title } => {
                    element.r#type = Some("vis".into());
                    element.title = Some(title.clone());
                    element.query = Some(Box::new(unsaved_query(query.as_ref(), base_url)));
                }
                TileSource::Text { title, subtitle, body } => {
                    element.r#type = Some("text".into());
                    element.title_text = Some(title.clone()).filter(|t| !t.is_empty());
                    element.subtitle_text = Some(subtitle.clone()).filter(|t| !t.is_empty());
                    element.body_text = Some(body.clone()).filter(|t| !t.is_empty());
                }
                TileSource::Invalid { title, .. } => {
                    element.r#type = e.vis_type.clone().or(Some("vis".into()));
                    element.title = Some(title.clone());
                }
            }
            element
        })
        .collect();
    let components: Vec<DashboardLayoutComponent> = d
        .elements
        .iter()
        .zip(tiles)
        .map(|(e, (p, _))| DashboardLayoutComponent {
            row: Some(p.row.into()),
            column: Some(p.column.into()),
            width: Some(p.width.into()),
            height: Some(p.height.into()),
            element_title: e.title.clone().or_else(|| e.title_text.clone()),
            vis_type: e.vis_type.clone(),
            deleted: Some(false),
            can: Some(can(&[("show", true)])),
            ..Default::default()
        })
        .collect();
    let layout = DashboardLayout {
        dashboard_id: Some(id.to_string()),
        r#type: Some("newspaper".into()),
        active: Some(true),
        deleted: Some(false),
        dashboard_title: Some(title.clone()),
        dashboard_layout_components: Some(components),
        can: Some(can(&[("show", true)])),
        ..Default::default()
    };
    let filters = d
        .filters
        .iter()
        .map(|f| DashboardFilter {
            dashboard_id: Some(id.to_string()),
            name: Some(f.name.clone()),
            title: Some(f.title.clone().unwrap_or_else(|| f.name.clone())),
            r#type: f.filter_type.clone(),
            default_value: f.default_value.clone(),
            model: f.model.clone(),
            explore: f.explore.clone(),
            dimension: f.field.clone(),
            listens_to_filters: Some(f.listens_to_filters.clone()),
            can: Some(can(&[("show", true)])),
            ..Default::default()
        })
        .collect();
    Dashboard {
        id: Some(id.to_string()),
        title: Some(title),
        description: d.description.clone(),
        model: Some(Box::new(LookModel { id: Some(model.to_string()), label: Some(model.to_string()) })),
        query_timezone: d.query_timezone.clone(),
        readonly: Some(true),
        hidden: Some(false),
        deleted: Some(false),
        dashboard_elements: Some(elements),
        dashboard_filters: Some(filters),
        dashboard_layouts: Some(vec![layout]),
        can: Some(can(&[("show", true), ("render", true)])),
        ..Default::default()
    }
}

/// A query not saved (a LookML element's): the spec's `Query` without id, slug or URLs.
fn unsaved_query(body: &QueryBody, base_url: &str) -> wire::schemas::Query {
    let mut query = super::query(0, "", body, base_url);
    query.id = None;
    query.slug = None;
    query.share_url = None;
    query.url = None;
    query.expanded_share_url = None;
    query
}

/// A LookML dashboard in a list (`all_dashboards`).
pub fn lookml_dashboard_base(model: &str, name: &str, d: &lookml::LookmlDashboard) -> DashboardBase {
    DashboardBase {
        id: Some(format!("{model}::{name}")),
        title: Some(d.title.clone().unwrap_or_else(|| name.to_string())),
        description: d.description.clone(),
        model: Some(Box::new(LookModel { id: Some(model.to_string()), label: Some(model.to_string()) })),
        query_timezone: d.query_timezone.clone(),
        readonly: Some(true),
        hidden: Some(false),
        can: Some(can(&[("show", true), ("render", true)])),
        ..Default::default()
    }
}
