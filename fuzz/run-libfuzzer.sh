#!/usr/bin/env bash
# A long coverage-guided pass of one fuzz target with cargo-fuzz (libFuzzer, nightly), seeded
# with the same files as tests/fuzz.rs. Usage: fuzz/run-libfuzzer.sh TARGET [SECONDS] [-- LIBFUZZER ARGS]
# Learned inputs go to fuzz/corpus/TARGET, crashes to fuzz/artifacts/TARGET (both git-ignored).
# FUZZ_BUILD_FLAGS=--debug-assertions adds overflow checks (a separate, full rebuild).
set -euo pipefail
target=${1:?usage: fuzz/run-libfuzzer.sh TARGET [SECONDS]}
secs=${2:-600}
shift $(( $# >= 2 ? 2 : 1 ))
[ "${1:-}" = "--" ] && shift
root="$(cd "$(dirname "$0")/.." && pwd)"
fx="$root/tests/fixtures"
case "$target" in
  recording) dirs=("$fx/chrome-recorder" "$root/recordings" "$fx/hostile" "$fx/privacy/recordings"); ext='json' ;;
  har) dirs=("$fx/har" "$root/mocks" "$fx/hostile" "$fx/privacy/mocks" "$fx/record"); ext='har' ;;
  rrweb) dirs=("$fx/rrweb"); ext='json' ;;
  config) dirs=("$fx/privacy/reprise.toml" "$root/reprise.toml"); ext='toml' ;;
  png) dirs=("$fx/hostile" "$root/snapshots/checkout"); ext='png' ;;
  privacy) dirs=("$fx/privacy" "$fx/har" "$fx/chrome-recorder" "$root/snapshots/checkout"); ext='har|json|dom' ;;
  *) echo "unknown target $target (recording, har, rrweb, config, png, privacy)" >&2; exit 2 ;;
esac
seeds="$(mktemp -d)"
trap 'rm -rf "$seeds"' EXIT
for d in "${dirs[@]}"; do
  find "$d" -maxdepth 3 -type f -regextype egrep -regex ".*\.($ext)" |
    while read -r f; do cp "$f" "$seeds/$(echo "$f" | md5sum | cut -c1-16)-$(basename "$f")"; done
done
cp "$root/fuzz/seeds/$target/"* "$seeds/" 2>/dev/null || true
cp "$root/fuzz/regressions/$target/"* "$seeds/" 2>/dev/null || true
rm -f "$seeds"/README.md
mkdir -p "$root/fuzz/corpus/$target"
cd "$root/fuzz"
exec nice cargo +nightly fuzz run -s none ${FUZZ_BUILD_FLAGS:-} "$target" "corpus/$target" "$seeds" -- \
  -max_total_time="$secs" -max_len=131072 -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 -print_final_stats=1 "$@"
