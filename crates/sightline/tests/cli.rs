//! The command line as a user meets it: `validate` diagnostics and `serve` start-up errors.

use std::path::{Path, PathBuf};
use std::process::Command;

fn sightline() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sightline"))
}

fn temp_project(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sightline-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    }
    dir
}

#[test]
fn validate_accepts_the_demo_project() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/thelook");
    let out = sightline().args(["validate", "--project"]).arg(root).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 model(s), 5 explore(s), no errors"));
}

#[test]
fn validate_names_file_line_and_column_and_fails() {
    let dir = temp_project(
        "bad",
        &[
            ("shop.model.lkml", "connection: \"db\"\ninclude: \"*.view\"\nexplore: orders {}\n"),
            ("orders.view.lkml", "view: orders {\n  dimension: id { type: number }\n  measure: total { type: sum\n"),
        ],
    );
    let out = sightline().args(["validate", "--project"]).arg(&dir).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("orders.view.lkml:4:1: expected `}` to close the block, found the end of the file"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn validate_compiles_every_field_and_locates_what_does_not() {
    let dir = temp_project(
        "compile",
        &[
            ("shop.model.lkml", "connection: \"db\"\ninclude: \"*.view\"\nexplore: orders {}\nexplore: users {}\n"),
            (
                "orders.view.lkml",
                "view: orders {\n  dimension: id { primary_key: yes type: number }\n  dimension: buyer {\n    sql: ${users.name} ;;\n  }\n}\nview: users {\n  dimension: name {}\n}\n",
            ),
        ],
    );
    let out = sightline().args(["validate", "--project"]).arg(&dir).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("orders.view.lkml:3:3: in explore `orders`:") && stderr.contains("users"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn validate_locates_value_formats_it_cannot_apply() {
    let dir = temp_project(
        "formats",
        &[
            ("shop.model.lkml", "connection: \"db\"\ninclude: \"*.view\"\nexplore: orders {}\n"),
            ("orders.view.lkml", "view: orders {\n  measure: count { type: count }\n  measure: when { type: max sql: 1 ;; value_format: \"yyyy-mm-dd\" }\n}\n"),
        ],
    );
    let out = sightline().args(["validate", "--project"]).arg(&dir).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("orders.view.lkml:3:3: field `orders.when`: value format `yyyy-mm-dd`: `y` is a date or time code"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn serve_refuses_unknown_config_keys_and_warns_of_missing_connections() {
    let dir = temp_project(
        "serve",
        &[
            ("m.model.lkml", "connection: \"warehouse\"\n"),
            ("typo.toml", "[connections.warehouse]\ndialect = \"duckdb\"\ndatabse = \"x\"\n"),
            ("other.toml", "[connections.elsewhere]\ndialect = \"duckdb\"\ndatabase = \":memory:\"\n"),
        ],
    );
    let out = sightline().args(["serve", "--project"]).arg(&dir).arg("--config").arg(dir.join("typo.toml")).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("unknown field `databse`"), "{stderr}");
    // A missing connection is a warning: the server starts, and the model's queries fail by name.
    let mut child = sightline()
        .args(["serve", "--listen", "127.0.0.1:0", "--project"])
        .arg(&dir)
        .arg("--config")
        .arg(dir.join("other.toml"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run");
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let started = lines.next().and_then(Result::ok).unwrap_or_default();
    let _ = child.kill();
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(started.starts_with("Sightline API at "), "{started} / {stderr}");
    assert!(
        stderr.contains("model `m` uses connection `warehouse`, which the config does not declare and the API has not created"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn sql_prints_a_query_for_each_dialect_without_connecting() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/thelook");
    let query = r#"{"model": "thelook", "view": "order_items", "fields": ["orders.status", "order_items.count"], "filters": {"orders.status": "O'Brien"}}"#;
    for (dialect, quote) in [("duckdb", "\"orders.status\""), ("postgres", "\"orders.status\""), ("mysql", "`orders.status`")] {
        let out = sightline().args(["sql", "--dialect", dialect, "--query", query, "--project"]).arg(&root).output().expect("run");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{dialect}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains(quote) && stdout.contains("'O''Brien'"), "{dialect}: {stdout}");
    }
    let out = sightline().args(["sql", "--dialect", "oracle", "--query", query, "--project"]).arg(&root).output().expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown dialect `oracle`"));
}

#[test]
fn serve_refuses_a_duckdb_file_that_does_not_exist() {
    let dir = temp_project(
        "missing-db",
        &[
            ("m.model.lkml", "connection: \"w\"\n"),
            ("c.toml", "[connections.w]\ndialect = \"duckdb\"\ndatabase = \"nope/absent.duckdb\"\n"),
        ],
    );
    let out = sightline()
        .args(["serve", "--listen", "127.0.0.1:0", "--project"])
        .arg(&dir)
        .arg("--config")
        .arg(dir.join("c.toml"))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("absent.duckdb does not exist (set `create = true`"), "{stderr}");
    assert!(!dir.join("nope").exists(), "nothing may be created");
    let _ = std::fs::remove_dir_all(dir);
}
