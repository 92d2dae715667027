//! `sightline`: the command line. `demo` generates thelook data in DuckDB and serves the demo
//! LookML project; `serve` serves any project with connections from a TOML config; `validate`
//! checks a project and prints `file:line:col: message` diagnostics.

mod bench;
mod bench_formats;
mod bench_lookml;
mod bench_render;
mod bench_tasks;
mod config;
mod demo;
mod project;
mod server;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// mimalloc rather than glibc's malloc: the semantic layer and the formatters allocate many small
/// strings, and glibc spent a third of a query's compile time in its free lists.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "sightline", version, about = "A self-hosted server that speaks the Looker API 4.0")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create (if missing) the thelook demo data in an embedded DuckDB file and serve the demo project.
    Demo(DemoArgs),
    /// Serve a LookML project.
    Serve(ServeArgs),
    /// Parse and validate a LookML project; exits non-zero on errors.
    Validate(ValidateArgs),
    /// Print the SQL of a query (Looker's Query JSON) for a dialect, without connecting.
    Sql(SqlArgs),
    /// Measure queries against raw DuckDB and charts against headless Chromium, as ratios.
    Bench(BenchArgs),
    /// Measure loading, parsing and compiling a generated LookML project (lkml as the baseline).
    BenchLookml(BenchLookmlArgs),
    /// Measure every result format against DuckDB's own export, and streaming's peak memory.
    BenchFormats(BenchFormatsArgs),
    /// Measure drawing a chart and a 12-tile dashboard against headless Chromium, as ratios.
    BenchRender(BenchArgs),
    /// bench-formats' baseline, run in a fresh process: DuckDB alone streaming SQL to a sink
    /// that drops each batch; prints the peak resident memory's growth in bytes.
    #[command(hide = true)]
    BenchStreamBaseline(BenchStreamBaselineArgs),
}

#[derive(Args)]
struct BenchStreamBaselineArgs {
    #[arg(long)]
    database: String,
    #[arg(long)]
    duckdb_memory: String,
    #[arg(long)]
    sql: String,
}

#[derive(Args)]
struct BenchFormatsArgs {
    /// Rows of each format's result.
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
    /// Rows of the csv result whose peak memory is measured.
    #[arg(long, default_value_t = 10_000_000)]
    stream_rows: u64,
    #[arg(long, default_value_t = 3)]
    iterations: usize,
    /// DuckDB's `memory_limit` for the run (it spills to disk past it).
    #[arg(long, default_value = "100MB")]
    duckdb_memory: String,
    #[arg(long, env = "SIGHTLINE_DATA_DIR", default_value = ".sightline")]
    data_dir: PathBuf,
}

#[derive(Args)]
struct BenchLookmlArgs {
    #[arg(long, default_value_t = 1000)]
    views: usize,
    #[arg(long, default_value_t = 7)]
    iterations: usize,
    #[arg(long, env = "SIGHTLINE_DATA_DIR", default_value = ".sightline")]
    data_dir: PathBuf,
}

#[derive(Args)]
struct SqlArgs {
    /// The LookML project folder.
    #[arg(long)]
    project: PathBuf,
    /// The SQL dialect to print (duckdb, postgres, mysql).
    #[arg(long)]
    dialect: String,
    /// The query as Looker's Query JSON (`{"model": …, "view": …, "fields": […]}`), or `@FILE`.
    #[arg(long)]
    query: String,
    /// A user attribute's value, `NAME=VALUE` (repeatable), for access filters and Liquid's
    /// `_user_attributes`: the SQL is printed as it would run for a user with these values.
    #[arg(long = "user-attribute", value_name = "NAME=VALUE")]
    user_attributes: Vec<String>,
}

#[derive(Args)]
struct BenchArgs {
    #[arg(long, default_value_t = 1)]
    scale: u32,
    #[arg(long, default_value_t = 20)]
    iterations: usize,
    #[arg(long, default_value = "examples/thelook")]
    project: PathBuf,
    #[arg(long, env = "SIGHTLINE_DATA_DIR", default_value = ".sightline")]
    data_dir: PathBuf,
}

