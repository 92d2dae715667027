//! Connections created through the API, as JSON definitions the engine opens.

use sqlx::Row;

use crate::{now_text, Store, StoreError};

impl Store {
    /// Every stored connection as (name, definition JSON), by name.
    pub async fn connections(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT name, definition FROM connections ORDER BY name").fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|r| (r.get("name"), r.get("definition"))).collect())
    }

    /// Stores a new connection; `false` when the name is taken.
    pub async fn create_connection(&self, name: &str, definition: &str) -> Result<bool, StoreError> {
        let now = now_text();
        let done = sqlx::query(
            "INSERT INTO connections (name, definition, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO NOTHING",
        )
        .bind(name)
        .bind(definition)
        .bind(&now)
        .bind(&now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces a connection's definition; `false` when there is none by that name.
    pub async fn update_connection(&self, name: &str, definition: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE connections SET definition = ?, updated_at = ? WHERE name = ?")
            .bind(definition)
            .bind(now_text())
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// `false` when there is none by that name.
    pub async fn delete_connection(&self, name: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM connections WHERE name = ?").bind(name).execute(&self.pool).await?;
        Ok(done.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connections_are_created_once_updated_and_deleted() {
        let store = Store::in_memory().await.unwrap();
        assert!(store.create_connection("w", "{\"a\":1}").await.unwrap());
        assert!(!store.create_connection("w", "{\"a\":2}").await.unwrap());
        assert!(store.update_connection("w", "{\"a\":3}").await.unwrap());
        assert!(!store.update_connection("x", "{}").await.unwrap());
        assert_eq!(store.connections().await.unwrap(), vec![("w".to_string(), "{\"a\":3}".to_string())]);
        assert!(store.delete_connection("w").await.unwrap());
        assert!(!store.delete_connection("w").await.unwrap());
        assert!(store.connections().await.unwrap().is_empty());
    }
}
