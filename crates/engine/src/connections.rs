//! The connections queries run on: those of the server's TOML config (fixed for the life of the
//! process) and those created through the API (stored with their password, opened at start-up
//! and at once when created or changed). A model may name a connection that does not exist
//! yet: its queries fail naming it until the connection is created, then work at once.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use connect::{Configured, ConnectError, Connection, MySqlConnection, PostgresConnection, ServerTarget};
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{Engine, EngineError};

/// A connection created through the API: a database server, who connects, its time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerDefinition {
    /// `postgres` or `mysql`.
    pub dialect: String,
    pub host: String,
    pub port: Option<u16>,
    pub database: String,
    pub schema: Option<String>,
    pub username: String,
    pub password: Option<String>,
    pub max_connections: Option<u32>,
    /// Statements run on it at once (Looker's `max_queries`); no limit when absent.
    #[serde(default)]
    pub max_queries: Option<u32>,
    /// Statements of one user run on it at once (Looker's `max_queries_per_user`).
    #[serde(default)]
    pub max_queries_per_user: Option<u32>,
    /// The zone the database's timestamps are stored in; UTC when absent.
    pub db_timezone: Option<String>,
    /// TLS (`disable`, `prefer`, `require`, `verify-full`); `prefer` when absent.
    #[serde(default)]
    pub tls: Option<String>,
    /// The schema persistent derived tables are built into (Looker's `tmp_db_name`); none: they
    /// are computed inline.
    #[serde(default)]
    pub tmp_db_name: Option<String>,
}

/// Dialects a connection created through the API may have. DuckDB is left to the config file:
/// a database path taken from the API could open any file on the server.
pub const API_DIALECTS: [&str; 2] = ["postgres", "mysql"];

impl ServerDefinition {
    /// Opens it without connecting: the pool connects when first used, and again once a server
    /// that was down comes back; its queries and tests report why they cannot connect meanwhile.
    /// (Options the driver refuses give a connection that reports that.)
    fn open(&self) -> Arc<dyn Connection> {
        let target = ServerTarget {
            host: self.host.clone(),
            port: self.port.unwrap_or(if self.dialect == "mysql" { 3306 } else { 5432 }),
            database: self.database.clone(),
            schema: self.schema.clone(),
            user: self.username.clone(),
            password: self.password.clone(),
            pool_size: self.max_connections.unwrap_or(4).clamp(1, 64),
            tls: self.tls.as_deref().and_then(connect::Tls::parse).unwrap_or_default(),
            tls_ca_file: None,
            query_timeout: None,
        };
        let opened: Result<Arc<dyn Connection>, ConnectError> = match self.dialect.as_str() {
            "mysql" => MySqlConnection::connect_lazy(&target).map(|c| Arc::new(c) as Arc<dyn Connection>),
            _ => PostgresConnection::connect_lazy(&target).map(|c| Arc::new(c) as Arc<dyn Connection>),
        };
        let dialect = if self.dialect == "mysql" { "mysql" } else { "postgres" };
        let connection = opened.unwrap_or_else(|e| Arc::new(Unreachable { dialect, message: e.to_string() }));
        let limits = connect::StatementLimits { max_queries: self.max_queries, max_queries_per_user: self.max_queries_per_user };
        Configured::wrap(connection, self.db_timezone.as_deref(), limits, self.tmp_db_name.as_deref())
    }
}

/// A stored connection the driver could not open (its options refused).
struct Unreachable {
    dialect: &'static str,
    message: String,
}

impl Connection for Unreachable {
    fn dialect(&self) -> &'static str {
        self.dialect
    }

    fn stream(&self, _sql: &str, _cancel: &connect::Cancel, _sink: &mut connect::Sink) -> Result<(), ConnectError> {
        Err(ConnectError::Sql(self.message.clone()))
    }

    fn execute_batch(&self, _sql: &str) -> Result<(), ConnectError> {
        Err(ConnectError::Sql(self.message.clone()))
    }
}

