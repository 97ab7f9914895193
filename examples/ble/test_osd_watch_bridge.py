"""Tests of the OSD watch bridge without a radio: python3 -m unittest discover -s examples/ble

The byte fixtures follow OSD's documented layout (docs/devices.md, "OpenSeizureDetector
watches"); the watch is FakeWatchClient (fake_watch.py), which answers like bleak's
BleakClient. The sender tests use real ZeroMQ sockets against a stand-in ingestion (ROUTER).
"""
import asyncio
import json
import os
import random
import shutil
import struct
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_watch  # noqa: E402
import osd_watch_bridge as bridge  # noqa: E402

# Fixtures, byte by byte.
# Format 3: int16 LE x, y, z in mg; a Bangle.js sends 3 samples (18 bytes) per notification.
FORMAT_3_BANGLE = bytes([
    0x00, 0x00, 0x00, 0x00, 0xE8, 0x03,   # (0, 0, 1000 mg): lying flat
    0xF4, 0x01, 0x0C, 0xFE, 0x00, 0x00,   # (500, -500, 0)
    0xFF, 0x7F, 0x00, 0x80, 0x18, 0xFC,   # (32767, -32768, -1000): the int16 limits
])
# InfiniTime (PineTime): the same layout, counts of 1/1024 g (BMA421 driver): 1024 = 1 g.
INFINITIME_1G_ON_Z = bytes([0x00, 0x00, 0x00, 0x00, 0x00, 0x04])
# Format 0: one unsigned byte per sample, the magnitude, 64 = 1 g (18 samples per notification).
FORMAT_0_MAGNITUDE = bytes([64] * 18)
# Format 1: int16 LE magnitude in mg.
FORMAT_1_MAGNITUDE = struct.pack("<9h", *([1000] * 9))


def run(coro):
    return asyncio.run(coro)


class DecodingTests(unittest.TestCase):
    def test_format_3_bangle_notification(self):
        samples = bridge.decode_xyz(FORMAT_3_BANGLE, bridge.OSD_PROFILE.counts_per_g)
        self.assertEqual(samples, [(0.0, 0.0, 1.0), (0.5, -0.5, 0.0), (32.767, -32.768, -1.0)])

    def test_infinitime_counts_are_1024_per_g(self):
        samples = bridge.decode_xyz(INFINITIME_1G_ON_Z, bridge.INFINITIME_PROFILE.counts_per_g)
        self.assertEqual(samples, [(0.0, 0.0, 1.0)])

    def test_a_notification_that_is_not_whole_samples_is_an_error(self):
        with self.assertRaisesRegex(ValueError, "17 bytes is not whole x, y, z samples"):
            bridge.decode_xyz(FORMAT_3_BANGLE[:17], 1000.0)

    def test_magnitude_formats_are_refused_with_what_is_needed(self):
        for code in (0, 1):
            with self.assertRaises(bridge.FormatRefused) as caught:
                bridge.check_format(code)
            self.assertIn(f"format {code}", str(caught.exception))
            self.assertIn("SpasmWatch needs x, y and z (format 3)", str(caught.exception))
        with self.assertRaisesRegex(bridge.FormatRefused, "format 2, which is unknown"):
            bridge.check_format(2)
        bridge.check_format(3)

    def test_battery_byte(self):
        self.assertEqual(bridge.decode_battery(bytes([87])), 87)
        self.assertEqual(bridge.decode_battery(bytes([100])), 100)
        self.assertIsNone(bridge.decode_battery(bytes([101])))  # ingestion would refuse the frame
        self.assertIsNone(bridge.decode_battery(b""))

    def test_fixture_encoder_matches_the_layout(self):
        self.assertEqual(fake_watch.xyz_notification([(0, 0, 1), (0.5, -0.5, 0), (32.767, -32.768, -1)]),
                         FORMAT_3_BANGLE)


