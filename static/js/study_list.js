// The study list: every study's state, progress and best value, live.
import { follow, getJSON, formatValue, markApplied, setProgress, setState, throttle } from "./live.js";

const initial = JSON.parse(document.getElementById("initial-data").textContent);
const tbody = document.querySelector("#studies tbody");

function el(tag, { className = "", live = "" } = {}, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (live) node.dataset.live = live;
  node.append(...children);
  return node;
}

function rowFor(studyId) { return tbody.querySelector(`tr[data-study="${studyId}"]`); }

function render(summary) {
  let row = rowFor(summary.id);
  if (!row) {
    row = document.createElement("tr");
    row.dataset.study = summary.id;
    // Built from nodes, never HTML strings: names and descriptions are user text.
    const live = (name, tag = "span") => el(tag, { live: name });
    row.append(
      el("td", {}, el("a"), el("div", { className: "muted" })),
      el("td", {}, el("span", { className: "state", live: "state" })),
      el("td", {}, el("div", { className: "bar" }, live("progress-bar", "div")), " ", live("progress")),
      el("td", {}, live("trials-done"), " / ", live("trials-total")),
      el("td", {}, live("best-value")),
      el("td", { className: "objective" }),
      el("td", { className: "sampler" }),
    );
    row.querySelector("a").href = summary.url;
    row.querySelector("a").textContent = summary.name;
    row.querySelector(".muted").textContent = summary.description;
    row.querySelector(".objective").textContent = summary.objectives.map((o) => `${o.metric} (${o.direction})`).join(", ");
    if (summary.objectives.length > 1) row.dataset.objectives = summary.objectives.length;
    row.querySelector(".sampler").textContent = summary.sampler;
    tbody.querySelector("tr.empty")?.remove();
    tbody.prepend(row);
  }
  setState(row, summary.state);
  setProgress(row, summary.n_done, summary.n_trials);
  showBest(row, summary.best_value, summary.front_size);
}

// Several objectives have no single best: their cell counts the Pareto front instead.
function showBest(row, value, frontSize) {
  const cell = row.querySelector('[data-live="best-value"]');
  if (row.dataset.objectives) { if (frontSize !== undefined) cell.textContent = `${frontSize} on the front`; }
  else cell.textContent = formatValue(value);
}

function renderAll(list) {
  const seen = new Set(list.studies.map((s) => String(s.id)));
  for (const row of tbody.querySelectorAll("tr[data-study]")) if (!seen.has(row.dataset.study)) row.remove();
  for (const summary of [...list.studies].reverse()) render(summary);
}

// A study created after the page loaded: fetch the list once more (throttled).
const refresh = throttle(async () => renderAll(await getJSON("/api/studies/")), 1000);

function known(message) {
  const row = rowFor(message.study);
  if (!row) refresh();
  return row;
}

const progress = (message) => {
  const row = known(message);
  if (!row) return;
  const d = message.data;
  if (d.state) setState(row, d.state);
  if (d.n_done !== undefined) setProgress(row, d.n_done, d.n_trials);
  if (d.best_value !== undefined) showBest(row, d.best_value);
};

follow("/ws/studies/", initial.last_event_id, {
  snapshot: (message) => renderAll(message.data),
  study_progress: progress,
  study_stopped: progress,
  study_queued: progress,
  study_completed: (message) => { progress(message); const row = rowFor(message.study); if (row) setState(row, "completed"); },
  study_started: (message) => { const row = known(message); if (row) setState(row, "running"); },
  best_updated: (message) => {
    const row = known(message);
    if (row) showBest(row, message.data.value);
  },
  pareto_updated: (message) => { const row = known(message); if (row) showBest(row, null, message.data.front_size); },
  after: markApplied,
});
