#!/usr/bin/env bash
# Installs what `make a11y` and the accessibility test need: Debian's Chromium and Ace by DAISY.
# Best effort on a developer machine (prints what is missing); required when CI=true.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
missing=0
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "a11y: installing Debian's chromium" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
      >/dev/null 2>&1 || echo "a11y: apt-get install chromium failed" >&2
  fi
  command -v chromium >/dev/null 2>&1 || { echo "a11y: chromium not available" >&2; missing=1; }
fi
if [ ! -x "$here/node_modules/.bin/ace-puppeteer" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "a11y: installing Ace by DAISY (npm ci)" >&2
    (cd "$here" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund \
      --loglevel=error >/dev/null) || echo "a11y: npm ci failed" >&2
  fi
  [ -x "$here/node_modules/.bin/ace-puppeteer" ] || { echo "a11y: Ace not available" >&2; missing=1; }
fi
if [ "$missing" = 1 ] && [ "${CI:-}" = "true" ]; then
  exit 1
fi
exit 0
