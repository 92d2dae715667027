//! The task queue is the tasks tables. A worker claims a waiting task (query or render: the
//! oldest of a user with the fewest tasks running) by moving it to its first running status
//! with a lease — an owner and an expiry — in one conditional `UPDATE`, so two workers (of one
//! process or of several) never take the same task. While it runs, the owner renews its leases
//! (expiries in milliseconds since 1970); a task whose lease has expired belonged to a process
//! that died: it is put back to wait and run again, once, and fails saying so after a second
//! such death. On PostgreSQL, where several servers claim at once, the candidates are locked
//! with `FOR UPDATE SKIP LOCKED`, so that claimers pass each other instead of queueing on one row.

use std::time::Duration;

use crate::db::{on_pool, Pool};
use crate::{now_text, Store, StoreError};

/// Which table a task is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    Query,
    Render,
}

/// A task a worker has claimed (its status already moved to `running` or `querying`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub kind: TaskKind,
    pub id: String,
}

/// What [`Store::expire_leases`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExpiredLeases {
    /// Put back to wait, to run again.
    pub requeued: u64,
    /// Failed: their process died while running them twice.
    pub failed: u64,
}

/// The statuses of a claimed task not finished yet.
const QUERY_RUNNING: &str = "'running', 'pending'";
const RENDER_RUNNING: &str = "'querying', 'enqueued_for_render', 'rendering'";

/// What differs between the two tasks tables for leases.
struct Table {
    table: &'static str,
    /// Statuses of a claimed task not finished yet.
    running: &'static str,
    /// Ends a task for good (binds the message and the time).
    fail: &'static str,
    /// Puts a task back to wait.
    put_back: &'static str,
    /// Forgets when it started (a shutdown's put-back).
    forget_start: &'static str,
}

const TABLES: [Table; 2] = [
    Table {
        table: "query_tasks",
        running: QUERY_RUNNING,
        fail: "status = 'error', error = ?, finished_at = ?",
        put_back: "status = 'added'",
        forget_start: ", started_at = NULL",
    },
    Table {
        table: "render_tasks",
        running: RENDER_RUNNING,
        fail: "status = 'failure', status_detail = ?, finalized_at = ?",
        put_back: "status = 'enqueued_for_query', query_runtime = NULL",
        forget_start: "",
    },
];

/// Claims a task is given before its process's death means it is failed instead of re-run.
const MAX_ATTEMPTS: i64 = 2;

/// Milliseconds since 1970.
fn now() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

fn until(lease: Duration) -> i64 {
    now().saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX))
}

impl Store {
    /// Claims a waiting task for `owner`, for `lease`: of the users with tasks waiting, one with
    /// the fewest running (so one user's thousand tasks do not hold back another's one), its
    /// oldest; `None` when none waits.
    pub async fn claim_task(&self, owner: &str, lease: Duration) -> Result<Option<Claimed>, StoreError> {
        let busy = format!(
            "(SELECT COUNT(*) FROM query_tasks r WHERE r.user_id = w.user_id AND r.status IN ({QUERY_RUNNING})) + \
             (SELECT COUNT(*) FROM render_tasks r WHERE r.user_id = w.user_id AND r.status IN ({RENDER_RUNNING}))"
        );
        let lock = match self.pool {
            Pool::Sqlite(_) => "",
            Pool::Postgres(_) => " FOR UPDATE OF w SKIP LOCKED",
        };
        let next_query = format!(
            "SELECT id, {busy} AS busy, created_at FROM query_tasks w WHERE status = 'added' AND deferred = FALSE \
             ORDER BY busy, created_at LIMIT 1{lock}"
        );
        let next_render = format!(
            "SELECT id, {busy} AS busy, created_at FROM render_tasks w WHERE status = 'enqueued_for_query' ORDER BY busy, created_at LIMIT 1{lock}"
        );
        let claim_query =
            "UPDATE query_tasks SET status = 'running', started_at = COALESCE(started_at, ?), lease_owner = ?, lease_until = ?, \
                           attempts = attempts + 1 WHERE id = ? AND status = 'added' AND deferred = FALSE";
        let claim_render = "UPDATE render_tasks SET status = 'querying', lease_owner = ?, lease_until = ?, attempts = attempts + 1 \
                            WHERE id = ? AND status = 'enqueued_for_query'";
        // The older of the two candidates of the least busy users.
        let pick = |query: Option<(String, i64, String)>, render: Option<(String, i64, String)>| match (query, render) {
            (None, None) => None,
            (Some((q, ..)), None) => Some((TaskKind::Query, q)),
            (None, Some((r, ..))) => Some((TaskKind::Render, r)),
            (Some((q, qb, qt)), Some((r, rb, rt))) => match (rb, rt) < (qb, qt) {
                true => Some((TaskKind::Render, r)),
                false => Some((TaskKind::Query, q)),
            },
        };
        match &self.pool {
            Pool::Sqlite(pool) => loop {
                let query = sqlx::query_as(&next_query).fetch_optional(pool).await?;
                let render = sqlx::query_as(&next_render).fetch_optional(pool).await?;
                let Some((kind, id)) = pick(query, render) else { return Ok(None) };
                let taken = match kind {
                    TaskKind::Query => sqlx::query(claim_query).bind(now_text()),
                    TaskKind::Render => sqlx::query(claim_render),
                }
                .bind(owner)
                .bind(until(lease))
                .bind(&id)
                .execute(pool)
                .await?;
                if taken.rows_affected() == 1 {
                    return Ok(Some(Claimed { kind, id }));
                }
                // Another worker took it first: look again.
            },
            Pool::Postgres(pool) => {
                // Both candidates stay locked until the commit; the one not taken is free again then.
                let mut tx = pool.begin().await?;
                let query = sqlx::query_as(&next_query).fetch_optional(&mut *tx).await?;
                let render = sqlx::query_as(&next_render).fetch_optional(&mut *tx).await?;
                let Some((kind, id)) = pick(query, render) else { return Ok(None) };
                let claim = crate::db::numbered(match kind {
                    TaskKind::Query => claim_query,
                    TaskKind::Render => claim_render,
                });
                let claim = match kind {
                    TaskKind::Query => sqlx::query(&claim).bind(now_text()),
                    TaskKind::Render => sqlx::query(&claim),
                };
                let taken = claim.bind(owner).bind(until(lease)).bind(&id).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok((taken.rows_affected() == 1).then_some(Claimed { kind, id }))
            }
        }
    }

