#!/usr/bin/env python3
"""The caregiver drill: the whole demo stack as a household would run it, with two
caregivers set up by `spasmwatch setup caregiver`, and simulated falls.

    sudo deploy/dev/caregiver-drill.py [--falls N] [--after SECONDS] [--minutes M]

What it does, and checks (exit 1 when any check fails):
  1. Makes a second host: a network namespace joined by a veth pair (10.213.x.y/30, on
     this machine only), the caregiver's phone. spasmwatch-manual listens on the veth
     address with a page token; `manual.publicURL` is that address.
  2. `deploy/stack up --demo` on a temporary demo home (release build, simulated sensors).
  3. `spasmwatch setup caregiver anna --webhook …/anna --after S` and the same for ben:
     a fall goes to the person at once, to anna after S seconds, to ben S seconds later.
  4. For each of N simulated falls: the person is told at once (logs/notifications.jsonl);
     anna's webhook gets the fall after S seconds; anna follows the "I'm OK" link from
     her payload on the second host (a GET shows the confirm page; the POST acts); ben is
     never told, and the person hears "anna answered".
  5. `deploy/stack restart spasmwatch-notify`, and later a kill -9 and start: no receiver
     gets any notification twice.
  Prints detection-to-person and fall-to-caregiver delays (p50, max) and the link's
  POST-to-acknowledged time. `deploy/stack down` and the namespace are removed at the end.

Needs root (ip netns), curl, python3. Python standard library only.
"""
import argparse
import http.server
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STACK = os.path.join(ROOT, "deploy", "stack")


class Receiver(http.server.BaseHTTPRequestHandler):
    """A caregiver's webhook: keeps every notification it gets with the time it came."""
    got = []
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
        try:
            note = json.loads(body)
        except ValueError:
            note = {"unparsed": body.decode("utf-8", "replace")}
        with Receiver.lock:
            Receiver.got.append((time.time(), self.path.strip("/"), note))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def sh(*args, check=True, env=None, capture=True, timeout=900):
    result = subprocess.run(list(args), env=env, text=True, timeout=timeout,
                            stdout=subprocess.PIPE if capture else None, stderr=subprocess.STDOUT if capture else None)
    if check and result.returncode != 0:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(args)}\n{result.stdout or ''}")
    return result.stdout or ""


