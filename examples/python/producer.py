#!/usr/bin/env python3
"""A SpasmWatch sensor producer in Python: sends IMU frames to spasmwatch-sensor.

    pip install pyzmq
    python3 examples/python/producer.py                # 10 s of a gently moving wrist
    python3 examples/python/producer.py --bad          # one bad frame: prints the error reply

The endpoint comes from --endpoint, else from $SPASMWATCH_HOME (default ./.spasmwatch):
ipc://<home>/run/sensor-producers.sock. `spasmwatch status` prints it too.
Each frame is [JSON header][binary little-endian float32 samples, channels interleaved];
each gets a JSON reply: {"ok": true, ...} or {"ok": false, "error": "..."}.
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import zmq


def default_endpoint():
    home = os.environ.get("SPASMWATCH_HOME") or os.path.join(os.getcwd(), ".spasmwatch")
    run = os.path.join(os.path.abspath(home), "run")
    return "ipc://" + os.path.join(run, "sensor-producers.sock")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--endpoint", default=default_endpoint())
    p.add_argument("--sensor-id", default="python-wrist")
    p.add_argument("--placement", default="left-wrist")
    p.add_argument("--rate", type=float, default=50.0)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--bad", action="store_true", help="send one invalid frame and print the reply")
    args = p.parse_args()

    ctx = zmq.Context()
    sock = ctx.socket(zmq.REQ)
    sock.setsockopt(zmq.RCVTIMEO, 5000)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(args.endpoint)

    def send(header, samples):
        payload = struct.pack("<%df" % len(samples), *samples)
        sock.send_multipart([json.dumps(header).encode(), payload])
        return json.loads(sock.recv())

    per_frame = int(args.rate / 4)  # 0.25 s per frame
    if args.bad:
        header = {"v": 1, "sensorId": args.sensor_id, "kind": "emg", "placement": args.placement,
                  "sampleRate": 5000, "unit": "mV", "sampleCount": 10}
        reply = send(header, [0.0] * 10)
        print("reply:", json.dumps(reply, ensure_ascii=False))
        return 0 if not reply["ok"] else 1

    t0 = time.time()
    frames = 0
    for n in range(int(args.seconds * 4)):
        samples = []
        for i in range(per_frame):
            t = (n * per_frame + i) / args.rate
            # gravity mostly on z, a slow wrist rotation, a little noise-free sway
            samples += [0.1 * math.sin(0.5 * t), 0.05 * math.cos(0.3 * t), 0.99]
        header = {"v": 1, "sensorId": args.sensor_id, "kind": "imu", "placement": args.placement,
                  "sampleRate": args.rate, "unit": "g", "firstSampleTime": t0 + n * per_frame / args.rate,
                  "sampleCount": per_frame, "producer": "python-example", "seq": n}
        reply = send(header, samples)
        if not reply["ok"]:
            print("rejected:", reply["error"], file=sys.stderr)
            return 1
        frames += 1
        delay = t0 + (n + 1) * per_frame / args.rate - time.time()
        if delay > 0:
            time.sleep(delay)
    print(f"sent {frames} frames from {args.sensor_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
