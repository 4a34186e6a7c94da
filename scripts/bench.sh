#!/usr/bin/env bash
# Runs the benchmarks under bench/ (all, or the areas named), each beside its Go twin.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
npm run --silent build
bash scripts/build-go.sh
areas=("$@")
if [ ${#areas[@]} -eq 0 ]; then
  mapfile -t areas < <(find dist/bench -mindepth 2 -maxdepth 2 -name main.js -printf '%h\n' | xargs -n1 basename | sort)
fi
for area in "${areas[@]}"; do
  echo "== bench/$area"
  node "dist/bench/$area/main.js"
done
