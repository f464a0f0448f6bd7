// A study's or a trial's note: plain text (textContent, never HTML), live on every open page.
import { onEvent, postJSON, say } from "./workbench.js";

const box = document.getElementById("note");
const shown = document.getElementById("note-text");
const form = document.getElementById("note-form");
const edit = document.getElementById("note-edit");
const status = document.getElementById("note-status");
const number = box.dataset.number === "" ? null : Number(box.dataset.number);

onEvent(["note_updated"], (message) => {
  if (message.data.number !== number) return;
  shown.textContent = message.data.text;
  if (form && form.hidden) form.elements.text.value = message.data.text;
});

if (form) {
  const editing = (on) => { form.hidden = !on; edit.hidden = on; };
  edit.addEventListener("click", () => { editing(true); form.elements.text.focus(); });
  document.getElementById("note-cancel").addEventListener("click", () => editing(false));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await postJSON(box.dataset.url, { text: form.elements.text.value }, form);
      shown.textContent = form.elements.text.value.replace(/\r\n/g, "\n");
      say(status, "saved");
      editing(false);
    } catch (error) {
      say(status, error.message, "error");
    }
  });
}
