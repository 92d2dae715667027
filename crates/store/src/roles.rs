//! Permission sets, model sets, roles and the roles each user holds. A role joins one
//! permission set to one model set; a user's grants ([`Grants`]) are read with their token in
//! one statement, so checking them costs no extra round trip. Built-in sets cannot change;
//! a set in use by a role cannot be deleted.

use std::collections::BTreeSet;

use crate::db::{on_pool, Columns};
use crate::permissions::{Grant, Grants, Models, Permission};
use crate::{sha256_hex, Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct PermissionSet {
    pub id: i64,
    pub name: String,
    pub permissions: Vec<String>,
    pub all_access: bool,
    pub built_in: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelSet {
    pub id: i64,
    pub name: String,
    pub models: Vec<String>,
    pub all_access: bool,
    pub built_in: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub id: i64,
    pub name: String,
    pub permission_set: PermissionSet,
    pub model_set: ModelSet,
}

/// Which of the two kinds of set a statement is about; both have the same shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    Permission,
    Model,
}

impl SetKind {
    fn table(self) -> &'static str {
        match self {
            SetKind::Permission => "permission_sets",
            SetKind::Model => "model_sets",
        }
    }
    fn list_column(self) -> &'static str {
        match self {
            SetKind::Permission => "permissions",
            SetKind::Model => "models",
        }
    }
}

/// Why a change to a set or role was not made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChange {
    Done,
    Missing,
    BuiltIn,
    InUse,
}

fn split(list: &str) -> Vec<String> {
    list.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

fn permission_set(r: &dyn Columns, prefix: &str) -> Result<PermissionSet, StoreError> {
    Ok(PermissionSet {
        id: r.int(&format!("{prefix}id"))?,
        name: r.text(&format!("{prefix}name"))?,
        permissions: split(&r.text(&format!("{prefix}permissions"))?),
        all_access: r.flag(&format!("{prefix}all_access"))?,
        built_in: r.flag(&format!("{prefix}built_in"))?,
    })
}

fn model_set(r: &dyn Columns, prefix: &str) -> Result<ModelSet, StoreError> {
    Ok(ModelSet {
        id: r.int(&format!("{prefix}id"))?,
        name: r.text(&format!("{prefix}name"))?,
        models: split(&r.text(&format!("{prefix}models"))?),
        all_access: r.flag(&format!("{prefix}all_access"))?,
        built_in: r.flag(&format!("{prefix}built_in"))?,
    })
}

/// The ids of the roles given to the user bound twice (`?`): to them, and to a group they are in.
const HELD_ROLES: &str = "(SELECT role_id FROM user_roles WHERE user_id = ? UNION \
    SELECT gr.role_id FROM group_users gu JOIN group_roles gr ON gr.group_id = gu.group_id WHERE gu.user_id = ?)";

/// Which of a user's roles a listing means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holding {
    /// Given to the user.
    Direct,
    /// Given to a group the user is in.
    ThroughGroups,
    /// Either.
    All,
}

impl Holding {
    /// The ids of the roles held so by the user bound once (twice for `All`).
    fn role_ids(self) -> &'static str {
        match self {
            Holding::Direct => "(SELECT role_id FROM user_roles WHERE user_id = ?)",
            Holding::ThroughGroups => {
                "(SELECT gr.role_id FROM group_users gu JOIN group_roles gr ON gr.group_id = gu.group_id WHERE gu.user_id = ?)"
            }
            Holding::All => HELD_ROLES,
        }
    }
}

const ROLE_SELECT: &str = "SELECT r.id AS id, r.name AS name, \
    p.id AS p_id, p.name AS p_name, p.permissions AS p_permissions, p.all_access AS p_all_access, p.built_in AS p_built_in, \
    m.id AS m_id, m.name AS m_name, m.models AS m_models, m.all_access AS m_all_access, m.built_in AS m_built_in \
    FROM roles r JOIN permission_sets p ON p.id = r.permission_set_id JOIN model_sets m ON m.id = r.model_set_id";

fn role(r: &dyn Columns) -> Result<Role, StoreError> {
    Ok(Role { id: r.int("id")?, name: r.text("name")?, permission_set: permission_set(r, "p_")?, model_set: model_set(r, "m_")? })
}

