//! Groups, as in Looker: named sets of users. A role given to a group is held by each of its
//! users beside the roles given to them directly (`roles.rs` reads both).

use crate::db::{on_pool, Columns};
use crate::{now_text, Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub user_count: i64,
}

const GROUP_SELECT: &str =
    "SELECT g.id, g.name, (SELECT COUNT(*) FROM group_users gu WHERE gu.group_id = g.id) AS user_count FROM groups g";

fn group(r: &dyn Columns) -> Result<Group, StoreError> {
    Ok(Group { id: r.int("id")?, name: r.text("name")?, user_count: r.int("user_count")? })
}

impl Store {
    /// Every group, by id.
    pub async fn groups(&self) -> Result<Vec<Group>, StoreError> {
        let select = format!("{GROUP_SELECT} ORDER BY g.id");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql).fetch_all(p).await?.iter().map(|r| group(r)).collect::<Result<Vec<_>, _>>()?))
    }

    pub async fn group(&self, id: i64) -> Result<Option<Group>, StoreError> {
        let select = format!("{GROUP_SELECT} WHERE g.id = ?");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql).bind(id).fetch_optional(p).await?.map(|r| group(&r)).transpose()?))
    }

    /// The group named `name`, if any.
    pub async fn group_named(&self, name: &str) -> Result<Option<i64>, StoreError> {
        Ok(on_pool!(self, "SELECT id FROM groups WHERE name = ?", |p, sql| sqlx::query_scalar(sql).bind(name).fetch_optional(p).await?))
    }

    pub async fn create_group(&self, name: &str) -> Result<i64, StoreError> {
        let insert = "INSERT INTO groups (name, created_at) VALUES (?, ?) RETURNING id";
        Ok(on_pool!(self, insert, |p, sql| sqlx::query_scalar(sql).bind(name).bind(now_text()).fetch_one(p).await?))
    }

    /// Renames a group; false if there is none.
    pub async fn rename_group(&self, id: i64, name: &str) -> Result<bool, StoreError> {
        let changed = on_pool!(self, "UPDATE groups SET name = ? WHERE id = ?", |p, sql| {
            sqlx::query(sql).bind(name).bind(id).execute(p).await?.rows_affected()
        });
        Ok(changed > 0)
    }

    /// Deletes a group: its users no longer hold its roles nor its attribute values. False if
    /// there was none.
    pub async fn delete_group(&self, id: i64) -> Result<bool, StoreError> {
        for table in ["group_users", "group_roles", "group_attribute_values"] {
            let delete = format!("DELETE FROM {table} WHERE group_id = ?");
            on_pool!(self, delete, |p, sql| sqlx::query(sql).bind(id).execute(p).await?.rows_affected());
        }
        let deleted =
            on_pool!(self, "DELETE FROM groups WHERE id = ?", |p, sql| sqlx::query(sql).bind(id).execute(p).await?.rows_affected());
        Ok(deleted > 0)
    }

    /// The users in a group, by id (deleted users are not).
    pub async fn group_user_ids(&self, group_id: i64) -> Result<Vec<i64>, StoreError> {
        let select = "SELECT gu.user_id FROM group_users gu JOIN users u ON u.id = gu.user_id \
                      WHERE gu.group_id = ? AND u.deleted_at IS NULL ORDER BY gu.user_id";
        Ok(on_pool!(self, select, |p, sql| sqlx::query_scalar(sql).bind(group_id).fetch_all(p).await?))
    }

    /// The groups a user is in, by id.
    pub async fn user_group_ids(&self, user_id: i64) -> Result<Vec<i64>, StoreError> {
        Ok(on_pool!(self, "SELECT group_id FROM group_users WHERE user_id = ? ORDER BY group_id", |p, sql| {
            sqlx::query_scalar(sql).bind(user_id).fetch_all(p).await?
        }))
    }

    /// Puts a user in a group (once).
    pub async fn add_group_user(&self, group_id: i64, user_id: i64) -> Result<(), StoreError> {
        let exists = "SELECT COUNT(*) FROM group_users WHERE group_id = ? AND user_id = ?";
        let n: i64 = on_pool!(self, exists, |p, sql| sqlx::query_scalar(sql).bind(group_id).bind(user_id).fetch_one(p).await?);
        if n == 0 {
            let insert = "INSERT INTO group_users (group_id, user_id) VALUES (?, ?)";
            on_pool!(self, insert, |p, sql| sqlx::query(sql).bind(group_id).bind(user_id).execute(p).await?.rows_affected());
        }
        Ok(())
    }

    /// Takes a user out of a group; false if they were not in it.
    pub async fn remove_group_user(&self, group_id: i64, user_id: i64) -> Result<bool, StoreError> {
        let delete = "DELETE FROM group_users WHERE group_id = ? AND user_id = ?";
        let removed = on_pool!(self, delete, |p, sql| sqlx::query(sql).bind(group_id).bind(user_id).execute(p).await?.rows_affected());
        Ok(removed > 0)
    }

    /// The groups given a role, by id.
    pub async fn role_group_ids(&self, role_id: i64) -> Result<Vec<i64>, StoreError> {
        Ok(on_pool!(self, "SELECT group_id FROM group_roles WHERE role_id = ? ORDER BY group_id", |p, sql| {
            sqlx::query_scalar(sql).bind(role_id).fetch_all(p).await?
        }))
    }

    /// Replaces the groups given a role (ids the caller checked exist).
    pub async fn set_role_groups(&self, role_id: i64, group_ids: &[i64]) -> Result<(), StoreError> {
        self.replace_links(
            "DELETE FROM group_roles WHERE role_id = ?",
            "INSERT INTO group_roles (role_id, group_id) VALUES (?, ?)",
            role_id,
            group_ids,
        )
        .await
    }
}
