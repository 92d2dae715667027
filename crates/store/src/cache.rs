//! The result cache: formatted results by cache key (a hash, made by the engine, of everything
//! that determines the bytes), stored as files beside task results.
//!
//! An entry is fresh until `stale_at` (its explore's cache policy), and only while its datagroup
//! trigger still has the value it had when stored; the engine decides both. A stale entry is
//! kept a while longer (the result TTL past staleness) for `cache_only` requests, then swept.

use std::time::Duration;

use crate::db::{on_pool, Columns};
use crate::{Store, StoreError};

/// Entries whose only bound is a datagroup trigger are stale after this at most.
const TRIGGER_ONLY_AGE: Duration = Duration::from_secs(7 * 86_400);

/// A cached result as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedResult {
    pub content_type: String,
    pub body: crate::Payload,
    /// The datagroup trigger's value when it was stored.
    pub trigger_value: Option<String>,
    /// Seconds since 1970.
    pub created_at: i64,
    /// When it stops being fresh (seconds since 1970).
    pub stale_at: i64,
}

impl CachedResult {
    /// Fresh now, for a trigger whose value is now `trigger`.
    pub fn is_fresh(&self, trigger: Option<&str>) -> bool {
        jiff::Timestamp::now().as_second() < self.stale_at && self.trigger_value.as_deref() == trigger
    }
}

/// The cache key of `parts`: a SHA-256, hex.
pub fn cache_key(parts: &[&[u8]]) -> String {
    let mut framed = Vec::with_capacity(parts.len());
    for part in parts {
        framed.push(*part);
        framed.push(b"\0");
    }
    crate::sha256_hex(&framed)
}

fn seconds(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

impl Store {
    /// The entry stored under `key`, fresh or not; `None` when there is none (or its file has gone).
    pub async fn cached_result(&self, key: &str) -> Result<Option<CachedResult>, StoreError> {
        let read = |r: &dyn Columns| -> Result<_, StoreError> {
            let entry = CachedResult {
                content_type: r.text("content_type")?,
                body: crate::Payload::from(Vec::new()),
                trigger_value: r.text_or_null("trigger_value")?,
                created_at: r.int("created_at")?,
                stale_at: r.int("stale_at")?,
            };
            Ok((r.text("result_file")?, entry))
        };
        let select = "SELECT content_type, result_file, trigger_value, created_at, stale_at FROM result_cache WHERE cache_key = ?";
        let row = on_pool!(self, select, |p, sql| sqlx::query(sql).bind(key).fetch_optional(p).await?.map(|r| read(&r)).transpose()?);
        let Some((file, entry)) = row else { return Ok(None) };
        let Some(body) = self.read_payload(&file).await? else { return Ok(None) };
        Ok(Some(CachedResult { body, ..entry }))
    }

    /// Stores a result under `key` (replacing what was there), fresh for `max_age` (`None`: until
    /// its trigger changes, a week at most) while the trigger keeps value `trigger_value`.
    pub async fn cache_result(
        &self,
        key: &str,
        content_type: &str,
        body: &crate::Payload,
        trigger_value: Option<&str>,
        max_age: Option<Duration>,
    ) -> Result<(), StoreError> {
        let now = jiff::Timestamp::now().as_second();
        let stale_at = now.saturating_add(seconds(max_age.unwrap_or(TRIGGER_ONLY_AGE)));
        let expires_at = stale_at.saturating_add(seconds(self.result_ttl));
        let file = self.write_payload("cache", key, body).await?;
        let upsert = "INSERT INTO result_cache (cache_key, content_type, result_file, trigger_value, created_at, stale_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (cache_key) DO UPDATE SET content_type = excluded.content_type, \
             result_file = excluded.result_file, trigger_value = excluded.trigger_value, created_at = excluded.created_at, \
             stale_at = excluded.stale_at, expires_at = excluded.expires_at";
        on_pool!(self, upsert, |p, sql| sqlx::query(sql)
            .bind(key)
            .bind(content_type)
            .bind(&file)
            .bind(trigger_value)
            .bind(now)
            .bind(stale_at)
            .bind(expires_at)
            .execute(p)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Removes cache entries past their expiry, and their files; how many.
    pub(crate) async fn sweep_cache(&self) -> Result<u64, StoreError> {
        let now = jiff::Timestamp::now().as_second();
        let expired: Vec<(String, String)> =
            on_pool!(self, "SELECT cache_key, result_file FROM result_cache WHERE expires_at <= ?", |p, sql| {
                sqlx::query_as(sql).bind(now).fetch_all(p).await?
            });
        let mut removed = 0;
        for (key, file) in expired {
            let gone = on_pool!(self, "DELETE FROM result_cache WHERE cache_key = ? AND expires_at <= ?", |p, sql| {
                sqlx::query(sql).bind(&key).bind(now).execute(p).await?.rows_affected()
            });
            if gone == 1 {
                self.remove_result(&file).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn entries_are_fresh_until_their_age_or_trigger_says_otherwise(store: Store) {
        let key = cache_key(&[b"json", b"SELECT 1"]);
        assert_ne!(key, cache_key(&[b"jso", b"nSELECT 1"]), "parts are framed");
        assert_eq!(store.cached_result(&key).await.unwrap(), None);
        let bytes = |b: &[u8]| crate::Payload::from(b);
        store.cache_result(&key, "application/json", &bytes(b"[1]"), Some("7"), Some(Duration::from_secs(60))).await.unwrap();
        let hit = store.cached_result(&key).await.unwrap().unwrap();
        assert_eq!((hit.body.read_all().await.unwrap(), hit.content_type.as_str()), (b"[1]".to_vec(), "application/json"));
        assert!(hit.is_fresh(Some("7")));
        assert!(!hit.is_fresh(Some("8")), "the trigger moved on");
        assert!(!hit.is_fresh(None));
        store.cache_result(&key, "application/json", &bytes(b"[2]"), None, Some(Duration::ZERO)).await.unwrap();
        let stale = store.cached_result(&key).await.unwrap().unwrap();
        assert_eq!(stale.body.read_all().await.unwrap(), b"[2]");
        assert!(!stale.is_fresh(None), "past its age");
        assert_eq!(store.sweep_expired().await.unwrap(), 0, "kept a while for cache_only");
        let short = store.clone().with_result_ttl(Duration::ZERO);
        short.cache_result(&key, "application/json", &bytes(b"[3]"), None, Some(Duration::ZERO)).await.unwrap();
        assert_eq!(store.sweep_expired().await.unwrap(), 1);
        assert_eq!(store.cached_result(&key).await.unwrap(), None);
        assert_eq!(store.read_result(&format!("cache-{key}")).await.unwrap(), None, "its result went with it");
    }

    crate::on_both_databases!(entries_are_fresh_until_their_age_or_trigger_says_otherwise);
}
