//! The server's TOML configuration: one `[connections.NAME]` table per database a model names,
//! tagged by dialect; unknown keys and dialects are start-up errors with a line number.
//!
//! ```toml
//! [connections.local]
//! dialect = "duckdb"
//! database = "data/warehouse.duckdb"   # relative to this file; ":memory:" for an empty one
//! create = false                       # a missing file is an error unless this is true
//!
//! [connections.warehouse]
//! dialect = "postgres"                 # or "mysql" (MySQL and MariaDB)
//! host = "db.internal"
//! port = 5432
//! database = "analytics"
//! schema = "public"                    # PostgreSQL: the search_path
//! user = "looker"
//! password_env = "WAREHOUSE_PASSWORD"  # the password is read from this variable, never the file
//! pool_size = 4
//! max_queries = 8                      # statements at once (any dialect; default: no limit)
//! max_queries_per_user = 2             # statements of one user at once (default: no limit)
//! query_timeout = 300                  # seconds before a statement is cancelled (default: none)
//! tmp_db_name = "sightline_scratch"    # where persistent derived tables are built (default: none,
//!                                      # they are computed inline in each query)
//! tls = "verify-full"                  # disable, prefer (default), require, verify-ca, verify-full
//! tls_ca_file = "certs/ca.pem"         # the authority verify-* checks (default: system roots)
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};
use serde::Deserialize;

#[derive(Debug)]
pub struct Config {
    pub connections: BTreeMap<String, ConnectionConfig>,
    /// Connection → the zone its timestamps are stored in, where not UTC (`timezone = "…"`).
    pub timezones: BTreeMap<String, String>,
    /// Connection → statements run on it at once, in all and per user (`max_queries = N`,
    /// `max_queries_per_user = N`), where limited.
    pub limits: BTreeMap<String, connect::StatementLimits>,
    /// Connection → seconds a statement may run before it is cancelled (`query_timeout = N`).
    pub query_timeouts: BTreeMap<String, u64>,
    /// Connection → the schema its persistent derived tables are built into (`tmp_db_name`, as
    /// Looker's connections name it).
    pub scratch_schemas: BTreeMap<String, String>,
}

