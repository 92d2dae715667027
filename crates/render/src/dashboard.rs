//! The dashboard composer: tiles (charts drawn by `chart.rs`, text, or a tile's error) laid on
//! Looker's 24-column grid, or in one column, under the dashboard's title, on one canvas of the
//! requested size. The grid's cells are square at the canvas's width; when the tiles would run
//! past the bottom, rows are made shorter so that every tile fits.

use result::ResultSet;

use crate::chart::{chart_drawing, table_header_rows, table_height, table_row_lines, ChartKind};
use crate::options::Chart;
use crate::svg::{Svg, TextStyle};
use crate::{raster, ImageFormat, RenderError};

/// Columns of the grid.
pub const GRID_COLUMNS: u32 = 24;
const MARGIN: f64 = 8.0;
/// Space between neighbouring tiles.
const GAP: f64 = 8.0;
/// Below this size (pixels) a tile's content is not drawn, only its frame.
const SMALLEST_CONTENT: f64 = 40.0;
const INK: &str = "#262d33";
const MUTED: &str = "#7a7a7a";
const FRAME: &str = "#dedede";
const ERROR: &str = "#b42f37";

/// Where a tile sits, in grid units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridPlacement {
    pub row: u32,
    pub column: u32,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone)]
pub enum TileContent {
    Chart {
        result: ResultSet,
        chart: Chart,
        title: String,
    },
    /// A text tile: title, subtitle and a markdown body (drawn as plain text).
    Text {
        title: String,
        subtitle: String,
        body: String,
    },
    /// A tile whose query failed or whose source is gone: its error, drawn in place.
    Failed {
        title: String,
        message: String,
    },
}

#[derive(Debug, Clone)]
pub struct Tile {
    pub placement: GridPlacement,
    pub content: TileContent,
}

/// Looker's `dashboard_style`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DashboardStyle {
    Tiled,
    SingleColumn,
}

impl DashboardStyle {
    pub fn parse(name: &str) -> Option<DashboardStyle> {
        match name {
            "tiled" => Some(DashboardStyle::Tiled),
            "single_column" => Some(DashboardStyle::SingleColumn),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DashboardStyle::Tiled => "tiled",
            DashboardStyle::SingleColumn => "single_column",
        }
    }
}

/// Draws a dashboard and encodes it.
/// The dashboard on one canvas `width` wide and `height` high; with `long_tables`, table tiles
/// grow to show every row and the canvas grows with them (up to the largest side drawn).
pub fn render_dashboard(
    title: &str,
    tiles: &[Tile],
    style: DashboardStyle,
    width: u32,
    height: u32,
    format: ImageFormat,
    long_tables: bool,
) -> Result<Vec<u8>, RenderError> {
    crate::check_size(width, height)?;
    let (svg, height) = dashboard_drawing(title, tiles, style, width, height, long_tables);
    raster::rasterize_scene(svg.finish_scene(), width, height, format)
}

/// A PDF page size, in points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paper {
    pub width: f32,
    pub height: f32,
}

/// Looker's `pdf_paper_size` names.
pub const PAPER_SIZES: [&str; 9] = ["letter", "legal", "tabloid", "a0", "a1", "a2", "a3", "a4", "a5"];

impl Paper {
    /// The page of `pdf_paper_size` `name`, turned on its side when `landscape`.
    pub fn named(name: &str, landscape: bool) -> Option<Paper> {
        let (width, height) = match name {
            "letter" => (612.0, 792.0),
            "legal" => (612.0, 1008.0),
            "tabloid" => (792.0, 1224.0),
            "a0" => (2384.0, 3370.0),
            "a1" => (1684.0, 2384.0),
            "a2" => (1191.0, 1684.0),
            "a3" => (842.0, 1191.0),
            "a4" => (595.0, 842.0),
            "a5" => (420.0, 595.0),
            _ => return None,
        };
        Some(if landscape { Paper { width: height, height: width } } else { Paper { width, height } })
    }
}

