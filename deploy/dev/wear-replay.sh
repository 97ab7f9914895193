#!/usr/bin/env bash
# Replays a recorded phone into the real "Wear this phone" screen in headless Chromium, in
# real time, through a running stack in a temporary data home, and compares the episodes the
# stack stored with what `spasmwatch-detect scan` finds offline in the same span, by the
# scorer's rules (../shared/eval/score.py, with the scan as the reference).
#
#   deploy/dev/wear-replay.sh [CSV] [START END] [--blip-at S --blip-seconds N]
#
# Defaults: ../shared/eval/devices/p_pocket.csv, the whole file (0 1800: 30 minutes).
# CI replays a 3-minute excerpt of it (WearPageBrowserTests); this is the long form.
# Uses the debug build (swift build) unless SPASMWATCH_BIN names another.
# Exit status 0 when every episode the scan finds was stored and nothing else was.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${SPASMWATCH_SHARED:-$ROOT/../shared}
CSV=$SHARED/eval/devices/p_pocket.csv
START=0 END=1800
EXTRA=()
if [[ $# -gt 0 && $1 != --* ]]; then CSV=$1; shift; fi
if [[ $# -ge 2 && $1 != --* ]]; then START=$1 END=$2; shift 2; fi
EXTRA=("$@")
[[ -f $CSV ]] || { echo "wear-replay: $CSV is not there (set SPASMWATCH_SHARED to the folder holding eval/)" >&2; exit 2; }
BROWSER=$(command -v chromium || command -v chromium-browser || true)
[[ -n $BROWSER ]] || { echo "wear-replay: needs chromium (apt-get install chromium)" >&2; exit 2; }
BIN=${SPASMWATCH_BIN:-$(cd "$ROOT" && swift build --show-bin-path)}
export SPASMWATCH_BIN=$BIN

WORK=$(mktemp -d /tmp/sw-wear-replay-XXXXXX)
export SPASMWATCH_HOME=$WORK/home
mkdir -p "$SPASMWATCH_HOME"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PAGE_PORT=$(port) SENSOR_PORT=$(port) METRICS_PORT=$(port) DEVTOOLS=$(port)
echo "{\"manual\": {\"httpPort\": $PAGE_PORT}, \"sensor\": {\"httpPort\": $SENSOR_PORT}, \"metrics\": {\"httpPort\": $METRICS_PORT}}" > "$SPASMWATCH_HOME/config.json"
cleanup() {
    [[ -n ${CHROME_PID:-} ]] && kill "$CHROME_PID" 2>/dev/null || true
    "$ROOT/deploy/stack" down >/dev/null 2>&1 || true
    [[ -n ${KEEP:-} ]] || rm -rf "$WORK"
}
trap cleanup EXIT

"$ROOT/deploy/stack" up >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log"; exit 1; }
TOKEN=$(cat "$SPASMWATCH_HOME/keys/http.token")
BASE=http://127.0.0.1:$PAGE_PORT
ARGS=(--headless=new --disable-gpu --no-first-run "--user-data-dir=$WORK/chromium" "--remote-debugging-port=$DEVTOOLS" --window-size=412,915)
[[ $(id -u) == 0 ]] && ARGS=(--no-sandbox "${ARGS[@]}")
"$BROWSER" "${ARGS[@]}" "$BASE/?token=$TOKEN" >"$WORK/chromium.log" 2>&1 &
CHROME_PID=$!
for _ in $(seq 60); do grep -q "DevTools listening" "$WORK/chromium.log" && break; sleep 1; done

echo "wear-replay: replaying $(basename "$CSV") $START–$END s in real time ($(( (${END%.*} - ${START%.*}) / 60 )) min)"
python3 "$ROOT/deploy/dev/drive-wear-page.py" "$DEVTOOLS" "$BASE" "$CSV" "$START" "$END" "${EXTRA[@]}" | tee "$WORK/page.json"
PAGE=$(tail -1 "$WORK/page.json")

# The offline scan of the same span, in the span's own seconds.
python3 - "$CSV" "$START" "$END" "$WORK/span.csv" <<'EOF'
import sys
src, start, end, out = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
with open(src) as f, open(out, "w") as o:
    o.write(f.readline())
    for line in f:
        t = float(line.split(",", 1)[0])
        if start <= t < end:
            o.write(f"{t - start:.3f},{line.split(',', 1)[1]}")
EOF
mkdir -p "$WORK/reference" "$WORK/stored"
"$BIN/spasmwatch-detect" scan "$WORK/span.csv" > "$WORK/reference/span.labels.csv"
cp "$WORK/span.csv" "$WORK/reference/span.csv"
echo "{\"recordings\": [{\"file\": \"span.csv\", \"labels\": \"span.labels.csv\", \"kind\": \"imu\", \"seconds\": $(python3 -c "print($END - $START)")}]}" \
    > "$WORK/reference/manifest.json"

# What the stack stored for the phone, once its last episode has closed.
sleep 10
python3 - "$BASE" "$TOKEN" "$PAGE" "$WORK/stored/span.detections.csv" <<'EOF'
import json, sys, urllib.request
base, token, page, out = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
request = urllib.request.Request(f"{base}/api/episodes?limit=500", headers={"Authorization": f"Bearer {token}"})
episodes = [e.get("episode", e) for e in json.load(urllib.request.urlopen(request)).get("episodes", [])]
first = page["firstTime"]
with open(out, "w") as o:
    o.write("start,end,kind\n")
    for e in sorted((e for e in episodes if e.get("sensorId") == page["device"]), key=lambda e: e["start"]):
        o.write(f"{e['start'] - first:.3f},{(e.get('end') or e['start']) - first:.3f},{e['kind']}\n")
EOF
echo "wear-replay: scan found $(($(wc -l < "$WORK/reference/span.labels.csv") - 1)) episodes, the stack stored $(($(wc -l < "$WORK/stored/span.detections.csv") - 1))"
echo "wear-replay: stored vs scan, by the scorer's rules (the scan as reference):"
python3 "$SHARED/eval/score.py" "$WORK/reference" "$WORK/stored" | tee "$WORK/score.txt"
python3 - "$WORK/score.txt" "$PAGE" <<'EOF'
import json, re, sys
page = json.loads(sys.argv[2])
bad = [l for l in open(sys.argv[1]) if re.match(r"\w+ +ref=", l)
       and (re.search(r"fp= *(\d+)", l).group(1) != "0" or re.search(r"ref= *(\d+)", l).group(1) != re.search(r"tp= *(\d+)", l).group(1))]
lost = page["lost"] != 0 or page["acked"] != page["dispatched"]
print("wear-replay:", "PASS" if not bad and not lost else "FAIL",
      f"(samples dispatched {page['dispatched']}, acknowledged {page['acked']}, lost {page['lost']})")
sys.exit(1 if bad or lost else 0)
EOF
