#!/usr/bin/env bash
# The test command: installs the browser when missing, then the same checks as CI:
# formatting, lints, and every test (the end-to-end ones drive the real Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
ci=false
case "${CI:-}" in "" | false | 0) ;; *) ci=true ;; esac

# Each phase says how long it took, so a slow CI run shows where its time went: wall time,
# and the CPU time of the processes it waited for (user + system, from /proc: on a machine
# busy with other work the wall time says little).
children_cpu() { awk '{ print $16 + $17 }' "/proc/$$/stat" 2>/dev/null || echo 0; }
phase() {
  local name=$1 t0=$SECONDS c0
  c0=$(children_cpu)
  shift
  "$@"
  local hz
  hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
  echo "reprise test: $name took $((SECONDS - t0)) s, $((($(children_cpu) - c0) / hz)) s of CPU" >&2
}

npm_packages() {
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
}

phase "browser install" scripts/install-browser.sh
phase "npm packages" npm_packages
phase "fmt" cargo fmt --all --check

# Lints. `cargo clippy` type-checks every dependency in a build of its own that the tests
# cannot use, a third of a clean CI run. Under CI the lints run inside the test build
# instead: clippy-driver compiles reprise's own targets (the library, the binary, their unit
# tests, the test binaries: what `--all-targets` checks) with every warning an error, and the
# dependencies are built once. Locally `cargo clippy` stays separate, since the flags of the
# combined build would make the next plain `cargo build` rebuild every dependency.
if $ci && command -v clippy-driver >/dev/null 2>&1; then
  RUSTC_WORKSPACE_WRAPPER="$(command -v clippy-driver)"
  RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-D warnings"
  export RUSTC_WORKSPACE_WRAPPER RUSTFLAGS
  phase "build with clippy" cargo test --all-targets --no-run --locked
else
  phase "clippy" cargo clippy --all-targets --locked -- -D warnings
  phase "build" cargo test --all-targets --no-run --locked
fi

# Every test binary's tests share two threads (cargo-nextest, on these machines); without it,
# `cargo test` runs the same tests, one binary after another.
if cargo nextest --version >/dev/null 2>&1; then
  phase "tests" cargo nextest run --locked --profile ci
else
  echo "reprise: cargo-nextest not found; running the tests with cargo test (slower)" >&2
  phase "tests" cargo test --locked
fi
