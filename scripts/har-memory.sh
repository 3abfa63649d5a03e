#!/usr/bin/env bash
# Peak memory of HAR parsing against the HAR's size: generates HARs of 10, 50 and 100 MB
# (realistic entries: a dozen headers each, JSON, HTML and base64 bodies of 1-60 KB) and
# prints the peak RSS of `reprise import har` (which also validates every entry with the
# replay's loader), as a ratio to the file.
# Usage: scripts/har-memory.sh [SIZES_MB...]   (needs python3 and GNU time at /usr/bin/time)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(10 50 100)
# the dev profile: dependencies are optimized (Cargo.toml), and memory does not depend on it
cargo build --quiet
bin="$PWD/target/debug/reprise"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for mb in "${sizes[@]}"; do
  har="$work/gen-$mb.har"
  python3 - "$har" "$mb" <<'PY'
import json, sys, random, base64
path, mb = sys.argv[1], int(sys.argv[2])
random.seed(7)
target = mb * 1024 * 1024
def headers(n):
    return [{"name": f"x-header-{i}", "value": "v" * random.randint(8, 60)} for i in range(n)]
with open(path, "w") as f:
    f.write('{"log":{"version":"1.2","creator":{"name":"gen","version":"1"},"entries":[')
    written, i = 0, 0
    while written < target:
        size = random.randint(1000, 60000)
        kind = i % 3
        if kind == 0:
            content = {"mimeType": "application/json", "size": size,
                       "text": json.dumps({"items": ["x" * 20] * (size // 26)})}
        elif kind == 1:
            content = {"mimeType": "text/html", "size": size, "text": "<p>" + "a" * size + "</p>"}
        else:
            content = {"mimeType": "image/png", "size": size, "encoding": "base64",
                       "text": base64.b64encode(random.randbytes(size)).decode()}
        e = {"startedDateTime": "2024-01-01T00:00:00Z", "time": 12,
             "request": {"method": "GET", "url": f"https://api.example.test/items/{i}?page={i % 7}",
                         "httpVersion": "HTTP/1.1", "headers": headers(14), "queryString": [],
                         "cookies": [], "headersSize": -1, "bodySize": 0},
             "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                          "headers": headers(12), "cookies": [], "content": content,
                          "redirectURL": "", "headersSize": -1, "bodySize": size},
             "cache": {}, "timings": {"send": 1, "wait": 10, "receive": 1}}
        s = ("," if i else "") + json.dumps(e)
        f.write(s)
        written += len(s)
        i += 1
    f.write("]}}")
PY
  bytes=$(stat -c %s "$har")
  suite="$work/suite-$mb"
  mkdir -p "$suite"
  /usr/bin/time -f '%M' -o "$work/rss" "$bin" import har "$har" -C "$suite" --name big >/dev/null
  kib=$(cat "$work/rss")
  awk -v b="$bytes" -v k="$kib" -v mb="$mb" 'BEGIN {
    printf "HAR %4d MB (%d bytes): import peak RSS %7.1f MB = %.2f x the file\n", mb, b, k / 1024, k * 1024 / b }'
done
