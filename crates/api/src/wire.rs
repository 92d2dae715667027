//! Response bodies, shaped as the OpenAPI spec's schemas (`AccessToken`, `User`, `Query`,
//! `QueryTask`, `RenderTask`, `LookmlModel`, `LookmlModelExplore`, `ApiVersion`). Kept apart from
//! the engine's internal types.

use engine::QueryBody;
use semantic::{Explore, Field, Model};
use serde::Serialize;
use serde_json::{json, Map, Value};

#[derive(Serialize)]
pub struct AccessToken {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: Option<String>,
}

pub fn user(u: &store::User) -> Value {
    json!({
        "id": u.id.to_string(),
        "first_name": u.first_name,
        "last_name": u.last_name,
        "display_name": format!("{} {}", u.first_name, u.last_name),
        "email": u.email,
        "is_disabled": u.is_disabled,
        "locale": "en",
        "role_ids": ["1"],
        "group_ids": [],
        "can": {},
    })
}

pub fn query(id: i64, slug: &str, body: &QueryBody, base_url: &str) -> Value {
    let mut out = match serde_json::to_value(body) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let fields = out
        .get("fields")
        .and_then(Value::as_array)
        .map(|f| f.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","))
        .unwrap_or_default();
    out.insert("id".into(), json!(id.to_string()));
    out.insert("slug".into(), json!(slug));
    out.insert("url".into(), json!(format!("/explore/{}/{}?fields={}", body.model, body.view, fields)));
    out.insert("share_url".into(), json!(format!("{base_url}/x/{slug}")));
    out.insert("expanded_share_url".into(), json!(format!("{base_url}/explore/{}/{}?fields={}", body.model, body.view, fields)));
    out.insert("has_table_calculations".into(), json!(false));
    out.insert("can".into(), json!({}));
    Value::Object(out)
}

pub fn query_task(t: &store::QueryTaskRow) -> Value {
    json!({
        "id": t.id,
        "query_id": t.query_id.to_string(),
        "query": null,
        "generate_links": false,
        "force_production": true,
        "path_prefix": null,
        "cache": true,
        "server_table_calcs": false,
        "cache_only": false,
        "cache_key": null,
        "status": t.status,
        "source": t.source,
        "runtime": t.runtime,
        "rebuild_pdts": false,
        "result_source": null,
        "look_id": null,
        "dashboard_id": null,
        "result_format": t.result_format,
        "can": {},
    })
}

pub fn render_task(t: &store::RenderTaskRow) -> Value {
    json!({
        "id": t.id,
        "status": t.status,
        "status_detail": t.status_detail,
        "created_at": t.created_at,
        "finalized_at": t.finalized_at,
        "query_runtime": t.query_runtime,
        "render_runtime": t.render_runtime,
        "runtime": t.runtime,
        "result_format": t.result_format,
        "width": t.width,
        "height": t.height,
        "look_id": null,
        "query_id": t.query_id.to_string(),
        "dashboard_id": null,
        "lookml_dashboard_id": null,
        "dashboard_element_id": null,
        "dashboard_filters": null,
        "dashboard_style": null,
        "user_id": t.user_id.to_string(),
        "can": {},
    })
}

pub fn lookml_model(m: &Model) -> Value {
    let explores: Vec<Value> = m
        .explores
        .values()
        .map(|e| json!({ "name": e.name, "label": e.label, "description": e.description, "hidden": e.hidden, "group_label": m.label }))
        .collect();
    json!({
        "name": m.name,
        "label": m.label,
        "project_name": m.name,
        "allowed_db_connection_names": [m.connection],
        "unlimited_db_connections": false,
        "has_content": true,
        "explores": explores,
        "can": {},
    })
}

