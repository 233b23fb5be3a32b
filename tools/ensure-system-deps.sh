#!/bin/sh
# Installs the system packages the tests use, when they are missing and this can be done:
# Debian's chromium, for the browser test of `mxpublish serve`. Idempotent; a no-op when
# chromium is there. Without root or apt-get it only says what is missing: the browser test
# then skips locally and fails under CI=true.
set -eu
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-system-deps: chromium is missing (install Debian's chromium to run the browser test)" >&2
    exit 0
fi
echo "ensure-system-deps: installing chromium" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null
