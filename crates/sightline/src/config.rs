//! The server's TOML configuration: one `[connections.NAME]` table per database a model names.
//!
//! ```toml
//! [connections.warehouse]
//! dialect = "duckdb"
//! database = "data/warehouse.duckdb"   # relative to this file; ":memory:" for an empty one
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub connections: BTreeMap<String, ConnectionConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionConfig {
    pub dialect: String,
    pub database: String,
}

/// Dialects Sightline can connect to so far.
pub const DIALECTS: [&str; 1] = ["duckdb"];

impl Config {
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the config file {}", path.display()))?;
        let mut config = Config::parse(&text).with_context(|| format!("in {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new(""));
        for c in config.connections.values_mut() {
            if c.database != ":memory:" && Path::new(&c.database).is_relative() {
                c.database = base.join(&c.database).to_string_lossy().into_owned();
            }
        }
        Ok(config)
    }

    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let config: Config = toml::from_str(text)?;
        for (name, c) in &config.connections {
            if !DIALECTS.contains(&c.dialect.as_str()) {
                bail!("connection `{name}`: unknown dialect `{}` (supported: {})", c.dialect, DIALECTS.join(", "));
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_connections() {
        let c = Config::parse("[connections.w]\ndialect = \"duckdb\"\ndatabase = \":memory:\"\n").unwrap();
        assert_eq!(c.connections["w"].dialect, "duckdb");
    }

    #[test]
    fn unknown_keys_are_errors_with_a_line() {
        let e = Config::parse("[connections.w]\ndialect = \"duckdb\"\ndatabse = \"x\"\n").unwrap_err().to_string();
        assert!(e.contains("databse") && e.contains("line 3"), "{e}");
        assert!(Config::parse("[conections.w]\n").is_err());
    }

    #[test]
    fn unknown_dialects_are_errors() {
        let e = Config::parse("[connections.w]\ndialect = \"oracle\"\ndatabase = \"x\"\n").unwrap_err().to_string();
        assert!(e.contains("unknown dialect `oracle`"), "{e}");
    }
}
