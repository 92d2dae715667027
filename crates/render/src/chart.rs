//! Column, bar, line and table charts as SVG, laid out from a result set: the first dimension
//! gives the categories, each measure (or, lacking measures, each numeric column) one series. A
//! pivoted query arrives flattened (`PivotTable::flattened`): a measure column per pivot value.

use present::CellRenderer;
use result::{ColumnInfo, ResultSet, ValueType};

use crate::options::{Chart, Stacking};
use crate::svg::{Svg, TextStyle};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Column,
    Bar,
    Line,
    Area,
    Scatter,
    Pie,
    /// A donut per row, its slices the row's measures (or pivot values).
    DonutMultiples,
    SingleValue,
    /// The first row as a list of labelled values.
    SingleRecord,
    Table,
}

/// Looker's `vis_config.type` names of the charts drawn so far.
pub const DRAWN_VIS_TYPES: &[&str] = &[
    "looker_column",
    "looker_bar",
    "looker_line",
    "looker_area",
    "looker_scatter",
    "looker_pie",
    "looker_donut_multiples",
    "single_value",
    "looker_single_record",
    "looker_grid",
    "table",
];

/// The chart for Looker's `vis_config.type` (a column chart when there is none, as Looker's
/// default); `None` for a type not drawn yet, which is refused rather than drawn as another.
pub fn chart_kind(vis_type: Option<&str>) -> Option<ChartKind> {
    match vis_type {
        None | Some("looker_column") => Some(ChartKind::Column),
        Some("looker_bar") => Some(ChartKind::Bar),
        Some("looker_line") => Some(ChartKind::Line),
        Some("looker_area") => Some(ChartKind::Area),
        Some("looker_scatter") => Some(ChartKind::Scatter),
        Some("looker_pie") => Some(ChartKind::Pie),
        Some("looker_donut_multiples") => Some(ChartKind::DonutMultiples),
        Some("single_value") => Some(ChartKind::SingleValue),
        Some("looker_single_record") => Some(ChartKind::SingleRecord),
        Some("looker_grid" | "table") => Some(ChartKind::Table),
        Some(_) => None,
    }
}

pub(crate) const PALETTE: [&str; 8] = ["#4276be", "#f1b53c", "#3fb0d5", "#e57947", "#ffd95f", "#b42f37", "#6a013a", "#72d16d"];
pub(crate) const AXIS: &str = "#7a7a7a";
const GRID: &str = "#e6e6e6";
pub(crate) const INK: &str = "#262d33";

pub fn chart_svg(result: &ResultSet, chart: &Chart, title: &str, width: u32, height: u32) -> String {
    chart_drawing(result, chart, title, width, height).finish()
}

/// The chart as a scene: its SVG, and its shapes and text apart for pixels.
pub fn chart_scene(result: &ResultSet, chart: &Chart, title: &str, width: u32, height: u32) -> crate::svg::Scene {
    chart_drawing(result, chart, title, width, height).finish_scene()
}

/// The chart drawn on its own canvas, to be finished alone or placed in a dashboard.
pub(crate) fn chart_drawing(result: &ResultSet, chart: &Chart, title: &str, width: u32, height: u32) -> Svg {
    let kind = chart.kind;
    let mut svg = Svg::new(width, height);
    let (w, h) = (width as f64, height as f64);
    let title_size = table_sizes(h).0;
    // Cut to what fits by `svg::escape`, as every text drawn is.
    svg.text(w / 2.0, title_size + 8.0, TextStyle::new(title_size, "middle", INK), title);
    let top = title_size + 20.0;
    match kind {
        ChartKind::Table => table(&mut svg, result, top, w, h),
        ChartKind::SingleValue => crate::round::single_value(&mut svg, result, &chart.options.single_value, top, w, h),
        ChartKind::SingleRecord => crate::round::single_record(&mut svg, result, top, w, h),
        _ => match Series::from(result) {
            Some(series) if kind == ChartKind::Pie => crate::round::pie(&mut svg, &series, &chart.options, top, w, h),
            Some(series) if kind == ChartKind::DonutMultiples => crate::round::donuts(&mut svg, &series, &chart.options, top, w, h),
            Some(series) => xy_chart(&mut svg, &series, chart, top, w, h),
            None => svg.text(w / 2.0, h / 2.0, TextStyle::new(14.0, "middle", AXIS), "No numeric results to chart"),
        },
    }
    svg
}

pub(crate) struct Series {
    pub(crate) categories: Vec<String>,
    /// Each category's number, when the dimension is numeric: a scatter places its points by it
    /// on a numeric x axis.
    numbers: Option<Vec<Option<f64>>>,
    category_label: String,
    /// The value axis's title: the first series' label, or for a pivoted query its measure's.
    value_label: String,
    /// (label, values) per series.
    pub(crate) values: Vec<(String, Vec<Option<f64>>)>,
    /// Each series' field name (`series_colors` is keyed by it).
    pub(crate) fields: Vec<String>,
    /// Each series' value format, for its value labels.
    formats: Vec<Option<CellRenderer>>,
    /// How the value axis's ticks are written: the first series' value format, if it has one.
    tick_format: Option<CellRenderer>,
}

