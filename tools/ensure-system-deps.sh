#!/bin/sh
# Installs the system packages the tests use, when they are missing and this can be done:
# Debian's chromium, for the browser test of `mxpublish serve`, and HarfBuzz's subsetter
# (libharfbuzz-subset0), which WeasyPrint uses to subset fonts. Idempotent; a no-op when both
# are there. Without root or apt-get it only says what is missing: the browser test
# then skips locally and fails under CI=true.
set -eu
if command -v chromium >/dev/null 2>&1 && ldconfig -p | grep -q libharfbuzz-subset; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-system-deps: install Debian's chromium and libharfbuzz-subset0" >&2
    exit 0
fi
echo "ensure-system-deps: installing chromium and libharfbuzz-subset0" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium libharfbuzz-subset0 >/dev/null
command -v chromium >/dev/null
