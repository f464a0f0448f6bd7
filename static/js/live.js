// Live connection to the dashboard's websockets, with resume from the last event id.
//
// follow(path, cursor, handlers): opens ws(s)://host/<path>?after=<cursor>, calls
// handlers[message.type](message) for each frame (handlers.snapshot for snapshots),
// and reconnects with the last id it saw, so a dropped connection loses nothing.

const indicator = () => document.getElementById("connection");

function showConnection(state) {
  const el = indicator();
  if (el) { el.dataset.state = state; el.textContent = state; }
}

// Close codes after which reconnecting cannot help (studies/payloads.py, via the page),
// each mapped to the state the connection indicator then shows.
function finalCloseStates() {
  const el = document.getElementById("close-codes");
  const codes = el ? JSON.parse(el.textContent) : {};
  return new Map(Object.entries(codes).map(([state, code]) => [code, state]));
}

export function follow(path, cursor, handlers) {
  const finalStates = finalCloseStates();
  let last = cursor;
  let delay = 250;
  const open = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = last === null || last === undefined ? "" : `?after=${last}`;
    const socket = new WebSocket(`${scheme}://${location.host}${path}${query}`);
    socket.onopen = () => { delay = 250; showConnection("live"); };
    socket.onmessage = (frame) => {
      const message = JSON.parse(frame.data);
      if (message.type !== "snapshot" && last !== null && message.id <= last) return;
      last = message.id;
      const handle = handlers[message.type] || handlers.other;
      if (handle) handle(message);
      if (handlers.after) handlers.after(message);
      // Parts of the page with their own script (controls, notes, the console) listen here.
      document.dispatchEvent(new CustomEvent("somatize:event", { detail: message }));
    };
    socket.onclose = (event) => {
      // The server's refusals (bad cursor, logged out, no such study) will not change
      // on a retry: stop, and say why, instead of reconnecting every 5 s forever.
      if (finalStates.has(event.code)) { showConnection(finalStates.get(event.code)); return; }
      showConnection("offline");
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 5000);
    };
  };
  open();
  return { cursor: () => last };
}

export async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.error || response.statusText), { body });
  return body;
}

// Run fn at most once per `ms`, always once more after the last call (trailing edge).
export function throttle(fn, ms) {
  let timer = null;
  let again = false;
  const run = () => {
    timer = null;
    if (again) { again = false; fn(); timer = setTimeout(run, ms); }
  };
  return () => {
    if (timer) { again = true; return; }
    fn();
    timer = setTimeout(run, ms);
  };
}

export function formatValue(value) {
  if (value === null || value === undefined) return "";
  if (typeof value !== "number") return String(value);
  return Number(value.toPrecision(6)).toString();
}

// Plotly reads a subset of HTML in trace names, axis titles, tick labels and hover
// text (<b>, <a href>, entities). User text handed to it is escaped so it shows as typed.
export function plotText(value) {
  return String(value ?? "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function formatPercent(done, total) {
  const pct = total ? (100 * done) / total : 100;
  return `${Number(pct.toFixed(1))}%`;
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "–";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(r)}` : `${m}:${pad(r)}`;
}

export function setLive(root, name, text) {
  for (const el of root.querySelectorAll(`[data-live="${name}"]`)) el.textContent = text;
}

export function setProgress(root, done, total) {
  setLive(root, "trials-done", String(done));
  setLive(root, "trials-total", String(total));
  setLive(root, "progress", formatPercent(done, total));
  const pct = total ? (100 * done) / total : 100;
  for (const bar of root.querySelectorAll('[data-live="progress-bar"]')) bar.style.width = `${pct}%`;
}

export function setState(root, state) {
  for (const el of root.querySelectorAll('[data-live="state"]')) { el.textContent = state; el.dataset.state = state; }
}

export function paramsTable(table, params) {
  table.replaceChildren(...Object.entries(params || {}).map(([name, value]) => {
    const row = document.createElement("tr");
    const th = document.createElement("th"); th.textContent = name;
    const td = document.createElement("td"); td.textContent = formatValue(value);
    row.append(th, td);
    return row;
  }));
}

// The page records when each event reached the DOM (bench/latency.py reads it).
export function markApplied(message) {
  const log = (window.__somatizeApplied = window.__somatizeApplied || []);
  log.push({ id: message.id, type: message.type, at: Date.now() });
  if (log.length > 20000) log.splice(0, log.length - 10000);
}
