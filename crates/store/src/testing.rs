//! Test support: a fresh PostgreSQL database for a test that runs the store on PostgreSQL, on
//! the server the test environment names (`SIGHTLINE_TEST_PG_HOST`, `_PORT`, `_USER`,
//! `_PASSWORD`; 127.0.0.1:5432 as `postgres` by default, as in CI).
//!
//! A test without a server skips with a loud message outside CI and fails in CI, like every test
//! that needs a server. Each database is named after its creation time, and databases such a
//! test made more than an hour ago are dropped when the next is made, so a test that fails
//! half-way leaves nothing behind for long.

use sqlx::Connection;

use crate::{random_hex, Store};

/// Prefix of the databases made here.
const PREFIX: &str = "sightline_scratch_";

fn var(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string())
}

/// The URL of database `name` on the test server.
fn url(database: &str) -> String {
    let user = var("SIGHTLINE_TEST_PG_USER", "postgres");
    let password = std::env::var("SIGHTLINE_TEST_PG_PASSWORD").ok().filter(|p| !p.is_empty());
    let host = var("SIGHTLINE_TEST_PG_HOST", "127.0.0.1");
    let port = var("SIGHTLINE_TEST_PG_PORT", "5432");
    let credentials = match password {
        Some(p) => format!("{user}:{p}"),
        None => user,
    };
    format!("postgres://{credentials}@{host}:{port}/{database}")
}

/// The URL of a new, empty database on the test server; `None` (after saying so loudly) when
/// there is no server outside CI.
///
/// # Panics
/// In CI (`CI` set), when the server cannot be reached or the database cannot be made.
pub async fn scratch_postgres_url() -> Option<String> {
    match make_database().await {
        Ok(url) => Some(url),
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("\n!!! SKIPPED: no PostgreSQL for the metadata store ({e}); CI runs this test against a real server !!!\n");
            None
        }
        Err(e) => panic!("PostgreSQL is required in CI: {e}"),
    }
}

/// A store on a new, empty PostgreSQL database; `None` as [`scratch_postgres_url`] says.
///
/// # Panics
/// As [`scratch_postgres_url`], and when the store cannot open the database it made.
pub async fn scratch_postgres() -> Option<Store> {
    let url = scratch_postgres_url().await?;
    Some(Store::connect(&url).await.unwrap_or_else(|e| panic!("store on {url}: {e}")))
}

async fn make_database() -> Result<String, sqlx::Error> {
    let mut admin = sqlx::PgConnection::connect(&url("postgres")).await?;
    let now = jiff::Timestamp::now().as_second();
    let old: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE $1")
        .bind(format!("{PREFIX}%"))
        .fetch_all(&mut admin)
        .await?;
    for name in old {
        let made = name.strip_prefix(PREFIX).and_then(|rest| rest.split('_').next()).and_then(|s| s.parse::<i64>().ok());
        if made.is_some_and(|t| now - t > 3600) {
            // Another test may drop it at the same moment; either way it is gone.
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut admin).await;
        }
    }
    let name = format!("{PREFIX}{now}_{}", random_hex(4));
    sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut admin).await?;
    Ok(url(&name))
}