/// Timeframes whose values lie on a time scale (drawn in time order, whatever the sort), as
/// opposed to cyclic ones such as `day_of_week` or `month_name`, which are categories.
const TIME_SCALE_TIMEFRAMES: [&str; 10] = ["raw", "time", "date", "week", "month", "quarter", "year", "hour", "minute", "second"];

/// Whether `column` is a time axis: a date or time value, or a time-scale timeframe.
fn is_time_axis(column: &ColumnInfo) -> bool {
    if matches!(column.value_type, ValueType::Date | ValueType::DateTime) {
        return true;
    }
    let Some(timeframe) = column.type_name.strip_prefix("date_") else { return false };
    let base = timeframe.trim_end_matches(|c: char| c.is_ascii_digit());
    TIME_SCALE_TIMEFRAMES.contains(&base)
}

impl Series {
    fn from(result: &ResultSet) -> Option<Series> {
        let rows = result.row_count();
        let dimension = result.columns.iter().position(|c| !c.is_measure);
        let mut numeric: Vec<usize> = (0..result.columns.len()).filter(|&i| result.columns[i].is_measure).collect();
        if numeric.is_empty() {
            numeric =
                (0..result.columns.len()).filter(|&i| Some(i) != dimension && result.columns[i].value_type == ValueType::Number).collect();
        }
        if numeric.is_empty() {
            return None;
        }
        // A time axis runs forward in time, as Looker draws it, whatever the query's sort (its
        // values print in an order that sorts as text); NULLs last. Other categories keep the
        // query's order.
        let mut order: Vec<usize> = (0..rows).collect();
        if let Some(d) = dimension.filter(|d| is_time_axis(&result.columns[*d])) {
            order.sort_by_cached_key(|r| {
                let text = result.value(d, *r).to_text();
                (text.is_none(), text)
            });
        }
        let categories =
            order.iter().map(|&r| dimension.and_then(|d| result.value(d, r).to_text()).unwrap_or_else(|| "∅".into())).collect();
        let numbers = dimension
            .filter(|d| result.columns[*d].value_type == ValueType::Number)
            .map(|d| order.iter().map(|&r| result.value(d, r).as_f64()).collect());
        let values = numeric
            .iter()
            .map(|&c| (result.columns[c].label.clone(), order.iter().map(|&r| result.value(c, r).as_f64()).collect()))
            .collect();
        let first = &result.columns[numeric[0]];
        let tick_format = first.value_format.as_ref().and_then(|_| CellRenderer::for_column(first).ok());
        Some(Series {
            categories,
            numbers,
            category_label: dimension.map(|d| result.columns[d].label.clone()).unwrap_or_default(),
            value_label: first.series_of.clone().unwrap_or_else(|| first.label.clone()),
            values,
            fields: numeric.iter().map(|&c| result.columns[c].name.clone()).collect(),
            formats: numeric
                .iter()
                .map(|&c| result.columns[c].value_format.as_ref().and_then(|_| CellRenderer::for_column(&result.columns[c]).ok()))
                .collect(),
            tick_format,
        })
    }

    /// A value label of series `si`: in its value format when it has one, else short (`1.5K`).
    fn value_text(&self, si: usize, value: f64) -> String {
        let format = self.formats.get(si).and_then(Option::as_ref);
        format.and_then(|f| f.render(&result::Value::Float(value))).unwrap_or_else(|| short_number(value))
    }

    /// A tick's text: in the first series' value format when it has one, else short (`1.5K`).
    fn tick(&self, value: f64) -> String {
        self.tick_format.as_ref().and_then(|f| f.render(&result::Value::Float(value))).unwrap_or_else(|| short_number(value))
    }
}

/// Round tick values covering `[lo, hi]`.
fn ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    let raw = (hi - lo) / count.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(raw);
    let start = (lo / step).floor() * step;
    let mut out = Vec::new();
    let mut v = start;
    // Up to the first tick at or past `hi`, so the largest value stays inside the axis.
    while out.len() < 50 {
        out.push(v);
        if v >= hi - step * 1e-9 {
            break;
        }
        v += step;
    }
    out
}

fn short_number(v: f64) -> String {
    let a = v.abs();
    let (n, suffix) = if a >= 1e9 {
        (v / 1e9, "B")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "K")
    } else {
        (v, "")
    };
    let text = if n.fract().abs() < 1e-9 { format!("{}", n as i64) } else { format!("{n:.1}") };
    format!("{text}{suffix}")
}

