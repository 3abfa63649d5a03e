#!/usr/bin/env bash
# Catch rate, measured: applies each mutation of tests/mutations.rs (regressions and harmless
# changes to the demo app) to a copy of the demo suite, replays the sessions it affects, and
# prints a table with the totals (also written to target/mutation-report.json).
# Usage: scripts/mutations.sh [MUTATION_ID…]   (default: every mutation)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-browser.sh
if [ "$#" -gt 0 ]; then
  REPRISE_MUTATIONS="$(IFS=,; echo "$*")"
  export REPRISE_MUTATIONS
fi
# The three shards (each a third of the table) run side by side; their rows from an earlier
# run are removed first, so the report is this run's alone.
rm -rf "${CARGO_TARGET_DIR:-target}/mutation-report.d"
exec cargo test --locked --test it mutations::every_regression_is_caught -- --nocapture
