#!/usr/bin/env bash
# Send one EMG frame to spasmwatch-sensor over HTTP (for devices that cannot speak ZeroMQ).
#   examples/curl/send-frame.sh [http://127.0.0.1:8470]   (default: the home's sensor.httpPort on 127.0.0.1)
# Every request carries the token: $SPASMWATCH_TOKEN, else the home's keys/http.token
# (made by the first start; the home is $SPASMWATCH_HOME, else /var/lib/spasmwatch when
# installed, else ~/.local/share/spasmwatch). With sensor.httpToken set, pass that one.
# "test": true marks an example (a test sensor): it never raises a "sensor is silent" alert.
# A real device leaves it out.
set -euo pipefail
home=${SPASMWATCH_HOME:-}
[[ -z "$home" && -d /var/lib/spasmwatch ]] && home=/var/lib/spasmwatch
home=${home:-${XDG_DATA_HOME:-$HOME/.local/share}/spasmwatch}
# The port the home configured (spasmwatch on PATH reads it as the services do), else the default.
port=$(spasmwatch config get --home "$home" sensor.httpPort 2>/dev/null) || port=8470
URL=${1:-http://127.0.0.1:$port}
if [[ -z "${SPASMWATCH_TOKEN:-}" ]]; then
    SPASMWATCH_TOKEN=$(cat "$home/keys/http.token")
fi
now=$(date +%s.%N)
frame=$(cat <<JSON
{"v": 1, "sensorId": "curl-calf", "kind": "emg", "placement": "left-calf", "sampleRate": 1000,
 "unit": "mV", "firstSampleTime": $now, "producer": "curl-example", "test": true,
 "samples": [0.01, -0.02, 0.015, -0.005, 0.0, 0.012, -0.01, 0.004, -0.003, 0.002]}
JSON
)
# 503 with "reason":"unavailable": ingestion cannot reach the bus and accepted nothing;
# send the same frame again with backoff (0.1 s doubling to 2 s, for up to ~30 s).
backoff=0.1
for _ in $(seq 1 20); do
    reply=$(printf '%s' "$frame" | curl -sS -X POST "$URL/api/frames" -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $SPASMWATCH_TOKEN" --data-binary @-)
    [[ "$reply" == *'"reason":"unavailable"'* ]] || break
    echo "unavailable, retrying in ${backoff}s" >&2
    sleep "$backoff"
    backoff=$(awk -v b="$backoff" 'BEGIN { b *= 2; print (b > 2 ? 2 : b) }')
done
printf '%s\n' "$reply"
