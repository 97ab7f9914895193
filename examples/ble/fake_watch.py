#!/usr/bin/env python3
"""A pretend OpenSeizureDetector watch, for trying and testing the bridge without a radio.

    python3 examples/ble/fake_watch.py --seconds 30 -- --sensor-id osd-test --test
    python3 examples/ble/fake_watch.py --format 1 --             # see the refusal of format 1
    python3 examples/ble/fake_watch.py --sessions 2 -- --test    # the link drops once: the bridge reconnects

`FakeWatchClient` answers the part of bleak's BleakClient the bridge uses (services,
read_gatt_char, write_gatt_char, start_notify, disconnect, is_connected). Run as a script it
streams a still wrist (gravity on z, a slow sway) at 25 Hz in real time, 3 samples per
notification as a Bangle.js does, prints `status N` for each status byte the bridge writes,
and runs the bridge with the arguments after `--`.
"""
import argparse
import asyncio
import math
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osd_watch_bridge as bridge  # noqa: E402


def xyz_notification(samples, counts_per_g=1000.0):
    """Format 3 bytes for [(x, y, z) in g]: int16 little-endian, x, y, z per sample."""
    values = [max(-32768, min(32767, round(v * counts_per_g))) for sample in samples for v in sample]
    return struct.pack("<%dh" % len(values), *values)


class FakeServices:
    def __init__(self, uuids):
        self.uuids = set(uuids)

    def get_characteristic(self, uuid):
        return uuid if uuid in self.uuids else None


class FakeWatchClient:
    """The watch side of one connection, as bleak's BleakClient shows it."""

    def __init__(self, profile="osd", acc_format=3, battery=87, has_status=True, has_format=True):
        self.profile = bridge.OSD_PROFILE if profile == "osd" else bridge.INFINITIME_PROFILE
        uuids = {self.profile.data, self.profile.batteries[0]}
        if has_status:
            uuids.add(self.profile.status)
        if has_format and self.profile.format_char:
            uuids.add(self.profile.format_char)
        self.services = FakeServices(uuids)
        self.acc_format, self.battery = acc_format, battery
        self.notify = {}
        self.writes = []  # (uuid, bytes, response)
        self.is_connected = True
        self.disconnected = asyncio.Event()
        self.on_write = None

    async def read_gatt_char(self, uuid):
        if uuid == bridge.OSD_ACC_FORMAT:
            return bytearray([self.acc_format])
        if uuid in (bridge.OSD_BATTERY, bridge.BATTERY_LEVEL):
            return bytearray([self.battery])
        raise KeyError(uuid)

    async def write_gatt_char(self, uuid, data, response=None):
        if not self.is_connected:
            raise ConnectionError("not connected")
        self.writes.append((uuid, bytes(data), response))
        if self.on_write:
            self.on_write(uuid, bytes(data))

    async def start_notify(self, uuid, callback):
        if uuid not in self.services.uuids:
            raise KeyError(uuid)
        self.notify[uuid] = callback

    async def disconnect(self):
        self.drop()

    def drop(self):
        """The radio link is lost (out of range, watch restarted)."""
        self.is_connected = False
        self.disconnected.set()

    def send(self, data):
        """One notification of acceleration data (lost, as on a real watch, when nobody subscribed)."""
        callback = self.notify.get(self.profile.data)
        if callback:
            callback(self.profile.data, bytearray(data))

    def send_battery(self, percent):
        self.notify[self.profile.batteries[0]](self.profile.batteries[0], bytearray([percent]))

    def statuses(self):
        return [data[0] for uuid, data, _ in self.writes if uuid == self.profile.status]


def still_wrist(n):
    t = n / bridge.RATE_HZ
    return (0.05 * math.sin(0.7 * t), 0.03 * math.cos(0.4 * t), 0.99)


async def stream(client, seconds, per_notification=3):
    """Real time: one notification every 3 samples (0.12 s), then the link drops."""
    loop = asyncio.get_running_loop()
    start, n = loop.time(), 0
    while n < seconds * bridge.RATE_HZ and client.is_connected:
        samples = [still_wrist(n + i) for i in range(per_notification)]
        client.send(xyz_notification(samples, client.profile.counts_per_g))
        n += per_notification
        await asyncio.sleep(max(0.0, start + n / bridge.RATE_HZ - loop.time()))
    client.drop()


def main():
    argv = sys.argv[1:]
    rest = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--profile", choices=("osd", "infinitime"), default="osd")
    p.add_argument("--format", type=int, default=3)
    p.add_argument("--battery", type=int, default=87)
    p.add_argument("--sessions", type=int, default=1, help="connections, each streaming --seconds, then the link drops")
    args = p.parse_args(argv)

    async def connect():
        client = FakeWatchClient(profile=args.profile, acc_format=args.format, battery=args.battery)
        client.on_write = lambda uuid, data: print(f"status {data[0]} {bridge.STATUS_NAMES.get(data[0], '?')}", flush=True)
        asyncio.get_running_loop().create_task(stream(client, args.seconds))
        return client, client.disconnected

    return bridge.main(rest, connect=connect, attempts=args.sessions)


if __name__ == "__main__":
    sys.exit(main())