/// A cell as a table shows it: in its field's value format, or Looker's default (thousands
/// grouped, as many decimals as the value has, numeric timeframes plain); NULL as ∅.
pub(crate) fn display(renderer: Option<&CellRenderer>, value: &result::Value) -> String {
    renderer.and_then(|r| r.render(value)).or_else(|| value.to_text()).unwrap_or_else(|| "∅".into())
}

pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().nth(max).is_none() {
        text.to_string()
    } else {
        text.chars().take(max.saturating_sub(1)).collect::<String>() + "…"
    }
}

/// Each series' value per category as a span on the value axis, (base, top): from zero, or
/// stacked on the series before it (positives on positives, negatives on negatives), in
/// percent of the category's total with `percent`.
fn spans(s: &Series, stacked: bool, percent: bool) -> Vec<Vec<Option<(f64, f64)>>> {
    if !stacked {
        return s.values.iter().map(|(_, v)| v.iter().map(|v| v.map(|v| (0.0, v))).collect()).collect();
    }
    let n = s.categories.len();
    let totals: Vec<f64> = (0..n).map(|i| s.values.iter().filter_map(|(_, v)| v.get(i).copied().flatten()).map(f64::abs).sum()).collect();
    let (mut pos, mut neg) = (vec![0.0; n], vec![0.0; n]);
    s.values
        .iter()
        .map(|(_, values)| {
            values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let v = (*v)?;
                    let v = if percent && totals[i] > 0.0 { v / totals[i] * 100.0 } else { v };
                    let acc = if v >= 0.0 { &mut pos[i] } else { &mut neg[i] };
                    let span = (*acc, *acc + v);
                    *acc += v;
                    Some(span)
                })
                .collect()
        })
        .collect()
}

