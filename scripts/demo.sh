#!/usr/bin/env bash
# Builds Sightline and runs the demo: thelook data in an embedded DuckDB, served at
# http://127.0.0.1:9999/api/4.0 (pass --listen ADDR, --scale N to change).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
cargo build -p sightline
exec "$CARGO_TARGET_DIR/debug/sightline" demo "$@"