def notifications(seconds, rate=25.0, latency=lambda: 0.03, per=3, start=1_764_000_000.0):
    """(arrival, samples) of a watch whose real rate is `rate`, each sample numbered."""
    out, n = [], 0
    while n < seconds * rate:
        samples = [(float(n + i), 0.0, 1.0) for i in range(per)]
        out.append((start + (n + per) / rate + latency(), samples))
        n += per
    return out


class BatchingTests(unittest.TestCase):
    def feed(self, batcher, items):
        frames = []
        for arrival, samples in items:
            frames += batcher.add(samples, arrival)
        return frames

    def assertContiguous(self, frames, period=0.04):
        for (t0, s0), (t1, _) in zip(frames, frames[1:]):
            self.assertAlmostEqual(t1, t0 + len(s0) * period, places=6)

    def test_frames_of_six_samples_on_an_unbroken_25_hz_clock(self):
        batcher = bridge.Batcher(frame_samples=6)
        frames = self.feed(batcher, notifications(10))
        self.assertEqual(len(frames), 42)  # 84 notifications of 3: 252 samples, 42 frames of 6
        self.assertTrue(all(len(samples) == 6 for _, samples in frames))
        self.assertContiguous(frames)
        self.assertEqual([s[0] for _, samples in frames for s in samples], [float(i) for i in range(252)])
        self.assertAlmostEqual(frames[0][0], 1_764_000_000.0 + 0.03)  # the first sample, as late as its notification
        self.assertEqual(batcher.drain(), [])
        self.assertEqual(len(self.feed(batcher, notifications(0.1, start=1_764_000_010.0))), 0)
        self.assertEqual(len(batcher.drain()[0][1]), 3)
        self.assertEqual((batcher.inserted, batcher.dropped, batcher.gaps), (0, 0, 0))

    def test_arrival_jitter_changes_no_time_stamp(self):
        rng = random.Random(7)
        batcher = bridge.Batcher()
        frames = self.feed(batcher, notifications(120, latency=lambda: rng.uniform(0.0, 0.06)))
        self.assertContiguous(frames)
        self.assertEqual((batcher.inserted, batcher.dropped, batcher.gaps), (0, 0, 0))

    def test_a_slow_watch_repeats_a_sample_now_and_then_and_keeps_time(self):
        batcher = bridge.Batcher()
        items = notifications(300, rate=24.75)  # 1 % slow: 75 samples fewer in 5 minutes
        frames = self.feed(batcher, items) + batcher.drain()
        self.assertContiguous(frames)
        self.assertTrue(70 <= batcher.inserted <= 76, batcher.inserted)
        last_time, last_samples = frames[-1]
        end = last_time + len(last_samples) / 25.0
        self.assertLess(abs(end - (items[-1][0] - 0.03)), 0.2)  # still on the watch's real clock

    def test_a_fast_watch_skips_a_sample_now_and_then_and_keeps_time(self):
        batcher = bridge.Batcher()
        items = notifications(300, rate=25.25)
        frames = self.feed(batcher, items) + batcher.drain()
        self.assertContiguous(frames)
        self.assertTrue(70 <= batcher.dropped <= 78, batcher.dropped)
        last_time, last_samples = frames[-1]
        self.assertLess(abs(last_time + len(last_samples) / 25.0 - (items[-1][0] - 0.03)), 0.2)

    def test_lost_notifications_leave_a_gap_of_that_length(self):
        batcher = bridge.Batcher()
        items = notifications(20)
        kept = [item for item in items if not (10.0 <= item[0] - items[0][0] < 12.0)]  # 2 s lost
        frames = self.feed(batcher, kept)
        self.assertEqual(batcher.gaps, 1)
        jumps = [t1 - (t0 + len(s0) / 25.0) for (t0, s0), (t1, _) in zip(frames, frames[1:])]
        big = [j for j in jumps if j > 0.001]
        self.assertEqual(len(big), 1)
        self.assertAlmostEqual(big[0], 2.0, delta=0.13)

    def test_notifications_held_up_then_delivered_together_are_no_gap(self):
        batcher = bridge.Batcher()
        items = notifications(30)
        t0 = items[0][0]
        # For 2 s nothing arrives (the machine was busy); then all of it at once, then on time.
        held = [(max(arrival, t0 + 12.0) if 10.0 <= arrival - t0 < 12.0 else arrival, samples) for arrival, samples in items]
        frames = self.feed(batcher, held) + batcher.drain()
        self.assertContiguous(frames)
        self.assertEqual((batcher.gaps, batcher.inserted, batcher.dropped), (0, 0, 0))
        self.assertEqual([s[0] for _, samples in frames for s in samples], [float(i) for i in range(len(items) * 3)])

    def test_a_new_connection_anchors_again(self):
        batcher = bridge.Batcher()
        self.feed(batcher, notifications(2))
        batcher.drain()
        batcher.restart()
        frames = batcher.add([(0.0, 0.0, 1.0)] * 6, 1_764_000_100.0)
        self.assertAlmostEqual(frames[0][0], 1_764_000_100.0 - 6 / 25.0)

    def test_a_quick_reconnection_never_goes_back_in_time(self):
        batcher = bridge.Batcher()
        frames = self.feed(batcher, notifications(2)) + batcher.drain()
        end = frames[-1][0] + len(frames[-1][1]) / 25.0
        batcher.restart()
        again = batcher.add([(0.0, 0.0, 1.0)] * 6, end - 0.1)  # its first notification came early
        self.assertAlmostEqual(again[0][0], end)


