// The optimization-history plot: every completed trial, drawn first and kept live.
//
// The server sends every point as two parallel arrays (/api/studies/<id>/history/, base64,
// in chunks of up to 100,000 points).
// The plot is built once (Plotly.newPlot) and then grows with Plotly.extendTraces: a
// completed trial is drawn in the next animation frame, without rebuilding the plot or
// waiting on the other plots. WebGL (scattergl) draws 10^5-10^6 points; up to SVG_MOST
// points (or where WebGL is unavailable) the SVG scatter is used: cheaper to draw and to
// extend than a WebGL context (measured in Chromium with software WebGL, 150 live trials:
// commit -> DOM p95 40-44 ms with SVG against 55-73 ms with WebGL), and it switches to
// WebGL in place (Plotly.restyle) once the points outgrow it. window.__somatizeHistory
// counts full draws and points, for the browser tests and bench/browser.py.
//
// Any metric can be drawn (setMetric: /history/?metric=NAME); a best-so-far line only for
// an objective (the server's `direction`), since another metric has no direction to be
// best in: its raw values are drawn alone, and the page says so.
import { plotText } from "./live.js";

const POINT = "#4c78a8";
const BEST = "#e45756";
// The browser tests lower it (window.__somatizeSvgMost) to watch the switch with a few trials.
const SVG_MOST = window.__somatizeSvgMost ?? 2000;

function webglAvailable() {
  try {
    const canvas = document.createElement("canvas");
    return Boolean(canvas.getContext("webgl") || canvas.getContext("experimental-webgl"));
  } catch {
    return false;
  }
}

// base64 of little-endian numbers (studies/selectors/plots.py) -> a plain array, which
// extendTraces can grow.
function decode(text, Type) {
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return Array.from(new Type(bytes.buffer));
}

// Every chunk of /history/ (the server sends at most 100,000 points a response).
export async function fetchHistory(url, getJSON) {
  const chunks = [await getJSON(url)];
  const joiner = url.includes("?") ? "&" : "?";
  while (chunks.at(-1).more) chunks.push(await getJSON(`${url}${joiner}after=${chunks.at(-1).last_number}`));
  return chunks;
}

export class HistoryPlot {
  constructor(study, element, logToggle, url) {
    this.study = study;
    this.el = element;
    this.baseUrl = url;
    this.metric = study.metric;          // the metric drawn; the objective by default
    this.direction = study.direction;    // null: not an objective, so no best-so-far line
    this.generation = 0;                 // a metric switch's responses older than the last are dropped
    this.note = document.getElementById("history-metric-note");
    this.webgl = webglAvailable();
    this.kind = "scatter";
    this.seen = new Set();
    this.queue = [];
    this.drawn = false;
    this.best = null;      // [number, value] of the best point so far, in number order
    this.lastNumber = -1;
    this.stats = (window.__somatizeHistory = { kind: this.kind, points: 0, fullDraws: 0, drawnAt: null, appended: [] });
    this.logToggle = logToggle;
    logToggle?.addEventListener("change", () => this.setLog(logToggle.checked));
  }

  kindFor(points) { return this.webgl && points > SVG_MOST ? "scattergl" : "scatter"; }

  better(a, b) { return this.direction === "minimize" ? a < b : a > b; }

  // The objective's URL is the page's preloaded one (study.html): no ?metric= for it.
  url() {
    return this.metric === this.study.metric ? this.baseUrl : `${this.baseUrl}?metric=${encodeURIComponent(this.metric)}`;
  }

  // A completed trial's value of the metric drawn (trial_completed carries every metric).
  valueOf(trial) { return this.metric === this.study.metric ? trial.value : trial.metrics?.[this.metric]; }

  async reload(getJSON) {
    const generation = ++this.generation;
    const chunks = await fetchHistory(this.url(), getJSON);
    if (generation === this.generation) await this.load(chunks);
  }

  // Another metric: points from the server, live ones meanwhile queued for it.
  setMetric(name, getJSON) {
    this.metric = name;
    this.drawn = false;
    this.queue = [];
    this.seen = new Set();
    return this.reload(getJSON);
  }

  // Best so far by trial number: the step line's corners, ending at the last trial.
  bestLine(numbers, values) {
    const xs = [], ys = [];
    if (!this.direction) { this.best = null; return [xs, ys]; }
    let best = null;
    for (let i = 0; i < numbers.length; i++) {
      if (best === null || this.better(values[i], best)) { best = values[i]; xs.push(numbers[i]); ys.push(best); }
    }
    if (xs.length) { xs.push(numbers.at(-1)); ys.push(best); this.best = [xs.at(-2), best]; }
    return [xs, ys];
  }

