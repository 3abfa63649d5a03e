#!/usr/bin/env bash
# reprise against a hand-written Playwright script and @puppeteer/replay on real apps, paired
# in turn in one run (issue 15):
#   - the flows: corpus/suites/react-shop (React 19, 3 flows) and bench/realapp/suite, the Ops
#     Console (React + antd + echarts, a 2 MB JavaScript bundle built by vite into
#     target/realapp/app/dist once and cached; its JSON API on another origin, 127.0.0.1:4181,
#     answered from each flow's HAR);
#   - the tools, each run once per app (one browser per app), in turn, RUNS times:
#     `reprise run` against baselines written once before (captures and comparisons included),
#     bench/realapp/playwright.mjs (playwright-core, one context per flow, routeFromHAR, a
#     screenshot where reprise takes a checkpoint), bench/replay.mjs (@puppeteer/replay);
#   - then `reprise run --jobs 1` and `--jobs 2` on the demo suite, in turn, RUNS times.
# Per tool: median wall, median CPU seconds of its whole process tree (scripts/bench-measure.py:
# a child subreaper, so the browser's processes count, the neighbours' do not) and median busy
# core-seconds machine-wide from /proc/stat; ratios reprise/peer; one JSON summary line last.
# Usage: scripts/bench-realapp.sh [--skip-jobs]   (env: RUNS=5, REPRISE_BIN, REPRISE_ARGS: extra
# `reprise run` arguments, REALAPP_CACHE=target/realapp, REPRISE_BASE_BIN: an earlier reprise
# measured in turn with the others as `reprise-base`, for a before/after of a change,
# PEER_CHROMIUM: the peers' browser binary, by default the one reprise picks: the headless shell)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source scripts/bench-lib.sh
RUNS=${RUNS:-5} skip_jobs=0
for a in "$@"; do
  case $a in
    --skip-jobs) skip_jobs=1 ;;
    *) echo "usage: scripts/bench-realapp.sh [--skip-jobs]" >&2; exit 2 ;;
  esac
done
bench_prepare
read -r -a extra <<<"${REPRISE_ARGS:-}"

