//! Loading a LookML project into a catalog, printing its diagnostics as `file:line:col: message`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use semantic::Catalog;

/// Loads and validates; errors stop here with every diagnostic printed, warnings are printed.
pub fn load(project: &Path) -> anyhow::Result<Catalog> {
    let (loaded, mut diagnostics) = lookml::load_project(project);
    let (catalog, more) = semantic::build_catalog(&loaded);
    diagnostics.extend(more);
    for d in &diagnostics {
        eprintln!("{}", d.render(&loaded.sources));
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        bail!("the LookML project {} has {errors} error(s)", project.display());
    }
    Ok(catalog)
}

/// `sightline validate`: the project's diagnostics, then every field of every explore compiled
/// on its own (in DuckDB's dialect: the config, and so the real dialect, is not known here).
pub fn validate_command(project: &Path) -> ExitCode {
    let (loaded, mut diagnostics) = lookml::load_project(project);
    let (catalog, more) = semantic::build_catalog(&loaded);
    diagnostics.extend(more);
    if !diagnostics.iter().any(|d| d.is_error()) {
        let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).datetime();
        for model in catalog.models.values() {
            for problem in sql::check_fields(model, &sql::DuckDb, now) {
                diagnostics.push(lookml::Diagnostic::error(problem.span, problem.message));
            }
        }
    }
    for d in &diagnostics {
        eprintln!("{}", d.render(&loaded.sources));
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        eprintln!("sightline: the LookML project {} has {errors} error(s)", project.display());
        return ExitCode::FAILURE;
    }
    let explores: usize = catalog.models.values().map(|m| m.explores.len()).sum();
    println!("{}: {} model(s), {explores} explore(s), no errors", project.display(), catalog.models.len());
    ExitCode::SUCCESS
}

/// `sightline sql`: the SQL Sightline would run for `query` on `dialect`.
pub fn sql_command(project: &Path, dialect: &str, query: &str, user_attributes: &[String]) -> anyhow::Result<()> {
    let dialect = sql::dialect_for(dialect)
        .ok_or_else(|| anyhow::anyhow!("unknown dialect `{dialect}` (supported: {})", sql::DIALECTS.join(", ")))?;
    let text = match query.strip_prefix('@') {
        Some(file) => std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?,
        None => query.to_string(),
    };
    let body: engine::QueryBody = serde_json::from_str(&text).context("the query is not Looker's Query JSON")?;
    let catalog = load(project)?;
    let model = catalog.models.get(&body.model).ok_or_else(|| anyhow::anyhow!("model `{}` does not exist", body.model))?;
    let attributes = user_attributes
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => Ok((name.trim().to_string(), value.to_string())),
            None => Err(anyhow::anyhow!("--user-attribute `{pair}` is not NAME=VALUE")),
        })
        .collect::<anyhow::Result<_>>()?;
    // Printed as it would run for a user with exactly these attribute values.
    let spec = sql::QuerySpec { user_attributes: Some(attributes), ..body.spec_for(None, "UTC")? };
    let compiled = sql::compile(model, &spec, dialect, body.now()?)?;
    println!("{}", compiled.sql);
    Ok(())
}
