// The study page's plots: history with best-so-far, intermediate values, parallel
// coordinates, parameter importance and slice. The server sends bounded series
// (/api/studies/<id>/plots/); live events extend them here without another request.

const MAX_POINTS = 6000;   // past this many client-side points, ask the server to downsample again
const MAX_CURVES = 80;

const layout = (extra) => ({
  margin: { l: 55, r: 15, t: 10, b: 40 }, height: 300, showlegend: false,
  paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", ...extra,
});
const config = { displaylogo: false, responsive: true };

export class StudyPlots {
  constructor(study, onTooLarge) {
    this.study = study;
    this.space = Object.fromEntries(study.search_space.map((d) => [d.name, d]));
    this.onTooLarge = onTooLarge;
    this.data = null;
    this.pending = false;
    this.sliceSelect = document.getElementById("slice-param");
    this.sliceSelect?.addEventListener("change", () => this.draw());
  }

  better(a, b) { return this.study.direction === "minimize" ? a < b : a > b; }

  load(data) {
    const h = data.history;
    this.data = {
      history: { x: [...h.x], y: [...h.y], bestX: [...h.best_x], bestY: [...h.best_y], bucket: h.bucket },
      seen: new Set(h.bucket === 1 ? h.x : []),
      sample: { numbers: [...data.sample.numbers], values: [...data.sample.values], params: structuredClone(data.sample.params) },
      curves: new Map(data.intermediate.map((c) => [c.number, { ...c }])),
      importance: data.importance,
    };
    this.draw();
  }

  // --- live events -------------------------------------------------------------
  completed(trial) {
    if (!this.data) return;
    this.curveState(trial.number, trial.state);
    if (trial.state !== "completed" || trial.value === null || this.data.seen.has(trial.number)) return;
    const { history, sample } = this.data;
    this.data.seen.add(trial.number);
    history.x.push(trial.number);
    history.y.push(trial.value);
    const n = history.bestY.length;
    if (n === 0 || this.better(trial.value, history.bestY[n - 1])) {
      history.bestX.push(trial.number);
      history.bestY.push(trial.value);
    }
    sample.numbers.push(trial.number);
    sample.values.push(trial.value);
    for (const name of Object.keys(sample.params)) sample.params[name].push(trial.params?.[name] ?? null);
    if (history.x.length > MAX_POINTS || sample.numbers.length > MAX_POINTS) this.onTooLarge();
    this.schedule();
  }

  metric(event) {
    if (!this.data) return;
    const value = event.metrics?.[this.study.metric];
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
    setTimeout(() => { this.pending = false; this.draw(); }, 250);
  }

  draw() {
    if (!this.data || !window.Plotly) return;
    this.drawHistory();
    this.drawIntermediate();
    this.drawParallel();
    this.drawImportance();
    this.drawSlice();
  }

  canvas(id) { return document.querySelector(`#${id} .canvas`); }

  drawHistory() {
    const { history } = this.data;
    const lastX = history.x.length ? Math.max(...history.x.slice(-1), history.bestX.at(-1) ?? 0) : 0;
    const bestX = [...history.bestX], bestY = [...history.bestY];
    if (bestX.length && bestX.at(-1) < lastX) { bestX.push(lastX); bestY.push(bestY.at(-1)); }
    const label = history.bucket > 1 ? `trial (buckets of ${history.bucket})` : "trial";
    Plotly.react(this.canvas("plot-history"), [
      { x: history.x, y: history.y, type: "scattergl", mode: "markers", name: this.study.metric,
        marker: { size: 5, color: "#4c78a8", opacity: 0.6 } },
      { x: bestX, y: bestY, type: "scatter", mode: "lines", name: "best so far", line: { shape: "hv", color: "#e45756", width: 2 } },
    ], layout({ xaxis: { title: { text: label } }, yaxis: { title: { text: this.study.metric } } }), config);
  }

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
    Plotly.react(this.canvas("plot-intermediate"), traces,
      layout({ xaxis: { title: { text: "step" } }, yaxis: { title: { text: this.study.metric } } }), config);
  }

  axis(name, values) {
    const dim = this.space[name];
    if (dim?.type === "categorical") {
      const labels = dim.choices.map(String);
      return { label: name, values: values.map((v) => (v === null ? -1 : labels.indexOf(String(v)))),
               tickvals: labels.map((_, i) => i), ticktext: labels, range: [-1, labels.length - 1] };
    }
    if (dim?.scale === "log") {
      return { label: `log10 ${name}`, values: values.map((v) => (v === null ? null : Math.log10(v))) };
    }
    return { label: name, values };
  }

  drawParallel() {
    const { sample } = this.data;
    const dimensions = Object.keys(sample.params).map((name) => this.axis(name, sample.params[name]));
    dimensions.push({ label: this.study.metric, values: sample.values });
    Plotly.react(this.canvas("plot-parallel"), [{ type: "parcoords", dimensions,
      line: { color: sample.values, colorscale: "Viridis", reversescale: this.study.direction === "maximize", showscale: true } }],
      layout({ margin: { l: 60, r: 60, t: 30, b: 20 } }), config);
  }

  drawImportance() {
    const entries = Object.entries(this.data.importance).sort((a, b) => a[1] - b[1]);
    Plotly.react(this.canvas("plot-importance"), [{ type: "bar", orientation: "h",
      x: entries.map((e) => e[1]), y: entries.map((e) => e[0]), marker: { color: "#54a24b" } }],
      layout({ xaxis: { title: { text: "share of explained variance" }, range: [0, 1] }, margin: { l: 100, r: 15, t: 10, b: 40 } }), config);
  }

  drawSlice() {
    const name = this.sliceSelect?.value;
    if (!name) return;
    const { sample } = this.data;
    const dim = this.space[name] || {};
    Plotly.react(this.canvas("plot-slice"), [{ type: "scattergl", mode: "markers", x: sample.params[name] || [],
      y: sample.values, marker: { size: 5, color: sample.numbers, colorscale: "Blues", showscale: true,
      colorbar: { title: { text: "trial" } } } }],
      layout({ xaxis: { title: { text: name }, type: dim.scale === "log" ? "log" : (dim.type === "categorical" ? "category" : "linear") },
               yaxis: { title: { text: this.study.metric } } }), config);
  }
}