fn xy_chart(svg: &mut Svg, s: &Series, chart: &Chart, top: f64, w: f64, h: f64) {
    let (kind, options) = (chart.kind, &chart.options);
    let font = (h * 0.03).clamp(8.0, 12.0);
    let k = s.values.len();
    let legend = k > 1 && !options.hide_legend;
    let legend_h = if legend { font + 10.0 } else { 0.0 };
    let stacked = options.stacking != Stacking::Grouped && matches!(kind, ChartKind::Column | ChartKind::Bar | ChartKind::Area);
    let percent = stacked && options.stacking == Stacking::Percent;
    let spans = spans(s, stacked, percent);
    // The axis covers zero and every span's ends (shares of a category total when stacked to
    // 100%: negative values go below zero there too).
    let ends = spans.iter().flatten().flatten().flat_map(|(a, b)| [*a, *b]);
    let (lo, hi) = ends.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if lo == hi { (lo, lo + 1.0) } else { (lo, hi) };
    let ticks = ticks(lo, hi, 5);
    let (lo, hi) = (ticks.first().copied().unwrap_or(lo).min(lo), ticks.last().copied().unwrap_or(hi).max(hi));
    let tick_text = |t: f64| if percent { format!("{}%", short_number(t)) } else { s.tick(t) };
    let n = s.categories.len().max(1);
    let horizontal = kind == ChartKind::Bar;
    // Room for the labels beside the left axis (the value ticks, or a bar chart's categories)
    // and the axis title outside them, so neither runs into the other; a bar chart's last tick
    // is centred on the right edge and needs half its width there. Column and line charts need
    // room for rotated category labels below the axis.
    let char_width = font * 0.6;
    let widest = |labels: &mut dyn Iterator<Item = usize>| labels.max().unwrap_or(0) as f64 * char_width;
    let widest_tick = widest(&mut ticks.iter().map(|t| tick_text(*t).chars().count()));
    let (left, right, bottom) = if horizontal {
        let widest_category = widest(&mut s.categories.iter().map(|c| c.chars().count().min(24)));
        ((font + 20.0 + widest_category).min(w * 0.4), (widest_tick / 2.0 + 6.0).max(20.0), 45.0 + legend_h)
    } else {
        ((font + 20.0 + widest_tick).min(w * 0.4), 20.0, 80.0 + legend_h)
    };
    let (x0, x1, y0, y1) = (left, w - right, top, h - bottom);
    if x1 <= x0 + 10.0 || y1 <= y0 + 10.0 {
        return;
    }
    // Value → position along the value axis.
    let value_pos = |v: f64| if horizontal { x0 + (v - lo) / (hi - lo) * (x1 - x0) } else { y1 - (v - lo) / (hi - lo) * (y1 - y0) };
    // Along a horizontal value axis, wide tick labels are written on every other tick (or
    // fewer) rather than over each other.
    let spacing = (x1 - x0) / (ticks.len().max(2) - 1) as f64;
    let tick_every = if horizontal { ((widest_tick + 8.0) / spacing).ceil().max(1.0) as usize } else { 1 };
    for (i, t) in ticks.iter().enumerate() {
        let p = value_pos(*t);
        if horizontal {
            svg.line(p, y0, p, y1, GRID, 1.0);
            if i % tick_every == 0 {
                svg.text(p, y1 + font + 4.0, TextStyle::new(font, "middle", AXIS), &tick_text(*t));
            }
        } else {
            svg.line(x0, p, x1, p, GRID, 1.0);
            svg.text(x0 - 6.0, p + font / 3.0, TextStyle::new(font, "end", AXIS), &tick_text(*t));
        }
    }
    let band = if horizontal { (y1 - y0) / n as f64 } else { (x1 - x0) / n as f64 };
    // A scatter of a numeric dimension: points at their number on a numeric x axis (rows
    // without one are not drawn), as Looker draws it; other charts space their categories.
    let numeric_x = match (kind, &s.numbers) {
        (ChartKind::Scatter, Some(numbers)) => {
            let known = numbers.iter().flatten();
            let (x_lo, x_hi) = known.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
            let (x_lo, x_hi) = match (x_lo.is_finite(), x_lo == x_hi) {
                (false, _) => (0.0, 1.0),
                (true, true) => (x_lo - 1.0, x_hi + 1.0),
                (true, false) => (x_lo, x_hi),
            };
            let x_ticks = self::ticks(x_lo, x_hi, 6);
            let (x_lo, x_hi) = (x_ticks.first().copied().unwrap_or(x_lo).min(x_lo), x_ticks.last().copied().unwrap_or(x_hi).max(x_hi));
            Some((numbers, x_ticks, x_lo, x_hi))
        }
        _ => None,
    };
    let x_of = |x: f64| numeric_x.as_ref().map(|(_, _, lo, hi)| x0 + (x - lo) / (hi - lo) * (x1 - x0));
    if let Some((_, x_ticks, _, _)) = &numeric_x {
        let widest = x_ticks.iter().map(|t| short_number(*t).chars().count()).max().unwrap_or(1) as f64 * char_width;
        let every = ((widest + 8.0) / ((x1 - x0) / (x_ticks.len().max(2) - 1) as f64)).ceil().max(1.0) as usize;
        for (i, t) in x_ticks.iter().enumerate() {
            let p = x_of(*t).unwrap_or(x0);
            svg.line(p, y0, p, y1, GRID, 1.0);
            if i % every == 0 {
                svg.text(p, y1 + font + 4.0, TextStyle::new(font, "middle", AXIS), &short_number(*t));
            }
        }
    }
    let label_every = ((font * 1.2) / band).ceil().max(1.0) as usize;
    for (i, c) in s.categories.iter().enumerate() {
        if i % label_every != 0 || numeric_x.is_some() {
            continue;
        }
        let mid = (if horizontal { y0 } else { x0 }) + band * (i as f64 + 0.5);
        if horizontal {
            svg.text(x0 - 6.0, mid + font / 3.0, TextStyle::new(font, "end", INK), &truncate(c, 24));
        } else {
            svg.text(mid, y1 + 8.0, TextStyle::new(font, "end", INK).rotated(-45.0), &truncate(c, 16));
        }
    }
    let zero = value_pos(0.0f64.clamp(lo, hi));
    let value_font = (font * 0.9).max(7.0);
    // A value label of series `si`: the value (its share with `percent`) at (x, y), centred.
    let value_label = |svg: &mut Svg, si: usize, x: f64, y: f64, v: f64| {
        let text = if percent { format!("{v:.0}%") } else { s.value_text(si, v) };
        svg.text(x, y, TextStyle::new(value_font, "middle", INK), &text);
    };
    for (si, series) in spans.iter().enumerate() {
        let color = options.color_of(si, &s.fields[si]);
        let mut points = Vec::new();
        let mut bases = Vec::new();
        for (i, span) in series.iter().enumerate() {
            let Some((base, end)) = *span else { continue };
            let (pb, p) = (value_pos(base), value_pos(end));
            let start = (if horizontal { y0 } else { x0 }) + band * i as f64;
            match kind {
                ChartKind::Line | ChartKind::Area | ChartKind::Scatter => {
                    let mid = match &numeric_x {
                        Some((numbers, ..)) => match numbers[i].and_then(x_of) {
                            Some(x) => x,
                            None => continue,
                        },
                        None => start + band / 2.0,
                    };
                    points.push((mid, p));
                    bases.push((mid, pb));
                    if options.show_value_labels {
                        value_label(svg, si, mid, p - 6.0, end - base);
                    }
                }
                _ => {
                    let (inner, offset) = if stacked {
                        (band * 0.8, start + band * 0.1)
                    } else {
                        (band * 0.8 / k as f64, start + band * 0.1 + band * 0.8 / k as f64 * si as f64)
                    };
                    if horizontal {
                        svg.rect(pb.min(p), offset, (p - pb).abs(), inner, &color);
                    } else {
                        svg.rect(offset, pb.min(p), inner, (p - pb).abs(), &color);
                    }
                    if options.show_value_labels && end != base {
                        // Inside a stacked segment; past the end of a bar side by side.
                        let along = if stacked {
                            (p + pb) / 2.0
                        } else if horizontal {
                            p + value_font * 1.5
                        } else {
                            p - 4.0
                        };
                        let (x, y) =
                            if horizontal { (along, offset + inner / 2.0 + value_font / 3.0) } else { (offset + inner / 2.0, along) };
                        value_label(svg, si, x, y, end - base);
                    }
                }
            }
        }
        if kind == ChartKind::Area && points.len() > 1 {
            // The area under the line: down to zero, or to the series below when stacked.
            let mut outline = points.clone();
            if stacked {
                outline.extend(bases.iter().rev());
            } else {
                outline.push((points[points.len() - 1].0, zero));
                outline.push((points[0].0, zero));
            }
            svg.polygon(&outline, &color, 0.35);
        }
        if matches!(kind, ChartKind::Line | ChartKind::Area) {
            svg.polyline(&points, &color);
        }
        if kind == ChartKind::Scatter || (kind == ChartKind::Line && points.len() <= 60) {
            for (x, y) in &points {
                svg.circle(*x, *y, 3.0, &color);
            }
        }
    }
    // Axis titles: categories along the category axis, the first series along the value axis.
    let (category_title, value_title) = (truncate(&s.category_label, 60), truncate(&s.value_label, 40));
    if horizontal {
        svg.line(zero, y0, zero, y1, AXIS, 1.0);
        svg.text(font + 2.0, (y0 + y1) / 2.0, TextStyle::new(font, "middle", AXIS).rotated(-90.0), &category_title);
        svg.text((x0 + x1) / 2.0, h - legend_h - 6.0, TextStyle::new(font, "middle", AXIS), &value_title);
    } else {
        svg.line(x0, zero, x1, zero, AXIS, 1.0);
        svg.text(font + 2.0, (y0 + y1) / 2.0, TextStyle::new(font, "middle", AXIS).rotated(-90.0), &value_title);
        svg.text((x0 + x1) / 2.0, h - legend_h - 6.0, TextStyle::new(font, "middle", AXIS), &category_title);
    }
    if legend {
        let mut x = x0;
        let y = h - 8.0;
        for (si, (label, _)) in s.values.iter().enumerate() {
            svg.rect(x, y - font, font, font, &options.color_of(si, &s.fields[si]));
            let text = truncate(label, 30);
            svg.text(x + font + 4.0, y - 1.0, TextStyle::new(font, "start", INK), &text);
            x += font + 12.0 + text.chars().count() as f64 * font * 0.6;
        }
    }
}