def envelope(kind, severity, alert_id="a1", person="me", at=1000.0, test=None, **extra):
    body = {"alertId": alert_id, "kind": kind, "severity": severity, "at": at, **extra}
    if test:
        body["test"] = True
    return {"v": 1, "type": "alert", "person": person, "body": body}


class AlarmStateTests(unittest.TestCase):
    def healthy(self, **kw):
        alarm = bridge.AlarmState("watch-l", hold=120, **kw)
        alarm.frame_accepted(1000.0)
        alarm.on_message("heartbeat.spasmwatch-detect", {"v": 1, "type": "heartbeat", "body": {}}, 1000.0)
        return alarm

    def test_ok_only_while_frames_are_taken_and_the_detector_is_heard(self):
        alarm = bridge.AlarmState("watch-l")
        self.assertEqual(alarm.status(1000.0), bridge.STATUS_FAULT)  # nothing accepted yet
        alarm = self.healthy()
        self.assertEqual(alarm.status(1001.0), bridge.STATUS_OK)
        self.assertEqual(alarm.status(1016.0), bridge.STATUS_FAULT)  # detector silent 16 s
        alarm = self.healthy(watch_alerts=False)
        self.assertEqual(alarm.status(1019.0), bridge.STATUS_OK)
        self.assertEqual(alarm.status(1021.0), bridge.STATUS_FAULT)  # no frame accepted for 21 s

    def test_alert_kinds_map_to_the_watch_states(self):
        cases = [("fall", "critical", bridge.STATUS_FALL), ("clonus", "critical", bridge.STATUS_ALARM),
                 ("tonic", "warning", bridge.STATUS_WARNING), ("phasic", "info", bridge.STATUS_OK),
                 ("test", "info", bridge.STATUS_WARNING), ("service-down", "warning", bridge.STATUS_FAULT)]
        for kind, severity, expected in cases:
            alarm = self.healthy()
            alarm.on_message(f"alert.{severity}", envelope(kind, severity), 1000.5)
            self.assertEqual(alarm.status(1001.0), expected, kind)

    def test_sensor_silent_counts_only_for_this_watch(self):
        alarm = self.healthy()
        alarm.on_message("alert.warning", envelope("sensor-silent", "warning", groupKey="sensor-silent:ankle-r"), 1000.5)
        self.assertEqual(alarm.status(1001.0), bridge.STATUS_OK)
        alarm.on_message("alert.warning", envelope("sensor-silent", "warning", alert_id="a2",
                                                   groupKey="sensor-silent:ankle-r,watch-l"), 1000.5)
        self.assertEqual(alarm.status(1001.0), bridge.STATUS_FAULT)

    def test_fall_outranks_alarm_and_holds_until_acknowledged(self):
        alarm = self.healthy()
        alarm.on_message("alert.critical", envelope("clonus", "critical", alert_id="c"), 1000.5)
        alarm.on_message("alert.critical", envelope("fall", "critical", alert_id="f"), 1000.5)
        self.assertEqual(alarm.status(1001.0), bridge.STATUS_FALL)
        alarm.on_message("acknowledgement", {"v": 1, "type": "acknowledgement", "body": {"alertId": "f"}}, 1002.0)
        self.assertEqual(alarm.status(1002.0), bridge.STATUS_ALARM)
        alarm.on_message("acknowledgement.help", {"v": 1, "type": "acknowledgement", "body": {"alertId": "c"}}, 1003.0)
        self.assertEqual(alarm.status(1003.0), bridge.STATUS_ALARM, "I need help does not end the alarm")

    def test_an_alert_ends_after_the_hold(self):
        alarm = self.healthy(watch_alerts=False)
        alarm.on_message("alert.critical", envelope("fall", "critical", at=1000.0), 1000.0)
        alarm.frame_accepted(1119.0)
        self.assertEqual(alarm.status(1119.0), bridge.STATUS_FALL)
        self.assertEqual(alarm.status(1121.0), bridge.STATUS_OK)

    def test_others_alerts_old_resends_and_test_alerts_are_not_shown(self):
        alarm = self.healthy()
        alarm.on_message("alert.critical", envelope("fall", "critical", person="anna"), 1000.5)
        alarm.on_message("alert.critical", envelope("fall", "critical", alert_id="old", at=700.0), 1000.5)
        alarm.on_message("alert.critical", envelope("fall", "critical", alert_id="t", test=True), 1000.5)
        alarm.on_message("alert.critical", {"v": 2, "type": "alert", "body": {"alertId": "v2", "kind": "fall"}}, 1000.5)
        self.assertEqual(alarm.status(1001.0), bridge.STATUS_OK)
        tester = self.healthy(test=True)
        tester.on_message("alert.critical", envelope("fall", "critical", alert_id="t", test=True), 1000.5)
        self.assertEqual(tester.status(1001.0), bridge.STATUS_FALL)


