//! `sightline bench`: Sightline's costs as ratios against baselines measured in the same run.
//!
//! - Queries: the whole engine path (compile → execute on DuckDB → convert → format as JSON)
//!   against raw DuckDB stepping through the rows of the same SQL.
//! - Charts: native rendering (layout → SVG → PNG) against headless Chromium rasterising the
//!   same SVG to PNG (`--screenshot`, a fresh browser per image, as a render farm without a warm
//!   pool does). Skipped, and said so, when Chromium is not installed.
//!
//! - Query tasks: the asynchronous API's round trip over loopback HTTP, cached and not, against
//!   raw DuckDB for the same SQL, and cached tasks per second (`bench_tasks.rs`).
//!
//! Medians over `--iterations` runs after one warm-up run; the machine is printed with them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use connect::{Connection, DuckDbConnection};
use engine::{Engine, QueryBody};
use format::ResultFormat;

/// (name, query) pairs over the demo model.
fn queries() -> Vec<(&'static str, QueryBody)> {
    let q = |explore: &str, fields: &[&str], filters: &[(&str, &str)], limit: &str| QueryBody {
        model: "thelook".into(),
        view: explore.into(),
        fields: Some(fields.iter().map(|s| s.to_string()).collect()),
        filters: Some(filters.iter().map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string()))).collect()),
        limit: Some(limit.into()),
        ..QueryBody::default()
    };
    vec![
        ("status counts, 2 joins", q("order_items", &["orders.status", "order_items.count", "order_items.total_sale_price"], &[], "500")),
        (
            "monthly sales, date filter",
            q(
                "order_items",
                &["order_items.created_month", "order_items.total_sale_price", "order_items.average_sale_price"],
                &[("order_items.created_date", "2020-01-01 to 2024-01-01")],
                "500",
            ),
        ),
        (
            "fan-out: distinct users per state",
            q("order_items", &["users.state", "users.count", "users.average_age", "order_items.count"], &[], "500"),
        ),
        (
            "5,000 detail rows",
            q("order_items", &["order_items.id", "order_items.created_time", "order_items.status", "order_items.sale_price"], &[], "5000"),
        ),
    ]
}

pub(crate) fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

pub(crate) fn time<T>(iterations: usize, mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<Duration> {
    f()?;
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        f()?;
        samples.push(start.elapsed());
    }
    Ok(median(samples))
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

pub(crate) fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| p.is_file()))
}

pub fn run(scale: u32, iterations: usize, project: &Path, data_dir: &Path) -> anyhow::Result<()> {
    let iterations = iterations.max(1);
    let database = crate::demo::database_path(data_dir, scale);
    if !database.exists() {
        crate::demo::generate(&database, scale)?;
    }
    let catalog = crate::project::load(project)?;
    let task_catalog = catalog.clone();
    let duck = Arc::new(DuckDbConnection::open(&database.to_string_lossy())?);
    println!(
        "Machine: {} cores; demo scale {scale}; median of {iterations} runs",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    let runtime = tokio::runtime::Runtime::new()?;
    let engine = runtime.block_on(async {
        let store = store::Store::in_memory().await?;
        let connections: std::collections::HashMap<String, Arc<dyn Connection>> =
            [("thelook".to_string(), duck.clone() as Arc<dyn Connection>)].into();
        anyhow::Ok(Engine::start(catalog, connections, store, engine::EngineConfig { workers: 1, ..Default::default() }).await?)
    })?;

    println!("\nQueries: Sightline (compile, run, convert, JSON) vs raw DuckDB (same SQL, rows stepped through)");
    println!("{:<36} {:>8} {:>12} {:>12} {:>7}", "query", "rows", "DuckDB", "Sightline", "ratio");
    for (name, query) in queries() {
        let compiled = engine.compile(&query, None)?;
        let rows = duck.count_rows(&compiled.sql)?;
        let raw = time(iterations, || Ok(duck.count_rows(&compiled.sql)?))?;
        let ours = time(iterations, || {
            runtime
                .block_on(engine.run(&query, ResultFormat::Json, None, engine::CacheUse { read: false, ..Default::default() }, None))
                .map_err(anyhow::Error::from)
        })?;
        println!("{name:<36} {rows:>8} {:>12} {:>12} {:>6.2}x", ms(raw), ms(ours), ours.as_secs_f64() / raw.as_secs_f64());
    }

    let (query_name, query) = &queries()[0];
    let dir = tempdir(data_dir)?;
    crate::bench_tasks::run(task_catalog, duck.clone(), query, iterations, &dir)?;
    let _ = std::fs::remove_dir_all(&dir);

    let compiled = engine.compile(query, None)?;
    let result = runtime.block_on(engine.execute(&compiled, None))?.table;
    let (width, height) = (800, 500);
    let chart: render::Chart = render::ChartKind::Column.into();
    let svg = render::chart_svg(&result, &chart, query_name, width, height);
    let native = time(iterations, || Ok(render::render_chart(&result, &chart, query_name, width, height, render::ImageFormat::Png)?))?;
    println!("\nCharts: {width}x{height} column chart of \"{query_name}\" to PNG");
    println!("  native (layout, SVG, resvg, PNG): {}", ms(native));
    match chromium() {
        None => println!("  headless Chromium: not installed, no baseline (apt-get install chromium)"),
        Some(browser) => {
            let dir = tempdir(data_dir)?;
            let page = dir.join("chart.svg");
            std::fs::write(&page, &svg)?;
            let shot = dir.join("chart.png");
            let browser_runs = iterations.min(5);
            let chrome = time(browser_runs, || {
                let _ = std::fs::remove_file(&shot);
                let output = [format!("--window-size={width},{height}"), format!("--screenshot={}", shot.display())];
                crate::bench_render::chromium_run(&browser, &dir, &output, &page)?;
                if !shot.exists() {
                    bail!("chromium did not write a screenshot");
                }
                Ok(())
            })?;
            println!("  headless Chromium, same SVG ({browser_runs} runs): {}", ms(chrome));
            println!("  ratio: native is {:.0}x faster", chrome.as_secs_f64() / native.as_secs_f64());
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    Ok(())
}

fn tempdir(base: &Path) -> anyhow::Result<PathBuf> {
    let dir = base.join(format!("bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir.canonicalize()?)
}
