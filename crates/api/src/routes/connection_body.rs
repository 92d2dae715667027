//! The `WriteDBConnection` body of `POST /connections` and `PATCH /connections/{name}`: every
//! field the spec defines is read, ignored because the spec marks it read-only, or refused by
//! name; a value Sightline cannot honour (`ssl: true`) is refused, never stored and ignored.

use engine::ServerDefinition;
use serde_json::{Map, Value};

use crate::ApiError;

/// Fields Sightline reads.
const READ: [&str; 15] = [
    "name",
    "tmp_db_name",
    "dialect_name",
    "host",
    "port",
    "database",
    "username",
    "password",
    "schema",
    "max_connections",
    "max_queries",
    "max_queries_per_user",
    "db_timezone",
    "ssl",
    "verify_ssl",
];

/// Read-only in the spec: a client may send back what it read; they are ignored, as Looker does.
const READ_ONLY: [&str; 21] = [
    "can",
    "snippets",
    "pdts_enabled",
    "named_driver_version_actual",
    "has_password",
    "uses_oauth",
    "uses_instance_oauth",
    "uses_service_auth",
    "supports_data_studio_link",
    "created_at",
    "user_id",
    "example",
    "last_regen_at",
    "last_reap_at",
    "managed",
    "default_bq_connection",
    "p4sa_name",
    "dialect",
    "pdt_context_override",
    "tunnel_id",
    "file_type",
];

/// Options Looker defaults to off that Sightline cannot turn on yet.
const OFF_ONLY: [&str; 12] = [
    "uses_key_pair_auth",
    "user_db_credentials",
    "sql_runner_precache_tables",
    "sql_writing_with_info_schema",
    "uses_tns",
    "disable_context_comment",
    "always_retry_failed_builds",
    "uses_application_default_credentials",
    "cost_estimate_enabled",
    "pdt_api_control_enabled",
    "bq_roles_verified",
    "query_holding_disabled",
];

/// The other fields of `WriteDBConnection`: refused when given a value.
const NOT_YET: [&str; 14] = [
    "named_driver_version_requested",
    "certificate",
    "query_timezone",
    "max_billing_gigabytes",
    "tmp_db_host",
    "jdbc_additional_params",
    "pool_timeout",
    "user_attribute_fields",
    "maintenance_cron",
    "after_connect_statements",
    "custom_local_port",
    "pdt_concurrency",
    "oauth_application_id",
    "impersonated_service_account",
];

/// Also refused when given: BigQuery-only settings.
const NOT_YET_BIGQUERY: [&str; 2] = ["bq_storage_project_id", "service_name"];

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::validation(field, "invalid", message)
}

fn not_supported(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::validation(field, "not_supported", message)
}