class Clock:
    def __init__(self, t=1_764_000_000.0):
        self.t = t

    def __call__(self):
        return self.t


class SessionTests(unittest.TestCase):
    def make(self, alarm=None, clock=None):
        submitted = []
        alarm = alarm or bridge.AlarmState("watch-l", watch_alerts=False)
        clock = clock or Clock()
        logs = []
        session = bridge.WatchSession(
            bridge.Batcher(), alarm,
            lambda t, n, battery: {"firstSampleTime": t, "sampleCount": n, "battery": battery, "device": "watch"},
            lambda header, samples: submitted.append((header, samples)),
            status_interval=0.05, clock=clock, log=logs.append)
        return session, submitted, alarm, clock, logs

    def test_streams_frames_with_battery_and_writes_the_status(self):
        async def scenario():
            session, submitted, alarm, clock, _ = self.make()
            watch = fake_watch.FakeWatchClient(battery=87)
            task = asyncio.create_task(session.run(watch, watch.disconnected))
            await asyncio.sleep(0.01)
            for i in range(4):
                clock.t += 0.12
                watch.send(FORMAT_3_BANGLE)
            alarm.frame_accepted(clock.t)
            while len(watch.statuses()) < 2:
                await asyncio.sleep(0.01)
            alarm.on_message("alert.critical", envelope("fall", "critical", at=clock.t), clock.t)
            while watch.statuses()[-1] != bridge.STATUS_FALL:
                await asyncio.sleep(0.01)
            watch.send_battery(86)
            clock.t += 0.12
            watch.send(FORMAT_3_BANGLE)
            clock.t += 0.12
            watch.send(FORMAT_3_BANGLE)
            watch.drop()
            await task
            return submitted, watch

        submitted, watch = run(scenario())
        self.assertEqual([h["sampleCount"] for h, _ in submitted], [6, 6, 6])
        self.assertEqual(submitted[0][1][:6], [0.0, 0.0, 1.0, 0.5, -0.5, 0.0])
        self.assertEqual([h["battery"] for h, _ in submitted], [87, 87, 86])
        self.assertEqual(watch.statuses()[:2], [bridge.STATUS_OK, bridge.STATUS_OK])
        self.assertEqual(watch.statuses()[-1], bridge.STATUS_FALL)
        self.assertTrue(all(uuid == bridge.OSD_STATUS and response for uuid, _, response in watch.writes))

    def test_a_link_lost_just_before_a_status_write_is_a_disconnect_not_a_failure(self):
        # Seen in CI under load: the status interval ended as the link dropped, the write
        # raised ConnectionError, and the bridge said "connection failed" for a plain drop.
        async def scenario():
            session, _, alarm, clock, _ = self.make()
            watch = fake_watch.FakeWatchClient(battery=87)
            task = asyncio.create_task(session.run(watch, watch.disconnected))
            await asyncio.sleep(0.01)
            while len(watch.statuses()) < 1:
                await asyncio.sleep(0.01)
            watch.is_connected = False  # the radio is gone; the disconnect event comes after
            await task  # returns: no ConnectionError out of the session
            return watch

        watch = run(scenario())
        self.assertFalse(watch.is_connected)

    def test_infinitime_has_no_format_characteristic_and_uses_its_own_status(self):
        async def scenario():
            session, submitted, alarm, clock, _ = self.make()
            watch = fake_watch.FakeWatchClient(profile="infinitime")
            task = asyncio.create_task(session.run(watch, watch.disconnected))
            await asyncio.sleep(0.01)
            watch.send(INFINITIME_1G_ON_Z * 6)
            while not watch.statuses():
                await asyncio.sleep(0.01)
            watch.drop()
            await task
            return submitted, watch

        submitted, watch = run(scenario())
        self.assertEqual(submitted[0][1][:3], [0.0, 0.0, 1.0])
        self.assertEqual(watch.writes[0][0], bridge.INFINITIME_OSD_STATUS)

    def test_magnitude_format_refused_before_streaming(self):
        for code in (0, 1):
            session, submitted, *_ = self.make()
            watch = fake_watch.FakeWatchClient(acc_format=code)
            with self.assertRaisesRegex(bridge.FormatRefused, "needs x, y and z"):
                run(session.run(watch, watch.disconnected))
            self.assertEqual(watch.notify, {})

    def test_a_watch_without_the_format_characteristic_is_format_0_and_refused(self):
        session, *_ = self.make()
        watch = fake_watch.FakeWatchClient(has_format=False)
        with self.assertRaisesRegex(bridge.FormatRefused, "format 0"):
            run(session.run(watch, watch.disconnected))

    def test_a_watch_app_without_status_streams_and_says_it_cannot_be_told(self):
        async def scenario():
            session, submitted, _, _, logs = self.make()
            watch = fake_watch.FakeWatchClient(has_status=False)
            task = asyncio.create_task(session.run(watch, watch.disconnected))
            await asyncio.sleep(0.15)
            watch.send(FORMAT_3_BANGLE * 2)
            watch.drop()
            await task
            return submitted, watch, logs

        submitted, watch, logs = run(scenario())
        self.assertEqual(len(submitted), 1)
        self.assertEqual(watch.writes, [])
        self.assertTrue(any("no status characteristic" in line for line in logs))


    def test_a_connected_but_silent_watch_is_left_to_connect_again(self):
        async def scenario():
            session, submitted, alarm, clock, logs = self.make()
            watch = fake_watch.FakeWatchClient()
            task = asyncio.create_task(session.run(watch, watch.disconnected))
            await asyncio.sleep(0.01)
            watch.send(FORMAT_3_BANGLE * 2)
            clock.t += 29.0
            await asyncio.sleep(0.2)
            self.assertFalse(task.done(), "29 s without data is not yet silent")
            clock.t += 2.0
            await asyncio.wait_for(task, 5)
            return logs

        logs = run(scenario())
        self.assertIn("no data from the watch for 30 s; connecting again", logs)


