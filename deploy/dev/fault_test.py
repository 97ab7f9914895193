#!/usr/bin/env python3
"""The fault test: the whole stack under load, every service killed with kill -9 in turn.

    deploy/dev/fault-test.sh [--minutes N] [--sensors 100] [--seed S] [--keep]

Without --minutes: the short form (about 3 minutes, every service killed once; CI runs
it from `deploy/stack test`). With --minutes N the load runs N minutes and the kills keep
cycling through the services.

What it does:
  1. `deploy/stack up` on a temporary data home (its own ports and page token), with the
     executables in $SPASMWATCH_BIN (default: the debug build, `swift build --show-bin-path`).
  2. Load: `spasmwatch-sensor simulate` with 100 simulated sensors in real time; diary
     entries through the CLI (`spasmwatch log spasm --note …`) and through HTTP
     (POST /api/entries on the manual service, with its token), each with a unique note;
     a subscriber on the bus notes every episode, alert and heartbeat published.
  3. Faults: bus, sensor, manual, detect, store, notify in turn, each killed with SIGKILL
     at a random moment and started again with `deploy/stack start SERVICE`.
  4. Checks (exit 1 when any fails, saying which):
     - every diary entry acknowledged to its sender is stored exactly once (by its note),
       and none that was not is stored twice;
     - every episode and alert heard on the bus is stored exactly once, ended episodes
       with their end;
     - no episode left open once the stack has settled;
     - frames lost as the counters say (`spasmwatch sensors`: accepted at ingestion vs
       stored) equal frames missing in storage (rows in the raw database), per sensor;
     - no service alive but not processing: after the last restart each one's heartbeat
       comes from the pid deploy/stack started, is fresh, and its work counter moves.

Python 3 with pyzmq (deploy/stack test installs it); sqlite3 reads the store read-only.
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import zmq

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STACK = os.path.join(ROOT, "deploy", "stack")
# The kill order; every name is spasmwatch-<name>.
SERVICES = ["bus", "sensor", "manual", "detect", "store", "notify"]
# The counter in each service's heartbeat that moves while it does its work. The bus has
# none: it works when every other service's heartbeat reaches us through it.
WORK_COUNTERS = {"sensor": "frames.accepted", "manual": "entries.accepted", "detect": "frames.processed",
                 "store": "store.commits", "notify": "bus.received"}
SENSOR_PREFIX = "fault"


def log(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """The stack on its own home, driven through deploy/stack and the CLI."""

    def __init__(self, home, bin_dir):
        self.home = home
        self.bin = bin_dir
        self.env = dict(os.environ, SPASMWATCH_HOME=home, SPASMWATCH_BIN=bin_dir)
        self.token = uuid.uuid4().hex
        self.manual_port = free_port()
        self.sensor_port = free_port()
        self.metrics_port = free_port()

    def configure(self):
        config = {"manual": {"httpPort": self.manual_port, "httpToken": self.token},
                  "sensor": {"httpPort": self.sensor_port}, "metrics": {"httpPort": self.metrics_port}}
        with open(os.path.join(self.home, "config.json"), "w") as f:
            json.dump(config, f)

    def stack(self, *args, check=True):
        result = subprocess.run([STACK, *args], env=self.env, capture_output=True, text=True, timeout=180)
        if check and result.returncode != 0:
            raise RuntimeError(f"deploy/stack {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result

    def cli(self, *args, timeout=60):
        return subprocess.run([os.path.join(self.bin, "spasmwatch"), *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def pid(self, service):
        try:
            with open(os.path.join(self.home, "pids", f"spasmwatch-{service}.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def run_dir(self):
        try:
            with open(os.path.join(self.home, "run.path")) as f:
                return f.read().strip()
        except OSError:
            return os.path.join(self.home, "run")

    def db(self, name):
        """A read-only connection to a database in the home's data/ folder."""
        path = os.path.join(self.home, "data", name)
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        connection.execute("PRAGMA busy_timeout = 10000")
        return connection


