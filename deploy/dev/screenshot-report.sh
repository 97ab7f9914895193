#!/usr/bin/env bash
# Dev only (not run by CI): renders the neurologist's report from a 90-day demo history in
# headless Chromium and keeps the results in the git-ignored screenshots/ folder:
#   screenshots/report.html  the report itself
#   screenshots/report.png   a full-page screenshot
#   screenshots/report.pdf   what printing on A4 gives (`spasmwatch report --pdf`)
#   screenshots/report-page-N.png  each A4 page (with poppler-utils' pdftoppm)
# Needs Debian's `chromium` (apt-get install chromium poppler-utils). Runs a private bus and store in a
# temporary data home, stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
scratch=${SCRATCH:-.build}
swift build --scratch-path "$scratch" --product spasmwatch-bus
swift build --scratch-path "$scratch" --product spasmwatch-store
swift build --scratch-path "$scratch" --product spasmwatch
bin=$(swift build --scratch-path "$scratch" --show-bin-path)
home=$(mktemp -d /tmp/sw-report-XXXXXX)
export SPASMWATCH_HOME=$home
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$home"
}
trap cleanup EXIT
"$bin/spasmwatch-bus" >"$home/bus.log" 2>&1 & pids+=($!)
sleep 1
"$bin/spasmwatch-store" >"$home/store.log" 2>&1 & pids+=($!)
sleep 2
"$bin/spasmwatch" seed-demo
mkdir -p "$root/screenshots"
SPASMWATCH_PERSON_NAME="${PERSON_NAME:-Anna Example}" "$bin/spasmwatch" report --pdf --out "$root/screenshots/report.html"
browser=$(command -v chromium || command -v chromium-browser)
flags=(--headless --disable-gpu --hide-scrollbars --no-first-run)
[ "$(id -u)" = 0 ] && flags+=(--no-sandbox)
"$browser" "${flags[@]}" --window-size=1000,3200 --screenshot="$root/screenshots/report.png" "file://$root/screenshots/report.html" 2>/dev/null
if command -v pdftoppm >/dev/null; then
    pdftoppm -png -r 80 "$root/screenshots/report.pdf" "$root/screenshots/report-page"
else
    echo "pdftoppm not found (apt-get install poppler-utils): no page PNGs" >&2
fi
echo "screenshots/report.html, screenshots/report.png, screenshots/report.pdf, screenshots/report-page-*.png"
