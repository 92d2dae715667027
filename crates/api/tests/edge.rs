//! The HTTP edge over real sockets: slow and idle clients are cut off at the header deadline and
//! never keep others out, the connection limit closes what is beyond it, oversized headers and
//! bodies get 431 and 413, and every route answers an oversized input without a server error.

mod common;

use std::time::{Duration, Instant};

use common::fixture;
use sightline_api::{declarations, serve, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn start(limits: Limits) -> (String, tokio::sync::oneshot::Sender<()>) {
    let f = fixture().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, f.app, limits, async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

/// One request on its own connection; the status code and the body.
async fn request(addr: &str, head: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write head");
    // A refused body may close the connection before all of it is sent.
    let _ = stream.write_all(body).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.as_bytes().to_vec()).unwrap_or_default();
    (status, body)
}

async fn versions(addr: &str) -> (u16, Duration) {
    let started = Instant::now();
    let (status, _) = request(addr, "GET /api/4.0/versions HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", b"").await;
    (status, started.elapsed())
}

/// Whether the server has closed this connection (reads end or fail) within `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 512];
    matches!(
        tokio::time::timeout(wait, async {
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return true,
                    Ok(_) => continue,
                }
            }
        })
        .await,
        Ok(true)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_are_cut_off_and_keep_nobody_out() {
    let limits = Limits { header_read_timeout: Duration::from_secs(2), ..Default::default() };
    let (addr, _stop) = start(limits).await;
    let mut slow = Vec::new();
    for i in 0..1500 {
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        // Half a request: the headers never end. Every third client sends nothing at all.
        if i % 3 != 0 {
            s.write_all(b"GET /api/4.0/versions HTTP/1.1\r\nHost: t\r\nX-Slow: ").await.expect("write");
        }
        slow.push(s);
    }
    let best = {
        let mut best = Duration::MAX;
        for _ in 0..5 {
            let (status, took) = versions(&addr).await;
            assert_eq!(status, 200);
            best = best.min(took);
        }
        best
    };
    assert!(best < Duration::from_millis(100), "GET /versions took {best:?} beside 1,500 slow clients");
    // Past the header deadline the server has closed every one of them.
    let mut open = 0;
    for s in slow.iter_mut() {
        if !closed_within(s, Duration::from_secs(4)).await {
            open += 1;
        }
    }
    assert_eq!(open, 0, "connections left open by clients that never finished their headers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_are_closed_at_once() {
    let limits = Limits { max_connections: 20, header_read_timeout: Duration::from_secs(30), ..Default::default() };
    let (addr, _stop) = start(limits).await;
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(TcpStream::connect(&addr).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(&addr).await.expect("connect");
    assert!(closed_within(&mut extra, Duration::from_secs(2)).await, "the 21st connection was not closed");
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(versions(&addr).await.0, 200, "freed connections are served again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_and_bodies_are_refused() {
    let (addr, _stop) = start(Limits::default()).await;
    let big_header = format!("GET /api/4.0/versions HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\nConnection: close\r\n\r\n", "a".repeat(100_000));
    assert_eq!(request(&addr, &big_header, b"").await.0, 431);
    let body = vec![b' '; 5 << 20];
    for d in declarations().into_iter().filter(|d| d.op.body.is_some()) {
        let path = d.op.path.replace("{query_id}", "1").replace("{result_format}", "json").replace("{connection_name}", "thelook");
        let head = format!(
            "{} /api/4.0{path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            d.op.method,
            body.len()
        );
        let (status, answer) = request(&addr, &head, &body).await;
        assert_eq!(status, 413, "{} {path}: {}", d.op.method, String::from_utf8_lossy(&answer));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_oversized_query_strings_without_a_server_error() {
    let (addr, _stop) = start(Limits::default()).await;
    let fields = "a,".repeat(25_000);
    for d in declarations() {
        let path = d.op.path.replace("{query_id}", "1").replace("{result_format}", "json").replace(['{', '}'], "");
        let head = format!("{} /api/4.0{path}?fields={fields}&limit=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", d.op.method);
        let started = Instant::now();
        let (status, answer) = request(&addr, &head, b"").await;
        assert!((200..500).contains(&status), "{} {path}: {status} {}", d.op.method, String::from_utf8_lossy(&answer));
        assert!(started.elapsed() < Duration::from_secs(5), "{} {path} took {:?}", d.op.method, started.elapsed());
    }
    assert_eq!(versions(&addr).await.0, 200);
}

/// `--user-rate`: past a user's burst, 429 in Looker's shape with `Retry-After`; other users go on.
#[tokio::test]
async fn a_user_past_its_rate_is_answered_429_with_retry_after() {
    let mut f = common::fixture().await;
    let rates = std::sync::Arc::new(sightline_api::UserRates::new(0.5, 2));
    f.app = sightline_api::router(sightline_api::AppState {
        engine: f.engine.clone(),
        base_url: "http://test".into(),
        user_rates: Some(rates),
    });
    for _ in 0..2 {
        assert_eq!(f.call("GET", "/api/4.0/user", "").await.0, axum::http::StatusCode::OK);
    }
    let (status, headers, body) = f.call("GET", "/api/4.0/user", "").await;
    assert_eq!(status, axum::http::StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers.get("retry-after").map(String::as_str), Some("2"));
    let body = common::json(&body);
    assert!(body["message"].as_str().is_some_and(|m| m.contains("rate")) && body["documentation_url"].is_string(), "{body}");
    let other = f.store.create_user("Other", "User", None).await.expect("user");
    f.token = f.store.create_token(other, 60).await.expect("token");
    assert_eq!(f.call("GET", "/api/4.0/user", "").await.0, axum::http::StatusCode::OK, "another user's bucket is full");
}
