//! Server connections honour their options: TLS modes (PostgreSQL here offers TLS with a
//! certificate no authority signed; MariaDB here offers none) and PostgreSQL's schema as the
//! search path. Needs the local servers: skipped loudly outside CI, required in CI.

use result::{ColumnInfo, ValueType};
use sightline_connect::{ConnectError, Connection, MySqlConnection, PostgresConnection, ServerTarget, Tls};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string())
}

fn target(postgres: bool, tls: Tls, schema: Option<&str>) -> ServerTarget {
    let var = |pg: &str, my: &str, default_pg: &str, default_my: &str| {
        if postgres {
            env_or(pg, default_pg)
        } else {
            env_or(my, default_my)
        }
    };
    ServerTarget {
        host: var("SIGHTLINE_TEST_PG_HOST", "SIGHTLINE_TEST_MYSQL_HOST", "127.0.0.1", "127.0.0.1"),
        port: var("SIGHTLINE_TEST_PG_PORT", "SIGHTLINE_TEST_MYSQL_PORT", "5432", "3306").parse().expect("port"),
        database: var("SIGHTLINE_TEST_PG_DATABASE", "SIGHTLINE_TEST_MYSQL_DATABASE", "postgres", "test"),
        schema: schema.map(str::to_string),
        user: var("SIGHTLINE_TEST_PG_USER", "SIGHTLINE_TEST_MYSQL_USER", "postgres", "root"),
        password: std::env::var(if postgres { "SIGHTLINE_TEST_PG_PASSWORD" } else { "SIGHTLINE_TEST_MYSQL_PASSWORD" }).ok(),
        pool_size: 1,
        tls,
        tls_ca_file: None,
        query_timeout: None,
    }
}

/// A server the test needs: absent outside CI, the test says so loudly and passes; in CI it fails.
fn server<T>(what: &str, connect: impl FnOnce() -> Result<T, ConnectError>) -> Option<T> {
    match connect() {
        Ok(c) => Some(c),
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("\n!!! SKIPPED: no {what} ({e}); CI runs this test against a real server !!!\n");
            None
        }
        Err(e) => panic!("{what} is required in CI: {e}"),
    }
}

/// A statement past the connection's `query_timeout` is cancelled by the server, with its
/// message, and the connection serves the next one.
fn check_query_timeout(db: &dyn Connection, slow: &str, says: &str) {
    let started = std::time::Instant::now();
    let e = db.query(slow, vec![ColumnInfo::plain("v", ValueType::String)]).expect_err("cancelled").to_string();
    assert!(e.contains(says), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(4), "{:?}", started.elapsed());
    assert_eq!(one(db, "SELECT 'ok'"), "ok");
}

#[test]
fn statements_past_the_query_timeout_are_cancelled() {
    let timeout = Some(std::time::Duration::from_millis(300));
    if let Some(pg) =
        server("PostgreSQL", || PostgresConnection::connect(&ServerTarget { query_timeout: timeout, ..target(true, Tls::Disable, None) }))
    {
        check_query_timeout(&pg, "SELECT pg_sleep(10)::text", "statement timeout");
    }
    if let Some(my) =
        server("MariaDB", || MySqlConnection::connect(&ServerTarget { query_timeout: timeout, ..target(false, Tls::Disable, None) }))
    {
        check_query_timeout(&my, "SELECT SLEEP(10)", "max_statement_time");
    }
}

fn one(db: &dyn Connection, sql: &str) -> String {
    let r = db.query(sql, vec![ColumnInfo::plain("v", ValueType::String)]).expect(sql);
    r.value(0, 0).to_text().unwrap_or_default()
}

#[test]
fn postgresql_tls_modes_and_schema() {
    let Some(plain) = server("PostgreSQL", || PostgresConnection::connect(&target(true, Tls::Disable, None))) else { return };
    let encrypted = "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
    assert_eq!(one(&plain, encrypted), "false");
    if one(&plain, "SHOW ssl") != "on" {
        eprintln!("\n!!! PostgreSQL here does not offer TLS: only the plain and schema checks ran !!!\n");
    } else {
        let required = PostgresConnection::connect(&target(true, Tls::Require, None)).expect("TLS required");
        assert_eq!(one(&required, encrypted), "true");
        // The server's certificate is signed by no authority the system trusts.
        let Err(e) = PostgresConnection::connect(&target(true, Tls::VerifyFull, None)) else {
            panic!("verify-full accepted a certificate no authority signed")
        };
        assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
    }
    let scoped = PostgresConnection::connect(&target(true, Tls::Prefer, Some("information_schema"))).expect("schema");
    assert_eq!(one(&scoped, "SHOW search_path"), "information_schema");
}

#[test]
fn mysql_tls_modes() {
    let Some(plain) = server("MariaDB/MySQL", || MySqlConnection::connect(&target(false, Tls::Prefer, None))) else { return };
    let offered = one(&plain, "SELECT @@have_ssl") == "YES";
    match MySqlConnection::connect(&target(false, Tls::Require, None)) {
        Ok(c) => {
            assert!(offered, "TLS was required of a server that offers none, and the connection went ahead");
            assert_ne!(one(&c, "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher'"), "");
        }
        Err(e) => assert!(!offered, "TLS required but refused by a server that offers it: {e}"),
    }
}