impl Store {
    pub async fn permission_sets(&self) -> Result<Vec<PermissionSet>, StoreError> {
        let select = "SELECT id, name, permissions, all_access, built_in FROM permission_sets ORDER BY id";
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| permission_set(r, ""))
            .collect::<Result<Vec<_>, _>>()?))
    }

    pub async fn permission_set(&self, id: i64) -> Result<Option<PermissionSet>, StoreError> {
        let select = "SELECT id, name, permissions, all_access, built_in FROM permission_sets WHERE id = ?";
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql)
            .bind(id)
            .fetch_optional(p)
            .await?
            .map(|r| permission_set(&r, ""))
            .transpose()?))
    }

    pub async fn model_sets(&self) -> Result<Vec<ModelSet>, StoreError> {
        let select = "SELECT id, name, models, all_access, built_in FROM model_sets ORDER BY id";
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| model_set(r, ""))
            .collect::<Result<Vec<_>, _>>()?))
    }

    pub async fn model_set(&self, id: i64) -> Result<Option<ModelSet>, StoreError> {
        let select = "SELECT id, name, models, all_access, built_in FROM model_sets WHERE id = ?";
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql).bind(id).fetch_optional(p).await?.map(|r| model_set(&r, "")).transpose()?))
    }

    /// The id of the set of `kind` named `name`, if there is one.
    pub async fn set_named(&self, kind: SetKind, name: &str) -> Result<Option<i64>, StoreError> {
        let select = format!("SELECT id FROM {} WHERE name = ?", kind.table());
        Ok(on_pool!(self, select, |p, sql| sqlx::query_scalar(sql).bind(name).fetch_optional(p).await?))
    }

    /// A new (never built-in, never all-access) set; its id. `items` are permission or model names.
    pub async fn create_set(&self, kind: SetKind, name: &str, items: &[String]) -> Result<i64, StoreError> {
        let insert = format!("INSERT INTO {} (name, {}) VALUES (?, ?) RETURNING id", kind.table(), kind.list_column());
        Ok(on_pool!(self, insert, |p, sql| sqlx::query_scalar(sql).bind(name).bind(items.join(",")).fetch_one(p).await?))
    }

    /// Why set `id` of `kind` may not change, if it may not (it is missing or built in).
    async fn unchangeable(&self, kind: SetKind, id: i64) -> Result<Option<RoleChange>, StoreError> {
        let built_in = format!("SELECT built_in FROM {} WHERE id = ?", kind.table());
        let flag: Option<bool> = on_pool!(self, built_in, |p, sql| sqlx::query_scalar(sql).bind(id).fetch_optional(p).await?);
        Ok(match flag {
            None => Some(RoleChange::Missing),
            Some(true) => Some(RoleChange::BuiltIn),
            Some(false) => None,
        })
    }

    pub async fn update_set(&self, kind: SetKind, id: i64, name: &str, items: &[String]) -> Result<RoleChange, StoreError> {
        if let Some(refused) = self.unchangeable(kind, id).await? {
            return Ok(refused);
        }
        let update = format!("UPDATE {} SET name = ?, {} = ? WHERE id = ?", kind.table(), kind.list_column());
        on_pool!(self, update, |p, sql| sqlx::query(sql).bind(name).bind(items.join(",")).bind(id).execute(p).await?.rows_affected());
        Ok(RoleChange::Done)
    }

    pub async fn delete_set(&self, kind: SetKind, id: i64) -> Result<RoleChange, StoreError> {
        if let Some(refused) = self.unchangeable(kind, id).await? {
            return Ok(refused);
        }
        let column = match kind {
            SetKind::Permission => "permission_set_id",
            SetKind::Model => "model_set_id",
        };
        let used = format!("SELECT COUNT(*) FROM roles WHERE {column} = ?");
        let uses: i64 = on_pool!(self, used, |p, sql| sqlx::query_scalar(sql).bind(id).fetch_one(p).await?);
        if uses > 0 {
            return Ok(RoleChange::InUse);
        }
        let delete = format!("DELETE FROM {} WHERE id = ?", kind.table());
        on_pool!(self, delete, |p, sql| sqlx::query(sql).bind(id).execute(p).await?.rows_affected());
        Ok(RoleChange::Done)
    }

    pub async fn roles(&self) -> Result<Vec<Role>, StoreError> {
        let select = format!("{ROLE_SELECT} ORDER BY r.id");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql).fetch_all(p).await?.iter().map(|r| role(r)).collect::<Result<Vec<_>, _>>()?))
    }

    pub async fn role(&self, id: i64) -> Result<Option<Role>, StoreError> {
        let select = format!("{ROLE_SELECT} WHERE r.id = ?");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql).bind(id).fetch_optional(p).await?.map(|r| role(&r)).transpose()?))
    }

    pub async fn role_named(&self, name: &str) -> Result<Option<i64>, StoreError> {
        Ok(on_pool!(self, "SELECT id FROM roles WHERE name = ?", |p, sql| sqlx::query_scalar(sql).bind(name).fetch_optional(p).await?))
    }

    pub async fn create_role(&self, name: &str, permission_set_id: i64, model_set_id: i64) -> Result<i64, StoreError> {
        let insert = "INSERT INTO roles (name, permission_set_id, model_set_id) VALUES (?, ?, ?) RETURNING id";
        Ok(on_pool!(self, insert, |p, sql| sqlx::query_scalar(sql)
            .bind(name)
            .bind(permission_set_id)
            .bind(model_set_id)
            .fetch_one(p)
            .await?))
    }

    pub async fn update_role(&self, id: i64, name: &str, permission_set_id: i64, model_set_id: i64) -> Result<bool, StoreError> {
        let update = "UPDATE roles SET name = ?, permission_set_id = ?, model_set_id = ? WHERE id = ?";
        let changed = on_pool!(self, update, |p, sql| sqlx::query(sql)
            .bind(name)
            .bind(permission_set_id)
            .bind(model_set_id)
            .bind(id)
            .execute(p)
            .await?
            .rows_affected());
        Ok(changed > 0)
    }

    /// Removes a role from everyone (and every group) who held it; false if there was none.
    pub async fn delete_role(&self, id: i64) -> Result<bool, StoreError> {
        on_pool!(self, "DELETE FROM user_roles WHERE role_id = ?", |p, sql| sqlx::query(sql).bind(id).execute(p).await?.rows_affected());
        on_pool!(self, "DELETE FROM group_roles WHERE role_id = ?", |p, sql| sqlx::query(sql).bind(id).execute(p).await?.rows_affected());
        let deleted =
            on_pool!(self, "DELETE FROM roles WHERE id = ?", |p, sql| sqlx::query(sql).bind(id).execute(p).await?.rows_affected());
        Ok(deleted > 0)
    }

    /// The roles a user holds: given to them, to a group they are in, or either.
    pub async fn user_roles(&self, user_id: i64, holding: Holding) -> Result<Vec<Role>, StoreError> {
        let select = format!("{ROLE_SELECT} WHERE r.id IN {} ORDER BY r.id", holding.role_ids());
        Ok(on_pool!(self, select, |p, sql| {
            let query = sqlx::query(sql).bind(user_id);
            let query = if holding == Holding::All { query.bind(user_id) } else { query };
            query.fetch_all(p).await?.iter().map(|r| role(r)).collect::<Result<Vec<_>, _>>()?
        }))
    }

    /// Replaces the roles `user_id` holds (ids the caller checked exist).
    pub async fn set_user_roles(&self, user_id: i64, role_ids: &[i64]) -> Result<(), StoreError> {
        self.replace_links(
            "DELETE FROM user_roles WHERE user_id = ?",
            "INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)",
            user_id,
            role_ids,
        )
        .await
    }

    /// Replaces, in one transaction, the rows linking `owner` to others: `delete` removes them
    /// (binding `owner`), `insert` adds one (binding `owner`, then the other), once per id.
    pub(crate) async fn replace_links(&self, delete: &str, insert: &str, owner: i64, others: &[i64]) -> Result<(), StoreError> {
        macro_rules! replace {
            ($pool:expr, $delete:expr, $insert:expr) => {{
                let mut tx = $pool.begin().await?;
                sqlx::query($delete).bind(owner).execute(&mut *tx).await?;
                for other in others.iter().collect::<BTreeSet<_>>() {
                    sqlx::query($insert).bind(owner).bind(other).execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }};
        }
        match &self.pool {
            crate::db::Pool::Sqlite(pool) => replace!(pool, delete, insert),
            crate::db::Pool::Postgres(pool) => {
                replace!(pool, &crate::db::numbered(delete), &crate::db::numbered(insert))
            }
        }
        Ok(())
    }

    /// The users holding a role, by id: given to them, and (unless `direct_only`) through a
    /// group they are in.
    pub async fn role_user_ids(&self, role_id: i64, direct_only: bool) -> Result<Vec<i64>, StoreError> {
        let select = match direct_only {
            true => "SELECT user_id FROM user_roles WHERE role_id = ? ORDER BY user_id",
            false => {
                "SELECT user_id FROM user_roles WHERE role_id = ? UNION \
                      SELECT gu.user_id FROM group_users gu JOIN group_roles gr ON gr.group_id = gu.group_id WHERE gr.role_id = ? \
                      ORDER BY user_id"
            }
        };
        Ok(on_pool!(self, select, |p, sql| {
            let query = sqlx::query_scalar(sql).bind(role_id);
            match direct_only {
                true => query.fetch_all(p).await?,
                false => query.bind(role_id).fetch_all(p).await?,
            }
        }))
    }

    /// Enabled users holding a role with the Admin (all-access) permission set, by id.
    pub async fn admin_user_ids(&self) -> Result<Vec<i64>, StoreError> {
        let select = "SELECT DISTINCT u.id FROM users u \
                      JOIN (SELECT user_id, role_id FROM user_roles UNION \
                            SELECT gu.user_id, gr.role_id FROM group_users gu JOIN group_roles gr ON gr.group_id = gu.group_id) ur \
                        ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id \
                      JOIN permission_sets p ON p.id = r.permission_set_id WHERE p.all_access = ? AND u.is_disabled = ? ORDER BY u.id";
        Ok(on_pool!(self, select, |p, sql| sqlx::query_scalar(sql).bind(true).bind(false).fetch_all(p).await?))
    }

    /// What `user_id` may do.
    pub async fn grants(&self, user_id: i64) -> Result<Grants, StoreError> {
        let select = format!(
            "SELECT p.permissions, p.all_access AS p_all, m.models, m.all_access AS m_all FROM roles r \
             JOIN permission_sets p ON p.id = r.permission_set_id JOIN model_sets m ON m.id = r.model_set_id WHERE r.id IN {HELD_ROLES}"
        );
        let rows = on_pool!(self, select, |p, sql| sqlx::query(sql)
            .bind(user_id)
            .bind(user_id)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| grant(r))
            .collect::<Result<Vec<_>, _>>()?);
        Ok(Grants(rows))
    }

    /// The enabled user a live token belongs to, with what they may do, in one statement.
    pub async fn caller_for_token(&self, token: &str) -> Result<Option<(i64, Grants)>, StoreError> {
        let hash = sha256_hex(&[token.as_bytes()]);
        let select = "SELECT t.user_id, p.permissions, p.all_access AS p_all, m.models, m.all_access AS m_all FROM access_tokens t \
                      JOIN users u ON u.id = t.user_id \
                      LEFT JOIN roles r ON r.id IN (SELECT role_id FROM user_roles WHERE user_id = t.user_id UNION \
                        SELECT gr.role_id FROM group_users gu JOIN group_roles gr ON gr.group_id = gu.group_id WHERE gu.user_id = t.user_id) \
                      LEFT JOIN permission_sets p ON p.id = r.permission_set_id LEFT JOIN model_sets m ON m.id = r.model_set_id \
                      WHERE t.token_hash = ? AND t.expires_at >= ? AND u.is_disabled = ?";
        let now = jiff::Timestamp::now().as_second();
        let read = |rows: &[&dyn Columns]| -> Result<Option<(i64, Grants)>, StoreError> {
            let Some(first) = rows.first() else { return Ok(None) };
            let user = first.int("user_id")?;
            let mut grants = Vec::new();
            for row in rows {
                if row.text_or_null("permissions")?.is_some() {
                    grants.push(grant(*row)?);
                }
            }
            Ok(Some((user, Grants(grants))))
        };
        Ok(on_pool!(self, select, |p, sql| {
            let rows = sqlx::query(sql).bind(&hash).bind(now).bind(false).fetch_all(p).await?;
            let columns: Vec<&dyn Columns> = rows.iter().map(|r| r as &dyn Columns).collect();
            read(&columns)?
        }))
    }
}

