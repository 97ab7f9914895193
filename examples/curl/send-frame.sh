#!/usr/bin/env bash
# Send one EMG frame to spasmwatch-sensor over HTTP (for devices that cannot speak ZeroMQ).
#   examples/curl/send-frame.sh [http://127.0.0.1:8470]
# With sensor.httpToken set, add: -H "Authorization: Bearer $TOKEN"
# "test": true marks an example (a test sensor): it never raises a "sensor is silent" alert.
# A real device leaves it out.
set -euo pipefail
URL=${1:-http://127.0.0.1:8470}
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
    reply=$(printf '%s' "$frame" | curl -sS -X POST "$URL/api/frames" -H 'Content-Type: application/json' --data-binary @-)
    [[ "$reply" == *'"reason":"unavailable"'* ]] || break
    echo "unavailable, retrying in ${backoff}s" >&2
    sleep "$backoff"
    backoff=$(awk -v b="$backoff" 'BEGIN { b *= 2; print (b > 2 ? 2 : b) }')
done
printf '%s\n' "$reply"
