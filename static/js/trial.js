// One trial: parameters, metrics, its intermediate values and error, live while it runs.
import { follow, formatValue, getJSON, markApplied, paramsTable, plotText, setLive, setState, throttle } from "./live.js";

const trial = JSON.parse(document.getElementById("initial-data").textContent);
const study = JSON.parse(document.getElementById("study-data").textContent);
const cursor = JSON.parse(document.getElementById("last-event-id").textContent);

function draw(detail) {
  setState(document, detail.state);
  setLive(document, "value", formatValue(detail.value));
  setLive(document, "duration", detail.duration_ms === null ? "" : `${detail.duration_ms} ms`);
  paramsTable(document.getElementById("trial-params"), detail.params);
  paramsTable(document.getElementById("trial-metrics"), detail.metrics);
  document.getElementById("trial-error").hidden = !detail.error;
  setLive(document, "error", detail.error);
  setLive(document, "traceback", detail.traceback);
  document.querySelector('[data-live="traceback"]').hidden = !detail.traceback;
  const rung = detail.rung === null ? "" : ` (rung ${detail.rung})`;
  const step = detail.pruned_step === null ? "" : ` at step ${detail.pruned_step}${rung}`;
  setLive(document, "error-title", detail.state === "pruned" ? `Pruned${step}` : "Error");
  if (!window.Plotly) return;
  const metrics = new Set(detail.intermediate.flatMap(([, values]) => Object.keys(values)));
  const traces = [...metrics].map((metric) => {
    const points = detail.intermediate.filter(([, values]) => metric in values);
    return { x: points.map(([step]) => step), y: points.map(([, values]) => values[metric]), name: plotText(metric),
             type: "scatter", mode: "lines+markers" };
  });
  Plotly.react(document.querySelector("#plot-curve .canvas"), traces,
    { margin: { l: 55, r: 15, t: 10, b: 40 }, height: 320, xaxis: { title: { text: "step" } },
      shapes: rungLines(detail.rungs) },
    { displaylogo: false, responsive: true });
}

// Dotted vertical lines where the pruner judges this trial (successive halving, Hyperband).
function rungLines(rungs) {
  return rungs.map((step) => ({ type: "line", xref: "x", yref: "paper", x0: step, x1: step, y0: 0, y1: 1,
                                line: { dash: "dot", width: 1, color: "#888" } }));
}

const reload = throttle(async () => draw(await getJSON(`/api/studies/${study.id}/trials/${trial.number}/`)), 500);
const mine = (handler) => (message) => { if (message.data.number === trial.number) handler(message); };

draw(trial);
follow(`/ws/studies/${study.id}/`, cursor, {
  snapshot: reload,
  trial_started: mine(reload),
  trial_metric: mine(reload),
  trial_completed: mine(reload),
  trial_pruned: mine(reload),
  trial_failed: mine(reload),
  trial_requeued: mine(reload),
  after: markApplied,
});
