#!/usr/bin/env bash
# Benchmarks as ratios against baselines measured in the same run (see `sightline bench --help`).
# Installs Debian's Chromium for the chart baseline when it is missing and apt-get is usable,
# and the Python lkml parser for the LookML parsing baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing chromium for the chart baseline..." >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2 || echo "chromium could not be installed; the chart baseline will be skipped" >&2
fi
# The Python lkml parser is the baseline for LookML parsing; it goes into the SDK's venv.
python=$(scripts/python-venv.sh)
"$python" -m pip install --quiet --disable-pip-version-check lkml >&2 || echo "lkml could not be installed; its baseline will be skipped" >&2
export SIGHTLINE_BENCH_PYTHON="$python"
cargo build -p sightline
"$CARGO_TARGET_DIR/debug/sightline" bench "$@"
"$CARGO_TARGET_DIR/debug/sightline" bench-render
exec "$CARGO_TARGET_DIR/debug/sightline" bench-lookml
