//! Folders hold content (Looks, later dashboards). As in Looker there are two roots, Shared and
//! Users, and each user has a personal folder under Users, made with the user. Folders are not
//! created or moved through the API yet; content names the folder it lives in.

use crate::db::{on_pool, Columns};
use crate::{now_text, Store, StoreError};

/// The Shared root folder's id (seeded by the migration).
pub const SHARED_FOLDER_ID: i64 = 1;
/// The Users root folder's id, the parent of every personal folder.
pub const USERS_FOLDER_ID: i64 = 2;

#[derive(Debug, Clone, PartialEq)]
pub struct Folder {
    pub id: i64,
    pub name: String,
    pub parent_id: Option<i64>,
    pub creator_id: Option<i64>,
    /// The user whose personal folder this is.
    pub personal_user_id: Option<i64>,
    pub created_at: String,
}

impl Folder {
    pub fn is_shared_root(&self) -> bool {
        self.id == SHARED_FOLDER_ID
    }

    pub fn is_users_root(&self) -> bool {
        self.id == USERS_FOLDER_ID
    }
}

fn folder(r: &dyn Columns) -> Result<Folder, StoreError> {
    Ok(Folder {
        id: r.int("id")?,
        name: r.text("name")?,
        parent_id: r.int_or_null("parent_id")?,
        creator_id: r.int_or_null("creator_id")?,
        personal_user_id: r.int_or_null("personal_user_id")?,
        created_at: r.text("created_at")?,
    })
}

const FOLDER_COLUMNS: &str = "id, name, parent_id, creator_id, personal_user_id, created_at";

impl Store {
    pub async fn folder(&self, id: i64) -> Result<Option<Folder>, StoreError> {
        let select = format!("SELECT {FOLDER_COLUMNS} FROM folders WHERE id = ?");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql).bind(id).fetch_optional(p).await?.map(|r| folder(&r)).transpose()?))
    }

    /// `user`'s personal folder, if the user exists.
    pub async fn personal_folder(&self, user: i64) -> Result<Option<Folder>, StoreError> {
        let select = format!("SELECT {FOLDER_COLUMNS} FROM folders WHERE personal_user_id = ?");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql).bind(user).fetch_optional(p).await?.map(|r| folder(&r)).transpose()?))
    }

    /// Makes `user`'s personal folder, named after them.
    pub(crate) async fn create_personal_folder(&self, user: i64, name: &str) -> Result<i64, StoreError> {
        let insert = "INSERT INTO folders (name, parent_id, creator_id, personal_user_id, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id";
        Ok(on_pool!(self, insert, |p, sql| sqlx::query_scalar(sql)
            .bind(name)
            .bind(USERS_FOLDER_ID)
            .bind(user)
            .bind(user)
            .bind(now_text())
            .fetch_one(p)
            .await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn roots_exist_and_users_get_a_personal_folder(store: Store) {
        let shared = store.folder(SHARED_FOLDER_ID).await.unwrap().expect("Shared");
        assert!(shared.is_shared_root() && shared.parent_id.is_none());
        assert_eq!(shared.name, "Shared");
        let users = store.folder(USERS_FOLDER_ID).await.unwrap().expect("Users");
        assert!(users.is_users_root());
        let ann = store.create_user("Ann", "Lee", None).await.unwrap();
        let personal = store.personal_folder(ann).await.unwrap().expect("personal folder");
        assert_eq!((personal.name.as_str(), personal.parent_id, personal.creator_id), ("Ann Lee", Some(USERS_FOLDER_ID), Some(ann)));
        assert!(personal.id > USERS_FOLDER_ID, "new folders are numbered after the roots");
        assert_eq!(store.folder(personal.id).await.unwrap(), Some(personal));
        assert_eq!(store.folder(999).await.unwrap(), None);
    }

    crate::on_both_databases!(roots_exist_and_users_get_a_personal_folder);
}
