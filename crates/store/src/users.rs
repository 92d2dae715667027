//! Users: their own fields, listed, changed, disabled (a disabled user's credentials and
//! tokens stop working at once; their content stays theirs) and deleted (their row stays for
//! what names it, unseen; their Looks and dashboards go to the trash).

use crate::db::{on_pool, Columns};
use crate::{now_text, Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub is_disabled: bool,
}

/// The fields an update may change.
#[derive(Debug, Clone, PartialEq)]
pub struct UserFields {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub is_disabled: bool,
}

const COLUMNS: &str = "id, first_name, last_name, email, is_disabled";

fn user(r: &dyn Columns) -> Result<User, StoreError> {
    Ok(User {
        id: r.int("id")?,
        first_name: r.text("first_name")?,
        last_name: r.text("last_name")?,
        email: r.text_or_null("email")?,
        is_disabled: r.flag("is_disabled")?,
    })
}

impl Store {
    /// Adds a user (no credentials yet); its id.
    pub async fn create_user(&self, first_name: &str, last_name: &str, email: Option<&str>) -> Result<i64, StoreError> {
        // `RETURNING`, not SQLite's last row id: the same statement serves PostgreSQL.
        let insert = "INSERT INTO users (first_name, last_name, email, created_at) VALUES (?, ?, ?, ?) RETURNING id";
        let id = on_pool!(self, insert, |p, sql| sqlx::query_scalar(sql)
            .bind(first_name)
            .bind(last_name)
            .bind(email)
            .bind(now_text())
            .fetch_one(p)
            .await?);
        self.create_personal_folder(id, format!("{first_name} {last_name}").trim()).await?;
        Ok(id)
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        let select = format!("SELECT {COLUMNS} FROM users WHERE id = ? AND deleted_at IS NULL");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql).bind(id).fetch_optional(p).await?.map(|r| user(&r)).transpose()?))
    }

    /// Every user, by id.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let select = format!("SELECT {COLUMNS} FROM users WHERE deleted_at IS NULL ORDER BY id");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql).fetch_all(p).await?.iter().map(|r| user(r)).collect::<Result<Vec<_>, _>>()?))
    }

    /// Replaces a user's own fields; false if there is no such user.
    pub async fn update_user(&self, id: i64, f: &UserFields) -> Result<bool, StoreError> {
        let update = "UPDATE users SET first_name = ?, last_name = ?, email = ?, is_disabled = ? WHERE id = ?";
        let changed = on_pool!(self, update, |p, sql| sqlx::query(sql)
            .bind(&f.first_name)
            .bind(&f.last_name)
            .bind(&f.email)
            .bind(f.is_disabled)
            .bind(id)
            .execute(p)
            .await?
            .rows_affected());
        Ok(changed > 0)
    }

    pub async fn set_user_disabled(&self, id: i64, disabled: bool) -> Result<bool, StoreError> {
        let changed = on_pool!(self, "UPDATE users SET is_disabled = ? WHERE id = ?", |p, sql| {
            sqlx::query(sql).bind(disabled).bind(id).execute(p).await?.rows_affected()
        });
        Ok(changed > 0)
    }

    /// Sets (or with `None` clears) a user's email: their email credentials, which the `email`
    /// user attribute reads. False if there is no such user.
    pub async fn set_user_email(&self, id: i64, email: Option<&str>) -> Result<bool, StoreError> {
        let changed = on_pool!(self, "UPDATE users SET email = ? WHERE id = ?", |p, sql| {
            sqlx::query(sql).bind(email).bind(id).execute(p).await?.rows_affected()
        });
        Ok(changed > 0)
    }

    /// Deletes a user as Looker does: their Looks and dashboards go to the trash (deleted by
    /// `by`); their credentials, sessions, roles and attribute values go; the row stays,
    /// disabled and without its email, for the tasks and trashed content that name it, and no
    /// read of users finds it again. False if there is no such user.
    pub async fn delete_user(&self, id: i64, by: i64) -> Result<bool, StoreError> {
        let now = now_text();
        let update = "UPDATE users SET deleted_at = ?, is_disabled = ?, email = NULL WHERE id = ? AND deleted_at IS NULL";
        let changed = on_pool!(self, update, |p, sql| sqlx::query(sql).bind(&now).bind(true).bind(id).execute(p).await?.rows_affected());
        if changed == 0 {
            return Ok(false);
        }
        for table in ["looks", "dashboards"] {
            let trash = format!("UPDATE {table} SET deleted = ?, deleted_at = ?, deleter_id = ? WHERE user_id = ? AND deleted = ?");
            on_pool!(self, trash, |p, sql| sqlx::query(sql)
                .bind(true)
                .bind(&now)
                .bind(by)
                .bind(id)
                .bind(false)
                .execute(p)
                .await?
                .rows_affected());
        }
        for table in ["access_tokens", "api3_credentials", "user_roles", "user_attribute_values", "group_users"] {
            let gone = format!("DELETE FROM {table} WHERE user_id = ?");
            on_pool!(self, gone, |p, sql| sqlx::query(sql).bind(id).execute(p).await?.rows_affected());
        }
        Ok(true)
    }

    /// The user with this email, if any (emails are compared as written, ignoring case).
    pub async fn user_with_email(&self, email: &str) -> Result<Option<i64>, StoreError> {
        Ok(on_pool!(self, "SELECT id FROM users WHERE LOWER(email) = LOWER(?) AND deleted_at IS NULL", |p, sql| {
            sqlx::query_scalar(sql).bind(email).fetch_optional(p).await?
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::{NewDashboard, Store};

    async fn a_deleted_user_is_gone_and_their_content_trashed(store: Store) {
        let admin = store.ensure_admin(None).await.unwrap().unwrap();
        let admin = store.verify_api3(&admin.client_id, &admin.client_secret).await.unwrap().unwrap();
        let bo = store.create_user("Bo", "Ek", Some("bo@example.com")).await.unwrap();
        let (credentials, secret) = store.create_api3_credentials(bo).await.unwrap();
        let token = store.create_token(bo, 3600).await.unwrap();
        let folder = store.personal_folder(bo).await.unwrap().unwrap().id;
        let new = NewDashboard { title: "Bo's".into(), description: None, folder_id: folder, user_id: bo };
        let dashboard = store.create_dashboard(&new).await.unwrap();
        assert!(store.delete_user(bo, admin).await.unwrap());
        assert_eq!(store.user(bo).await.unwrap(), None);
        assert!(!store.users().await.unwrap().iter().any(|u| u.id == bo));
        assert_eq!(store.user_with_email("bo@example.com").await.unwrap(), None);
        assert_eq!(store.user_for_token(&token).await.unwrap(), None);
        assert_eq!(store.verify_api3(&credentials.client_id, &secret).await.unwrap(), None);
        let trashed = store.dashboard(dashboard.id).await.unwrap().unwrap();
        assert!(trashed.deleted && trashed.deleter_id == Some(admin), "{trashed:?}");
        assert!(!store.delete_user(bo, admin).await.unwrap(), "once");
    }

    crate::on_both_databases!(a_deleted_user_is_gone_and_their_content_trashed);
}
