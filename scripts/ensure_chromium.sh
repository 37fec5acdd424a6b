#!/usr/bin/env bash
# Debian's chromium for the browser tests (Playwright drives it; `playwright install` cannot
# download browsers here). Installs it with apt when missing; prints the path it uses.
set -euo pipefail
CHROMIUM=${LEARNSMART_CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
  echo "$CHROMIUM"
  exit 0
fi
if [ "$(id -u)" = "0" ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo -n"
else
  echo "chromium is missing at $CHROMIUM and this user cannot install packages:" >&2
  echo "  install Debian's chromium (apt-get install chromium) or set LEARNSMART_CHROMIUM" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q chromium >/dev/null 2>&1 \
  || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q chromium >/dev/null; }
[ -x "$CHROMIUM" ] || { echo "chromium did not install at $CHROMIUM" >&2; exit 1; }
echo "$CHROMIUM"
