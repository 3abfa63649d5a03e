#!/usr/bin/env bash
# Wall time of the demo suite: N runs (default 5) after one warm-up, median and per session.
# Usage: scripts/bench-demo.sh [RUNS] [extra `reprise run` arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}; shift || true
scripts/install-browser.sh
cargo build --locked --quiet
export CI=true NO_COLOR=1
target/debug/reprise run "$@" >/dev/null || true
times=()
for i in $(seq "$runs"); do
  start=$(date +%s.%N)
  target/debug/reprise run --report json=/tmp/reprise-bench.json "$@" >/dev/null || true
  end=$(date +%s.%N)
  times+=("$(python3 -c "print($end - $start)")")
done
sessions=$(python3 -c 'import json;print(len(json.load(open("/tmp/reprise-bench.json"))["sessions"]))')
printf '%s\n' "${times[@]}" | sort -n | awk -v n="$runs" -v s="$sessions" '
  { t[NR] = $1 } END {
    m = (n % 2) ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2;
    printf "runs: %d  sessions: %d  median wall time: %.2f s  (%.2f s per session)  min %.2f  max %.2f\n", n, s, m, m / s, t[1], t[n] }'
