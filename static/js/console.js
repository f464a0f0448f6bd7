// The trial's output, live: chunks are fetched after the last seq seen when a trial_log
// event says there is more, appended once per animation frame as one text node, and the
// console keeps at most MAX_LINES lines in the DOM (the download has the whole log), so
// thousands of lines a second never freeze the page.
import { getJSON } from "./live.js";
import { onEvent } from "./workbench.js";

const MAX_LINES = 5000;
const study = JSON.parse(document.getElementById("study-data").textContent);
const trial = JSON.parse(document.getElementById("initial-data").textContent);
const url = `/api/studies/${study.id}/trials/${trial.number}/log/`;
const consoleEl = document.getElementById("console");
const info = document.getElementById("console-info");

let next = -1;          // the last chunk seq shown
let pending = [];       // text waiting for the next frame
let frame = null;
let loading = false, again = false;
let droppedShown = false;
const nodes = [];       // [text node, its line count], oldest first
let lines = 0, hidden = 0;

function lineCount(text) {
  let n = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

// A burst longer than the console holds: only its last `max` lines become DOM text.
function lastLines(text, max) {
  const total = lineCount(text);
  if (total <= max) return [text, 0];
  let at = -1;
  for (let skip = total - max; skip > 0; skip--) at = text.indexOf("\n", at + 1);
  return [text.slice(at + 1), total - max];
}

function trim() {
  while (lines > MAX_LINES && nodes.length > 1) {
    const [node, count] = nodes.shift();
    node.remove();
    lines -= count; hidden += count;
  }
  info.textContent = hidden ? `(${hidden} earlier lines hidden here; the download has them)` : "";
}

function paint() {
  frame = null;
  if (!pending.length) return;
  const atBottom = consoleEl.scrollTop + consoleEl.clientHeight >= consoleEl.scrollHeight - 24;
  for (const item of pending) {
    if (item.marker) {
      const span = document.createElement("span");
      span.className = "dropped"; span.textContent = item.marker;
      consoleEl.append(span);
      nodes.push([span, lineCount(item.marker)]);
      lines += lineCount(item.marker);
      continue;
    }
    const [text, cut] = lastLines(item.text, MAX_LINES);
    hidden += cut;
    const node = document.createTextNode(text);
    consoleEl.append(node);
    const count = lineCount(text);
    nodes.push([node, count]);
    lines += count;
  }
  pending = [];
  trim();
  if (atBottom) consoleEl.scrollTop = consoleEl.scrollHeight;
}

function show(page) {
  let text = "";
  for (const chunk of page.chunks) {
    if (chunk.tail && page.dropped_chars && !droppedShown) {
      if (text) pending.push({ text }); text = "";
      pending.push({ marker: `\n[… ${page.dropped_chars} characters of output dropped here: the log keeps its head and its tail …]\n` });
      droppedShown = true;
    }
    text += chunk.text;
  }
  if (text) pending.push({ text });
  next = page.next;
  if (!frame) frame = requestAnimationFrame(paint);
}

async function load() {
  if (loading) { again = true; return; }
  loading = true;
  try {
    let page;
    do {
      page = await getJSON(`${url}?after=${next}`);
      show(page);
    } while (page.more);
  } catch (error) {
    info.textContent = `could not read the output: ${error.message}`;
  } finally {
    loading = false;
    if (again) { again = false; load(); }
  }
}

onEvent(["trial_log"], (message) => { if (message.data.number === trial.number && message.data.seq > next) load(); });
onEvent(["snapshot"], () => load());
load();