class BusWatcher(threading.Thread):
    """A subscriber on the bus: every episode and alert published, and the latest heartbeat
    of each service. Its own socket on its own thread."""

    def __init__(self, endpoint):
        super().__init__(daemon=True)
        self.endpoint = endpoint
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.episodes = {}      # episodeId -> set of phases heard
        self.alerts = {}        # alertId -> (source, kind)
        self.heartbeats = {}    # service name -> (received at, pid, counters)
        self.last_seq = {}      # (source, epoch, topic) -> seq
        self.gaps = 0

    def run(self):
        context = zmq.Context()
        sub = context.socket(zmq.SUB)
        sub.setsockopt(zmq.RCVHWM, 200000)
        sub.setsockopt(zmq.RECONNECT_IVL, 100)
        sub.setsockopt(zmq.RECONNECT_IVL_MAX, 1000)
        for prefix in (b"episode.", b"alert.", b"heartbeat."):
            sub.setsockopt(zmq.SUBSCRIBE, prefix)
        sub.connect(self.endpoint)
        poller = zmq.Poller()
        poller.register(sub, zmq.POLLIN)
        while not self.stop.is_set():
            if not poller.poll(200):
                continue
            while True:
                try:
                    parts = sub.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                if len(parts) >= 2:
                    self.note(parts[0].decode(errors="replace"), parts[1])
        sub.close(0)
        context.term()

    def note(self, topic, envelope_bytes):
        try:
            envelope = json.loads(envelope_bytes)
        except ValueError:
            return
        body = envelope.get("body") or {}
        with self.lock:
            key = (envelope.get("source"), envelope.get("epoch"), topic)
            seq = envelope.get("seq")
            if isinstance(seq, int) and key in self.last_seq and seq > self.last_seq[key] + 1:
                self.gaps += seq - self.last_seq[key] - 1
            if isinstance(seq, int):
                self.last_seq[key] = seq
            if topic.startswith("episode.") and "episodeId" in body:
                self.episodes.setdefault(body["episodeId"].lower(), set()).add(body.get("phase"))
            elif topic.startswith("alert.") and "alertId" in body:
                self.alerts[body["alertId"].lower()] = (envelope.get("source"), body.get("kind"))
            elif topic.startswith("heartbeat."):
                service = topic[len("heartbeat.spasmwatch-"):]
                self.heartbeats[service] = (time.time(), body.get("pid"), body.get("counters") or {})

    def heartbeat(self, service):
        with self.lock:
            return self.heartbeats.get(service)

    def snapshot(self):
        with self.lock:
            return {k: set(v) for k, v in self.episodes.items()}, dict(self.alerts), self.gaps


