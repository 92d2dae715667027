//! Connections created through the API, as JSON definitions the engine opens.

use crate::db::{on_pool, Columns};
use crate::{now_text, Store, StoreError};

impl Store {
    /// Every stored connection as (name, definition JSON), by name.
    pub async fn connections(&self) -> Result<Vec<(String, String)>, StoreError> {
        let read = |r: &dyn Columns| -> Result<(String, String), StoreError> { Ok((r.text("name")?, r.text("definition")?)) };
        on_pool!(self, "SELECT name, definition FROM connections ORDER BY name", |p, sql| {
            sqlx::query(sql).fetch_all(p).await?.iter().map(|r| read(r)).collect()
        })
    }

    /// Stores a new connection; `false` when the name is taken.
    pub async fn create_connection(&self, name: &str, definition: &str) -> Result<bool, StoreError> {
        let now = now_text();
        let insert = "INSERT INTO connections (name, definition, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO NOTHING";
        let created = on_pool!(self, insert, |p, sql| {
            sqlx::query(sql).bind(name).bind(definition).bind(&now).bind(&now).execute(p).await?.rows_affected()
        });
        Ok(created == 1)
    }

    /// Replaces a connection's definition; `false` when there is none by that name.
    pub async fn update_connection(&self, name: &str, definition: &str) -> Result<bool, StoreError> {
        let updated = on_pool!(self, "UPDATE connections SET definition = ?, updated_at = ? WHERE name = ?", |p, sql| {
            sqlx::query(sql).bind(definition).bind(now_text()).bind(name).execute(p).await?.rows_affected()
        });
        Ok(updated == 1)
    }

    /// `false` when there is none by that name.
    pub async fn delete_connection(&self, name: &str) -> Result<bool, StoreError> {
        let deleted = on_pool!(self, "DELETE FROM connections WHERE name = ?", |p, sql| sqlx::query(sql)
            .bind(name)
            .execute(p)
            .await?
            .rows_affected());
        Ok(deleted == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn connections_are_created_once_updated_and_deleted(store: Store) {
        assert!(store.create_connection("w", "{\"a\":1}").await.unwrap());
        assert!(!store.create_connection("w", "{\"a\":2}").await.unwrap());
        assert!(store.update_connection("w", "{\"a\":3}").await.unwrap());
        assert!(!store.update_connection("x", "{}").await.unwrap());
        assert_eq!(store.connections().await.unwrap(), vec![("w".to_string(), "{\"a\":3}".to_string())]);
        assert!(store.delete_connection("w").await.unwrap());
        assert!(!store.delete_connection("w").await.unwrap());
        assert!(store.connections().await.unwrap().is_empty());
    }

    crate::on_both_databases!(connections_are_created_once_updated_and_deleted);
}