class ReconnectTests(unittest.TestCase):
    def test_backoff_doubles_to_16_s_and_stays(self):
        backoff = bridge.Backoff()
        self.assertEqual([backoff.next() for _ in range(7)], [1, 2, 4, 8, 16, 16, 16])
        backoff.reset()
        self.assertEqual(backoff.next(), 1)

    def test_failed_connections_back_off_and_a_good_one_resets(self):
        sleeps, attempts, logs = [], [], []
        watches = []

        async def connect():
            attempts.append(len(attempts))
            if len(attempts) in (1, 2, 3, 5, 7):
                raise OSError("watch not found")
            watch = fake_watch.FakeWatchClient()
            watches.append(watch)
            asyncio.get_running_loop().call_later(0.02, lambda: (watch.send(FORMAT_3_BANGLE * 2), watch.drop()))
            return watch, watch.disconnected

        async def sleep(delay):
            sleeps.append(delay)

        def session():
            return bridge.WatchSession(bridge.Batcher(), bridge.AlarmState("w", watch_alerts=False),
                                       lambda t, n, b: {}, lambda h, s: None, status_interval=0.01, log=logs.append)

        result = run(bridge.run_bridge(connect, session, sleep=sleep, log=logs.append, attempts=7))
        self.assertEqual(result, 0)
        # fail, fail, fail, streamed (reset), fail, streamed (reset), fail (the last: no wait after it)
        self.assertEqual(sleeps, [1, 2, 4, 1, 2, 1])
        self.assertEqual(len(watches), 2)
        self.assertTrue(any("connection failed: OSError: watch not found" in line for line in logs))
        self.assertIn("sudo systemctl start bluetooth", bridge.describe(FileNotFoundError(2, "No such file or directory")))

    def test_a_refused_format_stops_the_bridge(self):
        async def connect():
            watch = fake_watch.FakeWatchClient(acc_format=0)
            return watch, watch.disconnected

        logs = []

        def session():
            return bridge.WatchSession(bridge.Batcher(), bridge.AlarmState("w"), lambda t, n, b: {},
                                       lambda h, s: None, log=logs.append)

        result = run(bridge.run_bridge(connect, session, sleep=lambda d: asyncio.sleep(0), log=logs.append))
        self.assertEqual(result, 2)
        self.assertTrue(any(line.startswith("refused: the watch sends acceleration format 0") for line in logs))


