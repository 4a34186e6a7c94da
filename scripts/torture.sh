#!/usr/bin/env bash
# The fault suite outside CI: npm run torture -- [--scenario NAME] [--seconds S] [--seed S] [--rounds N]
#   --scenario NAME  only the scenarios whose test name matches NAME (a regular expression,
#                    e.g. 'leader', 'crash a follower at raftAfterSave'); default: all of them
#   --seconds S      load for S seconds around each fault (half before, half after) instead of
#                    each scenario's own few seconds
#   --seed S         seed of the workload's and the proxies' random choices (default: random,
#                    printed in each scenario's diagnostics; timing stays real, so a seed repeats
#                    choices, not interleavings)
#   --rounds N       run the selection N times (each round a new seed unless --seed is given),
#                    stopping at the first failure
# A failing scenario keeps its history under the OS temp dir (raftwire-fault-<name>-<pid>.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
scenario='' rounds=1
while [ $# -gt 0 ]; do
  case "$1" in
    --scenario) scenario="$2"; shift 2 ;;
    --seconds) export RAFTWIRE_TORTURE_SECONDS="$2"; shift 2 ;;
    --seed) export RAFTWIRE_TORTURE_SEED="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "torture: unknown argument '$1' (see npm run torture -- --help)" >&2; exit 2 ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "torture: --rounds takes a positive integer" >&2; exit 2; }
[ -n "${RAFTWIRE_TORTURE_NO_BUILD:-}" ] || npm run --silent build
mapfile -t files < <(find dist/test/faults -maxdepth 1 -name '*.test.js' | sort)
# --test-timeout bounds each file as a whole (node 20): room for ten scenarios of S seconds each.
per_file_ms=$(( (900 + 10 * ${RAFTWIRE_TORTURE_SECONDS:-0}) * 1000 ))
args=(--test --test-concurrency=1 --test-timeout="${RAFTWIRE_TEST_TIMEOUT_MS:-$per_file_ms}")
[ -n "$scenario" ] && args+=(--test-name-pattern="$scenario")
for round in $(seq 1 "$rounds"); do
  echo "torture: round $round of $rounds" >&2
  node "${args[@]}" "${files[@]}"
done
