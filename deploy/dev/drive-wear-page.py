#!/usr/bin/env python3
"""Replays a phone recording into the diary's "Wear this phone" screen in headless Chromium,
in real time, by dispatching DeviceMotionEvents at the recording's timestamps (Python
standard library only; the DevTools client is drive-diary-page.py's).

    drive-wear-page.py DEVTOOLS_PORT PAGE_BASE CSV START END [--blip-at S --blip-seconds N]
                       [--rename NAME] [--move SITE]

CSV has t,ax,ay,az (seconds, g), e.g. ../shared/eval/devices/p_pocket.csv. START and END
are seconds of the recording (the whole file: 0 1800, about 30 minutes). The page is opened
through a small TCP proxy in this script, so that `--blip-at` can drop the connection the way
a Wi-Fi blip does: at S seconds into the replay every connection is cut and new ones are
refused for N seconds; the page must keep what it measured and send it again.

Prints one JSON line: the page's device id, the epoch time of the first dispatched event,
samples dispatched, samples the server acknowledged, lost, duplicates the server saw, the
status line, the "Last episode" line, the WebSockets the page opened, the TCP connections
through the proxy; with --rename/--move, the phone's row in the page's device
list after renaming it (its Rename button and prompt) and moving it (its site menu). Exit status 1 when the page does not finish sending within
60 s after the replay.
"""
import argparse
import importlib.util
import json
import os
import socket
import sys
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("drive_diary_page", os.path.join(here, "drive-diary-page.py"))
diary = importlib.util.module_from_spec(spec)
spec.loader.exec_module(diary)
G = 9.80665


