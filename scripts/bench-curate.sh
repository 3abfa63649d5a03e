#!/usr/bin/env bash
# Curation figures on a captured pool: real Chromium browses the demo app with capture.js
# into `reprise collect` (100 sessions, 127.0.0.1 only), `reprise curate --store --coverage`
# measures them, coverage against budget for greedy / random / all
# (bench/out/curate-coverage.svg, curate.json), the mutation proof by replay, and the
# selection time over 10,000 synthetic sessions. About 40 min on 2 cores.
# env: REBUILD_POOL=1 captures again, REMEASURE=1 measures coverage again,
#      CAPTURE_S / MUTATION_S bound the capture and the mutation replays (seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-browser.sh
if [ ! -d bench/node_modules/puppeteer-core ]; then
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix bench --no-audit --no-fund >/dev/null
fi
cargo build --release --locked --quiet
exec node bench/curate.mjs "${CARGO_TARGET_DIR:-target}/release/reprise" bench/out
