#!/usr/bin/env bash
# Installs what replays need from Debian's packages when missing: Chromium, its headless shell
# (what headless runs use: half the CPU of the full browser), its matching chromedriver, the
# fonts the bundled baselines were rendered with, and xmllint (the JUnit schema test). Never
# downloads a browser from anywhere else.
set -euo pipefail

# postgresql: the PostgreSQL store's test starts a throwaway server with its initdb.
packages=(chromium chromium-headless-shell chromium-driver fonts-dejavu-core fonts-liberation libxml2-utils postgresql)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Java runs the Selenium Grid of the --webdriver test.
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "reprise: installing ${missing[*]} from Debian's packages" >&2
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "error: ${missing[*]} missing and neither root nor sudo is available" >&2
  echo "hint: run as root: apt-get install -y ${missing[*]}" >&2
  exit 3
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
chromium --version 2>/dev/null | grep -v '^\s*$' >&2 || true
