#!/usr/bin/env bash
# The fast suite, for the edit-test loop: build, then the test files that need no Go, start no
# child process and move no large files. Left out (they run in `npm test` only):
#   - test/interop/**            (Go harnesses, etcd, raftexample)
#   - *.slow.test.ts             (the 1 GiB snapshot transfer)
#   - test files importing node:child_process or ./child.js (crash and lock fixtures, openssl, du)
#   - test files importing cluster-process.js (`raftwire cluster` processes, headless Chromium)
# Pass file-name fragments to narrow it further: npm run test:unit -- raft/ wal
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
mapfile -t sources < <(find test -name '*.test.ts' -not -path 'test/interop/*' -not -name '*.slow.test.ts' | sort)
files=()
for src in "${sources[@]}"; do
  if grep -qE "from 'node:child_process'|from '\./child\.js'|/cluster-process\.js'" "$src"; then continue; fi
  files+=("dist/${src%.ts}.js")
done
if [ $# -gt 0 ]; then
  mapfile -t files < <(printf '%s\n' "${files[@]}" | grep -F "$(printf '%s\n' "$@")")
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "raftwire: no test files matched" >&2
  exit 1
fi
# Per test and per file (node 20 applies it to both): the longest unit file takes about a minute.
exec node --test --test-concurrency=2 --test-timeout="${RAFTWIRE_TEST_TIMEOUT_MS:-300000}" "${files[@]}"
