#!/usr/bin/env bash
# Curation figures: a 100-session demo pool measured with real replays, coverage against
# budget for greedy / random / all (bench/out/curate-coverage.svg, curate.json) and the
# selection time over 10,000 synthetic sessions. REBUILD_POOL=1 measures the pool again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-browser.sh
cargo build --release --locked --quiet
exec node bench/curate.mjs target/release/reprise bench/out