/// Every connection by name.
pub(crate) struct Connections {
    entries: RwLock<HashMap<String, Entry>>,
}

#[derive(Clone)]
struct Entry {
    connection: Arc<dyn Connection>,
    /// `None` for the config's connections.
    definition: Option<ServerDefinition>,
    /// The connection's `max_queries`: a statement waits for a permit before it runs.
    permits: Option<Arc<Semaphore>>,
    /// Its `max_queries_per_user`: a statement also waits for one of its user's permits.
    user_permits: Arc<std::sync::Mutex<HashMap<i64, Arc<Semaphore>>>>,
}

impl Entry {
    fn new(connection: Arc<dyn Connection>, definition: Option<ServerDefinition>) -> Entry {
        let permits = connection.max_queries().map(|n| Arc::new(Semaphore::new(n.max(1) as usize)));
        Entry { connection, definition, permits, user_permits: Default::default() }
    }

    /// The semaphore of `user`'s statements on this connection, when it limits them.
    fn user_permits(&self, user: i64) -> Option<Arc<Semaphore>> {
        let limit = self.connection.max_queries_per_user()?;
        let mut users = self.user_permits.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Semaphores of users with nothing running are dropped, so the map stays small.
        users.retain(|_, s| Arc::strong_count(s) > 1 || s.available_permits() < limit as usize);
        Some(Arc::clone(users.entry(user).or_insert_with(|| Arc::new(Semaphore::new(limit.max(1) as usize)))))
    }
}

/// The turns a statement holds while it runs: its connection's and its user's.
pub(crate) struct Turn {
    _connection: Option<OwnedSemaphorePermit>,
    _user: Option<OwnedSemaphorePermit>,
}

