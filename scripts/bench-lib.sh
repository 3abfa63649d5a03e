# Helpers shared by the benchmark scripts (sourced, not run): scripts/bench.sh,
# scripts/bench-realapp.sh.

# median: the median of the numbers on stdin, one a line.
median() { sort -n | awk '{ t[NR] = $1 } END { print (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2 }'; }
# now: seconds since the epoch, with nanoseconds.
now() { date +%s.%N; }
# ratio A B: B / A, two decimals (how many times A fits in B).
ratio() { python3 -c "print(f'{$2 / $1:.2f}')"; }

# bench_prepare: the browser, a release reprise (unless REPRISE_BIN names one) and the npm
# peers in bench/node_modules; sets REPRISE_BIN.
bench_prepare() {
  scripts/install-browser.sh
  if [ -z "${REPRISE_BIN:-}" ]; then
    cargo build --release --locked --quiet
    REPRISE_BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/reprise
  fi
  command -v node >/dev/null || { echo "bench: node and npm are required for the peers" >&2; exit 2; }
  if [ ! -x bench/node_modules/@odiff/linux-x64/odiff ] || [ ! -d bench/node_modules/@puppeteer/replay ] ||
    [ ! -d bench/node_modules/playwright-core ]; then
    # `npm install`, not `npm ci`: npm 11 leaves odiff's other-platform optional packages out
    # of the lock file, and `npm ci` then refuses it as out of sync. PUPPETEER_SKIP_DOWNLOAD
    # keeps any browser download away (playwright-core downloads none).
    PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix bench --no-audit --no-fund --loglevel=error
  fi
}

# The browser binary of the peers: the one reprise picks without REPRISE_CHROMIUM (Debian's
# headless shell when installed, else the full browser; Playwright too runs headless on the
# shell by default). PEER_CHROMIUM overrides it. (/usr/bin/chromium-headless-shell is a script
# around the binary, which does not exec it.)
peer_chromium() {
  if [ -n "${PEER_CHROMIUM:-}" ]; then
    echo "$PEER_CHROMIUM"
  elif [ -x /usr/lib/chromium/chromium-headless-shell ]; then
    echo /usr/lib/chromium/chromium-headless-shell
  else
    echo /usr/bin/chromium
  fi
}
