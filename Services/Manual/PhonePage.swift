import Foundation
import SpasmSchema

/// The phone page, served at `/`: plain HTML, CSS and JavaScript, no build step. Every
/// entry gets its id on the phone and waits in localStorage until the server answers, so a
/// lost connection loses nothing and a re-send is recognised as the same entry.
enum PhonePage {
    /// Lists the page's buttons are built from, from the shared schema.
    static var options: String {
        let object: [String: Any] = [
            "sites": BodySite.allCases.map(\.rawValue),
            "commonSites": ["left-calf", "right-calf", "left-thigh", "right-thigh", "left-foot", "right-foot",
                            "left-hand", "right-hand", "back", "both-legs"],
            "types": SpasmType.allCases.map(\.rawValue),
            "units": DiaryRules.doseUnits,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static let html: String = head + body + "<script>\nconst OPTIONS = \(options);\n" + script + "\n</script>\n</body>\n</html>\n"

    static let head = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="theme-color" content="#1d4e89">
    <title>SpasmWatch diary</title>
    <style>
    :root { --blue:#1d4e89; --ink:#17202a; --muted:#5b6670; --ok:#1e7d46; --warn:#a4540a; --bad:#b3261e; --card:#fff; --bg:#eef2f6; }
    * { box-sizing: border-box; }
    body { margin:0; font: 18px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:var(--bg); }
    header { background:var(--blue); color:#fff; padding:14px 16px; display:flex; justify-content:space-between; align-items:center; position:sticky; top:0; z-index:2; }
    header h1 { font-size:20px; margin:0; }
    #status { font-size:14px; white-space:nowrap; padding:4px 10px; border-radius:999px; background:rgba(255,255,255,.2); }
    #status.offline { background:#f6c343; color:#3a2a00; }
    main { max-width:560px; margin:0 auto; padding:12px; }
    section { background:var(--card); border-radius:14px; padding:14px; margin-bottom:14px; box-shadow:0 1px 3px rgba(0,0,0,.08); }
    h2 { font-size:19px; margin:0 0 10px; }
    .step { color:var(--muted); font-size:15px; margin:8px 0 6px; }
    .grid { display:grid; grid-template-columns:repeat(2, 1fr); gap:8px; }
    .grid.three { grid-template-columns:repeat(3, 1fr); }
    .row { display:flex; flex-wrap:wrap; gap:6px; }
    button, select, input { font:inherit; }
    button { min-height:56px; border-radius:12px; border:2px solid var(--blue); background:#fff; color:var(--blue); font-weight:600; padding:8px 10px; cursor:pointer; }
    button.primary { background:var(--blue); color:#fff; }
    button.chosen { background:var(--blue); color:#fff; }
    button.small { min-height:44px; font-size:16px; }
    button.num { min-width:48px; flex:1 0 48px; }
    button.danger { border-color:var(--bad); color:var(--bad); }
    button.okay { border-color:var(--ok); background:var(--ok); color:#fff; }
    button:disabled { opacity:.45; }
    select, input { width:100%; min-height:52px; border:2px solid #b8c4cf; border-radius:12px; padding:8px 12px; background:#fff; }
    label { display:block; margin:10px 0 4px; color:var(--muted); font-size:15px; }
    .sev1 { border-color:#3b8b5a; color:#2b6b43; } .sev2 { border-color:#b7791f; color:#8a5a12; } .sev3 { border-color:var(--bad); color:var(--bad); }
    #flash { position:fixed; left:12px; right:12px; bottom:12px; padding:14px 16px; border-radius:12px; background:var(--ink); color:#fff; display:none; z-index:3; max-width:536px; margin:0 auto; }
    #flash.error { background:var(--bad); }
    #flash.show { display:block; }
    ul.list { list-style:none; margin:0; padding:0; }
    ul.list li { display:flex; gap:10px; align-items:center; justify-content:space-between; padding:10px 0; border-top:1px solid #e3e8ee; }
    ul.list li:first-child { border-top:none; }
    .what { flex:1; min-width:0; }
    .meta { color:var(--muted); font-size:14px; }
    .retracted .what { text-decoration:line-through; color:var(--muted); }
    .badge { font-size:13px; padding:2px 8px; border-radius:999px; background:#e3e8ee; color:var(--muted); white-space:nowrap; }
    .badge.phone { background:#fde9b8; color:#6b4a00; }
    .badge.stored { background:#d7f0df; color:#1e6b3c; }
    .badge.refused { background:#f8d7d7; color:#8a1c1c; }
    .alert { border-left:6px solid var(--bad); }
    /* A critical alert: pinned first, red, two large buttons. */
    .urgent { background:var(--bad); color:#fff; border-radius:14px; padding:16px; margin-bottom:14px; box-shadow:0 2px 8px rgba(179,38,30,.45); }
    .urgent h2 { font-size:22px; margin:0 0 6px; }
    .urgent .meta { color:#fde2df; }
    .urgent .actions { display:grid; grid-template-columns:1fr 1fr; gap:10px; margin-top:12px; }
    button.big { min-height:72px; font-size:21px; font-weight:700; border-radius:14px; }
    button.big.ok { background:#fff; color:var(--ok); border:3px solid #fff; }
    button.big.help { background:#5c0f0b; color:#fff; border:3px solid #fff; }
    .urgent .actions button:only-child { grid-column:1 / -1; }
    .asked { margin-top:10px; padding:8px 10px; border-radius:10px; background:rgba(0,0,0,.25); font-weight:600; }
    .warnbox { background:#fde9b8; color:#4a3300; border-radius:12px; padding:10px 14px; margin-bottom:14px; font-weight:600; }
    .warnbox p { margin:4px 0; }
    #alert-list li { flex-wrap:wrap; }
    #alert-list li .what { flex:1 1 100%; }
    #alert-list li button { flex:1 1 100%; }
    .routine { display:flex; align-items:center; justify-content:space-between; gap:10px; background:var(--card); border-radius:14px; padding:8px 14px; margin-bottom:14px; box-shadow:0 1px 3px rgba(0,0,0,.08); }
    .routine span { font-size:16px; }
    .empty { color:var(--muted); font-size:15px; }
    .hidden { display:none; }
    </style>
    </head>

    """#

    static let body = #"""
    <body>
    <header><h1>SpasmWatch diary</h1><span id="status">…</span></header>
    <p class="wearlink"><a href="/wear">Wear this phone</a> as a sensor</p>
    <main>
      <div id="urgent" aria-live="assertive"></div>
      <div id="warnings" class="warnbox hidden" role="status"></div>
      <section id="alerts" class="alert hidden" aria-live="polite">
        <ul class="list" id="alert-list"></ul>
      </section>
      <div id="routine" class="routine hidden"><span id="routine-text"></span><button class="small" id="routine-clear">Clear all</button></div>

      <section id="spasm">
        <h2>Spasm now</h2>
        <div id="spasm-site">
          <div class="step">1 · Where?</div>
          <div class="grid" id="site-buttons"></div>
          <label for="site-other">Somewhere else</label>
          <select id="site-other"><option value="">choose…</option></select>
        </div>
        <div id="spasm-type" class="hidden">
          <div class="step">2 · What kind? <span id="chosen-site"></span></div>
          <div class="grid" id="type-buttons"></div>
        </div>
        <div id="spasm-severity" class="hidden">
          <div class="step">3 · How bad?</div>
          <div class="grid three">
            <button class="sev1" data-severity="1">1 mild</button>
            <button class="sev2" data-severity="2">2 moderate</button>
            <button class="sev3" data-severity="3">3 severe</button>
          </div>
        </div>
        <div class="row" style="margin-top:8px"><button class="small hidden" id="spasm-restart">Start again</button></div>
      </section>

      <section id="episodes" class="hidden">
        <h2>Was this a spasm?</h2>
        <ul class="list" id="episode-list"></ul>
      </section>

      <section id="med">
        <h2>Medication taken</h2>
        <div class="row" id="med-quick"></div>
        <label for="med-name">Name</label>
        <input id="med-name" autocomplete="off" placeholder="e.g. baclofen">
        <label for="med-dose">Dose</label>
        <input id="med-dose" autocomplete="off" placeholder="e.g. 10mg">
        <div class="row" style="margin-top:10px"><button class="primary" id="med-save" style="flex:1">Taken now</button></div>
      </section>

      <section id="checkin">
        <h2>Daily check-in</h2>
        <div class="step">Spasticity over the last 24 hours (0 none – 10 worst)</div>
        <div class="row" id="nrs-buttons"></div>
        <div class="step">Spasms how often? (PSFS)</div>
        <div class="row" id="psfs-buttons"></div>
        <div class="step">Sleep last night (0 very poor – 10 very good), optional</div>
        <div class="row" id="sleep-buttons"></div>
        <div class="row" style="margin-top:10px"><button class="primary" id="checkin-save" style="flex:1" disabled>Save check-in</button></div>
      </section>

      <section id="recent">
        <h2>Recent entries</h2>
        <ul class="list" id="recent-list"></ul>
      </section>
    </main>
    <div id="flash" role="status"></div>
    <p style="text-align:center;margin:2em 0 1em"><a href="/trust">Trust this hub on a phone (HTTPS, QR code)</a></p>

    """#

    static let script = #"""
    "use strict";
    const QUEUE_KEY = "spasmwatch.queue";
    const PSFS = ["0 none", "1 only when touched or moved", "2 less than once an hour", "3 once an hour or more", "4 more than 10 an hour"];
    const TYPES = { tonic: "Tonic · stiff", phasic: "Phasic · jerk", clonus: "Clonus · shaking", cramp: "Cramp", unsure: "Not sure" };
    const $ = (id) => document.getElementById(id);
    let online = true;
    let recent = [];
    let spasm = {};
    let checkin = {};

    function uuid() {
      const b = new Uint8Array(16);
      crypto.getRandomValues(b);
      b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
      const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    const words = (s) => s.replace(/-/g, " ");
    const now = () => Date.now() / 1000;
    function timeText(t) {
      const d = new Date(t * 1000), today = new Date();
      const hm = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      if (d.toDateString() === today.toDateString()) return hm;
      const y = new Date(today); y.setDate(today.getDate() - 1);
      if (d.toDateString() === y.toDateString()) return "yesterday " + hm;
      return d.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" }) + " " + hm;
    }
    function el(tag, attrs, ...children) {
      const e = document.createElement(tag);
      for (const [k, v] of Object.entries(attrs || {})) {
        if (k === "onclick") e.addEventListener("click", v); else if (k === "class") e.className = v; else e.setAttribute(k, v);
      }
      for (const c of children) if (c != null) e.append(c);
      return e;
    }
    let flashTimer;
    function flash(text, error) {
      const f = $("flash");
      f.textContent = text;
      f.className = "show" + (error ? " error" : "");
      clearTimeout(flashTimer);
      flashTimer = setTimeout(() => { f.className = ""; }, error ? 8000 : 3500);
    }

    // The queue: every entry waits here until the server has it.
    function queue() { try { return JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]"); } catch (e) { return []; } }
    function setQueue(q) { localStorage.setItem(QUEUE_KEY, JSON.stringify(q)); }
    function summaryOf(e) {
      switch (e.kind) {
        case "spasm": return `spasm: ${words(e.spasm.site || "")}, ${e.spasm.type}, severity ${e.spasm.severity}`;
        case "checkin": return `check-in: spasticity ${e.checkin.nrs}/10`;
        case "medication": return `medication: ${e.medication.name}${e.medication.dose ? " " + e.medication.dose + " " + (e.medication.unit || "") : ""} taken`;
        case "correction": return `undo of ${e.correction.targetEntryId.slice(0, 8)}`;
        case "confirmation": return `episode ${e.confirmation.episodeId.slice(0, 8)}: ${e.confirmation.wasSpasm ? "yes" : "no"}`;
        default: return e.kind;
      }
    }
    function save(entry) {
      entry.entryId = entry.entryId || uuid();
      entry.recordedAt = entry.recordedAt || now();
      entry.via = "web";
      const q = queue(); q.push(entry); setQueue(q);
      render();
      flush(true);
      return entry.entryId;
    }

    let flushing = false;
    async function flush(announce) {
      if (flushing) return;
      flushing = true;
      let sent = 0;
      try {
        for (;;) {
          const q = queue();
          if (!q.length) break;
          const entry = q[0];
          let response, answer;
          try {
            // sentAt: this phone's clock now, so the server can correct a clock that is off.
            const body = JSON.stringify(Object.assign({}, entry, { sentAt: now() }));
            response = await fetch("api/entries", { method: "POST", headers: { "Content-Type": "application/json" }, body, credentials: "same-origin" });
            answer = await response.json().catch(() => ({}));
          } catch (e) {
            setOnline(false);
            if (announce) flash("No connection: kept on this phone, will send when it can.");
            break;
          }
          setOnline(true);
          if (response.ok) {
            setQueue(queue().filter((x) => x.entryId !== entry.entryId));
            sent++;
            if (announce && answer.saved) flash(`Saved ✓ ${answer.saved.summary}`);
          } else if (response.status === 400 && answer.field === "sentAt") {
            // This phone's clock is too far off to correct: the entry is fine and stays here
            // until the date and time are set (then it is sent with a good sentAt).
            flash(answer.error || "This phone's clock is off: set its date and time.", true);
            break;
          } else if (response.status === 400 || response.status === 413) {
            // Refused: it never will be accepted; say why and drop it.
            setQueue(queue().filter((x) => x.entryId !== entry.entryId));
            flash(answer.error || "The entry was refused.", true);
          } else {
            if (response.status === 401) flash(answer.error || "This diary needs its token.", true);
            break;
          }
        }
      } finally {
        flushing = false;
      }
      if (sent) await refresh();
      render();
    }

    function setOnline(value) { online = value; renderStatus(); }
    function renderStatus() {
      const waiting = queue().length, s = $("status");
      s.className = online ? "" : "offline";
      s.textContent = (online ? "online" : "offline") + (waiting ? ` · ${waiting} on this phone` : "");
    }

    async function getJSON(path) {
      const r = await fetch(path, { credentials: "same-origin", cache: "no-store" });
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }
    async function refresh() {
      try {
        const [entries, episodes, alerts] = await Promise.all([getJSON("api/entries?limit=30"), getJSON("api/episodes"), getJSON("api/alerts")]);
        recent = entries.entries || [];
        renderEpisodes(episodes.episodes || []);
        renderAlerts(alerts.alerts || [], alerts.warnings || []);
        setOnline(true);
      } catch (e) {
        setOnline(false);
      }
      render();
    }

    // Spasm now: site, type, severity.
    function spasmStep() {
      $("spasm-site").classList.toggle("hidden", !!spasm.site);
      $("spasm-type").classList.toggle("hidden", !spasm.site || !!spasm.type);
      $("spasm-severity").classList.toggle("hidden", !spasm.type);
      $("spasm-restart").classList.toggle("hidden", !spasm.site);
      $("chosen-site").textContent = spasm.site ? "· " + words(spasm.site) : "";
    }
    function buildSpasm() {
      for (const site of OPTIONS.commonSites) $("site-buttons").append(el("button", { "data-site": site, onclick: () => { spasm.site = site; spasmStep(); } }, words(site)));
      for (const site of OPTIONS.sites) $("site-other").append(el("option", { value: site }, words(site)));
      $("site-other").addEventListener("change", (e) => { if (e.target.value) { spasm.site = e.target.value; e.target.value = ""; spasmStep(); } });
      for (const type of OPTIONS.types) $("type-buttons").append(el("button", { "data-type": type, onclick: () => { spasm.type = type; spasmStep(); } }, TYPES[type] || type));
      for (const b of document.querySelectorAll("[data-severity]")) b.addEventListener("click", () => {
        const t = now();
        save({ kind: "spasm", spasm: { at: t, site: spasm.site, type: spasm.type, severity: Number(b.dataset.severity), triggers: [], effects: [] } });
        spasm = {}; spasmStep();
      });
      $("spasm-restart").addEventListener("click", () => { spasm = {}; spasmStep(); });
      spasmStep();
    }

    function numberRow(target, from, to, key, labels) {
      for (let n = from; n <= to; n++) {
        target.append(el("button", { class: "num small", title: labels ? labels[n] : String(n), "data-value": n, onclick: (ev) => {
          checkin[key] = checkin[key] === n && key === "sleep" ? undefined : n;
          for (const b of target.children) b.classList.toggle("chosen", Number(b.dataset.value) === checkin[key]);
          $("checkin-save").disabled = checkin.nrs === undefined;
        } }, String(n)));
      }
    }
    function buildCheckin() {
      numberRow($("nrs-buttons"), 0, 10, "nrs");
      numberRow($("psfs-buttons"), 0, 4, "psfs", PSFS);
      numberRow($("sleep-buttons"), 0, 10, "sleep");
      $("checkin-save").addEventListener("click", () => {
        const c = { at: now(), nrs: checkin.nrs };
        if (checkin.psfs !== undefined) c.psfs = checkin.psfs;
        if (checkin.sleep !== undefined) c.sleepQuality = checkin.sleep;
        save({ kind: "checkin", checkin: c });
        checkin = {};
        for (const b of document.querySelectorAll("#checkin .num")) b.classList.remove("chosen");
        $("checkin-save").disabled = true;
      });
    }

    function parseDose(text) {
      const m = /^\s*([0-9]+(?:[.,][0-9]+)?)\s*([A-Za-zµ]+)?\s*$/.exec(text || "");
      if (!m) return null;
      return { dose: Number(m[1].replace(",", ".")), unit: m[2] };
    }
    function takeMedication(name, doseText) {
      const med = { at: now(), name: name, action: "taken" };
      if (doseText && doseText.trim()) {
        const d = parseDose(doseText);
        if (!d) { flash(`dose '${doseText}' is not a dose; use e.g. 10mg, 500mcg, 1 tablet`, true); return; }
        med.dose = d.dose; if (d.unit) med.unit = d.unit;
      }
      save({ kind: "medication", medication: med });
    }
    function buildMedication() {
      $("med-save").addEventListener("click", () => {
        const name = $("med-name").value.trim();
        if (!name) { flash("medication name is empty; give the medicine or supplement, e.g. baclofen", true); return; }
        takeMedication(name, $("med-dose").value);
        $("med-name").value = ""; $("med-dose").value = "";
      });
    }
    function renderQuickMeds() {
      const seen = new Map();
      for (const r of recent) {
        const m = r.entry.medication;
        if (!m || r.retracted) continue;
        const key = `${m.name} ${m.dose ? m.dose + (m.unit || "") : ""}`.trim();
        if (!seen.has(key)) seen.set(key, m);
      }
      const row = $("med-quick"); row.replaceChildren();
      for (const [key, m] of Array.from(seen).slice(0, 4)) {
        row.append(el("button", { class: "small", onclick: () => takeMedication(m.name, m.dose ? `${m.dose}${m.unit || ""}` : "") }, key));
      }
    }

    function renderEpisodes(episodes) {
      const open = episodes.filter((e) => e.wasSpasm === undefined || e.wasSpasm === null);
      const waiting = new Set(queue().filter((e) => e.kind === "confirmation").map((e) => e.confirmation.episodeId.toLowerCase()));
      const list = $("episode-list"); list.replaceChildren();
      for (const e of open) {
        const id = e.episode.episodeId.toLowerCase();
        if (waiting.has(id)) continue;
        const answer = (yes) => { save({ kind: "confirmation", confirmation: { episodeId: e.episode.episodeId, wasSpasm: yes } }); refresh(); };
        list.append(el("li", {},
          el("div", { class: "what" }, e.summary, el("div", { class: "meta" }, `${timeText(e.episode.start)} · ${e.shortId}`)),
          el("button", { class: "small okay", onclick: () => answer(true) }, "Yes"),
          el("button", { class: "small danger", onclick: () => answer(false) }, "No")));
      }
      $("episodes").classList.toggle("hidden", !list.children.length);
    }

    // Alerts: a critical one (a fall) is pinned first, in red, with "I'm OK" and "I need
    // help"; one that asks something else (a silent sensor) gets its own answer; routine
    // ones (spasms found) are one line with "clear all".
    const SPASM_KINDS = new Set(["phasic", "clonus", "tonic"]);
    async function post(path) {
      const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}", credentials: "same-origin" });
      const j = await r.json().catch(() => ({}));
      if (!r.ok) throw new Error(j.error || "HTTP " + r.status);
      return j;
    }
    function answerButton(cls, label, path, done) {
      return el("button", { class: cls, onclick: async (ev) => {
        ev.currentTarget.disabled = true;
        const b = ev.currentTarget;
        try {
          await post(path);
          flash(done);
        } catch (e) {
          flash("Could not reach the server: " + e.message + ". Try again, or call someone.", true);
          b.disabled = false;
        }
        refresh();
      } }, label);
    }
    function renderAlerts(alerts, warnings) {
      const critical = alerts.filter((a) => a.alert.severity === "critical");
      const notices = alerts.filter((a) => a.alert.severity === "warning");
      const routine = alerts.filter((a) => a.alert.severity === "info");

      const urgent = $("urgent"); urgent.replaceChildren();
      for (const a of critical) {
        const id = a.alert.alertId;
        urgent.append(el("section", { class: "urgent", "data-alert-id": id, role: "alert" },
          el("h2", {}, a.alert.title),
          el("div", {}, a.alert.message),
          el("div", { class: "meta" }, `${timeText(a.alert.at)} · ${a.shortId}`),
          a.helpRequestedBy ? el("div", { class: "asked" }, "Help was asked for: everyone on your list was told.") : null,
          el("div", { class: "actions" },
            answerButton("big ok", "I'm OK", `api/alerts/${id}/acknowledge`, "Told everyone you are OK ✓"),
            a.helpRequestedBy ? null : answerButton("big help", "I need help", `api/alerts/${id}/help`, "Asking everyone for help now ✓"))));
      }

      const box = $("warnings"); box.replaceChildren();
      for (const w of warnings || []) box.append(el("p", {}, w));
      box.classList.toggle("hidden", !box.children.length);

      const list = $("alert-list"); list.replaceChildren();
      for (const a of notices) {
        const silent = a.alert.kind === "sensor-silent";
        list.append(el("li", { "data-alert-id": a.alert.alertId },
          el("div", { class: "what" }, el("strong", {}, a.alert.title), el("div", {}, a.alert.message),
             el("div", { class: "meta" }, `${timeText(a.alert.at)} · ${a.alert.severity}`)),
          answerButton("small okay", silent ? "I took it off on purpose" : "Seen", `api/alerts/${a.alert.alertId}/acknowledge`,
                       silent ? "Noted: you took the sensor off ✓" : "Noted ✓")));
      }
      $("alerts").classList.toggle("hidden", !notices.length);

      const spasms = routine.filter((a) => SPASM_KINDS.has(a.alert.kind)).length, others = routine.length - spasms;
      const oldest = routine.reduce((t, a) => Math.min(t, a.alert.at), Infinity);
      const since = new Date(oldest * 1000).toDateString() === new Date().toDateString() ? "today" : "since " + timeText(oldest);
      const parts = [];
      if (spasms) parts.push(`${spasms} ${spasms === 1 ? "spasm" : "spasms"}`);
      if (others) parts.push(`${others} other ${others === 1 ? "alert" : "alerts"}`);
      $("routine-text").textContent = `${parts.join(" and ")} detected ${since}`;
      $("routine").classList.toggle("hidden", !routine.length);
    }
    $("routine-clear").addEventListener("click", async () => {
      try { await post("api/alerts/clear"); } catch (e) { flash("Could not reach the server: " + e.message, true); }
      refresh();
    });

    function undo(entryId) { save({ kind: "correction", correction: { targetEntryId: entryId, action: "retract" } }); }

    function render() {
      renderStatus();
      const list = $("recent-list"); list.replaceChildren();
      const q = queue();
      const undone = new Set(q.filter((e) => e.kind === "correction").map((e) => e.correction.targetEntryId.toLowerCase()));
      for (const e of q.slice().reverse()) {
        list.append(el("li", {}, el("div", { class: "what" }, summaryOf(e), el("div", { class: "meta" }, `${timeText(e.recordedAt)} · ${e.entryId.slice(0, 8)}`)),
          el("span", { class: "badge phone" }, "on this phone")));
      }
      for (const r of recent) {
        const id = r.entry.entryId.toLowerCase();
        const gone = r.retracted || undone.has(id);
        const canUndo = !gone && r.entry.kind !== "correction";
        list.append(el("li", { class: gone ? "retracted" : "" },
          el("div", { class: "what" }, r.summary, el("div", { class: "meta" }, `${timeText(r.at)} · ${r.shortId} · ${r.entry.via}`)),
          el("span", { class: "badge" + (r.stored ? " stored" : r.refused ? " refused" : ""), title: r.refused || "" },
             gone ? "undone" : r.refused ? "refused by storage" : r.stored ? "stored" : "sending"),
          canUndo ? el("button", { class: "small danger", onclick: () => undo(r.entry.entryId) }, "Undo") : null));
      }
      if (!list.children.length) list.append(el("li", { class: "empty" }, "Nothing yet."));
      renderQuickMeds();
    }

    buildSpasm();
    buildCheckin();
    buildMedication();
    render();
    refresh().then(() => flush(false));
    setInterval(() => { flush(false); }, 5000);
    setInterval(refresh, 5000);
    window.addEventListener("online", () => flush(true));
    document.addEventListener("visibilitychange", () => { if (!document.hidden) { flush(false); refresh(); } });
    """#
}
