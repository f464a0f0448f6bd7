// The study page's plots after the history (history.js): intermediate values, parallel
// coordinates, parameter importance and slice. The server sends bounded series
// (/api/studies/<id>/plots/); live events extend them here without another request.
// They are drawn off the critical path: when scrolled into view, in idle time, and at
// most once a second while trials arrive, so they never delay the history plot.
// Every name, metric and choice passes through plotText: Plotly renders HTML in labels.
// The intermediate values are of one metric (this.metric, the objective by default; the
// page's selector switches it and reloads /plots/?metric=NAME).
import { plotText } from "./live.js";

const MAX_POINTS = 6000;   // past this many client-side points, ask the server to downsample again
const MAX_CURVES = 80;

const layout = (extra) => ({
  margin: { l: 55, r: 15, t: 10, b: 40 }, height: 300, showlegend: false,
  paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", ...extra,
});
const config = { displaylogo: false, responsive: true };
const REDRAW_MS = 1000;
const PLOTS = { "plot-intermediate": "drawIntermediate", "plot-parallel": "drawParallel",
                "plot-importance": "drawImportance", "plot-slice": "drawSlice" };

const idle = (fn) => (window.requestIdleCallback ? requestIdleCallback(fn, { timeout: 500 }) : setTimeout(fn, 0));

export class StudyPlots {
  constructor(study, onTooLarge) {
    this.study = study;
    this.metric = study.metric;
    this.space = Object.fromEntries(study.search_space.map((d) => [d.name, d]));
    this.onTooLarge = onTooLarge;
    this.data = null;
    this.recent = [];
    this.pending = false;
    this.sliceSelect = document.getElementById("slice-param");
    this.sliceSelect?.addEventListener("change", () => { this.stale?.add("plot-slice"); this.draw(false); });
  }

  better(a, b) { return this.study.direction === "minimize" ? a < b : a > b; }

  // Live events are kept briefly: a reload's data was read at its last_event_id, and the
  // events after that id are applied on top, so nothing falls between the two.
  apply(message) {
    this.recent.push(message);
    if (this.recent.length > 5000) this.recent.splice(0, this.recent.length - 2500);
    if (!this.data) return;
    if (message.type === "trial_metric") this.reported(message.data); else this.completed(message.data);
  }

  load(data) {
    this.data = {
      sampled: new Set(data.sample.numbers),
      sample: { numbers: [...data.sample.numbers], values: [...data.sample.values], params: structuredClone(data.sample.params) },
      curves: new Map(data.intermediate.map((c) => [c.number, { ...c }])),
      rungs: data.rungs,
      importance: data.importance,
    };
    this.sampleNote(data.sample);
    const later = this.recent.filter((m) => m.id > data.last_event_id);
    this.recent = later;
    for (const message of later) {
      if (message.type === "trial_metric") this.reported(message.data); else this.completed(message.data);
    }
    this.draw();
  }

  // Parallel coordinates, slice and importance read a bounded sample: say how large.
  sampleNote(sample) {
    const plot = document.getElementById("plot-parallel");
    if (!plot) return;
    let note = plot.querySelector(".sample-note");
    if (!note) {
      note = document.createElement("p");
      note.className = "muted sample-note";
      plot.querySelector(".canvas")?.before(note);
    }
    const n = sample.numbers.length, of = sample.n_completed;
    note.textContent = n < of ? `a sample of ${n.toLocaleString("en")} of ${of.toLocaleString("en")} completed trials ` +
      "(every k-th trial and the best), also behind the slice and importance plots" : "";
  }

  // --- live events -------------------------------------------------------------
  completed(trial) {
    if (!this.data) return;
    this.curveState(trial.number, trial.state);
    if (trial.state !== "completed" || trial.value === null) return;
    const { sample } = this.data;
    if (!this.data.sampled.has(trial.number)) {
      this.data.sampled.add(trial.number);
      sample.numbers.push(trial.number);
      sample.values.push(trial.value);
      for (const name of Object.keys(sample.params)) sample.params[name].push(trial.params?.[name] ?? null);
    }
    if (sample.numbers.length > MAX_POINTS) this.onTooLarge();
    this.schedule();
  }

  reported(event) {
    if (!this.data) return;
    const value = event.metrics?.[this.metric];
    if (value === undefined) return;
    let curve = this.data.curves.get(event.number);
    if (!curve) {
      curve = { number: event.number, state: "running", steps: [], values: [] };
      this.data.curves.set(event.number, curve);
      if (this.data.curves.size > MAX_CURVES) this.data.curves.delete(Math.min(...this.data.curves.keys()));
    }
    const at = curve.steps.indexOf(event.step);
    if (at >= 0) curve.values[at] = value; else { curve.steps.push(event.step); curve.values.push(value); }
    this.schedule();
  }

  curveState(number, state) {
    const curve = this.data?.curves.get(number);
    if (curve) { curve.state = state; this.schedule(); }
  }

  importance(values) { if (this.data) { this.data.importance = values; this.schedule(); } }

  // --- drawing -----------------------------------------------------------------
  schedule() {
    if (this.pending) return;
    this.pending = true;
    setTimeout(() => { this.pending = false; this.draw(); }, REDRAW_MS);
  }

