//! User attributes: named values per user, with a default, that access filters, access grants and
//! Liquid's `_user_attributes` read when a query runs for that user. The system attributes
//! (`email`, `first_name`, `last_name`, `name`, `id`) are the user's own fields: listed like the
//! others, never stored per user, never changed or deleted. A name is unique.

use std::collections::BTreeMap;

use crate::db::{on_pool, Columns};
use crate::{Store, StoreError};

/// An attribute's own fields, as created or as an update leaves them.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeFields {
    pub name: String,
    pub label: String,
    /// Looker's attribute `type` (`string`, `number`, `advanced_filter_string`, …).
    pub kind: String,
    pub default_value: Option<String>,
    pub value_is_hidden: bool,
    pub user_can_view: bool,
    pub user_can_edit: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserAttribute {
    pub id: i64,
    pub is_system: bool,
    pub fields: AttributeFields,
}

/// Where a user's value of an attribute comes from, in Looker's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueSource {
    /// Set for the user.
    User,
    /// Set for a group the user is in (the one of lowest rank that has a value).
    Group,
    /// The attribute's default.
    Default,
    /// A system attribute: the user's own field.
    System,
}

impl ValueSource {
    /// Looker's `source` string.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueSource::User => "user",
            ValueSource::Group => "group",
            ValueSource::Default => "default",
            ValueSource::System => "system",
        }
    }
}

/// An attribute's value for the users of a group; of a user's groups, the lowest `rank` wins.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupValue {
    pub group_id: i64,
    pub attribute_id: i64,
    pub value: String,
    pub rank: i64,
}

/// One attribute's value for one user: `None` when it has neither a value nor a default.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeValue {
    pub attribute: UserAttribute,
    pub value: Option<String>,
    pub source: Option<ValueSource>,
}

const COLUMNS: &str = "id, name, label, kind, default_value, is_system, value_is_hidden, user_can_view, user_can_edit";

fn attribute(r: &dyn Columns) -> Result<UserAttribute, StoreError> {
    Ok(UserAttribute {
        id: r.int("id")?,
        is_system: r.flag("is_system")?,
        fields: AttributeFields {
            name: r.text("name")?,
            label: r.text("label")?,
            kind: r.text("kind")?,
            default_value: r.text_or_null("default_value")?,
            value_is_hidden: r.flag("value_is_hidden")?,
            user_can_view: r.flag("user_can_view")?,
            user_can_edit: r.flag("user_can_edit")?,
        },
    })
}

impl Store {
    pub async fn create_user_attribute(&self, f: &AttributeFields) -> Result<UserAttribute, StoreError> {
        let insert = "INSERT INTO user_attributes (name, label, kind, default_value, value_is_hidden, user_can_view, user_can_edit) \
                      VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id";
        let id: i64 = on_pool!(self, insert, |p, sql| sqlx::query_scalar(sql)
            .bind(&f.name)
            .bind(&f.label)
            .bind(&f.kind)
            .bind(&f.default_value)
            .bind(f.value_is_hidden)
            .bind(f.user_can_view)
            .bind(f.user_can_edit)
            .fetch_one(p)
            .await?);
        Ok(self.user_attribute(id).await?.ok_or(sqlx::Error::RowNotFound)?)
    }

