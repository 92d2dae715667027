//! What a render task draws, gathered before anything is drawn: a chart's rows (a query, a
//! Look), or a dashboard's tiles with the rows of each. Gathering is the task's query phase;
//! drawing (off the async runtime) its render phase, which never runs a query.
//!
//! A tile whose query fails, whose chart is not drawn yet, or whose Look is gone is drawn with
//! its error in place, as Looker draws a failed tile; the dashboard still renders.

use futures_util::future::join_all;
use render::{DashboardStyle, GridPlacement, ImageFormat, Paper, Tile, TileContent};
use store::{DashboardElement, ElementKind, Placement};

use crate::lookml_dashboards::{
    filter_values, requested_values, split_id, tiles as lookml_tiles, KnownFilter, LookmlDashboardView, TileSource,
};
use crate::tasks::draw;
use crate::{Engine, EngineError, QueryBody};

/// A render task's content, ready to draw.
pub(crate) enum Drawing {
    Chart {
        result: result::ResultSet,
        chart: render::Chart,
        title: String,
    },
    /// With `paper`, a PDF is laid out on pages of that size; with `long_tables`, table tiles
    /// grow to show every row.
    Dashboard {
        title: String,
        tiles: Vec<Tile>,
        style: DashboardStyle,
        paper: Option<Paper>,
        long_tables: bool,
    },
}

impl Drawing {
    pub(crate) async fn draw(self, format: ImageFormat, width: u32, height: u32) -> Result<Vec<u8>, EngineError> {
        match self {
            Drawing::Chart { result, chart, title } => draw(result, chart, title, width, height, format).await,
            Drawing::Dashboard { title, tiles, style, paper, long_tables } => {
                tokio::task::spawn_blocking(move || match paper.filter(|_| format == ImageFormat::Pdf) {
                    Some(paper) => render::render_dashboard_pages(&title, &tiles, style, width, paper, long_tables),
                    None => render::render_dashboard(&title, &tiles, style, width, height, format, long_tables),
                })
                .await
                .map_err(|e| EngineError::Internal(e.to_string()))?
                .map_err(EngineError::from)
            }
        }
    }
}

/// A task's `pdf_paper` (`a4`, `a4 landscape`) as a page size.
pub(crate) fn paper_of(pdf_paper: Option<&str>) -> Option<Paper> {
    let text = pdf_paper?;
    let (name, landscape) = match text.split_once(' ') {
        Some((name, turn)) => (name, turn == "landscape"),
        None => (text, false),
    };
    Paper::named(name, landscape)
}

/// Whom a drawing is for: their id (their user attributes apply to its queries) and what their
/// roles give, read once for the whole drawing.
pub(crate) struct Reader {
    pub id: i64,
    pub grants: store::Grants,
}

/// A dashboard filter and its value (`None` when it has none). A chart that lists the filters
/// it listens to (`result_maker.filterables`) takes the value on the field each listen names; a
/// chart that does not takes a field filter's value on its `field` when it is of the filter's
/// `model` and `explore`.
pub(crate) struct AppliedFilter {
    name: String,
    /// A field filter's field: (model, explore, field).
    field: Option<(String, String, String)>,
    value: Option<String>,
}

/// Grid units of a placement stored with any integers, as the composer takes them.
fn grid(p: Placement) -> GridPlacement {
    let unit = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
    GridPlacement { row: unit(p.row), column: unit(p.column), width: unit(p.width), height: unit(p.height) }
}

impl Engine {
    /// A query's chart, titled `title` (a Look's, an element's) or by the query.
    pub(crate) async fn query_drawing(&self, query_id: i64, title: Option<String>, user: &Reader) -> Result<Drawing, EngineError> {
        let (result, chart, title) = self.chart(query_id, title, user).await?;
        Ok(Drawing::Chart { result, chart, title })
    }

    /// The rows, chart and title of a saved query's chart.
    async fn chart(
        &self,
        query_id: i64,
        title: Option<String>,
        user: &Reader,
    ) -> Result<(result::ResultSet, render::Chart, String), EngineError> {
        let query = self.saved_query(query_id).await?;
        self.chart_of_body(&query, title, user).await
    }

    async fn chart_of_body(
        &self,
        query: &QueryBody,
        title: Option<String>,
        user: &Reader,
    ) -> Result<(result::ResultSet, render::Chart, String), EngineError> {
        // Checked when drawn, not only when asked for: a dashboard's tiles span models, and a
        // role may change while a render task waits.
        if !user.grants.has_on(store::Permission::AccessData, &query.model) {
            return Err(EngineError::Forbidden(format!(
                "you may not query model `{}`: none of your roles gives `access_data` on it",
                query.model
            )));
        }
        let (chart, own_title) = self.chart_of(query)?;
        let result = self.chart_rows(query, None, Some(user.id)).await?;
        Ok((result, chart, title.unwrap_or(own_title)))
    }