/// A table chart's title size and type size at height `h`, as [`chart_drawing`] and [`table`]
/// choose them.
fn table_sizes(h: f64) -> (f64, f64) {
    ((h * 0.05).clamp(10.0, 22.0), (h * 0.028).clamp(8.0, 12.0))
}

/// A flattened pivot column's pivot value and measure label: `PivotTable::flattened` labels it
/// with the value alone (one measure) or `value - measure`, and names the measure's label in
/// `series_of`. `None` for a column that is not pivoted.
fn pivot_header(column: &ColumnInfo) -> Option<(&str, &str)> {
    let measure = column.series_of.as_deref()?;
    let value = column.label.strip_suffix(measure).and_then(|l| l.strip_suffix(" - ")).unwrap_or(&column.label);
    Some((value, measure))
}

/// How many header rows a table chart of `result` has: a pivoted result's pivot values sit
/// above its labels.
pub(crate) fn table_header_rows(result: &ResultSet) -> usize {
    match result.columns.iter().any(|c| c.series_of.is_some()) {
        true => 2,
        false => 1,
    }
}

/// The height a table chart needs to show all of `rows` rows under `header_rows` header rows
/// (title, header and rows at the largest type, which any such height reaches).
pub(crate) fn table_height(rows: usize, header_rows: usize) -> f64 {
    let (title, font) = table_sizes(f64::INFINITY);
    title + 20.0 + font * 1.9 * (rows + header_rows) as f64 + 10.0
}

/// Where a table chart `h` high has the lines between its rows, from its top: places a page
/// may end without cutting a row's text.
pub(crate) fn table_row_lines(h: f64, rows: usize, header_rows: usize) -> Vec<f64> {
    let (title, font) = table_sizes(h);
    let (top, row_h) = (title + 20.0, font * 1.9);
    (0..=rows).map(|r| top + row_h * (r + header_rows) as f64).take_while(|y| *y <= h).collect()
}

