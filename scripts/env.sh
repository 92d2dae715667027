# Sourced by every project script (and by developers: `. scripts/env.sh`): one build directory
# outside the clone, shared by tests, the demo and CI, and DuckDB's prebuilt library to link.
# (A self-contained binary builds with `--features bundled` instead; see the README.)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sightline/target}"
DUCKDB_LIB_DIR="$("$(dirname "${BASH_SOURCE[0]}")/fetch-libduckdb.sh")" || return 1 2>/dev/null || exit 1
export DUCKDB_LIB_DIR
export LD_LIBRARY_PATH="$DUCKDB_LIB_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
