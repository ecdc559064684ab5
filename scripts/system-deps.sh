#!/usr/bin/env bash
# System tools the visual tests need (not the Lambda runtime): poppler (pdftoppm, pdftotext), headless Chromium and
# its WebDriver (the page tests drive it and inject axe-core), zbar (zbarimg decodes a certificate's QR code), npm
# (installs the pinned axe-core), and WenQuanYi Micro Hei so Chromium can draw the pages' Chinese. Idempotent and quiet: installs only what is
# missing, with one `apt-get update`, and exits 0 at once when everything is there.
set -euo pipefail

missing=()
{ command -v pdftoppm && command -v pdftotext; } >/dev/null 2>&1 || missing+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# The font is checked by its file, not with fc-list, so a machine without fontconfig still gets an answer.
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "system-deps: missing ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "system-deps: installing ${missing[*]}" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# apt's own chatter (and debconf's) is shown only when something fails.
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >"$log" 2>&1; then
    cat "$log" >&2
    echo "system-deps: apt-get failed" >&2
    exit 1
fi
