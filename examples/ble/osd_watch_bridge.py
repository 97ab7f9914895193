#!/usr/bin/env python3
"""Bridge an OpenSeizureDetector watch (Bangle.js 2, PineTime) into SpasmWatch over Bluetooth LE.

    pip install bleak pyzmq
    # on the hub itself (ipc, no keys):
    python3 examples/ble/osd_watch_bridge.py --address C8:2B:11:22:33:44 --placement left-wrist
    # from a Raspberry Pi next to the hub (tcp with CURVE; keys from `spasmwatch keys show`):
    python3 osd_watch_bridge.py --address C8:2B:11:22:33:44 --producer-key watch.key --consumer-key watch-alerts.key

It connects to the watch (by --address, or the first one found advertising the
OpenSeizureDetector or InfiniTime motion service), subscribes to its acceleration
notifications (x, y, z as int16 little-endian), and sends them to sensor ingestion as 25 Hz
imu frames in g, with frames in flight, "device": "watch" and the watch's battery. Every
few seconds it writes the status byte back (OK, WARNING, ALARM, FALL, FAULT), learnt from
the bus's alerts, so the watch never shows NETFAULT while SpasmWatch is watching. It
reconnects with backoff (1, 2, 4, 8, 16 s, then every 16 s). A watch set to send only the
magnitude of acceleration (format 0 or 1) is refused: SpasmWatch needs x, y and z.
docs/devices.md ("OpenSeizureDetector watches") says where each part of the profile comes from.
"""
import argparse
import asyncio
import collections
import json
import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import spasmwatch_client as sw  # noqa: E402  (examples/python, beside this folder)

# --- The watch's GATT profile ------------------------------------------------------------
OSD_SERVICE = "000085e9-0000-1000-8000-00805f9b34fb"
OSD_ACC_DATA = "000085e9-0001-1000-8000-00805f9b34fb"    # notify: samples, in OSD_ACC_FORMAT
OSD_BATTERY = "000085e9-0002-1000-8000-00805f9b34fb"     # read/notify: one byte, percent
OSD_WATCH_ID = "000085e9-0003-1000-8000-00805f9b34fb"    # read: UTF-8, e.g. "BangleJs"
OSD_WATCH_FW = "000085e9-0004-1000-8000-00805f9b34fb"    # read: UTF-8
OSD_ACC_FORMAT = "000085e9-0005-1000-8000-00805f9b34fb"  # read: one byte, 0, 1 or 3
OSD_STATUS = "000085e9-0006-1000-8000-00805f9b34fb"      # write: one byte, the alarm state
INFINITIME_MOTION_SERVICE = "00030000-78fc-48fe-8e23-433b3a1942d0"
INFINITIME_MOTION_VALUES = "00030002-78fc-48fe-8e23-433b3a1942d0"  # notify: x,y,z int16 LE
INFINITIME_OSD_STATUS = "00030078-78fc-48fe-8e23-433b3a1942d0"     # write: the alarm state
BATTERY_LEVEL = "00002a19-0000-1000-8000-00805f9b34fb"   # the standard battery level, percent

RATE_HZ = 25.0  # OSD watches always send 25 Hz

FORMAT_8BIT_MAGNITUDE, FORMAT_16BIT_MAGNITUDE, FORMAT_3D = 0, 1, 3
FORMAT_NAMES = {FORMAT_8BIT_MAGNITUDE: "8-bit magnitude, 64 = 1 g",
                FORMAT_16BIT_MAGNITUDE: "16-bit magnitude in mg", FORMAT_3D: "x, y, z in mg"}

STATUS_OK, STATUS_WARNING, STATUS_ALARM, STATUS_FALL, STATUS_FAULT = 0, 1, 2, 3, 4
STATUS_MANUAL, STATUS_MUTE, STATUS_NETFAULT = 5, 6, 7
STATUS_NAMES = {0: "OK", 1: "WARNING", 2: "ALARM", 3: "FALL", 4: "FAULT", 5: "MANUAL", 6: "MUTE", 7: "NETFAULT"}


