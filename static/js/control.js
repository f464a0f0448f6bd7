// The study page's controls: stop, resume, raise the budget, enqueue, retry, fail. Each
// posts to studies/views_control.py; the page itself changes when the event comes back
// over the websocket, exactly as every other open page does.
import { onEvent, postJSON, say } from "./workbench.js";

const panel = document.getElementById("study-control");
const study = JSON.parse(document.getElementById("initial-data").textContent);
const csrf = document.getElementById("control-csrf");
const status = document.getElementById("control-status");
const url = (action) => `/studies/${study.id}/control/${action}/`;
let state = study.state;

function showState() {
  document.getElementById("control-stop").disabled = state !== "running";
  document.getElementById("control-resume").disabled = !["created", "stopped"].includes(state);
  panel.dataset.state = state;
}

function clearFieldErrors(form) {
  for (const el of form.querySelectorAll(".field-error")) el.remove();
}

function showFieldErrors(form, errors) {
  for (const { field, message } of errors) {
    const name = field.startsWith("params.") ? field.slice(7) : field;
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`) || form.querySelector("button[type=submit]");
    const note = document.createElement("span");
    note.className = "field-error"; note.textContent = `${field} ${message}`;
    input.after(note);
  }
}

async function act(action, body = {}, form = null) {
  if (form) clearFieldErrors(form);
  say(status, `${action}…`);
  try {
    const answer = await postJSON(url(action), body, csrf);
    say(status, answer.detail);
  } catch (error) {
    say(status, error.message, "error");
    if (form) showFieldErrors(form, error.errors);
  }
}

// One input per dimension: numbers as numbers, choices as their JSON values; empty = not given.
function enqueueFields() {
  const box = document.getElementById("enqueue-fields");
  box.replaceChildren(...study.search_space.map((dim) => {
    const label = document.createElement("label");
    label.append(`${dim.name} `);
    let input;
    if (dim.type === "categorical") {
      input = document.createElement("select");
      input.append(new Option("–", ""), ...dim.choices.map((c) => new Option(String(c), JSON.stringify(c))));
    } else {
      input = document.createElement("input");
      input.type = "number"; input.step = dim.type === "int" ? "1" : "any";
      input.placeholder = `${dim.low} – ${dim.high}`;
    }
    input.name = dim.name; input.dataset.kind = dim.type;
    label.append(input);
    return label;
  }));
}

function enqueueParams(form) {
  const params = {};
  for (const input of form.querySelectorAll("[data-kind]")) {
    if (input.value === "") continue;
    params[input.name] = input.dataset.kind === "categorical" ? JSON.parse(input.value) : Number(input.value);
  }
  return params;
}

document.getElementById("control-stop").addEventListener("click", () => act("stop"));
document.getElementById("control-resume").addEventListener("click", () => act("resume"));
document.getElementById("control-budget").addEventListener("submit", (event) => {
  event.preventDefault();
  act("raise-budget", { n_trials: Number(event.target.n_trials.value) }, event.target);
});
document.getElementById("control-trial").addEventListener("submit", (event) => {
  event.preventDefault();
  const action = event.submitter ? event.submitter.dataset.action : "retry";
  act(action, { number: Number(event.target.number.value) }, event.target);
});
document.getElementById("control-enqueue").addEventListener("submit", (event) => {
  event.preventDefault();
  act("enqueue", { params: enqueueParams(event.target) }, event.target);
});

onEvent(["study_started"], () => { state = "running"; showState(); });
onEvent(["study_stopped", "study_queued", "study_progress", "study_completed"], (message) => {
  state = message.data.state || (message.type === "study_completed" ? "completed" : state);
  if (message.data.n_trials) document.querySelector("#control-budget [name=n_trials]").min = message.data.n_trials;
  showState();
});
onEvent(["snapshot"], (message) => { state = message.data.state; showState(); });
onEvent(["control_applied"], (message) => {
  const item = document.createElement("li");
  item.textContent = `${message.data.user} ${message.data.detail}`;
  document.getElementById("control-activity").prepend(item);
});

enqueueFields();
showState();
