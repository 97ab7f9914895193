#!/usr/bin/env python3
"""Drives the diary's phone page in headless Chromium over the DevTools protocol, the way
a person taps it (used by screenshot-diary.sh; outside CI; Python standard library only).

    drive-diary-page.py DEVTOOLS_PORT PAGE_URL STEP [SCREENSHOT]

Steps:
  spasm-now      taps site, type, severity ("spasm now" in three taps); waits until the
                 server has it (the phone's queue is empty); prints the entry's id
  spasm-offline  the same while the server is unreachable; waits until the page says it
                 kept the entry on the phone; prints the entry's id
  wait-sent      waits until the phone's queue is empty again (the page re-sent it)
  spasm-clock-off  the same with the phone's clock 3 days ahead: the server refuses the
                 entry for its sentAt; waits until the page says so and still keeps the
                 entry; prints the entry's id
  inspect-alerts waits until a critical alert is pinned; prints JSON: what is first on the
                 page, the card's colour and buttons (with sizes), the routine summary line,
                 the warnings, and where "Spasm now" starts against the screen's height
  press-help     taps "I need help" on the first critical alert; waits until the page says
                 everyone is being asked
  inspect-labels waits until "Was this a spasm?" lists an episode; prints JSON: the PSFS
                 buttons' text and title, the episodes listed (kind and text), the Yes/No
                 buttons' boxes (getBoundingClientRect)
  spasm-toast    taps a spasm; prints JSON: the toast's text and whether Undo is inside it;
                 taps that Undo, then the Redo the toast offers, with each toast's text
  spasm-earlier  logs a spasm "10 min ago" and one at 07:15; prints JSON: each entry's id
                 and the time the page gave it
  spasm-earlier-toast  logs a spasm "10 min ago"; prints JSON: its id, the toast's text and
                 the recent list's time lines, once the list shows it
  clear-routine  waits for the routine alerts' line; taps its button; waits until the line
                 is gone; prints JSON: the line's text and the button's label
  reload-routine reloads the page and waits for its first refresh; prints JSON: the routine
                 line's text (null when it is not shown)
  med-refused    types baclofen with the dose "10 zz" (no such unit) and saves; waits for
                 the server's refusal; prints JSON: the toast and what the fields still hold
Exit status 1 when a step does not complete within 30 s.
"""
import base64
import json
import os
import socket
import struct
import sys
import time
import urllib.request


class DevTools:
    """A minimal WebSocket client for one DevTools target."""

    def __init__(self, ws_url):
        host_port, path = ws_url[len("ws://"):].split("/", 1)
        host, port = host_port.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            response += self.sock.recv(1)
        if b" 101 " not in response.split(b"\r\n")[0]:
            raise RuntimeError(f"DevTools refused the connection: {response!r}")
        self.next_id = 0

    def _exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise RuntimeError("DevTools closed the connection")
            data += chunk
        return data

    def _send(self, text):
        data = text.encode()
        header = bytearray([0x81])
        if len(data) < 126:
            header.append(0x80 | len(data))
        elif len(data) < 65536:
            header.append(0x80 | 126)
            header += struct.pack(">H", len(data))
        else:
            header.append(0x80 | 127)
            header += struct.pack(">Q", len(data))
        mask = os.urandom(4)
        header += mask
        self.sock.sendall(bytes(header) + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _receive(self):
        message = b""
        while True:
            b1, b2 = self._exact(2)
            n = b2 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._exact(8))[0]
            message += self._exact(n)
            if b1 & 0x80:
                return json.loads(message)

    def call(self, method, **params):
        self.next_id += 1
        self._send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = self._receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")


