//! Searches of content (Looks, dashboards) as Looker's search endpoints read them: typed
//! conditions turned into one statement whose every value is bound.

use crate::db::{on_pool, Columns};
use crate::{Store, StoreError};

/// A text condition of a search, as Looker's search parameters read one: a case-insensitive
/// SQL LIKE pattern (`%` and `_` are wildcards), or `IS NULL` / `NOT NULL`.
#[derive(Debug, Clone, PartialEq)]
pub enum TextMatch {
    Like(String),
    IsNull,
    NotNull,
}

impl TextMatch {
    pub fn parse(value: &str) -> TextMatch {
        match value.trim().to_ascii_uppercase().as_str() {
            "IS NULL" => TextMatch::IsNull,
            "NOT NULL" => TextMatch::NotNull,
            _ => TextMatch::Like(value.to_string()),
        }
    }
}

/// The columns content (Looks, dashboards) can be sorted by in a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentColumn {
    Id,
    Title,
    Description,
    FolderId,
    UserId,
    QueryId,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
    Deleted,
    LastUpdaterId,
}

impl ContentColumn {
    /// Every sortable column by its API name.
    pub const ALL: &'static [(&'static str, ContentColumn)] = &[
        ("id", ContentColumn::Id),
        ("title", ContentColumn::Title),
        ("description", ContentColumn::Description),
        ("folder_id", ContentColumn::FolderId),
        ("user_id", ContentColumn::UserId),
        ("query_id", ContentColumn::QueryId),
        ("created_at", ContentColumn::CreatedAt),
        ("updated_at", ContentColumn::UpdatedAt),
        ("deleted_at", ContentColumn::DeletedAt),
        ("deleted", ContentColumn::Deleted),
        ("last_updater_id", ContentColumn::LastUpdaterId),
    ];

    pub fn parse(name: &str) -> Option<ContentColumn> {
        ContentColumn::ALL.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
    }

    /// The SQL column (the API name is the column's name).
    pub(crate) fn column(self) -> &'static str {
        ContentColumn::ALL.iter().find(|(_, c)| *c == self).map_or("id", |(n, _)| n)
    }
}

/// `GET /looks/search` and `GET /dashboards/search`: conditions, each met by an item found (or
/// any one of them with `any`), plus `deleted` (false unless asked: the trash is searched only
/// on request), then order and paging. `query_ids` is for Looks only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContentSearch {
    pub ids: Vec<i64>,
    pub title: Option<TextMatch>,
    pub description: Option<TextMatch>,
    pub folder_ids: Vec<i64>,
    pub user_ids: Vec<i64>,
    pub query_ids: Vec<i64>,
    pub deleted: Option<bool>,
    /// `filter_or`: a Look meeting any one condition is found.
    pub any: bool,
    /// (column, descending), in order; by id when empty.
    pub sorts: Vec<(ContentColumn, bool)>,
    pub limit: Option<i64>,
    pub offset: i64,
}

/// A value bound to a search statement.
enum Bound {
    Int(i64),
    Text(String),
    Flag(bool),
}

impl ContentSearch {
    /// The statement (with `?` placeholders) and its values in order.
    fn statement(&self, table: &str, columns: &str) -> (String, Vec<Bound>) {
        let mut conditions = Vec::new();
        let mut values = Vec::new();
        let ints = |column: &str, ids: &[i64], conditions: &mut Vec<String>, values: &mut Vec<Bound>| {
            if !ids.is_empty() {
                conditions.push(format!("{column} IN ({})", vec!["?"; ids.len()].join(", ")));
                values.extend(ids.iter().map(|id| Bound::Int(*id)));
            }
        };
        ints("id", &self.ids, &mut conditions, &mut values);
        ints("folder_id", &self.folder_ids, &mut conditions, &mut values);
        ints("user_id", &self.user_ids, &mut conditions, &mut values);
        ints("query_id", &self.query_ids, &mut conditions, &mut values);
        for (column, text) in [("title", &self.title), ("description", &self.description)] {
            match text {
                None => {}
                Some(TextMatch::IsNull) => conditions.push(format!("{column} IS NULL")),
                Some(TextMatch::NotNull) => conditions.push(format!("{column} IS NOT NULL")),
                Some(TextMatch::Like(pattern)) => {
                    conditions.push(format!("LOWER({column}) LIKE LOWER(?) ESCAPE '\\'"));
                    values.push(Bound::Text(pattern.clone()));
                }
            }
        }
        let mut sql = format!("SELECT {columns} FROM {table} WHERE deleted = ?");
        let mut bound = vec![Bound::Flag(self.deleted.unwrap_or(false))];
        if !conditions.is_empty() {
            let joint = if self.any { " OR " } else { " AND " };
            sql.push_str(&format!(" AND ({})", conditions.join(joint)));
            bound.extend(values);
        }
        let mut order: Vec<String> =
            self.sorts.iter().map(|(c, desc)| format!("{} {}", c.column(), if *desc { "DESC" } else { "ASC" })).collect();
        order.push("id ASC".into());
        sql.push_str(&format!(" ORDER BY {}", order.join(", ")));
        sql.push_str(" LIMIT ? OFFSET ?");
        bound.push(Bound::Int(self.limit.unwrap_or(i64::MAX)));
        bound.push(Bound::Int(self.offset.max(0)));
        (sql, bound)
    }
}

impl Store {
    /// The rows of `table` (read as `columns`) that `search` finds, each turned by `read`.
    pub(crate) async fn search_content<T>(
        &self,
        search: &ContentSearch,
        table: &str,
        columns: &str,
        read: fn(&dyn Columns) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let (statement, values) = search.statement(table, columns);
        Ok(on_pool!(self, statement, |p, sql| {
            let mut query = sqlx::query(sql);
            for value in &values {
                query = match value {
                    Bound::Int(v) => query.bind(*v),
                    Bound::Text(v) => query.bind(v.as_str()),
                    Bound::Flag(v) => query.bind(*v),
                };
            }
            query.fetch_all(p).await?.iter().map(|r| read(r)).collect::<Result<Vec<_>, _>>()?
        }))
    }
}
