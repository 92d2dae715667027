//! Dashboards: a title in a folder, with elements (tiles: a query's or a Look's chart, or text)
//! placed by the components of a layout on Looker's 24-column grid. A dashboard is made with one
//! active `newspaper` layout; an element added gets a component in each layout of its dashboard,
//! below what is there. Deleting a dashboard deletes its elements, layouts and components.

use crate::db::{on_pool, Columns};
use crate::search::ContentSearch;
use crate::{now_text, Store, StoreError};

/// Columns of Looker's dashboard grid.
pub const GRID_COLUMNS: i64 = 24;

#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    pub id: i64,
    pub title: String,
    pub description: Option<String>,
    pub folder_id: i64,
    pub user_id: i64,
    pub deleted: bool,
    pub deleted_at: Option<String>,
    pub deleter_id: Option<i64>,
    pub last_updater_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewDashboard {
    pub title: String,
    pub description: Option<String>,
    pub folder_id: i64,
    pub user_id: i64,
}

/// What an update sets; `None` leaves a value as it is (`description: Some(None)` clears it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DashboardChange {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub folder_id: Option<i64>,
    pub user_id: Option<i64>,
    pub deleted: Option<bool>,
}

/// Looker's element `type`s drawn here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementKind {
    /// A chart of `query_id`, or of Look `look_id`'s query.
    Vis,
    /// `title_text`, `subtitle_text` and `body_text` (markdown).
    Text,
}

impl ElementKind {
    pub fn parse(name: &str) -> Option<ElementKind> {
        match name {
            "vis" => Some(ElementKind::Vis),
            "text" => Some(ElementKind::Text),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ElementKind::Vis => "vis",
            ElementKind::Text => "text",
        }
    }
}

/// An element's own fields, as created or as an update leaves them.
#[derive(Debug, Clone, PartialEq)]
pub struct ElementFields {
    pub kind: ElementKind,
    pub title: Option<String>,
    pub title_hidden: bool,
    pub title_text: Option<String>,
    pub subtitle_text: Option<String>,
    pub body_text: Option<String>,
    pub query_id: Option<i64>,
    pub look_id: Option<i64>,
    /// The dashboard filters the chart listens to (Looker's `result_maker.filterables`); `None`
    /// when the element never said, and each field filter applies to the charts of its explore.
    pub filterables: Option<Vec<Filterable>>,
}

/// An explore a chart's query reads, and the dashboard filters that set its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filterable {
    pub model: String,
    pub view: String,
    pub name: Option<String>,
    pub listen: Vec<Listen>,
}

/// A dashboard filter (by name) setting a field of the chart's query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    pub dashboard_filter_name: String,
    pub field: String,
}

fn filterables_json(filterables: &Option<Vec<Filterable>>) -> Option<String> {
    filterables.as_ref().map(|all| {
        let list: Vec<serde_json::Value> = all
            .iter()
            .map(|f| {
                let listen: Vec<serde_json::Value> = f
                    .listen
                    .iter()
                    .map(|l| serde_json::json!({"dashboard_filter_name": l.dashboard_filter_name, "field": l.field}))
                    .collect();
                serde_json::json!({"model": f.model, "view": f.view, "name": f.name, "listen": listen})
            })
            .collect();
        serde_json::Value::Array(list).to_string()
    })
}

fn filterables_of(text: Option<String>) -> Result<Option<Vec<Filterable>>, StoreError> {
    let Some(text) = text else { return Ok(None) };
    let unreadable = || StoreError::Unreadable(format!("a dashboard element's filterables are not readable: {text}"));
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|_| unreadable())?;
    let text_of = |v: &serde_json::Value, key: &str| v.get(key).and_then(serde_json::Value::as_str).map(str::to_string);
    let mut out = Vec::new();
    for f in value.as_array().ok_or_else(unreadable)? {
        let mut listen = Vec::new();
        for l in f.get("listen").and_then(serde_json::Value::as_array).into_iter().flatten() {
            listen.push(Listen {
                dashboard_filter_name: text_of(l, "dashboard_filter_name").ok_or_else(unreadable)?,
                field: text_of(l, "field").ok_or_else(unreadable)?,
            });
        }
        out.push(Filterable {
            model: text_of(f, "model").ok_or_else(unreadable)?,
            view: text_of(f, "view").ok_or_else(unreadable)?,
            name: text_of(f, "name"),
            listen,
        });
    }
    Ok(Some(out))
}

