//! The checked-in wire types are what the generator makes of the vendored spec today: a change to
//! either without running `cargo run -p sightline-wire-codegen` fails here.

use std::path::PathBuf;

#[test]
fn generated_files_are_fresh() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../wire");
    let spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("spec/Looker.4.0.oas.json")).expect("spec")).expect("spec is JSON");
    let (schemas, operations) = sightline_wire_codegen::generate(&spec).expect("generates");
    for (file, want) in [("src/schemas.rs", schemas), ("src/operations.rs", operations)] {
        let have = std::fs::read_to_string(root.join(file)).expect("generated file");
        assert!(have == want, "crates/wire/{file} is stale: run `cargo run -p sightline-wire-codegen`");
    }
}