fn explore_field(model: &Model, explore: &Explore, alias: &str, view: &semantic::View, f: &Field) -> Value {
    let view_label = if alias == view.name { view.label.clone() } else { semantic::title_case(alias) };
    let is_numeric = matches!(
        f.kind,
        semantic::FieldKind::Measure(_)
            | semantic::FieldKind::Dimension(semantic::DimensionType::Number | semantic::DimensionType::Duration(_))
            | semantic::FieldKind::Filter(semantic::FilterType::Number)
            | semantic::FieldKind::Parameter(semantic::ParameterType::Number)
    );
    let category = match f.kind {
        semantic::FieldKind::Measure(_) => "measure",
        semantic::FieldKind::Filter(_) => "filter",
        semantic::FieldKind::Parameter(_) => "parameter",
        semantic::FieldKind::Dimension(_) => "dimension",
    };
    json!({
        "name": format!("{alias}.{}", f.name),
        "label": format!("{view_label} {}", f.label),
        "label_short": f.label,
        "view": alias,
        "view_label": view_label,
        "type": f.type_name(),
        "category": category,
        "measure": f.is_measure(),
        "is_numeric": is_numeric,
        "is_filter": f.is_filter_only(),
        "group_label": f.display.group_label,
        "view_label_override": f.display.view_label,
        "value_format": f.display.value_format,
        "value_format_name": f.display.value_format_name,
        "html": f.display.html,
        "tags": f.display.tags,
        "default_filter_value": f.default_value,
        "hidden": f.hidden,
        "description": f.description,
        "primary_key": f.primary_key,
        "dimension_group": f.group,
        "sql": f.sql,
        "suggestable": !f.is_measure(),
        "project_name": model.name,
        "scope": alias,
        "original_view": view.name,
        "lookml_link": null,
        "can_filter": true,
        "sortable": true,
        "explore": explore.name,
    })
}

pub fn lookml_explore(model: &Model, explore: &Explore) -> Value {
    let mut dimensions = Vec::new();
    let mut measures = Vec::new();
    let mut filters = Vec::new();
    let mut parameters = Vec::new();
    let aliases = std::iter::once((explore.base_alias.as_str(), explore.base_view.as_str()))
        .chain(explore.joins.iter().map(|j| (j.name.as_str(), j.view.as_str())));
    for (alias, view_name) in aliases {
        let Some(view) = model.views.get(view_name) else { continue };
        for f in view.fields.iter().filter(|f| explore.exposes(alias, &f.name)) {
            let field = explore_field(model, explore, alias, view, f);
            match f.kind {
                semantic::FieldKind::Measure(_) => measures.push(field),
                semantic::FieldKind::Filter(_) => filters.push(field),
                semantic::FieldKind::Parameter(_) => parameters.push(field),
                semantic::FieldKind::Dimension(_) => dimensions.push(field),
            }
        }
    }
    let joins: Vec<Value> = explore
        .joins
        .iter()
        .map(|j| {
            json!({
                "name": j.name,
                "from": j.view,
                "sql_on": j.sql_on,
                "type": j.join_type.name(),
                "relationship": j.relationship.name(),
                "view_label": j.view_label,
                "required_joins": j.required_joins,
            })
        })
        .collect();
    json!({
        "id": format!("{}::{}", model.name, explore.name),
        "name": explore.name,
        "label": explore.label,
        "description": explore.description,
        "model_name": model.name,
        "view_name": explore.base_view,
        "connection_name": model.connection,
        "hidden": explore.hidden,
        "fields": { "dimensions": dimensions, "measures": measures, "filters": filters, "parameters": parameters },
        "group_label": explore.group_label,
        "tags": explore.tags,
        "always_filter": explore.always_filter.iter().map(|(f, v)| json!({"name": f, "value": v})).collect::<Vec<_>>(),
        "conditionally_filter": explore.conditionally_filter.iter().map(|(f, v)| json!({"name": f, "value": v})).collect::<Vec<_>>(),
        "sql_always_where": explore.sql_always_where,
        "sql_always_having": explore.sql_always_having,
        "joins": joins,
        "can": {},
    })
}

pub fn api_version(base_url: &str) -> Value {
    let current = json!({
        "version": "4.0",
        "full_version": "4.0.26.12",
        "status": "current",
        "swagger_url": format!("{base_url}/api/4.0/swagger.json"),
    });
    json!({
        "looker_release_version": format!("26.12.0 (sightline {})", env!("CARGO_PKG_VERSION")),
        "current_version": current,
        "supported_versions": [current],
        "api_server_url": base_url,
        "web_server_url": base_url,
    })
}