#[derive(Debug, Clone, PartialEq)]
pub struct DashboardElement {
    pub id: i64,
    pub dashboard_id: i64,
    pub fields: ElementFields,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DashboardLayout {
    pub id: i64,
    pub dashboard_id: i64,
    /// `newspaper`.
    pub kind: String,
    pub active: bool,
}

/// Where an element sits in a layout, in grid units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub row: i64,
    pub column: i64,
    pub width: i64,
    pub height: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LayoutComponent {
    pub id: i64,
    pub dashboard_layout_id: i64,
    pub dashboard_element_id: i64,
    pub placement: Placement,
}

/// The size a new element gets: a chart a third of the grid wide, text the whole width.
fn default_size(kind: ElementKind) -> (i64, i64) {
    match kind {
        ElementKind::Vis => (8, 6),
        ElementKind::Text => (GRID_COLUMNS, 2),
    }
}

const DASHBOARD_COLUMNS: &str =
    "id, title, description, folder_id, user_id, deleted, deleted_at, deleter_id, last_updater_id, created_at, updated_at";
const ELEMENT_COLUMNS: &str =
    "id, dashboard_id, kind, title, title_hidden, title_text, subtitle_text, body_text, query_id, look_id, filterables";
const COMPONENT_COLUMNS: &str = "id, dashboard_layout_id, dashboard_element_id, grid_row, grid_column, grid_width, grid_height";

fn dashboard(r: &dyn Columns) -> Result<Dashboard, StoreError> {
    Ok(Dashboard {
        id: r.int("id")?,
        title: r.text("title")?,
        description: r.text_or_null("description")?,
        folder_id: r.int("folder_id")?,
        user_id: r.int("user_id")?,
        deleted: r.flag("deleted")?,
        deleted_at: r.text_or_null("deleted_at")?,
        deleter_id: r.int_or_null("deleter_id")?,
        last_updater_id: r.int_or_null("last_updater_id")?,
        created_at: r.text("created_at")?,
        updated_at: r.text("updated_at")?,
    })
}

fn element(r: &dyn Columns) -> Result<DashboardElement, StoreError> {
    let kind = r.text("kind")?;
    Ok(DashboardElement {
        id: r.int("id")?,
        dashboard_id: r.int("dashboard_id")?,
        fields: ElementFields {
            kind: ElementKind::parse(&kind).ok_or_else(|| StoreError::Unreadable(format!("unknown dashboard element type `{kind}`")))?,
            title: r.text_or_null("title")?,
            title_hidden: r.flag("title_hidden")?,
            title_text: r.text_or_null("title_text")?,
            subtitle_text: r.text_or_null("subtitle_text")?,
            body_text: r.text_or_null("body_text")?,
            query_id: r.int_or_null("query_id")?,
            look_id: r.int_or_null("look_id")?,
            filterables: filterables_of(r.text_or_null("filterables")?)?,
        },
    })
}

fn layout(r: &dyn Columns) -> Result<DashboardLayout, StoreError> {
    Ok(DashboardLayout { id: r.int("id")?, dashboard_id: r.int("dashboard_id")?, kind: r.text("kind")?, active: r.flag("active")? })
}

fn component(r: &dyn Columns) -> Result<LayoutComponent, StoreError> {
    Ok(LayoutComponent {
        id: r.int("id")?,
        dashboard_layout_id: r.int("dashboard_layout_id")?,
        dashboard_element_id: r.int("dashboard_element_id")?,
        placement: Placement {
            row: r.int("grid_row")?,
            column: r.int("grid_column")?,
            width: r.int("grid_width")?,
            height: r.int("grid_height")?,
        },
    })
}

impl Store {
    /// Makes a dashboard and its layout.
    pub async fn create_dashboard(&self, new: &NewDashboard) -> Result<Dashboard, StoreError> {
        let now = now_text();
        let insert = "INSERT INTO dashboards (title, description, folder_id, user_id, last_updater_id, created_at, updated_at) \
                      VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id";
        let id: i64 = on_pool!(self, insert, |p, sql| sqlx::query_scalar(sql)
            .bind(&new.title)
            .bind(&new.description)
            .bind(new.folder_id)
            .bind(new.user_id)
            .bind(new.user_id)
            .bind(&now)
            .bind(&now)
            .fetch_one(p)
            .await?);
        let insert = "INSERT INTO dashboard_layouts (dashboard_id, kind, active, created_at) VALUES (?, 'newspaper', ?, ?)";
        on_pool!(self, insert, |p, sql| sqlx::query(sql).bind(id).bind(true).bind(&now).execute(p).await?.rows_affected());
        Ok(self.dashboard(id).await?.ok_or(sqlx::Error::RowNotFound)?)
    }

