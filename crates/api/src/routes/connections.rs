//! `GET/POST /connections`, `GET/PATCH/DELETE /connections/{connection_name}`,
//! `PUT /connections/{connection_name}/test` and `GET /dialect_info`. Connections come from the
//! server's TOML config (read-only here) or are created through the API (PostgreSQL and MySQL,
//! stored with their password, which is never sent back).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use engine::ListedConnection;
use serde_json::{json, Map, Value};

use super::connection_body;
use crate::auth::Caller;
use crate::body::parse_json;
use crate::{ApiError, AppState};

/// Looker's dialect names and labels for the dialects Sightline prints; `installed` says which
/// ones it can also run.
const DIALECTS: [(&str, &str, &str, Option<u16>, bool); 8] = [
    ("duckdb", "duckdb", "DuckDB", None, true),
    ("postgres", "postgres", "PostgreSQL 9.5+", Some(5432), true),
    ("mysql", "mysql", "MySQL", Some(3306), true),
    ("bigquery", "bigquery_standard_sql", "Google BigQuery Standard SQL", None, false),
    ("snowflake", "snowflake", "Snowflake", Some(443), false),
    ("redshift", "redshift", "Amazon Redshift", Some(5439), false),
    ("trino", "trino", "Trino", Some(8080), false),
    ("clickhouse", "clickhouse", "ClickHouse", Some(8123), false),
];

fn dialect_info((_, name, label, port, installed): (&str, &str, &str, Option<u16>, bool)) -> Value {
    json!({
        "name": name,
        "label": label,
        "installed": installed,
        "default_port": port.map(|p| p.to_string()),
        "default_max_connections": "4",
        "supported_options": { "name": name, "after_connect_statements": false, "analytical_view_dataset": false, "auth": true, "cost_estimate": false, "disable_context_comment": false, "host": true, "instance_name": false, "max_billing_gigabytes": false, "oauth_credentials": false, "pdts_for_oauth": false, "port": true, "project_name": false, "schema": true, "service_account_credentials": false, "ssl": installed && port.is_some(), "timezone": true, "tmp_table": false, "tns": false, "username": true, "username_required": false },
        "can": {},
    })
}

pub async fn all_dialect_infos(_caller: Caller) -> Json<Value> {
    Json(Value::Array(DIALECTS.into_iter().map(dialect_info).collect()))
}

fn connection_json(listed: &ListedConnection) -> Value {
    let ours = listed.connection.dialect();
    let dialect = DIALECTS.into_iter().find(|d| d.0 == ours).map(dialect_info);
    let looker_name = DIALECTS.into_iter().find(|d| d.0 == ours).map(|d| d.1).unwrap_or(ours);
    let info = listed.connection.describe();
    let stored = listed.definition.is_some();
    // A stored connection shows what was asked for, even while its server cannot be reached.
    let (host, port, database, schema, username, has_password, max_connections) = match &listed.definition {
        Some(d) => (
            Some(d.host.clone()),
            d.port,
            Some(d.database.clone()),
            d.schema.clone(),
            Some(d.username.clone()),
            d.password.is_some(),
            d.max_connections,
        ),
        None => (info.host, info.port, info.database, info.schema, info.username, info.has_password, info.max_connections),
    };
    let tls = match &listed.definition {
        Some(d) => d.tls.clone(),
        None => info.tls.map(|t| t.name().to_string()),
    };
    let ssl = matches!(tls.as_deref(), Some("require" | "verify-ca" | "verify-full"));
    let verify_ssl = matches!(tls.as_deref(), Some("verify-ca" | "verify-full"));
    json!({
        "name": listed.name,
        "dialect": dialect,
        "dialect_name": looker_name,
        "host": host,
        "port": port.map(|p| p.to_string()),
        "database": database,
        "schema": schema,
        "username": username,
        "has_password": has_password,
        "db_timezone": listed.connection.timezone(),
        "max_connections": max_connections,
        "pdts_enabled": false,
        "ssl": ssl,
        "verify_ssl": verify_ssl,
        "managed": !stored,
        "can": { "test": true, "update": stored, "destroy": stored },
    })
}

fn find(state: &AppState, name: &str) -> Result<ListedConnection, ApiError> {
    state
        .engine
        .connections()
        .into_iter()
        .find(|c| c.name == name)
        .ok_or_else(|| ApiError::not_found(format!("connection `{name}` does not exist")))
}

pub async fn all_connections(State(state): State<AppState>, _caller: Caller) -> Json<Value> {
    Json(Value::Array(state.engine.connections().iter().map(connection_json).collect()))
}

pub async fn connection(State(state): State<AppState>, _caller: Caller, Path(name): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(connection_json(&find(&state, &name)?)))
}

pub async fn create_connection(State(state): State<AppState>, _caller: Caller, body: Bytes) -> Result<Json<Value>, ApiError> {
    let body: Map<String, Value> = parse_json(&body)?;
    let (name, definition) = connection_body::read(&body, None)?;
    state.engine.create_connection(&name, definition).await?;
    Ok(Json(connection_json(&find(&state, &name)?)))
}

pub async fn update_connection(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body: Map<String, Value> = parse_json(&body)?;
    let current = state.engine.stored_definition(&name)?;
    let (_, definition) = connection_body::read(&body, Some((&name, current)))?;
    state.engine.update_connection(&name, definition).await?;
    Ok(Json(connection_json(&find(&state, &name)?)))
}

pub async fn delete_connection(State(state): State<AppState>, _caller: Caller, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    state.engine.delete_connection(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Looker's `DBConnectionTestResult` per test; Sightline runs one: a `SELECT 1`.
pub async fn test_connection(State(state): State<AppState>, _caller: Caller, Path(name): Path<String>) -> Result<Json<Value>, ApiError> {
    find(&state, &name)?;
    let (status, message) = match state.engine.test_connection(&name).await {
        Ok(()) => ("success", "Can run queries".to_string()),
        Err(e) => ("error", e.to_string()),
    };
    Ok(Json(json!([{ "connection_string": null, "message": message, "name": "query", "status": status, "can": {} }])))
}
