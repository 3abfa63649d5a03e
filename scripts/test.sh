#!/usr/bin/env bash
# The test command: installs the browser when missing, then the same checks as CI:
# formatting, lints, and every test (the end-to-end ones drive the real Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-browser.sh
cargo fmt --all --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
