#!/usr/bin/env bash
# Benchmarks as ratios against baselines measured in the same run (see `sightline bench --help`).
# Installs Debian's Chromium for the chart baseline when it is missing and apt-get is usable.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing chromium for the chart baseline..." >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2 || echo "chromium could not be installed; the chart baseline will be skipped" >&2
fi
cargo build -p sightline
exec "$CARGO_TARGET_DIR/debug/sightline" bench "$@"
