// The study's metric names, shared by the plots' metric selectors and the trial table's
// metric columns: the objectives first (the spec's order), then every other name in
// alphabetical order. Names come from /plots/ (the server's list) and live from events
// (trial_metric, trial_completed), so a metric reported for the first time is offered at
// once. Names are user text: they go into <option> nodes as text, never as markup.

export class MetricNames {
  constructor(objectives) {
    this.objectives = [...objectives];
    this.others = new Set();
    this.listeners = [];
  }

  list() { return [...this.objectives, ...[...this.others].sort()]; }

  isObjective(name) { return this.objectives.includes(name); }

  add(names) {
    let changed = false;
    for (const name of names || []) {
      if (this.objectives.includes(name) || this.others.has(name)) continue;
      this.others.add(name);
      changed = true;
    }
    if (changed) for (const listener of this.listeners) listener(this.list());
  }

  // A trial_metric or trial_completed event: the names it carries.
  fromEvent(message) {
    const metrics = message.data?.metrics;
    if (metrics) this.add(Object.keys(metrics));
  }

  subscribe(listener) {
    this.listeners.push(listener);
    listener(this.list());
  }
}

// Fill `select` with every name and keep it filled as names arrive; its choice is kept.
// With a placeholder the first option is it (value ""), e.g. "add a column…".
export function bindSelect(select, names, onChange, placeholder = null) {
  if (!select) return;
  names.subscribe((list) => {
    const current = select.value;
    const options = list.map((name) => new Option(name, name));
    if (placeholder !== null) options.unshift(new Option(placeholder, ""));
    select.replaceChildren(...options);
    if (current !== "" && list.includes(current)) select.value = current;
  });
  select.addEventListener("change", () => onChange(select.value));
}
