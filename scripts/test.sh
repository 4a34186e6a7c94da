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
# No single test may hang the suite: each fails after RAFTWIRE_TEST_TIMEOUT_MS (default 3 min, well
# over the slowest test, the 1 GiB snapshot transfer), and its t.after hooks close what it opened.
# TAP for CI (which reads its summary lines), then a recap of the failures after the summary.
exec node --test --test-concurrency=2 --test-timeout="${RAFTWIRE_TEST_TIMEOUT_MS:-180000}" \
  --test-reporter=tap --test-reporter-destination=stdout \
  --test-reporter=./scripts/failure-recap-reporter.mjs --test-reporter-destination=stdout \
  "${files[@]}"
