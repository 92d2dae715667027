//! Text drawn onto pixels from cached glyph masks, for PNG and JPG.
//!
//! Laying out and filling glyph outlines was most of a chart's raster time (each label shaped and
//! each glyph's outline filled with anti-aliasing on every render). Here each glyph is filled
//! once per size, angle and quarter-pixel position into a coverage mask, kept in a bounded
//! process-wide cache, and blended in place afterwards. PDFs keep their text as text (through
//! usvg and svg2pdf); only pixels come from here. Glyphs advance by the font's horizontal
//! advances (no kerning), as the SVG's anchors assume.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use resvg::tiny_skia::{FillRule, Mask, PathBuilder, Pixmap, Transform};

/// One piece of text as the SVG writer set it: the anchor point (`x`, `y` on the baseline),
/// the size in pixels, `start`/`middle`/`end`, the colour as `#rrggbb`, an optional turn in
/// degrees around the anchor point, and the text (already cut to its longest).
#[derive(Debug, Clone, PartialEq)]
pub struct TextRun {
    pub x: f64,
    pub y: f64,
    pub size: f64,
    pub anchor: &'static str,
    pub fill: String,
    pub rotate: Option<f64>,
    pub text: String,
}

/// Bytes of masks kept at most; past it the cache starts again (charts use a few sizes of one
/// font, so it rarely fills).
const MAX_CACHED_BYTES: usize = 16 << 20;
/// Glyph positions are rounded to this fraction of a pixel before their mask is looked up.
const SUBPIXEL_STEPS: f64 = 4.0;

struct Font {
    data: &'static [u8],
    units_per_em: f64,
}

fn font() -> &'static Font {
    static FONT: OnceLock<Font> = OnceLock::new();
    FONT.get_or_init(|| {
        let data = crate::raster::FONT_DATA;
        let units_per_em = ttf_parser::Face::parse(data, 0).map(|f| f.units_per_em() as f64).unwrap_or(2048.0);
        Font { data, units_per_em }
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct GlyphKey {
    glyph: u16,
    /// Size in 1/64 px.
    size: u32,
    /// Angle in 1/100 degree.
    angle: i32,
    /// Quarter-pixel offsets of the origin.
    dx: u8,
    dy: u8,
}

/// A glyph's coverage, placed by its top left corner relative to the rounded origin.
struct GlyphMask {
    left: i32,
    top: i32,
    mask: Option<Mask>,
}

#[derive(Default)]
struct Cache {
    masks: HashMap<GlyphKey, Arc<GlyphMask>>,
    bytes: usize,
}

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(Cache::default()))
}

struct Outline(PathBuilder);

impl ttf_parser::OutlineBuilder for Outline {
    fn move_to(&mut self, x: f32, y: f32) {
        self.0.move_to(x, y);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        self.0.line_to(x, y);
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        self.0.quad_to(x1, y1, x, y);
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        self.0.cubic_to(x1, y1, x2, y2, x, y);
    }
    fn close(&mut self) {
        self.0.close();
    }
}

/// The glyph filled at `key`'s size, angle and sub-pixel offset.
fn rasterize_glyph(face: &ttf_parser::Face<'_>, key: GlyphKey) -> GlyphMask {
    let empty = GlyphMask { left: 0, top: 0, mask: None };
    let mut outline = Outline(PathBuilder::new());
    if face.outline_glyph(ttf_parser::GlyphId(key.glyph), &mut outline).is_none() {
        return empty;
    }
    let Some(path) = outline.0.finish() else { return empty };
    let scale = (key.size as f64 / 64.0 / font().units_per_em) as f32;
    let (dx, dy) = (key.dx as f32 / SUBPIXEL_STEPS as f32, key.dy as f32 / SUBPIXEL_STEPS as f32);
    let angle = key.angle as f32 / 100.0;
    // Font units (y up) → pixels (y down), turned, then moved to the sub-pixel origin.
    let transform = Transform::from_scale(scale, -scale).post_rotate(angle).post_translate(dx, dy);
    let Some(bounds) = path.clone().transform(transform).map(|p| p.bounds()) else { return empty };
    let (left, top) = (bounds.left().floor() as i32 - 1, bounds.top().floor() as i32 - 1);
    let (width, height) =
        ((bounds.right().ceil() as i32 - left + 1).max(1) as u32, (bounds.bottom().ceil() as i32 - top + 1).max(1) as u32);
    let Some(mut mask) = Mask::new(width, height) else { return empty };
    mask.fill_path(&path, FillRule::Winding, true, transform.post_translate(-left as f32, -top as f32));
    GlyphMask { left, top, mask: Some(mask) }
}

fn glyph(face: &ttf_parser::Face<'_>, key: GlyphKey) -> Arc<GlyphMask> {
    if let Some(found) = cache().lock().unwrap_or_else(PoisonError::into_inner).masks.get(&key) {
        return Arc::clone(found);
    }
    let made = Arc::new(rasterize_glyph(face, key));
    let size = made.mask.as_ref().map_or(0, |m| m.data().len()) + std::mem::size_of::<GlyphMask>();
    let mut cached = cache().lock().unwrap_or_else(PoisonError::into_inner);
    if cached.bytes + size > MAX_CACHED_BYTES {
        *cached = Cache::default();
    }
    if cached.masks.insert(key, Arc::clone(&made)).is_none() {
        cached.bytes += size;
    }
    made
}

