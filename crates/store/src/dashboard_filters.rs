//! Dashboard filters: a `field_filter` on a dimension of a model's explore, with a default
//! value, applied when the dashboard is drawn to its charts of that explore. A name is unique
//! within its dashboard.

use crate::db::{on_pool, Columns};
use crate::{Store, StoreError};

/// A filter's own fields, as created or as an update leaves them.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterFields {
    pub name: String,
    pub title: String,
    /// Looker's filter `type` (`field_filter`).
    pub kind: String,
    pub default_value: Option<String>,
    pub model: Option<String>,
    pub explore: Option<String>,
    pub dimension: Option<String>,
    pub row: Option<i64>,
    pub listens_to_filters: Vec<String>,
    pub allow_multiple_values: bool,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DashboardFilter {
    pub id: i64,
    pub dashboard_id: i64,
    pub fields: FilterFields,
}

const FILTER_COLUMNS: &str = "id, dashboard_id, name, title, kind, default_value, model, explore, dimension, grid_row, \
                              listens_to_filters, allow_multiple_values, required";

fn filter(r: &dyn Columns) -> Result<DashboardFilter, StoreError> {
    let listens = r.text("listens_to_filters")?;
    Ok(DashboardFilter {
        id: r.int("id")?,
        dashboard_id: r.int("dashboard_id")?,
        fields: FilterFields {
            name: r.text("name")?,
            title: r.text("title")?,
            kind: r.text("kind")?,
            default_value: r.text_or_null("default_value")?,
            model: r.text_or_null("model")?,
            explore: r.text_or_null("explore")?,
            dimension: r.text_or_null("dimension")?,
            row: r.int_or_null("grid_row")?,
            listens_to_filters: serde_json::from_str(&listens)
                .map_err(|e| StoreError::Unreadable(format!("listens_to_filters of dashboard filter: {e}")))?,
            allow_multiple_values: r.flag("allow_multiple_values")?,
            required: r.flag("required")?,
        },
    })
}

fn listens_json(fields: &FilterFields) -> String {
    serde_json::to_string(&fields.listens_to_filters).unwrap_or_else(|_| "[]".into())
}

impl Store {
    pub async fn create_dashboard_filter(&self, dashboard_id: i64, f: &FilterFields) -> Result<DashboardFilter, StoreError> {
        let insert = "INSERT INTO dashboard_filters (dashboard_id, name, title, kind, default_value, model, explore, dimension, grid_row, \
                      listens_to_filters, allow_multiple_values, required) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
        let id: i64 = on_pool!(self, insert, |p, sql| sqlx::query_scalar(sql)
            .bind(dashboard_id)
            .bind(&f.name)
            .bind(&f.title)
            .bind(&f.kind)
            .bind(&f.default_value)
            .bind(&f.model)
            .bind(&f.explore)
            .bind(&f.dimension)
            .bind(f.row)
            .bind(listens_json(f))
            .bind(f.allow_multiple_values)
            .bind(f.required)
            .fetch_one(p)
            .await?);
        Ok(self.dashboard_filter(id).await?.ok_or(sqlx::Error::RowNotFound)?)
    }

    pub async fn dashboard_filter(&self, id: i64) -> Result<Option<DashboardFilter>, StoreError> {
        let select = format!("SELECT {FILTER_COLUMNS} FROM dashboard_filters WHERE id = ?");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql).bind(id).fetch_optional(p).await?.map(|r| filter(&r)).transpose()?))
    }

    /// A dashboard's filters, in the order they were made.
    pub async fn dashboard_filters(&self, dashboard_id: i64) -> Result<Vec<DashboardFilter>, StoreError> {
        let select = format!("SELECT {FILTER_COLUMNS} FROM dashboard_filters WHERE dashboard_id = ? ORDER BY id");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql)
            .bind(dashboard_id)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| filter(r))
            .collect::<Result<Vec<_>, _>>()?))
    }

    /// Replaces a filter's fields; the filter after, `None` if there is none.
    pub async fn update_dashboard_filter(&self, id: i64, f: &FilterFields) -> Result<Option<DashboardFilter>, StoreError> {
        let update =
            "UPDATE dashboard_filters SET name = ?, title = ?, kind = ?, default_value = ?, model = ?, explore = ?, dimension = ?, \
                      grid_row = ?, listens_to_filters = ?, allow_multiple_values = ?, required = ? WHERE id = ?";
        on_pool!(self, update, |p, sql| sqlx::query(sql)
            .bind(&f.name)
            .bind(&f.title)
            .bind(&f.kind)
            .bind(&f.default_value)
            .bind(&f.model)
            .bind(&f.explore)
            .bind(&f.dimension)
            .bind(f.row)
            .bind(listens_json(f))
            .bind(f.allow_multiple_values)
            .bind(f.required)
            .bind(id)
            .execute(p)
            .await?
            .rows_affected());
        self.dashboard_filter(id).await
    }

    /// Removes a filter; false if there was none.
    pub async fn delete_dashboard_filter(&self, id: i64) -> Result<bool, StoreError> {
        let deleted = on_pool!(self, "DELETE FROM dashboard_filters WHERE id = ?", |p, sql| sqlx::query(sql)
            .bind(id)
            .execute(p)
            .await?
            .rows_affected());
        Ok(deleted > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn filters_are_kept_per_dashboard_by_name(store: Store) {
        let (store, user, _) = crate::test_setup(store).await;
        let new = crate::NewDashboard { title: "D".into(), description: None, folder_id: crate::SHARED_FOLDER_ID, user_id: user };
        let d = store.create_dashboard(&new).await.unwrap();
        let fields = FilterFields {
            name: "Status".into(),
            title: "Order status".into(),
            kind: "field_filter".into(),
            default_value: Some("complete".into()),
            model: Some("thelook".into()),
            explore: Some("orders".into()),
            dimension: Some("orders.status".into()),
            row: None,
            listens_to_filters: vec!["Region".into()],
            allow_multiple_values: true,
            required: false,
        };
        let f = store.create_dashboard_filter(d.id, &fields).await.unwrap();
        assert_eq!(f.fields, fields);
        assert!(store.create_dashboard_filter(d.id, &fields).await.is_err(), "one name per dashboard");
        let changed = FilterFields { default_value: None, ..fields.clone() };
        assert_eq!(store.update_dashboard_filter(f.id, &changed).await.unwrap().map(|f| f.fields), Some(changed));
        assert_eq!(store.dashboard_filters(d.id).await.unwrap().len(), 1);
        assert!(store.delete_dashboard(d.id).await.unwrap());
        assert_eq!(store.dashboard_filter(f.id).await.unwrap(), None, "filters go with their dashboard");
        assert!(!store.delete_dashboard_filter(f.id).await.unwrap());
    }

    crate::on_both_databases!(filters_are_kept_per_dashboard_by_name);
}