try:
    import zmq
except ImportError:  # deploy/stack test installs pyzmq
    zmq = None


class StandInIngestion:
    """A ROUTER answering like sensor ingestion: ok, or "unavailable" for the first `unavailable` frames."""

    def __init__(self, endpoint, unavailable=0, drop_first=0, garbage_first=0):
        self.garbage_first = garbage_first
        self.context = zmq.Context()
        self.sock = self.context.socket(zmq.ROUTER)
        self.sock.bind(endpoint)
        self.unavailable, self.drop_first = unavailable, drop_first
        self.received = []
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop:
            if not self.sock.poll(50):
                continue
            identity, *parts = self.sock.recv_multipart()
            header = json.loads(parts[-2])
            self.received.append(header["seq"])
            if self.drop_first:
                self.drop_first -= 1
                continue  # never answered
            if self.garbage_first:
                self.garbage_first -= 1
                self.sock.send_multipart([identity, b"<html>not json"])
                continue
            if self.unavailable:
                self.unavailable -= 1
                reply = {"ok": False, "reason": "unavailable", "error": "the bus is not connected", "seq": header["seq"]}
            else:
                reply = {"ok": True, "accepted": header["sampleCount"], "seq": header["seq"]}
            self.sock.send_multipart([identity, json.dumps(reply).encode()])

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close(linger=0)
        self.context.term()


