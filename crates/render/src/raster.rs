//! SVG text → a usvg tree → pixels (PNG or JPG bytes) or a vector PDF page.

use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

use crate::RenderError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpg,
    /// One vector page the size of the image (1 pixel = 1 point), text selectable.
    Pdf,
}

impl ImageFormat {
    pub fn parse(name: &str) -> Option<ImageFormat> {
        match name {
            "png" => Some(ImageFormat::Png),
            "jpg" => Some(ImageFormat::Jpg),
            "pdf" => Some(ImageFormat::Pdf),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpg => "jpg",
            ImageFormat::Pdf => "pdf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpg => "image/jpeg",
            ImageFormat::Pdf => "application/pdf",
        }
    }
}

pub(crate) static FONT_DATA: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

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
    match format {
        ImageFormat::Pdf => svg2pdf::to_pdf(&tree, svg2pdf::ConversionOptions::default(), svg2pdf::PageOptions::default())
            .map_err(|e| RenderError::Encode(e.to_string())),
        ImageFormat::Png => encode_png(&draw(&tree, width, height)?),
        ImageFormat::Jpg => encode_jpg(&draw(&tree, width, height)?),
    }
}

/// A scene as `format`: a PDF from its SVG (text stays text); pixels from its shapes, drawn by
/// resvg, with its text blended in from cached glyph masks (`text_raster.rs`).
pub fn rasterize_scene(scene: crate::svg::Scene, width: u32, height: u32, format: ImageFormat) -> Result<Vec<u8>, RenderError> {
    if format == ImageFormat::Pdf {
        return rasterize(&scene.svg, width, height, format);
    }
    crate::check_size(width, height)?;
    let options = usvg::Options { fontdb: fonts(), font_family: crate::svg::FONT.to_string(), ..usvg::Options::default() };
    let tree = usvg::Tree::from_str(&scene.shapes, &options).map_err(|e| RenderError::Svg(e.to_string()))?;
    let mut pixmap = draw(&tree, width, height)?;
    let scale = (f64::from(width) / f64::from(scene.width.max(1)), f64::from(height) / f64::from(scene.height.max(1)));
    crate::text_raster::draw_texts(&mut pixmap, &scene.texts, scale);
    match format {
        ImageFormat::Jpg => encode_jpg(&pixmap),
        _ => encode_png(&pixmap),
    }
}

/// The tree drawn on a white `width`×`height` canvas.
fn draw(tree: &usvg::Tree, width: u32, height: u32) -> Result<tiny_skia::Pixmap, RenderError> {
    let mut pixmap =
        tiny_skia::Pixmap::new(width, height).ok_or(RenderError::Size { width, height, min: crate::MIN_SIDE, max: crate::MAX_SIDE })?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let size = tree.size();
    let transform = tiny_skia::Transform::from_scale(width as f32 / size.width(), height as f32 / size.height());
    resvg::render(tree, transform, &mut pixmap.as_mut());
    Ok(pixmap)
}

fn encode_png(pixmap: &tiny_skia::Pixmap) -> Result<Vec<u8>, RenderError> {
    // The background is opaque, so premultiplied RGBA equals straight RGBA here.
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    // Charts are flat colours: fast deflate makes files a little larger and encoding several
    // times faster than the default level.
    encoder.set_compression(png::Compression::Fast);
    // One filter for every row: flat colours compress as well, without trying each filter.
    encoder.set_filter(png::FilterType::Sub);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::NonAdaptive);
    let mut writer = encoder.write_header().map_err(|e| RenderError::Encode(e.to_string()))?;
    writer.write_image_data(pixmap.data()).map_err(|e| RenderError::Encode(e.to_string()))?;
    writer.finish().map_err(|e| RenderError::Encode(e.to_string()))?;
    Ok(out)
}

fn encode_jpg(pixmap: &tiny_skia::Pixmap) -> Result<Vec<u8>, RenderError> {
    let rgb: Vec<u8> = pixmap.data().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    let mut out = Vec::new();
    let encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    let (w, h) = (u16::try_from(pixmap.width()), u16::try_from(pixmap.height()));
    let (Ok(w), Ok(h)) = (w, h) else { return Err(RenderError::Encode("JPEG sides are limited to 65535 pixels".into())) };
    encoder.encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb).map_err(|e| RenderError::Encode(e.to_string()))?;
    Ok(out)
}

/// One PDF of several pages, each an SVG (of any size) stretched over a page of
/// `page_width`×`page_height` points; text stays text.
pub fn pages_to_pdf(pages: &[String], page_width: f32, page_height: f32) -> Result<Vec<u8>, RenderError> {
    use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref};
    let options = usvg::Options { fontdb: fonts(), font_family: crate::svg::FONT.to_string(), ..usvg::Options::default() };
    let mut next = Ref::new(1);
    let catalog = next.bump();
    let tree_id = next.bump();
    let mut pdf = Pdf::new();
    let mut kids = Vec::with_capacity(pages.len());
    for svg in pages {
        let tree = usvg::Tree::from_str(svg, &options).map_err(|e| RenderError::Svg(e.to_string()))?;
        let (chunk, drawing) =
            svg2pdf::to_chunk(&tree, svg2pdf::ConversionOptions::default()).map_err(|e| RenderError::Encode(e.to_string()))?;
        let mut renumbered = std::collections::HashMap::new();
        let chunk = chunk.renumber(|old| *renumbered.entry(old).or_insert_with(|| next.bump()));
        let drawing = *renumbered.get(&drawing).ok_or_else(|| RenderError::Encode("the page's drawing was lost".into()))?;
        let (page_id, content_id) = (next.bump(), next.bump());
        let name = Name(b"P");
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, page_width, page_height));
        page.parent(tree_id);
        page.contents(content_id);
        page.resources().x_objects().pair(name, drawing);
        page.finish();
        let mut content = Content::new();
        content.transform([page_width, 0.0, 0.0, page_height, 0.0, 0.0]).x_object(name);
        pdf.stream(content_id, &content.finish());
        pdf.extend(&chunk);
        kids.push(page_id);
    }
    pdf.catalog(catalog).pages(tree_id);
    pdf.pages(tree_id).count(i32::try_from(kids.len()).unwrap_or(i32::MAX)).kids(kids);
    Ok(pdf.finish())
}
