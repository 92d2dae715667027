//! `GET/POST /connections`, `GET/PATCH/DELETE /connections/{connection_name}`,
//! `PUT /connections/{connection_name}/test` and `GET /dialect_info`. Connections come from the
//! server's TOML config (read-only here) or are created through the API (PostgreSQL and MySQL,
//! stored with their password, which is never sent back).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use engine::ListedConnection;
use serde_json::{Map, Value};
use wire::operations as op;
use wire::schemas::{DBConnection, DBConnectionTestResult, Dialect, DialectInfo, DialectInfoOptions};

use super::connection_body;
use crate::auth::Caller;
use crate::body::parse_json;
use crate::declare::Declared;
use crate::to_wire::can;
use crate::{ApiError, AppState};

pub static ALL_CONNECTIONS: Declared = Declared::of(op::ALL_CONNECTIONS).query(&["fields"]);
pub static CONNECTION: Declared = Declared::of(op::CONNECTION).query(&["fields"]);
/// `connection_body` reads every writable field of `DBConnection`: each is honoured, ignored
/// where it has no meaning here, or refused by name with the reason.
pub static CREATE_CONNECTION: Declared = Declared::of(op::CREATE_CONNECTION).whole_body();
pub static UPDATE_CONNECTION: Declared = Declared::of(op::UPDATE_CONNECTION).whole_body();
pub static DELETE_CONNECTION: Declared = Declared::of(op::DELETE_CONNECTION);
pub static TEST_CONNECTION: Declared = Declared::of(op::TEST_CONNECTION).query(&["tests"]);
pub static ALL_DIALECT_INFOS: Declared = Declared::of(op::ALL_DIALECT_INFOS).query(&["fields"]);

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

/// The connection tests Sightline runs: both open a connection and run `SELECT 1`.
const TESTS: [&str; 2] = ["connect", "query"];

/// Looker's name for one of our dialects (`bigquery` → `bigquery_standard_sql`).
pub fn looker_dialect_name(ours: &str) -> &str {
    DIALECTS.into_iter().find(|d| d.0 == ours).map(|d| d.1).unwrap_or(ours)
}

fn dialect_info((_, name, label, port, installed): (&str, &str, &str, Option<u16>, bool)) -> DialectInfo {
    let ssl = installed && port.is_some();
    DialectInfo {
        name: Some(name.into()),
        label: Some(label.into()),
        installed: Some(installed),
        default_port: port.map(|p| p.to_string()),
        default_max_connections: Some("4".into()),
        supported_options: Some(Box::new(DialectInfoOptions {
            after_connect_statements: Some(false),
            analytical_view_dataset: Some(false),
            auth: Some(true),
            cost_estimate: Some(false),
            disable_context_comment: Some(false),
            host: Some(true),
            instance_name: Some(false),
            max_billing_gigabytes: Some(false),
            oauth_credentials: Some(false),
            pdts_for_oauth: Some(false),
            port: Some(true),
            project_name: Some(false),
            schema: Some(true),
            service_account_credentials: Some(false),
            ssl: Some(ssl),
            timezone: Some(true),
            tmp_table: Some(false),
            tns: Some(false),
            username: Some(true),
            username_required: Some(false),
            ..Default::default()
        })),
        can: Some(can(&[("index", true)])),
        ..Default::default()
    }
}

fn dialect(entry: (&str, &str, &str, Option<u16>, bool)) -> Dialect {
    Dialect {
        name: Some(entry.1.into()),
        label: Some(entry.2.into()),
        supports_cost_estimate: Some(false),
        supports_streaming: Some(true),
        connection_tests: Some(TESTS.iter().map(|t| t.to_string()).collect()),
        supports_persistent_derived_tables: Some(false),
        has_ssl_support: Some(entry.4 && entry.3.is_some()),
        ..Default::default()
    }
}

pub async fn all_dialect_infos(_caller: Caller) -> Json<Vec<DialectInfo>> {
    Json(DIALECTS.into_iter().map(dialect_info).collect())
}