  // Only plots on screen are drawn; one scrolled into view is drawn then. Parallel
  // coordinates (WebGL) cost a long first render without a GPU, so they wait to be seen.
  observe() {
    this.visible = new Set();
    this.stale = new Set(Object.keys(PLOTS));
    const observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting) this.visible.add(entry.target.id); else this.visible.delete(entry.target.id);
      }
      idle(() => this.draw(false));
    });
    for (const id of Object.keys(PLOTS)) { const el = document.getElementById(id); if (el) observer.observe(el); }
  }

  draw(changed = true) {
    if (!this.visible) this.observe();
    if (changed) for (const id of Object.keys(PLOTS)) this.stale.add(id);
    if (!this.data || !window.Plotly) return;
    for (const id of [...this.stale]) {
      if (!this.visible.has(id)) continue;
      this.stale.delete(id);
      // One plot per idle slot: a long parallel-coordinates draw never holds up the
      // next frame of the history plot.
      idle(() => this[PLOTS[id]]());
    }
  }

  canvas(id) { return document.querySelector(`#${id} .canvas`); }

  drawIntermediate() {
    const traces = [];
    for (const curve of [...this.data.curves.values()].sort((a, b) => a.number - b.number)) {
      const pruned = curve.state === "pruned";
      traces.push({ x: curve.steps, y: curve.values, type: "scatter", mode: "lines", name: `#${curve.number}`,
        line: { width: 1, color: pruned ? "rgba(228,87,86,0.6)" : "rgba(76,120,168,0.6)" } });
      if (pruned && curve.steps.length) {
        traces.push({ x: [curve.steps.at(-1)], y: [curve.values.at(-1)], type: "scatter", mode: "markers",
          name: `#${curve.number} pruned`, marker: { symbol: "x", size: 8, color: "#e45756" } });
      }
    }
    // Successive halving / Hyperband rungs: where trials are judged.
    const shapes = this.data.rungs.map((step) => ({ type: "line", xref: "x", yref: "paper", x0: step, x1: step,
      y0: 0, y1: 1, line: { dash: "dot", width: 1, color: "#888" } }));
    const canvas = this.canvas("plot-intermediate");
    Plotly.react(canvas, traces,
      layout({ xaxis: { title: { text: "step" } }, yaxis: { title: { text: plotText(this.metric) } }, shapes }),
      config);
    canvas.dataset.metric = this.metric;
  }

  axis(name, values) {
    const dim = this.space[name];
    if (dim?.type === "categorical") {
      const labels = dim.choices.map(String);
      return { label: plotText(name), values: values.map((v) => (v === null ? -1 : labels.indexOf(String(v)))),
               tickvals: labels.map((_, i) => i), ticktext: labels.map(plotText), range: [-1, labels.length - 1] };
    }
    if (dim?.scale === "log") {
      return { label: plotText(`log10 ${name}`), values: values.map((v) => (v === null ? null : Math.log10(v))) };
    }
    return { label: plotText(name), values };
  }

  drawParallel() {
    const { sample } = this.data;
    if (!sample.numbers.length) {
      // No trial yet: draw one invisible line anyway. Without a GPU the first WebGL draw
      // of lines blocks the page for about a second; better now than mid-study.
      const names = Object.keys(sample.params);
      Plotly.react(this.canvas("plot-parallel"), [{ type: "parcoords",
        dimensions: [...names, this.study.metric].map((label) => ({ label: plotText(label), values: [0], range: [0, 1] })),
        line: { color: [0], colorscale: [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]] } }],
        layout({ margin: { l: 60, r: 60, t: 30, b: 20 } }), config);
      return;
    }
    const dimensions = Object.keys(sample.params).map((name) => this.axis(name, sample.params[name]));
    dimensions.push({ label: plotText(this.study.metric), values: sample.values });
    Plotly.react(this.canvas("plot-parallel"), [{ type: "parcoords", dimensions,
      line: { color: sample.values, colorscale: "Viridis", reversescale: this.study.direction === "maximize", showscale: true } }],
      layout({ margin: { l: 60, r: 60, t: 30, b: 20 } }), config);
  }

  drawImportance() {
    const entries = Object.entries(this.data.importance).sort((a, b) => a[1] - b[1]);
    Plotly.react(this.canvas("plot-importance"), [{ type: "bar", orientation: "h",
      x: entries.map((e) => e[1]), y: entries.map((e) => plotText(e[0])), marker: { color: "#54a24b" } }],
      layout({ xaxis: { title: { text: "share of explained variance" }, range: [0, 1] }, margin: { l: 100, r: 15, t: 10, b: 40 } }), config);
  }

  drawSlice() {
    const name = this.sliceSelect?.value;
    if (!name) return;
    const { sample } = this.data;
    const dim = this.space[name] || {};
    const xs = sample.params[name] || [];
    Plotly.react(this.canvas("plot-slice"), [{ type: "scatter", mode: "markers",
      x: dim.type === "categorical" ? xs.map((v) => (v === null ? null : plotText(v))) : xs,
      y: sample.values, marker: { size: 5, color: sample.numbers, colorscale: "Blues", showscale: true,
      colorbar: { title: { text: "trial" } } } }],
      layout({ xaxis: { title: { text: plotText(name) }, type: dim.scale === "log" ? "log" : (dim.type === "categorical" ? "category" : "linear") },
               yaxis: { title: { text: plotText(this.study.metric) } } }), config);
  }
}
