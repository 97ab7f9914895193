/// The "Wear this phone" screen (`GET /wear`): choose where the phone is worn, one tap to
/// start (motion permission on iOS, a screen wake lock), then it streams its accelerometer
/// to `/wear/socket` (`WearRoutes`, `WearStreams`). It shows "Connected, 59 Hz, 0 lost", the
/// last episode detected from this phone, a stop button, and the list of every device,
/// each of which can be renamed or moved. docs/devices.md explains it for the person.
///
/// While the socket is down (a Wi-Fi blip) the page keeps every batch (up to 10 minutes) and
/// sends them again, oldest first, one at a time, each until the server acknowledges it.
enum WearPage {
    static let html = #"""
<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Wear this phone – SpasmWatch</title>
<style>
body { font: 18px/1.4 system-ui, sans-serif; margin: 0; padding: 16px; background: #fafafa; color: #222; }
h1 { font-size: 24px; margin: 0 0 12px; }
label.site { display: block; padding: 12px; margin: 6px 0; background: #fff; border: 2px solid #ccc; border-radius: 10px; }
label.site:has(input:checked) { border-color: #1b5e20; background: #e8f5e9; }
button { font-size: 20px; padding: 16px; border-radius: 10px; border: 0; width: 100%; margin: 8px 0; }
#start { background: #1b5e20; color: #fff; }
#stop { background: #b3261e; color: #fff; min-height: 72px; font-size: 24px; }
#status { font-size: 22px; font-weight: 600; margin: 12px 0; }
#episode { margin: 8px 0 16px; }
table { border-collapse: collapse; width: 100%; font-size: 15px; }
td, th { border-bottom: 1px solid #ddd; padding: 6px 4px; text-align: left; vertical-align: top; }
.small { font-size: 14px; color: #555; }
a { color: #0b57d0; }
</style></head>
<body>
<p class="small"><a href="/">← Diary</a></p>
<h1>Wear this phone</h1>
<section id="setup">
  <p>Where do you wear it?</p>
  <div id="sites"></div>
  <button id="start">Start</button>
  <p class="small">Keep this screen open: it stays on while the phone measures.</p>
</section>
<section id="running" hidden>
  <div id="status">Starting…</div>
  <div id="episode">Last episode: none yet</div>
  <div id="note" class="small"></div>
  <button id="stop">Stop</button>
</section>
<h2>Devices</h2>
<div id="devices" class="small">…</div>
<script>
"use strict";
const PLACES = [
  ["right-thigh", "In my right trouser pocket"], ["left-thigh", "In my left trouser pocket"],
  ["right-forearm", "Strapped to my right forearm"], ["left-forearm", "Strapped to my left forearm"],
  ["right-upper-arm", "Armband, right upper arm"], ["left-upper-arm", "Armband, left upper arm"],
  ["abdomen", "On my belt or waist"], ["right-ankle", "Strapped to my right ankle"], ["left-ankle", "Strapped to my left ankle"]];
const G = 9.80665, BATCH_MS = 500, KEEP_BATCHES = 1200;   // 1200 × 0.5 s: 10 minutes kept through an outage
const hex = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n)), b => b.toString(16).padStart(2, "0")).join("");
const wear = window.wear = {
  device: localStorage.getItem("spasmwatch_device") || ("phone-" + hex(3)),
  epoch: hex(8), seq: 0, placement: localStorage.getItem("spasmwatch_placement") || "right-thigh",
  outbox: [], inflight: null, socket: null, connected: false, running: false, backoff: 1000, opened: 0,
  current: { t: [], x: [], y: [], z: [] }, recent: [], lost: 0, serverLost: 0, samples: 0, acked: 0, duplicates: 0,
  battery: undefined, wakeLock: null, lastEpisode: null };
localStorage.setItem("spasmwatch_device", wear.device);
const $ = (id) => document.getElementById(id);

$("sites").innerHTML = PLACES.map(([site, words]) =>
  `<label class="site"><input type="radio" name="site" value="${site}" ${site === wear.placement ? "checked" : ""}> ${words}</label>`).join("");
document.querySelectorAll("input[name=site]").forEach(r => r.addEventListener("change", () => {
  wear.placement = r.value; localStorage.setItem("spasmwatch_placement", r.value); }));

function onMotion(e) {
  const a = e.accelerationIncludingGravity;
  if (!a || a.x === null) return;
  const t = performance.timeOrigin + e.timeStamp;
  const c = wear.current;
  c.t.push(t); c.x.push(a.x / G); c.y.push(a.y / G); c.z.push(a.z / G);
  wear.samples++;
  wear.recent.push(t);
  while (wear.recent.length && wear.recent[0] < t - 5000) wear.recent.shift();
  if (t - c.t[0] >= BATCH_MS) seal();
}

function seal() {
  const c = wear.current;
  if (!c.t.length) return;
  wear.outbox.push({ type: "batch", device: wear.device, epoch: wear.epoch, seq: wear.seq++, placement: wear.placement,
                     battery: wear.battery, t: c.t, x: c.x, y: c.y, z: c.z });
  wear.current = { t: [], x: [], y: [], z: [] };
  while (wear.outbox.length > KEEP_BATCHES) { wear.lost += wear.outbox.shift().t.length; }
  pump();
}

function pump() {
  if (!wear.connected || wear.inflight || !wear.outbox.length) return;
  wear.inflight = wear.outbox[0];
  wear.socket.send(JSON.stringify(wear.inflight));
  const seq = wear.inflight.seq, socket = wear.socket;
  // No answer in 10 s: the socket is dead even if it does not know it yet.
  setTimeout(() => { if (wear.inflight && wear.inflight.seq === seq && wear.socket === socket) socket.close(); }, 10000);
}

function connect() {
  if (!wear.running && !wear.outbox.length) return;
  const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/wear/socket");
  wear.socket = socket;
  socket.onopen = () => { wear.connected = true; wear.opened++; wear.backoff = 1000; show(); pump(); };
  socket.onmessage = (m) => {
    const r = JSON.parse(m.data);
    const head = wear.outbox[0];
    if (r.type === "ack" && head && r.seq === head.seq) {
      wear.outbox.shift(); wear.acked += head.t.length; if (r.duplicate) wear.duplicates++;
      wear.serverLost = r.lost || 0; wear.inflight = null;
      if (r.sensorId) wear.device = r.sensorId;
      pump();
    } else if (r.type === "retry") {
      wear.inflight = null; setTimeout(pump, 1000);          // ingestion busy or down: the same batch again soon
    } else if (r.type === "error") {
      $("note").textContent = "The server refused a batch: " + r.error;
      if (head && r.seq === head.seq) { wear.lost += head.t.length; wear.outbox.shift(); }
      wear.inflight = null; pump();
    }
    show();
  };
  socket.onclose = () => {
    if (wear.socket !== socket) return;
    wear.connected = false; wear.inflight = null; wear.socket = null; show();
    setTimeout(connect, wear.backoff); wear.backoff = Math.min(wear.backoff * 2, 5000);
  };
}

function hz() {
  const r = wear.recent;
  return r.length > 1 ? Math.round((r.length - 1) * 1000 / (r[r.length - 1] - r[0])) : 0;
}

function show() {
  if (!wear.running && !wear.outbox.length && !wear.inflight) { $("status").textContent = "Stopped"; return; }
  const waiting = wear.outbox.length > 1 ? `, ${Math.round(wear.outbox.length * BATCH_MS / 1000)} s waiting to send` : "";
  $("status").textContent = `${wear.connected ? "Connected" : "Reconnecting"}, ${hz()} Hz, ${wear.lost + wear.serverLost} lost${waiting}`;
}

async function keepAwake() {
  try { if ("wakeLock" in navigator) wear.wakeLock = await navigator.wakeLock.request("screen"); }
  catch (e) { $("note").textContent = "The screen may turn off by itself: keep it on so the phone keeps measuring."; }
}
document.addEventListener("visibilitychange", () => { if (wear.running && document.visibilityState === "visible") keepAwake(); });

$("start").addEventListener("click", async () => {
  // iOS asks for motion access, and only from a tap.
  if (typeof DeviceMotionEvent !== "undefined" && typeof DeviceMotionEvent.requestPermission === "function") {
    let answer = "denied";
    try { answer = await DeviceMotionEvent.requestPermission(); } catch (e) { answer = String(e); }
    if (answer !== "granted") { $("note").textContent = "Motion access was not given: allow it in Settings › Safari › Motion & Orientation Access."; return; }
  }
  if (!window.isSecureContext) { $("note").textContent = "The browser gives motion only over https:// (or on this machine itself)."; }
  await keepAwake();
  if (navigator.getBattery) navigator.getBattery().then(b => {
    const read = () => { wear.battery = Math.round(b.level * 100); };
    read(); b.addEventListener("levelchange", read); }).catch(() => {});
  window.addEventListener("devicemotion", onMotion);
  wear.running = true;
  $("setup").hidden = true; $("running").hidden = false;
  setInterval(() => { if (wear.current.t.length && performance.timeOrigin + performance.now() - wear.current.t[0] >= BATCH_MS) seal(); show(); }, 250);
  connect(); show();
});

$("stop").addEventListener("click", () => {
  window.removeEventListener("devicemotion", onMotion);
  wear.running = false; seal();
  if (wear.wakeLock) wear.wakeLock.release().catch(() => {});
  $("setup").hidden = false; $("running").hidden = true; show();
});

async function episodes() {
  try {
    const r = await (await fetch("/api/episodes?limit=50")).json();
    const mine = (r.episodes || []).map(e => e.episode || e).filter(e => e.sensorId === wear.device);
    if (mine.length) {
      const e = mine.sort((a, b) => b.start - a.start)[0];
      wear.lastEpisode = e;
      $("episode").textContent = `Last episode: ${e.kind} at ${new Date(e.start * 1000).toLocaleTimeString()}`;
    }
  } catch (e) {}
}

const ago = (t) => { const s = Math.max(0, Date.now() / 1000 - t); return s < 90 ? `${Math.round(s)} s ago` : `${Math.round(s / 60)} min ago`; };
async function devices() {
  let r;
  try { r = await (await fetch("/api/devices")).json(); } catch (e) { return; }
  if (!r.ok) { $("devices").textContent = r.error || "Devices are not available."; return; }
  const options = (r.sites || []).map(s => `<option value="${s}">${s}</option>`).join("");
  $("devices").innerHTML = r.devices.length ? `<table><tr><th>Device</th><th>Kind</th><th>Worn at</th><th>Battery</th><th>Rate</th><th>Last seen</th><th>Lost</th></tr>` +
    r.devices.map(d => `<tr data-id="${d.sensorId}"><td><b>${esc(d.name || d.sensorId)}</b><br><button class="rename" style="font-size:14px;padding:4px;width:auto">Rename</button></td>
      <td>${d.device || "other"}</td><td><select class="move">${options}</select></td>
      <td>${d.battery === undefined || d.battery === null ? "–" : Math.round(d.battery) + "%"}</td><td>${Math.round(d.sampleRate)} Hz</td>
      <td>${ago(d.lastFrameTime)}</td><td>${r.framesLost ? (r.framesLost[d.sensorId] || 0) + " frames" : "?"}</td></tr>`).join("") + "</table>"
    : "No devices yet.";
  for (const row of document.querySelectorAll("#devices tr[data-id]")) {
    const id = row.dataset.id, d = r.devices.find(x => x.sensorId === id);
    row.querySelector("select.move").value = d.placement;
    row.querySelector("select.move").addEventListener("change", (e) => post(`/api/devices/${encodeURIComponent(id)}/move`, { placement: e.target.value }));
    row.querySelector("button.rename").addEventListener("click", () => {
      const name = prompt("A name for this device", d.name || "");
      if (name !== null) post(`/api/devices/${encodeURIComponent(id)}/rename`, { name });
    });
  }
}
const esc = (s) => String(s).replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);
async function post(url, body) {
  const r = await (await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })).json();
  if (!r.ok) alert(r.error);
  devices();
}
devices(); setInterval(devices, 10000);
episodes(); setInterval(episodes, 5000);
</script>
</body></html>
"""#
}