class BlipProxy:
    """Forwards TCP to the page's server; blip() cuts every connection and refuses new ones."""

    def __init__(self, upstream_host, upstream_port):
        self.upstream = (upstream_host, upstream_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.refusing_until = 0.0
        self.open = []
        self.lock = threading.Lock()
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            client, _ = self.listener.accept()
            if time.time() < self.refusing_until:
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open += [client, server]
                self.connections += 1
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def blip(self, seconds):
        self.refusing_until = time.time() + seconds
        with self.lock:
            for s in self.open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self.open = []


def read_excerpt(path, start, end):
    rows = []
    with open(path) as f:
        next(f)
        for line in f:
            t, x, y, z = line.split(",")[:4]
            t = float(t)
            if t < start:
                continue
            if t >= end:
                break
            rows.append([round((t - start) * 1000, 3), float(x) * G, float(y) * G, float(z) * G])
    return rows


REPLAYER = """(() => {
  if (window.__replay) return true;
  const r = window.__replay = { queue: [], start: null, dispatched: 0, firstTime: null, done: false };
  function tick() {
    if (r.start === null) r.start = performance.now();
    const elapsed = performance.now() - r.start;
    while (r.queue.length && r.queue[0][0] <= elapsed) {
      const [t, x, y, z] = r.queue.shift();
      const e = new DeviceMotionEvent("devicemotion", { accelerationIncludingGravity: { x, y, z }, interval: 16 });
      if (r.firstTime === null) r.firstTime = performance.timeOrigin + e.timeStamp;
      window.dispatchEvent(e);
      r.dispatched++;
    }
    if (!r.done || r.queue.length) setTimeout(tick, 2);
  }
  r.begin = () => setTimeout(tick, 0);
  return true;
})()"""


def use_device_list(tools, name, site):
    """Renames and moves this phone the way a person does: the Rename button and its real
    prompt dialog (answered over DevTools), then the row's site menu. Returns the row as the
    page shows it after the server answered."""
    row = "document.querySelector(`#devices tr[data-id=\"${wear.device}\"]`)"
    tools.evaluate("devices(); true")
    diary.wait_for(tools, f"!!{row}", "the device list shows this phone")
    if name:
        tools.evaluate(f"setTimeout(() => {row}.querySelector('button.rename').click(), 0); true")
        deadline = time.time() + 10
        while True:
            try:
                tools.call("Page.handleJavaScriptDialog", accept=True, promptText=name)
                break
            except RuntimeError:
                if time.time() > deadline:
                    print("FAIL  the Rename button opened a prompt (waited 10 s)", file=sys.stderr)
                    sys.exit(1)
                time.sleep(0.1)
        diary.wait_for(tools, f"{row} && {row}.querySelector('b').textContent === {json.dumps(name)}", "the list shows the new name")
    if site:
        # post() re-reads the list from the server: mark the row, then wait for a fresh one
        # that says the new site.
        tools.evaluate(f"(() => {{ const s = {row}.querySelector('select.move'); s.closest('tr').dataset.old = '1';"
                       f" s.value = {json.dumps(site)}; s.dispatchEvent(new Event('change')); return true; }})()")
        diary.wait_for(tools, f"{row} && !{row}.dataset.old && {row}.querySelector('select.move').value === {json.dumps(site)}",
                       "the list shows the new site", timeout=20)
    return json.loads(tools.evaluate(f"JSON.stringify({{ name: {row}.querySelector('b').textContent,"
                                     f" site: {row}.querySelector('select.move').value }})"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port")
    parser.add_argument("base")
    parser.add_argument("csv")
    parser.add_argument("start", type=float)
    parser.add_argument("end", type=float)
    parser.add_argument("--blip-at", type=float)
    parser.add_argument("--blip-seconds", type=float, default=20)
    parser.add_argument("--placement", default="right-thigh")
    parser.add_argument("--rename", help="after the replay, rename this phone in the page's device list")
    parser.add_argument("--move", help="after the replay, move this phone to this body site in the device list")
    args = parser.parse_args()

    rows = read_excerpt(args.csv, args.start, args.end)
    host_port = args.base.split("://", 1)[1].split("/", 1)[0]
    host, upstream_port = host_port.rsplit(":", 1)
    proxy = BlipProxy(host, int(upstream_port))
    url = f"http://127.0.0.1:{proxy.port}/wear"

    tools = diary.DevTools(diary.target(args.port, args.base.split("/wear")[0]))
    tools.call("Page.enable")
    tools.call("Emulation.setFocusEmulationEnabled", enabled=True)
    tools.call("Page.navigate", url=url)
    deadline = time.time() + 30
    while True:
        try:
            if tools.evaluate("location.pathname === '/wear' && document.readyState === 'complete' && !!window.wear"):
                break
        except RuntimeError:
            pass  # the page is still navigating
        if time.time() > deadline:
            print("FAIL  the wear page loaded (waited 30 s)", file=sys.stderr)
            sys.exit(1)
        time.sleep(0.25)
    tools.evaluate(f"document.querySelector('input[value=\"{args.placement}\"]').click(); true")
    tools.evaluate("document.getElementById('start').click(); true")
    diary.wait_for(tools, "window.wear.running && window.wear.connected", "the page started and connected")
    tools.evaluate(REPLAYER)

    # Keep about 20 s of samples queued in the page; hand them over in 5 s chunks.
    sent = 0
    began = None
    blipped = False
    while sent < len(rows):
        elapsed = 0 if began is None else (time.time() - began) * 1000
        while sent < len(rows) and rows[sent][0] < elapsed + 20000:
            chunk = rows[sent:sent + 300]
            tools.evaluate(f"window.__replay.queue.push(...{json.dumps(chunk)}); true")
            sent += len(chunk)
        if began is None:
            tools.evaluate("window.__replay.begin(); true")
            began = time.time()
        if args.blip_at is not None and not blipped and time.time() - began >= args.blip_at:
            proxy.blip(args.blip_seconds)
            blipped = True
        time.sleep(1)
    tools.evaluate("window.__replay.done = true; true")
    while tools.evaluate("window.__replay.queue.length") > 0:
        if args.blip_at is not None and not blipped and time.time() - began >= args.blip_at:
            proxy.blip(args.blip_seconds)
            blipped = True
        time.sleep(0.5)
    time.sleep(0.3)
    diary.wait_for(tools, "window.wear.outbox.length <= 1 && window.wear.connected", "the page caught up", timeout=90)
    running_status = tools.evaluate("document.getElementById('status').textContent")
    # The screen's "Last episode" line, once the page has polled the episodes after the last one.
    time.sleep(6)
    last_episode = tools.evaluate("document.getElementById('episode').textContent")
    tools.evaluate("document.getElementById('stop').click(); true")
    diary.wait_for(tools, "window.wear.outbox.length === 0 && !window.wear.inflight", "the page sent everything it measured",
                   timeout=60 + (args.blip_seconds if args.blip_at is not None else 0))
    state = json.loads(tools.evaluate("""JSON.stringify({ device: wear.device, firstTime: __replay.firstTime / 1000,
        dispatched: __replay.dispatched, samples: wear.samples, acked: wear.acked, lost: wear.lost + wear.serverLost,
        duplicates: wear.duplicates, sockets: wear.opened, status: document.getElementById('status').textContent })"""))
    state["runningStatus"] = running_status
    state["lastEpisode"] = last_episode
    if args.rename or args.move:
        state["listed"] = use_device_list(tools, args.rename, args.move)
    state["connections"] = proxy.connections
    state["rows"] = len(rows)
    print(json.dumps(state))


if __name__ == "__main__":
    main()
