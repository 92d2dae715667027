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
            ValueSource::Default => "default",
            ValueSource::System => "system",
        }
    }
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

    /// Removes an attribute and every user's value of it; false if there was none (or it is a
    /// system attribute).
    pub async fn delete_user_attribute(&self, id: i64) -> Result<bool, StoreError> {
        // Values first: SQLite enforces the cascade only with its foreign-key pragma on.
        on_pool!(self, "DELETE FROM user_attribute_values WHERE user_attribute_id = ?", |p, sql| sqlx::query(sql)
            .bind(id)
            .execute(p)
            .await?
            .rows_affected());
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

    /// Every attribute with `user_id`'s value of it: its own, else the default, else none; the
    /// system attributes from the user's fields. `None` when there is no such user.
    pub async fn user_attribute_values(&self, user_id: i64) -> Result<Option<Vec<AttributeValue>>, StoreError> {
        let Some(user) = self.user(user_id).await? else { return Ok(None) };
        let select = "SELECT user_attribute_id, value FROM user_attribute_values WHERE user_id = ?";
        let own: BTreeMap<i64, String> = on_pool!(self, select, |p, sql| sqlx::query(sql)
            .bind(user_id)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| -> Result<(i64, String), StoreError> { Ok((r.int("user_attribute_id")?, r.text("value")?)) })
            .collect::<Result<_, _>>()?);
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
