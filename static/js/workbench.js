// Shared by the workbench's scripts: POST JSON with the page's CSRF token, and live events.

export async function postJSON(url, body, csrfForm) {
  const token = csrfForm.querySelector("input[name=csrfmiddlewaretoken]").value;
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
    body: JSON.stringify(body),
  });
  let answer;
  try { answer = await response.json(); } catch { answer = { error: `${response.status} ${response.statusText}` }; }
  if (!response.ok) throw Object.assign(new Error(answer.error || response.statusText), { errors: answer.errors || [] });
  return answer;
}

// Every websocket frame the page's own script receives (static/js/live.js re-dispatches them).
export function onEvent(types, handler) {
  document.addEventListener("somatize:event", (event) => {
    if (types.includes(event.detail.type)) handler(event.detail);
  });
}

export function say(el, text, kind = "ok") {
  el.textContent = text;
  el.dataset.kind = kind;
}
