#!/usr/bin/env bash
# Run Ace by DAISY on an EPUB with Debian's Chromium: ace.sh BOOK.epub REPORT_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export PUPPETEER_EXECUTABLE_PATH="$here/chromium-no-sandbox"
exec "$here/node_modules/.bin/ace-puppeteer" --silent --force --outdir "$2" "$1"