class Simulator:
    """`spasmwatch-sensor simulate`: the sensors, through the real producer endpoint."""

    def __init__(self, stack, sensors, seed, log_path):
        self.log_path = log_path
        self.out = open(log_path, "w")
        self.process = subprocess.Popen(
            [os.path.join(stack.bin, "spasmwatch-sensor"), "simulate", "--sensors", str(sensors), "--speed", "1",
             "--seed", str(seed), "--prefix", SENSOR_PREFIX],
            env=stack.env, stdout=self.out, stderr=subprocess.STDOUT)

    def stop(self):
        """Stops it (SIGINT: each thread finishes its frame) and returns, per sensor, the frames
        sent and those whose reply was not "accepted"."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.out.close()
        sent, refused, errors = {}, {}, 0
        with open(self.log_path) as f:
            for line in f:
                if line.startswith("sent "):
                    for part in line[5:].split(", "):
                        name, _, count = part.partition(": ")
                        sent[name.strip()] = int(count.split()[0])
                elif ": frame rejected: " in line:
                    name = line.split(":")[0]
                    refused[name] = refused.get(name, 0) + 1
                elif line.startswith(f"{SENSOR_PREFIX}-") and "injected" not in line:
                    errors += 1
        return sent, refused, errors


class CliWriter(threading.Thread):
    """Diary entries through `spasmwatch log spasm`, one after another."""

    def __init__(self, stack):
        super().__init__(daemon=True)
        self.stack = stack
        self.stop = threading.Event()
        self.sent = []   # (note, acknowledged)

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            note = f"fault-cli-{n}-{uuid.uuid4().hex[:8]}"
            try:
                result = self.stack.cli("log", "spasm", "--type", "phasic", "--severity", "1", "--note", note, timeout=60)
                acknowledged = result.returncode == 0 and result.stdout.startswith("saved ")
            except subprocess.TimeoutExpired:
                acknowledged = False
            self.sent.append((note, acknowledged))
            self.stop.wait(0.3)


class HttpWriter(threading.Thread):
    """Diary entries through POST /api/entries, as the phone page sends them: JSON, the
    page token, an entryId of its own so a re-send after no answer is the same entry."""

    def __init__(self, stack):
        super().__init__(daemon=True)
        self.stack = stack
        self.stop = threading.Event()
        self.sent = []   # (note, acknowledged)
        self.retries = 0

    def post(self, body):
        connection = http.client.HTTPConnection("127.0.0.1", self.stack.manual_port, timeout=10)
        try:
            connection.request("POST", "/api/entries", body=json.dumps(body), headers={
                "Host": f"127.0.0.1:{self.stack.manual_port}", "Content-Type": "application/json",
                "Authorization": f"Bearer {self.stack.token}"})
            response = connection.getresponse()
            reply = json.loads(response.read() or b"{}")
            return response.status in (200, 201) and reply.get("ok") is True
        finally:
            connection.close()

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            note = f"fault-web-{n}-{uuid.uuid4().hex[:8]}"
            body = {"entryId": str(uuid.uuid4()), "kind": "spasm",
                    "spasm": {"type": "tonic", "severity": 2, "site": "left-calf", "note": note}}
            acknowledged = False
            give_up = time.time() + 60
            while not acknowledged and time.time() < give_up:
                try:
                    acknowledged = self.post(body)
                except (OSError, http.client.HTTPException, ValueError):
                    pass
                if not acknowledged:
                    self.retries += 1
                    time.sleep(0.5)
            self.sent.append((note, acknowledged))
            self.stop.wait(0.2)


class Checks:
    def __init__(self):
        self.failures = []

    def check(self, ok, what):
        print(f"  {'ok  ' if ok else 'FAIL'}  {what}", flush=True)
        if not ok:
            self.failures.append(what)


def wait_until(condition, seconds, step=1.0):
    deadline = time.time() + seconds
    while True:
        value = condition()
        if value or time.time() > deadline:
            return value
        time.sleep(step)


def wait_for_heartbeat(watcher, service, pid, seconds=60):
    """True once a heartbeat from `pid` has come through the bus."""
    def fresh():
        beat = watcher.heartbeat(service)
        return beat is not None and beat[1] == pid
    return wait_until(fresh, seconds, 0.2)


def kill_and_restart(stack, watcher, service, rng, checks):
    name = f"spasmwatch-{service}"
    pid = stack.pid(service)
    if pid is None:
        checks.check(False, f"{name} has a pid file before its kill")
        return
    os.kill(pid, signal.SIGKILL)
    down = rng.uniform(0.5, 4.0)
    log(f"kill -9 {name} (pid {pid}); starting it again in {down:.1f} s")
    time.sleep(down)
    stack.stack("start", name)
    new_pid = stack.pid(service)
    ok = wait_for_heartbeat(watcher, service, new_pid)
    log(f"{name} started again (pid {new_pid}){'' if ok else ': NO HEARTBEAT within 60 s'}")
    if not ok:
        checks.check(False, f"{name} sends heartbeats after its restart")


def stored_notes(stack):
    """note -> how many diary rows carry it."""
    with stack.db("spasmwatch.sqlite") as db:
        rows = db.execute("SELECT CAST(json AS TEXT) FROM diary_entry WHERE kind = 'spasm'").fetchall()
    counts = {}
    for (text,) in rows:
        match = re.search(r'"note"\s*:\s*"(fault-[^"]+)"', text or "")
        if match:
            counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    return counts


def stored_episodes(stack):
    with stack.db("spasmwatch.sqlite") as db:
        return {row[0].lower(): row for row in db.execute(
            'SELECT episodeId, start, "end", interrupted, sensorId FROM episode').fetchall()}


def stored_alert_counts(stack):
    with stack.db("spasmwatch.sqlite") as db:
        return {row[0].lower(): row[1] for row in db.execute(
            "SELECT alertId, COUNT(*) FROM alert GROUP BY alertId").fetchall()}


def frame_counts(stack):
    """Per sensor: accepted at ingestion (data/sensor-counts.sqlite), the store's stored count
    and the frames' rows (data/spasmwatch-raw.sqlite)."""
    with stack.db("sensor-counts.sqlite") as db:
        accepted = dict(db.execute("SELECT sensorId, frames FROM sensor_accepted").fetchall())
    with stack.db("spasmwatch-raw.sqlite") as db:
        counted = dict(db.execute("SELECT sensorId, frames FROM sensor_frame_count").fetchall())
        rows = dict(db.execute("SELECT sensorId, COUNT(*) FROM sensor_frame GROUP BY sensorId").fetchall())
    return accepted, counted, rows