/// A dashboard as a PDF of `paper` pages: laid out at `width` pixels with rows of their natural
/// height, scaled to the page's width, and cut into pages between rows of tiles (a tile taller
/// than a page has a page of its own, cut at its bottom). With `long_tables`, table tiles grow
/// to show every row and run on over as many pages as they need, cut between their rows.
pub fn render_dashboard_pages(
    title: &str,
    tiles: &[Tile],
    style: DashboardStyle,
    width: u32,
    paper: Paper,
    long_tables: bool,
) -> Result<Vec<u8>, RenderError> {
    crate::check_size(width, crate::MIN_SIDE)?;
    let w = f64::from(width);
    let page_height = (w * f64::from(paper.height) / f64::from(paper.width)).floor();
    let title_size = (w * 0.02).clamp(12.0, 24.0);
    let top = title_size + 18.0;
    let mut frames = frames(tiles, style, w, 0.0, top, false);
    let pages = match long_tables && expand_long_tables(tiles, &mut frames) {
        true => paginate_at_cuts(&frames, &cut_points(tiles, &frames), page_height),
        false => paginate(&frames, top, page_height),
    };
    let svgs: Vec<String> = pages
        .iter()
        .enumerate()
        .map(|(number, page)| {
            let mut svg = Svg::new(width, page_height as u32);
            if number == 0 {
                svg.text(MARGIN, title_size + 6.0, TextStyle::new(title_size, "start", INK), title);
            }
            for &i in &page.tiles {
                let f = frames[i];
                draw_tile(&mut svg, &tiles[i], Frame { y: f.y - page.start, ..f });
            }
            // What the next page shows again (a table running on) is covered here.
            if let Some(end) = page.end.filter(|end| end - page.start < page_height) {
                svg.rect(0.0, end - page.start, w, page_height - (end - page.start), "#ffffff");
            }
            svg.finish()
        })
        .collect();
    raster::pages_to_pdf(&svgs, paper.width, paper.height)
}

/// A page: the canvas offset it starts at, where it ends when the next page starts before its
/// bottom (`None`: it runs to its bottom), and the tiles on it.
#[derive(Debug, Clone, PartialEq)]
struct Page {
    start: f64,
    end: Option<f64>,
    tiles: Vec<usize>,
}

/// Tiles grouped into pages of `height` pixels, top to bottom. Tiles that start together stay
/// together; a group that would cross the page's bottom starts the next page (a margin below
/// its top).
fn paginate(frames: &[Frame], top: f64, height: f64) -> Vec<Page> {
    let mut order: Vec<usize> = (0..frames.len()).collect();
    order.sort_by(|a, b| frames[*a].y.total_cmp(&frames[*b].y));
    let mut pages = vec![Page { start: 0.0, end: None, tiles: Vec::new() }];
    let mut i = 0;
    while i < order.len() {
        let y = frames[order[i]].y;
        let group: Vec<usize> = order[i..].iter().copied().take_while(|&t| frames[t].y == y).collect();
        let bottom = group.iter().map(|&t| frames[t].y + frames[t].h).fold(y, f64::max);
        let page = pages.last_mut().expect("one page at least");
        if bottom > page.start + height && !page.tiles.is_empty() {
            pages.push(Page { start: y - top.min(MARGIN * 2.0), end: None, tiles: Vec::new() });
        }
        pages.last_mut().expect("one page at least").tiles.extend(&group);
        i += group.len();
    }
    pages
}

/// A tile's rectangle on the canvas, in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Frame {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

