#!/usr/bin/env bash
# Builds the real-app corpus (corpus/apps/*: React, Vue, Svelte, Preact and Lit apps) with npm
# and vite into each app's dist/, which is committed as the test fixture the corpus suites
# (corpus/suites/*) replay, so CI never builds them. Run it after changing an app's sources,
# then re-check the flows: scripts/compat.sh.
# Usage: scripts/build-corpus.sh [APP…]   (default: every app)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v npm >/dev/null || { echo "build-corpus: npm (with Node 20.19+) is required" >&2; exit 2; }
apps=("$@")
[ ${#apps[@]} -gt 0 ] || apps=($(ls corpus/apps))
for app in "${apps[@]}"; do
  dir=corpus/apps/$app
  [ -f "$dir/package.json" ] || { echo "build-corpus: no app \`$dir\`" >&2; exit 2; }
  echo "== $app"
  # `npm ci` installs exactly the locked versions; the first build of a new app writes its lock.
  if [ -f "$dir/package-lock.json" ]; then
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  else
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
  rm -rf "$dir/dist"
  (cd "$dir" && npx --no-install vite build --logLevel warn)
  du -sh "$dir/dist" | sed 's/^/   dist: /'
done
