//! `cargo run -p sightline-wire-codegen`: regenerates `crates/wire/src/{schemas,operations}.rs`
//! from the vendored spec.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../wire");
    let run = || -> Result<(), Box<dyn std::error::Error>> {
        let spec: serde_json::Value = serde_json::from_slice(&std::fs::read(root.join("spec/Looker.4.0.oas.json"))?)?;
        let (schemas, operations) = sightline_wire_codegen::generate(&spec)?;
        std::fs::write(root.join("src/schemas.rs"), schemas)?;
        std::fs::write(root.join("src/operations.rs"), operations)?;
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wire-codegen: {e}");
            ExitCode::FAILURE
        }
    }
}