impl Connections {
    pub(crate) fn from_config(config: HashMap<String, Arc<dyn Connection>>) -> Connections {
        let entries = config.into_iter().map(|(name, connection)| (name, Entry::new(connection, None))).collect();
        Connections { entries: RwLock::new(entries) }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Entry>> {
        self.entries.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Entry>> {
        self.entries.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A connection as the API lists it.
pub struct ListedConnection {
    pub name: String,
    pub connection: Arc<dyn Connection>,
    /// Created through the API (so it can be changed and deleted there), with its definition.
    pub definition: Option<ServerDefinition>,
}

impl Engine {
    /// Opens the connections stored by earlier processes; a config connection of the same name
    /// wins (with a warning).
    pub(crate) async fn open_stored_connections(&self) -> Result<(), EngineError> {
        for (name, json) in self.store().connections().await? {
            let definition: ServerDefinition =
                serde_json::from_str(&json).map_err(|e| EngineError::Internal(format!("stored connection `{name}` is unreadable: {e}")))?;
            if self.connection(&name).is_some() {
                tracing::warn!(connection = %name, "a stored connection has the name of a config connection; the config's is used");
                continue;
            }
            let connection = open(definition.clone()).await?;
            self.inner.connections.write().insert(name, Entry::new(connection, Some(definition)));
        }
        Ok(())
    }

    /// The connection with this name, if there is one now.
    pub fn connection(&self, name: &str) -> Option<Arc<dyn Connection>> {
        self.inner.connections.read().get(name).map(|e| Arc::clone(&e.connection))
    }

    /// The connection with this name and, when it limits statements at once (in all, or per
    /// user for `user`), its turn to run one (waited for here, off the database's threads). Query
    /// task `task` shows `pending` while it waits, and `running` again once it has its turn.
    pub(crate) async fn connection_to_run(&self, name: &str, task: Option<&str>, user: Option<i64>) -> Option<(Arc<dyn Connection>, Turn)> {
        let (connection, permits, user_permits) = {
            let entries = self.inner.connections.read();
            let entry = entries.get(name)?;
            (Arc::clone(&entry.connection), entry.permits.clone(), user.and_then(|u| entry.user_permits(u)))
        };
        let user_try = user_permits.as_ref().map(|s| Arc::clone(s).try_acquire_owned());
        let connection_try = permits.as_ref().map(|s| Arc::clone(s).try_acquire_owned());
        if user_try.as_ref().is_none_or(Result::is_ok) && connection_try.as_ref().is_none_or(Result::is_ok) {
            let turn = Turn { _connection: connection_try.and_then(Result::ok), _user: user_try.and_then(Result::ok) };
            return Some((connection, turn));
        }
        // One of them is taken: give back what was had, and wait in order.
        drop((user_try, connection_try));
        let status = |status: store::QueryTaskStatus| async move {
            if let Some(id) = task {
                if let Err(e) = self.store().set_query_task_status(id, status).await {
                    tracing::warn!(task = id, error = %e, "could not record the task's wait");
                }
            }
        };
        status(store::QueryTaskStatus::Pending).await;
        // The user's turn first: waiting for it holds none of the connection's.
        let user_turn = match user_permits {
            Some(s) => Some(s.acquire_owned().await.ok()?),
            None => None,
        };
        let connection_turn = match permits {
            Some(s) => Some(s.acquire_owned().await.ok()?),
            None => None,
        };
        status(store::QueryTaskStatus::Running).await;
        Some((connection, Turn { _connection: connection_turn, _user: user_turn }))
    }

    /// Every connection, by name.
    pub fn connections(&self) -> Vec<ListedConnection> {
        let entries = self.inner.connections.read();
        let mut out: Vec<ListedConnection> = entries
            .iter()
            .map(|(name, e)| ListedConnection {
                name: name.clone(),
                connection: Arc::clone(&e.connection),
                definition: e.definition.clone(),
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// Creates, stores and opens a connection; queries on models naming it work at once.
    pub async fn create_connection(&self, name: &str, definition: ServerDefinition) -> Result<(), EngineError> {
        if self.connection(name).is_some() {
            return Err(EngineError::Conflict(format!("connection `{name}` already exists")));
        }
        let json = serde_json::to_string(&definition).map_err(|e| EngineError::Internal(e.to_string()))?;
        if !self.store().create_connection(name, &json).await? {
            return Err(EngineError::Conflict(format!("connection `{name}` already exists")));
        }
        let connection = open(definition.clone()).await?;
        self.inner.connections.write().insert(name.to_string(), Entry::new(connection, Some(definition)));
        Ok(())
    }

    /// Replaces a connection created through the API; queries use the new one from now on.
    pub async fn update_connection(&self, name: &str, definition: ServerDefinition) -> Result<(), EngineError> {
        self.stored_definition(name)?;
        let json = serde_json::to_string(&definition).map_err(|e| EngineError::Internal(e.to_string()))?;
        if !self.store().update_connection(name, &json).await? {
            return Err(EngineError::NotFound { what: "connection", id: name.to_string() });
        }
        let connection = open(definition.clone()).await?;
        self.inner.connections.write().insert(name.to_string(), Entry::new(connection, Some(definition)));
        Ok(())
    }

    pub async fn delete_connection(&self, name: &str) -> Result<(), EngineError> {
        self.stored_definition(name)?;
        self.store().delete_connection(name).await?;
        self.inner.connections.write().remove(name);
        Ok(())
    }

    /// The definition of a connection created through the API; config connections are refused.
    pub fn stored_definition(&self, name: &str) -> Result<ServerDefinition, EngineError> {
        let entries = self.inner.connections.read();
        let entry = entries.get(name).ok_or_else(|| EngineError::NotFound { what: "connection", id: name.to_string() })?;
        entry.definition.clone().ok_or_else(|| EngineError::Invalid {
            field: "connection_name",
            message: format!("connection `{name}` is declared in the server's TOML config; change it there"),
        })
    }
}

/// Opens off the async threads (pools connect eagerly).
async fn open(definition: ServerDefinition) -> Result<Arc<dyn Connection>, EngineError> {
    tokio::task::spawn_blocking(move || definition.open()).await.map_err(|e| EngineError::Internal(e.to_string()))
}