    /// Extends the leases of every unfinished task `owner` holds; how many.
    pub async fn renew_leases(&self, owner: &str, lease: Duration) -> Result<u64, StoreError> {
        let mut renewed = 0;
        for t in TABLES {
            let update = format!("UPDATE {} SET lease_until = ? WHERE lease_owner = ? AND status IN ({})", t.table, t.running);
            renewed += on_pool!(self, update, |p, sql| sqlx::query(sql).bind(until(lease)).bind(owner).execute(p).await?.rows_affected());
        }
        Ok(renewed)
    }

    /// Query tasks `owner` claimed that have been killed since (by any process); ids.
    pub async fn killed_tasks_of(&self, owner: &str) -> Result<Vec<String>, StoreError> {
        let select = "SELECT id FROM query_tasks WHERE lease_owner = ? AND status = 'killed' AND lease_until IS NOT NULL";
        Ok(on_pool!(self, select, |p, sql| sqlx::query_scalar(sql).bind(owner).fetch_all(p).await?))
    }

    /// Marks the kill of task `id` as seen by its owner (it is not reported again).
    pub async fn kill_seen(&self, id: &str) -> Result<(), StoreError> {
        on_pool!(self, "UPDATE query_tasks SET lease_until = NULL WHERE id = ?", |p, sql| sqlx::query(sql)
            .bind(id)
            .execute(p)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Tasks running under a lease that has expired (or under none: a process from before
    /// leases): put back to wait, or failed when that was their last attempt.
    pub async fn expire_leases(&self) -> Result<ExpiredLeases, StoreError> {
        let message = "the server running this task stopped twice while running it; it was not run a third time";
        let mut out = ExpiredLeases::default();
        for t in TABLES {
            let expired = format!("status IN ({}) AND (lease_until IS NULL OR lease_until < ?)", t.running);
            let fail = format!("UPDATE {} SET {}, lease_until = NULL WHERE {expired} AND attempts >= ?", t.table, t.fail);
            out.failed += on_pool!(self, fail, |p, sql| sqlx::query(sql)
                .bind(message)
                .bind(now_text())
                .bind(now())
                .bind(MAX_ATTEMPTS)
                .execute(p)
                .await?
                .rows_affected());
            let put_back = format!("UPDATE {} SET {}, lease_owner = NULL, lease_until = NULL WHERE {expired}", t.table, t.put_back);
            out.requeued += on_pool!(self, put_back, |p, sql| sqlx::query(sql).bind(now()).execute(p).await?.rows_affected());
        }
        Ok(out)
    }

    /// At a shutdown that could not wait for them: the tasks `owner` is running go back to wait,
    /// to be run by the next start (the claim is not counted against them); how many.
    pub async fn requeue_running_tasks(&self, owner: &str) -> Result<u64, StoreError> {
        let mut requeued = 0;
        for t in TABLES {
            let put_back = format!(
                "UPDATE {} SET {}{}, lease_owner = NULL, lease_until = NULL, attempts = attempts - 1 \
                 WHERE lease_owner = ? AND status IN ({})",
                t.table, t.put_back, t.forget_start, t.running
            );
            requeued += on_pool!(self, put_back, |p, sql| sqlx::query(sql).bind(owner).execute(p).await?.rows_affected());
        }
        Ok(requeued)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_setup as setup;

    async fn workers_claim_the_oldest_waiting_task_once(store: Store) {
        let (store, user, query) = setup(store).await;
        let first = store.create_query_task(query, user, "json", &Default::default()).await.unwrap();
        let render = store.create_render_task(query, user, "png", 10, 10).await.unwrap();
        let held = crate::QueryTaskOptions { deferred: true, ..Default::default() };
        let on_hold = store.create_query_task(query, user, "json", &held).await.unwrap();
        let lease = Duration::from_secs(30);
        assert_eq!(store.claim_task("a", lease).await.unwrap(), Some(Claimed { kind: TaskKind::Query, id: first.id.clone() }));
        assert_eq!(store.claim_task("b", lease).await.unwrap(), Some(Claimed { kind: TaskKind::Render, id: render.id.clone() }));
        assert_eq!(store.claim_task("b", lease).await.unwrap(), None, "a deferred task is not claimed");
        assert!(store.undefer_query_task(&on_hold.id).await.unwrap());
        assert!(!store.undefer_query_task(&on_hold.id).await.unwrap(), "once");
        assert_eq!(store.claim_task("b", lease).await.unwrap(), Some(Claimed { kind: TaskKind::Query, id: on_hold.id.clone() }));
        assert_eq!(store.query_task(&first.id).await.unwrap().unwrap().status, "running");
        assert_eq!(store.render_task(&render.id).await.unwrap().unwrap().status, "querying");
        assert_eq!(store.renew_leases("a", lease).await.unwrap(), 1);
        assert_eq!(store.renew_leases("b", lease).await.unwrap(), 2);
        assert_eq!(store.expire_leases().await.unwrap(), ExpiredLeases::default(), "leases held are not expired");
    }

    async fn a_user_with_fewer_tasks_running_goes_first(store: Store) {
        let (store, busy_user, query) = setup(store).await;
        let other = store.create_user("Other", "User", None).await.unwrap();
        for _ in 0..3 {
            store.create_query_task(query, busy_user, "json", &Default::default()).await.unwrap();
        }
        let late = store.create_query_task(query, other, "json", &Default::default()).await.unwrap();
        let lease = Duration::from_secs(30);
        let first = store.claim_task("w", lease).await.unwrap().unwrap();
        assert_ne!(first.id, late.id, "the oldest goes first while nobody runs anything");
        let second = store.claim_task("w", lease).await.unwrap().unwrap();
        assert_eq!(second.id, late.id, "then the user with nothing running, though its task is the newest");
    }

    async fn a_task_whose_process_died_runs_again_once(store: Store) {
        let (store, user, query) = setup(store).await;
        let task = store.create_query_task(query, user, "json", &Default::default()).await.unwrap();
        let render = store.create_render_task(query, user, "png", 10, 10).await.unwrap();
        for attempt in 1..=2 {
            assert!(store.claim_task("dead", Duration::ZERO).await.unwrap().is_some());
            assert!(store.claim_task("dead", Duration::ZERO).await.unwrap().is_some());
            store.set_render_task_status(&render.id, crate::RenderTaskStatus::Rendering).await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
            let expired = store.expire_leases().await.unwrap();
            if attempt == 1 {
                assert_eq!(expired, ExpiredLeases { requeued: 2, failed: 0 });
                assert_eq!(store.query_task(&task.id).await.unwrap().unwrap().status, "added");
                assert_eq!(store.render_task(&render.id).await.unwrap().unwrap().status, "enqueued_for_query");
            } else {
                assert_eq!(expired, ExpiredLeases { requeued: 0, failed: 2 });
            }
        }
        let failed = store.query_task(&task.id).await.unwrap().unwrap();
        assert_eq!(failed.status, "error");
        assert!(failed.error.unwrap_or_default().contains("stopped twice"));
        assert_eq!(store.render_task(&render.id).await.unwrap().unwrap().status, "failure");
    }

    async fn a_shutdown_puts_its_own_tasks_back(store: Store) {
        let (store, user, query) = setup(store).await;
        let mine = store.create_query_task(query, user, "json", &Default::default()).await.unwrap();
        let theirs = store.create_query_task(query, user, "json", &Default::default()).await.unwrap();
        store.claim_task("me", Duration::from_secs(30)).await.unwrap();
        store.claim_task("them", Duration::from_secs(30)).await.unwrap();
        assert_eq!(store.requeue_running_tasks("me").await.unwrap(), 1);
        assert_eq!(store.query_task(&mine.id).await.unwrap().unwrap().status, "added");
        assert_eq!(store.query_task(&theirs.id).await.unwrap().unwrap().status, "running");
    }

    crate::on_both_databases!(
        workers_claim_the_oldest_waiting_task_once,
        a_user_with_fewer_tasks_running_goes_first,
        a_task_whose_process_died_runs_again_once,
        a_shutdown_puts_its_own_tasks_back
    );
}
