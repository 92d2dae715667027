//! Charts that are not drawn on axes: a pie (`looker_pie`: the first dimension's values as
//! slices of the first measure, with a legend of shares), donut multiples
//! (`looker_donut_multiples`: a donut per row, its slices the row's measures or pivot values,
//! one legend), a single record (`looker_single_record`: the first row's fields, labelled, one
//! under the other) and a single value (`single_value`:
//! the first measure of the first row, in its value format, with its label and, with
//! `show_comparison`, the next measure as a value, a change or progress towards a goal).

use present::CellRenderer;
use result::{ResultSet, Value};

use crate::chart::{display, truncate, Series, AXIS, INK, PALETTE};
use crate::options::{ChartOptions, ComparisonKind, SingleValueOptions};
use crate::svg::{Svg, TextStyle};

/// Slices beyond this many are drawn as one "Other" slice.
const MOST_SLICES: usize = 12;

pub(crate) fn pie(svg: &mut Svg, s: &Series, options: &ChartOptions, top: f64, w: f64, h: f64) {
    let Some((_, values)) = s.values.first() else { return };
    // Only positive values make slices; their order is the query's.
    let mut slices: Vec<(String, f64)> =
        s.categories.iter().zip(values).filter_map(|(c, v)| v.filter(|v| *v > 0.0 && v.is_finite()).map(|v| (c.clone(), v))).collect();
    if slices.len() > MOST_SLICES {
        let other: f64 = slices[MOST_SLICES - 1..].iter().map(|(_, v)| v).sum();
        slices.truncate(MOST_SLICES - 1);
        slices.push(("Other".into(), other));
    }
    let total: f64 = slices.iter().map(|(_, v)| v).sum();
    if slices.is_empty() || total <= 0.0 {
        svg.text(w / 2.0, (top + h) / 2.0, TextStyle::new(14.0, "middle", AXIS), "No positive values to chart");
        return;
    }
    let legend_w = (w * 0.38).min(260.0);
    let (area_w, area_h) = (w - legend_w - 20.0, h - top - 10.0);
    let r = (area_w.min(area_h) / 2.0 - 6.0).max(0.0);
    if r < 4.0 {
        return;
    }
    let (cx, cy) = (10.0 + area_w / 2.0, top + area_h / 2.0);
    let mut angle = -std::f64::consts::FRAC_PI_2;
    for (i, (_, v)) in slices.iter().enumerate() {
        let color = options.color_of(i, "");
        let color = color.as_str();
        let sweep = v / total * std::f64::consts::TAU;
        if sweep >= std::f64::consts::TAU - 1e-9 {
            svg.circle(cx, cy, r, color);
        } else {
            let (x0, y0) = (cx + r * angle.cos(), cy + r * angle.sin());
            let end = angle + sweep;
            let (x1, y1) = (cx + r * end.cos(), cy + r * end.sin());
            let large = if sweep > std::f64::consts::PI { 1 } else { 0 };
            svg.path(&format!("M{cx:.2},{cy:.2} L{x0:.2},{y0:.2} A{r:.2},{r:.2} 0 {large} 1 {x1:.2},{y1:.2} Z"), color);
        }
        angle += sweep;
    }
    let font = (h * 0.03).clamp(8.0, 12.0);
    let line = font * 1.6;
    let x = w - legend_w;
    let rows = (((h - top - 10.0) / line).floor().max(0.0) as usize).min(slices.len());
    let chars = ((legend_w - font - 12.0) / (font * 0.6)).max(4.0) as usize;
    for (i, (label, v)) in slices.iter().take(rows).enumerate() {
        let y = top + 10.0 + line * i as f64;
        svg.rect(x, y, font, font, &options.color_of(i, ""));
        let share = format!("{:.1}%", v / total * 100.0);
        let text = format!("{} {share}", truncate(label, chars.saturating_sub(share.len() + 1).max(3)));
        svg.text(x + font + 6.0, y + font * 0.85, TextStyle::new(font, "start", INK), &text);
    }
}

/// Green for good news, red for bad, as Looker colours a change.
const RISE: &str = "#2e9e5b";
const FALL: &str = "#d0463b";
const TRACK: &str = "#e6e6e6";

/// Whether a column holds numbers a single value can show.
fn is_numeric(c: &result::ColumnInfo) -> bool {
    c.is_measure || c.value_type == result::ValueType::Number
}

