//! `sightline bench-lookml`: the semantic layer's costs on a generated project of `--views`
//! views (about 6 KB of LookML each, as real view files are), with the Python `lkml` parser on
//! the same files as the parsing baseline when it is installed (`scripts/bench.sh` installs it).
//!
//! - load: list, parse, resolve includes and build the catalog of the whole project;
//! - parse: lexer and parser alone over the same text, in MB/s;
//! - compile: a 20-field query over three joins (fan-out included), per compilation.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};

use crate::bench::time;

const FIELDS_PER_VIEW: usize = 40;

/// Writes the project: `views/v{i}.view.lkml` and one model whose explores join four views.
fn generate(root: &Path, views: usize) -> anyhow::Result<u64> {
    let _ = std::fs::remove_dir_all(root);
    std::fs::create_dir_all(root.join("views"))?;
    let mut bytes = 0u64;
    for i in 0..views {
        let mut text = format!("view: v{i} {{\n  sql_table_name: analytics.table_{i} ;;\n\n");
        text.push_str("  dimension: id {\n    primary_key: yes\n    type: number\n    sql: ${TABLE}.id ;;\n  }\n\n");
        text.push_str(&format!("  dimension: parent_id {{\n    type: number\n    sql: ${{TABLE}}.v{}_id ;;\n  }}\n\n", (i + 1) % views));
        text.push_str("  dimension_group: created {\n    type: time\n    timeframes: [raw, date, week, month, quarter, year]\n    sql: ${TABLE}.created_at ;;\n  }\n\n");
        for f in 0..FIELDS_PER_VIEW / 2 {
            text.push_str(&format!(
                "  dimension: attribute_{f} {{\n    label: \"Attribute {f}\"\n    description: \"The {f}th attribute of view {i}, as loaded nightly.\"\n    type: string\n    sql: ${{TABLE}}.attribute_{f} ;;\n  }}\n\n"
            ));
            text.push_str(&format!(
                "  measure: total_{f} {{\n    type: sum\n    value_format_name: decimal_2\n    sql: ${{TABLE}}.amount_{f} ;;\n    filters: [attribute_{f}: \"-NULL\"]\n  }}\n\n"
            ));
        }
        text.push_str("  measure: count {\n    type: count\n    drill_fields: [id, attribute_0, attribute_1]\n  }\n}\n");
        bytes += text.len() as u64;
        std::fs::write(root.join(format!("views/v{i}.view.lkml")), text)?;
    }
    let mut model = String::from("connection: \"warehouse\"\ninclude: \"/views/*.view\"\n\n");
    for e in 0..views / 4 {
        let (a, b, c, d) = (e * 4, e * 4 + 1, e * 4 + 2, e * 4 + 3);
        model.push_str(&format!(
            "explore: v{a} {{\n  join: v{b} {{ sql_on: ${{v{a}.parent_id}} = ${{v{b}.id}} ;; relationship: many_to_one }}\n  join: v{c} {{ sql_on: ${{v{b}.parent_id}} = ${{v{c}.id}} ;; relationship: many_to_one }}\n  join: v{d} {{ sql_on: ${{v{a}.id}} = ${{v{d}.parent_id}} ;; relationship: one_to_many }}\n}}\n\n"
        ));
    }
    bytes += model.len() as u64;
    std::fs::write(root.join("warehouse.model.lkml"), model)?;
    Ok(bytes)
}

pub fn run(views: usize, iterations: usize, data_dir: &Path) -> anyhow::Result<()> {
    let views = views.max(4);
    let iterations = iterations.max(1);
    let root = data_dir.join("bench-lookml");
    let bytes = generate(&root, views)?;
    println!("Generated {views} views ({:.1} MB of LookML) in {}", bytes as f64 / 1e6, root.display());

    let load = time(iterations, || {
        let (project, diagnostics) = lookml::load_project(&root);
        let (catalog, more) = semantic::build_catalog(&project);
        if let Some(d) = diagnostics.iter().chain(&more).find(|d| d.is_error()) {
            bail!("the generated project has an error: {}", d.render(&project.sources));
        }
        std::hint::black_box(catalog);
        Ok(())
    })?;
    println!("load + validate {views} views: {:.1} ms (target: under 1,000 ms)", load.as_secs_f64() * 1e3);

    let texts: Vec<String> =
        (0..views).map(|i| std::fs::read_to_string(root.join(format!("views/v{i}.view.lkml")))).collect::<Result<_, _>>()?;
    let parse = time(iterations, || {
        for (i, text) in texts.iter().enumerate() {
            std::hint::black_box(lookml::parse(lookml::FileId(i as u32), text).map_err(|d| anyhow::anyhow!(d.message))?);
        }
        Ok(())
    })?;
    let view_bytes: usize = texts.iter().map(String::len).sum();
    let ours = view_bytes as f64 / 1e6 / parse.as_secs_f64();
    println!("parse: {ours:.0} MB/s (target: at least 300 MB/s)");
    match lkml_baseline(&root, views, view_bytes) {
        Ok(theirs) => println!("  lkml (Python) on the same files: {theirs:.2} MB/s; Sightline is {:.0}x faster", ours / theirs),
        Err(e) => println!("  lkml baseline skipped: {e:#}"),
    }

    let (project, _) = lookml::load_project(&root);
    let (catalog, _) = semantic::build_catalog(&project);
    let model = &catalog.models["warehouse"];
    let mut fields: Vec<String> = vec!["v0.created_month".into(), "v1.attribute_0".into(), "v2.attribute_1".into()];
    fields.extend((0..FIELDS_PER_VIEW / 2 - 3).map(|f| format!("v0.total_{f}")));
    fields.push("v3.count".into());
    let spec = sql::QuerySpec {
        model: "warehouse".into(),
        view: "v0".into(),
        fields,
        filters: vec![("v1.attribute_2".into(), "-NULL".into()), ("v0.created_date".into(), "last 30 days".into())],
        sorts: vec![],
        limit: sql::Limit::Rows(500),
        time_zones: None,
        ..Default::default()
    };
    let now = jiff::civil::date(2024, 5, 17).at(12, 0, 0, 0);
    let rounds = 1000;
    let compile = time(iterations, || {
        for _ in 0..rounds {
            std::hint::black_box(sql::compile(model, &spec, &sql::DuckDb, now)?);
        }
        Ok(())
    })? / rounds;
    println!(
        "compile a {}-field query over three joins: {:.1} µs (target: under 50 µs; Malloy 2.2 ms and Cube 3.1 ms were measured on this machine kind)",
        spec.fields.len(),
        compile.as_secs_f64() * 1e6
    );
    Ok(())
}

/// MB/s of the Python `lkml` parser over the same view files, or why it could not run.
fn lkml_baseline(root: &Path, views: usize, bytes: usize) -> anyhow::Result<f64> {
    let python = std::env::var("SIGHTLINE_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = format!(
        "import lkml, time, pathlib\ntexts=[pathlib.Path(r'{}').joinpath(f'views/v{{i}}.view.lkml').read_text() for i in range({views})]\nstart=time.perf_counter()\nfor t in texts: lkml.load(t)\nprint(time.perf_counter()-start)\n",
        root.display()
    );
    let out = Command::new(&python).arg("-c").arg(script).output().with_context(|| format!("cannot run {python}"))?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("lkml failed"));
    }
    let seconds: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().context("unreadable lkml timing")?;
    Ok(bytes as f64 / 1e6 / seconds)
}
