//! `sightline bench-render`: drawing charts and dashboards natively, against headless Chromium
//! drawing the same pictures, in the same run.
//!
//! - An 800x600 column chart to PNG, and its parts (layout to SVG; the whole with PNG encoding).
//! - A twelve-tile dashboard (columns, bars, lines and tables of the demo data, 1200x1000) to PDF
//!   and to PNG.
//!
//! The rows are fetched once before timing: what is measured is the render phase, which never
//! runs a query. The baseline is Debian's Chromium started headless for each picture (a page per
//! chart, as browser-based renderers work) printing the same SVG to PNG (`--screenshot`) or to
//! PDF (`--print-to-pdf`); it draws our SVG rather than running a charting library, so it is the
//! browser's floor. Skipped, and said so, when Chromium is not installed (`scripts/bench.sh`
//! installs it).

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use connect::{Connection, DuckDbConnection};
use engine::{Engine, QueryBody};
use render::{ChartKind, DashboardStyle, GridPlacement, ImageFormat, Tile, TileContent};

use crate::bench::{chromium, ms, time};

/// (title, chart, fields, sorts) of the dashboard's tiles, in turn.
const CHARTS: [(&str, ChartKind, &[&str], &[&str]); 4] = [
    ("Items by status", ChartKind::Column, &["orders.status", "order_items.count"], &["orders.status"]),
    ("Revenue by status", ChartKind::Bar, &["orders.status", "order_items.total_sale_price"], &["orders.status"]),
    ("Items by month", ChartKind::Line, &["order_items.created_month", "order_items.count"], &["order_items.created_month desc"]),
    ("Buyers by state", ChartKind::Table, &["users.state", "users.count"], &["users.count desc"]),
];

fn query(fields: &[&str], sorts: &[&str]) -> QueryBody {
    QueryBody {
        model: "thelook".into(),
        view: "order_items".into(),
        fields: Some(fields.iter().map(|s| s.to_string()).collect()),
        sorts: Some(sorts.iter().map(|s| s.to_string()).collect()),
        limit: Some("12".into()),
        ..QueryBody::default()
    }
}

