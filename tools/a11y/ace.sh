#!/usr/bin/env bash
# Run Ace by DAISY on an EPUB with Debian's Chromium: ace.sh BOOK.epub REPORT_DIR
#
# Ace exits 0 whether or not it finds violations (they are in REPORT_DIR/report.json); a
# non-zero exit is Ace or its headless Chromium failing to run, which happens now and then
# (seen with no message at all, on a quiet machine). Such a failure is retried twice, the
# last time with --verbose so that its log reaches stderr.
#
# Ace gives Chromium 5 s to start (ACE_TIMEOUT_INITIAL); on a 2-core machine busy with the
# test suite it took longer ("Timed out after 5000 ms while waiting for the WS endpoint URL"),
# three times in a row, so it gets 120 s.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export PUPPETEER_EXECUTABLE_PATH="$here/chromium-no-sandbox"
export ACE_TIMEOUT_INITIAL="${ACE_TIMEOUT_INITIAL:-120000}"
for attempt in 1 2 3; do
  if [ "$attempt" -lt 3 ]; then
    "$here/node_modules/.bin/ace-puppeteer" --silent --force --outdir "$2" "$1" && exit 0
  else
    exec "$here/node_modules/.bin/ace-puppeteer" --verbose --force --outdir "$2" "$1"
  fi
  echo "ace.sh: Ace failed to run (attempt $attempt of 3); trying again" >&2
  sleep 2
done
