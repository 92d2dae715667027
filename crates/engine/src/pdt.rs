//! Persistent derived tables (PDTs). A derived table with `datagroup_trigger`,
//! `sql_trigger_value`, `persist_for` or `interval_trigger`, on a connection with a scratch
//! schema (`tmp_db_name`), is built once into that schema and read by every query until its
//! trigger changes or its age passes; then the next query that needs it builds a new one (a new
//! name) and the old one is dropped. On a connection without a scratch schema it is computed
//! inline, as any derived table (the same rows: a PDT is a cache).
//!
//! A table's name is versioned: `sl_` + a hash of the connection and the build SQL + a build
//! number + the view's name, so a changed definition never reads an old table (and the old
//! definition's table is dropped when the new one is built). The registry
//! (`store::BuiltTable`) is in the metadata store, so servers sharing it share the tables.
//! Queries needing the same table at once build it once: on one server they take turns on a lock
//! per table, across servers on a build claim in the store; the others wait for that build and
//! read it. `rebuild_pdts=true` builds the tables a query reads again.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use semantic::{Model, Persistence};
use sql::CompiledQuery;

use crate::{Engine, EngineError};

/// Locks per registry key: one build at a time of each table in this process.
pub(crate) type BuildLocks = std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>;

/// `sql_trigger_value` results by (connection, SQL), and when they were read.
pub(crate) type SqlTriggers = std::sync::Mutex<HashMap<(String, String), (String, Instant)>>;

/// PostgreSQL's longest name.
const MAX_NAME: usize = 63;

/// How long a server's claim to build a table holds other servers back; past it (the builder
/// died, or is that slow) another may build it too.
const BUILD_CLAIM: Duration = Duration::from_secs(600);

impl Engine {
    /// The persistent derived tables `compiled` reads, built when they are missing or stale (all
    /// of them when `rebuild`): view name → the table, schema-qualified, to read instead. Empty
    /// when the query reads none, or its connection has no scratch schema.
    pub(crate) async fn persisted_tables(
        &self,
        model: &Model,
        compiled: &CompiledQuery,
        rebuild: bool,
    ) -> Result<BTreeMap<String, String>, EngineError> {
        let mut persisted = BTreeMap::new();
        let Some(connection) = self.connection(&model.connection) else { return Ok(persisted) };
        let Some(schema) = connection.scratch_schema().map(str::to_string) else { return Ok(persisted) };
        // Every derived table read (the query's CTEs and what they read), those it reads first.
        let mut order = Vec::new();
        for cte in &compiled.statement.ctes {
            visit(model, cte.name.as_str(), &mut order, 0)?;
        }
        let persistent = |v: &str| model.views.get(v).is_some_and(|v| v.persistence.is_some());
        for view in order.into_iter().filter(|v| persistent(v)) {
            let table = self.built(model, &view, &schema, &persisted, rebuild).await?;
            persisted.insert(view, format!("{schema}.{table}"));
        }
        Ok(persisted)
    }

    /// The name of the table holding `view` now, built if it must be.
    async fn built(
        &self,
        model: &Model,
        view: &str,
        schema: &str,
        persisted: &BTreeMap<String, String>,
        rebuild: bool,
    ) -> Result<String, EngineError> {
        let connection = self.connection(&model.connection).ok_or_else(|| EngineError::NoConnection(model.connection.clone()))?;
        let dialect = sql::dialect_for(connection.dialect())
            .ok_or_else(|| EngineError::Internal(format!("no SQL dialect `{}`", connection.dialect())))?;
        let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).datetime();
        let select = sql::derived_table_sql(model, view, dialect, now, persisted)?;
        let target = format!("{:?}", connection.describe());
        let key = store::cache_key(&[b"pdt", model.connection.as_bytes(), target.as_bytes(), select.as_bytes()]);
        let persistence = model.views.get(view).and_then(|v| v.persistence.clone());
        let (trigger, max_age) = self.pdt_trigger(model, view, persistence.as_ref()).await?;

        let lock = {
            let mut locks = self.inner.pdt_locks.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(locks.entry(key.clone()).or_default())
        };
        let started = Instant::now();
        let asked = jiff::Timestamp::now().as_millisecond();
        let _building = lock.lock().await;
        // Another query (of this server or another) may have built it while this one waited; a
        // rebuild asked for before that build is served by it.
        let owner = &self.inner.owner;
        let usable = |built: Option<store::BuiltTable>| {
            built.filter(|b| b.is_fresh(trigger.as_deref()) && (!rebuild || b.built_at >= asked)).map(|b| b.table_name)
        };
        loop {
            if let Some(table) = usable(self.store().built_table(&key).await?) {
                return Ok(table);
            }
            let until = jiff::Timestamp::now().as_millisecond().saturating_add(BUILD_CLAIM.as_millis() as i64);
            if self.store().claim_pdt_build(&key, owner, until).await? {
                // Another server may have finished its build (and let go of its claim) between
                // the look above and this claim: that build serves.
                if let Some(table) = usable(self.store().built_table(&key).await?) {
                    self.store().release_pdt_build(&key, owner).await?;
                    return Ok(table);
                }
                break;
            }
            // Another server builds it now.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let build = Build { connection, view, schema, key: &key, select: &select, trigger, max_age };
        let outcome = self.build(model, build, started).await;
        self.store().release_pdt_build(&key, owner).await?;
        outcome
    }