    pub async fn user_attribute(&self, id: i64) -> Result<Option<UserAttribute>, StoreError> {
        let select = format!("SELECT {COLUMNS} FROM user_attributes WHERE id = ?");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql).bind(id).fetch_optional(p).await?.map(|r| attribute(&r)).transpose()?))
    }

    pub async fn user_attribute_named(&self, name: &str) -> Result<Option<UserAttribute>, StoreError> {
        let select = format!("SELECT {COLUMNS} FROM user_attributes WHERE name = ?");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql).bind(name).fetch_optional(p).await?.map(|r| attribute(&r)).transpose()?))
    }

    /// Every attribute, system ones first, then in the order they were made.
    pub async fn user_attributes(&self) -> Result<Vec<UserAttribute>, StoreError> {
        let select = format!("SELECT {COLUMNS} FROM user_attributes ORDER BY id");
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| attribute(r))
            .collect::<Result<Vec<_>, _>>()?))
    }

    /// Replaces an attribute's fields; the attribute after, `None` if there is none (or it is a
    /// system attribute, which cannot change).
    pub async fn update_user_attribute(&self, id: i64, f: &AttributeFields) -> Result<Option<UserAttribute>, StoreError> {
        let update = "UPDATE user_attributes SET name = ?, label = ?, kind = ?, default_value = ?, value_is_hidden = ?, \
                      user_can_view = ?, user_can_edit = ? WHERE id = ? AND is_system = ?";
        on_pool!(self, update, |p, sql| sqlx::query(sql)
            .bind(&f.name)
            .bind(&f.label)
            .bind(&f.kind)
            .bind(&f.default_value)
            .bind(f.value_is_hidden)
            .bind(f.user_can_view)
            .bind(f.user_can_edit)
            .bind(id)
            .bind(false)
            .execute(p)
            .await?
            .rows_affected());
        self.user_attribute(id).await
    }

    /// Removes an attribute and every user's and group's value of it; false if there was none (or it is a
    /// system attribute).
    pub async fn delete_user_attribute(&self, id: i64) -> Result<bool, StoreError> {
        // Values first: SQLite enforces the cascade only with its foreign-key pragma on.
        for table in ["user_attribute_values", "group_attribute_values"] {
            let delete = format!("DELETE FROM {table} WHERE user_attribute_id = ?");
            on_pool!(self, delete, |p, sql| sqlx::query(sql).bind(id).execute(p).await?.rows_affected());
        }
        let deleted = on_pool!(self, "DELETE FROM user_attributes WHERE id = ? AND is_system = ?", |p, sql| sqlx::query(sql)
            .bind(id)
            .bind(false)
            .execute(p)
            .await?
            .rows_affected());
        Ok(deleted > 0)
    }

    /// Sets `user_id`'s value of attribute `attribute_id` (not a system one).
    pub async fn set_user_attribute_value(&self, user_id: i64, attribute_id: i64, value: &str) -> Result<(), StoreError> {
        let upsert = "INSERT INTO user_attribute_values (user_id, user_attribute_id, value) VALUES (?, ?, ?) \
                      ON CONFLICT (user_id, user_attribute_id) DO UPDATE SET value = excluded.value";
        on_pool!(self, upsert, |p, sql| sqlx::query(sql).bind(user_id).bind(attribute_id).bind(value).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Removes `user_id`'s own value of an attribute (its default applies again); false if it
    /// had none.
    pub async fn delete_user_attribute_value(&self, user_id: i64, attribute_id: i64) -> Result<bool, StoreError> {
        let delete = "DELETE FROM user_attribute_values WHERE user_id = ? AND user_attribute_id = ?";
        let deleted = on_pool!(self, delete, |p, sql| sqlx::query(sql).bind(user_id).bind(attribute_id).execute(p).await?.rows_affected());
        Ok(deleted > 0)
    }

    /// Every attribute with `user_id`'s value of it: its own, else its groups' (the lowest rank
    /// first), else the default, else none; the system attributes from the user's fields.
    /// `None` when there is no such user.
    pub async fn user_attribute_values(&self, user_id: i64) -> Result<Option<Vec<AttributeValue>>, StoreError> {
        let Some(user) = self.user(user_id).await? else { return Ok(None) };
        let own: BTreeMap<i64, String> = self
            .attribute_value_pairs("SELECT user_attribute_id, value FROM user_attribute_values WHERE user_id = ?", user_id)
            .await?
            .into_iter()
            .collect();
        // Values of the user's groups, best first (lowest rank): the first for each attribute wins.
        let select = "SELECT v.user_attribute_id, v.value FROM group_attribute_values v \
                      JOIN group_users gu ON gu.group_id = v.group_id WHERE gu.user_id = ? ORDER BY v.rank, v.group_id";
        let mut from_groups: BTreeMap<i64, String> = BTreeMap::new();
        for (attribute, value) in self.attribute_value_pairs(select, user_id).await? {
            from_groups.entry(attribute).or_insert(value);
        }
        let name = format!("{} {}", user.first_name, user.last_name).trim().to_string();
        let values = self
            .user_attributes()
            .await?
            .into_iter()
            .map(|attribute| {
                let (value, source) = if attribute.is_system {
                    let value = match attribute.fields.name.as_str() {
                        "email" => user.email.clone(),
                        "first_name" => Some(user.first_name.clone()),
                        "last_name" => Some(user.last_name.clone()),
                        "name" => Some(name.clone()),
                        "id" => Some(user.id.to_string()),
                        _ => None,
                    };
                    (value, Some(ValueSource::System))
                } else if let Some(v) = own.get(&attribute.id) {
                    (Some(v.clone()), Some(ValueSource::User))
                } else if let Some(v) = from_groups.get(&attribute.id) {
                    (Some(v.clone()), Some(ValueSource::Group))
                } else if let Some(v) = &attribute.fields.default_value {
                    (Some(v.clone()), Some(ValueSource::Default))
                } else {
                    (None, None)
                };
                AttributeValue { source: value.as_ref().and(source), value, attribute }
            })
            .collect();
        Ok(Some(values))
    }

    /// (attribute id, value) rows of `select`, which binds a user id, in its order.
    async fn attribute_value_pairs(&self, select: &str, user_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql)
            .bind(user_id)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| -> Result<(i64, String), StoreError> { Ok((r.int("user_attribute_id")?, r.text("value")?)) })
            .collect::<Result<_, _>>()?))
    }

    /// An attribute's values for groups, by rank (1 first).
    pub async fn attribute_group_values(&self, attribute_id: i64) -> Result<Vec<GroupValue>, StoreError> {
        let select = "SELECT group_id, value, rank FROM group_attribute_values WHERE user_attribute_id = ? ORDER BY rank, group_id";
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql)
            .bind(attribute_id)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| -> Result<GroupValue, StoreError> {
                Ok(GroupValue { group_id: r.int("group_id")?, attribute_id, value: r.text("value")?, rank: r.int("rank")? })
            })
            .collect::<Result<Vec<_>, _>>()?))
    }

    /// Replaces an attribute's group values with `values` (group, value), the first ranked 1
    /// (ids the caller checked exist, each once).
    pub async fn set_attribute_group_values(&self, attribute_id: i64, values: &[(i64, String)]) -> Result<(), StoreError> {
        macro_rules! replace {
            ($pool:expr, $delete:expr, $insert:expr) => {{
                let mut tx = $pool.begin().await?;
                sqlx::query($delete).bind(attribute_id).execute(&mut *tx).await?;
                for (rank, (group, value)) in values.iter().enumerate() {
                    sqlx::query($insert).bind(group).bind(attribute_id).bind(value).bind(rank as i64 + 1).execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }};
        }
        let delete = "DELETE FROM group_attribute_values WHERE user_attribute_id = ?";
        let insert = "INSERT INTO group_attribute_values (group_id, user_attribute_id, value, rank) VALUES (?, ?, ?, ?)";
        match &self.pool {
            crate::db::Pool::Sqlite(pool) => replace!(pool, delete, insert),
            crate::db::Pool::Postgres(pool) => replace!(pool, &crate::db::numbered(delete), &crate::db::numbered(insert)),
        }
        Ok(())
    }

    /// Sets one group's value of an attribute: in place when it has one, else ranked after the
    /// others.
    pub async fn set_group_attribute_value(&self, group_id: i64, attribute_id: i64, value: &str) -> Result<GroupValue, StoreError> {
        let update = "UPDATE group_attribute_values SET value = ? WHERE group_id = ? AND user_attribute_id = ?";
        let changed = on_pool!(self, update, |p, sql| sqlx::query(sql)
            .bind(value)
            .bind(group_id)
            .bind(attribute_id)
            .execute(p)
            .await?
            .rows_affected());
        if changed == 0 {
            let insert = "INSERT INTO group_attribute_values (group_id, user_attribute_id, value, rank) \
                          SELECT ?, ?, ?, COALESCE(MAX(rank), 0) + 1 FROM group_attribute_values WHERE user_attribute_id = ?";
            on_pool!(self, insert, |p, sql| sqlx::query(sql)
                .bind(group_id)
                .bind(attribute_id)
                .bind(value)
                .bind(attribute_id)
                .execute(p)
                .await?
                .rows_affected());
        }
        let values = self.attribute_group_values(attribute_id).await?;
        values.into_iter().find(|v| v.group_id == group_id).ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }

    /// Removes one group's value of an attribute; false if it had none.
    pub async fn delete_group_attribute_value(&self, group_id: i64, attribute_id: i64) -> Result<bool, StoreError> {
        let delete = "DELETE FROM group_attribute_values WHERE group_id = ? AND user_attribute_id = ?";
        let deleted = on_pool!(self, delete, |p, sql| sqlx::query(sql).bind(group_id).bind(attribute_id).execute(p).await?.rows_affected());
        Ok(deleted > 0)
    }

    /// `user_id`'s attribute values by name (those it has), as queries read them.
    pub async fn user_attribute_map(&self, user_id: i64) -> Result<BTreeMap<String, String>, StoreError> {
        let values = self.user_attribute_values(user_id).await?.unwrap_or_default();
        Ok(values.into_iter().filter_map(|v| Some((v.attribute.fields.name, v.value?))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn attributes_have_defaults_user_values_and_system_values(store: Store) {
        let (store, user, _) = crate::test_setup(store).await;
        let system: Vec<String> = store.user_attributes().await.unwrap().into_iter().map(|a| a.fields.name).collect();
        assert_eq!(system, ["email", "first_name", "last_name", "name", "id"]);
        let fields = AttributeFields {
            name: "region".into(),
            label: "Region".into(),
            kind: "string".into(),
            default_value: Some("EMEA".into()),
            value_is_hidden: false,
            user_can_view: true,
            user_can_edit: false,
        };
        let region = store.create_user_attribute(&fields).await.unwrap();
        assert_eq!((region.fields.clone(), region.is_system), (fields.clone(), false));
        assert!(store.create_user_attribute(&fields).await.is_err(), "one attribute per name");
        assert_eq!(store.user_attribute_named("region").await.unwrap().map(|a| a.id), Some(region.id));

        let map = store.user_attribute_map(user).await.unwrap();
        assert_eq!(map.get("region").map(String::as_str), Some("EMEA"), "the default");
        assert_eq!(map.get("id"), Some(&user.to_string()));
        store.set_user_attribute_value(user, region.id, "US, Canada").await.unwrap();
        store.set_user_attribute_value(user, region.id, "US").await.unwrap();
        let values = store.user_attribute_values(user).await.unwrap().unwrap();
        let mine = values.iter().find(|v| v.attribute.id == region.id).unwrap();
        assert_eq!((mine.value.as_deref(), mine.source), (Some("US"), Some(ValueSource::User)));
        assert!(store.delete_user_attribute_value(user, region.id).await.unwrap());
        assert!(!store.delete_user_attribute_value(user, region.id).await.unwrap());

        // Group values: of the user's groups, the lowest rank gives the value; their own comes
        // first, the default last.
        let (east, west, other) = (
            store.create_group("East").await.unwrap(),
            store.create_group("West").await.unwrap(),
            store.create_group("Other").await.unwrap(),
        );
        store.add_group_user(east, user).await.unwrap();
        store.add_group_user(west, user).await.unwrap();
        store
            .set_attribute_group_values(region.id, &[(other, "APAC".into()), (west, "US West".into()), (east, "US East".into())])
            .await
            .unwrap();
        let value_of = |values: Vec<AttributeValue>| {
            let v = values.into_iter().find(|v| v.attribute.id == region.id).unwrap();
            (v.value, v.source)
        };
        let seen = value_of(store.user_attribute_values(user).await.unwrap().unwrap());
        assert_eq!(seen, (Some("US West".into()), Some(ValueSource::Group)), "West ranks above East; Other is not theirs");
        assert_eq!(store.attribute_group_values(region.id).await.unwrap().iter().map(|v| v.rank).collect::<Vec<_>>(), [1, 2, 3]);
        assert!(store.delete_group_attribute_value(west, region.id).await.unwrap());
        let set = store.set_group_attribute_value(east, region.id, "US-E").await.unwrap();
        assert_eq!((set.value.as_str(), set.rank), ("US-E", 3), "in place");
        let added = store.set_group_attribute_value(west, region.id, "US-W").await.unwrap();
        assert_eq!(added.rank, 4, "new ones rank last");
        assert_eq!(value_of(store.user_attribute_values(user).await.unwrap().unwrap()).0, Some("US-E".into()));
        store.set_user_attribute_value(user, region.id, "Mine").await.unwrap();
        assert_eq!(value_of(store.user_attribute_values(user).await.unwrap().unwrap()), (Some("Mine".into()), Some(ValueSource::User)));
        store.delete_user_attribute_value(user, region.id).await.unwrap();
        assert!(store.delete_group(east).await.unwrap() && store.delete_group(west).await.unwrap());
        assert_eq!(value_of(store.user_attribute_values(user).await.unwrap().unwrap()).1, Some(ValueSource::Default));

        let cleared = AttributeFields { default_value: None, ..fields.clone() };
        store.update_user_attribute(region.id, &cleared).await.unwrap();
        let values = store.user_attribute_values(user).await.unwrap().unwrap();
        let mine = values.iter().find(|v| v.attribute.id == region.id).unwrap();
        assert_eq!((mine.value.as_deref(), mine.source), (None, None));

        let email = store.user_attribute_named("email").await.unwrap().unwrap();
        assert!(!store.delete_user_attribute(email.id).await.unwrap(), "system attributes stay");
        assert_eq!(store.update_user_attribute(email.id, &fields).await.unwrap().map(|a| a.fields.name), Some("email".into()));
        store.set_user_attribute_value(user, region.id, "US").await.unwrap();
        assert!(store.delete_user_attribute(region.id).await.unwrap());
        assert_eq!(store.user_attribute(region.id).await.unwrap(), None);
        assert!(store.user_attribute_values(user + 1000).await.unwrap().is_none());
    }

    crate::on_both_databases!(attributes_have_defaults_user_values_and_system_values);
}
