//! `sightline bench`, query tasks: what the asynchronous API adds over the database, measured as
//! a client sees it — `POST /query_tasks`, poll `GET /query_tasks/{id}` until `complete`, then
//! `GET /query_tasks/{id}/results` — over loopback HTTP against an in-process server with its
//! metadata in an SQLite file (as `sightline serve` keeps it), beside raw DuckDB running the same
//! SQL in the same run.
//!
//! Reported: the median round trip of a cached task and of an uncached one (`cache=false`), each
//! against DuckDB's time for the SQL; cached tasks per second with several clients at once; and
//! a render task's round trip (its rows kept, so it only draws) against drawing in process.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use axum::http::{header, Method, Request, StatusCode};
use connect::DuckDbConnection;
use engine::{Engine, QueryBody};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

/// Clients sending tasks at once for the throughput figure.
const CLIENTS: usize = 8;
/// How long the throughput figure is measured for.
const THROUGHPUT_FOR: Duration = Duration::from_secs(3);

/// One kept-alive HTTP/1.1 connection, logged in.
struct Client {
    send: SendRequest<String>,
    token: String,
}

impl Client {
    async fn connect(address: std::net::SocketAddr, token: &str) -> anyhow::Result<Client> {
        let stream = tokio::net::TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        let (send, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Client { send, token: token.to_string() })
    }

    async fn call(&mut self, method: Method, path: &str, body: &str) -> anyhow::Result<(StatusCode, axum::body::Bytes)> {
        self.send.ready().await?;
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "127.0.0.1")
            .header(header::AUTHORIZATION, format!("token {}", self.token))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string())?;
        let response = self.send.send_request(request).await?;
        let status = response.status();
        let bytes = axum::body::to_bytes(axum::body::Body::new(response.into_body()), usize::MAX).await?;
        Ok((status, bytes))
    }

    /// Creates a query task (`create` under `/query_tasks`) or a render task (under
    /// `/render_tasks`), polls it until done and fetches its result.
    async fn task(&mut self, create: &str, body: &str) -> anyhow::Result<()> {
        let (status, created) = self.call(Method::POST, create, body).await?;
        if status != StatusCode::OK {
            bail!("POST {create}: {status} {}", String::from_utf8_lossy(&created));
        }
        let id = serde_json::from_slice::<serde_json::Value>(&created)?["id"].as_str().context("task id")?.to_string();
        let tasks = if create.starts_with("/api/4.0/render_tasks") { "render_tasks" } else { "query_tasks" };
        loop {
            let (_, polled) = self.call(Method::GET, &format!("/api/4.0/{tasks}/{id}"), "").await?;
            match serde_json::from_slice::<serde_json::Value>(&polled)?["status"].as_str() {
                Some("complete" | "success") => break,
                Some("error" | "killed" | "failure") => bail!("task {id} failed: {}", String::from_utf8_lossy(&polled)),
                _ => tokio::task::yield_now().await,
            }
        }
        let (status, _) = self.call(Method::GET, &format!("/api/4.0/{tasks}/{id}/results"), "").await?;
        match status {
            StatusCode::OK => Ok(()),
            other => bail!("results of {id}: {other}"),
        }
    }
}

/// The median round trip of `iterations` tasks (after one more, not counted).
async fn round_trips(client: &mut Client, create: &str, body: &str, iterations: usize) -> anyhow::Result<Duration> {
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..=iterations {
        let start = Instant::now();
        client.task(create, body).await?;
        samples.push(start.elapsed());
    }
    samples.remove(0);
    Ok(median(samples))
}

