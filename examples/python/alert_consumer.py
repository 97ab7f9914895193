#!/usr/bin/env python3
"""A custom SpasmWatch alert consumer in Python: prints every alert on the bus.

    pip install pyzmq
    python3 examples/python/alert_consumer.py            # one line per alert, until Ctrl-C
    python3 examples/python/alert_consumer.py --json     # the raw envelope, one JSON per line
    python3 examples/python/alert_consumer.py --count 1  # exit after the first alert

The bus's subscribe endpoint comes from --endpoint, else from $SPASMWATCH_HOME (default
./.spasmwatch): ipc://<home>/run/bus-out.sock (`spasmwatch status` prints it). Messages
are multipart: [topic][envelope JSON]; see docs/custom-alert-consumer.md.
"""
import argparse
import datetime
import json
import sys

import zmq

from spasmwatch_client import bus_subscribe_endpoint as default_endpoint  # beside this file


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--endpoint", default=default_endpoint(), help="the bus's subscribe endpoint")
    p.add_argument("--json", action="store_true", help="print whole envelopes as JSON lines")
    p.add_argument("--count", type=int, help="exit after this many alerts")
    p.add_argument("--timeout", type=float, help="exit with status 1 after this many seconds without enough alerts")
    args = p.parse_args()

    ctx = zmq.Context()
    sock = ctx.socket(zmq.SUB)
    sock.setsockopt(zmq.RCVHWM, 200000)          # the bus's high-water mark, not libzmq's 1000
    sock.setsockopt(zmq.SUBSCRIBE, b"alert.")   # topics are prefixes: alert.info, alert.warning, alert.critical
    sock.connect(args.endpoint)
    print("listening for alerts on %s" % args.endpoint, file=sys.stderr, flush=True)

    poller = zmq.Poller()
    poller.register(sock, zmq.POLLIN)
    deadline = None if args.timeout is None else datetime.datetime.now().timestamp() + args.timeout
    seen, printed = set(), 0
    try:
        while args.count is None or printed < args.count:
            if deadline is not None and datetime.datetime.now().timestamp() > deadline:
                print("timed out after %d alert(s)" % printed, file=sys.stderr)
                return 1
            if not poller.poll(200):
                continue
            frames = sock.recv_multipart()
            topic, envelope = frames[0].decode(), json.loads(frames[1])
            if envelope.get("v") != 1 or envelope.get("type") != "alert":
                continue  # a newer schema or another message type: skip, never guess
            alert = envelope["body"]
            # Reliable senders re-send an alert (same id) until storage has it: show each once.
            if alert["alertId"] in seen:
                continue
            seen.add(alert["alertId"])
            if args.json:
                print(json.dumps(envelope, sort_keys=True), flush=True)
            else:
                when = datetime.datetime.fromtimestamp(alert["at"]).strftime("%H:%M:%S")
                print("%s %s person=%s kind=%s site=%s id=%s: %s — %s" % (
                    topic, when, envelope["person"], alert["kind"], alert.get("site") or "-",
                    alert["alertId"], alert["title"], alert["message"]), flush=True)
            printed += 1
    except KeyboardInterrupt:
        pass
    finally:
        sock.close(linger=0)
        ctx.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
