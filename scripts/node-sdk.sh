#!/usr/bin/env bash
# Installs (once) Looker's official TypeScript SDK for Node (`@looker/sdk-node`, with `@looker/sdk`)
# from the npm registry for the end-to-end tests, outside the clone, and prints the folder whose
# node_modules hold it.
set -euo pipefail
version="${SIGHTLINE_LOOKER_TS_SDK_VERSION:-26.12.0}"
dir="${SIGHTLINE_NODE_SDK_DIR:-$HOME/.cache/sightline/node-looker-sdk-$version}"
if [ ! -f "$dir/node_modules/@looker/sdk-node/package.json" ] || ! grep -q "\"version\": \"$version\"" "$dir/node_modules/@looker/sdk-node/package.json"; then
  command -v npm >/dev/null || { echo "npm is not installed (Node.js 18 or newer is needed)" >&2; exit 1; }
  mkdir -p "$dir"
  echo '{"private": true}' > "$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --silent "@looker/sdk-node@$version" "@looker/sdk@$version" >&2)
fi
echo "$dir"