fn grant(r: &dyn Columns) -> Result<Grant, StoreError> {
    let models = if r.flag("m_all")? { Models::All } else { Models::Only(split(&r.text("models")?).into_iter().collect()) };
    Ok(Grant {
        all_permissions: r.flag("p_all")?,
        // A name this version does not know grants nothing (sets are checked when written).
        permissions: split(&r.text("permissions")?).iter().filter_map(|p| Permission::named(p)).collect(),
        models,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn the_first_user_is_admin_and_others_hold_what_their_roles_give(store: Store) {
        let creds = store.ensure_admin(None).await.unwrap().unwrap();
        let admin = store.verify_api3(&creds.client_id, &creds.client_secret).await.unwrap().unwrap();
        let token = store.create_token(admin, 60).await.unwrap();
        let (user, grants) = store.caller_for_token(&token).await.unwrap().unwrap();
        assert_eq!(user, admin);
        assert!(grants.is_admin());
        assert_eq!(store.admin_user_ids().await.unwrap(), vec![admin]);

        let ann = store.create_user("Ann", "Lee", None).await.unwrap();
        let token = store.create_token(ann, 60).await.unwrap();
        let (_, grants) = store.caller_for_token(&token).await.unwrap().unwrap();
        assert_eq!(grants, Grants::default(), "no roles, no grants");

        let sales = store.create_set(SetKind::Model, "sales only", &["sales".into()]).await.unwrap();
        let viewer = store.set_named(SetKind::Permission, "Viewer").await.unwrap().unwrap();
        let role = store.create_role("Sales viewer", viewer, sales).await.unwrap();
        store.set_user_roles(ann, &[role, role]).await.unwrap();
        let (_, grants) = store.caller_for_token(&token).await.unwrap().unwrap();
        assert!(grants.has_on(Permission::SeeLooks, "sales"));
        assert!(!grants.has_on(Permission::SeeLooks, "hr"));
        assert!(!grants.has(Permission::Explore));
        assert_eq!(store.role_user_ids(role, false).await.unwrap(), vec![ann]);
        // Through a group: Bo holds the role as its member, beside what is given to him.
        let bo = store.create_user("Bo", "Ek", None).await.unwrap();
        let bo_token = store.create_token(bo, 60).await.unwrap();
        let group = store.create_group("Sales").await.unwrap();
        store.add_group_user(group, bo).await.unwrap();
        store.add_group_user(group, bo).await.unwrap();
        store.set_role_groups(role, &[group]).await.unwrap();
        let (_, grants) = store.caller_for_token(&bo_token).await.unwrap().unwrap();
        assert!(grants.has_on(Permission::SeeLooks, "sales"), "{grants:?}");
        assert_eq!(store.grants(bo).await.unwrap(), grants);
        assert_eq!(store.user_roles(bo, Holding::All).await.unwrap().len(), 1);
        assert_eq!(store.user_roles(bo, Holding::Direct).await.unwrap(), vec![]);
        assert_eq!(store.user_roles(bo, Holding::ThroughGroups).await.unwrap().len(), 1);
        assert_eq!(store.role_user_ids(role, false).await.unwrap(), vec![ann, bo]);
        assert_eq!(store.role_user_ids(role, true).await.unwrap(), vec![ann]);
        assert_eq!(store.group(group).await.unwrap().map(|g| g.user_count), Some(1));
        assert!(store.remove_group_user(group, bo).await.unwrap());
        let (_, grants) = store.caller_for_token(&bo_token).await.unwrap().unwrap();
        assert_eq!(grants, Grants::default(), "out of the group, nothing");
        assert!(store.delete_group(group).await.unwrap());
        assert_eq!(store.delete_set(SetKind::Model, sales).await.unwrap(), RoleChange::InUse);
        assert_eq!(store.delete_set(SetKind::Permission, viewer).await.unwrap(), RoleChange::BuiltIn);
        assert!(store.delete_role(role).await.unwrap());
        assert_eq!(store.user_roles(ann, Holding::All).await.unwrap(), vec![]);
        assert_eq!(store.delete_set(SetKind::Model, sales).await.unwrap(), RoleChange::Done);
    }

    async fn a_disabled_users_tokens_stop_working(store: Store) {
        let ann = store.create_user("Ann", "Lee", None).await.unwrap();
        let token = store.create_token(ann, 60).await.unwrap();
        assert!(store.caller_for_token(&token).await.unwrap().is_some());
        store.set_user_disabled(ann, true).await.unwrap();
        assert!(store.caller_for_token(&token).await.unwrap().is_none());
    }

    crate::on_both_databases!(the_first_user_is_admin_and_others_hold_what_their_roles_give, a_disabled_users_tokens_stop_working);
}
