//! Wiring: metadata store, admin credentials, connections, engine, HTTP server.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use connect::{Configured, Connection, DuckDbConnection, MySqlConnection, NoDriverConnection, PostgresConnection};

use crate::config::{Config, ConnectionConfig};
use crate::ServerArgs;

pub fn run(project: &Path, config: Config, args: &ServerArgs) -> anyhow::Result<()> {
    let catalog = crate::project::load(project)?;
    let mut connections: HashMap<String, Arc<dyn Connection>> = HashMap::new();
    for (name, c) in &config.connections {
        let timeout = config.query_timeouts.get(name).map(|s| std::time::Duration::from_secs(*s));
        let connection = open(c, timeout).with_context(|| format!("connection `{name}`"))?;
        let connection = Configured::wrap(
            connection,
            config.timezones.get(name).map(String::as_str),
            config.limits.get(name).copied().unwrap_or_default(),
            config.scratch_schemas.get(name).map(String::as_str),
        );
        connections.insert(name.clone(), connection);
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(serve(catalog, connections, args))
}

fn open(c: &ConnectionConfig, query_timeout: Option<std::time::Duration>) -> anyhow::Result<Arc<dyn Connection>> {
    let server = |s: &crate::config::ServerConfig, port: u16| -> anyhow::Result<connect::ServerTarget> {
        Ok(connect::ServerTarget { query_timeout, ..s.target(port)? })
    };
    Ok(match c {
        ConnectionConfig::Duckdb(d) => {
            if d.database != ":memory:" && !d.create && !Path::new(&d.database).exists() {
                bail!("the DuckDB database {} does not exist (set `create = true` to start an empty one)", d.database);
            }
            Arc::new(DuckDbConnection::open(&d.database)?.with_query_timeout(query_timeout))
        }
        // Connected when first used: a warehouse that is down does not stop the server starting
        // (its queries say why they fail, and succeed once it is back).
        ConnectionConfig::Postgres(s) => Arc::new(PostgresConnection::connect_lazy(&server(s, 5432)?)?),
        ConnectionConfig::Mysql(s) => Arc::new(MySqlConnection::connect_lazy(&server(s, 3306)?)?),
        ConnectionConfig::WithoutDriver { dialect } => Arc::new(NoDriverConnection { dialect }),
    })
}

async fn serve(catalog: semantic::Catalog, connections: HashMap<String, Arc<dyn Connection>>, args: &ServerArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data_dir).with_context(|| format!("cannot create {}", args.data_dir.display()))?;
    let url = match std::env::var("SIGHTLINE_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => format!("sqlite://{}", args.data_dir.join("sightline.db").display()),
    };
    let store = store::Store::connect(&url)
        .await
        .with_context(|| format!("metadata store {}", store::redacted_url(&url)))?
        .with_result_ttl(std::time::Duration::from_secs(args.result_ttl));
    let wanted = match (std::env::var("SIGHTLINE_ADMIN_CLIENT_ID"), std::env::var("SIGHTLINE_ADMIN_CLIENT_SECRET")) {
        (Ok(id), Ok(secret)) if !id.is_empty() && !secret.is_empty() => Some((id, secret)),
        _ => None,
    };
    let credentials = store.ensure_admin(wanted).await?;
    let config = engine::EngineConfig {
        max_result_bytes: args.max_result_bytes.max(1),
        datagroup_poll: std::time::Duration::from_secs(args.datagroup_poll.max(1)),
        task_lease: std::time::Duration::from_secs(args.task_lease.max(1)),
        workers: args.workers.max(1),
        max_result_memory: args.max_result_memory.max(1),
    };
    let engine = engine::Engine::start(catalog, connections, store, config).await?;
    // A model whose connection is missing still loads; its queries answer 400 naming it until
    // the connection is created.
    for model in engine.catalog().models.values() {
        if engine.connection(&model.connection).is_none() {
            eprintln!(
                "warning: model `{}` uses connection `{}`, which the config does not declare and the API has not created; its queries will fail until one does",
                model.name, model.connection
            );
        }
    }
    let listener = tokio::net::TcpListener::bind(&args.listen).await.with_context(|| format!("cannot listen on {}", args.listen))?;
    let base_url = format!("http://{}", listener.local_addr()?);
    println!("Sightline API at {base_url}/api/4.0");
    println!("Metadata in {} ({})", store::redacted_url(&url), engine.store().backend());
    match credentials {
        Some(c) if c.generated => {
            println!("Admin API credentials (shown once; the secret is stored hashed):");
            println!("  LOOKERSDK_BASE_URL={base_url}");
            println!("  LOOKERSDK_CLIENT_ID={}", c.client_id);
            println!("  LOOKERSDK_CLIENT_SECRET={}", c.client_secret);
        }
        Some(c) => println!("Admin API client_id: {} (secret from SIGHTLINE_ADMIN_CLIENT_SECRET)", c.client_id),
        None => println!("Admin API credentials were printed when they were first generated."),
    }
    use std::io::Write;
    std::io::stdout().flush()?;
    let user_rates =
        args.user_rate.filter(|r| *r > 0.0).map(|rate| std::sync::Arc::new(api::UserRates::new(rate, (rate * 2.0).ceil() as u32)));
    let app = api::router(api::AppState { engine: engine.clone(), base_url, user_rates });
    let mut limits = api::Limits { header_read_timeout: std::time::Duration::from_secs(args.header_timeout.max(1)), ..Default::default() };
    if let Some(n) = args.max_connections {
        limits.max_connections = n.max(1);
    }
    let grace = limits.shutdown_grace;
    api::serve(listener, app, limits, shutdown()).await?;
    // Tasks still running get the same grace; those it does not cover run at the next start.
    let stopped = engine.shutdown(grace).await?;
    if stopped.requeued > 0 {
        println!("{} task(s) still running were put back; the next start runs them", stopped.requeued);
    }
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