@unittest.skipIf(zmq is None, "pyzmq is not installed")
class SenderTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.endpoint = "ipc://" + os.path.join(self.dir, "producers.sock")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def send(self, ingestion, frames, expect=None, **kw):
        kw.setdefault("log", lambda m: None)

        async def scenario():
            sender = bridge.FrameSender(self.endpoint, in_flight=4, **kw)
            task = asyncio.create_task(sender.run())
            for seq in range(frames):
                sender.submit({"seq": seq, "sampleCount": 6}, [0.0] * 18)
            while sender.accepted < (frames if expect is None else expect):
                await asyncio.sleep(0.01)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            return sender

        try:
            return asyncio.run(asyncio.wait_for(scenario(), 30))
        finally:
            ingestion.close()

    def test_frames_in_flight_all_accepted_in_order(self):
        ingestion = StandInIngestion(self.endpoint)
        sender = self.send(ingestion, 50)
        self.assertEqual(ingestion.received, list(range(50)))
        self.assertEqual((sender.accepted, sender.rejected, sender.resent), (50, 0, 0))

    def test_unavailable_frames_go_again_in_order(self):
        ingestion = StandInIngestion(self.endpoint, unavailable=6)
        sender = self.send(ingestion, 20)
        self.assertEqual(sender.accepted, 20)
        accepted_order = ingestion.received[6:]
        self.assertEqual(sorted(set(accepted_order)), list(range(20)))
        self.assertGreaterEqual(sender.resent, 6)

    def test_a_reply_that_is_not_json_counts_as_refused_and_sending_goes_on(self):
        ingestion = StandInIngestion(self.endpoint, garbage_first=1)
        logs = []
        sender = self.send(ingestion, 5, expect=4, log=logs.append)
        self.assertEqual((sender.accepted, sender.rejected), (4, 1))
        self.assertTrue(any("a reply that is not JSON" in line for line in logs), logs)

    def test_no_reply_connects_again_and_sends_again(self):
        ingestion = StandInIngestion(self.endpoint, drop_first=2)
        sender = self.send(ingestion, 10, reply_timeout=0.3)
        self.assertEqual(sender.accepted, 10)
        self.assertGreaterEqual(sender.resent, 2)


class KeyFileTests(unittest.TestCase):
    SHOW = """key:                 watch-l (producer)
server public key:   {server}
connect to:          producer endpoint (REQ, frames)  tcp://0.0.0.0:5570
may send sensors:    watch-l (frames for any other sensor id are refused)
public key:          {public}
secret key:          {secret}
"""

    def write(self, text, mode=0o600):
        fd, path = tempfile.mkstemp()
        os.write(fd, text.encode())
        os.close(fd)
        os.chmod(path, mode)
        self.addCleanup(os.remove, path)
        return path

    def test_keys_show_output_is_read_and_the_host_replaced(self):
        path = self.write(self.SHOW.format(server="S" * 40, public="P" * 40, secret="Q" * 40))
        args = bridge.parse_args(["--producer-key", path, "--no-alerts", "--host", "hub.local"])
        endpoint, key, _, _, sensor = bridge.configure(args)
        self.assertEqual(endpoint, "tcp://hub.local:5570")
        self.assertEqual((key["server"], key["public"], key["secret"], key["role"]), ("S" * 40, "P" * 40, "Q" * 40, "producer"))
        self.assertEqual(sensor, "watch-l")

    def test_a_key_file_others_can_read_is_refused(self):
        path = self.write(self.SHOW.format(server="S" * 40, public="P" * 40, secret="Q" * 40), mode=0o644)
        with self.assertRaisesRegex(SystemExit, "chmod 600"):
            bridge.configure(bridge.parse_args(["--producer-key", path]))

    def test_tcp_without_keys_says_how_to_make_them(self):
        with self.assertRaisesRegex(SystemExit, "keys new NAME --role producer"):
            bridge.configure(bridge.parse_args(["--endpoint", "tcp://hub:5570"]))
        path = self.write(self.SHOW.format(server="S" * 40, public="P" * 40, secret="Q" * 40))
        with self.assertRaisesRegex(SystemExit, "--role consumer"):
            bridge.configure(bridge.parse_args(["--producer-key", path]))


if __name__ == "__main__":
    unittest.main()