/// Pages of `height` pixels, each ending at the lowest of `cuts` (tile tops, lines between a
/// table's rows) that it holds, or at its bottom when it holds none; each page draws the tiles
/// that reach into it.
fn paginate_at_cuts(frames: &[Frame], cuts: &[f64], height: f64) -> Vec<Page> {
    let bottom = frames.iter().map(|f| f.y + f.h).fold(0.0, f64::max);
    let mut pages = Vec::new();
    let mut start = 0.0;
    loop {
        let limit = start + height;
        let end = match bottom <= limit {
            true => None,
            false => {
                let lowest = cuts.iter().copied().filter(|c| *c > start + 1.0 && *c <= limit).fold(f64::NEG_INFINITY, f64::max);
                Some(if lowest.is_finite() { lowest } else { limit })
            }
        };
        let stop = end.unwrap_or(limit);
        let tiles = (0..frames.len()).filter(|&i| frames[i].y < stop && frames[i].y + frames[i].h > start).collect();
        pages.push(Page { start, end, tiles });
        match end {
            Some(next) => start = next,
            None => return pages,
        }
    }
}

/// Where a page may end: at the top of a tile, and between the rows of a table.
fn cut_points(tiles: &[Tile], frames: &[Frame]) -> Vec<f64> {
    let mut cuts = Vec::new();
    for (tile, f) in tiles.iter().zip(frames) {
        cuts.push(f.y);
        if let TileContent::Chart { result, chart, .. } = &tile.content {
            if chart.kind == ChartKind::Table {
                // The chart's canvas inside the tile, as `draw_tile` places it.
                let (y0, h) = (f.y + GAP / 2.0 + 1.0, (f.h - GAP - 2.0).floor());
                cuts.extend(table_row_lines(h, result.row_count(), table_header_rows(result)).into_iter().map(|line| y0 + line));
            }
        }
    }
    cuts
}

/// Table tiles grown to show all their rows (`long_tables`), and each tile below a grown one
/// moved down as far as the tiles that end above it grew; whether any grew.
fn expand_long_tables(tiles: &[Tile], frames: &mut [Frame]) -> bool {
    let growth: Vec<f64> = tiles
        .iter()
        .zip(frames.iter())
        .map(|(tile, f)| match &tile.content {
            TileContent::Chart { result, chart, .. } if chart.kind == ChartKind::Table => {
                (table_height(result.row_count(), table_header_rows(result)) - (f.h - GAP - 2.0)).max(0.0).ceil()
            }
            _ => 0.0,
        })
        .collect();
    if growth.iter().all(|g| *g == 0.0) {
        return false;
    }
    let original = frames.to_vec();
    let mut order: Vec<usize> = (0..frames.len()).collect();
    order.sort_by(|a, b| original[*a].y.total_cmp(&original[*b].y));
    let mut shift = vec![0.0; frames.len()];
    for &t in &order {
        shift[t] = order
            .iter()
            .filter(|&&u| original[u].y + original[u].h <= original[t].y + 0.5)
            .map(|&u| shift[u] + growth[u])
            .fold(0.0, f64::max);
    }
    for (i, frame) in frames.iter_mut().enumerate() {
        frame.y += shift[i];
        frame.h += growth[i];
    }
    true
}

pub fn dashboard_svg(title: &str, tiles: &[Tile], style: DashboardStyle, width: u32, height: u32) -> String {
    dashboard_drawing(title, tiles, style, width, height, false).0.finish()
}

/// The dashboard drawn on a canvas `width` wide and `height` high, or higher with `long_tables`
/// when a table grew (at most [`crate::MAX_SIDE`]); with the canvas's height.
fn dashboard_drawing(title: &str, tiles: &[Tile], style: DashboardStyle, width: u32, height: u32, long_tables: bool) -> (Svg, u32) {
    let (w, h) = (f64::from(width), f64::from(height));
    let title_size = (w * 0.02).clamp(12.0, 24.0);
    let top = title_size + 18.0;
    let mut frames = frames(tiles, style, w, h, top, true);
    let mut height = height;
    if long_tables && expand_long_tables(tiles, &mut frames) {
        let bottom = frames.iter().map(|f| f.y + f.h).fold(0.0, f64::max) + MARGIN;
        height = height.max(bottom.ceil().min(f64::from(crate::MAX_SIDE)) as u32);
    }
    let mut svg = Svg::new(width, height);
    svg.text(MARGIN, title_size + 6.0, TextStyle::new(title_size, "start", INK), title);
    for (tile, frame) in tiles.iter().zip(frames) {
        draw_tile(&mut svg, tile, frame);
    }
    (svg, height)
}

