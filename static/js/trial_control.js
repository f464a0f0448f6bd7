// The trial page's controls: retry this trial when it failed, fail it while it runs. They
// post to the study's control views (studies/views_control.py, the same as the study
// page's); the buttons follow the trial's state as its events arrive, on every open page.
import { getJSON } from "./live.js";
import { onEvent, postJSON, say } from "./workbench.js";

const panel = document.getElementById("trial-control");
const number = Number(panel.dataset.number);
const csrf = document.getElementById("trial-control-csrf");
const status = document.getElementById("trial-control-status");
const retry = document.getElementById("trial-retry");
const fail = document.getElementById("trial-fail");

// The state each of this trial's events leaves it in.
const STATES = { trial_started: "running", trial_requeued: "waiting", trial_enqueued: "waiting",
                 trial_completed: "completed", trial_pruned: "pruned", trial_failed: "failed" };

function showState(state) {
  panel.dataset.state = state;
  retry.disabled = state !== "failed";
  fail.disabled = state !== "running";
}

async function act(action) {
  say(status, `${action}…`);
  try {
    const answer = await postJSON(`/studies/${panel.dataset.study}/control/${action}/`, { number }, csrf);
    say(status, answer.detail);
  } catch (error) {
    say(status, error.message, "error");
  }
}

retry.addEventListener("click", () => act("retry"));
fail.addEventListener("click", () => act("fail"));
onEvent(Object.keys(STATES), (message) => { if (message.data.number === number) showState(STATES[message.type]); });
// A (re)connection's snapshot: events may have been missed, so read the state afresh.
onEvent(["snapshot"], async () => {
  showState((await getJSON(`/api/studies/${panel.dataset.study}/trials/${number}/`)).state);
});
showState(panel.dataset.state);
