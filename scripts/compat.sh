#!/usr/bin/env bash
# Compatibility with the Chrome Recorder's replay on the real-app corpus: every flow of
# corpus/suites/* replayed by @puppeteer/replay (puppeteer-core on Debian's chromium) and by
# reprise (baselines, then RUNS runs), printed as a table: flow, peer completed, reprise
# completed, reprise verdict stable over RUNS runs. See bench/compat.mjs.
# Usage: scripts/compat.sh [SUITE…]   (env: RUNS=5, JOBS=2, REPRISE_BIN, COMPAT_JSON=PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-browser.sh
command -v node >/dev/null || { echo "compat: node and npm are required for @puppeteer/replay" >&2; exit 2; }
if [ -z "${REPRISE_BIN:-}" ]; then
  cargo build --locked --quiet
  export REPRISE_BIN=$PWD/target/debug/reprise
fi
if [ ! -d bench/node_modules/@puppeteer/replay ] || [ ! -d bench/node_modules/puppeteer-core ]; then
  # As scripts/bench.sh: `npm install`, since npm 11 leaves odiff's other-platform packages
  # out of the lock file; PUPPETEER_SKIP_DOWNLOAD keeps any browser download away.
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix bench --no-audit --no-fund --loglevel=error
fi
echo "reprise compatibility  $(date -u +%FT%TZ)  $(nproc) cores  $(/usr/bin/chromium --version 2>/dev/null | head -1)"
echo "@puppeteer/replay $(node -p "require('./bench/node_modules/@puppeteer/replay/package.json').version")  puppeteer-core $(node -p "require('./bench/node_modules/puppeteer-core/package.json').version")  reprise $("$REPRISE_BIN" --version | cut -d' ' -f2)"
exec node bench/compat.mjs "$@"
