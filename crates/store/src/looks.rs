//! Looks: a saved query with a title and a description, in a folder. Looker's soft delete is
//! the `deleted` flag (the trash; a deleted Look is still read by id); deleting removes the row.
//! A title is unique among a folder's Looks that are not deleted, as in Looker.

use crate::db::{on_pool, Columns};
use crate::search::ContentSearch;
use crate::{now_text, Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct Look {
    pub id: i64,
    pub title: String,
    pub description: Option<String>,
    pub query_id: i64,
    pub user_id: i64,
    pub folder_id: i64,
    pub is_run_on_load: bool,
    pub public: bool,
    pub deleted: bool,
    pub deleted_at: Option<String>,
    pub deleter_id: Option<i64>,
    pub last_updater_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

/// A Look to create; its owner and folder are known to exist.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLook {
    pub title: String,
    pub description: Option<String>,
    pub query_id: i64,
    pub user_id: i64,
    pub folder_id: i64,
    pub is_run_on_load: bool,
    pub public: bool,
}

/// What an update sets; `None` leaves a value as it is (`description: Some(None)` clears it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LookChange {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub query_id: Option<i64>,
    pub user_id: Option<i64>,
    pub folder_id: Option<i64>,
    pub is_run_on_load: Option<bool>,
    pub public: Option<bool>,
    pub deleted: Option<bool>,
}

const LOOK_COLUMNS: &str =
    "id, title, description, query_id, user_id, folder_id, is_run_on_load, public, deleted, deleted_at, deleter_id, \
                            last_updater_id, created_at, updated_at";

fn look(r: &dyn Columns) -> Result<Look, StoreError> {
    Ok(Look {
        id: r.int("id")?,
        title: r.text("title")?,
        description: r.text_or_null("description")?,
        query_id: r.int("query_id")?,
        user_id: r.int("user_id")?,
        folder_id: r.int("folder_id")?,
        is_run_on_load: r.flag("is_run_on_load")?,
        public: r.flag("public")?,
        deleted: r.flag("deleted")?,
        deleted_at: r.text_or_null("deleted_at")?,
        deleter_id: r.int_or_null("deleter_id")?,
        last_updater_id: r.int_or_null("last_updater_id")?,
        created_at: r.text("created_at")?,
        updated_at: r.text("updated_at")?,
    })
}

impl Store {
    pub async fn create_look(&self, new: &NewLook) -> Result<Look, StoreError> {
        let now = now_text();
        let insert = "INSERT INTO looks (title, description, query_id, user_id, folder_id, is_run_on_load, public, last_updater_id, created_at, updated_at) \
                      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
        let id: i64 = on_pool!(self, insert, |p, sql| sqlx::query_scalar(sql)
            .bind(&new.title)
            .bind(&new.description)
            .bind(new.query_id)
            .bind(new.user_id)
            .bind(new.folder_id)
            .bind(new.is_run_on_load)
            .bind(new.public)
            .bind(new.user_id)
            .bind(&now)
            .bind(&now)
            .fetch_one(p)
            .await?);
        Ok(self.look(id).await?.ok_or(sqlx::Error::RowNotFound)?)
    }

