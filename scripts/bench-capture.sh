#!/usr/bin/env bash
# The capture snippet's cost in a page: added main-thread time per 1,000 user events and per
# request, with and without capture.js (bench/capture.mjs; medians over RUNS runs, default 5).
# Usage: scripts/bench-capture.sh   (env: RUNS, BENCH_JSON=PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-browser.sh
if [ ! -d bench/node_modules/puppeteer-core ]; then
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix bench --no-audit --no-fund >/dev/null
fi
exec node bench/capture.mjs