    /// Builds a new table, registers it, and drops the table it replaces; the new table's name.
    async fn build(&self, model: &Model, build: Build<'_>, started: Instant) -> Result<String, EngineError> {
        let Build { connection, view, schema, key, select, trigger, max_age } = build;
        let mut table = format!("sl_{}_{:x}_{}", &key[..10], jiff::Timestamp::now().as_millisecond(), view.to_ascii_lowercase());
        table.truncate(MAX_NAME);
        let statements = format!("CREATE SCHEMA IF NOT EXISTS {schema}; CREATE TABLE {schema}.{table} AS {select}");
        let runner = Arc::clone(&connection);
        tokio::task::spawn_blocking(move || runner.execute_batch(&statements))
            .await
            .map_err(|e| EngineError::Internal(e.to_string()))?
            .map_err(|e| EngineError::Database(format!("building persistent derived table `{view}`: {e}")))?;
        let now = jiff::Timestamp::now();
        let registered = store::BuiltTable {
            table_name: table.clone(),
            trigger_value: trigger,
            built_at: now.as_millisecond(),
            stale_at: max_age.map(|age| now.as_second().saturating_add(i64::try_from(age.as_secs()).unwrap_or(i64::MAX))),
        };
        let identity = format!("{}.{view}", model.name);
        let replaced = self.store().register_built_table(key, &model.connection, &identity, &registered).await?;
        tracing::info!(view, table = %table, seconds = started.elapsed().as_secs_f64(), "persistent derived table built");
        // Names of our own making; anything else in the registry is not written into SQL.
        for old in replaced.into_iter().filter(|t| connect::is_plain_schema_name(t)) {
            let drop = format!("DROP TABLE IF EXISTS {schema}.{old}");
            let runner = Arc::clone(&connection);
            if let Ok(Err(e)) = tokio::task::spawn_blocking(move || runner.execute_batch(&drop)).await {
                tracing::warn!(view, table = %old, error = %e, "an old persistent derived table could not be dropped");
            }
        }
        Ok(table)
    }

    /// The trigger value a PDT is built under now, and how long it stays fresh.
    async fn pdt_trigger(
        &self,
        model: &Model,
        view: &str,
        persistence: Option<&Persistence>,
    ) -> Result<(Option<String>, Option<Duration>), EngineError> {
        match persistence {
            None => Ok((None, None)),
            Some(Persistence::For(age)) => Ok((None, Some(*age))),
            Some(Persistence::Datagroup(name)) => {
                let group =
                    model.datagroups.get(name).ok_or_else(|| EngineError::Internal(format!("view `{view}`: no datagroup `{name}`")))?;
                Ok((self.trigger_value(&model.name, group).await?, group.max_cache_age))
            }
            Some(Persistence::SqlTrigger(sql)) => Ok((Some(self.sql_trigger_value(&model.connection, view, sql).await?), None)),
        }
    }

    /// A `sql_trigger_value`, read again once it is older than the datagroup poll interval.
    async fn sql_trigger_value(&self, connection_name: &str, view: &str, sql: &str) -> Result<String, EngineError> {
        let key = (connection_name.to_string(), sql.to_string());
        let poll = self.inner.config.datagroup_poll;
        if let Some((value, read)) = self.inner.sql_triggers.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            if read.elapsed() < poll {
                return Ok(value.clone());
            }
        }
        let connection = self.connection(connection_name).ok_or_else(|| EngineError::NoConnection(connection_name.to_string()))?;
        let column = vec![result::ColumnInfo::plain("trigger", result::ValueType::String)];
        let statement = sql.to_string();
        let rows = tokio::task::spawn_blocking(move || connection.query(&statement, column))
            .await
            .map_err(|e| EngineError::Internal(e.to_string()))?
            .map_err(|e| EngineError::Database(format!("the sql_trigger_value of `{view}`: {e}")))?;
        let value = match rows.row_count() {
            0 => "no rows".to_string(),
            _ => rows.value(0, 0).to_text().unwrap_or_else(|| "NULL".into()),
        };
        self.inner.sql_triggers.lock().unwrap_or_else(PoisonError::into_inner).insert(key, (value.clone(), Instant::now()));
        Ok(value)
    }
}

/// One build of a persistent derived table: `view` from `select` into `schema` on `connection`,
/// registered under `key` with the trigger value it is built under and how long it stays fresh.
struct Build<'a> {
    connection: Arc<dyn connect::Connection>,
    view: &'a str,
    schema: &'a str,
    key: &'a str,
    select: &'a str,
    trigger: Option<String>,
    max_age: Option<Duration>,
}

/// Appends `view` after the derived tables it reads (depth first), once each.
fn visit(model: &Model, view: &str, order: &mut Vec<String>, depth: usize) -> Result<(), EngineError> {
    if depth > 16 {
        return Err(EngineError::Internal(format!("derived tables read each other more than 16 deep around `{view}` (a cycle?)")));
    }
    if order.iter().any(|v| v == view) {
        return Ok(());
    }
    for inner in sql::derived_tables_read(model, view) {
        visit(model, &inner, order, depth + 1)?;
    }
    order.push(view.to_string());
    Ok(())
}
