#!/usr/bin/env bash
# Checks the GitHub workflow example (.github/workflows/replay.yml) the way its container would
# run it: bootstraps a fresh Debian bookworm into a folder (debootstrap), chroots into it, and
# runs the job's steps in order, read from the workflow file itself:
#   - actions/checkout           → the repository's committed HEAD (git archive) in /src
#   - Swatinem/rust-cache        → skipped (a cache only)
#   - every `run:` step          → run with bash -e in /src, as the container's root
#   - actions/upload-artifact    → the uploaded path must exist; its size is printed
#   - mikepenz/action-junit-report → the JUnit file must exist
# It then prints the replay's verdict: baselines made on Debian bookworm must pass there.
#
# NOT part of .ci/run or scripts/test.sh: it downloads a Debian base system and Chromium
# (~500 MB) and builds reprise in release mode from scratch (10-20 minutes). Run it by hand
# after changing the workflow or the baselines' environment. Needs root (debootstrap, chroot,
# mount) and python3 with PyYAML on the host.
#
# Rust: the workflow's image (rust:bookworm) is Debian bookworm's build tools plus rustup's
# stable toolchain in /usr/local. The chroot gets the same build tools from Debian
# (--include below) and the host's rustup toolchain, bind-mounted read-only at /usr/local/rust
# (Debian's own rustc is too old for this crate). Crates come from crates.io (cargo --locked).
#
# Usage: scripts/check-ci-example.sh [ROOT]   (default ROOT: /tmp/reprise-ci-bookworm)
#   REUSE=1 reuses an existing ROOT (skips debootstrap; not a fresh environment any more).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
workflow="$repo/.github/workflows/replay.yml"
root="${1:-/tmp/reprise-ci-bookworm}"

if [ "$(id -u)" -ne 0 ]; then
  echo "error: debootstrap and chroot need root" >&2
  exit 3
fi
# The mirror this machine's apt uses, else Debian's.
mirror="$(sed -n 's/^URIs: *\(.*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
mirror="${mirror:-http://deb.debian.org/debian}"
toolchain="$(rustc --print sysroot)"

mounts=()
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || true
  done
}
trap cleanup EXIT
mount_in() { # mount_in TARGET mount-args…
  local target="$1"
  shift
  mkdir -p "$target"
  mount "$@" "$target"
  mounts+=("$target")
}

if [ -e "$root" ] && [ "${REUSE:-}" != 1 ]; then
  echo "error: $root exists; remove it (no mounts are left in it) or set REUSE=1" >&2
  exit 2
fi
if [ ! -e "$root" ]; then
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
  echo "== debootstrap bookworm into $root from $mirror" >&2
  start=$SECONDS
  debootstrap --variant=minbase \
    --include=ca-certificates,curl,git,gcc,libc6-dev,make,pkg-config,procps \
    bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
    { tail -20 "$root.debootstrap.log" >&2; exit 3; }
  echo "   done in $((SECONDS - start)) s" >&2
fi

mount_in "$root/proc" -t proc proc
mount_in "$root/sys" -t sysfs sys
mount_in "$root/dev" --bind /dev
mount_in "$root/dev/pts" --bind /dev/pts
mount_in "$root/usr/local/rust" --bind -o ro "$toolchain"
mount -o remount,bind,ro "$root/usr/local/rust"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# Not a workflow step: where this machine reaches the internet through a TLS-inspecting proxy,
# its local certificate authorities are trusted in the chroot too (as the host trusts them).
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null
fi

echo "== checkout: $(git -C "$repo" rev-parse --short HEAD) into /src" >&2
rm -rf "$root/src"
mkdir -p "$root/src"
git -C "$repo" archive HEAD | tar -x -C "$root/src"

in_chroot() {
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb CI=true GITHUB_ACTIONS= \
    PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    CARGO_HOME=/usr/local/cargo CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" \
    bash -c "cd /src && $1"
}

# The replay job's steps, in order, as JSON lines {uses|run, with}.
steps="$(python3 - "$workflow" <<'PY'
import json, sys, yaml
job = yaml.safe_load(open(sys.argv[1]))["jobs"]["replay"]
assert job.get("container") == "rust:bookworm", "the replay job must run in rust:bookworm"
for s in job["steps"]:
    print(json.dumps(s))
PY
)"

status=0
while IFS= read -r step; do
  uses="$(jq -r '.uses // empty' <<<"$step")"
  run="$(jq -r '.run // empty' <<<"$step")"
  name="$(jq -r '.name // .uses // "run"' <<<"$step")"
  echo "== step: $name" >&2
  start=$SECONDS
  case "$uses" in
    actions/checkout@*) echo "   (done above)" >&2 ;;
    Swatinem/rust-cache@*) echo "   (a cache: skipped)" >&2 ;;
    actions/upload-artifact@*)
      path="$(jq -r '.with.path' <<<"$step")"
      if [ -e "$root/src/$path" ]; then
        du -sh "$root/src/$path" >&2
        ls "$root/src/$path" >&2
      else
        echo "   error: the artifact path $path does not exist" >&2
        status=1
      fi
      ;;
    mikepenz/action-junit-report@*)
      path="$(jq -r '.with.report_paths' <<<"$step")"
      [ -f "$root/src/$path" ] && echo "   $path: $(grep -o '<testsuites[^>]*>' "$root/src/$path")" >&2 ||
        { echo "   error: $path not written" >&2; status=1; }
      ;;
    "")
      set +e
      in_chroot "set -e; $run"
      rc=$?
      set -e
      echo "   exit $rc after $((SECONDS - start)) s" >&2
      [ $rc -eq 0 ] || status=$rc
      ;;
    *) echo "   error: unknown action $uses (teach this script what it does)" >&2; status=2 ;;
  esac
done <<<"$steps"

echo "== chromium in the chroot: $(in_chroot 'chromium --version' 2>/dev/null)" >&2
if [ -f "$root/src/.reprise/out/report.json" ]; then
  echo "== verdict: $(jq -r '"\(.verdict): \(.summary | tostring)"' "$root/src/.reprise/out/report.json")" >&2
fi
exit "$status"