    /// A Look by id, deleted (in the trash) or not.
    pub async fn look(&self, id: i64) -> Result<Option<Look>, StoreError> {
        let select = format!("SELECT {LOOK_COLUMNS} FROM looks WHERE id = ?");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql).bind(id).fetch_optional(p).await?.map(|r| look(&r)).transpose()?))
    }

    /// Every Look not in the trash, by id.
    pub async fn all_looks(&self) -> Result<Vec<Look>, StoreError> {
        self.search_looks(&ContentSearch::default()).await
    }

    pub async fn search_looks(&self, search: &ContentSearch) -> Result<Vec<Look>, StoreError> {
        self.search_content(search, "looks", LOOK_COLUMNS, look).await
    }

    /// The id of a Look other than `except` titled `title` in `folder` and not deleted.
    pub async fn look_titled(&self, folder: i64, title: &str, except: Option<i64>) -> Result<Option<i64>, StoreError> {
        let select = "SELECT id FROM looks WHERE folder_id = ? AND title = ? AND deleted = ? AND id <> ? LIMIT 1";
        Ok(on_pool!(self, select, |p, sql| sqlx::query_scalar(sql)
            .bind(folder)
            .bind(title)
            .bind(false)
            .bind(except.unwrap_or(0))
            .fetch_optional(p)
            .await?))
    }

    /// Applies `change` to Look `id` on behalf of `updater`; the Look as it is after, `None` if
    /// there is no such Look. Moving it to the trash records when and by whom.
    pub async fn update_look(&self, id: i64, change: &LookChange, updater: i64) -> Result<Option<Look>, StoreError> {
        let Some(mut look) = self.look(id).await? else { return Ok(None) };
        let now = now_text();
        if let Some(title) = &change.title {
            look.title.clone_from(title);
        }
        if let Some(description) = &change.description {
            look.description.clone_from(description);
        }
        look.query_id = change.query_id.unwrap_or(look.query_id);
        look.user_id = change.user_id.unwrap_or(look.user_id);
        look.folder_id = change.folder_id.unwrap_or(look.folder_id);
        look.is_run_on_load = change.is_run_on_load.unwrap_or(look.is_run_on_load);
        look.public = change.public.unwrap_or(look.public);
        match change.deleted {
            Some(true) if !look.deleted => (look.deleted, look.deleted_at, look.deleter_id) = (true, Some(now.clone()), Some(updater)),
            Some(false) if look.deleted => (look.deleted, look.deleted_at, look.deleter_id) = (false, None, None),
            _ => {}
        }
        let update =
            "UPDATE looks SET title = ?, description = ?, query_id = ?, user_id = ?, folder_id = ?, is_run_on_load = ?, public = ?, \
                      deleted = ?, deleted_at = ?, deleter_id = ?, last_updater_id = ?, updated_at = ? WHERE id = ?";
        on_pool!(self, update, |p, sql| sqlx::query(sql)
            .bind(&look.title)
            .bind(&look.description)
            .bind(look.query_id)
            .bind(look.user_id)
            .bind(look.folder_id)
            .bind(look.is_run_on_load)
            .bind(look.public)
            .bind(look.deleted)
            .bind(&look.deleted_at)
            .bind(look.deleter_id)
            .bind(updater)
            .bind(&now)
            .bind(id)
            .execute(p)
            .await?
            .rows_affected());
        self.look(id).await
    }

    /// Removes Look `id` for good; false if there was none.
    pub async fn delete_look(&self, id: i64) -> Result<bool, StoreError> {
        let deleted =
            on_pool!(self, "DELETE FROM looks WHERE id = ?", |p, sql| sqlx::query(sql).bind(id).execute(p).await?.rows_affected());
        Ok(deleted > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{ContentColumn, TextMatch};

    fn new_look(title: &str, query_id: i64, user_id: i64, folder_id: i64) -> NewLook {
        NewLook { title: title.into(), description: None, query_id, user_id, folder_id, is_run_on_load: false, public: false }
    }

    async fn looks_are_created_changed_trashed_and_deleted(store: Store) {
        let (store, user, query) = crate::test_setup(store).await;
        let mut new = new_look("Revenue", query, user, crate::SHARED_FOLDER_ID);
        new.description = Some("by month".into());
        let look = store.create_look(&new).await.unwrap();
        assert_eq!((look.title.as_str(), look.description.as_deref(), look.deleted), ("Revenue", Some("by month"), false));
        assert_eq!(look.last_updater_id, Some(user));
        assert_eq!(store.look_titled(crate::SHARED_FOLDER_ID, "Revenue", None).await.unwrap(), Some(look.id));
        assert_eq!(store.look_titled(crate::SHARED_FOLDER_ID, "Revenue", Some(look.id)).await.unwrap(), None);

        let change = LookChange { title: Some("Sales".into()), description: Some(None), public: Some(true), ..Default::default() };
        let changed = store.update_look(look.id, &change, user).await.unwrap().expect("look");
        assert_eq!((changed.title.as_str(), changed.description.as_deref(), changed.public), ("Sales", None, true));
        assert_eq!(changed.query_id, query, "what the change does not name stays");

        let trashed = store.update_look(look.id, &LookChange { deleted: Some(true), ..Default::default() }, user).await.unwrap().unwrap();
        assert!(trashed.deleted && trashed.deleted_at.is_some() && trashed.deleter_id == Some(user));
        assert!(store.all_looks().await.unwrap().is_empty(), "the trash is not listed");
        assert_eq!(store.look(look.id).await.unwrap().map(|l| l.id), Some(look.id), "but is read by id");
        assert_eq!(store.look_titled(crate::SHARED_FOLDER_ID, "Sales", None).await.unwrap(), None, "a trashed title is free");
        let restored = store.update_look(look.id, &LookChange { deleted: Some(false), ..Default::default() }, user).await.unwrap().unwrap();
        assert!(!restored.deleted && restored.deleted_at.is_none());

        assert!(store.delete_look(look.id).await.unwrap());
        assert!(!store.delete_look(look.id).await.unwrap());
        assert_eq!(store.look(look.id).await.unwrap(), None);
        assert_eq!(store.update_look(look.id, &change, user).await.unwrap(), None);
    }

    async fn searches_match_patterns_lists_and_order(store: Store) {
        let (store, user, query) = crate::test_setup(store).await;
        let personal = store.personal_folder(user).await.unwrap().expect("personal folder").id;
        let mut ids = Vec::new();
        for (title, folder) in [("Danger", crate::SHARED_FOLDER_ID), ("Danzig", personal), ("David", personal), ("dump_50%", personal)] {
            ids.push(store.create_look(&new_look(title, query, user, folder)).await.unwrap().id);
        }
        let titles = |looks: Vec<Look>| looks.into_iter().map(|l| l.title).collect::<Vec<_>>();
        let like = |p: &str| Some(TextMatch::Like(p.into()));
        let search = ContentSearch { title: like("dan%"), ..Default::default() };
        assert_eq!(titles(store.search_looks(&search).await.unwrap()), ["Danger", "Danzig"], "case-insensitive LIKE");
        let search = ContentSearch { title: like("d_m%"), ..Default::default() };
        assert_eq!(titles(store.search_looks(&search).await.unwrap()), ["dump_50%"]);
        let search = ContentSearch { title: like("%50\\%"), ..Default::default() };
        assert_eq!(titles(store.search_looks(&search).await.unwrap()), ["dump_50%"], "a backslash escapes a wildcard");
        let search = ContentSearch { title: like("dav"), ..Default::default() };
        assert!(store.search_looks(&search).await.unwrap().is_empty(), "no wildcard: the whole title");
        let search = ContentSearch { folder_ids: vec![personal], sorts: vec![(ContentColumn::Title, true)], ..Default::default() };
        assert_eq!(titles(store.search_looks(&search).await.unwrap()), ["dump_50%", "David", "Danzig"]);
        let search = ContentSearch { ids: vec![ids[0]], title: like("david"), any: true, ..Default::default() };
        assert_eq!(titles(store.search_looks(&search).await.unwrap()), ["Danger", "David"], "filter_or");
        let search = ContentSearch { ids: vec![ids[0]], title: like("david"), ..Default::default() };
        assert!(store.search_looks(&search).await.unwrap().is_empty());
        let search = ContentSearch { description: Some(TextMatch::IsNull), limit: Some(2), offset: 1, ..Default::default() };
        assert_eq!(titles(store.search_looks(&search).await.unwrap()), ["Danzig", "David"], "limit and offset");
        store.update_look(ids[1], &LookChange { deleted: Some(true), ..Default::default() }, user).await.unwrap();
        let search = ContentSearch { deleted: Some(true), ..Default::default() };
        assert_eq!(titles(store.search_looks(&search).await.unwrap()), ["Danzig"]);
        assert_eq!(ContentColumn::parse("updated_at"), Some(ContentColumn::UpdatedAt));
        assert_eq!(ContentColumn::parse("bogus"), None);
        assert_eq!(TextMatch::parse("not null"), TextMatch::NotNull);
    }

    crate::on_both_databases!(looks_are_created_changed_trashed_and_deleted, searches_match_patterns_lists_and_order);
}