def cli_loss(stack):
    """Frames lost per sensor as `spasmwatch sensors` says (its LOSS column)."""
    result = stack.cli("sensors")
    loss = {}
    for line in result.stdout.splitlines():
        if not line.startswith(f"{SENSOR_PREFIX}-"):
            continue
        sensor = line.split()[0]
        match = re.search(r"(\d+) frames not stored", line)
        loss[sensor] = int(match.group(1)) if match else 0
    return result, loss


def main():
    parser = argparse.ArgumentParser(description="Kill every service with kill -9 under load; check nothing is lost.")
    parser.add_argument("--minutes", type=float, help="run the load this long, kills cycling (default: the short form)")
    parser.add_argument("--sensors", type=int, default=100, help="simulated sensors (default 100)")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000, help="random seed for kill times")
    parser.add_argument("--keep", action="store_true", help="keep the temporary home afterwards")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    bin_dir = os.environ.get("SPASMWATCH_BIN") or subprocess.run(
        ["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    if not os.access(os.path.join(bin_dir, "spasmwatch-bus"), os.X_OK):
        sys.exit(f"fault-test: no executables in {bin_dir}: run swift build (or set SPASMWATCH_BIN)")
    home = tempfile.mkdtemp(prefix="spasmwatch-fault-")
    stack = Stack(home, bin_dir)
    stack.configure()
    short = args.minutes is None
    log(f"fault test ({'short form' if short else f'{args.minutes:g} minutes'}), seed {args.seed}, "
        f"{args.sensors} sensors, home {home}, executables {bin_dir}")

    checks = Checks()
    simulator = watcher = None
    writers = []
    started = time.time()
    try:
        stack.stack("up")
        watcher = BusWatcher(f"ipc://{stack.run_dir()}/bus-out.sock")
        watcher.start()
        simulator = Simulator(stack, args.sensors, args.seed, os.path.join(home, "logs", "simulator.log"))
        writers = [CliWriter(stack), HttpWriter(stack)]
        for w in writers:
            w.start()
        log("load running: simulated sensors, diary entries over the CLI and HTTP")
        time.sleep(15)

        # Faults: each service in turn, at a random moment.
        kills = 0
        load_until = started + (args.minutes or 0) * 60
        while True:
            for service in SERVICES:
                time.sleep(rng.uniform(5, 20))
                kill_and_restart(stack, watcher, service, rng, checks)
                kills += 1
            if short or time.time() > load_until - 90:
                break
        if not short and time.time() < load_until - 30:
            time.sleep(load_until - 30 - time.time())

        # Alive and processing: heartbeats from the pids deploy/stack started, fresh, and
        # each service's work counter moving over 10 s while the load runs.
        log("checking every service processes (10 s of load after the last restart)")
        time.sleep(5)
        before = {s: watcher.heartbeat(s) for s in SERVICES}
        time.sleep(10)
        print("Services:")
        for service in SERVICES:
            beat, pid = watcher.heartbeat(service), stack.pid(service)
            fresh = beat is not None and time.time() - beat[0] < 3 and beat[1] == pid
            checks.check(fresh, f"spasmwatch-{service}: heartbeat fresh from pid {pid}")
            counter = WORK_COUNTERS.get(service)
            if counter and beat and before[service]:
                moved = beat[2].get(counter, 0) - before[service][2].get(counter, 0)
                checks.check(moved > 0 and before[service][1] == beat[1],
                             f"spasmwatch-{service}: {counter} moved by {moved} in 10 s")

        # Settle: stop the diary writers; the sensors keep sending while episodes end.
        for w in writers:
            w.stop.set()
        for w in writers:
            w.join(timeout=90)
        settle = time.time()
        log("diary writers stopped; waiting for the stack to settle")
        acknowledged = [n for w in writers for n, ok in w.sent if ok]

        def entries_stored():
            counts = stored_notes(stack)
            return all(counts.get(n, 0) >= 1 for n in acknowledged)
        wait_until(entries_stored, 90)

        # An episode that began a minute before the settle has ended by now (the longest
        # simulated event is well under a minute; a detector killed mid-episode ends it as
        # interrupted at its next start).
        def old_open():
            return [e for e in stored_episodes(stack).values() if e[2] is None and e[1] < settle - 60]
        wait_until(lambda: not old_open(), 60)
        open_old = old_open()
        open_young = [e for e in stored_episodes(stack).values() if e[2] is None and e[1] >= settle - 60]

        # Frames: stop the sensors, let the store take what is on the way.
        sent, refused, sim_errors = simulator.stop()
        simulator = None
        last = None
        for _ in range(30):
            time.sleep(2)
            now = frame_counts(stack)
            if now == last:
                break
            last = now
        accepted, counted, rows = frame_counts(stack)
        sensors_result, loss_said = cli_loss(stack)

        episodes_heard, alerts_heard, gaps = watcher.snapshot()

        def reliable_stored():
            stored = stored_episodes(stack)
            alerts = stored_alert_counts(stack)
            return (all(e in stored and (("end" not in p) or stored[e][2] is not None) for e, p in episodes_heard.items())
                    and all(a in alerts for a in alerts_heard))
        wait_until(reliable_stored, 60)
        episodes = stored_episodes(stack)
        alert_counts = stored_alert_counts(stack)
        notes = stored_notes(stack)
        status = stack.cli("status", "--listen", "2")

        # The report.
        print("")
        print(f"Fault test: {time.time() - started:.0f} s, {kills} kills (seed {args.seed})")
        print("Diary entries:")
        for w, via in ((writers[0], "CLI"), (writers[1], "HTTP")):
            acked = [n for n, ok in w.sent if ok]
            unacked = [n for n, ok in w.sent if not ok]
            once = sum(1 for n in acked if notes.get(n, 0) == 1)
            missing = [n for n in acked if notes.get(n, 0) == 0]
            twice = [n for n in w.sent if notes.get(n[0], 0) > 1]
            print(f"  {via}: {len(w.sent)} sent, {len(acked)} acknowledged, {once} of those stored exactly once, "
                  f"{len(unacked)} not acknowledged ({sum(1 for n in unacked if notes.get(n, 0))} of them stored)"
                  + (f", {w.retries} HTTP re-sends" if via == "HTTP" else ""))
            checks.check(not missing, f"{via}: every acknowledged entry stored ({len(missing)} missing"
                         + (f", e.g. {missing[0]}" if missing else "") + ")")
            checks.check(not twice, f"{via}: no entry stored twice ({len(twice)} twice"
                         + (f", e.g. {twice[0][0]}" if twice else "") + ")")
        checks.check(len(acknowledged) > 0, "diary entries were acknowledged at all")

        print("Episodes and alerts (heard on the bus, and stored):")
        ended = sum(1 for p in episodes_heard.values() if "end" in p)
        missing_ep = [e for e in episodes_heard if e not in episodes]
        missing_end = [e for e, p in episodes_heard.items() if "end" in p and e in episodes and episodes[e][2] is None]
        interrupted = sum(1 for e in episodes.values() if e[3])
        print(f"  episodes: {len(episodes_heard)} heard ({ended} with their end), {len(episodes)} stored, "
              f"{interrupted} ended as interrupted; subscriber gaps {gaps}")
        checks.check(len(episodes_heard) > 0, "episodes were detected at all")
        checks.check(not missing_ep, f"every episode heard is stored ({len(missing_ep)} missing)")
        checks.check(not missing_end, f"every end heard is stored ({len(missing_end)} stored without their end)")
        dup_alerts = [a for a, c in alert_counts.items() if c > 1]
        missing_alerts = [a for a in alerts_heard if a not in alert_counts]
        by_kind = {}
        for source, kind in alerts_heard.values():
            by_kind[f"{kind} ({source})"] = by_kind.get(f"{kind} ({source})", 0) + 1
        print(f"  alerts: {len(alerts_heard)} heard, {len(alert_counts)} stored: "
              + ", ".join(f"{v} {k}" for k, v in sorted(by_kind.items())))
        checks.check(not missing_alerts, f"every alert heard is stored ({len(missing_alerts)} missing)")
        checks.check(not dup_alerts, f"no alert stored twice ({len(dup_alerts)} twice)")
        print(f"  open episodes: {len(open_old)} begun over a minute before the settle, {len(open_young)} younger")
        checks.check(not open_old, "no episode left open"
                     + (f" (e.g. {open_old[0][0]} on {open_old[0][4]} since {time.time() - open_old[0][1]:.0f} s)" if open_old else ""))

        print("Frames:")
        total_sent = sum(sent.values())
        total_refused = sum(refused.values())
        total_accepted = sum(accepted.values())
        total_rows = sum(rows.values())
        missing_rows = {s: accepted.get(s, 0) - rows.get(s, 0) for s in set(accepted) | set(rows)}
        print(f"  simulator: {total_sent} frames answered, {total_refused} not accepted, {sim_errors} send errors "
              f"(no answer while ingestion was down)")
        print(f"  ingestion accepted {total_accepted}, store counted {sum(counted.values())}, rows in storage {total_rows}")
        print(f"  lost as the counters say (spasmwatch sensors): {sum(loss_said.values())}; "
              f"missing in storage (accepted - rows): {sum(missing_rows.values())}")
        checks.check(sensors_result.returncode == 0, "spasmwatch sensors answers")
        disagree = [s for s in missing_rows if missing_rows[s] != loss_said.get(s, 0)]
        checks.check(not disagree, f"loss the counters say = frames missing in storage, per sensor ({len(disagree)} differ"
                     + (f", e.g. {disagree[0]}: says {loss_said.get(disagree[0], 0)}, missing {missing_rows[disagree[0]]}"
                        if disagree else "") + ")")
        miscounted = [s for s in rows if counted.get(s, 0) != rows[s]]
        checks.check(not miscounted, f"the store's frame counts = its rows ({len(miscounted)} differ)")
        answered_ok = {s: sent.get(s, 0) - refused.get(s, 0) for s in sent}
        undercounted = [s for s in answered_ok if answered_ok[s] > accepted.get(s, 0)]
        checks.check(not undercounted, f"every frame answered 'accepted' is counted as accepted ({len(undercounted)} sensors short)")
        checks.check(total_rows > 0, "frames were stored at all")

        # What the senders still hold: an outbox message never receipted is one storage lacks.
        def pending(service):
            beat = watcher.heartbeat(service)
            return beat[2].get("outbox.pending") if beat else None
        wait_until(lambda: all(pending(s) == 0 for s in ("manual", "detect", "notify")), 30)
        for service in ("manual", "detect", "notify"):
            checks.check(pending(service) == 0,
                         f"spasmwatch-{service}: outbox empty at the end (outbox.pending={pending(service)})")

        print("spasmwatch status:")
        print("  " + "\n  ".join(status.stdout.strip().splitlines()[:12]))
        checks.check(status.returncode == 0, "spasmwatch status: every service is running")
    except Exception as error:  # a broken run is a failure with its reason, never a pass
        checks.check(False, f"the run completed ({type(error).__name__}: {error})")
    finally:
        if simulator:
            simulator.stop()
        for w in writers:
            w.stop.set()
        if watcher:
            watcher.stop.set()
        stack.stack("down", check=False)
        if args.keep or checks.failures:
            print(f"home kept for a look: {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)

    print("")
    if checks.failures:
        print(f"FAULT TEST FAILED ({len(checks.failures)}):")
        for f in checks.failures:
            print(f"  - {f}")
        sys.exit(1)
    print("FAULT TEST PASSED")


if __name__ == "__main__":
    main()