  // A full draw from the server's points (page load, reconnect); events newer than
  // the points' cursor are queued by add() and applied after.
  load(chunks) {
    const numbers = chunks.flatMap((c) => decode(c.numbers, Int32Array));
    const values = chunks.flatMap((c) => decode(c.values, Float64Array));
    this.seen = new Set(numbers);
    this.queue = this.queue.filter(([number]) => !this.seen.has(number));
    for (const [number] of this.queue) this.seen.add(number);
    this.lastNumber = numbers.length ? numbers.at(-1) : -1;
    if (chunks[0] && "direction" in chunks[0]) this.direction = chunks[0].direction;
    if (this.note) this.note.textContent = this.direction ? "" : "raw values: the best-so-far line is drawn for objectives only";
    const [bestX, bestY] = this.bestLine(numbers, values);
    const metric = plotText(this.metric);
    this.el.dataset.metric = this.metric;
    this.drawn = false;
    this.kind = this.stats.kind = this.kindFor(numbers.length);
    return Plotly.newPlot(this.el, [
      { x: numbers, y: values, type: this.kind, mode: "markers", name: metric, marker: { size: 4, color: POINT, opacity: 0.6 } },
      { x: bestX, y: bestY, type: this.kind, mode: "lines", name: "best so far", line: { shape: "hv", color: BEST, width: 2 } },
    ], {
      margin: { l: 55, r: 15, t: 10, b: 40 }, height: 300, showlegend: false,
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      xaxis: { title: { text: "trial" } },
      yaxis: { title: { text: metric }, type: this.logToggle?.checked ? "log" : "linear" },
    }, { displaylogo: false, responsive: true }).then(() => {
      this.drawn = true;
      this.stats.fullDraws += 1;
      this.stats.points = numbers.length;
      this.stats.drawnAt = performance.now();
      this.el.dataset.points = String(numbers.length);
      this.flush();
    });
  }

  // A completed trial from the socket: drawn in the next frame with extendTraces.
  add(number, value) {
    if (value === null || value === undefined || this.seen.has(number)) return;
    this.seen.add(number);
    this.queue.push([number, value]);
    if (this.drawn && this.queue.length === 1) requestAnimationFrame(() => this.flush());
  }

  flush() {
    if (!this.drawn || !this.queue.length) return;
    const batch = this.queue.splice(0);
    const [bestX, bestY, outOfOrder] = this.extendBest(batch);
    // One call for both traces: every extendTraces redraws the whole plot.
    Plotly.extendTraces(this.el, { x: [batch.map((p) => p[0]), bestX], y: [batch.map((p) => p[1]), bestY] }, [0, 1]);
    if (outOfOrder) this.redrawBest();
    this.stats.points += batch.length;
    const kind = this.kindFor(this.stats.points);
    if (kind !== this.kind) {
      this.kind = this.stats.kind = kind;
      Plotly.restyle(this.el, { type: kind }, [0, 1]);
    }
    const now = Date.now();
    for (const [number] of batch) this.stats.appended.push([number, now]);
    if (this.stats.appended.length > 10000) this.stats.appended.splice(0, 5000);
    this.el.dataset.points = String(this.stats.points);
  }

  // The best line grows at its end while trials finish in number order: the points to
  // append to it. A trial that finishes out of order and beats the best (outOfOrder)
  // has the best line rebuilt instead.
  extendBest(batch) {
    let outOfOrder = false;
    const xs = [], ys = [];
    for (const [number, value] of batch) {
      if (number < this.lastNumber) { if (this.best && this.better(value, this.best[1])) outOfOrder = true; continue; }
      this.lastNumber = number;
      if (!this.direction) continue;  // raw values only
      if (!this.best || this.better(value, this.best[1])) this.best = [number, value];
      xs.push(number); ys.push(this.best[1]);
    }
    return [xs, ys, outOfOrder];
  }

  redrawBest() {
    const trace = this.el.data[0];
    const order = Array.from(trace.x.keys()).sort((a, b) => trace.x[a] - trace.x[b]);
    const [bestX, bestY] = this.bestLine(order.map((i) => trace.x[i]), order.map((i) => trace.y[i]));
    Plotly.restyle(this.el, { x: [bestX], y: [bestY] }, [1]);
  }

  setLog(on) {
    if (this.drawn) Plotly.relayout(this.el, { "yaxis.type": on ? "log" : "linear" });
  }
}