/// The first measure (or, lacking measures, the first numeric column) of the first row, large,
/// in its field's value format, with its label (or `single_value_title`) under it; with
/// `show_comparison`, the next numeric column of the row below that, as a value, a change (an
/// arrow coloured by its sign) or progress towards it (a bar, with the share as a percentage).
pub(crate) fn single_value(svg: &mut Svg, result: &ResultSet, options: &SingleValueOptions, top: f64, w: f64, h: f64) {
    let column = result.columns.iter().position(|c| c.is_measure).or_else(|| result.columns.iter().position(is_numeric));
    let (Some(c), true) = (column, result.row_count() > 0) else {
        svg.text(w / 2.0, (top + h) / 2.0, TextStyle::new(14.0, "middle", AXIS), "No value to show");
        return;
    };
    let info = &result.columns[c];
    let value: &Value = result.value(c, 0);
    let text = display(CellRenderer::for_column(info).ok().as_ref(), value);
    let compared = options.comparison.as_ref().and_then(|cmp| {
        let at = (c + 1..result.columns.len()).find(|&i| is_numeric(&result.columns[i]))?;
        Some((cmp, &result.columns[at], result.value(at, 0)))
    });
    // As large as the width allows for the text, at most half the height (less with a comparison).
    let share = if compared.is_some() { 0.36 } else { 0.5 };
    let size = ((w - 20.0) / (text.chars().count().max(1) as f64 * 0.62)).min((h - top) * share).max(8.0);
    let mid = top + (h - top) * if compared.is_some() { 0.4 } else { 0.5 };
    svg.text(w / 2.0, mid + size * 0.35, TextStyle::new(size, "middle", INK), &text);
    let label_size = (size * 0.25).clamp(9.0, 16.0);
    let mut y = mid + size * 0.35 + label_size * 1.8;
    if !options.hide_title {
        svg.text(w / 2.0, y, TextStyle::new(label_size, "middle", AXIS), options.title.as_deref().unwrap_or(&info.label));
        y += label_size * 2.0;
    }
    let Some((cmp, other, against)) = compared else { return };
    let shown = display(CellRenderer::for_column(other).ok().as_ref(), against);
    let label = if cmp.hide_label { String::new() } else { cmp.label.clone().unwrap_or_else(|| other.label.clone()) };
    let size = label_size;
    match cmp.kind {
        ComparisonKind::Value => svg.text(w / 2.0, y, TextStyle::new(size, "middle", AXIS), format!("{shown} {label}").trim()),
        ComparisonKind::Change => {
            let change = against.as_f64().unwrap_or(0.0);
            let good = (change >= 0.0) != cmp.reverse_colors;
            let color = if good { RISE } else { FALL };
            let line = format!("{shown} {label}");
            let line = line.trim();
            // The arrow sits left of the centred text.
            let half = line.chars().count() as f64 * size * 0.27;
            let (ax, ay) = (w / 2.0 - half - size * 0.9, y - size * 0.4);
            let arrow = match change >= 0.0 {
                true => [(ax, ay + size * 0.35), (ax + size * 0.7, ay + size * 0.35), (ax + size * 0.35, ay - size * 0.3)],
                false => [(ax, ay - size * 0.3), (ax + size * 0.7, ay - size * 0.3), (ax + size * 0.35, ay + size * 0.35)],
            };
            svg.polygon(&arrow, color, 1.0);
            svg.text(w / 2.0, y, TextStyle::new(size, "middle", color), line);
        }
        ComparisonKind::Progress | ComparisonKind::ProgressPercentage => {
            let ratio = match (value.as_f64(), against.as_f64()) {
                (Some(v), Some(goal)) if goal != 0.0 && (v / goal).is_finite() => v / goal,
                _ => 0.0,
            };
            let (bar_w, bar_h) = (w * 0.6, (size * 0.9).max(6.0));
            let x = (w - bar_w) / 2.0;
            let bar_y = y - size * 0.2;
            svg.rect(x, bar_y, bar_w, bar_h, TRACK);
            svg.rect(x, bar_y, bar_w * ratio.clamp(0.0, 1.0), bar_h, PALETTE[0]);
            let caption = match cmp.kind {
                ComparisonKind::ProgressPercentage => format!("{:.0}% of {shown} {label}", ratio * 100.0),
                _ => format!("{shown} {label}"),
            };
            svg.text(w / 2.0, bar_y + bar_h + size * 1.4, TextStyle::new(size, "middle", AXIS), caption.trim());
        }
    }
}

/// Donuts drawn at most: the rows after are left out, and the picture says so.
const MOST_DONUTS: usize = 36;

/// An annular sector from `start` sweeping `sweep` radians, as an SVG path.
fn annulus(cx: f64, cy: f64, outer: f64, inner: f64, start: f64, sweep: f64) -> String {
    let sweep = sweep.min(std::f64::consts::TAU - 1e-4);
    let end = start + sweep;
    let large = if sweep > std::f64::consts::PI { 1 } else { 0 };
    let point = |r: f64, a: f64| (cx + r * a.cos(), cy + r * a.sin());
    let ((x0, y0), (x1, y1)) = (point(outer, start), point(outer, end));
    let ((x2, y2), (x3, y3)) = (point(inner, end), point(inner, start));
    format!(
        "M{x0:.2},{y0:.2} A{outer:.2},{outer:.2} 0 {large} 1 {x1:.2},{y1:.2} L{x2:.2},{y2:.2} A{inner:.2},{inner:.2} 0 {large} 0 {x3:.2},{y3:.2} Z"
    )
}

