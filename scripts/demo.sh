#!/usr/bin/env bash
# Replays the bundled demo suite (the repository root is a suite): installs the browser when
# missing, builds reprise, and runs it. Extra arguments go to `reprise run`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-browser.sh
cargo build --locked --quiet
exec target/debug/reprise run "$@"
