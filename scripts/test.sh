#!/usr/bin/env bash
# The whole test suite: system packages, build, lint, Go harnesses, then every test file.
# Pass file-name fragments to run only the matching test files: npm test -- wal transport
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
npm run --silent build
npm run --silent lint
bash scripts/build-go.sh
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
if [ $# -gt 0 ]; then
  mapfile -t files < <(printf '%s\n' "${files[@]}" | grep -F "$(printf '%s\n' "$@")")
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "raftwire: no test files matched" >&2
  exit 1
fi
exec node --test --test-concurrency=2 "${files[@]}"
