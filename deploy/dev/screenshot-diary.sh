#!/usr/bin/env bash
# deploy/dev/screenshot-diary.sh — a developer's check of the diary's phone page, outside CI.
#
# Starts a bus and spasmwatch-manual in a temporary home, writes a few entries (CLI and
# JSON API), then loads the page in headless Chromium at phone size: checks that its
# script ran (buttons built, recent entries listed) and keeps screenshots in screenshots/
# (git-ignored). Needs Debian's `chromium` (apt-get install chromium); as root it runs
# with --no-sandbox.
#
#   deploy/dev/screenshot-diary.sh            # uses the debug build (swift build)
#   SPASMWATCH_BIN=/path/to/bin deploy/dev/screenshot-diary.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/screenshots"
mkdir -p "$OUT"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[[ -n "$CHROMIUM" ]] || { echo "chromium is not installed: sudo apt-get install chromium" >&2; exit 1; }
SANDBOX=()
[[ $(id -u) -eq 0 ]] && SANDBOX=(--no-sandbox)

if [[ -z "${SPASMWATCH_BIN:-}" ]]; then
    (cd "$ROOT" && swift build ${SWIFT_BUILD_ARGS:-} --product spasmwatch-bus >/dev/null \
        && swift build ${SWIFT_BUILD_ARGS:-} --product spasmwatch-manual >/dev/null \
        && swift build ${SWIFT_BUILD_ARGS:-} --product spasmwatch >/dev/null)
    SPASMWATCH_BIN=$(cd "$ROOT" && swift build ${SWIFT_BUILD_ARGS:-} --show-bin-path)
fi
BIN=$SPASMWATCH_BIN

export SPASMWATCH_HOME
SPASMWATCH_HOME=$(mktemp -d /tmp/sw-screenshot-XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$SPASMWATCH_HOME"
}
trap cleanup EXIT

"$BIN/spasmwatch-bus" >"$SPASMWATCH_HOME/bus.log" 2>&1 & PIDS+=($!)
sleep 1
"$BIN/spasmwatch-manual" --set manual.httpPort=0 >"$SPASMWATCH_HOME/manual.log" 2>&1 & PIDS+=($!)
PORT=""
for _ in $(seq 1 100); do
    PORT=$(grep -o 'diary page at http://127.0.0.1:[0-9]*' "$SPASMWATCH_HOME/manual.log" | grep -o '[0-9]*$' || true)
    [[ -n "$PORT" ]] && break
    sleep 0.1
done
[[ -n "$PORT" ]] || { cat "$SPASMWATCH_HOME/manual.log" >&2; echo "spasmwatch-manual did not start" >&2; exit 1; }
URL="http://127.0.0.1:$PORT/"

"$BIN/spasmwatch" log spasm --site left-calf --type tonic --severity 2 --pain 6 --duration 45s >/dev/null
"$BIN/spasmwatch" log med baclofen 10mg >/dev/null
"$BIN/spasmwatch" log checkin --nrs 5 --psfs 2 --sleep 6 >/dev/null
curl -fsS -X POST "${URL}api/entries" -H 'Content-Type: application/json' \
    -d '{"kind":"spasm","spasm":{"site":"right-foot","type":"phasic","severity":3}}' >/dev/null

run_chromium() {
    "$CHROMIUM" --headless=new "${SANDBOX[@]}" --disable-gpu --hide-scrollbars --no-first-run \
        --user-data-dir="$SPASMWATCH_HOME/chromium" --virtual-time-budget=5000 "$@" 2>/dev/null
}

DOM=$(run_chromium --window-size=412,915 --dump-dom "$URL")
fail=0
check() {
    if grep -q "$1" <<<"$DOM"; then echo "ok    $2"; else echo "FAIL  $2"; fail=1; fi
}
check 'data-site="left-calf"' "spasm-now site buttons built by the page's script"
check 'data-type="tonic"' "spasm types listed"
check 'spasm: left calf, tonic, moderate (2), pain 6/10, 45 s' "the CLI's spasm in the recent list"
check 'spasm: right foot, phasic, severe (3)' "the page's spasm in the recent list"
check 'medication: baclofen 10 mg taken' "medication in the recent list"
check '>Undo<' "undo buttons"
check 'id="status" class="">online' "the page says it is online"

run_chromium --window-size=412,915 --screenshot="$OUT/diary-phone.png" "$URL" >/dev/null
run_chromium --window-size=412,2200 --screenshot="$OUT/diary-phone-full.png" "$URL" >/dev/null
echo "screenshots: $OUT/diary-phone.png, $OUT/diary-phone-full.png"
exit $fail
