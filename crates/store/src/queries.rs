//! Saved queries: immutable, de-duplicated by content hash. Being immutable, those read are kept
//! in memory (a bounded map): every poll of a query task and every run reads its query.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::db::{on_pool, Columns};
use crate::{now_text, random_hex, sha256_hex, Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct StoredQuery {
    pub id: i64,
    pub slug: String,
    /// The normalised JSON body.
    pub body: String,
}

/// Queries kept in memory at most; past it the map starts again.
const RECENT: usize = 10_000;

#[derive(Debug, Default)]
pub(crate) struct Recent(Mutex<HashMap<i64, StoredQuery>>);

impl Recent {
    fn get(&self, id: i64) -> Option<StoredQuery> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).get(&id).cloned()
    }

    fn keep(&self, query: &StoredQuery) {
        let mut recent = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if recent.len() >= RECENT {
            recent.clear();
        }
        recent.insert(query.id, query.clone());
    }
}

fn stored(row: &dyn Columns) -> Result<StoredQuery, StoreError> {
    Ok(StoredQuery { id: row.int("id")?, slug: row.text("slug")?, body: row.text("body")? })
}

impl Store {
    /// Saves a query body (already normalised JSON) or returns the identical one saved before.
    pub async fn save_query(&self, body: &str) -> Result<StoredQuery, StoreError> {
        let hash = sha256_hex(&[body.as_bytes()]);
        let insert = "INSERT INTO queries (slug, content_hash, body, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(content_hash) DO NOTHING";
        on_pool!(self, insert, |p, sql| sqlx::query(sql)
            .bind(random_hex(11))
            .bind(&hash)
            .bind(body)
            .bind(now_text())
            .execute(p)
            .await?
            .rows_affected());
        on_pool!(self, "SELECT id, slug, body FROM queries WHERE content_hash = ?", |p, sql| {
            stored(&sqlx::query(sql).bind(&hash).fetch_one(p).await?)
        })
    }

    pub async fn query(&self, id: i64) -> Result<Option<StoredQuery>, StoreError> {
        if let Some(known) = self.saved.get(id) {
            return Ok(Some(known));
        }
        let query = on_pool!(self, "SELECT id, slug, body FROM queries WHERE id = ?", |p, sql| {
            sqlx::query(sql).bind(id).fetch_optional(p).await?.map(|r| stored(&r)).transpose()?
        });
        if let Some(q) = &query {
            self.saved.keep(q);
        }
        Ok(query)
    }

    /// The query a share URL (`/x/{slug}`) names.
    pub async fn query_by_slug(&self, slug: &str) -> Result<Option<StoredQuery>, StoreError> {
        Ok(on_pool!(self, "SELECT id, slug, body FROM queries WHERE slug = ?", |p, sql| {
            sqlx::query(sql).bind(slug).fetch_optional(p).await?.map(|r| stored(&r)).transpose()?
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn identical_bodies_share_one_query(store: Store) {
        let a = store.save_query("{\"model\":\"m\"}").await.unwrap();
        let b = store.save_query("{\"model\":\"m\"}").await.unwrap();
        let c = store.save_query("{\"model\":\"n\"}").await.unwrap();
        assert_eq!(a, b);
        assert_ne!(a.id, c.id);
        assert_eq!(store.query(a.id).await.unwrap(), Some(a.clone()));
        assert_eq!(store.query(999).await.unwrap(), None);
        assert_eq!(store.query_by_slug(&a.slug).await.unwrap().map(|q| q.id), Some(a.id));
        assert_eq!(store.query_by_slug("nope").await.unwrap(), None);
    }

    crate::on_both_databases!(identical_bodies_share_one_query);
}