class Profile:
    """Which characteristics one kind of watch firmware uses."""

    def __init__(self, name, service, data, status, format_char, batteries, counts_per_g):
        self.name, self.service, self.data, self.status = name, service, data, status
        self.format_char, self.batteries, self.counts_per_g = format_char, batteries, counts_per_g


# OSD's own service (Bangle.js widget): x, y, z are Math.round(1000 * g), so 1000 counts = 1 g.
OSD_PROFILE = Profile("OpenSeizureDetector", OSD_SERVICE, OSD_ACC_DATA, OSD_STATUS, OSD_ACC_FORMAT,
                      (OSD_BATTERY, BATTERY_LEVEL), 1000.0)
# OSD's InfiniTime (PineTime): always x, y, z, as the BMA421 driver scales them: 1024 = 1 g.
INFINITIME_PROFILE = Profile("InfiniTime motion (PineTime)", INFINITIME_MOTION_SERVICE, INFINITIME_MOTION_VALUES,
                             INFINITIME_OSD_STATUS, None, (BATTERY_LEVEL,), 1024.0)
PROFILES = (OSD_PROFILE, INFINITIME_PROFILE)


class FormatRefused(Exception):
    """The watch sends something SpasmWatch cannot use; retrying will not help."""


def check_format(code):
    """Format 3 (x, y, z) is the only one SpasmWatch can use."""
    if code == FORMAT_3D:
        return
    if code in (FORMAT_8BIT_MAGNITUDE, FORMAT_16BIT_MAGNITUDE):
        raise FormatRefused(
            f"the watch sends acceleration format {code} ({FORMAT_NAMES[code]}): only the size of the movement, "
            "not its direction. SpasmWatch needs x, y and z (format 3). On a Bangle.js: Settings > Apps > "
            "OpenSeizureDetector > ACC_FMT 3, then run the bridge again.")
    raise FormatRefused(f"the watch sends acceleration format {code}, which is unknown; "
                        "SpasmWatch needs format 3 (x, y, z in mg)")


