//! `GET /connections`, `GET /connections/{connection_name}`, `PUT /connections/{connection_name}/test`
//! and `GET /dialect_info`. Connections come from the server's TOML config; creating, changing
//! and deleting them through the API is refused by name until they can be stored.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use crate::auth::Caller;
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
        "supported_options": { "name": name, "after_connect_statements": false, "analytical_view_dataset": false, "auth": true, "cost_estimate": false, "disable_context_comment": false, "host": true, "instance_name": false, "max_billing_gigabytes": false, "oauth_credentials": false, "pdts_for_oauth": false, "port": true, "project_name": false, "schema": true, "service_account_credentials": false, "ssl": false, "timezone": true, "tmp_table": false, "tns": false, "username": true, "username_required": false },
        "can": {},
    })
}

pub async fn all_dialect_infos(_caller: Caller) -> Json<Value> {
    Json(Value::Array(DIALECTS.into_iter().map(dialect_info).collect()))
}

fn connection_json(state: &AppState, name: &str) -> Option<Value> {
    let connection = state.engine.connections().get(name)?;
    let ours = connection.dialect();
    let dialect = DIALECTS.into_iter().find(|d| d.0 == ours).map(dialect_info);
    let looker_name = DIALECTS.into_iter().find(|d| d.0 == ours).map(|d| d.1).unwrap_or(ours);
    let info = connection.describe();
    Some(json!({
        "name": name,
        "dialect": dialect,
        "dialect_name": looker_name,
        "host": info.host,
        "port": info.port.map(|p| p.to_string()),
        "database": info.database,
        "schema": info.schema,
        "username": info.username,
        "has_password": info.has_password,
        "db_timezone": connection.timezone(),
        "max_connections": info.max_connections,
        "pdts_enabled": false,
        "ssl": false,
        "managed": true,
        "can": { "test": true, "update": false, "destroy": false },
    }))
}

pub async fn all_connections(State(state): State<AppState>, _caller: Caller) -> Json<Value> {
    let mut names: Vec<&String> = state.engine.connections().keys().collect();
    names.sort();
    Json(Value::Array(names.into_iter().filter_map(|n| connection_json(&state, n)).collect()))
}

pub async fn connection(State(state): State<AppState>, _caller: Caller, Path(name): Path<String>) -> Result<Json<Value>, ApiError> {
    connection_json(&state, &name).map(Json).ok_or_else(|| ApiError::not_found(format!("connection `{name}` does not exist")))
}

/// Looker's `DBConnectionTestResult` per test; Sightline runs one: a `SELECT 1`.
pub async fn test_connection(State(state): State<AppState>, _caller: Caller, Path(name): Path<String>) -> Result<Json<Value>, ApiError> {
    if !state.engine.connections().contains_key(&name) {
        return Err(ApiError::not_found(format!("connection `{name}` does not exist")));
    }
    let (status, message) = match state.engine.test_connection(&name).await {
        Ok(()) => ("success", "Can run queries".to_string()),
        Err(e) => ("error", e.to_string()),
    };
    Ok(Json(json!([{ "connection_string": null, "message": message, "name": "query", "status": status, "can": {} }])))
}

/// Creating, changing or deleting a connection: refused by name, since connections come from the
/// config file until they can be stored with their secrets.
pub async fn change_refused(_caller: Caller) -> ApiError {
    ApiError::validation(
        "connection",
        "not_supported",
        "creating, changing and deleting connections through the API is not supported yet; declare them in the server's TOML config",
    )
}