/// The file as written: one flat table per connection, so that an unknown key is reported with
/// its line; [`ConnectionConfig`] is what each becomes once its dialect's keys are checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    connections: BTreeMap<String, ConnectionTable>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectionTable {
    dialect: String,
    database: Option<String>,
    create: Option<bool>,
    host: Option<String>,
    port: Option<u16>,
    schema: Option<String>,
    user: Option<String>,
    password_env: Option<String>,
    pool_size: Option<u32>,
    tls: Option<String>,
    tls_ca_file: Option<String>,
    /// The zone the database's timestamps are stored in (default UTC).
    timezone: Option<String>,
    /// Statements run at once on this connection (default: no limit).
    max_queries: Option<u32>,
    /// Statements of one user run at once on this connection (default: no limit).
    max_queries_per_user: Option<u32>,
    /// Seconds a statement may run before it is cancelled (default: no limit).
    query_timeout: Option<u64>,
    /// The schema persistent derived tables are built into (default: none; they are inline).
    tmp_db_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConnectionConfig {
    Duckdb(DuckDbConfig),
    Postgres(ServerConfig),
    Mysql(ServerConfig),
    /// A dialect Sightline writes SQL for but has no driver for yet (BigQuery, Snowflake,
    /// Redshift, Trino, ClickHouse).
    WithoutDriver {
        dialect: &'static str,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct DuckDbConfig {
    pub database: String,
    /// Create the database file when it does not exist (otherwise a start-up error).
    pub create: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    pub host: String,
    pub port: Option<u16>,
    pub database: String,
    pub schema: Option<String>,
    pub user: String,
    /// The environment variable holding the password.
    pub password_env: Option<String>,
    pub pool_size: Option<u32>,
    pub tls: connect::Tls,
    /// Relative to the config file.
    pub tls_ca_file: Option<String>,
}

impl ConnectionTable {
    fn into_config(self, name: &str) -> anyhow::Result<ConnectionConfig> {
        let refuse = |key: &str, present: bool| -> anyhow::Result<()> {
            if present {
                bail!("connection `{name}`: `{key}` does not apply to dialect `{}`", self.dialect);
            }
            Ok(())
        };
        let need = |key: &str, value: Option<String>| value.ok_or_else(|| anyhow::anyhow!("connection `{name}` needs `{key}`"));
        match self.dialect.as_str() {
            "duckdb" => {
                for (key, present) in [
                    ("host", self.host.is_some()),
                    ("port", self.port.is_some()),
                    ("schema", self.schema.is_some()),
                    ("user", self.user.is_some()),
                    ("password_env", self.password_env.is_some()),
                    ("pool_size", self.pool_size.is_some()),
                    ("tls", self.tls.is_some()),
                    ("tls_ca_file", self.tls_ca_file.is_some()),
                ] {
                    refuse(key, present)?;
                }
                Ok(ConnectionConfig::Duckdb(DuckDbConfig {
                    database: need("database", self.database)?,
                    create: self.create.unwrap_or(false),
                }))
            }
            dialect @ ("postgres" | "mysql") => {
                refuse("create", self.create.is_some())?;
                let tls = match self.tls.as_deref() {
                    None => connect::Tls::default(),
                    Some(t) => connect::Tls::parse(t).ok_or_else(|| {
                        anyhow::anyhow!("connection `{name}`: `tls = \"{t}\"` is not one of {}", connect::Tls::NAMES.join(", "))
                    })?,
                };
                if self.tls_ca_file.is_some() && !matches!(tls, connect::Tls::VerifyCa | connect::Tls::VerifyFull) {
                    bail!("connection `{name}`: `tls_ca_file` is read only with `tls = \"verify-ca\"` or `\"verify-full\"`");
                }
                if dialect == "mysql" && self.schema.is_some() {
                    bail!("connection `{name}`: MySQL has no schemas apart from databases; use `database`");
                }
                let server = ServerConfig {
                    host: need("host", self.host)?,
                    port: self.port,
                    database: need("database", self.database)?,
                    schema: self.schema,
                    user: need("user", self.user)?,
                    password_env: self.password_env,
                    pool_size: self.pool_size,
                    tls,
                    tls_ca_file: self.tls_ca_file,
                };
                Ok(if dialect == "postgres" { ConnectionConfig::Postgres(server) } else { ConnectionConfig::Mysql(server) })
            }
            dialect @ ("bigquery" | "snowflake" | "redshift" | "trino" | "clickhouse") => {
                for (key, present) in [
                    ("host", self.host.is_some()),
                    ("port", self.port.is_some()),
                    ("user", self.user.is_some()),
                    ("password_env", self.password_env.is_some()),
                    ("pool_size", self.pool_size.is_some()),
                    ("tls", self.tls.is_some()),
                    ("tls_ca_file", self.tls_ca_file.is_some()),
                    ("create", self.create.is_some()),
                ] {
                    refuse(key, present)?;
                }
                let dialect = sql::DIALECTS.iter().copied().find(|d| *d == dialect).unwrap_or("bigquery");
                Ok(ConnectionConfig::WithoutDriver { dialect })
            }
            other => bail!("connection `{name}`: unknown dialect `{other}` (supported: {})", DIALECTS.join(", ")),
        }
    }
}

/// Dialects the config accepts: the first three run queries, the rest only print SQL so far.
pub const DIALECTS: [&str; 8] = ["duckdb", "postgres", "mysql", "bigquery", "snowflake", "redshift", "trino", "clickhouse"];

impl ServerConfig {
    /// The connection target, with the password read from its variable.
    pub fn target(&self, default_port: u16) -> anyhow::Result<connect::ServerTarget> {
        let password = match &self.password_env {
            Some(var) => Some(std::env::var(var).with_context(|| format!("the password variable `{var}` is not set"))?),
            None => None,
        };
        Ok(connect::ServerTarget {
            host: self.host.clone(),
            port: self.port.unwrap_or(default_port),
            database: self.database.clone(),
            schema: self.schema.clone(),
            user: self.user.clone(),
            password,
            pool_size: self.pool_size.unwrap_or(4).max(1),
            tls: self.tls,
            query_timeout: None,
            tls_ca_file: self.tls_ca_file.clone(),
        })
    }
}

impl Config {
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the config file {}", path.display()))?;
        let mut config = Config::parse(&text).with_context(|| format!("in {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new(""));
        for c in config.connections.values_mut() {
            match c {
                ConnectionConfig::Duckdb(d) if d.database != ":memory:" && Path::new(&d.database).is_relative() => {
                    d.database = base.join(&d.database).to_string_lossy().into_owned();
                }
                ConnectionConfig::Postgres(s) | ConnectionConfig::Mysql(s) => {
                    if let Some(ca) = s.tls_ca_file.as_mut().filter(|ca| Path::new(ca.as_str()).is_relative()) {
                        *ca = base.join(&*ca).to_string_lossy().into_owned();
                    }
                }
                _ => {}
            }
        }
        Ok(config)
    }

    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let file: ConfigFile = toml::from_str(text)?;
        let mut connections = BTreeMap::new();
        let mut timezones = BTreeMap::new();
        let mut limits = BTreeMap::new();
        let mut query_timeouts = BTreeMap::new();
        let mut scratch_schemas = BTreeMap::new();
        for (name, table) in file.connections {
            if let Some(schema) = table.tmp_db_name.clone() {
                if !connect::is_plain_schema_name(&schema) {
                    bail!("connection `{name}`: `tmp_db_name = \"{schema}\"` must be a plain schema name (letters, digits and _)");
                }
                if table.dialect != "duckdb" && table.dialect != "postgres" && table.dialect != "mysql" {
                    bail!("connection `{name}`: `tmp_db_name` does not apply to dialect `{}` (no driver yet)", table.dialect);
                }
                scratch_schemas.insert(name.clone(), schema);
            }
            match table.query_timeout {
                Some(0) => bail!("connection `{name}`: `query_timeout` is a number of seconds, at least 1"),
                Some(seconds) if table.dialect != "duckdb" && table.dialect != "postgres" && table.dialect != "mysql" => {
                    bail!("connection `{name}`: `query_timeout = {seconds}` does not apply to dialect `{}` (no driver yet)", table.dialect)
                }
                Some(seconds) => {
                    query_timeouts.insert(name.clone(), seconds);
                }
                None => {}
            }
            for (key, value) in [("max_queries", table.max_queries), ("max_queries_per_user", table.max_queries_per_user)] {
                if value == Some(0) {
                    bail!("connection `{name}`: `{key}` must be at least 1");
                }
            }
            let limit = connect::StatementLimits { max_queries: table.max_queries, max_queries_per_user: table.max_queries_per_user };
            if limit != connect::StatementLimits::default() {
                limits.insert(name.clone(), limit);
            }
            if let Some(zone) = table.timezone.clone().filter(|z| z != "UTC") {
                if jiff::tz::TimeZone::get(&zone).is_err() {
                    bail!("connection `{name}`: `timezone = \"{zone}\"` is not a time zone name such as `UTC` or `Europe/Paris`");
                }
                timezones.insert(name.clone(), zone);
            }
            let config = table.into_config(&name)?;
            connections.insert(name, config);
        }
        Ok(Config { connections, timezones, limits, query_timeouts, scratch_schemas })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_connections() {
        let c = Config::parse("[connections.w]\ndialect = \"duckdb\"\ndatabase = \":memory:\"\n").unwrap();
        assert!(matches!(&c.connections["w"], ConnectionConfig::Duckdb(d) if d.database == ":memory:" && !d.create));
        let c = Config::parse(
            "[connections.pg]\ndialect = \"postgres\"\nhost = \"h\"\ndatabase = \"d\"\nuser = \"u\"\npassword_env = \"PW\"\n",
        )
        .unwrap();
        let ConnectionConfig::Postgres(s) = &c.connections["pg"] else { panic!("{c:?}") };
        assert_eq!((s.host.as_str(), s.port), ("h", None));
    }

    #[test]
    fn unknown_keys_are_errors_with_a_line() {
        let e = Config::parse("[connections.w]\ndialect = \"duckdb\"\ndatabse = \"x\"\n").unwrap_err().to_string();
        assert!(e.contains("databse") && e.contains("line 3"), "{e}");
        assert!(Config::parse("[conections.w]\n").is_err());
    }

    #[test]
    fn tls_modes_are_read_and_checked() {
        let pg = |extra: &str| {
            Config::parse(&format!("[connections.pg]\ndialect = \"postgres\"\nhost = \"h\"\ndatabase = \"d\"\nuser = \"u\"\n{extra}"))
        };
        let c = pg("tls = \"verify-full\"\ntls_ca_file = \"ca.pem\"\n").unwrap();
        let ConnectionConfig::Postgres(s) = &c.connections["pg"] else { panic!("{c:?}") };
        assert_eq!((s.tls, s.tls_ca_file.as_deref()), (connect::Tls::VerifyFull, Some("ca.pem")));
        let ConnectionConfig::Postgres(s) = &pg("").unwrap().connections["pg"] else { panic!() };
        assert_eq!(s.tls, connect::Tls::Prefer);
        assert!(pg("tls = \"sometimes\"\n").unwrap_err().to_string().contains("not one of"));
        assert!(pg("tls_ca_file = \"ca.pem\"\n").unwrap_err().to_string().contains("verify-ca"));
    }

    #[test]
    fn unsupported_options_are_refused_by_name() {
        let e = Config::parse("[connections.pg]\ndialect = \"postgres\"\nhost = \"h\"\ndatabase = \"d\"\nuser = \"u\"\npassword = \"x\"\n")
            .unwrap_err();
        assert!(format!("{e:#}").contains("password"), "{e:#}");
    }

    #[test]
    fn statement_limits_are_read() {
        let c =
            Config::parse("[connections.w]\ndialect = \"duckdb\"\ndatabase = \":memory:\"\nmax_queries = 2\nmax_queries_per_user = 1\nquery_timeout = 30\n").unwrap();
        assert_eq!((c.limits["w"].max_queries, c.limits["w"].max_queries_per_user, c.query_timeouts["w"]), (Some(2), Some(1), 30));
        assert!(Config::parse("[connections.w]\ndialect = \"duckdb\"\ndatabase = \":memory:\"\nquery_timeout = 0\n").is_err());
        assert!(Config::parse("[connections.w]\ndialect = \"duckdb\"\ndatabase = \":memory:\"\nmax_queries = 0\n").is_err());
    }

    #[test]
    fn database_time_zones_are_checked() {
        let c = Config::parse("[connections.w]\ndialect = \"duckdb\"\ndatabase = \":memory:\"\ntimezone = \"Europe/Paris\"\n").unwrap();
        assert_eq!(c.timezones["w"], "Europe/Paris");
        let e = Config::parse("[connections.w]\ndialect = \"duckdb\"\ndatabase = \":memory:\"\ntimezone = \"Mars/Olympus\"\n").unwrap_err();
        assert!(e.to_string().contains("not a time zone name"), "{e}");
    }

    #[test]
    fn unknown_dialects_are_errors() {
        let e = Config::parse("[connections.w]\ndialect = \"oracle\"\ndatabase = \"x\"\n").unwrap_err().to_string();
        assert!(e.contains("unknown dialect `oracle`"), "{e}");
    }
}