pub fn run(scale: u32, iterations: usize, project: &Path, data_dir: &Path) -> anyhow::Result<()> {
    let iterations = iterations.max(1);
    let database = crate::demo::database_path(data_dir, scale);
    if !database.exists() {
        crate::demo::generate(&database, scale)?;
    }
    let catalog = crate::project::load(project)?;
    let duck = Arc::new(DuckDbConnection::open(&database.to_string_lossy())?);
    let runtime = tokio::runtime::Runtime::new()?;
    let engine = runtime.block_on(async {
        let store = store::Store::in_memory().await?;
        let connections: std::collections::HashMap<String, Arc<dyn Connection>> =
            [("thelook".to_string(), duck as Arc<dyn Connection>)].into();
        anyhow::Ok(Engine::start(catalog, connections, store, engine::EngineConfig { workers: 1, ..Default::default() }).await?)
    })?;
    let mut results = Vec::new();
    for (_, _, fields, sorts) in CHARTS {
        let compiled = engine.compile(&query(fields, sorts), None)?;
        results.push(runtime.block_on(engine.execute(&compiled, None))?.table);
    }
    println!(
        "Machine: {} cores; demo scale {scale}; median of {iterations} runs (Chromium: {} runs)",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        iterations.min(5)
    );

    let (title, kind, ..) = CHARTS[0];
    let chart: render::Chart = kind.into();
    let (width, height) = (800, 600);
    let svg = render::chart_svg(&results[0], &chart, title, width, height);
    let layout = time(iterations, || Ok(render::chart_svg(&results[0], &chart, title, width, height)))?;
    let png = time(iterations, || Ok(render::render_chart(&results[0], &chart, title, width, height, ImageFormat::Png)?))?;
    let jpg = time(iterations, || Ok(render::render_chart(&results[0], &chart, title, width, height, ImageFormat::Jpg)?))?;
    println!("\nChart: {width}x{height} column chart of \"{title}\"");
    println!("  layout to SVG: {}; to PNG: {}; to JPG: {}", ms(layout), ms(png), ms(jpg));

    let tiles: Vec<Tile> = (0..12u32)
        .map(|i| {
            let (title, kind, ..) = CHARTS[i as usize % CHARTS.len()];
            Tile {
                placement: GridPlacement { row: (i / 3) * 6, column: (i % 3) * 8, width: 8, height: 6 },
                content: TileContent::Chart {
                    result: results[i as usize % CHARTS.len()].clone(),
                    chart: kind.into(),
                    title: format!("{title} {}", i + 1),
                },
            }
        })
        .collect();
    let (dw, dh) = (1200, 1000);
    let dashboard = render::dashboard_svg("Store operations", &tiles, DashboardStyle::Tiled, dw, dh);
    let pdf = time(iterations, || {
        Ok(render::render_dashboard("Store operations", &tiles, DashboardStyle::Tiled, dw, dh, ImageFormat::Pdf, false)?)
    })?;
    let dashboard_png = time(iterations, || {
        Ok(render::render_dashboard("Store operations", &tiles, DashboardStyle::Tiled, dw, dh, ImageFormat::Png, false)?)
    })?;
    println!("\nDashboard: 12 tiles, {dw}x{dh}");
    println!("  to PDF: {}; to PNG: {}", ms(pdf), ms(dashboard_png));

    let Some(browser) = chromium() else {
        println!("\nheadless Chromium: not installed, no baseline (scripts/bench.sh installs it)");
        return Ok(());
    };
    let dir = data_dir.join(format!("bench-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let dir = dir.canonicalize()?;
    let runs = iterations.min(5);
    let chart_page = dir.join("chart.svg");
    std::fs::write(&chart_page, &svg)?;
    let shot = dir.join("chart.png");
    let chrome_png = time(runs, || {
        let _ = std::fs::remove_file(&shot);
        chromium_run(
            &browser,
            &dir,
            &[format!("--window-size={width},{height}"), format!("--screenshot={}", shot.display())],
            &chart_page,
        )?;
        if !shot.exists() {
            bail!("chromium wrote no screenshot");
        }
        Ok(())
    })?;
    let dashboard_page = dir.join("dashboard.html");
    std::fs::write(
        &dashboard_page,
        format!("<!doctype html><style>@page {{ size: {dw}px {dh}px; margin: 0 }} body {{ margin: 0 }}</style>{dashboard}"),
    )?;
    let printed = dir.join("dashboard.pdf");
    let chrome_pdf = time(runs, || {
        let _ = std::fs::remove_file(&printed);
        chromium_run(&browser, &dir, &["--no-pdf-header-footer".into(), format!("--print-to-pdf={}", printed.display())], &dashboard_page)?;
        if !printed.exists() {
            bail!("chromium wrote no PDF");
        }
        Ok(())
    })?;
    println!("\nHeadless Chromium, a browser per picture, the same SVG:");
    println!("  chart to PNG: {} ({:.0}x native)", ms(chrome_png), chrome_png.as_secs_f64() / png.as_secs_f64());
    println!("  dashboard to PDF: {} ({:.0}x native)", ms(chrome_pdf), chrome_pdf.as_secs_f64() / pdf.as_secs_f64());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Headless Chromium, started afresh with its profile in `dir`, drawing `page` to `output`
/// (`--screenshot=…` or `--print-to-pdf=…`, with what they need).
pub(crate) fn chromium_run(browser: &Path, dir: &Path, output: &[String], page: &Path) -> anyhow::Result<()> {
    let status = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .args(output)
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .context("start chromium")?;
    if !status.success() {
        bail!("chromium failed: {status}");
    }
    Ok(())
}