fn connection_json(listed: &ListedConnection) -> DBConnection {
    let ours = listed.connection.dialect();
    let entry = DIALECTS.into_iter().find(|d| d.0 == ours);
    let info = listed.connection.describe();
    let stored = listed.definition.is_some();
    // A stored connection shows what was asked for, even while its server cannot be reached.
    let max_queries = listed.connection.max_queries().map(i64::from);
    let max_queries_per_user = listed.connection.max_queries_per_user().map(i64::from);
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
    DBConnection {
        name: Some(listed.name.clone()),
        dialect: entry.map(|e| Box::new(dialect(e))),
        dialect_name: Some(looker_dialect_name(ours).to_string()),
        host,
        port: port.map(|p| p.to_string()),
        database,
        schema,
        username,
        has_password: Some(has_password),
        db_timezone: Some(listed.connection.timezone().to_string()),
        max_connections: max_connections.map(i64::from),
        max_queries,
        max_queries_per_user,
        pdts_enabled: Some(listed.connection.scratch_schema().is_some()),
        tmp_db_name: listed.connection.scratch_schema().map(str::to_string),
        ssl: Some(ssl),
        verify_ssl: Some(verify_ssl),
        managed: Some(!stored),
        can: Some(can(&[("test", true), ("update", stored), ("destroy", stored)])),
        ..Default::default()
    }
}

fn find(state: &AppState, name: &str) -> Result<ListedConnection, ApiError> {
    state
        .engine
        .connections()
        .into_iter()
        .find(|c| c.name == name)
        .ok_or_else(|| ApiError::not_found(format!("connection `{name}` does not exist")))
}

/// Connections (their hosts, users and databases) are an admin's to see and change.
pub async fn all_connections(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<DBConnection>>, ApiError> {
    caller.require_admin()?;
    Ok(Json(state.engine.connections().iter().map(connection_json).collect()))
}

pub async fn connection(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> Result<Json<DBConnection>, ApiError> {
    caller.require_admin()?;
    Ok(Json(connection_json(&find(&state, &name)?)))
}

pub async fn create_connection(State(state): State<AppState>, caller: Caller, body: Bytes) -> Result<Json<DBConnection>, ApiError> {
    caller.require_admin()?;
    let body: Map<String, Value> = parse_json(&body)?;
    let (name, definition) = connection_body::read(&body, None)?;
    state.engine.create_connection(&name, definition).await?;
    Ok(Json(connection_json(&find(&state, &name)?)))
}

pub async fn update_connection(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<DBConnection>, ApiError> {
    caller.require_admin()?;
    let body: Map<String, Value> = parse_json(&body)?;
    let current = state.engine.stored_definition(&name)?;
    let (_, definition) = connection_body::read(&body, Some((&name, current)))?;
    state.engine.update_connection(&name, definition).await?;
    Ok(Json(connection_json(&find(&state, &name)?)))
}

pub async fn delete_connection(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    state.engine.delete_connection(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Looker's `DBConnectionTestResult` per test asked for (`tests=connect,query`; both by default).
/// A test Sightline does not run is refused by name.
pub async fn test_connection(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Vec<DBConnectionTestResult>>, ApiError> {
    caller.require_admin()?;
    find(&state, &name)?;
    let asked: Vec<String> = match params.get("tests") {
        Some(list) => list.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect(),
        None => TESTS.iter().map(|t| t.to_string()).collect(),
    };
    if let Some(unknown) = asked.iter().find(|t| !TESTS.contains(&t.as_str())) {
        return Err(ApiError::validation(
            "tests",
            "not_supported",
            format!("connection test `{unknown}` is not supported yet (Sightline runs: {})", TESTS.join(", ")),
        ));
    }
    let outcome = state.engine.test_connection(&name).await;
    let results = asked
        .into_iter()
        .map(|test| {
            let (status, message) = match &outcome {
                Ok(()) if test == "connect" => ("success", "Can connect".to_string()),
                Ok(()) => ("success", "Can run queries".to_string()),
                Err(e) => ("error", e.to_string()),
            };
            DBConnectionTestResult {
                name: Some(test),
                status: Some(status.into()),
                message: Some(message),
                can: Some(can(&[])),
                ..Default::default()
            }
        })
        .collect();
    Ok(Json(results))
}
