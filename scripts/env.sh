# Sourced by every project script (and by developers: `. scripts/env.sh`): one build directory
# outside the clone shared by tests, the demo and CI, and DuckDB's prebuilt library.
# With SIGHTLINE_BUNDLED=1 nothing is fetched and DuckDB is compiled from source instead.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sightline/target}"
if [ "${SIGHTLINE_BUNDLED:-0}" != "1" ]; then
  DUCKDB_LIB_DIR="$("$(dirname "${BASH_SOURCE[0]}")/fetch-libduckdb.sh")" || return 1 2>/dev/null || exit 1
  export DUCKDB_LIB_DIR
  export LD_LIBRARY_PATH="$DUCKDB_LIB_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
