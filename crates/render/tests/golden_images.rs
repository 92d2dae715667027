//! Golden images: every chart kind, and a dashboard of several kinds, drawn from fixed data and
//! compared pixel by pixel with the PNG kept in `tests/golden/`, with a small tolerance (a pixel
//! differs when a channel moves by more than 24 of 255; at most 0.5% of pixels may differ). The
//! font is embedded, so the pictures are the same on every machine.
//!
//! A missing golden image is written (and the test fails in CI, where none may be missing);
//! `SIGHTLINE_UPDATE_GOLDEN=1` rewrites them all after an intended change. Look at them.

use std::path::{Path, PathBuf};

use render::{ChartKind, DashboardStyle, GridPlacement, ImageFormat, Tile, TileContent};
use result::{ColumnInfo, ResultSet, Value, ValueType};
use sightline_render as render;

const CHANNEL_TOLERANCE: u8 = 24;
const MOST_DIFFERENT: f64 = 0.005;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Monthly orders by status: a time axis, two measures, a value format on the first.
fn sample() -> ResultSet {
    let mut revenue = ColumnInfo::plain("Revenue", ValueType::Number).measure();
    revenue.value_format = Some("$#,##0".into());
    let mut r = ResultSet::new(vec![
        ColumnInfo::plain("Month", ValueType::String),
        revenue,
        ColumnInfo::plain("Orders", ValueType::Number).measure(),
    ]);
    for (i, (revenue, orders)) in
        [(12_400.0, 310), (15_150.5, 362), (9_870.25, 255), (18_020.0, 401), (16_500.0, 377), (21_300.75, 455)].into_iter().enumerate()
    {
        r.push_row(vec![Value::Text(format!("2024-{:02}", i + 1)), Value::Float(revenue), Value::Int(orders)]);
    }
    r
}

fn decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("a frame");
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

/// Compares `png` with the golden image `name`, writing it when missing (outside CI) or asked.
fn check(name: &str, png: &[u8]) {
    let path = golden_dir().join(format!("{name}.png"));
    let update = std::env::var_os("SIGHTLINE_UPDATE_GOLDEN").is_some();
    if update || !path.exists() {
        assert!(update || std::env::var_os("CI").is_none(), "golden image {} is missing in CI", path.display());
        std::fs::create_dir_all(golden_dir()).expect("golden folder");
        std::fs::write(&path, png).expect("write golden image");
        eprintln!("wrote golden image {}: look at it", path.display());
        return;
    }
    let golden = std::fs::read(&path).expect("read golden image");
    let (gw, gh, want) = decode(&golden);
    let (w, h, got) = decode(png);
    assert_eq!((w, h), (gw, gh), "{name}: size");
    let pixels = (w * h) as usize;
    let different = want
        .chunks_exact(4)
        .zip(got.chunks_exact(4))
        .filter(|(a, b)| a.iter().zip(b.iter()).any(|(x, y)| x.abs_diff(*y) > CHANNEL_TOLERANCE))
        .count();
    let share = different as f64 / pixels as f64;
    if share > MOST_DIFFERENT {
        let seen = std::env::temp_dir().join(format!("sightline-golden-{name}.png"));
        let _ = std::fs::write(&seen, png);
        panic!("{name}: {:.2}% of pixels differ from {} (this drawing: {})", share * 100.0, path.display(), seen.display());
    }
}

#[test]
fn every_chart_kind_matches_its_golden_image() {
    let kinds = [
        ("column", ChartKind::Column),
        ("bar", ChartKind::Bar),
        ("line", ChartKind::Line),
        ("area", ChartKind::Area),
        ("scatter", ChartKind::Scatter),
        ("pie", ChartKind::Pie),
        ("single_value", ChartKind::SingleValue),
        ("donut_multiples", ChartKind::DonutMultiples),
        ("single_record", ChartKind::SingleRecord),
        ("table", ChartKind::Table),
    ];
    for (name, kind) in kinds {
        let png = render::render_chart(&sample(), &kind.into(), "Revenue by month", 480, 320, ImageFormat::Png).expect("drawn");
        check(name, &png);
    }
}