/// The median time to draw `rows` as an 800x600 column chart to PNG in process.
fn drawn_in_process(rows: &result::ResultSet, iterations: usize) -> anyhow::Result<Duration> {
    let chart: render::Chart = render::ChartKind::Column.into();
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..=iterations {
        let start = Instant::now();
        render::render_chart(rows, &chart, "chart", 800, 600, render::ImageFormat::Png)?;
        samples.push(start.elapsed());
    }
    samples.remove(0);
    Ok(median(samples))
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// Measures query tasks on `query` over the demo model of `catalog` on `duck`, `iterations`
/// times each, with the metadata in a SQLite file in `dir` and, when `SIGHTLINE_BENCH_POSTGRES`
/// names a PostgreSQL database (`postgres://…`), there too.
pub fn run(
    catalog: semantic::Catalog,
    duck: Arc<DuckDbConnection>,
    query: &QueryBody,
    iterations: usize,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    let _ = std::fs::remove_file(dir.join("bench-tasks.db"));
    run_on(catalog.clone(), Arc::clone(&duck), query, iterations, &format!("sqlite://{}", dir.join("bench-tasks.db").display()))?;
    match std::env::var("SIGHTLINE_BENCH_POSTGRES") {
        Ok(url) if !url.is_empty() => run_on(catalog, duck, query, iterations, &url),
        _ => Ok(()),
    }
}

fn run_on(catalog: semantic::Catalog, duck: Arc<DuckDbConnection>, query: &QueryBody, iterations: usize, url: &str) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let store = runtime.block_on(store::Store::connect(url))?;
    let connections: std::collections::HashMap<String, Arc<dyn connect::Connection>> =
        [("thelook".to_string(), duck.clone() as Arc<dyn connect::Connection>)].into();
    let engine = runtime.block_on(Engine::start(catalog, connections, store.clone(), engine::EngineConfig::default()))?;
    let sql = engine.compile(query, None)?.sql;
    duck.count_rows(&sql)?;
    let raw = median(
        (0..iterations)
            .map(|_| {
                let start = Instant::now();
                let _ = duck.count_rows(&sql);
                start.elapsed()
            })
            .collect(),
    );

    runtime.block_on(async {
        let admin = store.ensure_admin(None).await?.context("a fresh store makes admin credentials")?;
        let user = store.verify_api3(&admin.client_id, &admin.client_secret).await?.context("the bench's admin user")?;
        let token = store.create_token(user, 3600).await?;
        let saved = store.save_query(&query.normalised_json()).await?;
        let body = format!(r#"{{"query_id":"{}","result_format":"json"}}"#, saved.id);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let app = api::router(api::AppState { engine: engine.clone(), base_url: format!("http://{address}"), user_rates: None });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(api::serve(listener, app, api::Limits::default(), async move {
            let _ = stopped.await;
        }));

        let mut client = Client::connect(address, &token).await?;
        client.task("/api/4.0/query_tasks", &body).await?; // fills the cache
        let cached = round_trips(&mut client, "/api/4.0/query_tasks", &body, iterations).await?;
        let uncached = round_trips(&mut client, "/api/4.0/query_tasks?cache=false", &body, iterations).await?;
        // A render task of the same query: its rows kept from the first, so each one only draws.
        let render = format!("/api/4.0/render_tasks/queries/{}/png?width=800&height=600", saved.id);
        let rendered = round_trips(&mut client, &render, "", iterations).await?;
        let rows = engine.execute(&engine.compile(query, None)?, None).await?.table;
        let drawn = drawn_in_process(&rows, iterations)?;

        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let until = Instant::now() + THROUGHPUT_FOR;
        let mut clients = Vec::new();
        for _ in 0..CLIENTS {
            let (mut client, body, done) = (Client::connect(address, &token).await?, body.clone(), Arc::clone(&done));
            clients.push(tokio::spawn(async move {
                while Instant::now() < until {
                    client.task("/api/4.0/query_tasks", &body).await?;
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                anyhow::Ok(())
            }));
        }
        for c in clients {
            c.await??;
        }
        let per_second = done.load(std::sync::atomic::Ordering::Relaxed) as f64 / THROUGHPUT_FOR.as_secs_f64();
        let _ = stop.send(());
        let _ = server.await;

        println!("\nQuery tasks over loopback HTTP (create, poll until complete, fetch results; metadata in {})", store.backend());
        println!("  raw DuckDB, same SQL:           {}", ms(raw));
        println!(
            "  cached task, round trip:        {} ({:+.3} ms over raw DuckDB)",
            ms(cached),
            (cached.as_secs_f64() - raw.as_secs_f64()) * 1000.0
        );
        println!("  uncached task (cache=false):    {} ({:.2}x raw DuckDB)", ms(uncached), uncached.as_secs_f64() / raw.as_secs_f64());
        println!("  cached tasks per second, {CLIENTS} clients: {per_second:.0}");
        println!(
            "  render task, 800x600 PNG from kept rows, round trip: {} ({:+.3} ms over drawing it in process, {})",
            ms(rendered),
            (rendered.as_secs_f64() - drawn.as_secs_f64()) * 1000.0,
            ms(drawn)
        );
        println!("  mean time per phase over every run above (GET /metrics):");
        let text = engine.metrics().prometheus();
        let value = |line: &str| text.lines().find_map(|l| l.strip_prefix(line)).and_then(|v| v.trim().parse::<f64>().ok());
        for phase in ["queue", "compile", "cache", "turn", "database", "format", "store"] {
            let sum = value(&format!("sightline_phase_seconds_sum{{phase=\"{phase}\"}}"));
            let count = value(&format!("sightline_phase_seconds_count{{phase=\"{phase}\"}}"));
            if let (Some(sum), Some(count)) = (sum, count.filter(|c| *c > 0.0)) {
                println!("    {phase:<9} {:>9} x {count:.0}", ms(Duration::from_secs_f64(sum / count)));
            }
        }
        anyhow::Ok(())
    })
}
