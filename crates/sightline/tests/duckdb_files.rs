//! Which DuckDB files Sightline opens: it embeds DuckDB 1.5, so a file written by DuckDB 2.0
//! (storage version 69) is refused at start-up with a message saying how to convert it, and the
//! conversion it names (run with DuckDB 2.0 itself) gives a file Sightline opens. The current
//! DuckDB release comes from the test virtual environment (`scripts/python-venv.sh`).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::python;

/// Starts `serve` on `database` and returns (started, everything it printed).
fn serve(database: &Path, dir: &Path) -> (bool, String) {
    let config = dir.join(format!("{}.toml", database.file_stem().and_then(|s| s.to_str()).unwrap_or("db")));
    std::fs::write(&config, format!("[connections.thelook]\ndialect = \"duckdb\"\ndatabase = \"{}\"\n", database.display()))
        .expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(["serve", "--listen", "127.0.0.1:0", "--project"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/thelook"))
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.join("state"))
        .env_remove("SIGHTLINE_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sightline serve");
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("stdout");
    let first = std::io::BufReader::new(stdout).lines().next().and_then(Result::ok).unwrap_or_default();
    let started = first.starts_with("Sightline API at ");
    let _ = child.kill();
    let output = child.wait_with_output().expect("wait");
    (started, format!("{first}\n{}", String::from_utf8_lossy(&output.stderr)))
}

#[test]
fn a_duckdb_2_file_is_refused_with_a_conversion_that_works() {
    let Some(python) = python() else { return };
    let dir = std::env::temp_dir().join(format!("sightline-duckdb-files-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let (newer, compat) = (dir.join("newer.duckdb"), dir.join("compat.duckdb"));
    let script = format!(
        "import duckdb\nc = duckdb.connect(r'{}')\nc.execute('CREATE TABLE t AS SELECT range AS i FROM range(10)')\nc.close()\nprint(duckdb.__version__)\n",
        newer.display()
    );
    let made = Command::new(&python).arg("-c").arg(script).output().expect("python");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert!(String::from_utf8_lossy(&made.stdout).starts_with('2'), "not DuckDB 2: {}", String::from_utf8_lossy(&made.stdout));

    let (started, printed) = serve(&newer, &dir);
    assert!(!started, "a DuckDB 2.0 file opened with DuckDB 1.5: {printed}");
    assert!(printed.contains("Sightline embeds DuckDB v1.5") && printed.contains("STORAGE_VERSION 'v1.4.0'"), "{printed}");

    // The conversion the message names, run with DuckDB 2.0.
    let script = format!(
        "import duckdb\nc = duckdb.connect(r'{}')\nc.execute(\"ATTACH '{}' AS compat (STORAGE_VERSION 'v1.4.0')\")\nc.execute('COPY FROM DATABASE newer TO compat')\nc.close()\n",
        newer.display(),
        compat.display()
    );
    let converted = Command::new(&python).arg("-c").arg(script).output().expect("python");
    assert!(converted.status.success(), "{}", String::from_utf8_lossy(&converted.stderr));
    let (started, printed) = serve(&compat, &dir);
    assert!(started, "the converted file does not open: {printed}");
    let _ = std::fs::remove_dir_all(&dir);
}
