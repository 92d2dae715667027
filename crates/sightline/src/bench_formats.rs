//! `sightline bench-formats`: every result format over one generated table, as rows per second
//! and as a ratio against DuckDB exporting the same SQL itself in the same run (`COPY … TO` csv
//! for the text formats, json for the JSON ones); then the peak resident memory of streaming a
//! far larger csv result (the process's high-water mark is reset first).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use connect::{Connection, DuckDbConnection};
use engine::{CacheUse, Engine, QueryBody};
use format::{Rendering, ResultFormat};

use crate::bench::time;

const MODEL: &str = "connection: \"bench\"\ninclude: \"*.view\"\nexplore: facts {}\n";
const VIEW: &str = "view: facts {\n  sql_table_name: facts ;;\n  dimension: id { type: number primary_key: yes }\n  \
    dimension: name {}\n  dimension: amount { type: number value_format_name: usd }\n  dimension: day { type: date }\n}\n";

fn query(rows: u64) -> QueryBody {
    QueryBody {
        model: "bench".into(),
        view: "facts".into(),
        fields: Some(["facts.id", "facts.name", "facts.amount", "facts.day"].map(String::from).to_vec()),
        // The first `rows` rows, every one (a row limit is capped as Looker caps it).
        filters: Some([("facts.id".to_string(), serde_json::Value::String(format!("<{rows}")))].into_iter().collect()),
        limit: Some("-1".into()),
        ..QueryBody::default()
    }
}

/// The process's peak resident memory so far, in bytes (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb * 1024)
}

fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

/// `bench-stream-baseline`: DuckDB alone streaming `sql` from `database` to a sink that drops
/// each batch; prints how much the peak resident memory grew, in bytes.
pub fn stream_baseline(database: &str, duckdb_memory: &str, sql: &str) -> anyhow::Result<()> {
    let duck = DuckDbConnection::open(database)?;
    duck.execute_batch(&format!("SET memory_limit = '{}'", duckdb_memory.replace('\'', "")))?;
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = peak_rss().unwrap_or(0);
    duck.stream(sql, &connect::Cancel::default(), &mut |_batch| Ok(()))?;
    println!("{}", peak_rss().unwrap_or(0).saturating_sub(before));
    Ok(())
}