/// Each tile's frame: on the grid (tiled) or one under another at full width (single column),
/// rows shortened when the whole would not fit between `top` and the bottom `h` (with `fit`;
/// without, rows keep their natural height, for pages).
fn frames(tiles: &[Tile], style: DashboardStyle, w: f64, h: f64, top: f64, fit: bool) -> Vec<Frame> {
    let unit = ((w - 2.0 * MARGIN) / f64::from(GRID_COLUMNS)).max(0.0);
    let available = if fit { (h - top - MARGIN).max(0.0) } else { f64::INFINITY };
    match style {
        DashboardStyle::Tiled => {
            let rows = tiles.iter().map(|t| t.placement.row.saturating_add(t.placement.height)).max().unwrap_or(0);
            let row_height = if rows == 0 { unit } else { unit.min(available / f64::from(rows)) };
            tiles
                .iter()
                .map(|t| {
                    let p = t.placement;
                    let column = p.column.min(GRID_COLUMNS - 1);
                    let span = p.width.clamp(1, GRID_COLUMNS - column);
                    Frame {
                        x: MARGIN + f64::from(column) * unit,
                        y: top + f64::from(p.row) * row_height,
                        w: f64::from(span) * unit,
                        h: f64::from(p.height.max(1)) * row_height,
                    }
                })
                .collect()
        }
        DashboardStyle::SingleColumn => {
            // In reading order; each tile as tall as on the grid at full width (a chart wider on
            // the page keeps its height), shortened together when they do not fit.
            let mut order: Vec<usize> = (0..tiles.len()).collect();
            order.sort_by_key(|&i| (tiles[i].placement.row, tiles[i].placement.column));
            let total: u64 = tiles.iter().map(|t| u64::from(t.placement.height.max(1))).sum();
            let row_height = if total == 0 { unit } else { unit.min(available / total as f64) };
            let mut frames = vec![Frame { x: 0.0, y: 0.0, w: 0.0, h: 0.0 }; tiles.len()];
            let mut y = top;
            for i in order {
                let tile_height = f64::from(tiles[i].placement.height.max(1)) * row_height;
                frames[i] = Frame { x: MARGIN, y, w: w - 2.0 * MARGIN, h: tile_height };
                y += tile_height;
            }
            frames
        }
    }
}

fn draw_tile(svg: &mut Svg, tile: &Tile, frame: Frame) {
    let inner = Frame { x: frame.x + GAP / 2.0, y: frame.y + GAP / 2.0, w: frame.w - GAP, h: frame.h - GAP };
    if inner.w <= 1.0 || inner.h <= 1.0 {
        return;
    }
    svg.outline(inner.x, inner.y, inner.w, inner.h, FRAME);
    if inner.w < SMALLEST_CONTENT || inner.h < SMALLEST_CONTENT {
        return;
    }
    match &tile.content {
        TileContent::Chart { result, chart, title } => {
            // Whole pixels: the chart is drawn on its own canvas, then placed.
            let (cw, ch) = ((inner.w - 2.0).floor() as u32, (inner.h - 2.0).floor() as u32);
            svg.place(inner.x + 1.0, inner.y + 1.0, chart_drawing(result, chart, title, cw, ch));
        }
        TileContent::Text { title, subtitle, body } => {
            let mut y = inner.y + 8.0;
            if !title.is_empty() {
                y += 18.0;
                svg.text(inner.x + inner.w / 2.0, y, TextStyle::new(18.0, "middle", INK), title);
            }
            if !subtitle.is_empty() {
                y += 16.0;
                svg.text(inner.x + inner.w / 2.0, y, TextStyle::new(13.0, "middle", MUTED), subtitle);
            }
            paragraph(svg, &plain_text(body), inner, y + 6.0, 13.0, INK);
        }
        TileContent::Failed { title, message } => {
            svg.text(inner.x + 8.0, inner.y + 22.0, TextStyle::new(14.0, "start", INK), title);
            paragraph(svg, message, inner, inner.y + 30.0, 12.0, ERROR);
        }
    }
}

