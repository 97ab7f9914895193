#!/usr/bin/env python3
"""A DIY sensor over MQTT: publishes SpasmWatch frames to spasmwatch/sensor/<id>/frame.

    pip install paho-mqtt
    python3 examples/mqtt-producer/producer.py --user esp32-wrist --password PASS            # 10 s of a still wrist, 50 Hz
    python3 examples/mqtt-producer/producer.py --user imu-wrist --password PASS \\
        --csv ../shared/eval/dev/imu_wrist_a.csv --seconds 20                                # a recording (t,ax,ay,az), dated to end now
    python3 examples/mqtt-producer/producer.py --user esp32-wrist --password PASS --bad      # one bad frame: prints its error

The payload is the producer endpoint's JSON frame (docs/plug-in-a-sensor.md, "2d. MQTT"):
samples as a JSON array, or with --base64 as a base64 string of little-endian Float32 with
"sampleCount". spasmwatch-mqtt checks each frame with ingestion's validator and answers a
refused one on spasmwatch/sensor/<id>/error, which this script prints. The sensor id is the
broker user's name (--sensor defaults to --user): Mosquitto's ACL lets a user write only
its own topic. Every frame says "test": true (an example); --real leaves it out.
"""
import argparse
import base64
import csv
import json
import math
import struct
import sys
import threading
import time

import paho.mqtt.client as mqtt


def connect(args, on_message):
    # paho-mqtt 2 asks which callback signature we use; 1.x has no such argument.
    if hasattr(mqtt, "CallbackAPIVersion"):
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="spasmwatch-producer-" + args.sensor)
    else:
        client = mqtt.Client(client_id="spasmwatch-producer-" + args.sensor)
    if args.user:
        client.username_pw_set(args.user, args.password)
    client.max_inflight_messages_set(1)  # frames of one sensor arrive in order
    subscribed = threading.Event()
    client.on_message = on_message
    client.on_subscribe = lambda *a: subscribed.set()
    client.connect(args.host, args.port)
    client.loop_start()
    client.subscribe("spasmwatch/sensor/%s/error" % args.sensor, qos=1)
    if not subscribed.wait(10):
        sys.exit("no SUBACK from %s:%d within 10 s" % (args.host, args.port))
    return client


def frames_from_csv(path, seconds, per_frame):
    """(firstSampleTime offset, rate, [ax, ay, az, ...]) frames of a t,ax,ay,az recording."""
    with open(path) as f:
        rows = [r for r in csv.DictReader(f)]
    t0 = float(rows[0]["t"])
    rows = [r for r in rows if float(r["t"]) - t0 < seconds]
    rate = round(1 / (float(rows[1]["t"]) - t0))
    for i in range(0, len(rows) - per_frame + 1, per_frame):
        chunk = rows[i:i + per_frame]
        yield float(chunk[0]["t"]) - t0, rate, [float(r[k]) for r in chunk for k in ("ax", "ay", "az")]


def still_wrist(seconds, rate, per_frame):
    for n in range(int(seconds * rate) // per_frame):
        samples = []
        for i in range(per_frame):
            t = (n * per_frame + i) / rate
            samples += [0.02 * math.sin(2 * math.pi * 0.3 * t), 0.01, 0.99]
        yield n * per_frame / rate, rate, samples


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=1883)
    p.add_argument("--user", help="the broker user: the sensor's id")
    p.add_argument("--password", default="")
    p.add_argument("--sensor", help="the sensor id (default: --user)")
    p.add_argument("--placement", default="left-wrist")
    p.add_argument("--csv", help="replay a recording with columns t,ax,ay,az (in g)")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--base64", action="store_true", help="samples as base64 little-endian Float32")
    p.add_argument("--bad", action="store_true", help="send one frame with a wrong sampleRate and print its error")
    p.add_argument("--real", action="store_true", help='leave "test": true out (a real wearable)')
    args = p.parse_args()
    args.sensor = args.sensor or args.user or "mqtt-wrist"

    errors = []
    got_error = threading.Event()

    def on_message(client, userdata, message, *rest):
        errors.append(message.payload.decode())
        print("error:", message.payload.decode(), flush=True)
        got_error.set()

    client = connect(args, on_message)
    topic = "spasmwatch/sensor/%s/frame" % args.sensor

    def frame(first, rate, samples):
        f = {"v": 1, "sensorId": args.sensor, "kind": "imu", "placement": args.placement, "sampleRate": rate,
             "unit": "g", "firstSampleTime": first, "producer": "mqtt-producer.py"}
        if not args.real:
            f["test"] = True
        if args.base64:
            f["sampleCount"] = len(samples) // 3
            f["samples"] = base64.b64encode(struct.pack("<%df" % len(samples), *samples)).decode()
        else:
            f["samples"] = samples
        return json.dumps(f)

    if args.bad:
        bad = json.loads(frame(time.time(), 50, [0.0, 0.0, 1.0]))
        bad["sampleRate"] = 5000
        client.publish(topic, json.dumps(bad), qos=1).wait_for_publish(10)
        ok = got_error.wait(15)
        client.disconnect()
        sys.exit(0 if ok else "no error came back on spasmwatch/sensor/%s/error within 15 s" % args.sensor)

    source = frames_from_csv(args.csv, args.seconds, 25) if args.csv else still_wrist(args.seconds, 50, 25)
    # A recording is sent at once, dated so that it ends now; the still wrist in real time.
    start = time.time() - args.seconds if args.csv else time.time()
    sent = 0
    for seq, (offset, rate, samples) in enumerate(source):
        if not args.csv:
            time.sleep(max(0, start + offset - time.time()))
        first = start + offset
        message = json.loads(frame(first, rate, samples))
        message["seq"] = seq
        client.publish(topic, json.dumps(message), qos=1).wait_for_publish(10)
        sent += 1
    time.sleep(1)  # errors for the last frames
    client.disconnect()
    print("sent %d frames from %s, %d errors" % (sent, args.sensor, len(errors)))


if __name__ == "__main__":
    main()