pub fn run(rows: u64, stream_rows: u64, iterations: usize, duckdb_memory: &str, data_dir: &Path) -> anyhow::Result<()> {
    let iterations = iterations.max(1);
    let dir = data_dir.join(format!("bench-formats-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("bench.model.lkml"), MODEL)?;
    std::fs::write(dir.join("facts.view.lkml"), VIEW)?;
    let catalog = crate::project::load(&dir)?;
    // The table is written to a DuckDB file by one instance and read by another, as a server
    // reads its warehouse: what the process holds is what serving the queries takes.
    let database = dir.join("facts.duckdb").to_string_lossy().to_string();
    {
        let setup = DuckDbConnection::open(&database)?;
        let total = rows.max(stream_rows);
        setup.execute_batch(&format!(
            "CREATE TABLE facts AS SELECT range AS id, 'name ' || range AS name, range * 0.25 AS amount, \
             DATE '2024-01-01' + CAST(range % 365 AS INTEGER) AS day FROM range({total})"
        ))?;
    }
    let duck = Arc::new(DuckDbConnection::open(&database)?);
    duck.execute_batch(&format!("SET memory_limit = '{}'", duckdb_memory.replace('\'', "")))?;
    let runtime = tokio::runtime::Runtime::new()?;
    let results = dir.join("results.db");
    let engine = runtime.block_on(async {
        let store = store::Store::connect(&format!("sqlite://{}", results.display())).await?;
        let connections: std::collections::HashMap<String, Arc<dyn Connection>> =
            [("bench".to_string(), duck.clone() as Arc<dyn Connection>)].into();
        let config = engine::EngineConfig { workers: 1, max_result_bytes: usize::MAX, ..Default::default() };
        anyhow::Ok(Engine::start(catalog, connections, store, config).await?)
    })?;
    let fresh = CacheUse { read: false, ..Default::default() };
    // Streaming first, before the formats below grow the heap: the high-water mark is reset
    // before Sightline's run of the large result and again before DuckDB's own COPY of it, so
    // each peak is that run's. DuckDB is held to `duckdb_memory` (it spills to disk past it),
    // as a server would bound its embedded database.
    let big_sql = engine.compile(&query(stream_rows), None)?.sql;
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = peak_rss().unwrap_or(0);
    let started = std::time::Instant::now();
    let answer = runtime.block_on(engine.run(&query(stream_rows), ResultFormat::Csv, None, fresh, None))?;
    let seconds = started.elapsed().as_secs_f64();
    let peak = peak_rss().unwrap_or(0);
    let size = answer.output.body.len();
    drop(answer);
    let target = dir.join("duck-big.csv").to_string_lossy().replace('\'', "''");
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before_copy = peak_rss().unwrap_or(0);
    duck.execute_batch(&format!("COPY ({big_sql}) TO '{target}' (FORMAT CSV, HEADER)"))?;
    let copy_peak = peak_rss().unwrap_or(0);
    let _ = std::fs::remove_file(dir.join("duck-big.csv"));
    let sql = engine.compile(&query(rows), None)?.sql;
    let sample = runtime.block_on(engine.run(&query(rows), ResultFormat::Csv, None, fresh, None))?;
    anyhow::ensure!(sample.output.body.len() > 10 * rows, "the csv of {rows} rows is only {} bytes", sample.output.body.len());
    let csv_bytes = sample.output.body.len();
    drop(sample);
    let copy = |target: &str, options: &str| {
        let path = dir.join(target);
        let path = path.to_string_lossy().replace('\'', "''");
        let statement = format!("COPY ({sql}) TO '{path}' ({options})");
        time(iterations, || Ok(duck.execute_batch(&statement)?))
    };
    let duck_csv = copy("duck.csv", "FORMAT CSV, HEADER")?;
    let duck_json = copy("duck.json", "FORMAT JSON, ARRAY true")?;
    println!("Formats: {rows} rows of 4 columns ({} of csv), Sightline (compile, run, format, spool) vs DuckDB's own COPY of the same SQL; median of {iterations}", mb(csv_bytes));
    println!("{:<22} {:>12} {:>14} {:>12} {:>9}", "format", "Sightline", "rows/s", "DuckDB COPY", "ratio");
    let per_second = |d: Duration| rows as f64 / d.as_secs_f64();
    let formats = [
        ("csv", ResultFormat::Csv, false),
        ("csv, apply_formatting", ResultFormat::Csv, true),
        ("txt", ResultFormat::Txt, false),
        ("json", ResultFormat::Json, false),
        ("inline_json", ResultFormat::InlineJson, false),
        ("json_detail", ResultFormat::JsonDetail, false),
        ("json_bi", ResultFormat::JsonBi, false),
        ("html", ResultFormat::Html, false),
        ("md", ResultFormat::Md, false),
        ("gsxml", ResultFormat::Gsxml, false),
        ("xlsx", ResultFormat::Xlsx, false),
    ];
    for (name, format, apply_formatting) in formats {
        let rendering = Rendering { format, apply_formatting, ..Rendering::raw(format) };
        let ours = time(iterations, || Ok(runtime.block_on(engine.run(&query(rows), rendering.clone(), None, fresh, None))?))?;
        let (baseline, against) = match format {
            ResultFormat::Json | ResultFormat::InlineJson | ResultFormat::JsonDetail | ResultFormat::JsonBi => (duck_json, "json"),
            _ => (duck_csv, "csv"),
        };
        println!(
            "{name:<22} {:>9.0} ms {:>14.0} {:>8.0} ms {against} {:>5.2}x",
            ours.as_secs_f64() * 1e3,
            per_second(ours),
            baseline.as_secs_f64() * 1e3,
            ours.as_secs_f64() / baseline.as_secs_f64()
        );
    }
    runtime.block_on(engine.shutdown(Duration::ZERO))?;
    // The database file is free once this process lets go of it (the runtime's background
    // tasks hold the engine too).
    drop(engine);
    drop(runtime);
    drop(duck);
    // DuckDB alone on the same SQL, in a fresh process (this one's DuckDB held buffers),
    // streamed to a sink that drops each batch: what executing the query (its GROUP BY and
    // ORDER BY over every row) costs before anything is formatted.
    let baseline = std::process::Command::new(std::env::current_exe()?)
        .args(["bench-stream-baseline", "--database", &database, "--duckdb-memory", duckdb_memory, "--sql", &big_sql])
        .output()?;
    anyhow::ensure!(baseline.status.success(), "the streaming baseline failed: {}", String::from_utf8_lossy(&baseline.stderr));
    let bare: u64 = String::from_utf8_lossy(&baseline.stdout).trim().parse().context("the streaming baseline's answer")?;
    println!(
        "Streaming {stream_rows} rows of csv ({}, {:.0} rows/s; DuckDB's memory_limit {duckdb_memory}): peak resident memory {} \
         (+{} over the {} before); DuckDB alone streaming the same SQL to a sink that drops its batches, in a fresh process: \
         +{}, so Sightline's own share is {}; DuckDB's COPY of the same SQL: {} (+{}){}",
        mb(size),
        stream_rows as f64 / seconds,
        mb(peak),
        mb(peak.saturating_sub(before)),
        mb(before),
        mb(bare),
        mb(peak.saturating_sub(before).saturating_sub(bare)),
        mb(copy_peak),
        mb(copy_peak.saturating_sub(before_copy)),
        if reset { "" } else { " — the high-water mark could not be reset: both include the runs above" }
    );
    std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    Ok(())
}
