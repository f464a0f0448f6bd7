// The study list: every study's state, progress and best value, live.
import { follow, getJSON, formatValue, markApplied, setProgress, setState, throttle } from "./live.js";

const initial = JSON.parse(document.getElementById("initial-data").textContent);
const tbody = document.querySelector("#studies tbody");

function rowFor(studyId) { return tbody.querySelector(`tr[data-study="${studyId}"]`); }

function render(summary) {
  let row = rowFor(summary.id);
  if (!row) {
    row = document.createElement("tr");
    row.dataset.study = summary.id;
    row.innerHTML = `<td><a></a><div class="muted"></div></td><td><span class="state" data-live="state"></span></td>
      <td><div class="bar"><div data-live="progress-bar"></div></div> <span data-live="progress"></span></td>
      <td><span data-live="trials-done"></span> / <span data-live="trials-total"></span></td>
      <td><span data-live="best-value"></span></td><td class="objective"></td><td class="sampler"></td>`;
    row.querySelector("a").href = summary.url;
    row.querySelector("a").textContent = summary.name;
    row.querySelector(".muted").textContent = summary.description;
    row.querySelector(".objective").textContent = `${summary.metric} (${summary.direction})`;
    row.querySelector(".sampler").textContent = summary.sampler;
    tbody.querySelector("tr.empty")?.remove();
    tbody.prepend(row);
  }
  setState(row, summary.state);
  setProgress(row, summary.n_done, summary.n_trials);
  row.querySelector('[data-live="best-value"]').textContent = formatValue(summary.best_value);
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
  if (d.best_value !== undefined) row.querySelector('[data-live="best-value"]').textContent = formatValue(d.best_value);
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
    if (row) row.querySelector('[data-live="best-value"]').textContent = formatValue(message.data.value);
  },
  after: markApplied,
});
