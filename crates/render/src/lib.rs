//! Result set → chart as SVG → PNG, JPG or PDF, natively (no browser); dashboards as charts and
//! text tiles composed on Looker's grid (`dashboard.rs`).
//!
//! The chart kind comes from the query's `vis_config.type`. Text uses the embedded DejaVu Sans,
//! so output is the same on every machine. No HTTP, no database here.

mod chart;
mod dashboard;
mod options;
mod raster;
mod round;
mod svg;
mod text_raster;

pub use chart::{chart_kind, chart_scene, chart_svg, ChartKind, DRAWN_VIS_TYPES};
pub use dashboard::{
    dashboard_svg, render_dashboard, render_dashboard_pages, DashboardStyle, GridPlacement, Paper, Tile, TileContent, GRID_COLUMNS,
    PAPER_SIZES,
};
pub use options::{Chart, ChartOptions, Comparison, ComparisonKind, SingleValueOptions, Stacking};
pub use raster::{pages_to_pdf, rasterize, rasterize_scene, ImageFormat};
pub use svg::Scene;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum RenderError {
    #[error("image size {width}x{height} is out of range: width and height must be between {min} and {max} pixels")]
    Size { width: u32, height: u32, min: u32, max: u32 },
    #[error("cannot draw the chart: {0}")]
    Svg(String),
    #[error("cannot encode the image: {0}")]
    Encode(String),
}

pub const MIN_SIDE: u32 = 10;
pub const MAX_SIDE: u32 = 8000;

/// Draws `result` as `chart` titled `title` and encodes it.
pub fn render_chart(
    result: &result::ResultSet,
    chart: &Chart,
    title: &str,
    width: u32,
    height: u32,
    format: ImageFormat,
) -> Result<Vec<u8>, RenderError> {
    check_size(width, height)?;
    rasterize_scene(chart_scene(result, chart, title, width, height), width, height, format)
}

pub fn check_size(width: u32, height: u32) -> Result<(), RenderError> {
    let ok = |s: u32| (MIN_SIDE..=MAX_SIDE).contains(&s);
    if ok(width) && ok(height) {
        Ok(())
    } else {
        Err(RenderError::Size { width, height, min: MIN_SIDE, max: MAX_SIDE })
    }
}
