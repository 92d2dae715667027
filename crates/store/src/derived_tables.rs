//! The registry of persistent derived tables: which table in a warehouse's scratch schema holds
//! a derived table now, built under which trigger value, fresh until when. The engine builds the
//! tables; the registry lets a later query (on any server sharing this store) read them instead
//! of building again, and a build claim (an owner and an expiry) lets one server build a table
//! while the others wait for it.

use crate::db::{on_pool, Columns};
use crate::{Store, StoreError};

/// A built persistent derived table, as registered.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltTable {
    /// The table in the scratch schema (without the schema).
    pub table_name: String,
    pub trigger_value: Option<String>,
    /// Milliseconds since 1970.
    pub built_at: i64,
    /// When it stops being fresh (seconds since 1970); `None`: only its trigger decides.
    pub stale_at: Option<i64>,
}

impl BuiltTable {
    /// Fresh now, for a trigger whose value is now `trigger`.
    pub fn is_fresh(&self, trigger: Option<&str>) -> bool {
        self.trigger_value.as_deref() == trigger && self.stale_at.is_none_or(|t| jiff::Timestamp::now().as_second() < t)
    }
}

impl Store {
    /// The table registered under `key`, if any.
    pub async fn built_table(&self, key: &str) -> Result<Option<BuiltTable>, StoreError> {
        let read = |r: &dyn Columns| -> Result<BuiltTable, StoreError> {
            Ok(BuiltTable {
                table_name: r.text("table_name")?,
                trigger_value: r.text_or_null("trigger_value")?,
                built_at: r.int("built_at")?,
                stale_at: r.int_or_null("stale_at")?,
            })
        };
        let select = "SELECT table_name, trigger_value, built_at, stale_at FROM derived_tables WHERE pdt_key = ?";
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql).bind(key).fetch_optional(p).await?.map(|r| read(&r)).transpose()?))
    }

    /// Registers `table` as what holds derived table `view` (a model-qualified name) of
    /// `connection` under `key`; the tables nothing should read any more: the one registered
    /// under `key` before it, and those of the same view under other keys (an older definition of
    /// it), whose entries are removed.
    pub async fn register_built_table(
        &self,
        key: &str,
        connection: &str,
        view: &str,
        table: &BuiltTable,
    ) -> Result<Vec<String>, StoreError> {
        let mut replaced: Vec<String> =
            self.built_table(key).await?.map(|b| b.table_name).filter(|t| *t != table.table_name).into_iter().collect();
        let older = "SELECT table_name FROM derived_tables WHERE connection = ? AND view = ? AND pdt_key <> ?";
        let older: Vec<String> =
            on_pool!(self, older, |p, sql| sqlx::query_scalar(sql).bind(connection).bind(view).bind(key).fetch_all(p).await?);
        let forget = "DELETE FROM derived_tables WHERE connection = ? AND view = ? AND pdt_key <> ?";
        on_pool!(self, forget, |p, sql| sqlx::query(sql).bind(connection).bind(view).bind(key).execute(p).await?.rows_affected());
        replaced.extend(older);
        let upsert = "INSERT INTO derived_tables (pdt_key, connection, view, table_name, trigger_value, built_at, stale_at) \
                      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pdt_key) DO UPDATE SET table_name = excluded.table_name, \
                      trigger_value = excluded.trigger_value, built_at = excluded.built_at, stale_at = excluded.stale_at";
        on_pool!(self, upsert, |p, sql| sqlx::query(sql)
            .bind(key)
            .bind(connection)
            .bind(view)
            .bind(&table.table_name)
            .bind(&table.trigger_value)
            .bind(table.built_at)
            .bind(table.stale_at)
            .execute(p)
            .await?
            .rows_affected());
        Ok(replaced)
    }
}

impl Store {
    /// Claims the build of the table under `key` for `owner` until `until` (milliseconds since
    /// 1970); whether it was free (never claimed, or its claim expired: its builder died).
    pub async fn claim_pdt_build(&self, key: &str, owner: &str, until: i64) -> Result<bool, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        let claim = "INSERT INTO derived_table_builds (pdt_key, owner, until) VALUES (?, ?, ?) ON CONFLICT (pdt_key) DO UPDATE \
                     SET owner = excluded.owner, until = excluded.until WHERE derived_table_builds.until < ?";
        let claimed =
            on_pool!(self, claim, |p, sql| sqlx::query(sql).bind(key).bind(owner).bind(until).bind(now).execute(p).await?.rows_affected());
        Ok(claimed == 1)
    }

    /// Ends `owner`'s claim on the build under `key`.
    pub async fn release_pdt_build(&self, key: &str, owner: &str) -> Result<(), StoreError> {
        on_pool!(self, "DELETE FROM derived_table_builds WHERE pdt_key = ? AND owner = ?", |p, sql| sqlx::query(sql)
            .bind(key)
            .bind(owner)
            .execute(p)
            .await?
            .rows_affected());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn tables_are_registered_and_replaced(store: Store) {
        assert_eq!(store.built_table("k").await.unwrap(), None);
        let now = jiff::Timestamp::now().as_second();
        let first = BuiltTable { table_name: "sl_a_v".into(), trigger_value: Some("1".into()), built_at: now * 1000, stale_at: None };
        assert_eq!(store.register_built_table("k", "c", "m.v", &first).await.unwrap(), Vec::<String>::new());
        let found = store.built_table("k").await.unwrap().unwrap();
        assert_eq!(found, first);
        assert!(found.is_fresh(Some("1")));
        assert!(!found.is_fresh(Some("2")), "the trigger moved on");
        let second = BuiltTable { table_name: "sl_b_v".into(), trigger_value: None, built_at: now, stale_at: Some(now - 1) };
        assert_eq!(store.register_built_table("k", "c", "m.v", &second).await.unwrap(), ["sl_a_v"]);
        assert!(!store.built_table("k").await.unwrap().unwrap().is_fresh(None), "past its age");
        // A new definition of the view (another key): the old definition's table goes.
        let other = BuiltTable { table_name: "sl_c_v".into(), ..second.clone() };
        assert_eq!(store.register_built_table("k2", "c", "m.v", &other).await.unwrap(), ["sl_b_v"]);
        assert_eq!(store.built_table("k").await.unwrap(), None);
        let elsewhere = BuiltTable { table_name: "sl_d_v".into(), ..second };
        assert_eq!(store.register_built_table("k3", "c", "n.v", &elsewhere).await.unwrap(), Vec::<String>::new(), "another model's view");
    }

    async fn one_server_builds_at_a_time(store: Store) {
        let later = jiff::Timestamp::now().as_millisecond() + 60_000;
        assert!(store.claim_pdt_build("k", "a", later).await.unwrap());
        assert!(!store.claim_pdt_build("k", "b", later).await.unwrap(), "a builds it");
        assert!(store.claim_pdt_build("other", "b", later).await.unwrap(), "another table is free");
        store.release_pdt_build("k", "b").await.unwrap();
        assert!(!store.claim_pdt_build("k", "b", later).await.unwrap(), "only its owner releases a claim");
        store.release_pdt_build("k", "a").await.unwrap();
        assert!(store.claim_pdt_build("k", "b", 0).await.unwrap());
        assert!(store.claim_pdt_build("k", "c", later).await.unwrap(), "an expired claim is taken over");
    }

    crate::on_both_databases!(tables_are_registered_and_replaced, one_server_builds_at_a_time);
}