/// A table: the labels in a shaded header (a pivoted result's pivot values above them, each
/// once over the columns it spans), then as many rows as fit, each cell in its value format.
fn table(svg: &mut Svg, result: &ResultSet, top: f64, w: f64, h: f64) {
    let cols = result.columns.len().max(1);
    let font = table_sizes(h).1;
    let row_h = font * 1.9;
    let col_w = (w - 20.0) / cols as f64;
    let chars = ((col_w / (font * 0.6)) as usize).max(3);
    let header_rows = table_header_rows(result);
    svg.rect(10.0, top, w - 20.0, row_h * header_rows as f64, "#f3f4f5");
    let cell_x = |c: usize, right: bool| 10.0 + col_w * c as f64 + if right { col_w - 6.0 } else { 6.0 };
    if header_rows == 2 {
        // Each pivot value once, at the first of the columns it spans.
        let mut c = 0;
        while c < result.columns.len() {
            let Some((value, _)) = pivot_header(&result.columns[c]) else {
                c += 1;
                continue;
            };
            let span = result.columns[c..].iter().take_while(|o| pivot_header(o).is_some_and(|(v, _)| v == value)).count().max(1);
            let span_chars = ((col_w * span as f64 / (font * 0.6)) as usize).max(3);
            svg.text(cell_x(c, false), top + row_h * 0.65, TextStyle::new(font, "start", INK), &truncate(value, span_chars));
            if c > 0 {
                svg.line(10.0 + col_w * c as f64, top + 3.0, 10.0 + col_w * c as f64, top + row_h - 3.0, GRID, 1.0);
            }
            c += span;
        }
    }
    let labels_y = top + row_h * (header_rows as f64 - 1.0);
    for (c, column) in result.columns.iter().enumerate() {
        let right = column.value_type == ValueType::Number;
        let label = pivot_header(column).map(|(_, measure)| measure).unwrap_or(&column.label);
        svg.text(
            cell_x(c, right),
            labels_y + row_h * 0.65,
            TextStyle::new(font, if right { "end" } else { "start" }, INK),
            &truncate(label, chars),
        );
    }
    // A format that cannot be applied was refused when the query was checked; here it falls
    // back to the value's own text.
    let renderers: Vec<Option<CellRenderer>> = result.columns.iter().map(|c| CellRenderer::for_column(c).ok()).collect();
    let body = top + row_h * header_rows as f64;
    let fit = (((h - body - 10.0) / row_h).floor().max(0.0)) as usize;
    let rows = result.row_count();
    for r in 0..rows.min(fit) {
        let y = body + row_h * r as f64;
        svg.line(10.0, y, w - 10.0, y, GRID, 1.0);
        for (c, column) in result.columns.iter().enumerate() {
            let right = column.value_type == ValueType::Number;
            let text = display(renderers[c].as_ref(), result.value(c, r));
            svg.text(
                cell_x(c, right),
                y + row_h * 0.65,
                TextStyle::new(font, if right { "end" } else { "start" }, INK),
                &truncate(&text, chars),
            );
        }
    }
    if rows > fit {
        svg.text(w / 2.0, h - 4.0, TextStyle::new(font, "middle", AXIS), &format!("{} more rows not shown", rows - fit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{render_chart, ImageFormat};
    use result::{ColumnInfo, Value};

    fn sample() -> ResultSet {
        let mut r = ResultSet::new(vec![
            ColumnInfo::plain("status", ValueType::String),
            ColumnInfo::plain("count", ValueType::Number).measure(),
            ColumnInfo::plain("total", ValueType::Number).measure(),
        ]);
        for (s, c, t) in [("complete", 10, 5.5), ("pending", 3, -2.0), ("<cancelled & co>", 0, 1.0)] {
            r.push_row(vec![Value::Text(s.into()), Value::Int(c), Value::Float(t)]);
        }
        r
    }

    fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        (info.width, info.height, buf)
    }

    #[test]
    fn every_kind_draws_ink_at_the_requested_size() {
        let kinds = [
            ChartKind::Column,
            ChartKind::Bar,
            ChartKind::Line,
            ChartKind::Area,
            ChartKind::Scatter,
            ChartKind::Pie,
            ChartKind::DonutMultiples,
            ChartKind::SingleValue,
            ChartKind::SingleRecord,
            ChartKind::Table,
        ];
        assert_eq!(kinds.len(), DRAWN_VIS_TYPES.len() - 1, "table has two names");
        for kind in kinds {
            let bytes = render_chart(&sample(), &kind.into(), "Orders by Status", 640, 360, ImageFormat::Png).unwrap();
            let (w, h, pixels) = decode_png(&bytes);
            assert_eq!((w, h), (640, 360));
            let inked = pixels.chunks_exact(4).filter(|p| p[0] < 200 || p[1] < 200 || p[2] < 200).count();
            assert!(inked > 500, "{kind:?} drew only {inked} non-white pixels");
        }
    }

    #[test]
    fn new_kinds_draw_what_they_show() {
        assert_eq!(chart_kind(Some("looker_pie")), Some(ChartKind::Pie));
        assert_eq!(chart_kind(Some("looker_timeline")), None, "not drawn yet, so refused");
        // A pie of the positive counts: complete 10 of 13, pending 3; 0 is no slice.
        let svg = chart_svg(&sample(), &ChartKind::Pie.into(), "t", 600, 400);
        assert_eq!(svg.matches("<path").count(), 2, "{svg}");
        assert!(svg.contains("complete 76.9%") && svg.contains("pending 23.1%"), "{svg}");
        // A single value: the first measure of the first row, with its label.
        let svg = chart_svg(&sample(), &ChartKind::SingleValue.into(), "t", 600, 400);
        assert!(svg.contains(">10</text>") && svg.contains(">count</text>"), "{svg}");
        // An area fills under its line; a scatter has points and no line.
        let svg = chart_svg(&sample(), &ChartKind::Area.into(), "t", 600, 400);
        assert!(svg.contains("<polygon") && svg.contains("<polyline"));
        let svg = chart_svg(&sample(), &ChartKind::Scatter.into(), "t", 600, 400);
        assert!(svg.contains("<circle") && !svg.contains("<polyline"));
        let empty = ResultSet::new(sample().columns);
        assert!(chart_svg(&empty, &ChartKind::SingleValue.into(), "t", 300, 200).contains("No value to show"));
        assert!(chart_svg(&empty, &ChartKind::Pie.into(), "t", 300, 200).contains("No positive values"));
    }

    #[test]
    fn vis_config_options_shape_the_chart() {
        let chart = |vis: serde_json::Value| Chart {
            kind: ChartKind::Column,
            options: crate::ChartOptions::from_vis_config(vis.as_object().expect("object")).expect("options"),
        };
        // Stacked to 100%: ticks in percent, one bar per category made of segments.
        let svg = chart_svg(&sample(), &chart(serde_json::json!({"stacking": "percent", "show_value_labels": true})), "t", 600, 400);
        assert!(svg.contains(">100%</text>") && svg.contains(">50%</text>"), "{svg}");
        assert!(
            !svg.contains(">0%</text>\n") && svg.matches(">0%</text>").count() == 1,
            "the 0% tick, no label on an empty segment: {svg}"
        );
        // complete: count 10 of |10| + |5.5| is 65%; total 5.5 is 35%.
        assert!(svg.contains(">65%</text>") && svg.contains(">35%</text>"), "value labels in shares: {svg}");
        // Colors by field name, then from the palette; no legend when hidden.
        let colored = chart(serde_json::json!({"series_colors": {"total": "#123456"}, "colors": ["#abcdef"], "hide_legend": true}));
        let svg = chart_svg(&sample(), &colored, "t", 600, 400);
        assert!(svg.contains(r##"fill="#123456""##) && svg.contains(r##"fill="#abcdef""##), "{svg}");
        assert!(!svg.contains(">count</text>") || !svg.contains(">total</text>"), "no legend: {svg}");
        // Grouped with value labels: each bar's value in the first series' format.
        let svg = chart_svg(&sample(), &chart(serde_json::json!({"show_value_labels": true})), "t", 600, 400);
        assert!(svg.contains(">10</text>") && svg.contains(">3</text>"), "{svg}");
    }

    #[test]
    fn jpg_starts_with_the_jpeg_marker() {
        let bytes = render_chart(&sample(), &ChartKind::Column.into(), "t", 300, 200, ImageFormat::Jpg).unwrap();
        assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF]);
    }

    #[test]
    fn text_is_escaped_so_markup_in_data_cannot_break_the_svg() {
        let svg = chart_svg(&sample(), &ChartKind::Column.into(), "a < b & c", 400, 300);
        assert!(svg.contains("a &lt; b &amp; c"));
        assert!(svg.contains("&lt;cancelled &amp; co&gt;"));
    }

    #[test]
    fn pdf_is_one_vector_page_of_the_image_size_with_its_font_embedded() {
        let bytes = render_chart(&sample(), &ChartKind::Column.into(), "Orders by Status", 800, 600, ImageFormat::Pdf).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("%PDF-"), "{}", &text[..20]);
        assert!(text.contains("/MediaBox [0 0 800 600]"), "one page of the image's size");
        assert!(text.contains("/FontFile2") && text.contains("/ToUnicode"), "text kept as text, its font embedded");
    }

    #[test]
    fn sizes_out_of_range_are_refused() {
        assert!(render_chart(&sample(), &ChartKind::Column.into(), "t", 5, 200, ImageFormat::Png).is_err());
        assert!(render_chart(&sample(), &ChartKind::Column.into(), "t", 200, 9000, ImageFormat::Png).is_err());
    }

    #[test]
    fn a_huge_title_is_cut_to_what_fits() {
        let svg = chart_svg(&sample(), &ChartKind::Column.into(), &"title ".repeat(200_000), 400, 300);
        assert!(svg.len() < 50_000, "{} bytes of SVG", svg.len());
    }

    #[test]
    fn empty_results_still_render() {
        let empty = ResultSet::new(sample().columns);
        assert!(render_chart(&empty, &ChartKind::Line.into(), "t", 200, 100, ImageFormat::Png).is_ok());
    }

    #[test]
    fn ticks_reach_past_the_largest_value() {
        for (lo, hi) in [(0.0, 2060.0), (0.0, 1.0), (-35.0, 120.0), (0.0, 6_542_125.63)] {
            let t = ticks(lo, hi, 5);
            assert!(t[0] <= lo && *t.last().unwrap() >= hi, "{lo}..{hi}: {t:?}");
            assert!(t.len() <= 12, "{t:?}");
        }
    }

    fn months(descending: bool) -> ResultSet {
        let month = ColumnInfo { type_name: "date_month".into(), ..ColumnInfo::plain("orders.created_month", ValueType::String) };
        let revenue = ColumnInfo { value_format: Some("$#,##0.00".into()), ..ColumnInfo::plain("revenue", ValueType::Number).measure() };
        let mut r = ResultSet::new(vec![month, revenue]);
        let mut rows = vec![("2024-10", 1337843.09), ("2024-11", 20.5), ("2024-12", 3.0)];
        if descending {
            rows.reverse();
        }
        for (m, v) in rows {
            r.push_row(vec![Value::Text(m.into()), Value::Float(v)]);
        }
        r
    }

    #[test]
    fn a_time_axis_runs_forward_whatever_the_sort() {
        let series = Series::from(&months(true)).unwrap();
        assert_eq!(series.categories, ["2024-10", "2024-11", "2024-12"]);
        assert_eq!(series.values[0].1, [Some(1337843.09), Some(20.5), Some(3.0)]);
        // Categories that are not a time scale keep the query's order.
        let mut weekdays = months(true);
        weekdays.columns[0].type_name = "date_day_of_week".into();
        assert_eq!(Series::from(&weekdays).unwrap().categories, ["2024-12", "2024-11", "2024-10"]);
    }

    #[test]
    fn value_formats_apply_to_cells_and_ticks() {
        let svg = chart_svg(&months(false), &ChartKind::Table.into(), "t", 600, 300);
        assert!(svg.contains(">$1,337,843.09<"), "{svg}");
        let svg = chart_svg(&months(false), &ChartKind::Column.into(), "t", 600, 300);
        assert!(svg.contains(">$1,400,000.00<") || svg.contains(">$1,500,000.00<"), "{svg}");
        let mut plain = months(false);
        plain.columns[1].value_format = None;
        let svg = chart_svg(&plain, &ChartKind::Table.into(), "t", 600, 300);
        assert!(svg.contains(">1,337,843.09<"), "Looker's default groups thousands: {svg}");
    }

    #[test]
    fn control_characters_and_huge_text_cannot_break_a_render() {
        let mut r = sample();
        r.push_row(vec![Value::Text("nul\0 esc\u{1b} line\nbreak \u{FFFF}".into()), Value::Int(1), Value::Float(1.0)]);
        r.push_row(vec![Value::Text("x".repeat(300_000)), Value::Int(2), Value::Float(2.0)]);
        let title = "t\0".repeat(128_000);
        let kinds = [
            ChartKind::Column,
            ChartKind::Bar,
            ChartKind::Line,
            ChartKind::Area,
            ChartKind::Scatter,
            ChartKind::Pie,
            ChartKind::DonutMultiples,
            ChartKind::SingleValue,
            ChartKind::SingleRecord,
            ChartKind::Table,
        ];
        assert_eq!(kinds.len(), DRAWN_VIS_TYPES.len() - 1, "table has two names");
        for kind in kinds {
            let started = std::time::Instant::now();
            let bytes = render_chart(&r, &kind.into(), &title, 640, 360, ImageFormat::Png).expect("renders");
            assert_eq!(decode_png(&bytes).0, 640);
            assert!(started.elapsed().as_secs() < 5, "{kind:?} took {:?}", started.elapsed());
        }
        let svg = chart_svg(&r, &ChartKind::Table.into(), &title, 640, 360);
        assert!(!svg.contains('\0') && !svg.contains('\u{1b}'));
    }

    #[test]
    fn vis_types_map_to_chart_kinds() {
        assert_eq!(chart_kind(None), Some(ChartKind::Column));
        assert_eq!(chart_kind(Some("looker_bar")), Some(ChartKind::Bar));
        assert_eq!(chart_kind(Some("looker_line")), Some(ChartKind::Line));
        assert_eq!(chart_kind(Some("looker_grid")), Some(ChartKind::Table));
        assert_eq!(chart_kind(Some("looker_area")), Some(ChartKind::Area), "an area chart is not a line chart");
        assert_eq!(chart_kind(Some("looker_waterfall")), None);
        assert!(DRAWN_VIS_TYPES.iter().all(|t| chart_kind(Some(t)).is_some()));
    }
}