def wait_for(tools, expression, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = tools.evaluate(expression)
        if value:
            return value
        time.sleep(0.25)
    print(f"FAIL  {what} (waited {timeout} s)", file=sys.stderr)
    sys.exit(1)


def target(port, url):
    """The page's DevTools target: the open tab showing the diary, else a new one."""
    for entry in json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list")):
        if entry.get("type") == "page" and entry.get("url", "").startswith(url):
            return entry["webSocketDebuggerUrl"]
    request = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?{url}", method="PUT")
    return json.load(urllib.request.urlopen(request))["webSocketDebuggerUrl"]


def tap_spasm(tools, site, kind, severity):
    """Three taps; returns the id the phone gave the entry."""
    wait_for(tools, f"!!document.querySelector('[data-site=\"{site}\"]')", "the page's buttons are built")
    before = tools.evaluate("JSON.stringify(queue().map(e => e.entryId))")
    # An earlier step's toast (and its Undo) is put away first: what shows next is this entry's.
    tools.evaluate("document.getElementById('flash').className = ''; true")
    tools.evaluate(f"document.querySelector('[data-site=\"{site}\"]').click()")
    tools.evaluate(f"document.querySelector('[data-type=\"{kind}\"]').click()")
    # Watch what gets queued: the entry's id is given on the phone at the third tap.
    tools.evaluate("window.__queued = []; if (!window.__watching) { window.__watching = true; const original = save; "
                   "save = (e) => { const id = original(e); window.__queued.push(id); return id; }; } true")
    tools.evaluate(f"document.querySelector('[data-severity=\"{severity}\"]').click()")
    entry_id = wait_for(tools, "window.__queued[0]", "the third tap saved an entry")
    return entry_id, before


def main():
    port, url, step = sys.argv[1], sys.argv[2], sys.argv[3]
    screenshot = sys.argv[4] if len(sys.argv) > 4 else None
    tools = DevTools(target(port, url))
    wait_for(tools, "document.readyState === 'complete' && typeof queue === 'function'", "the page loaded")
    if step == "spasm-now":
        entry_id, _ = tap_spasm(tools, "right-calf", "clonus", 2)
        wait_for(tools, f"!queue().some(e => e.entryId === '{entry_id}')", "the server took the entry")
        wait_for(tools, f"document.getElementById('recent-list').textContent.includes('{entry_id[:8]}')",
                 "the entry shows in the recent list")
        print(entry_id)
    elif step == "spasm-offline":
        entry_id, _ = tap_spasm(tools, "left-foot", "cramp", 1)
        wait_for(tools, "document.getElementById('status').textContent.includes('1 on this phone')",
                 "the page says it kept the entry on the phone")
        wait_for(tools, f"queue().some(e => e.entryId === '{entry_id}')", "the entry waits in localStorage")
        print(entry_id)
    elif step == "spasm-clock-off":
        tools.evaluate("if (!window.__realNow) { window.__realNow = Date.now; Date.now = () => window.__realNow() + 3 * 86400 * 1000; } true")
        entry_id, _ = tap_spasm(tools, "left-calf", "tonic", 2)
        wait_for(tools, "document.getElementById('flash').textContent.includes('clock')",
                 "the page says the phone's clock is off")
        wait_for(tools, f"queue().some(e => e.entryId === '{entry_id}')", "the entry stays on the phone")
        print(entry_id)
    elif step == "wait-sent":
        wait_for(tools, "queue().length === 0 && document.getElementById('status').textContent === 'online'",
                 "the page re-sent what it kept", timeout=45)
    elif step == "inspect-alerts":
        wait_for(tools, "!!document.querySelector('#urgent .urgent')", "a critical alert is pinned on top")
        print(tools.evaluate("""JSON.stringify((() => {
            const main = document.querySelector('main');
            const visible = Array.from(main.children).filter(e => e.offsetParent !== null && e.getBoundingClientRect().height > 0);
            const card = document.querySelector('#urgent .urgent');
            const box = (e) => { const r = e.getBoundingClientRect(); return { top: r.top, height: r.height, width: r.width }; };
            return {
              first: visible[0] && (visible[0].id || visible[0].className),
              firstCard: card.querySelector('h2').textContent,
              cardBackground: getComputedStyle(card).backgroundColor,
              cardTop: box(card).top,
              buttons: Array.from(card.querySelectorAll('button')).map(b => Object.assign({ label: b.textContent }, box(b))),
              criticalCount: document.querySelectorAll('#urgent .urgent').length,
              routine: document.getElementById('routine').offsetParent ? document.getElementById('routine-text').textContent : null,
              notices: Array.from(document.querySelectorAll('#alert-list button')).map(b => b.textContent),
              warnings: document.getElementById('warnings').textContent,
              okButtonsOutsideCritical: Array.from(document.querySelectorAll('button')).filter(b => b.textContent === "I'm OK" && !b.closest('.urgent')).length,
              spasmTop: box(document.getElementById('spasm')).top,
              viewportHeight: window.innerHeight,
            };
        })())"""))
    elif step == "inspect-labels":
        wait_for(tools, "document.querySelectorAll('#episode-list li').length > 0", "an episode to confirm is listed")
        print(tools.evaluate("""JSON.stringify((() => {
            const box = (e) => { const r = e.getBoundingClientRect(); return { label: e.textContent, top: r.top, left: r.left, right: r.right, bottom: r.bottom, width: r.width, height: r.height }; };
            return {
              psfs: Array.from(document.querySelectorAll('#psfs-buttons button')).map(b => ({ text: b.textContent, title: b.getAttribute('title') })),
              episodes: Array.from(document.querySelectorAll('#episode-list li .what')).map(e => e.textContent),
              heading: document.querySelector('#episodes h2').textContent,
              answers: Array.from(document.querySelectorAll('#episode-list li:first-child button')).map(box),
            };
        })())"""))
    elif step == "spasm-toast":
        entry_id, _ = tap_spasm(tools, "left-calf", "tonic", 2)
        toast = "document.getElementById('flash')"
        saved = wait_for(tools, f"{toast}.className.includes('show') && {toast}.textContent.startsWith('Saved') && {toast}.querySelector('.text').textContent",
                         "the toast says what was saved")
        undo_inside = tools.evaluate(f"!!{toast}.querySelector('button') && {toast}.querySelector('button').textContent")
        tools.evaluate(f"{toast}.querySelector('button').click(); true")
        undone = wait_for(tools, f"{toast}.className.includes('show') && {toast}.textContent.startsWith('Undone') && {toast}.querySelector('.text').textContent",
                          "the toast says it was undone")
        redo_label = tools.evaluate(f"{toast}.querySelector('button') && {toast}.querySelector('button').textContent")
        tools.evaluate(f"{toast}.querySelector('button').click(); true")
        back = wait_for(tools, f"{toast}.className.includes('show') && {toast}.textContent.startsWith('Back') && {toast}.querySelector('.text').textContent",
                        "the toast says it is back")
        wait_for(tools, "queue().length === 0", "the server took the undo and the redo")
        print(json.dumps({"entryId": entry_id, "saved": saved, "undoInToast": undo_inside, "undone": undone,
                          "redoLabel": redo_label, "back": back}))
    elif step == "spasm-earlier":
        wait_for(tools, "!!document.querySelector('[data-when=\"10\"]')", "the When? buttons")
        tools.evaluate("document.querySelector('[data-when=\"10\"]').click(); true")
        ten, _ = tap_spasm(tools, "right-calf", "phasic", 1)
        ten_at = tools.evaluate(f"(mine.get('{ten}'.toLowerCase()) || {{}}).spasm.at")
        tools.evaluate("const t = document.getElementById('spasm-time'); t.value = '07:15'; t.dispatchEvent(new Event('input')); true")
        expected = tools.evaluate("(() => { const d = new Date(); d.setHours(7, 15, 0, 0); if (d > new Date()) d.setDate(d.getDate() - 1); return d.getTime() / 1000; })()")
        at_time, _ = tap_spasm(tools, "left-thigh", "cramp", 3)
        at_time_at = tools.evaluate(f"(mine.get('{at_time}'.toLowerCase()) || {{}}).spasm.at")
        wait_for(tools, "queue().length === 0", "the server took both")
        chosen = tools.evaluate("document.querySelector('[data-when].chosen').dataset.when")
        print(json.dumps({"tenMinutes": {"entryId": ten, "at": ten_at}, "atTime": {"entryId": at_time, "at": at_time_at, "expected": expected},
                          "whenAfterSaving": chosen}))
    elif step == "spasm-earlier-toast":
        wait_for(tools, "!!document.querySelector('[data-when=\"10\"]')", "the When? buttons")
        tools.evaluate("document.querySelector('[data-when=\"10\"]').click(); true")
        entry_id, _ = tap_spasm(tools, "left-calf", "tonic", 2)
        toast = "document.getElementById('flash')"
        saved = wait_for(tools, f"{toast}.className.includes('show') && {toast}.textContent.startsWith('Saved') && {toast}.querySelector('.text').textContent",
                         "the toast says what was saved")
        wait_for(tools, f"document.getElementById('recent-list').textContent.includes('{entry_id[:8]}')",
                 "the entry shows in the recent list")
        times = tools.evaluate("Array.from(document.querySelectorAll('#recent-list .meta')).map(e => e.textContent)")
        print(json.dumps({"entryId": entry_id, "saved": saved, "recent": times}))
    elif step == "clear-routine":
        routine = "document.getElementById('routine')"
        text = wait_for(tools, f"!{routine}.classList.contains('hidden') && document.getElementById('routine-text').textContent",
                        "the routine alerts' line")
        label = tools.evaluate("document.getElementById('routine-clear').textContent")
        tools.evaluate("document.getElementById('routine-clear').click(); true")
        wait_for(tools, f"{routine}.classList.contains('hidden')", "the routine line is gone")
        print(json.dumps({"text": text, "label": label}))
    elif step == "reload-routine":
        tools.evaluate("window.__beforeReload = true")
        tools.call("Page.reload", ignoreCache=True)
        wait_for(tools, "!window.__beforeReload && document.readyState === 'complete' && typeof refresh === 'function'", "the page reloaded")
        tools.evaluate("refresh().then(() => true)")
        shown = tools.evaluate("!document.getElementById('routine').classList.contains('hidden') && document.getElementById('routine-text').textContent")
        print(json.dumps({"routine": shown or None}))
    elif step == "med-refused":
        tools.evaluate("document.getElementById('med-name').value = 'baclofen'; document.getElementById('med-dose').value = '10 zz'; "
                       "document.getElementById('med-save').click(); true")
        toast = wait_for(tools, "document.getElementById('flash').className.includes('error') && document.getElementById('flash').textContent",
                         "the page says the server refused it")
        wait_for(tools, "queue().length === 0", "the refused entry left the queue")
        print(json.dumps({"toast": toast, "name": tools.evaluate("document.getElementById('med-name').value"),
                          "dose": tools.evaluate("document.getElementById('med-dose').value")}))
    elif step == "press-help":
        wait_for(tools, "!!document.querySelector('#urgent .urgent button.help')", "the I need help button")
        tools.evaluate("document.querySelector('#urgent .urgent button.help').click(); true")
        wait_for(tools, "document.getElementById('flash').textContent.includes('Asking everyone for help')",
                 "the page says everyone is being asked")
        wait_for(tools, "document.querySelector('#urgent .asked') !== null", "the card says help was asked for")
    else:
        print(f"unknown step {step}", file=sys.stderr)
        sys.exit(2)
    if screenshot:
        tools.call("Emulation.setDeviceMetricsOverride", width=412, height=915, deviceScaleFactor=1, mobile=True)
        data = tools.call("Page.captureScreenshot", format="png")["data"]
        with open(screenshot, "wb") as f:
            f.write(base64.b64decode(data))


if __name__ == "__main__":
    main()