#[derive(Args)]
struct ServerArgs {
    /// Address to listen on; port 0 picks a free port (the URL printed says which).
    #[arg(long, env = "SIGHTLINE_LISTEN", default_value = "127.0.0.1:9999")]
    listen: String,
    /// Folder for Sightline's own files (metadata database, demo data).
    #[arg(long, env = "SIGHTLINE_DATA_DIR", default_value = ".sightline")]
    data_dir: PathBuf,
    /// Connections served at once (default: half the process's file descriptors, at most 10,000).
    #[arg(long, env = "SIGHTLINE_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Seconds a client has to send a request's headers (idle kept-alive connections included).
    #[arg(long, env = "SIGHTLINE_HEADER_TIMEOUT", default_value_t = 10)]
    header_timeout: u64,
    /// Seconds a task's result is kept after the task finished (files under the data folder's
    /// `results/`, removed once expired).
    #[arg(long, env = "SIGHTLINE_RESULT_TTL", default_value_t = 3600)]
    result_ttl: u64,
    /// Bytes of the largest formatted result of one query; a larger one fails, naming this limit.
    #[arg(long, env = "SIGHTLINE_MAX_RESULT_BYTES", default_value_t = engine::DEFAULT_MAX_RESULT_BYTES)]
    max_result_bytes: usize,
    /// Bytes of rows all queries running at once may hold in memory; a query whose rows would
    /// pass it stops and fails, naming this limit.
    #[arg(long, env = "SIGHTLINE_MAX_RESULT_MEMORY", default_value_t = engine::DEFAULT_MAX_RESULT_MEMORY)]
    max_result_memory: u64,
    /// Seconds between runs of the datagroups' `sql_trigger`s (a changed value makes the results
    /// cached under the datagroup stale).
    #[arg(long, env = "SIGHTLINE_DATAGROUP_POLL", default_value_t = engine::DEFAULT_DATAGROUP_POLL.as_secs())]
    datagroup_poll: u64,
    /// Seconds a task claimed by this process stays its without renewal (renewed every third);
    /// tasks of a process that died are run again once this has passed.
    #[arg(long, env = "SIGHTLINE_TASK_LEASE", default_value_t = engine::DEFAULT_TASK_LEASE.as_secs())]
    task_lease: u64,
    /// Tasks run at once by this server (query and render tasks together).
    #[arg(long, env = "SIGHTLINE_WORKERS", default_value_t = engine::DEFAULT_WORKERS)]
    workers: usize,
    /// API requests a second per user (bursts of twice as many); past it, 429 with Retry-After.
    /// No limit when absent.
    #[arg(long, env = "SIGHTLINE_USER_RATE")]
    user_rate: Option<f64>,
}

#[derive(Args)]
struct DemoArgs {
    /// Size of the demo data: 1 makes 10,000 users and about 125,000 order items.
    #[arg(long, env = "SIGHTLINE_DEMO_SCALE", default_value_t = 1)]
    scale: u32,
    /// The demo LookML project.
    #[arg(long, default_value = "examples/thelook")]
    project: PathBuf,
    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Args)]
struct ServeArgs {
    /// The LookML project folder.
    #[arg(long, env = "SIGHTLINE_PROJECT")]
    project: PathBuf,
    /// TOML file declaring the connections the models name.
    #[arg(long, env = "SIGHTLINE_CONFIG")]
    config: PathBuf,
    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Args)]
struct ValidateArgs {
    #[arg(long)]
    project: PathBuf,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("SIGHTLINE_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Validate(args) => return project::validate_command(&args.project),
        Command::Sql(args) => project::sql_command(&args.project, &args.dialect, &args.query, &args.user_attributes),
        Command::BenchLookml(args) => bench_lookml::run(args.views, args.iterations, &args.data_dir),
        Command::BenchFormats(args) => {
            bench_formats::run(args.rows, args.stream_rows, args.iterations, &args.duckdb_memory, &args.data_dir)
        }
        Command::BenchStreamBaseline(args) => bench_formats::stream_baseline(&args.database, &args.duckdb_memory, &args.sql),
        Command::Bench(args) => bench::run(args.scale, args.iterations, &args.project, &args.data_dir),
        Command::BenchRender(args) => bench_render::run(args.scale, args.iterations, &args.project, &args.data_dir),
        Command::Demo(args) => demo::run(args.scale, &args.project, &args.server),
        Command::Serve(args) => config::Config::load(&args.config).and_then(|c| server::run(&args.project, c, &args.server)),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sightline: {e:#}");
            ExitCode::FAILURE
        }
    }
}