class SecondHost:
    def __init__(self):
        tag = "%06x" % random.randrange(1 << 24)
        self.ns, self.host_if, self.peer_if = f"sw-drill-{tag}", f"swdh{tag}", f"swdp{tag}"
        third, fourth = random.randrange(256), random.randrange(64) * 4
        self.host, self.peer = f"10.213.{third}.{fourth + 1}", f"10.213.{third}.{fourth + 2}"
        sh("ip", "netns", "add", self.ns)
        sh("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.peer_if)
        sh("ip", "link", "set", self.peer_if, "netns", self.ns)
        sh("ip", "addr", "add", f"{self.host}/30", "dev", self.host_if)
        sh("ip", "link", "set", self.host_if, "up")
        sh("ip", "netns", "exec", self.ns, "ip", "addr", "add", f"{self.peer}/30", "dev", self.peer_if)
        sh("ip", "netns", "exec", self.ns, "ip", "link", "set", self.peer_if, "up")
        sh("ip", "netns", "exec", self.ns, "ip", "link", "set", "lo", "up")

    def curl(self, *args):
        trust = ("--cacert", self.ca) if getattr(self, "ca", None) else ()
        return sh("ip", "netns", "exec", self.ns, "curl", "-sS", "--max-time", "10", *trust, *args, check=False)

    def remove(self):
        subprocess.run(["ip", "netns", "del", self.ns], stderr=subprocess.DEVNULL)
        subprocess.run(["ip", "link", "del", self.host_if], stderr=subprocess.DEVNULL)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--falls", type=int, default=3, help="simulated falls to follow (default 3)")
    parser.add_argument("--after", type=float, default=10, help="seconds before each caregiver is told (default 10)")
    parser.add_argument("--minutes", type=float, default=15, help="give up waiting for falls after this long")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("the drill needs root: it makes a network namespace (ip netns add)")
    for tool in ("ip", "curl"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed (apt-get install iproute2 curl)")

    home = tempfile.mkdtemp(prefix="spasmwatch-drill-")
    env = dict(os.environ, SPASMWATCH_DEMO_HOME=home, SPASMWATCH_HOME=home)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_address[1]}"
    failures = []
    second = SecondHost()
    try:
        token = os.urandom(16).hex()
        with open(os.path.join(home, "config.json"), "w") as f:
            json.dump({"manual": {"httpHost": second.host, "httpToken": token,
                                  "publicURL": f"https://{second.host}:8471"}}, f)
        os.chmod(os.path.join(home, "config.json"), 0o600)
        print(f"home {home}; caregiver's phone: namespace {second.ns} at {second.peer}; hub at {second.host}")
        # Beyond loopback the diary serves HTTPS: the home's CA and certificate first
        # (the veth address is among the hub's addresses now), trusted by the phone's curl.
        sh("swift", "build", "-c", "release", "--product", "spasmwatch", timeout=1800)
        bin_dir = sh("swift", "build", "-c", "release", "--show-bin-path").strip()
        cli = os.path.join(bin_dir, "spasmwatch")
        print(sh(cli, "tls", "init", env=env))
        second.ca = os.path.join(home, "keys", "tls", "ca.pem")
        print(sh(STACK, "up", "--demo", env=env, timeout=1800)[-1500:])
        for name in ("anna", "ben"):
            print(sh(cli, "setup", "caregiver", name, "--webhook", f"{hook}/{name}", "--after", f"{int(args.after)}s", env=env))
        time.sleep(3)  # notify reads notify.json within a second

        notifications = os.path.join(home, "logs", "notifications.jsonl")
        deadline = time.time() + args.minutes * 60
        falls, to_person, to_anna, link_ack = {}, [], [], []
        while len(falls) < args.falls and time.time() < deadline:
            time.sleep(0.5)
            with Receiver.lock:
                annas = [(t, n) for t, who, n in Receiver.got if who == "anna" and n.get("kind") == "fall"
                         and n.get("purpose") in ("alert", "escalation")]
            for received, note in annas:
                alert_id = note["alertIds"][0]
                if alert_id in falls:
                    continue
                alert = note["alerts"][0]
                falls[alert_id] = alert
                to_anna.append(received - alert["at"])
                link = next((a.get("url") for a in note.get("actions", []) if a.get("kind") == "ok"), None)
                if not link:
                    failures.append(f"anna's notification for {alert_id[:8]} has no I'm OK link")
                    continue
                page = second.curl(link)
                if "<form" not in page:
                    failures.append(f"the link's GET did not show a confirm page: {page[:200]!r}")
                started = time.time()
                answer = second.curl("-X", "POST", link)
                link_ack.append(time.time() - started)
                print(f"fall {alert_id[:8]}: anna told after {received - alert['at']:.2f} s; her link answered "
                      f"{answer.strip()[:80]!r}")
        if len(falls) < args.falls:
            failures.append(f"only {len(falls)} of {args.falls} falls reached anna in {args.minutes} minutes")

        # The person: told at once (the file channel of the standard receiver).
        person_notes = [json.loads(line) for line in open(notifications) if line.strip()]
        for alert_id, alert in falls.items():
            first = [n for n in person_notes if alert_id in n.get("alertIds", []) and n.get("purpose") == "alert"]
            if not first:
                failures.append(f"the person was never told of fall {alert_id[:8]}")
            else:
                to_person.append(first[0]["createdAt"] - alert["at"])
            answered = [n for n in person_notes if alert_id in n.get("alertIds", []) and n.get("purpose") == "acknowledged"]
            if not answered or "anna" not in answered[0].get("text", "").lower():
                failures.append(f"the person did not hear that anna answered fall {alert_id[:8]}")

        time.sleep(args.after + 3)
        with Receiver.lock:
            to_ben = [n for _, who, n in Receiver.got if who == "ben" and set(n.get("alertIds", [])) & set(falls)
                      and n.get("purpose") in ("alert", "escalation")]
        if to_ben:
            failures.append(f"ben was told of {len(to_ben)} fall(s) anna had answered")

        # Restarts send nothing twice.
        with Receiver.lock:
            before = len(Receiver.got)
        lines_before = sum(1 for _ in open(notifications))
        sh(STACK, "restart", "spasmwatch-notify", "--demo", env=env)
        time.sleep(8)
        pid = int(open(os.path.join(home, "pids", "spasmwatch-notify.pid")).read())
        os.kill(pid, signal.SIGKILL)
        time.sleep(1)
        sh(STACK, "start", "spasmwatch-notify", "--demo", env=env)
        time.sleep(args.after + 8)
        with Receiver.lock:
            seen, repeated = {}, []
            for _, who, n in Receiver.got:
                key = (who, tuple(n.get("alertIds", [])), n.get("purpose"), n.get("escalationStep"))
                if key in seen:
                    repeated.append(key)
                seen[key] = True
            after_restart = Receiver.got[before:]
        person_after = [json.loads(l) for l in list(open(notifications))[lines_before:] if l.strip()]
        old = {a for a in falls}
        resent_to_person = [n for n in person_after if set(n.get("alertIds", [])) & old]
        if repeated:
            failures.append(f"{len(repeated)} notification(s) went to a caregiver twice: {repeated[:3]}")
        if resent_to_person:
            failures.append(f"{len(resent_to_person)} notification(s) about answered falls went to the person again after the restarts")
        print(f"after a restart and a kill -9 of notify: {len(after_restart)} webhook notification(s), none repeated"
              if not repeated else "")

        print("")
        print(f"falls followed: {len(falls)} (escalation after {args.after:g} s, two caregivers)")
        if to_person:
            print(f"fall onset -> the person told:      p50 {pct(to_person, 50):.2f} s, max {max(to_person):.2f} s")
        if to_anna:
            print(f"fall onset -> anna's webhook:       p50 {pct(to_anna, 50):.2f} s, max {max(to_anna):.2f} s "
                  f"(of which {args.after:g} s is the set wait)")
        if link_ack:
            print(f"anna's link POST from the 2nd host: p50 {pct(link_ack, 50) * 1000:.0f} ms, max {max(link_ack) * 1000:.0f} ms")
        print(f"ben told of an answered fall: {len(to_ben)}")
    finally:
        subprocess.run([STACK, "down", "--demo"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        second.remove()
        server.shutdown()
        if not failures:
            shutil.rmtree(home, ignore_errors=True)
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures) + f"\n(home kept: {home})")
        sys.exit(1)
    print("\nall checks passed")


if __name__ == "__main__":
    main()
