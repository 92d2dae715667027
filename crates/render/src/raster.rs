//! SVG text → pixels → PNG or JPG bytes.

use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

use crate::RenderError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpg,
}

impl ImageFormat {
    pub fn parse(name: &str) -> Option<ImageFormat> {
        match name {
            "png" => Some(ImageFormat::Png),
            "jpg" => Some(ImageFormat::Jpg),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpg => "jpg",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpg => "image/jpeg",
        }
    }
}

static FONT_DATA: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// The embedded font database, loaded once per process.
fn fonts() -> Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(FONT_DATA.to_vec());
        db.set_sans_serif_family(crate::svg::FONT);
        Arc::new(db)
    })
    .clone()
}

pub fn rasterize(svg: &str, width: u32, height: u32, format: ImageFormat) -> Result<Vec<u8>, RenderError> {
    crate::check_size(width, height)?;
    let options = usvg::Options { fontdb: fonts(), font_family: crate::svg::FONT.to_string(), ..usvg::Options::default() };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| RenderError::Svg(e.to_string()))?;
    let mut pixmap =
        tiny_skia::Pixmap::new(width, height).ok_or(RenderError::Size { width, height, min: crate::MIN_SIDE, max: crate::MAX_SIDE })?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let size = tree.size();
    let transform = tiny_skia::Transform::from_scale(width as f32 / size.width(), height as f32 / size.height());
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    // The background is opaque, so premultiplied RGBA equals straight RGBA here.
    let rgba = pixmap.data();
    match format {
        ImageFormat::Png => {
            let mut out = Vec::new();
            let mut encoder = png::Encoder::new(&mut out, width, height);
            encoder.set_color(png::ColorType::Rgba);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header().map_err(|e| RenderError::Encode(e.to_string()))?;
            writer.write_image_data(rgba).map_err(|e| RenderError::Encode(e.to_string()))?;
            writer.finish().map_err(|e| RenderError::Encode(e.to_string()))?;
            Ok(out)
        }
        ImageFormat::Jpg => {
            let rgb: Vec<u8> = rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
            let mut out = Vec::new();
            let encoder = jpeg_encoder::Encoder::new(&mut out, 90);
            let (w, h) = (u16::try_from(width), u16::try_from(height));
            let (Ok(w), Ok(h)) = (w, h) else { return Err(RenderError::Encode("JPEG sides are limited to 65535 pixels".into())) };
            encoder.encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb).map_err(|e| RenderError::Encode(e.to_string()))?;
            Ok(out)
        }
    }
}
