// Several objectives: the Pareto-front scatter (front highlighted, infeasible trials
// marked, a choice of axes for 3-4 objectives) and the hypervolume over trials. Both
// come from /api/studies/<id>/pareto/, re-read (throttled) when a trial completes or
// the front changes; the front's size in the heading follows pareto_updated at once.
// window.__somatizePareto counts points and draws, for the browser tests.
import { follow, getJSON, plotText, setLive, throttle } from "./live.js";

const study = JSON.parse(document.getElementById("initial-data").textContent);
const url = `/api/studies/${study.id}/pareto/`;
const frontEl = document.querySelector("#plot-pareto .canvas");
const volumeEl = document.querySelector("#plot-hypervolume .canvas");
const axes = [document.getElementById("pareto-x"), document.getElementById("pareto-y")];
const stats = (window.__somatizePareto = { points: 0, front: 0, draws: 0 });
const layout = (extra) => ({
  margin: { l: 55, r: 15, t: 10, b: 40 }, height: 300, paper_bgcolor: "rgba(0,0,0,0)",
  plot_bgcolor: "rgba(0,0,0,0)", legend: { orientation: "h" }, ...extra,
});
const config = { displaylogo: false, responsive: true };
let data = null;

function trace(points, i, j, name, marker) {
  return {
    type: "scatter", mode: "markers", name, marker,
    x: points.map((p) => p.values[i]), y: points.map((p) => p.values[j]),
    text: points.map((p) => `trial ${p.number}`), hoverinfo: "x+y+text",
  };
}

function draw() {
  if (!data || !window.Plotly) return;
  const [i, j] = axes.map((select, k) => (select ? Number(select.value) : k));
  const sorted = (points) => [...points].sort((a, b) => a.values[i] - b.values[i]);
  const front = sorted(data.points.filter((p) => p.on_front));
  const traces = [
    trace(data.points.filter((p) => p.feasible && !p.on_front), i, j, "dominated", { color: "#9db4cc", size: 7 }),
    trace(data.points.filter((p) => !p.feasible), i, j, "infeasible", { color: "#bbbbbb", symbol: "x", size: 7 }),
    { ...trace(front, i, j, "Pareto front", { color: "#e45756", size: 9 }), mode: "lines+markers", line: { shape: "hv" } },
  ];
  const title = (k) => plotText(`${data.objectives[k].metric} (${data.objectives[k].direction})`);
  Plotly.react(frontEl, traces, layout({ xaxis: { title: title(i) }, yaxis: { title: title(j) } }), config);
  const curve = data.hypervolume;
  Plotly.react(volumeEl, [{ type: "scatter", mode: "lines", line: { shape: "hv", color: "#4c78a8" },
    x: curve.map((p) => p[0]), y: curve.map((p) => p[1]) }],
    layout({ showlegend: false, xaxis: { title: "trial" }, yaxis: { title: "hypervolume" } }), config);
  Object.assign(stats, { points: data.points.length, front: front.length, draws: stats.draws + 1 });
  setLive(document, "front-size", String(front.length));
}

const reload = throttle(async () => { data = await getJSON(url); draw(); }, 1000);
axes.forEach((select) => select?.addEventListener("change", draw));
follow(`/ws/studies/${study.id}/`, study.last_event_id, {
  snapshot: reload,
  trial_completed: reload,
  pareto_updated: (message) => { setLive(document, "front-size", String(message.data.front_size)); reload(); },
});
reload();
