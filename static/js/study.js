// One study, live: progress, rate and ETA, best value and parameters, plots and the
// trial table. Absolute figures come straight from events; the table, the state
// counts and the importance estimate are re-read (throttled) when trials change.
// The history and intermediate-values plots each have a metric selector (every metric
// name in the study, the objectives first; names reported later are added live), and
// the trial table can show metric columns from the same names.
import { follow, formatDuration, formatValue, getJSON, markApplied, paramsTable, setLive, setProgress, setState,
         throttle } from "./live.js";
import { HistoryPlot } from "./history.js";
import { bindSelect, MetricNames } from "./metric_select.js";
import { StudyPlots } from "./plots.js";
import { TrialTable } from "./trial_table.js";

const study = JSON.parse(document.getElementById("initial-data").textContent);
const base = `/api/studies/${study.id}/`;
const history = new HistoryPlot(study, document.querySelector("#plot-history .canvas"), document.getElementById("history-log"),
                                `${base}history/`);
const plots = new StudyPlots(study, () => reloadPlots());
const table = new TrialTable(study, `${base}trials/`);
const names = new MetricNames(study.objectives.map((o) => o.metric));
const plotsUrl = () => (plots.metric === study.metric ? `${base}plots/` : `${base}plots/?metric=${encodeURIComponent(plots.metric)}`);
// A response for a metric no longer selected (switched meanwhile) is dropped.
async function loadPlots() {
  const data = await getJSON(plotsUrl());
  names.add(data.metrics);
  if (data.metric === plots.metric) plots.load(data);
}
bindSelect(document.getElementById("history-metric"), names, (name) => history.setMetric(name, getJSON));
bindSelect(document.getElementById("intermediate-metric"), names, (name) => { plots.metric = name; loadPlots(); });
table.bindMetricColumns(names);

// Rate over the last minute of progress events; the server's average until then.
const samples = [];
function showRate(done, total, state) {
  const now = Date.now();
  samples.push([now, done]);
  while (samples.length > 2 && now - samples[0][0] > 60000) samples.shift();
  let rate = study.rate;
  if (samples.length >= 2 && samples.at(-1)[0] > samples[0][0]) {
    rate = (samples.at(-1)[1] - samples[0][1]) / ((samples.at(-1)[0] - samples[0][0]) / 1000);
  }
  setLive(document, "rate", rate ? formatValue(Number(rate.toFixed(2))) : "–");
  const left = total - done;
  setLive(document, "eta", state === "running" && rate > 0 ? formatDuration(left / rate) : (left === 0 ? "done" : "–"));
}

function showBest(value, number, params) {
  const link = document.querySelector('[data-live="best-trial"]');
  if (!link) return;  // several objectives: the Pareto card (pareto.js) stands in for the best
  setLive(document, "best-value", formatValue(value));
  if (number !== null && number !== undefined) {
    link.textContent = `#${number}`;
    link.href = `/studies/${study.id}/trials/${number}/`;
  }
  if (params !== undefined) paramsTable(document.querySelector('[data-live="best-params"]'), params);
}

function showCounts(counts) {
  const el = document.querySelector('[data-live="counts"]');
  el.replaceChildren(...["running", "completed", "pruned", "failed", "waiting"].filter((s) => counts[s]).map((s) => {
    const span = document.createElement("span");
    span.className = "state"; span.dataset.state = s; span.textContent = `${counts[s]} ${s}`;
    return span;
  }));
}

function showDetail(detail) {
  Object.assign(study, detail);
  setState(document, detail.state);
  setProgress(document, detail.n_done, detail.n_trials);
  showRate(detail.n_done, detail.n_trials, detail.state);
  showBest(detail.best_value, detail.best_trial, detail.best_params);
  showCounts(detail.counts);
}

const reloadHistory = throttle(() => history.reload(getJSON), 3000);
const reloadPlots = throttle(loadPlots, 3000);
const refreshImportance = throttle(async () => plots.importance((await getJSON(`${base}plots/`)).importance), 5000);
const refreshCounts = throttle(async () => showCounts((await getJSON(base)).counts), 1000);
const trialsChanged = () => { table.refresh(); refreshCounts(); };

const progress = (message) => {
  const d = message.data;
  if (d.state) { study.state = d.state; setState(document, d.state); }
  if (d.n_done !== undefined) {
    setProgress(document, d.n_done, d.n_trials);
    showRate(d.n_done, d.n_trials, study.state);
  }
  if (d.best_value !== undefined && d.best_value !== null) showBest(d.best_value, d.best_trial);
};
const terminal = (message) => { plots.apply(message); trialsChanged(); };
// The history plot first: it is what a user watches while trials arrive.
const completed = (message) => {
  history.add(message.data.number, history.valueOf(message.data));
  terminal(message);
  names.fromEvent(message);
  refreshImportance();
};

showDetail(study);
follow(`/ws/studies/${study.id}/`, study.last_event_id, {
  snapshot: (message) => { showDetail(message.data); reloadHistory(); reloadPlots(); table.refresh(); },
  study_started: (message) => { study.state = "running"; setState(document, "running"); },
  study_progress: progress,
  study_stopped: (message) => { study.state = "stopped"; progress(message); },
  study_queued: (message) => { study.state = "queued"; progress(message); },
  study_completed: (message) => { study.state = "completed"; setState(document, "completed"); progress(message); reloadPlots(); },
  best_updated: (message) => showBest(message.data.value, message.data.number, message.data.params),
  trial_started: trialsChanged,
  trial_requeued: trialsChanged,
  trial_enqueued: trialsChanged,
  trial_metric: (message) => { plots.apply(message); names.fromEvent(message); },
  trial_completed: completed,
  trial_pruned: terminal,
  trial_failed: terminal,
  after: markApplied,
});
// Summary (above, from the page's data) and history first; the other plots' data (a
// heavier request) is asked for once the history is drawn, so it never delays it.
history.reload(getJSON).finally(() => reloadPlots());
table.refresh();