/// `text` wrapped at word boundaries to the frame's width, from `y` down to the frame's bottom.
fn paragraph(svg: &mut Svg, text: &str, frame: Frame, y: f64, size: f64, fill: &'static str) {
    // DejaVu Sans averages a little over half its size per character.
    let per_line = (((frame.w - 16.0) / (size * 0.58)).floor() as usize).max(1);
    let line_height = size * 1.35;
    let mut y = y;
    for line in wrap(text, per_line) {
        y += line_height;
        if y > frame.y + frame.h - 4.0 {
            break;
        }
        svg.text(frame.x + 8.0, y, TextStyle::new(size, "start", fill), &line);
    }
}

/// Lines of at most `width` characters, broken between words (a longer word is cut); the text's
/// own line breaks kept. Stops once more lines than any frame holds have been made.
fn wrap(text: &str, width: usize) -> Vec<String> {
    const MOST_LINES: usize = 400;
    let mut lines = Vec::new();
    for source in text.lines() {
        let mut line = String::new();
        for word in source.split_whitespace() {
            let mut word: Vec<char> = word.chars().collect();
            while word.len() > width {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                lines.push(word.drain(..width).collect());
                if lines.len() >= MOST_LINES {
                    return lines;
                }
            }
            let word: String = word.into_iter().collect();
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
                if lines.len() >= MOST_LINES {
                    return lines;
                }
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
        if lines.len() >= MOST_LINES {
            break;
        }
    }
    lines
}

/// Markdown as the words it shows: headings' `#`, emphasis marks and code ticks dropped, a link
/// shown as its text.
fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.lines() {
        let line = line.trim_start().trim_start_matches('#').trim_start();
        let line = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")).map_or(line.to_string(), |l| format!("• {l}"));
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' | '_' | '`' => {}
                '[' => {
                    let text: String = chars.by_ref().take_while(|c| *c != ']').collect();
                    out.push_str(&text);
                    if chars.peek() == Some(&'(') {
                        chars.by_ref().take_while(|c| *c != ')').for_each(drop);
                    }
                }
                c => out.push(c),
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(row: u32, column: u32, width: u32, height: u32) -> Tile {
        let content = TileContent::Text { title: String::new(), subtitle: String::new(), body: String::new() };
        Tile { placement: GridPlacement { row, column, width, height }, content }
    }

    #[test]
    fn tiles_sit_on_the_grid_and_fit_the_canvas() {
        let tiles = [placed(0, 0, 8, 6), placed(0, 8, 16, 6), placed(6, 0, 24, 2)];
        let f = frames(&tiles, DashboardStyle::Tiled, 1216.0, 2000.0, 40.0, true);
        assert_eq!(f[0], Frame { x: 8.0, y: 40.0, w: 400.0, h: 300.0 }, "square cells of 1200/24 pixels");
        assert_eq!((f[1].x, f[1].w), (408.0, 800.0));
        assert_eq!((f[2].y, f[2].h), (340.0, 100.0));
        // Too little height: rows shorten so the bottom tile ends at the margin.
        let f = frames(&tiles, DashboardStyle::Tiled, 1216.0, 448.0, 40.0, true);
        assert!((f[2].y + f[2].h - 440.0).abs() < 1e-9, "{f:?}");
        // Out of the grid: clamped into it.
        let f = frames(&[placed(0, 30, 50, 0)], DashboardStyle::Tiled, 1216.0, 2000.0, 40.0, true);
        assert_eq!((f[0].x, f[0].w, f[0].h), (8.0 + 23.0 * 50.0, 50.0, 50.0));
    }

    #[test]
    fn a_single_column_stacks_tiles_in_reading_order() {
        let tiles = [placed(6, 0, 24, 2), placed(0, 8, 16, 6), placed(0, 0, 8, 6)];
        let f = frames(&tiles, DashboardStyle::SingleColumn, 1216.0, 2000.0, 40.0, true);
        assert_eq!((f[2].y, f[1].y, f[0].y), (40.0, 340.0, 640.0));
        assert!(f.iter().all(|f| f.w == 1200.0));
    }

    #[test]
    fn pages_break_between_rows_of_tiles() {
        // Three rows of 300 px (at 1216 px wide) on pages 700 px tall: two rows fit the first.
        let tiles = [placed(0, 0, 8, 6), placed(0, 8, 16, 4), placed(6, 0, 24, 6), placed(12, 0, 24, 6)];
        let f = frames(&tiles, DashboardStyle::Tiled, 1216.0, 0.0, 40.0, false);
        let pages = paginate(&f, 40.0, 700.0);
        assert_eq!(pages.iter().map(|p| p.tiles.clone()).collect::<Vec<_>>(), [vec![0, 1, 2], vec![3]]);
        assert_eq!(pages[1].start, 640.0 - 16.0, "the next page starts a margin above its first row");
        // A tile taller than a page gets a page of its own.
        let pages = paginate(&f, 40.0, 200.0);
        assert_eq!(pages.len(), 3);
        assert_eq!(paginate(&[], 40.0, 700.0).len(), 1, "an empty dashboard is one page");
        assert_eq!(Paper::named("a4", true), Some(Paper { width: 842.0, height: 595.0 }));
        assert_eq!(Paper::named("b5", false), None);
        assert!(PAPER_SIZES.iter().all(|p| Paper::named(p, false).is_some()));
    }

    fn table_tile(row: u32, rows: usize) -> Tile {
        let mut result = ResultSet::new(vec![result::ColumnInfo::plain("n", result::ValueType::Number)]);
        for r in 0..rows {
            result.push_row(vec![result::Value::Int(r as i64)]);
        }
        let content = TileContent::Chart { result, chart: ChartKind::Table.into(), title: "Rows".into() };
        Tile { placement: GridPlacement { row, column: 0, width: 12, height: 6 }, content }
    }

    #[test]
    fn long_tables_grow_push_what_is_below_and_run_over_pages_between_rows() {
        // A 100-row table beside a text tile, and a text tile under both.
        let tiles = [table_tile(0, 100), placed(0, 12, 12, 6), placed(6, 0, 24, 2)];
        let mut f = frames(&tiles, DashboardStyle::Tiled, 1216.0, 0.0, 40.0, false);
        let before = f.clone();
        assert!(expand_long_tables(&tiles, &mut f));
        let grown = f[0].h - before[0].h;
        assert!(f[0].h - GAP - 2.0 >= table_height(100, 1), "{:?}", f[0]);
        assert_eq!(f[1], before[1], "the tile beside it keeps its place");
        assert_eq!(f[2].y, before[2].y + grown, "the tile below moves down as far");
        // Pages end on a line between rows (or a tile's top), never inside a row.
        let cuts = cut_points(&tiles, &f);
        let pages = paginate_at_cuts(&f, &cuts, 700.0);
        let bottom = f[2].y + f[2].h;
        assert!(pages.len() >= 4, "{} pages for {bottom} px", pages.len());
        for page in &pages[..pages.len() - 1] {
            let end = page.end.expect("a page that is not the last ends at a cut");
            assert!(cuts.contains(&end) && end <= page.start + 700.0, "{page:?}");
        }
        assert!(pages.windows(2).all(|p| p[1].start == p[0].end.unwrap_or(f64::NAN)), "pages follow one another");
        assert!(pages.iter().all(|p| p.tiles.contains(&0) || p.start >= f[0].y + f[0].h), "the table is on every page it reaches");
        assert!(pages.last().is_some_and(|p| p.tiles.contains(&2) && p.end.is_none()));
        // Without long tables nothing moves; a short table does not grow either.
        let mut short = frames(&[table_tile(0, 3)], DashboardStyle::Tiled, 1216.0, 0.0, 40.0, false);
        assert!(!expand_long_tables(&[table_tile(0, 3)], &mut short));
        // On one canvas, the canvas grows to hold the table, up to the largest side.
        let (_, height) = dashboard_drawing("Rows", &tiles, DashboardStyle::Tiled, 1216, 600, true);
        assert!(f64::from(height) >= table_height(100, 1), "{height}");
        assert_eq!(dashboard_drawing("Rows", &tiles, DashboardStyle::Tiled, 1216, 600, false).1, 600);
        let (_, capped) = dashboard_drawing("Rows", &[table_tile(0, 5000)], DashboardStyle::Tiled, 1216, 600, true);
        assert_eq!(capped, crate::MAX_SIDE);
        let pdf =
            render_dashboard_pages("Rows", &tiles, DashboardStyle::Tiled, 1216, Paper::named("a4", false).unwrap(), true).expect("pdf");
        // At 1216 px wide an A4 page is 1720 px tall: the table's 2.3k px need two.
        let text = String::from_utf8_lossy(&pdf);
        let wanted = format!("/Count {}", paginate_at_cuts(&f, &cuts, (1216.0 * 842.0 / 595.0_f64).floor()).len());
        assert!(text.contains(&wanted) && wanted != "/Count 1", "{wanted}");
    }

    #[test]
    fn text_wraps_between_words_and_markdown_shows_its_words() {
        assert_eq!(wrap("one two three four", 9), ["one two", "three", "four"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\n\nb", 10), ["a", "", "b"]);
        assert_eq!(wrap(&"word ".repeat(100_000), 10).len(), 400, "bounded");
        assert_eq!(plain_text("# Sales **up** see [the docs](http://x)\n- one"), "Sales up see the docs\n• one\n");
    }

    #[test]
    fn a_dashboard_draws_every_kind_of_tile() {
        let mut result = ResultSet::new(vec![result::ColumnInfo::plain("n", result::ValueType::Number)]);
        result.push_row(vec![result::Value::Int(3)]);
        let tiles = vec![
            Tile {
                placement: GridPlacement { row: 0, column: 0, width: 12, height: 6 },
                content: TileContent::Chart { result, chart: ChartKind::Column.into(), title: "Chart <one>".into() },
            },
            Tile {
                placement: GridPlacement { row: 0, column: 12, width: 12, height: 6 },
                content: TileContent::Failed { title: "Broken".into(), message: "table \u{0} orders does not exist".into() },
            },
            Tile {
                placement: GridPlacement { row: 6, column: 0, width: 24, height: 4 },
                content: TileContent::Text { title: "Notes".into(), subtitle: "weekly".into(), body: "**Read** me".into() },
            },
        ];
        let svg = dashboard_svg("Sales & more", &tiles, DashboardStyle::Tiled, 800, 600);
        for text in ["Sales &amp; more", "Chart &lt;one&gt;", "Broken", "table   orders does not exist", "Read me", "weekly"] {
            assert!(svg.contains(text), "{text} missing");
        }
        let png = render_dashboard("Sales", &tiles, DashboardStyle::SingleColumn, 640, 480, ImageFormat::Png, false).expect("png");
        assert_eq!(&png[..4], b"\x89PNG");
        // 16 rows of 49 px under the title: 831 px, over two landscape tabloid pages 776 px tall.
        let paper = Paper::named("tabloid", true).expect("tabloid");
        let pdf = render_dashboard_pages("Sales", &tiles, DashboardStyle::SingleColumn, 1200, paper, false).expect("pdf");
        let text = String::from_utf8_lossy(&pdf);
        assert!(pdf.starts_with(b"%PDF") && text.contains("/Count 2"), "two pages");
        assert!(text.contains("/MediaBox [0 0 1224 792]"));
    }
}
