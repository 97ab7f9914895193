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
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
URL="http://127.0.0.1:$PORT/"
MANUAL_PID=""
start_manual() {
    "$BIN/spasmwatch-manual" --set manual.httpPort="$PORT" >>"$SPASMWATCH_HOME/manual.log" 2>&1 &
    MANUAL_PID=$!
    PIDS+=("$MANUAL_PID")
    # Every request carries the page token the first start made (keys/http.token).
    for _ in $(seq 1 100); do
        TOKEN=$(cat "$SPASMWATCH_HOME/keys/http.token" 2>/dev/null) &&
            curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "$URL" 2>/dev/null && return 0
        sleep 0.1
    done
    cat "$SPASMWATCH_HOME/manual.log" >&2
    echo "spasmwatch-manual did not start" >&2
    exit 1
}
start_manual

"$BIN/spasmwatch" log spasm --site left-calf --type tonic --severity 2 --pain 6 --duration 45s >/dev/null
"$BIN/spasmwatch" log med baclofen 10mg >/dev/null
"$BIN/spasmwatch" log checkin --nrs 5 --psfs 2 --sleep 6 >/dev/null
curl -fsS -X POST "${URL}api/entries" -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
    -d '{"kind":"spasm","spasm":{"site":"right-foot","type":"phasic","severity":3}}' >/dev/null

run_chromium() {
    "$CHROMIUM" --headless=new "${SANDBOX[@]}" --disable-gpu --hide-scrollbars --no-first-run \
        --user-data-dir="$SPASMWATCH_HOME/chromium" --virtual-time-budget=5000 "$@" 2>/dev/null
}

DOM=$(run_chromium --window-size=412,915 --dump-dom "${URL}?token=$TOKEN")
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

run_chromium --window-size=412,915 --screenshot="$OUT/diary-phone.png" "${URL}?token=$TOKEN" >/dev/null
run_chromium --window-size=412,2200 --screenshot="$OUT/diary-phone-full.png" "${URL}?token=$TOKEN" >/dev/null

# Taps, as a person would: "spasm now" in three taps; then the same with the server
# stopped (the page keeps it on the phone); the server back, the page sends it, once.
DEVTOOLS=$(free_port)
DRIVE="$ROOT/deploy/dev/drive-diary-page.py"
"$CHROMIUM" --headless=new "${SANDBOX[@]}" --disable-gpu --hide-scrollbars --no-first-run \
    --user-data-dir="$SPASMWATCH_HOME/chromium-live" --remote-debugging-port="$DEVTOOLS" \
    --window-size=412,915 "${URL}?token=$TOKEN" >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$DEVTOOLS/json/version" 2>/dev/null && break; sleep 0.1; done
entries_with() { curl -fsS -H "Authorization: Bearer $TOKEN" "${URL}api/entries?limit=100" | grep -o "\"entryId\":\"$1\"" | wc -l; }
if ONLINE_ID=$(python3 "$DRIVE" "$DEVTOOLS" "$URL" spasm-now); then
    n=$(entries_with "$(tr a-z A-Z <<<"$ONLINE_ID")")
    [[ $n -eq 1 ]] && echo "ok    spasm now in three taps: saved ${ONLINE_ID:0:8}" || { echo "FAIL  three-tap entry listed $n times"; fail=1; }
else
    echo "FAIL  spasm now in three taps"; fail=1
fi
kill "$MANUAL_PID"; wait "$MANUAL_PID" 2>/dev/null || true
if OFFLINE_ID=$(python3 "$DRIVE" "$DEVTOOLS" "$URL" spasm-offline "$OUT/diary-offline.png"); then
    echo "ok    server stopped: the page kept ${OFFLINE_ID:0:8} on the phone"
    start_manual
    if python3 "$DRIVE" "$DEVTOOLS" "$URL" wait-sent "$OUT/diary-back-online.png"; then
        n=$(entries_with "$(tr a-z A-Z <<<"$OFFLINE_ID")")
        [[ $n -eq 1 ]] && echo "ok    server back: the page sent it, and it is there once" || { echo "FAIL  offline entry listed $n times"; fail=1; }
    else
        echo "FAIL  the page did not send the kept entry"; fail=1
    fi
else
    echo "FAIL  offline entry not kept on the phone"; fail=1
fi
echo "screenshots: $OUT/diary-phone.png, diary-phone-full.png, diary-offline.png, diary-back-online.png"
exit $fail
