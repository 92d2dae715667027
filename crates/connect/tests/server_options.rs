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

/// Forwards every connection made to `listener` to `upstream` (a stand-in for a server that
/// comes back), until the process ends.
fn forward(listener: std::net::TcpListener, upstream: String) {
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = std::net::TcpStream::connect(&upstream) else { continue };
            for (mut from, mut to) in [(client.try_clone(), server.try_clone()), (server.try_clone(), client.try_clone())]
                .into_iter()
                .filter_map(|(a, b)| Some((a.ok()?, b.ok()?)))
            {
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from, &mut to);
                    let _ = to.shutdown(std::net::Shutdown::Both);
                });
            }
        }
    });
}

/// A lazily opened connection to a server that is down opens at once; a statement says why it
/// cannot connect; once the server is back, the same connection serves statements.
#[test]
fn lazy_connections_open_while_the_server_is_down_and_serve_once_it_is_back() {
    for postgres in [true, false] {
        let real = target(postgres, Tls::Disable, None);
        let what = if postgres { "PostgreSQL" } else { "MariaDB/MySQL" };
        let check = || match postgres {
            true => PostgresConnection::connect(&real).map(|_| ()),
            false => MySqlConnection::connect(&real).map(|_| ()),
        };
        if server(what, check).is_none() {
            continue;
        }
        // A port nothing listens on, for now.
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port();
        let down = ServerTarget { host: "127.0.0.1".into(), port, ..real.clone() };
        let db: Box<dyn Connection> = match postgres {
            true => Box::new(PostgresConnection::connect_lazy(&down).expect("opens without connecting")),
            false => Box::new(MySqlConnection::connect_lazy(&down).expect("opens without connecting")),
        };
        let e = db.query("SELECT 'ok'", vec![ColumnInfo::plain("v", ValueType::String)]).expect_err("down").to_string();
        assert!(e.contains("refused") && e.contains(&port.to_string()), "{what}: says why: {e}");
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port again");
        forward(listener, format!("{}:{}", real.host, real.port));
        assert_eq!(one(db.as_ref(), "SELECT 'ok'"), "ok", "{what}: back");
    }
}

/// An explore's `sql_preamble` runs on the statement's own session, and what it leaves there
/// (a temporary table here) reaches no later statement, whichever pooled session that gets.
fn check_preamble(db: &dyn Connection) {
    let preamble = "CREATE TEMPORARY TABLE preamble_t AS SELECT 41 AS x;";
    let mut r = result::ResultSet::new(vec![ColumnInfo::plain("v", ValueType::Number)]);
    db.stream_after(preamble, "SELECT x + 1 FROM preamble_t", &sightline_connect::Cancel::new(), &mut |batch| {
        result::arrow::append(&mut r, batch).map_err(|e| ConnectError::Sql(e.0))
    })
    .expect("preamble then query");
    assert_eq!(r.value(0, 0).as_f64(), Some(42.0), "{:?}", r.value(0, 0));
    let later = db.query("SELECT x FROM preamble_t", vec![ColumnInfo::plain("v", ValueType::Number)]);
    assert!(later.is_err(), "the preamble's table outlived its statement: {later:?}");
    let e = db.stream_after("SELECT * FROM no_such_table_anywhere;", "SELECT 1", &sightline_connect::Cancel::new(), &mut |_| Ok(()));
    assert!(e.expect_err("a failing preamble fails the statement").to_string().contains("sql_preamble"));
    assert_eq!(one(db, "SELECT 'ok'"), "ok");
}

#[test]
fn a_preamble_runs_on_the_statements_own_session() {
    let duck = sightline_connect::DuckDbConnection::open(":memory:").expect("in-memory DuckDB");
    check_preamble(&duck);
    if let Some(pg) = server("PostgreSQL", || PostgresConnection::connect(&target(true, Tls::Disable, None))) {
        check_preamble(&pg);
    }
    if let Some(my) = server("MariaDB", || MySqlConnection::connect(&target(false, Tls::Disable, None))) {
        check_preamble(&my);
    }
}