# The Ops Console, built once: rebuilt when its sources change (a digest of them is kept).
cache=${REALAPP_CACHE:-$root/target/realapp}
digest=$(cd bench/realapp/app && cat package.json package-lock.json index.html vite.config.js src/* 2>/dev/null | sha256sum | cut -c1-16)
if [ "$(cat "$cache/app/.built" 2>/dev/null)" != "$digest" ] || [ ! -f "$cache/app/dist/index.html" ]; then
  echo "building the Ops Console (npm + vite) into $cache/app/dist"
  mkdir -p "$cache/app"
  rm -rf "$cache/app/src" "$cache/app/dist"
  cp -r bench/realapp/app/. "$cache/app/"
  if [ -f "$cache/app/package-lock.json" ]; then
    npm ci --prefix "$cache/app" --no-audit --no-fund --loglevel=error
  else
    npm install --prefix "$cache/app" --no-audit --no-fund --loglevel=error
  fi
  (cd "$cache/app" && npx --no-install vite build --logLevel warn)
  echo "$digest" >"$cache/app/.built"
fi
bundle=$(du -cb "$cache"/app/dist/assets/*.js | tail -1 | cut -f1)

export CI=true NO_COLOR=1
peer_chromium=$(peer_chromium)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# Each app as a suite in a temporary folder: its flows, HARs and the dist it serves.
declare -A app_dir app_origin
suite_copy() { # NAME SRC_SUITE APP_DIST ORIGIN
  mkdir -p "$work/$1"
  cp -r "$2/recordings" "$2/mocks" "$work/$1/"
  printf '[app]\ndir = "%s"\n' "$3" >"$work/$1/reprise.toml"
  app_dir[$1]=$3 app_origin[$1]=$4
}
suite_copy react-shop corpus/suites/react-shop "$root/corpus/apps/react-shop/dist" https://react.corpus.test
suite_copy ops-console bench/realapp/suite "$cache/app/dist" http://127.0.0.1:4180
apps=(react-shop ops-console)
flows=$(ls "$work"/*/recordings/*.json | wc -l)

echo "reprise real-app benchmark  $(date -u +%FT%TZ)  $(nproc) cores  load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "reprise $("$REPRISE_BIN" --version | cut -d' ' -f2)  playwright-core $(node -p "require('./bench/node_modules/playwright-core/package.json').version")  @puppeteer/replay $(node -p "require('./bench/node_modules/@puppeteer/replay/package.json').version")  $(/usr/bin/chromium --version 2>/dev/null | head -1); peers on $peer_chromium"
echo "flows: $flows on ${#apps[@]} apps (${apps[*]}); Ops Console JavaScript: $((bundle / 1024)) KB"
for app in "${apps[@]}"; do # baselines, and a warm-up of the page cache
  "$REPRISE_BIN" run -C "$work/$app" -u "${extra[@]}" >/dev/null 2>&1 || { echo "reprise -u failed on $app" >&2; exit 1; }
done

# run_tool TOOL: every app once with TOOL (one process per app), as one measured command.
run_tool() {
  local cmd=""
  for app in "${apps[@]}"; do
    case $1 in
      reprise) cmd+="$(printf '%q ' "$REPRISE_BIN" run -C "$work/$app" --report "json=$work/$app.json" "${extra[@]}");" ;;
      reprise-base) cmd+="$(printf '%q ' "$REPRISE_BASE_BIN" run -C "$work/$app" "${extra[@]}")>/dev/null;" ;;
      playwright) cmd+="CHROMIUM=$(printf '%q ' "$peer_chromium" node bench/realapp/playwright.mjs "$work/$app")>>$work/pw.out;" ;;
      puppeteer-replay) cmd+="REPRISE_CHROMIUM=$(printf '%q ' "$peer_chromium" node bench/replay.mjs "$work/$app" "${app_dir[$app]}" "${app_origin[$app]}")>>$work/pr.out;" ;;
      jobs1) cmd="$(printf '%q ' "$REPRISE_BIN" run --jobs 1 "${extra[@]}");" ;;
      jobs2) cmd="$(printf '%q ' "$REPRISE_BIN" run --jobs 2 "${extra[@]}");" ;;
    esac
  done
  # The command's own status is checked from its outputs below, not here.
  scripts/bench-measure.py bash -c "$cmd exit 0"
}

declare -A samples
measure_in_turn() { # TOOL…: RUNS rounds, each tool once per round
  for r in $(seq "$RUNS"); do
    for tool in "$@"; do
      samples[$tool]+="$(run_tool "$tool")"$'\n'
    done
    echo "   round $r/$RUNS done  load $(cut -d' ' -f1 /proc/loadavg)" >&2
  done
}
stat() { # TOOL FIELD: the median of a field over the tool's runs
  grep . <<<"${samples[$1]}" | python3 -c "import json,sys;[print(json.loads(l)['$2']) for l in sys.stdin]" | median
}

echo
echo "== real-app flows: each tool once per app, in turn; median of $RUNS rounds"
tools=(reprise playwright puppeteer-replay)
[ -z "${REPRISE_BASE_BIN:-}" ] || tools=(reprise reprise-base playwright puppeteer-replay)
measure_in_turn "${tools[@]}"
bad=$(python3 - "$work" "${apps[@]}" <<'PY'
import json, sys
work, apps = sys.argv[1], sys.argv[2:]
for a in apps:
    r = json.load(open(f"{work}/{a}.json"))
    for s in r["sessions"]:
        if s["status"] != "passed":
            print(f"reprise {s['name']}: {s['status']}")
for f in ("pw.out", "pr.out"):
    for l in open(f"{work}/{f}"):
        if json.loads(l)["failed"]:
            print(f"{f}: {l.strip()}")
PY
)
[ -z "$bad" ] || { echo "warning: not every flow passed:"; sort -u <<<"$bad" | sed 's/^/   /'; }
printf '%-18s %8s %14s %16s %12s\n' tool "wall s" "tree CPU s" "machine busy s" "per flow s"
declare -A W C B
for tool in "${tools[@]}"; do
  W[$tool]=$(stat "$tool" wall) C[$tool]=$(stat "$tool" tree_cpu) B[$tool]=$(stat "$tool" busy)
  printf '%-18s %8.2f %14.2f %16.2f %12.2f\n' "$tool" "${W[$tool]}" "${C[$tool]}" "${B[$tool]}" "$(python3 -c "print(${W[$tool]} / $flows)")"
done
peers=(playwright puppeteer-replay)
[ -z "${REPRISE_BASE_BIN:-}" ] || peers+=(reprise-base)
for peer in "${peers[@]}"; do
  printf 'reprise/%-17s wall %sx  tree CPU %sx  machine busy %sx\n' "$peer" "$(ratio "${W[$peer]}" "${W[reprise]}")" \
    "$(ratio "${C[$peer]}" "${C[reprise]}")" "$(ratio "${B[$peer]}" "${B[reprise]}")"
done

j1=None j2=None jr=None
if [ $skip_jobs = 0 ]; then
  echo
  echo "== the demo suite ($(ls recordings/*.json | wc -l) sessions): --jobs 1 and --jobs 2 in turn; median of $RUNS rounds"
  "$REPRISE_BIN" run "${extra[@]}" >/dev/null 2>&1 || true # warm-up
  measure_in_turn jobs1 jobs2
  printf '%-18s %8s %14s %16s\n' run "wall s" "tree CPU s" "machine busy s"
  for tool in jobs1 jobs2; do
    W[$tool]=$(stat "$tool" wall) C[$tool]=$(stat "$tool" tree_cpu) B[$tool]=$(stat "$tool" busy)
    printf '%-18s %8.2f %14.2f %16.2f\n' "--jobs ${tool#jobs}" "${W[$tool]}" "${C[$tool]}" "${B[$tool]}"
  done
  j1=${W[jobs1]} j2=${W[jobs2]} jr=$(ratio "$j1" "$j2")
  echo "--jobs 2 / --jobs 1 wall: ${jr}x"
fi

python3 - <<PY
import json
print(json.dumps({"bench": "realapp", "runs": $RUNS, "flows": $flows, "load": "$(cut -d' ' -f1-3 /proc/loadavg)",
  "wall": {"reprise": ${W[reprise]}, "playwright": ${W[playwright]}, "puppeteer_replay": ${W[puppeteer-replay]}},
  "tree_cpu": {"reprise": ${C[reprise]}, "playwright": ${C[playwright]}, "puppeteer_replay": ${C[puppeteer-replay]}},
  "busy": {"reprise": ${B[reprise]}, "playwright": ${B[playwright]}, "puppeteer_replay": ${B[puppeteer-replay]}},
  "ratio_wall": {"playwright": round(${W[reprise]} / ${W[playwright]}, 3), "puppeteer_replay": round(${W[reprise]} / ${W[puppeteer-replay]}, 3)},
  "ratio_tree_cpu": {"playwright": round(${C[reprise]} / ${C[playwright]}, 3), "puppeteer_replay": round(${C[reprise]} / ${C[puppeteer-replay]}, 3)},
  "demo_jobs": {"jobs1": $j1, "jobs2": $j2, "ratio": $jr}}))
PY