#[test]
fn vis_config_options_match_their_golden_images() {
    let options = |vis: serde_json::Value| render::ChartOptions::from_vis_config(vis.as_object().expect("object")).expect("options");
    let cases = [
        ("column_stacked_labels", ChartKind::Column, serde_json::json!({"stacking": "normal", "show_value_labels": true})),
        ("bar_percent", ChartKind::Bar, serde_json::json!({"stacking": "percent", "series_colors": {"Orders": "#72d16d"}})),
        ("area_stacked", ChartKind::Area, serde_json::json!({"stacking": "normal", "colors": ["#6a013a", "#3fb0d5"]})),
    ];
    for (name, kind, vis) in cases {
        let chart = render::Chart { kind, options: options(vis) };
        let png = render::render_chart(&sample(), &chart, "Revenue by month", 480, 320, ImageFormat::Png).expect("drawn");
        check(name, &png);
    }
}

/// One row: this month's revenue and a second figure (a change, or a goal).
fn single_row(second: &str, value: f64, other: f64, other_format: &str) -> ResultSet {
    let mut revenue = ColumnInfo::plain("orders.revenue", ValueType::Number).labelled("Revenue").measure();
    revenue.value_format = Some("$#,##0".into());
    let mut compared = ColumnInfo::plain("compared", ValueType::Number).labelled(second).measure();
    compared.value_format = Some(other_format.into());
    let mut r = ResultSet::new(vec![revenue, compared]);
    r.push_row(vec![Value::Float(value), Value::Float(other)]);
    r
}

#[test]
fn single_values_show_their_comparison() {
    let options = |vis: serde_json::Value| render::ChartOptions::from_vis_config(vis.as_object().expect("object")).expect("options");
    let chart = |vis| render::Chart { kind: ChartKind::SingleValue, options: options(vis) };
    let change = single_row("vs last month", 18_020.0, -0.125, "0.0%");
    let down = chart(serde_json::json!({"show_comparison": true, "comparison_type": "change", "single_value_title": "Revenue this month"}));
    let svg = render::chart_svg(&change, &down, "Revenue", 480, 320);
    assert!(svg.contains("Revenue this month") && svg.contains("-12.5% vs last month") && svg.contains("#d0463b"), "{svg}");
    let reversed = chart(serde_json::json!({"show_comparison": true, "comparison_type": "change", "comparison_reverse_colors": true}));
    assert!(render::chart_svg(&change, &reversed, "Revenue", 480, 320).contains("#2e9e5b"), "a fall is good news when reversed");
    check("single_value_change", &render::render_chart(&change, &down, "Revenue", 480, 320, ImageFormat::Png).expect("drawn"));

    let goal = single_row("Goal", 750.0, 1_000.0, "$#,##0");
    let progress =
        chart(serde_json::json!({"show_comparison": true, "comparison_type": "progress_percentage", "show_single_value_title": false}));
    let svg = render::chart_svg(&goal, &progress, "This month", 480, 320);
    assert!(svg.contains("75% of $1,000 Goal") && !svg.contains(">Revenue</text>"), "the title is hidden: {svg}");
    check("single_value_progress", &render::render_chart(&goal, &progress, "Revenue", 480, 320, ImageFormat::Png).expect("drawn"));

    let plain = chart(serde_json::json!({"show_comparison": true, "show_comparison_label": false}));
    assert!(render::chart_svg(&goal, &plain, "Revenue", 480, 320).contains(">$1,000</text>"));
    let refused = render::ChartOptions::from_vis_config(
        serde_json::json!({"show_comparison": true, "comparison_type": "sparkline"}).as_object().expect("object"),
    );
    assert!(refused.is_err_and(|e| e.contains("comparison_type `sparkline`")));
}

/// Orders by month pivoted by status, as the engine hands a pivoted query to the renderer: the
/// long rows pivoted, then flattened into a series per status.
fn pivoted_sample() -> ResultSet {
    let mut long = ResultSet::new(vec![
        ColumnInfo::plain("orders.created_month", ValueType::String).labelled("Month"),
        ColumnInfo::plain("orders.status", ValueType::String),
        ColumnInfo::plain("orders.count", ValueType::Number).labelled("Orders").measure(),
        ColumnInfo::plain("__pivot_rank", ValueType::Number),
        ColumnInfo::plain("__pivot_count", ValueType::Number),
    ]);
    let statuses = ["cancelled", "complete", "pending"];
    for month in 1..=4 {
        for (rank, status) in statuses.iter().enumerate() {
            let count = 40 + month * 13 + (rank as i64) * 21 - (month * rank as i64 * 7) % 17;
            long.push_row(vec![
                Value::Text(format!("2024-{month:02}")),
                Value::Text(status.to_string()),
                Value::Int(count),
                Value::Int(rank as i64 + 1),
                Value::Int(3),
            ]);
        }
    }
    result::pivot(&long, &[1], None, None).expect("pivoted").flattened()
}