    /// The LookML dashboard `id` (`model::name`) and its model's name, or a not-found error.
    pub fn lookml_dashboard(&self, id: &str) -> Result<(&str, &lookml::LookmlDashboard), EngineError> {
        let missing = || EngineError::NotFound { what: "dashboard", id: id.to_string() };
        let (model, name) = split_id(id).ok_or_else(missing)?;
        let model = self.catalog().models.get(model).ok_or_else(missing)?;
        let dashboard = model.dashboards.get(name).ok_or_else(missing)?;
        Ok((model.name.as_str(), dashboard))
    }

    /// A LookML dashboard as it shows with its filters' defaults: its model, the dashboard, and
    /// each element (in the file's order) placed with what it shows.
    pub fn lookml_dashboard_tiles(&self, id: &str) -> Result<LookmlDashboardView<'_>, EngineError> {
        let (model, dashboard) = self.lookml_dashboard(id)?;
        let values = filter_values(dashboard, "")?;
        Ok(LookmlDashboardView { model, dashboard, tiles: lookml_tiles(model, dashboard, &values) })
    }

    /// Checks a LookML dashboard render request: the dashboard exists and every filter named
    /// in `filters` (URL query form) is one of its filters.
    pub fn check_lookml_dashboard(&self, id: &str, filters: &str) -> Result<(), EngineError> {
        let (_, dashboard) = self.lookml_dashboard(id)?;
        filter_values(dashboard, filters).map(|_| ())
    }

    /// A LookML dashboard's tiles, each element's query run (together) with the filter values.
    pub(crate) async fn lookml_dashboard_drawing(
        &self,
        id: &str,
        style: DashboardStyle,
        filters: &str,
        paper: Option<Paper>,
        user: &Reader,
    ) -> Result<Drawing, EngineError> {
        let (model, dashboard) = self.lookml_dashboard(id)?;
        let values = filter_values(dashboard, filters)?;
        let sources = lookml_tiles(model, dashboard, &values);
        let tiles = join_all(sources.into_iter().map(|(placement, source)| async move {
            let content = match source {
                TileSource::Text { title, subtitle, body } => TileContent::Text { title, subtitle, body },
                TileSource::Invalid { title, message } => TileContent::Failed { title, message },
                TileSource::Query { query, title } => match self.chart_of_body(&query, Some(title.clone()), user).await {
                    Ok((result, chart, title)) => TileContent::Chart { result, chart, title },
                    Err(e) => TileContent::Failed { title, message: e.to_string() },
                },
            };
            Tile { placement, content }
        }))
        .await;
        let title = dashboard.title.clone().unwrap_or_else(|| dashboard.dashboard.clone());
        Ok(Drawing::Dashboard { title, tiles, style, paper, long_tables: false })
    }

    /// Every element of dashboard `id` placed by its active layout, their queries run together.
    pub(crate) async fn dashboard_drawing(
        &self,
        id: i64,
        style: DashboardStyle,
        filters: &str,
        paper: Option<Paper>,
        user: &Reader,
    ) -> Result<Drawing, EngineError> {
        let store = self.store();
        let dashboard = store.dashboard(id).await?.ok_or_else(|| EngineError::NotFound { what: "dashboard", id: id.to_string() })?;
        let elements = store.dashboard_elements(id).await?;
        let layouts = store.dashboard_layouts(id).await?;
        let components = match layouts.iter().find(|l| l.active).or(layouts.first()) {
            Some(layout) => store.layout_components(layout.id).await?,
            None => Vec::new(),
        };
        let placed: Vec<(&DashboardElement, Placement)> =
            elements.iter().filter_map(|e| components.iter().find(|c| c.dashboard_element_id == e.id).map(|c| (e, c.placement))).collect();
        let applied = self.applied_filters(id, filters).await?;
        let applied = &applied;
        let tiles = join_all(placed.into_iter().map(|(element, placement)| async move {
            Tile { placement: grid(placement), content: self.tile_content(element, applied, user).await }
        }))
        .await;
        Ok(Drawing::Dashboard { title: dashboard.title, tiles, style, paper, long_tables: false })
    }

    /// Checks a dashboard render request's filters: each names a filter of the dashboard.
    pub async fn check_dashboard_filters(&self, id: i64, filters: &str) -> Result<(), EngineError> {
        self.applied_filters(id, filters).await.map(|_| ())
    }

    /// The dashboard's filters with a value (the request's, else the default), each as the
    /// field of an explore it sets.
    async fn applied_filters(&self, id: i64, requested: &str) -> Result<Vec<AppliedFilter>, EngineError> {
        let dashboard_filters = self.store().dashboard_filters(id).await?;
        let known: Vec<KnownFilter<'_>> = dashboard_filters
            .iter()
            .map(|f| KnownFilter { name: &f.fields.name, title: Some(&f.fields.title), default: f.fields.default_value.as_deref() })
            .collect();
        let values = requested_values(&id.to_string(), &known, requested)?;
        if let Some(f) = dashboard_filters.iter().find(|f| f.fields.required && values.get(&f.fields.name).is_none_or(|v| v.is_empty())) {
            return Err(EngineError::Invalid {
                field: "dashboard_filters",
                message: format!("the dashboard's filter `{}` is required: give it a value", f.fields.name),
            });
        }
        Ok(dashboard_filters
            .iter()
            .map(|f| {
                let field = match (&f.fields.model, &f.fields.explore, &f.fields.dimension) {
                    (Some(m), Some(e), Some(d)) if f.fields.kind == "field_filter" => Some((m.clone(), e.clone(), d.clone())),
                    _ => None,
                };
                AppliedFilter { name: f.fields.name.clone(), field, value: values.get(&f.fields.name).filter(|v| !v.is_empty()).cloned() }
            })
            .collect())
    }

    /// One dashboard element alone: a chart as the whole image, text as one tile filling it.
    pub(crate) async fn element_drawing(&self, id: i64, user: &Reader) -> Result<Drawing, EngineError> {
        let element = self
            .store()
            .dashboard_element(id)
            .await?
            .ok_or_else(|| EngineError::NotFound { what: "dashboard element", id: id.to_string() })?;
        let applied = self.applied_filters(element.dashboard_id, "").await?;
        if element.fields.kind == ElementKind::Vis {
            let (result, chart, title) = self.element_chart(&element, &applied, user).await?;
            return Ok(Drawing::Chart { result, chart, title });
        }
        let content = self.tile_content(&element, &applied, user).await;
        let whole = GridPlacement { row: 0, column: 0, width: render::GRID_COLUMNS, height: 1 };
        Ok(Drawing::Dashboard {
            title: String::new(),
            tiles: vec![Tile { placement: whole, content }],
            style: DashboardStyle::SingleColumn,
            paper: None,
            long_tables: false,
        })
    }

    /// The query a chart element draws and the title it carries (its own, else its Look's; an
    /// empty one when hidden; none, so the query's, when it has neither).
    async fn element_query(&self, element: &DashboardElement) -> Result<(i64, Option<String>), EngineError> {
        let fields = &element.fields;
        let look = match fields.look_id {
            Some(id) => Some(self.store().look(id).await?.ok_or_else(|| EngineError::NotFound { what: "Look", id: id.to_string() })?),
            None => None,
        };
        let query_id = fields.query_id.or(look.as_ref().map(|l| l.query_id)).ok_or_else(|| EngineError::Invalid {
            field: "dashboard_element",
            message: format!("dashboard element {} draws nothing: its Look was deleted", element.id),
        })?;
        let title = if fields.title_hidden { Some(String::new()) } else { fields.title.clone().or(look.map(|l| l.title)) };
        Ok((query_id, title))
    }

    /// A chart element's chart, the dashboard's filters on its explore applied (they replace the
    /// query's own filter on the same field, as Looker's do).
    async fn element_chart(
        &self,
        element: &DashboardElement,
        applied: &[AppliedFilter],
        user: &Reader,
    ) -> Result<(result::ResultSet, render::Chart, String), EngineError> {
        let (query_id, title) = self.element_query(element).await?;
        let mut query = self.saved_query(query_id).await?;
        let mut set = Vec::new();
        match &element.fields.filterables {
            Some(filterables) => {
                let listens = filterables.iter().filter(|f| f.model == query.model && f.view == query.view).flat_map(|f| &f.listen);
                for listen in listens {
                    let filter = applied.iter().find(|a| a.name == listen.dashboard_filter_name).ok_or_else(|| EngineError::Invalid {
                        field: "result_maker",
                        message: format!(
                            "the chart listens to dashboard filter `{}`, which the dashboard does not have",
                            listen.dashboard_filter_name
                        ),
                    })?;
                    if let Some(value) = &filter.value {
                        set.push((listen.field.clone(), value.clone()));
                    }
                }
            }
            None => {
                for f in applied {
                    if let (Some((model, explore, field)), Some(value)) = (&f.field, &f.value) {
                        if *model == query.model && *explore == query.view {
                            set.push((field.clone(), value.clone()));
                        }
                    }
                }
            }
        }
        for (field, value) in set {
            query.filters.get_or_insert_with(Default::default).insert(field, serde_json::Value::String(value));
        }
        self.chart_of_body(&query, title, user).await
    }

    async fn tile_content(&self, element: &DashboardElement, applied: &[AppliedFilter], user: &Reader) -> TileContent {
        let fields = &element.fields;
        match fields.kind {
            ElementKind::Text => TileContent::Text {
                title: fields.title_text.clone().unwrap_or_default(),
                subtitle: fields.subtitle_text.clone().unwrap_or_default(),
                body: fields.body_text.clone().unwrap_or_default(),
            },
            ElementKind::Vis => match self.element_chart(element, applied, user).await {
                Ok((result, chart, title)) => TileContent::Chart { result, chart, title },
                Err(e) => TileContent::Failed { title: fields.title.clone().unwrap_or_default(), message: e.to_string() },
            },
        }
    }
}
