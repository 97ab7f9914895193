#!/usr/bin/env python3
"""A SpasmWatch sensor producer in Python: sends IMU frames to spasmwatch-sensor.

    pip install pyzmq
    python3 examples/python/producer.py                # 10 s of a gently moving wrist
    python3 examples/python/producer.py --bad          # one bad frame: prints the error reply
    python3 examples/python/producer.py --in-flight 32 --seconds 600   # 10 min of data, as fast as it is taken

The endpoint comes from --endpoint, else from $SPASMWATCH_HOME (default ./.spasmwatch):
ipc://<home>/run/sensor-producers.sock. `spasmwatch status` prints it too.
Each frame is [JSON header][binary little-endian float32 samples, channels interleaved];
each gets a JSON reply: {"ok": true, ...} or {"ok": false, "error": "..."}.
Every frame here says "test": true: an example is a test sensor, so it never raises a
"sensor is silent" alert when it stops. A real wearable leaves "test" out (--real does).
With --in-flight N the socket is a DEALER instead of a REQ: up to N frames are sent before
their replies are read; replies come back in order, each with the frame's "seq".
"""
import argparse
import json
import math
import struct
import sys
import time

import zmq

from spasmwatch_client import producer_endpoint as default_endpoint  # beside this file


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--endpoint", default=default_endpoint())
    p.add_argument("--sensor-id", default="python-wrist")
    p.add_argument("--placement", default="left-wrist")
    p.add_argument("--rate", type=float, default=50.0)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--bad", action="store_true", help="send one invalid frame and print the reply")
    p.add_argument("--real", action="store_true",
                   help='leave "test": true out: the sensor then counts as worn once it has sent for 5 minutes')
    p.add_argument("--in-flight", type=int, default=0,
                   help="keep up to N frames in flight (DEALER) and send as fast as ingestion takes them")
    args = p.parse_args()

    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER if args.in_flight > 0 else zmq.REQ)
    sock.setsockopt(zmq.RCVTIMEO, 5000)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(args.endpoint)

    def send(header, samples):
        payload = struct.pack("<%df" % len(samples), *samples)
        backoff = 0.1
        give_up = time.time() + 30
        while True:
            sock.send_multipart([json.dumps(header).encode(), payload])
            reply = json.loads(sock.recv())
            # "unavailable": ingestion cannot reach the bus, nothing was accepted; send it again.
            if reply.get("reason") != "unavailable" or time.time() > give_up:
                return reply
            print("unavailable, retrying in %.1f s:" % backoff, reply["error"], file=sys.stderr)
            time.sleep(backoff)
            backoff = min(backoff * 2, 2.0)

    per_frame = int(args.rate / 4)  # 0.25 s per frame
    if args.bad:
        header = {"v": 1, "sensorId": args.sensor_id, "kind": "emg", "placement": args.placement,
                  "sampleRate": 5000, "unit": "mV", "sampleCount": 10, "test": True}
        reply = send(header, [0.0] * 10)
        print("reply:", json.dumps(reply, ensure_ascii=False))
        return 0 if not reply["ok"] else 1

    t0 = time.time()
    if args.in_flight > 0:
        return stream(sock, args, t0, per_frame)
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
        if not args.real:
            header["test"] = True
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


def frame(args, t0, per_frame, n):
    samples = []
    for i in range(per_frame):
        t = (n * per_frame + i) / args.rate
        samples += [0.1 * math.sin(0.5 * t), 0.05 * math.cos(0.3 * t), 0.99]
    header = {"v": 1, "sensorId": args.sensor_id, "kind": "imu", "placement": args.placement,
              "sampleRate": args.rate, "unit": "g", "firstSampleTime": t0 + n * per_frame / args.rate,
              "sampleCount": per_frame, "producer": "python-example", "seq": n}
    if not args.real:
        header["test"] = True
    return [json.dumps(header).encode(), struct.pack("<%df" % len(samples), *samples)]


def stream(sock, args, t0, per_frame):
    """Frames in flight: send without waiting, read replies (in order) as the window fills."""
    total = int(args.seconds * 4)
    sent = answered = accepted = 0
    start = time.time()

    def read_reply():
        nonlocal answered, accepted
        reply = json.loads(sock.recv_multipart()[-1])
        if reply.get("seq") != answered:
            raise SystemExit(f"reply for seq {reply.get('seq')} where {answered} was expected")
        answered += 1
        if reply["ok"]:
            accepted += 1
            return
        rejected = answered - accepted
        if rejected <= 5:
            print(f"frame {reply.get('seq')} rejected:", reply["error"], file=sys.stderr)
        if reply.get("reason") == "rate-limit":
            time.sleep(0.05)  # over the per-producer limit: back off (that frame is lost)
        if reply.get("reason") == "unavailable":
            time.sleep(0.5)  # ingestion cannot reach the bus: back off (that frame was not accepted)

    while sent < total:
        if sent - answered >= args.in_flight:
            read_reply()
        sock.send_multipart(frame(args, t0, per_frame, sent))
        sent += 1
    while answered < sent:
        read_reply()
    elapsed = max(time.time() - start, 1e-6)
    print(f"sent {sent} frames from {args.sensor_id}, {accepted} accepted, {sent / elapsed:.0f} frames/s")
    if accepted < sent:
        print(f"{sent - accepted} frames rejected (the first 5 are shown above)", file=sys.stderr)
    return 0 if accepted == sent else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C: a line, not a traceback
        print("stopped (Ctrl-C)", file=sys.stderr)
        sys.exit(130)
