#!/usr/bin/env bash
# Runs every test: unit, snapshot, and the end-to-end test through Looker's official Python SDK.
# Installs what the tests need (DuckDB's prebuilt library, a venv with looker-sdk) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
scripts/python-venv.sh >/dev/null
cargo nextest run --workspace --no-fail-fast "$@"