def decode_xyz(data, counts_per_g):
    """One notification of int16 little-endian x, y, z triples -> [(x, y, z) in g]."""
    if len(data) % 6:
        raise ValueError(f"a notification of {len(data)} bytes is not whole x, y, z samples (6 bytes each)")
    values = struct.unpack("<%dh" % (len(data) // 2), bytes(data))
    return [(values[i] / counts_per_g, values[i + 1] / counts_per_g, values[i + 2] / counts_per_g)
            for i in range(0, len(values), 3)]


def decode_battery(data):
    """One byte, percent; None when it is not 0-100 (ingestion refuses any other value)."""
    if not data:
        return None
    value = data[0]
    return value if 0 <= value <= 100 else None


# --- Samples into frames ---------------------------------------------------------------------
class Batcher:
    """Puts the watch's samples on an even 25 Hz clock and cuts them into frames.

    The watch gives no time stamps. The first notification anchors the clock; after that each
    sample is one period after the one before, so ingestion sees one unbroken stream. Once a
    second the earliest arrival of that second is compared with the earliest of the first
    second (the least-delayed notifications show the watch's real clock best): a watch a
    little slower than 25 Hz falls behind by a period now and then, and one sample is repeated;
    a faster one gets ahead, and one is skipped; notifications that never came (out of range)
    show as a gap of that many samples."""

    def __init__(self, frame_samples=6, rate=RATE_HZ, gap_seconds=0.5):
        self.frame_samples, self.rate, self.period = frame_samples, rate, 1.0 / rate
        self.gap_seconds = gap_seconds
        self.inserted = self.dropped = self.gaps = 0
        self.restart()

    def restart(self):
        """A new connection: the next notification anchors the clock again (never before the
        end of what was already sent, which ingestion would take for a clock going back)."""
        self.floor = getattr(self, "next_time", None)
        self.next_time = None
        self.pending, self.pending_time = [], None
        self.baseline = self.previous_late = None
        self.block_min, self.block_count = float("inf"), 0
        self.to_drop = 0
        self.last = None

    def add(self, samples, arrival):
        """Samples of one notification, arrived at `arrival` (Unix seconds) -> [(firstSampleTime, samples)]."""
        frames = []
        if not samples:
            return frames
        if self.next_time is None:
            self.next_time = arrival - len(samples) * self.period
            if self.floor is not None:
                self.next_time = max(self.next_time, self.floor)
        # When the last of these samples arrived, against when the clock says it was taken.
        self.block_min = min(self.block_min, arrival - (self.next_time + max(0, len(samples) - self.to_drop) * self.period))
        for sample in samples:
            if self.to_drop:
                self.to_drop -= 1
                self.dropped += 1
                continue
            self._place(sample, frames)
        self.block_count += len(samples)
        if self.block_count >= self.rate:
            self._correct(frames)
        return frames

    def _place(self, sample, frames):
        if not self.pending:
            self.pending_time = self.next_time
        self.pending.append(sample)
        self.last = sample
        self.next_time += self.period
        if len(self.pending) >= self.frame_samples:
            frames.append((self.pending_time, self.pending))
            self.pending = []

    def _flush(self, frames):
        if self.pending:
            frames.append((self.pending_time, self.pending))
            self.pending = []

    def _correct(self, frames):
        """Once a second: how late this second's earliest arrival was, against the first second's.
        Only what two seconds in a row agree on is acted on: notifications held up and then
        delivered together (a busy machine, a congested radio) make one second late, not two."""
        if self.baseline is None:
            self.baseline = self.block_min
        else:
            late = self.block_min - self.baseline
            previous, self.previous_late = self.previous_late, late
            if previous is not None and late > 0 and previous > 0:
                self._behind(min(late, previous), frames)
            elif previous is not None and late < 0 and previous < 0:
                self._ahead(max(late, previous))
        self.block_min, self.block_count = float("inf"), 0

    def _behind(self, late, frames):
        if late > self.gap_seconds:
            # Notifications were lost: leave the hole, so the samples after it are at their time.
            self._flush(frames)
            self.next_time += round(late * self.rate) * self.period
            self.gaps += 1
            self.previous_late = None
        elif late > self.period and self.last is not None:
            self._place(self.last, frames)  # the watch is a little slow: repeat one sample
            self.inserted += 1
            self.previous_late = None

    def _ahead(self, late):
        if late < -self.gap_seconds:
            self.to_drop += round(-late * self.rate)
            self.previous_late = None
        elif late < -self.period:
            self.to_drop += 1  # the watch is a little fast: skip one sample
            self.previous_late = None

    def drain(self):
        """The samples not yet in a frame, as a last (shorter) frame."""
        frames = []
        self._flush(frames)
        return frames


# --- Alerts into the status byte -----------------------------------------------------------
class AlarmState:
    """What the watch should show, from the alerts and acknowledgements on the bus.

    fall -> FALL; a critical spasm, clonus or tonic alert -> ALARM, a warning one -> WARNING;
    `spasmwatch notify test` (kind test) -> WARNING; service-down, or this watch named in a
    sensor-silent alert -> FAULT. Each holds until the alert is acknowledged ("I'm OK") or
    `hold` seconds have passed. With nothing to show: OK while frames are accepted and the
    detector's heartbeat is heard, FAULT otherwise (nobody would be watching)."""

    PRIORITY = (STATUS_FALL, STATUS_ALARM, STATUS_WARNING, STATUS_FAULT)

    def __init__(self, sensor_id, person="me", hold=120.0, detector_timeout=15.0, hub_timeout=20.0,
                 watch_alerts=True, test=False):
        self.sensor_id, self.person, self.hold = sensor_id, person, hold
        self.detector_timeout, self.hub_timeout = detector_timeout, hub_timeout
        self.watch_alerts, self.test = watch_alerts, test
        self.active = {}  # alertId -> (status, until)
        self.seen = collections.OrderedDict()  # alert ids already taken, the newest 1000
        self.detector_heard = None
        self.last_accepted = None

    def status_for(self, alert):
        kind, severity = alert.get("kind"), alert.get("severity")
        if kind == "fall":
            return STATUS_FALL
        if kind == "test":
            return STATUS_WARNING
        if kind == "service-down":
            return STATUS_FAULT
        if kind == "sensor-silent":
            named = alert.get("sensorId") == self.sensor_id or \
                self.sensor_id in str(alert.get("groupKey", "")).partition(":")[2].split(",")
            return STATUS_FAULT if named else None
        if severity == "critical":
            return STATUS_ALARM
        if severity == "warning":
            return STATUS_WARNING
        return None

    def on_message(self, topic, envelope, now):
        if envelope.get("v") != 1:
            return
        if topic.startswith("heartbeat.spasmwatch-detect"):
            self.detector_heard = now
            return
        body = envelope.get("body") or {}
        if envelope.get("type") == "alert" and topic.startswith("alert."):
            if envelope.get("person", "me") != self.person or (body.get("test") and not self.test):
                return
            alert_id = body.get("alertId")
            if alert_id in self.seen:
                return  # reliable senders re-send an alert until storage has it
            self.seen[alert_id] = True
            if len(self.seen) > 1000:
                self.seen.popitem(last=False)
            status = self.status_for(body)
            at = body.get("at", now)
            if status is not None and now - at < self.hold:
                self.active[alert_id] = (status, at + self.hold)
        elif topic == "acknowledgement":
            self.active.pop(body.get("alertId"), None)

    def frame_accepted(self, now):
        self.last_accepted = now

    def status(self, now):
        self.active = {k: v for k, v in self.active.items() if v[1] > now}
        shown = {status for status, _ in self.active.values()}
        for status in self.PRIORITY:
            if status in shown:
                return status
        if self.last_accepted is None or now - self.last_accepted > self.hub_timeout:
            return STATUS_FAULT
        if self.watch_alerts and (self.detector_heard is None or now - self.detector_heard > self.detector_timeout):
            return STATUS_FAULT
        return STATUS_OK


# --- Reconnecting ----------------------------------------------------------------------------
class Backoff:
    """1, 2, 4, 8, 16 s, then 16 s for ever (as OSD's own phone app); reset after a good connection."""

    def __init__(self, delays=(1, 2, 4, 8, 16)):
        self.delays, self.attempt = delays, 0

    def next(self):
        delay = self.delays[min(self.attempt, len(self.delays) - 1)]
        self.attempt += 1
        return delay

    def reset(self):
        self.attempt = 0


# --- To sensor ingestion ----------------------------------------------------------------------
class FrameSender:
    """Frames to the producer endpoint on a DEALER socket, up to `in_flight` before their replies.

    A frame answered "unavailable" (ingestion cannot reach the bus) was not taken: sending
    pauses until the others in flight are answered, then those frames go again in order, with
    backoff. No reply for `reply_timeout` seconds: the socket is made again and the frames not
    answered are sent again. At most `buffer_frames` wait (10 minutes at 25 Hz in frames of 6);
    older ones are dropped and counted."""

    def __init__(self, endpoint, key=None, in_flight=16, reply_timeout=10.0, buffer_frames=2500,
                 on_accepted=None, log=print):
        import zmq
        import zmq.asyncio
        self.zmq, self.context = zmq, zmq.asyncio.Context.instance()
        self.endpoint, self.key, self.in_flight = endpoint, key, in_flight
        self.reply_timeout, self.log = reply_timeout, log
        self.on_accepted = on_accepted or (lambda: None)
        self.waiting = collections.deque()
        self.buffer_frames = buffer_frames
        self.flight = collections.deque()
        self.retry = []
        self.accepted = self.rejected = self.dropped = self.resent = 0
        self.wakeup = asyncio.Event()
        self.sock = None

    def submit(self, header, samples):
        self.waiting.append((header, sw.encode_frame(header, samples)))
        while len(self.waiting) > self.buffer_frames:
            self.waiting.popleft()
            self.dropped += 1
        self.wakeup.set()

    async def drained(self, timeout):
        """Waits (up to `timeout` s) until every frame submitted is answered."""
        deadline = time.monotonic() + timeout
        while (self.waiting or self.flight or self.retry) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    def _open(self):
        zmq = self.zmq
        if self.sock is not None:
            self.sock.close(linger=0)
        self.sock = self.context.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        if self.key:
            sw.curve_client(self.sock, self.key)
        self.sock.connect(self.endpoint)

    async def run(self):
        self._open()
        backoff = 0.1
        try:
            while True:
                while self.waiting and not self.retry and len(self.flight) < self.in_flight:
                    header, parts = self.waiting.popleft()
                    await self.sock.send_multipart(parts)
                    self.flight.append((header, parts))
                if not self.flight:
                    if self.retry:
                        await asyncio.sleep(backoff)
                        backoff = min(backoff * 2, 2.0)
                        self.waiting.extendleft(reversed(self.retry))
                        self.resent += len(self.retry)
                        self.retry = []
                        continue
                    self.wakeup.clear()
                    await self.wakeup.wait()
                    continue
                if not await self.sock.poll(self.reply_timeout * 1000):
                    self.log(f"no reply from {self.endpoint} in {self.reply_timeout:.0f} s; connecting again "
                             "(is the hub up? on tcp: is the key still allowed, `spasmwatch keys list`?)")
                    self.waiting.extendleft(reversed(list(self.flight) + self.retry))
                    self.resent += len(self.flight) + len(self.retry)
                    self.flight.clear()
                    self.retry = []
                    self._open()
                    continue
                raw = (await self.sock.recv_multipart())[-1]
                header, parts = self.flight.popleft()
                try:
                    reply = json.loads(raw)
                    if not isinstance(reply, dict):
                        raise ValueError("not a JSON object")
                except ValueError as error:
                    reply = {"ok": False, "error": f"a reply that is not JSON ({error}): {raw[:80]!r}"}
                if reply.get("seq") != header.get("seq"):
                    self.log(f"reply for frame {reply.get('seq')} where {header.get('seq')} was expected")
                if reply.get("ok"):
                    self.accepted += 1
                    backoff = 0.1
                    self.on_accepted()
                elif reply.get("reason") == "unavailable":
                    self.retry.append((header, parts))
                else:
                    self.rejected += 1
                    if self.rejected <= 5 or self.rejected % 1000 == 0:
                        self.log(f"frame {header.get('seq')} refused ({self.rejected} so far): {reply.get('error')}")
        finally:
            if self.sock is not None:
                self.sock.close(linger=0)


async def watch_alerts(endpoint, key, alarm, log=print, clock=time.time):
    """Alerts, acknowledgements and the detector's heartbeat from the bus, into `alarm`."""
    import zmq
    import zmq.asyncio
    sock = zmq.asyncio.Context.instance().socket(zmq.SUB)
    sock.setsockopt(zmq.RCVHWM, 200000)
    sock.setsockopt(zmq.LINGER, 0)
    if key:
        sw.curve_client(sock, key)
    for prefix in (b"alert.", b"acknowledgement", b"heartbeat.spasmwatch-detect"):
        sock.setsockopt(zmq.SUBSCRIBE, prefix)
    sock.connect(endpoint)
    try:
        while True:
            frames = await sock.recv_multipart()
            try:
                alarm.on_message(frames[0].decode(), json.loads(frames[1]), clock())
            except (ValueError, IndexError, AttributeError) as error:
                log(f"skipped a bus message that is not an envelope: {error}")
    finally:
        sock.close(linger=0)


# --- One connection to the watch ----------------------------------------------------------------
def find_profile(client):
    for profile in PROFILES:
        if client.services.get_characteristic(profile.data) is not None:
            return profile
    return None


class WatchSession:
    """Runs one connection: reads the format and battery, streams samples, writes the status."""

    def __init__(self, batcher, alarm, make_header, submit, status_interval=5.0, clock=time.time, log=print,
                 data_timeout=30.0):
        self.batcher, self.alarm, self.make_header, self.submit = batcher, alarm, make_header, submit
        self.status_interval, self.clock, self.log = status_interval, clock, log
        self.data_timeout = data_timeout
        self.last_data = None
        self.battery = None
        self.samples = 0
        self.bad_notifications = 0
        self.statuses_written = []

    def _on_battery(self, _sender, data):
        value = decode_battery(data)
        if value is not None:
            self.battery = value

    def _send(self, frames):
        for first_time, samples in frames:
            flat = [v for sample in samples for v in sample]
            self.submit(self.make_header(first_time, len(samples), self.battery), flat)

    async def run(self, client, disconnected):
        """Until the watch disconnects. Raises FormatRefused for a watch SpasmWatch cannot use."""
        profile = find_profile(client)
        if profile is None:
            raise FormatRefused("this device has neither OpenSeizureDetector's service (000085e9-…) nor "
                                "InfiniTime's motion service (00030000-…): is the OSD watch app running on it?")
        if profile.format_char is None:
            fmt = FORMAT_3D
        elif client.services.get_characteristic(profile.format_char) is None:
            fmt = FORMAT_8BIT_MAGNITUDE  # OSD's own rule for a watch without the format characteristic
        else:
            fmt = (await client.read_gatt_char(profile.format_char))[0]
        check_format(fmt)
        for uuid in profile.batteries:
            if client.services.get_characteristic(uuid) is None:
                continue
            self._on_battery(None, await client.read_gatt_char(uuid))
            try:
                await client.start_notify(uuid, self._on_battery)
            except Exception as error:  # some firmware can be read but not subscribed to
                self.log(f"battery notifications unavailable ({error}); the level read at connection is used")
            break
        status_char = profile.status if client.services.get_characteristic(profile.status) is not None else None
        if status_char is None:
            self.log("this watch app has no status characteristic: it cannot be told of alerts "
                     "(update the OSD watch app to one that has it)")
        self.batcher.restart()

        def on_data(_sender, data):
            try:
                samples = decode_xyz(data, profile.counts_per_g)
            except ValueError as error:
                self.bad_notifications += 1
                if self.bad_notifications <= 5:
                    self.log(f"skipped a notification: {error}")
                return
            self.samples += len(samples)
            self.last_data = self.clock()
            self._send(self.batcher.add(samples, self.last_data))

        self.last_data = self.clock()  # from here, the watch has data_timeout seconds to send
        await client.start_notify(profile.data, on_data)
        self.log(f"streaming from the watch ({profile.name}, format 3, battery "
                 f"{'-' if self.battery is None else str(self.battery) + '%'})")
        try:
            while not disconnected.is_set() and client.is_connected:
                try:
                    await asyncio.wait_for(disconnected.wait(), self.status_interval)
                    break
                except asyncio.TimeoutError:
                    pass
                if self.clock() - self.last_data > self.data_timeout:
                    # Connected but silent (the watch app stopped): a new connection subscribes again.
                    self.log(f"no data from the watch for {self.data_timeout:.0f} s; connecting again")
                    break
                if status_char is not None:
                    status = self.alarm.status(self.clock())
                    try:
                        await client.write_gatt_char(status_char, bytes([status]), response=True)
                    except Exception:
                        # The link dropped between the wait and the write: a disconnect, not a failure.
                        if disconnected.is_set() or not client.is_connected:
                            break
                        raise
                    self.statuses_written.append(status)
        finally:
            self._send(self.batcher.drain())


def describe(error):
    """A connection error, with what to check when it is the Bluetooth service itself."""
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if isinstance(error, (FileNotFoundError, ConnectionRefusedError)) or "org.bluez" in str(error):
        text += " (is Bluetooth on? sudo systemctl start bluetooth; bluetoothctl power on)"
    return text


async def run_bridge(connect, session_factory, backoff=None, sleep=asyncio.sleep, log=print, attempts=None):
    """Connect, run a session, and when it ends connect again after a backoff delay.
    Returns 2 when the watch sends a format SpasmWatch cannot use (no retry helps)."""
    backoff = backoff or Backoff()
    tries = 0
    while attempts is None or tries < attempts:
        tries += 1
        session = session_factory()
        try:
            client, disconnected = await connect()
            try:
                await session.run(client, disconnected)
                log("the watch disconnected")
            finally:
                try:
                    await client.disconnect()
                except Exception:
                    pass
        except FormatRefused as error:
            log(f"refused: {error}")
            return 2
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log(f"connection failed: {describe(error)}")
        if session.samples:
            backoff.reset()
        if attempts is not None and tries >= attempts:
            break
        delay = backoff.next()
        log(f"connecting again in {delay} s")
        await sleep(delay)
    return 0


# --- Bluetooth (bleak) ------------------------------------------------------------------------
def bleak_connector(address, scan_seconds=20.0):
    """connect() for run_bridge with bleak: by address, or the first OSD/InfiniTime watch seen."""
    async def connect():
        from bleak import BleakClient, BleakScanner
        target = address
        if target is None:
            wanted = {OSD_SERVICE, INFINITIME_MOTION_SERVICE}
            names = ("Bangle.js", "InfiniTime", "Pinetime")
            device = await BleakScanner.find_device_by_filter(
                lambda d, adv: bool(wanted & {u.lower() for u in adv.service_uuids})
                or (adv.local_name or d.name or "").startswith(names), timeout=scan_seconds)
            if device is None:
                raise LookupError(f"no OSD watch seen in {scan_seconds:.0f} s (is it near, and not connected to a phone?)")
            target = device
        disconnected = asyncio.Event()
        client = BleakClient(target, disconnected_callback=lambda _c: disconnected.set())
        await client.connect()
        return client, disconnected
    return connect


# --- Command line -----------------------------------------------------------------------------
def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--address", help="the watch's Bluetooth address (default: the first OSD watch found)")
    p.add_argument("--sensor-id", help="the sensor id (default: the producer key's one sensor, else osd-watch)")
    p.add_argument("--placement", default="left-wrist", help="where the watch is worn (a body site)")
    p.add_argument("--home", help="the hub's data home, for ipc endpoints on the hub (default $SPASMWATCH_HOME)")
    p.add_argument("--endpoint", help="the producer endpoint (default: ipc on this machine, or the producer key's)")
    p.add_argument("--bus", help="the bus's subscribe endpoint (default: ipc on this machine, or the consumer key's)")
    p.add_argument("--producer-key", help="a file with `spasmwatch keys show NAME` of a producer key (tcp)")
    p.add_argument("--consumer-key", help="a file with `spasmwatch keys show NAME` of a consumer key (tcp)")
    p.add_argument("--host", help="the hub's address, in place of the host in the keys' endpoints")
    p.add_argument("--no-alerts", action="store_true", help="do not learn of alerts: the watch shows OK or FAULT only")
    p.add_argument("--person", default="me", help="whose alerts the watch shows (default me)")
    p.add_argument("--hold", type=float, default=120.0, help="seconds an alert shows on the watch unless answered")
    p.add_argument("--frame-samples", type=int, default=6, help="samples per frame (6 = 0.24 s)")
    p.add_argument("--in-flight", type=int, default=16, help="frames sent before their replies are read")
    p.add_argument("--status-seconds", type=float, default=5.0, help="how often the status is written (the watch "
                   "shows NETFAULT after 30 s without)")
    p.add_argument("--test", action="store_true", help='mark frames "test": true (trying the bridge out)')
    args = p.parse_args(argv)
    if args.frame_samples < 1 or args.in_flight < 1:
        p.error("--frame-samples and --in-flight must be at least 1")
    if not 0 < args.status_seconds <= 20:
        p.error("--status-seconds must be above 0 and at most 20 (the watch shows NETFAULT after 30 s)")
    return args


def with_host(endpoint, host):
    if not host or not endpoint.startswith("tcp://"):
        return endpoint
    return f"tcp://{host}:{endpoint.rsplit(':', 1)[1]}"


def configure(args):
    """Endpoints, keys and the sensor id from the arguments. Raises SystemExit with what to do."""
    try:
        producer_key = sw.read_key_file(args.producer_key) if args.producer_key else None
        consumer_key = sw.read_key_file(args.consumer_key) if args.consumer_key else None
    except sw.KeyFileError as error:
        raise SystemExit(f"osd_watch_bridge: {error}")
    if producer_key and producer_key.get("role") != "producer":
        raise SystemExit(f"osd_watch_bridge: {args.producer_key} is a {producer_key.get('role')} key; "
                         "make one with: spasmwatch keys new NAME --role producer --sensor ID")
    if consumer_key and consumer_key.get("role") != "consumer":
        raise SystemExit(f"osd_watch_bridge: {args.consumer_key} is a {consumer_key.get('role')} key; "
                         "make one with: spasmwatch keys new NAME --role consumer")
    endpoint = args.endpoint or (producer_key["endpoints"][0] if producer_key and producer_key["endpoints"]
                                 else sw.producer_endpoint(args.home))
    bus = args.bus or (consumer_key["endpoints"][0] if consumer_key and consumer_key["endpoints"]
                       else sw.bus_subscribe_endpoint(args.home))
    if not args.bus and not consumer_key and endpoint.startswith("tcp://"):
        bus = "tcp://"  # another machine's hub: its bus is on tcp too, and needs a consumer key
    endpoint, bus = with_host(endpoint, args.host), with_host(bus, args.host)
    if endpoint.startswith("tcp://") and not producer_key:
        raise SystemExit("osd_watch_bridge: tcp needs a producer key: on the hub run "
                         "`spasmwatch keys new NAME --role producer --sensor ID > NAME.key`, copy it here, "
                         "chmod 600, and pass --producer-key NAME.key")
    if not args.no_alerts and bus.startswith("tcp://") and not consumer_key:
        raise SystemExit("osd_watch_bridge: to learn of alerts over tcp the bridge needs a consumer key: "
                         "`spasmwatch keys new NAME --role consumer > NAME.key` on the hub, then --consumer-key "
                         "NAME.key (or --no-alerts: the watch then shows only OK or FAULT)")
    sensor_id = args.sensor_id
    if sensor_id is None:
        sensor_id = producer_key["sensors"][0] if producer_key and len(producer_key["sensors"]) == 1 else "osd-watch"
    return endpoint, producer_key, bus, consumer_key, sensor_id


def main(argv=None, connect=None, clock=time.time, attempts=None):
    args = parse_args(argv)
    endpoint, producer_key, bus, consumer_key, sensor_id = configure(args)

    def log(message):
        print(f"osd_watch_bridge: {message}", file=sys.stderr, flush=True)

    alarm = AlarmState(sensor_id, person=args.person, hold=args.hold, watch_alerts=not args.no_alerts, test=args.test)
    sender = FrameSender(endpoint, producer_key, in_flight=args.in_flight, log=log,
                         on_accepted=lambda: alarm.frame_accepted(clock()))
    batcher = Batcher(frame_samples=args.frame_samples)
    seq = [0]

    def make_header(first_time, count, battery):
        header = {"v": 1, "sensorId": sensor_id, "kind": "imu", "placement": args.placement, "sampleRate": RATE_HZ,
                  "unit": "g", "firstSampleTime": first_time, "sampleCount": count, "producer": "osd-watch-bridge",
                  "device": "watch", "seq": seq[0]}
        seq[0] += 1
        if battery is not None:
            header["battery"] = battery
        if args.test:
            header["test"] = True
        return header

    def session():
        return WatchSession(batcher, alarm, make_header, sender.submit, status_interval=args.status_seconds,
                            clock=clock, log=log)

    async def bridge():
        tasks = [asyncio.create_task(sender.run())]
        if not args.no_alerts:
            tasks.append(asyncio.create_task(watch_alerts(bus, consumer_key, alarm, log=log, clock=clock)))
        for task in tasks:  # should one stop, say why: the watch then shows FAULT within 20 s
            task.add_done_callback(lambda t: t.cancelled() or t.exception() is None
                                   or log(f"stopped: {describe(t.exception())}; the watch is told FAULT"))
        log(f"sensor {sensor_id} at {args.placement} -> {endpoint}" + ("" if args.no_alerts else f"; alerts from {bus}"))
        try:
            return await run_bridge(connect or bleak_connector(args.address), session, log=log, attempts=attempts)
        finally:
            await sender.drained(10.0)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            log(f"{sender.accepted} frames accepted, {sender.rejected} refused, {sender.dropped} dropped; "
                f"{batcher.gaps} gaps, {batcher.inserted} samples repeated, {batcher.dropped} skipped (clock drift)")

    if connect is None:
        try:
            import bleak  # noqa: F401
        except ImportError:
            raise SystemExit("osd_watch_bridge: bleak is not installed: pip install bleak")
    try:
        return asyncio.run(bridge())
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