/// Checks every field, then applies the ones Sightline reads to `base` (a new connection starts
/// from nothing). Returns the connection's name and definition.
pub fn read(body: &Map<String, Value>, base: Option<(&str, ServerDefinition)>) -> Result<(String, ServerDefinition), ApiError> {
    for (key, value) in body {
        let key = key.as_str();
        if value.is_null() || READ.contains(&key) || READ_ONLY.contains(&key) {
            continue;
        }
        if OFF_ONLY.contains(&key) {
            match value {
                Value::Bool(false) => continue,
                Value::Bool(true) => return Err(not_supported(key, format!("`{key}: true` is not supported yet"))),
                _ => return Err(invalid(key, format!("`{key}` must be true or false"))),
            }
        }
        if key == "connection_pooling" {
            match value {
                Value::Bool(true) => continue,
                _ => return Err(not_supported(key, "connections always pool; `connection_pooling: false` is not supported")),
            }
        }
        if NOT_YET.contains(&key) || NOT_YET_BIGQUERY.contains(&key) {
            return Err(not_supported(key, format!("connection setting `{key}` is not supported yet")));
        }
        // Fields the spec does not define are ignored, as Looker ignores them.
    }
    let text = |key: &str| -> Result<Option<String>, ApiError> {
        match body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(key, format!("`{key}` must be a string"))),
        }
    };
    let number = |key: &str| -> Result<Option<u64>, ApiError> {
        match body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| invalid(key, format!("`{key}` must be a whole number"))),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| invalid(key, format!("`{key}` must be a whole number"))),
            Some(_) => Err(invalid(key, format!("`{key}` must be a whole number"))),
        }
    };
    let (name, mut definition) = match base {
        Some((name, definition)) => {
            if let Some(other) = text("name")?.filter(|n| n != name) {
                return Err(not_supported("name", format!("renaming connection `{name}` to `{other}` is not supported yet")));
            }
            if let Some(dialect) = text("dialect_name")?.filter(|d| *d != definition.dialect) {
                return Err(not_supported(
                    "dialect_name",
                    format!("changing a connection's dialect (to `{dialect}`) is not supported; create another"),
                ));
            }
            (name.to_string(), definition)
        }
        None => {
            let name = text("name")?.ok_or_else(|| invalid("name", "a connection needs a `name`"))?;
            if name.is_empty() || name.len() > 100 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
                return Err(invalid("name", "a connection name is 1 to 100 letters, digits, `_` or `-`"));
            }
            let dialect = text("dialect_name")?.ok_or_else(|| invalid("dialect_name", "a connection needs a `dialect_name`"))?;
            if !engine::API_DIALECTS.contains(&dialect.as_str()) {
                let why = match dialect.as_str() {
                    "duckdb" => {
                        "DuckDB connections are declared in the server's TOML config (a path from the API could open any file)".to_string()
                    }
                    d if sql::DIALECTS.contains(&d) || d == "bigquery_standard_sql" => {
                        format!("Sightline has no `{d}` driver yet: declare the connection in the server's TOML config to print its SQL")
                    }
                    d => format!("unknown dialect `{d}` (connections through the API: {})", engine::API_DIALECTS.join(", ")),
                };
                return Err(not_supported("dialect_name", why));
            }
            let need = |key: &str| -> Result<String, ApiError> {
                text(key)?.filter(|v| !v.is_empty()).ok_or_else(|| invalid(key, format!("a {dialect} connection needs `{key}`")))
            };
            let definition = ServerDefinition {
                host: need("host")?,
                database: need("database")?,
                username: need("username")?,
                dialect: dialect.clone(),
                port: None,
                schema: None,
                password: None,
                max_connections: None,
                max_queries: None,
                max_queries_per_user: None,
                db_timezone: None,
                tls: None,
                tmp_db_name: None,
            };
            (name, definition)
        }
    };
    if let Some(host) = text("host")? {
        definition.host = host;
    }
    if let Some(database) = text("database")? {
        definition.database = database;
    }
    if let Some(username) = text("username")? {
        definition.username = username;
    }
    if let Some(password) = text("password")? {
        definition.password = Some(password).filter(|p| !p.is_empty());
    }
    if let Some(schema) = text("schema")? {
        if definition.dialect == "mysql" && !schema.is_empty() {
            return Err(invalid("schema", "MySQL has no schemas apart from databases; use `database`"));
        }
        definition.schema = Some(schema).filter(|s| !s.is_empty());
    }
    if let Some(port) = number("port")? {
        definition.port = Some(u16::try_from(port).ok().filter(|p| *p > 0).ok_or_else(|| invalid("port", "`port` is from 1 to 65535"))?);
    }
    if let Some(max) = number("max_connections")? {
        if !(1..=64).contains(&max) {
            return Err(invalid("max_connections", "`max_connections` is from 1 to 64"));
        }
        definition.max_connections = Some(max as u32);
    }
    if let Some(max) = number("max_queries")? {
        if !(1..=1000).contains(&max) {
            return Err(invalid("max_queries", "`max_queries` is from 1 to 1000"));
        }
        definition.max_queries = Some(max as u32);
    }
    if let Some(max) = number("max_queries_per_user")? {
        if !(1..=1000).contains(&max) {
            return Err(invalid("max_queries_per_user", "`max_queries_per_user` is from 1 to 1000"));
        }
        definition.max_queries_per_user = Some(max as u32);
    }
    // `ssl` asks for TLS, `verify_ssl` for a certificate checked against the system's roots.
    let flag = |key: &str| -> Result<Option<bool>, ApiError> {
        match body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(invalid(key, format!("`{key}` must be true or false"))),
        }
    };
    match (flag("ssl")?, flag("verify_ssl")?) {
        (_, Some(true)) => definition.tls = Some("verify-full".into()),
        (Some(true), _) => definition.tls = Some("require".into()),
        (Some(false), _) => definition.tls = Some("disable".into()),
        (None, Some(false)) if definition.tls.as_deref() == Some("verify-full") => definition.tls = Some("require".into()),
        _ => {}
    }
    if let Some(zone) = text("db_timezone")? {
        if !zone.is_empty() && jiff::tz::TimeZone::get(&zone).is_err() {
            return Err(invalid("db_timezone", format!("`{zone}` is not a time zone name such as `UTC` or `Europe/Paris`")));
        }
        definition.db_timezone = Some(zone).filter(|z| !z.is_empty());
    }
    // Where persistent derived tables are built: a plain schema name (it is written into SQL).
    if let Some(schema) = text("tmp_db_name")? {
        if !schema.is_empty() && !engine::is_plain_schema_name(&schema) {
            return Err(invalid("tmp_db_name", format!("`{schema}` is not a plain schema name (letters, digits and _)")));
        }
        definition.tmp_db_name = Some(schema).filter(|s| !s.is_empty());
    }
    Ok((name, definition))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_new_connection_needs_its_target_and_refuses_what_it_cannot_honour() {
        let (name, d) = read(&body(r#"{"name":"w","dialect_name":"postgres","host":"h","database":"d","username":"u","port":"6543","password":"p","ssl":false,"has_password":true}"#), None).unwrap();
        assert_eq!((name.as_str(), d.port, d.password.as_deref()), ("w", Some(6543), Some("p")));
        let refused = |json: &str, field: &str| {
            let e = read(&body(json), None).unwrap_err();
            assert_eq!(e.errors[0].0, field, "{json}");
        };
        refused(r#"{"name":"w","dialect_name":"postgres","host":"h","database":"d","username":"u","ssl":"yes"}"#, "ssl");
        refused(r#"{"name":"w","dialect_name":"postgres","host":"h","database":"d","username":"u","uses_tns":true}"#, "uses_tns");
        let (_, d) =
            read(&body(r#"{"name":"w","dialect_name":"postgres","host":"h","database":"d","username":"u","ssl":true}"#), None).unwrap();
        assert_eq!(d.tls.as_deref(), Some("require"));
        refused(
            r#"{"name":"w","dialect_name":"postgres","host":"h","database":"d","username":"u","after_connect_statements":"SET x"}"#,
            "after_connect_statements",
        );
        refused(r#"{"name":"w","dialect_name":"duckdb","database":"/etc/passwd"}"#, "dialect_name");
        refused(r#"{"name":"w","dialect_name":"postgres","host":"h","database":"d"}"#, "username");
        refused(r#"{"name":"w x","dialect_name":"postgres","host":"h","database":"d","username":"u"}"#, "name");
        refused(r#"{"name":"w","dialect_name":"postgres","host":"h","database":"d","username":"u","port":"99999"}"#, "port");
        refused(
            r#"{"name":"w","dialect_name":"postgres","host":"h","database":"d","username":"u","db_timezone":"Mars/Base"}"#,
            "db_timezone",
        );
        refused(
            r#"{"name":"w","dialect_name":"postgres","host":"h","database":"d","username":"u","tmp_db_name":"x; DROP"}"#,
            "tmp_db_name",
        );
        let (_, d) =
            read(&body(r#"{"name":"w","dialect_name":"postgres","host":"h","database":"d","username":"u","tmp_db_name":"scratch"}"#), None)
                .unwrap();
        assert_eq!(d.tmp_db_name.as_deref(), Some("scratch"));
    }

    #[test]
    fn a_change_keeps_what_it_does_not_name() {
        let (_, base) =
            read(&body(r#"{"name":"w","dialect_name":"mysql","host":"h","database":"d","username":"u","password":"p"}"#), None).unwrap();
        let (_, changed) = read(&body(r#"{"host":"h2","max_connections":3}"#), Some(("w", base.clone()))).unwrap();
        assert_eq!((changed.host.as_str(), changed.password.as_deref(), changed.max_connections), ("h2", Some("p"), Some(3)));
        assert!(read(&body(r#"{"name":"other"}"#), Some(("w", base.clone()))).is_err());
        let (_, limited) = read(&body(r#"{"max_queries":2}"#), Some(("w", base.clone()))).unwrap();
        assert_eq!(limited.max_queries, Some(2));
        assert!(read(&body(r#"{"max_queries":0}"#), Some(("w", base.clone()))).is_err());
        assert!(read(&body(r#"{"schema":"s"}"#), Some(("w", base))).is_err());
    }
}