#[test]
fn pivoted_charts_draw_a_series_per_pivot_value() {
    let flat = pivoted_sample();
    let svg = render::chart_svg(&flat, &ChartKind::Column.into(), "Orders by status", 480, 320);
    for status in ["cancelled", "complete", "pending"] {
        assert!(svg.contains(&format!(">{status}<")), "legend entry {status}: {svg}");
    }
    // `series_colors` keys a pivoted series as Looker does: `<pivot value> - <measure>`.
    let vis = serde_json::json!({"stacking": "normal", "series_colors": {"complete - orders.count": "#72d16d"}});
    let chart = render::Chart {
        kind: ChartKind::Column,
        options: render::ChartOptions::from_vis_config(vis.as_object().expect("object")).expect("options"),
    };
    assert!(render::chart_svg(&flat, &chart, "Orders by status", 480, 320).contains("#72d16d"));
    let png = render::render_chart(&flat, &chart, "Orders by status", 480, 320, ImageFormat::Png).expect("drawn");
    check("column_pivoted_stacked", &png);
    // Donut multiples of a pivoted query: a donut per month, a slice per status.
    let png =
        render::render_chart(&flat, &ChartKind::DonutMultiples.into(), "Orders by status", 480, 320, ImageFormat::Png).expect("drawn");
    check("donut_multiples_pivoted", &png);
    // A table: each status once over its column, the measure's label under it.
    let svg = render::chart_svg(&flat, &ChartKind::Table.into(), "Orders by status", 480, 320);
    assert_eq!(svg.matches(">Orders<").count(), 3, "the measure's label under each pivot value: {svg}");
    assert!(svg.contains(">complete<") && !svg.contains("complete - "), "{svg}");
    let png = render::render_chart(&flat, &ChartKind::Table.into(), "Orders by status", 480, 320, ImageFormat::Png).expect("drawn");
    check("table_pivoted", &png);
}

#[test]
fn a_scatter_of_a_numeric_dimension_places_points_by_their_number() {
    let mut r = ResultSet::new(vec![
        ColumnInfo::plain("users.age", ValueType::Number).labelled("Age"),
        ColumnInfo::plain("users.count", ValueType::Number).labelled("Users").measure(),
    ]);
    for (age, count) in [(18, 40), (19, 44), (25, 61), (26, 58), (40, 90), (41, 85), (70, 20)] {
        r.push_row(vec![Value::Int(age), Value::Int(count)]);
    }
    r.push_row(vec![Value::Null, Value::Int(5)]);
    let svg = render::chart_svg(&r, &ChartKind::Scatter.into(), "Users by age", 480, 320);
    // Ticks along the x axis by number; no category labels (`18`, `19` … side by side).
    assert!(svg.contains(">20<") && svg.contains(">60<") && !svg.contains(">19<"), "{svg}");
    let png = render::render_chart(&r, &ChartKind::Scatter.into(), "Users by age", 480, 320, ImageFormat::Png).expect("drawn");
    check("scatter_numeric", &png);
}

#[test]
fn a_dashboard_matches_its_golden_image() {
    let tile = |row, column, width, height, content| Tile { placement: GridPlacement { row, column, width, height }, content };
    let chart = |kind: ChartKind, title: &str| TileContent::Chart { result: sample(), chart: kind.into(), title: title.into() };
    let tiles = vec![
        tile(0, 0, 16, 6, chart(ChartKind::Column, "Revenue")),
        tile(0, 16, 8, 6, chart(ChartKind::SingleValue, "Best month")),
        tile(6, 0, 12, 6, chart(ChartKind::Pie, "Share")),
        tile(6, 12, 12, 6, TileContent::Failed { title: "Broken".into(), message: "table orders does not exist".into() }),
        tile(
            12,
            0,
            24,
            2,
            TileContent::Text { title: "Notes".into(), subtitle: "monthly".into(), body: "**All** figures in dollars.".into() },
        ),
    ];
    let png = render::render_dashboard("Sales", &tiles, DashboardStyle::Tiled, 960, 640, ImageFormat::Png, false).expect("drawn");
    check("dashboard", &png);
}
