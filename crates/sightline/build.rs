//! When DuckDB comes as a prebuilt shared library (`DUCKDB_LIB_DIR`), record its folder as the
//! binary's rpath so `sightline` runs without `LD_LIBRARY_PATH`.
fn main() {
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    if let Ok(dir) = std::env::var("DUCKDB_LIB_DIR") {
        println!("cargo:rustc-link-arg-bins=-Wl,-rpath,{dir}");
    }
}
