#!/usr/bin/env bash
# Builds every Go program of the project into build/go/:
#   test/interop/go/<name>/  -> build/go/<name>
#   bench/<area>/go/         -> build/go/bench-<area>
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/go-env.sh
mkdir -p build/go
shopt -s nullglob
for dir in test/interop/go/*/ bench/*/go/; do
  [ -f "$dir/main.go" ] || continue
  case "$dir" in
    bench/*) name="bench-$(basename "$(dirname "$dir")")" ;;
    *) name="$(basename "$dir")" ;;
  esac
  go build -o "build/go/$name" "./$dir"
done
