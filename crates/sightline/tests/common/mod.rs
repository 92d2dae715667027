//! What the end-to-end tests share: the repository, the SDKs the project's scripts install, and
//! a `sightline` process on a free loopback port.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

/// Runs one of the project's install scripts, which prints a path; a failure is fatal in CI and
/// a loud skip elsewhere.
fn installed(script: &str, what: &str) -> Option<PathBuf> {
    let out = Command::new(repo_root().join("scripts").join(script)).stderr(Stdio::inherit()).output();
    match out {
        Ok(o) if o.status.success() => Some(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())),
        other => {
            let message = format!("cannot install {what} ({script}): {other:?}");
            if std::env::var_os("CI").is_some() {
                panic!("{message}");
            }
            eprintln!("\n!!!!!!!! SKIPPING a test that needs {what}: {message} !!!!!!!!\n");
            None
        }
    }
}

/// The Python of the test virtual environment (looker-sdk, duckdb, schemathesis).
pub fn python() -> Option<PathBuf> {
    installed("python-venv.sh", "the looker-sdk virtual environment")
}

/// The `node_modules` holding Looker's TypeScript SDK for Node.
pub fn node_sdk() -> Option<PathBuf> {
    installed("node-sdk.sh", "the TypeScript SDK (@looker/sdk-node)").map(|dir| dir.join("node_modules"))
}

/// A running `sightline`, stopped when dropped.
pub struct Server {
    child: Child,
    pub base_url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `sightline` with `args` (which should listen on `127.0.0.1:0`) and waits for the URL it
/// prints; its stdout keeps being drained so it never blocks on a full pipe.
pub fn start(args: &[&std::ffi::OsStr], client_id: &str, client_secret: &str) -> Server {
    start_on(None, args, client_id, client_secret)
}

/// [`start`], with its metadata in the database at `database_url` (`SIGHTLINE_DATABASE_URL`)
/// rather than in SQLite under its data directory.
pub fn start_on(database_url: Option<&str>, args: &[&std::ffi::OsStr], client_id: &str, client_secret: &str) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sightline"));
    match database_url {
        Some(url) => command.env("SIGHTLINE_DATABASE_URL", url),
        None => command.env_remove("SIGHTLINE_DATABASE_URL"),
    };
    let mut child = command
        .args(args)
        .env("SIGHTLINE_ADMIN_CLIENT_ID", client_id)
        .env("SIGHTLINE_ADMIN_CLIENT_SECRET", client_secret)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start sightline");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base_url = loop {
        let line = lines.next().expect("sightline exited before printing its URL").expect("read stdout");
        if let Some(rest) = line.strip_prefix("Sightline API at ") {
            break rest.trim_end_matches("/api/4.0").to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Server { child, base_url }
}

/// `program` running the test script `script` (under `tests/`) against the server at
/// `base_url`, logged in as the SDKs read it from the environment; stderr passes through.
pub fn client(program: impl AsRef<std::ffi::OsStr>, script: &str, base_url: &str, client_id: &str, client_secret: &str) -> Command {
    let mut command = Command::new(program);
    command
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(script))
        .env("LOOKERSDK_BASE_URL", base_url)
        .env("LOOKERSDK_CLIENT_ID", client_id)
        .env("LOOKERSDK_CLIENT_SECRET", client_secret)
        .env("LOOKERSDK_VERIFY_SSL", "false")
        .stderr(Stdio::inherit());
    command
}
