#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (Playwright drives it; its own browser download
# is not reachable from these machines). Idempotent: does nothing when /usr/bin/chromium is there.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then exit 0; fi
if [[ $(id -u) -ne 0 ]]; then
  echo "Chromium is missing and this user cannot install it: run 'sudo apt-get install -y chromium'." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
