// The trial's artifacts: listed from the page's data, refreshed when an artifact_saved event
// for this trial arrives. Names are text (textContent); only raster images (the server's
// `inline`) are shown, through <img> from the download URL; everything else is a download link.
import { getJSON, throttle } from "./live.js";
import { onEvent, say } from "./workbench.js";

const study = JSON.parse(document.getElementById("study-data").textContent);
const trial = JSON.parse(document.getElementById("initial-data").textContent);
const url = `/api/studies/${study.id}/trials/${trial.number}/artifacts/`;
const list = document.getElementById("artifact-list");
const empty = document.getElementById("artifacts-empty");
const count = document.getElementById("artifacts-count");
const status = document.getElementById("artifacts-status");

function formatSize(bytes) {
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let size = bytes, unit = 0;
  while (size >= 1024 && unit < units.length - 1) { size /= 1024; unit++; }
  return unit === 0 ? `${bytes} bytes` : `${size.toFixed(size < 10 ? 1 : 0)} ${units[unit]}`;
}

function row(artifact) {
  const item = document.createElement("li");
  item.dataset.id = String(artifact.id);
  item.dataset.name = artifact.name;
  const link = document.createElement("a");
  link.href = artifact.url;
  link.textContent = artifact.name;
  if (!artifact.inline) link.setAttribute("download", "");
  const about = document.createElement("span");
  about.className = "muted";
  about.textContent = ` ${formatSize(artifact.size)} · ${artifact.content_type}`;
  item.append(link, about);
  if (artifact.inline) {
    const image = document.createElement("img");
    image.src = `${artifact.url}?v=${artifact.id}`; // a replaced file has a new id: no stale image
    image.alt = artifact.name;
    item.append(image);
  }
  return item;
}

// Rows whose artifact is unchanged (same id) are kept, so their images do not reload.
function render(artifacts) {
  const shown = new Map([...list.children].map((item) => [item.dataset.id, item]));
  list.replaceChildren(...artifacts.map((artifact) => shown.get(String(artifact.id)) || row(artifact)));
  empty.hidden = artifacts.length > 0;
  count.textContent = artifacts.length ? `(${artifacts.length})` : "";
}

const reload = throttle(async () => {
  try {
    render(await getJSON(url));
    say(status, "");
  } catch (error) {
    say(status, `could not list the artifacts: ${error.message}`, "error");
  }
}, 300);

onEvent(["artifact_saved"], (message) => { if (message.data.number === trial.number) reload(); });
onEvent(["snapshot"], () => reload());
render(trial.artifacts || []);