/// A donut per category (row), its slices the series' values in that row, laid out on a grid
/// as square as the picture allows, each labelled with its category; one legend of the series.
pub(crate) fn donuts(svg: &mut Svg, s: &Series, options: &ChartOptions, top: f64, w: f64, h: f64) {
    let shown = s.categories.len().min(MOST_DONUTS);
    if shown == 0 {
        svg.text(w / 2.0, (top + h) / 2.0, TextStyle::new(14.0, "middle", AXIS), "No rows to chart");
        return;
    }
    let font = (h * 0.03).clamp(8.0, 12.0);
    let legend_h = if options.hide_legend { 0.0 } else { font * 2.4 };
    let (area_w, area_h) = (w - 20.0, (h - top - legend_h - 10.0).max(1.0));
    // The column count whose cells are closest to square.
    let columns = (1..=shown)
        .min_by(|a, b| {
            let aspect = |c: usize| {
                let rows = shown.div_ceil(c) as f64;
                let (cw, ch) = (area_w / c as f64, area_h / rows);
                (cw / ch).max(ch / cw)
            };
            aspect(*a).total_cmp(&aspect(*b))
        })
        .unwrap_or(1);
    let rows = shown.div_ceil(columns);
    let (cell_w, cell_h) = (area_w / columns as f64, area_h / rows as f64);
    let outer = ((cell_w.min(cell_h - font * 1.8)) / 2.0 - 4.0).max(0.0);
    let chars = ((cell_w - 8.0) / (font * 0.6)).max(3.0) as usize;
    for (i, category) in s.categories.iter().take(shown).enumerate() {
        let (col, row) = (i % columns, i / columns);
        let (cx, cy) = (10.0 + cell_w * (col as f64 + 0.5), top + cell_h * row as f64 + 4.0 + outer);
        let slices: Vec<(usize, f64)> =
            s.values.iter().enumerate().filter_map(|(k, (_, v))| v[i].filter(|v| *v > 0.0 && v.is_finite()).map(|v| (k, v))).collect();
        let total: f64 = slices.iter().map(|(_, v)| v).sum();
        if outer >= 4.0 && total > 0.0 {
            let mut angle = -std::f64::consts::FRAC_PI_2;
            for (k, v) in &slices {
                let sweep = v / total * std::f64::consts::TAU;
                svg.path(&annulus(cx, cy, outer, outer * 0.55, angle, sweep), &options.color_of(*k, &s.fields[*k]));
                angle += sweep;
            }
        }
        svg.text(cx, cy + outer + font * 1.4, TextStyle::new(font, "middle", INK), &truncate(category, chars));
    }
    if shown < s.categories.len() {
        let note = format!("{} of {} rows drawn", shown, s.categories.len());
        svg.text(w - 10.0, h - legend_h - 2.0, TextStyle::new(font, "end", AXIS), &note);
    }
    if options.hide_legend {
        return;
    }
    let mut x = 10.0;
    let y = h - font * 1.2;
    for (k, (label, _)) in s.values.iter().enumerate() {
        let label = truncate(label, 28);
        let width = font * 1.6 + label.chars().count() as f64 * font * 0.6 + font;
        if x + width > w {
            break;
        }
        svg.rect(x, y - font * 0.85, font, font, &options.color_of(k, &s.fields[k]));
        svg.text(x + font * 1.4, y, TextStyle::new(font, "start", INK), &label);
        x += width;
    }
}

/// Fields shown at most in a single record; the picture says how many were left out.
const MOST_RECORD_FIELDS: usize = 40;

/// The first row: each field's label and its value in its format, one field per line.
pub(crate) fn single_record(svg: &mut Svg, result: &ResultSet, top: f64, w: f64, h: f64) {
    if result.row_count() == 0 {
        svg.text(w / 2.0, (top + h) / 2.0, TextStyle::new(14.0, "middle", AXIS), "No record to show");
        return;
    }
    let columns: Vec<usize> = (0..result.columns.len()).filter(|&c| !result.columns[c].hidden).take(MOST_RECORD_FIELDS).collect();
    let font = ((h - top - 10.0) / (columns.len().max(1) as f64 * 1.8)).clamp(6.0, 14.0);
    let line = font * 1.8;
    let fits = (((h - top - 10.0) / line).floor().max(0.0) as usize).min(columns.len());
    let (label_x, value_x) = (w * 0.45, w * 0.5);
    let chars = ((w * 0.45 - 14.0) / (font * 0.6)).max(3.0) as usize;
    for (i, &c) in columns.iter().take(fits).enumerate() {
        let info = &result.columns[c];
        let y = top + 10.0 + line * i as f64 + font;
        svg.text(label_x, y, TextStyle::new(font, "end", AXIS), &truncate(&info.label, chars));
        let value = display(CellRenderer::for_column(info).ok().as_ref(), result.value(c, 0));
        svg.text(value_x, y, TextStyle::new(font, "start", INK), &truncate(&value, chars));
        if i + 1 < fits {
            svg.line(w * 0.08, y + line - font * 1.1, w * 0.92, y + line - font * 1.1, "#eeeeee", 1.0);
        }
    }
    let hidden = result.columns.iter().filter(|c| !c.hidden).count() - fits;
    if hidden > 0 {
        svg.text(w - 10.0, h - 4.0, TextStyle::new(font, "end", AXIS), &format!("{hidden} more fields not shown"));
    }
}
