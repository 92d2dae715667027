//! The rows charts draw, kept in this process under the explore's cache policy, so that drawing
//! a chart, a Look or a dashboard again while its results are fresh runs no query: a re-render
//! only draws. The slot is the result cache's (`Engine::cache_slot`: the compiled statements and
//! where the connection points, kept as "chart rows"); freshness is the result cache's too (`persist_for`, `persist_with` a
//! datagroup and its trigger value, else an hour). Bounded: past [`MOST_ENTRIES`] the oldest go.
//!
//! The rows are held in memory rather than in the shared result cache, which keeps formatted
//! results; servers sharing one metadata database each keep their own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use result::ResultSet;

use crate::{Engine, EngineError, QueryBody};

/// Chart results kept at most.
pub(crate) const MOST_ENTRIES: usize = 512;

struct Entry {
    rows: Arc<ResultSet>,
    stored: Instant,
    trigger: Option<String>,
    max_age: Option<Duration>,
}

impl Entry {
    fn is_fresh(&self, trigger: Option<&str>) -> bool {
        let young = self.max_age.is_none_or(|age| self.stored.elapsed() < age);
        young && self.trigger.as_deref() == trigger
    }
}

#[derive(Default)]
pub(crate) struct ChartCache(Mutex<HashMap<String, Entry>>);

impl ChartCache {
    fn get(&self, key: &str, trigger: Option<&str>) -> Option<Arc<ResultSet>> {
        let entries = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        entries.get(key).filter(|e| e.is_fresh(trigger)).map(|e| e.rows.clone())
    }

    fn put(&self, key: String, rows: Arc<ResultSet>, trigger: Option<String>, max_age: Option<Duration>) {
        let mut entries = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MOST_ENTRIES && !entries.contains_key(&key) {
            if let Some(oldest) = entries.iter().min_by_key(|(_, e)| e.stored).map(|(k, _)| k.clone()) {
                entries.remove(&oldest);
            }
        }
        entries.insert(key, Entry { rows, stored: Instant::now(), trigger, max_age });
    }
}

impl Engine {
    /// The rows a chart of `query` draws: kept ones while fresh, else run (and kept).
    pub(crate) async fn chart_rows(&self, query: &QueryBody, limit: Option<&str>, user: Option<i64>) -> Result<ResultSet, EngineError> {
        let attributes = self.attributes_for(&query.model, user).await?;
        let compiled = self.compile_for(query, limit, &attributes)?;
        let described = format!("{compiled:?}");
        // A trigger that cannot be read makes the rows uncacheable, never stale ones served.
        let slot = match self.cache_slot(query, &compiled, &described, "chart rows").await {
            Ok(slot) => Some(slot),
            Err(e) => {
                tracing::warn!(error = %e, "a datagroup trigger could not be read: the chart's rows are not cached");
                None
            }
        };
        if let Some(slot) = &slot {
            if let Some(rows) = self.inner.chart_cache.get(&slot.key, slot.trigger.as_deref()) {
                self.inner.metrics.cache_hit();
                return Ok((*rows).clone());
            }
        }
        self.inner.metrics.cache_miss();
        // A pivoted query's chart draws a series per pivot value (and measure).
        let result = self.execute(&compiled, user).await?;
        let rows = match result.pivot {
            Some(pivot) => pivot.flattened(),
            None => result.table,
        };
        if let Some(slot) = slot.filter(|s| s.max_age != Some(Duration::ZERO)) {
            self.inner.chart_cache.put(slot.key, Arc::new(rows.clone()), slot.trigger, slot.max_age);
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: i64) -> Arc<ResultSet> {
        let mut r = ResultSet::new(vec![result::ColumnInfo::plain("n", result::ValueType::Number)]);
        r.push_row(vec![result::Value::Int(n)]);
        Arc::new(r)
    }

    #[test]
    fn entries_are_served_while_fresh_and_bounded() {
        let cache = ChartCache::default();
        cache.put("a".into(), rows(1), Some("t1".into()), Some(Duration::from_secs(60)));
        assert!(cache.get("a", Some("t1")).is_some());
        assert!(cache.get("a", Some("t2")).is_none(), "another trigger value: stale");
        assert!(cache.get("b", Some("t1")).is_none());
        cache.put("old".into(), rows(2), None, Some(Duration::ZERO));
        assert!(cache.get("old", None).is_none(), "past its age");
        for i in 0..MOST_ENTRIES + 10 {
            cache.put(format!("k{i}"), rows(3), None, None);
        }
        assert_eq!(cache.0.lock().unwrap_or_else(PoisonError::into_inner).len(), MOST_ENTRIES);
        assert!(cache.get(&format!("k{}", MOST_ENTRIES + 9), None).is_some(), "the newest stays");
    }
}
