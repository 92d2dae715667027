#!/usr/bin/env bash
# Fetches DuckDB's own prebuilt libduckdb.so (shipped inside the npm package
# @duckdb/node-bindings-linux-x64) into a cache outside the clone, checks its sha512 against the
# registry's dist.integrity, and prints the directory. Building the `duckdb` crate against it
# takes minutes instead of the ~30 that compiling DuckDB's C++ (`--features bundled`) takes on 2 cores.
set -euo pipefail
version="${SIGHTLINE_DUCKDB_NPM_VERSION:-1.5.6-r.1}"
pkg="@duckdb/node-bindings-linux-x64"
dest="${SIGHTLINE_DUCKDB_DIR:-$HOME/.cache/sightline/libduckdb-$version}"
if [ -f "$dest/libduckdb.so" ]; then
  echo "$dest"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
expected=$(cd "$work" && npm view "$pkg@$version" dist.integrity 2>/dev/null)
case "$expected" in sha512-*) ;; *) echo "fetch-libduckdb: no sha512 integrity from the registry for $pkg@$version" >&2; exit 1;; esac
tarball=$(cd "$work" && npm pack --silent "$pkg@$version" 2>/dev/null | tail -n 1)
actual="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w0)"
if [ "$actual" != "$expected" ]; then
  echo "fetch-libduckdb: checksum mismatch for $tarball: registry says $expected, got $actual" >&2; exit 1
fi
tar -xzf "$work/$tarball" -C "$work"
mkdir -p "$dest.tmp"
cp "$work"/package/libduckdb.so "$dest.tmp/"
rm -rf "$dest"; mv "$dest.tmp" "$dest"
echo "$dest"