/// `#rrggbb` or `#rgb` (the colours text is set in); black otherwise.
fn colour(fill: &str) -> [u8; 3] {
    let hex = fill.trim_start_matches('#');
    let digit = |i: usize, n: usize| hex.get(i..i + n).and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or(0);
    match hex.len() {
        6 => [digit(0, 2), digit(2, 2), digit(4, 2)],
        3 => [digit(0, 1) * 17, digit(1, 1) * 17, digit(2, 1) * 17],
        _ => [0, 0, 0],
    }
}

/// Blends `mask` of colour `rgb` into `pixmap` with its top left corner at (`left`, `top`).
fn blend(pixmap: &mut Pixmap, mask: &Mask, left: i32, top: i32, rgb: [u8; 3]) {
    let (pw, ph) = (pixmap.width() as i32, pixmap.height() as i32);
    let (mw, mh) = (mask.width() as i32, mask.height() as i32);
    let coverage = mask.data();
    let pixels = pixmap.data_mut();
    for my in 0..mh {
        let y = top + my;
        if y < 0 || y >= ph {
            continue;
        }
        for mx in 0..mw {
            let x = left + mx;
            if x < 0 || x >= pw {
                continue;
            }
            let a = coverage[(my * mw + mx) as usize] as u32;
            if a == 0 {
                continue;
            }
            let p = ((y * pw + x) * 4) as usize;
            let inverse = 255 - a;
            // Premultiplied RGBA: source over destination with the glyph's coverage.
            for c in 0..3 {
                pixels[p + c] = ((rgb[c] as u32 * a + pixels[p + c] as u32 * inverse + 127) / 255) as u8;
            }
            pixels[p + 3] = ((255 * a + pixels[p + 3] as u32 * inverse + 127) / 255) as u8;
        }
    }
}

/// Draws every run onto `pixmap`, whose canvas is `scale` times the runs' coordinates.
pub fn draw_texts(pixmap: &mut Pixmap, runs: &[TextRun], scale: (f64, f64)) {
    let Ok(face) = ttf_parser::Face::parse(font().data, 0) else { return };
    let per_unit = |size: f64| size / font().units_per_em;
    for run in runs {
        let size = run.size * scale.1;
        let glyphs: Vec<(u16, f64)> = run
            .text
            .chars()
            .map(|c| {
                let id = face.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
                (id.0, face.glyph_hor_advance(id).unwrap_or(0) as f64 * per_unit(size))
            })
            .collect();
        let width: f64 = glyphs.iter().map(|(_, advance)| advance).sum();
        let start = match run.anchor {
            "middle" => -width / 2.0,
            "end" => -width,
            _ => 0.0,
        };
        let (sin, cos) = run.rotate.unwrap_or(0.0).to_radians().sin_cos();
        let angle = (run.rotate.unwrap_or(0.0) * 100.0).round() as i32;
        let (ox, oy) = (run.x * scale.0, run.y * scale.1);
        let rgb = colour(&run.fill);
        let mut pen = start;
        for (id, advance) in glyphs {
            let (gx, gy) = (ox + pen * cos, oy + pen * sin);
            pen += advance;
            let (fx, fy) = (gx.floor(), gy.floor());
            let step = |f: f64| ((f * SUBPIXEL_STEPS).round() as u8).min(SUBPIXEL_STEPS as u8 - 1);
            let (dx, dy) = (step(gx - fx), step(gy - fy));
            let key = GlyphKey { glyph: id, size: (size * 64.0).round() as u32, angle, dx, dy };
            let g = glyph(&face, key);
            if let Some(mask) = &g.mask {
                blend(pixmap, mask, fx as i32 + g.left, fy as i32 + g.top, rgb);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use resvg::tiny_skia;

    fn inked(pixmap: &Pixmap) -> usize {
        pixmap.data().chunks_exact(4).filter(|p| p[0] < 128).count()
    }

    #[test]
    fn text_is_drawn_where_its_anchor_puts_it_and_masks_are_reused() {
        let run = |anchor: &'static str, rotate: Option<f64>| TextRun {
            x: 100.0,
            y: 50.0,
            size: 20.0,
            anchor,
            fill: "#000000".into(),
            rotate,
            text: "Hello".into(),
        };
        let left_of = |anchor| {
            let mut p = Pixmap::new(200, 100).expect("pixmap");
            p.fill(tiny_skia::Color::WHITE);
            draw_texts(&mut p, &[run(anchor, None)], (1.0, 1.0));
            assert!(inked(&p) > 100, "{anchor}: ink");
            (0..200u32).find(|x| (0..100u32).any(|y| p.data()[((y * 200 + x) * 4) as usize] < 128)).expect("ink")
        };
        let (start, middle, end) = (left_of("start"), left_of("middle"), left_of("end"));
        assert!(start >= 100 && middle < start && end < middle, "{start} {middle} {end}");
        let before = cache().lock().unwrap_or_else(PoisonError::into_inner).masks.len();
        left_of("start");
        assert_eq!(cache().lock().unwrap_or_else(PoisonError::into_inner).masks.len(), before, "the same glyphs, from the cache");
        // Turned a quarter, the word runs down the canvas from the anchor.
        let mut p = Pixmap::new(200, 200).expect("pixmap");
        p.fill(tiny_skia::Color::WHITE);
        draw_texts(&mut p, &[TextRun { y: 20.0, ..run("start", Some(90.0)) }], (1.0, 1.0));
        let rows: Vec<u32> = (0..200u32).filter(|y| (0..200u32).any(|x| p.data()[((y * 200 + x) * 4) as usize] < 128)).collect();
        assert!(rows.first().is_some_and(|y| *y >= 18) && rows.last().is_some_and(|y| *y > 60), "{rows:?}");
    }
}
