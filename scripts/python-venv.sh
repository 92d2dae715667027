#!/usr/bin/env bash
# Creates (once) a Python virtual environment with Looker's official SDK for the end-to-end tests
# (and the current DuckDB release, whose files the DuckDB-compatibility test writes, and
# schemathesis, which checks the served spec, openpyxl, which reads xlsx results back, and pypdf,
# which reads the text of rendered PDFs),
# outside the clone, and prints its python's path.
set -euo pipefail
version="${SIGHTLINE_LOOKER_SDK_VERSION:-26.22.0}"
venv="${SIGHTLINE_VENV:-$HOME/.cache/sightline/venv-looker-sdk-$version}"
duckdb_version="${SIGHTLINE_TEST_DUCKDB_VERSION:-2.0.0}"
schemathesis_version="${SIGHTLINE_SCHEMATHESIS_VERSION:-4.32.5}"
openpyxl_version="${SIGHTLINE_OPENPYXL_VERSION:-3.1.5}"
pypdf_version="${SIGHTLINE_PYPDF_VERSION:-5.1.0}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import looker_sdk, duckdb, schemathesis, openpyxl, pypdf; assert duckdb.__version__ == '$duckdb_version'; assert schemathesis.__version__ == '$schemathesis_version'; assert openpyxl.__version__ == '$openpyxl_version'; assert pypdf.__version__ == '$pypdf_version'" 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "looker-sdk==$version" "duckdb==$duckdb_version" "schemathesis==$schemathesis_version" "openpyxl==$openpyxl_version" "pypdf==$pypdf_version" >&2
fi
echo "$venv/bin/python"
