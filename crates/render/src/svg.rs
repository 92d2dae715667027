//! A tiny SVG writer: escaped text and the few elements charts need.

use std::fmt::Write;

use crate::text_raster::TextRun;

pub const FONT: &str = "DejaVu Sans";

/// Longest text drawn, in characters: nothing longer fits any image Sightline draws, and the
/// text layout's cost grows with it.
pub const MAX_TEXT_CHARS: usize = 200;

/// `text` as drawn: at most [`MAX_TEXT_CHARS`] characters (cut with `…`), and control
/// characters (NUL, escapes, line breaks) and the non-characters XML forbids replaced by spaces,
/// so that no value in the data can break the SVG.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT_CHARS * 4));
    for (i, c) in text.chars().enumerate() {
        if i == MAX_TEXT_CHARS - 1 && text.chars().nth(MAX_TEXT_CHARS).is_some() {
            out.push('…');
            break;
        }
        match c {
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `text` as SVG character data: [`clean`], then markup escaped.
pub fn escape(text: &str) -> String {
    let cleaned = clean(text);
    let mut out = String::with_capacity(cleaned.len());
    for c in cleaned.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// How a piece of text is set.
#[derive(Debug, Clone, Copy)]
pub struct TextStyle {
    pub size: f64,
    /// `start`, `middle` or `end`.
    pub anchor: &'static str,
    pub fill: &'static str,
    /// Degrees to turn the text around its anchor point.
    pub rotate: Option<f64>,
}

impl TextStyle {
    pub fn new(size: f64, anchor: &'static str, fill: &'static str) -> Self {
        TextStyle { size, anchor, fill, rotate: None }
    }

    pub fn rotated(self, degrees: f64) -> Self {
        TextStyle { rotate: Some(degrees), ..self }
    }
}

/// A drawing: the whole SVG (for PDF, text as text), and the same without its text beside the
/// text runs (for pixels: the shapes rasterised by resvg, the text from cached glyphs).
pub struct Svg {
    body: String,
    shapes: String,
    texts: Vec<TextRun>,
    width: u32,
    height: u32,
    /// Bytes of `shapes` the white background takes (the raster canvas starts white).
    background: usize,
}

/// A finished drawing, in both forms.
pub struct Scene {
    pub svg: String,
    pub shapes: String,
    pub texts: Vec<TextRun>,
    pub width: u32,
    pub height: u32,
}

fn document(width: u32, height: u32, body: &str) -> String {
    format!(r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">{body}</svg>"#)
}

impl Svg {
    pub fn new(width: u32, height: u32) -> Self {
        let mut s = Svg { body: String::new(), shapes: String::new(), texts: Vec::new(), width, height, background: 0 };
        s.rect(0.0, 0.0, width as f64, height as f64, "#ffffff");
        s.background = s.shapes.len();
        s
    }

    /// A shape, in both forms.
    fn shape(&mut self, element: std::fmt::Arguments<'_>) {
        let start = self.body.len();
        let _ = self.body.write_fmt(element);
        let written = self.body[start..].to_string();
        self.shapes.push_str(&written);
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str) {
        self.shape(format_args!(r#"<rect x="{x:.2}" y="{y:.2}" width="{:.2}" height="{:.2}" fill="{fill}"/>"#, w.max(0.0), h.max(0.0)));
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, width: f64) {
        self.shape(format_args!(r#"<line x1="{x1:.2}" y1="{y1:.2}" x2="{x2:.2}" y2="{y2:.2}" stroke="{stroke}" stroke-width="{width}"/>"#));
    }

    pub fn polyline(&mut self, points: &[(f64, f64)], stroke: &str) {
        let pts: Vec<String> = points.iter().map(|(x, y)| format!("{x:.2},{y:.2}")).collect();
        self.shape(format_args!(r#"<polyline points="{}" fill="none" stroke="{stroke}" stroke-width="2"/>"#, pts.join(" ")));
    }

    /// A closed shape filled with `fill` at `opacity` (0 to 1).
    pub fn polygon(&mut self, points: &[(f64, f64)], fill: &str, opacity: f64) {
        let pts: Vec<String> = points.iter().map(|(x, y)| format!("{x:.2},{y:.2}")).collect();
        self.shape(format_args!(r#"<polygon points="{}" fill="{fill}" fill-opacity="{opacity:.2}"/>"#, pts.join(" ")));
    }

    /// A shape given as SVG path data (numbers only: never text from the data).
    pub fn path(&mut self, d: &str, fill: &str) {
        self.shape(format_args!(r##"<path d="{d}" fill="{fill}" stroke="#ffffff" stroke-width="1"/>"##));
    }

    pub fn circle(&mut self, x: f64, y: f64, r: f64, fill: &str) {
        self.shape(format_args!(r#"<circle cx="{x:.2}" cy="{y:.2}" r="{r}" fill="{fill}"/>"#));
    }

    pub fn text(&mut self, x: f64, y: f64, style: TextStyle, text: &str) {
        let TextStyle { size, anchor, fill, rotate } = style;
        let transform = rotate.map(|a| format!(r#" transform="rotate({a} {x:.2} {y:.2})""#)).unwrap_or_default();
        let _ = write!(
            self.body,
            r#"<text x="{x:.2}" y="{y:.2}" font-family="{FONT}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{transform}>{}</text>"#,
            escape(text)
        );
        // The SVG's numbers, rounded as it writes them, so that pixels and PDF agree.
        let round = |v: f64| (v * 100.0).round() / 100.0;
        self.texts.push(TextRun { x: round(x), y: round(y), size, anchor, fill: fill.to_string(), rotate, text: clean(text) });
    }

    /// A rectangle's outline.
    pub fn outline(&mut self, x: f64, y: f64, w: f64, h: f64, stroke: &str) {
        self.shape(format_args!(
            r#"<rect x="{x:.2}" y="{y:.2}" width="{:.2}" height="{:.2}" fill="none" stroke="{stroke}" stroke-width="1"/>"#,
            w.max(0.0),
            h.max(0.0)
        ));
    }

    /// `inner` drawn with its top left corner at (`x`, `y`). Not clipped: a clip makes the
    /// rasteriser draw the group on a layer of its own, several times the cost of the tile, and
    /// charts keep within their canvas (every text is bounded).
    pub fn place(&mut self, x: f64, y: f64, inner: Svg) {
        let _ = write!(self.body, r#"<g transform="translate({x:.2} {y:.2})">{}</g>"#, inner.body);
        let _ = write!(self.shapes, r#"<g transform="translate({x:.2} {y:.2})">{}</g>"#, inner.shapes);
        let round = |v: f64| (v * 100.0).round() / 100.0;
        let (x, y) = (round(x), round(y));
        self.texts.extend(inner.texts.into_iter().map(|t| TextRun { x: t.x + x, y: t.y + y, ..t }));
    }

    pub fn finish(self) -> String {
        document(self.width, self.height, &self.body)
    }

    pub fn finish_scene(self) -> Scene {
        Scene {
            svg: document(self.width, self.height, &self.body),
            // Pixels start white: the background is not filled again.
            shapes: document(self.width, self.height, &self.shapes[self.background..]),
            texts: self.texts,
            width: self.width,
            height: self.height,
        }
    }
}