    /// A dashboard by id, deleted (in the trash) or not.
    pub async fn dashboard(&self, id: i64) -> Result<Option<Dashboard>, StoreError> {
        let select = format!("SELECT {DASHBOARD_COLUMNS} FROM dashboards WHERE id = ?");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql).bind(id).fetch_optional(p).await?.map(|r| dashboard(&r)).transpose()?))
    }

    /// Dashboards found by `search` (`query_ids` must be empty: dashboards have none).
    pub async fn search_dashboards(&self, search: &ContentSearch) -> Result<Vec<Dashboard>, StoreError> {
        self.search_content(search, "dashboards", DASHBOARD_COLUMNS, dashboard).await
    }

    /// Applies `change` on behalf of `updater`; the dashboard after, `None` if there is none.
    pub async fn update_dashboard(&self, id: i64, change: &DashboardChange, updater: i64) -> Result<Option<Dashboard>, StoreError> {
        let Some(mut d) = self.dashboard(id).await? else { return Ok(None) };
        let now = now_text();
        if let Some(title) = &change.title {
            d.title.clone_from(title);
        }
        if let Some(description) = &change.description {
            d.description.clone_from(description);
        }
        d.folder_id = change.folder_id.unwrap_or(d.folder_id);
        d.user_id = change.user_id.unwrap_or(d.user_id);
        match change.deleted {
            Some(true) if !d.deleted => (d.deleted, d.deleted_at, d.deleter_id) = (true, Some(now.clone()), Some(updater)),
            Some(false) if d.deleted => (d.deleted, d.deleted_at, d.deleter_id) = (false, None, None),
            _ => {}
        }
        let update = "UPDATE dashboards SET title = ?, description = ?, folder_id = ?, user_id = ?, deleted = ?, deleted_at = ?, \
                      deleter_id = ?, last_updater_id = ?, updated_at = ? WHERE id = ?";
        on_pool!(self, update, |p, sql| sqlx::query(sql)
            .bind(&d.title)
            .bind(&d.description)
            .bind(d.folder_id)
            .bind(d.user_id)
            .bind(d.deleted)
            .bind(&d.deleted_at)
            .bind(d.deleter_id)
            .bind(updater)
            .bind(&now)
            .bind(id)
            .execute(p)
            .await?
            .rows_affected());
        self.dashboard(id).await
    }

    /// Removes a dashboard with its elements, layouts and components; false if there was none.
    pub async fn delete_dashboard(&self, id: i64) -> Result<bool, StoreError> {
        let deleted =
            on_pool!(self, "DELETE FROM dashboards WHERE id = ?", |p, sql| sqlx::query(sql).bind(id).execute(p).await?.rows_affected());
        Ok(deleted > 0)
    }

    /// Adds an element to a dashboard, placed below everything in each of its layouts.
    pub async fn create_dashboard_element(&self, dashboard_id: i64, fields: &ElementFields) -> Result<DashboardElement, StoreError> {
        let insert = "INSERT INTO dashboard_elements (dashboard_id, kind, title, title_hidden, title_text, subtitle_text, body_text, \
                      query_id, look_id, filterables, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
        let id: i64 = on_pool!(self, insert, |p, sql| sqlx::query_scalar(sql)
            .bind(dashboard_id)
            .bind(fields.kind.name())
            .bind(&fields.title)
            .bind(fields.title_hidden)
            .bind(&fields.title_text)
            .bind(&fields.subtitle_text)
            .bind(&fields.body_text)
            .bind(fields.query_id)
            .bind(fields.look_id)
            .bind(filterables_json(&fields.filterables))
            .bind(now_text())
            .fetch_one(p)
            .await?);
        let (width, height) = default_size(fields.kind);
        for layout in self.dashboard_layouts(dashboard_id).await? {
            let bottom = "SELECT COALESCE(MAX(grid_row + grid_height), 0) FROM dashboard_layout_components WHERE dashboard_layout_id = ?";
            let row: i64 = on_pool!(self, bottom, |p, sql| sqlx::query_scalar(sql).bind(layout.id).fetch_one(p).await?);
            let insert = "INSERT INTO dashboard_layout_components (dashboard_layout_id, dashboard_element_id, grid_row, grid_column, \
                          grid_width, grid_height) VALUES (?, ?, ?, 0, ?, ?)";
            on_pool!(self, insert, |p, sql| sqlx::query(sql)
                .bind(layout.id)
                .bind(id)
                .bind(row)
                .bind(width)
                .bind(height)
                .execute(p)
                .await?
                .rows_affected());
        }
        Ok(self.dashboard_element(id).await?.ok_or(sqlx::Error::RowNotFound)?)
    }

    pub async fn dashboard_element(&self, id: i64) -> Result<Option<DashboardElement>, StoreError> {
        let select = format!("SELECT {ELEMENT_COLUMNS} FROM dashboard_elements WHERE id = ?");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql).bind(id).fetch_optional(p).await?.map(|r| element(&r)).transpose()?))
    }

    /// A dashboard's elements, in the order they were added.
    pub async fn dashboard_elements(&self, dashboard_id: i64) -> Result<Vec<DashboardElement>, StoreError> {
        let select = format!("SELECT {ELEMENT_COLUMNS} FROM dashboard_elements WHERE dashboard_id = ? ORDER BY id");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql)
            .bind(dashboard_id)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| element(r))
            .collect::<Result<Vec<_>, _>>()?))
    }

    /// Replaces an element's fields; the element after, `None` if there is none.
    pub async fn update_dashboard_element(&self, id: i64, fields: &ElementFields) -> Result<Option<DashboardElement>, StoreError> {
        let update = "UPDATE dashboard_elements SET kind = ?, title = ?, title_hidden = ?, title_text = ?, subtitle_text = ?, \
                      body_text = ?, query_id = ?, look_id = ?, filterables = ? WHERE id = ?";
        on_pool!(self, update, |p, sql| sqlx::query(sql)
            .bind(fields.kind.name())
            .bind(&fields.title)
            .bind(fields.title_hidden)
            .bind(&fields.title_text)
            .bind(&fields.subtitle_text)
            .bind(&fields.body_text)
            .bind(fields.query_id)
            .bind(fields.look_id)
            .bind(filterables_json(&fields.filterables))
            .bind(id)
            .execute(p)
            .await?
            .rows_affected());
        self.dashboard_element(id).await
    }

    /// Removes an element and its layout components; false if there was none.
    pub async fn delete_dashboard_element(&self, id: i64) -> Result<bool, StoreError> {
        let deleted = on_pool!(self, "DELETE FROM dashboard_elements WHERE id = ?", |p, sql| sqlx::query(sql)
            .bind(id)
            .execute(p)
            .await?
            .rows_affected());
        Ok(deleted > 0)
    }

    pub async fn dashboard_layouts(&self, dashboard_id: i64) -> Result<Vec<DashboardLayout>, StoreError> {
        let select = "SELECT id, dashboard_id, kind, active FROM dashboard_layouts WHERE dashboard_id = ? ORDER BY id";
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql)
            .bind(dashboard_id)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| layout(r))
            .collect::<Result<Vec<_>, _>>()?))
    }

    pub async fn dashboard_layout(&self, id: i64) -> Result<Option<DashboardLayout>, StoreError> {
        let select = "SELECT id, dashboard_id, kind, active FROM dashboard_layouts WHERE id = ?";
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql).bind(id).fetch_optional(p).await?.map(|r| layout(&r)).transpose()?))
    }

    /// A layout's components, by id.
    pub async fn layout_components(&self, layout_id: i64) -> Result<Vec<LayoutComponent>, StoreError> {
        let select = format!("SELECT {COMPONENT_COLUMNS} FROM dashboard_layout_components WHERE dashboard_layout_id = ? ORDER BY id");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql)
            .bind(layout_id)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| component(r))
            .collect::<Result<Vec<_>, _>>()?))
    }

    pub async fn layout_component(&self, id: i64) -> Result<Option<LayoutComponent>, StoreError> {
        let select = format!("SELECT {COMPONENT_COLUMNS} FROM dashboard_layout_components WHERE id = ?");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql).bind(id).fetch_optional(p).await?.map(|r| component(&r)).transpose()?))
    }

    /// Moves or resizes a component; the component after, `None` if there is none.
    pub async fn place_layout_component(&self, id: i64, placement: Placement) -> Result<Option<LayoutComponent>, StoreError> {
        let update = "UPDATE dashboard_layout_components SET grid_row = ?, grid_column = ?, grid_width = ?, grid_height = ? WHERE id = ?";
        on_pool!(self, update, |p, sql| sqlx::query(sql)
            .bind(placement.row)
            .bind(placement.column)
            .bind(placement.width)
            .bind(placement.height)
            .bind(id)
            .execute(p)
            .await?
            .rows_affected());
        self.layout_component(id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vis(query_id: i64) -> ElementFields {
        ElementFields {
            kind: ElementKind::Vis,
            title: Some("Orders".into()),
            title_hidden: false,
            title_text: None,
            subtitle_text: None,
            body_text: None,
            query_id: Some(query_id),
            look_id: None,
            filterables: None,
        }
    }

    async fn dashboards_hold_placed_elements(store: Store) {
        let (store, user, query) = crate::test_setup(store).await;
        let new = NewDashboard { title: "Sales".into(), description: None, folder_id: crate::SHARED_FOLDER_ID, user_id: user };
        let d = store.create_dashboard(&new).await.unwrap();
        let layouts = store.dashboard_layouts(d.id).await.unwrap();
        assert_eq!(layouts.len(), 1);
        assert!(layouts[0].active && layouts[0].kind == "newspaper");

        let first = store.create_dashboard_element(d.id, &vis(query)).await.unwrap();
        let text = ElementFields { kind: ElementKind::Text, body_text: Some("# Notes".into()), query_id: None, ..vis(query) };
        let second = store.create_dashboard_element(d.id, &text).await.unwrap();
        assert_eq!(store.dashboard_elements(d.id).await.unwrap().iter().map(|e| e.id).collect::<Vec<_>>(), [first.id, second.id]);
        let components = store.layout_components(layouts[0].id).await.unwrap();
        let placed: Vec<(i64, Placement)> = components.iter().map(|c| (c.dashboard_element_id, c.placement)).collect();
        assert_eq!(
            placed,
            [
                (first.id, Placement { row: 0, column: 0, width: 8, height: 6 }),
                (second.id, Placement { row: 6, column: 0, width: 24, height: 2 })
            ],
            "each new element goes below the others"
        );
        let moved = Placement { row: 0, column: 8, width: 16, height: 6 };
        assert_eq!(store.place_layout_component(components[1].id, moved).await.unwrap().map(|c| c.placement), Some(moved));

        let listening = vec![Filterable {
            model: "thelook".into(),
            view: "orders".into(),
            name: None,
            listen: vec![Listen { dashboard_filter_name: "Status".into(), field: "orders.status".into() }],
        }];
        let changed = ElementFields { title: Some("Renamed".into()), filterables: Some(listening), ..first.fields.clone() };
        let updated = store.update_dashboard_element(first.id, &changed).await.unwrap().expect("element");
        assert_eq!(updated.fields, changed, "title and filterables read back");
        assert!(store.delete_dashboard_element(first.id).await.unwrap());
        assert_eq!(store.layout_components(layouts[0].id).await.unwrap().len(), 1, "its component goes with it");

        let trashed = store.update_dashboard(d.id, &DashboardChange { deleted: Some(true), ..Default::default() }, user).await.unwrap();
        assert!(trashed.is_some_and(|t| t.deleted && t.deleter_id == Some(user)));
        assert!(store.search_dashboards(&ContentSearch::default()).await.unwrap().is_empty());
        assert!(store.delete_dashboard(d.id).await.unwrap());
        assert_eq!(store.dashboard_element(second.id).await.unwrap(), None, "elements go with their dashboard");
        assert!(store.dashboard_layouts(d.id).await.unwrap().is_empty());
        assert_eq!(store.layout_component(components[1].id).await.unwrap(), None);
    }

    crate::on_both_databases!(dashboards_hold_placed_elements);
}
