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
# No test may hang the suite. Node 20 applies --test-timeout to each test *and to each file as a
# whole*, so it is a per-file bound: RAFTWIRE_TEST_TIMEOUT_MS, default 8 min (the longest files, a
# run of fault scenarios, take 2–3 min on a loaded 2-core machine). Slow tests bound themselves
# more tightly: each fault scenario fails after 150 s (runScenario), the 1 GiB snapshot transfer
# and the interop harnesses have their own timeouts; t.after hooks close what a test opened.
# TAP for CI (which reads its summary lines), then a recap of the failures after the summary.
exec node --test --test-concurrency=2 --test-timeout="${RAFTWIRE_TEST_TIMEOUT_MS:-480000}" \
  --test-reporter=tap --test-reporter-destination=stdout \
  --test-reporter=./scripts/failure-recap-reporter.mjs --test-reporter-destination=stdout \
  "${files[@]}"
