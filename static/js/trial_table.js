// The trial table: server-side sorting, filters (state, parameter ranges) and pages.
// Metric columns (any metric the trials returned) are added and removed by the user and
// kept in the page's URL (?metric_column=NAME, repeatable), so a reload or a shared link
// shows them too. Sorting by one is the server's (sort=metric.NAME); it refuses that for
// large studies (metrics have no index) and the table then says why and keeps its order.
import { getJSON, formatValue } from "./live.js";
import { bindSelect } from "./metric_select.js";

const COLUMN_PARAM = "metric_column";

function rangeInput(name, placeholder) {
  const input = document.createElement("input");
  Object.assign(input, { name, type: "number", step: "any", placeholder, size: 6 });
  return input;
}

export class TrialTable {
  constructor(study, url) {
    this.study = study;
    this.url = url;
    this.params = study.search_space.map((d) => d.name);
    this.metricColumns = [...new Set(new URLSearchParams(location.search).getAll(COLUMN_PARAM))];
    this.sort = "number";
    this.sorted = "number";  // the last sort the server accepted
    this.page = 1;
    this.filters = new URLSearchParams();
    this.loading = null;
    this.queued = false;
    this.form = document.getElementById("trial-filters");
    this.buildHeader();
    this.buildFilters();
    document.getElementById("prev-page").addEventListener("click", () => this.go(this.page - 1));
    document.getElementById("next-page").addEventListener("click", () => this.go(this.page + 1));
  }

  buildHeader() {
    // Several objectives: a sortable column each, in place of the single value.
    const objectives = this.study.objectives.length > 1
      ? this.study.objectives.map((o, i) => [`objective.${i}`, o.metric]) : [["value", this.study.metric]];
    const metrics = this.metricColumns.map((name) => [`metric.${name}`, name]);
    const columns = [["number", "#"], ["state", "state"], ...objectives, ...metrics, ["duration_ms", "duration"],
                     ...this.params.map((p) => [`param.${p}`, p])];
    const row = document.querySelector("#trial-table thead tr");
    row.replaceChildren(...columns.map(([key, label]) => {
      const th = document.createElement("th");
      th.textContent = label;
      th.dataset.sort = key;
      th.addEventListener("click", () => {
        this.sort = this.sort === key ? `-${key}` : key;
        this.page = 1;
        this.refresh();
      });
      if (key.startsWith("metric.")) th.append(" ", this.removeButton(label));
      return th;
    }));
  }

  // --- metric columns ------------------------------------------------------------
  bindMetricColumns(names) {
    bindSelect(document.getElementById("metric-column-add"), names, (name) => {
      if (name) this.setMetricColumns([...this.metricColumns.filter((n) => n !== name), name]);
      document.getElementById("metric-column-add").value = "";
    }, "add a metric column…");
  }

  removeButton(name) {
    const button = document.createElement("button");
    Object.assign(button, { type: "button", className: "remove-column", textContent: "×", title: `remove column ${name}` });
    button.setAttribute("aria-label", `remove column ${name}`);
    button.addEventListener("click", (event) => {
      event.stopPropagation();  // not a sort
      this.setMetricColumns(this.metricColumns.filter((n) => n !== name));
    });
    return button;
  }

  setMetricColumns(names) {
    this.metricColumns = names;
    const removed = this.sort.replace(/^-/, "").startsWith("metric.") && !names.includes(this.sort.replace(/^-?metric\./, ""));
    if (removed) this.sort = "number";
    const url = new URL(location.href);
    url.searchParams.delete(COLUMN_PARAM);
    for (const name of names) url.searchParams.append(COLUMN_PARAM, name);
    history.replaceState(history.state, "", url);
    this.buildHeader();
    this.refresh();
  }

  metricStatus(text) { document.getElementById("metric-columns-status").textContent = text; }

  buildFilters() {
    const box = document.getElementById("param-filters");
    for (const dim of this.study.search_space) {
      const label = document.createElement("label");
      if (dim.type === "categorical") {
        label.textContent = `${dim.name} `;
        const select = document.createElement("select");
        select.multiple = true;
        select.name = `in.${dim.name}`;
        for (const choice of dim.choices) select.add(new Option(String(choice), String(choice)));
        label.append(select);
      } else {
        // Nodes, never HTML strings: a name is user text and must stay text.
        label.append(`${dim.name} `, rangeInput(`min.${dim.name}`, "min"), " – ", rangeInput(`max.${dim.name}`, "max"));
      }
      box.append(label);
    }
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.filters = new URLSearchParams(new FormData(this.form));
      for (const [key, value] of [...this.filters]) if (value === "") this.filters.delete(key, value);
      this.page = 1;
      this.refresh();
    });
    this.form.addEventListener("reset", () => setTimeout(() => this.form.requestSubmit(), 0));
  }

  go(page) { if (page >= 1) { this.page = page; this.refresh(); } }

  query() {
    const q = new URLSearchParams(this.filters);
    q.set("sort", this.sort);
    q.set("page", String(this.page));
    return q;
  }

  // Re-read the current page; calls during a request coalesce into one more request.
  async refresh() {
    if (this.loading) { this.queued = true; return; }
    this.loading = getJSON(`${this.url}?${this.query()}`);
    try {
      this.render(await this.loading);
      document.getElementById("filter-error").textContent = "";
      if (this.sort !== this.sorted && this.sort.replace(/^-/, "").startsWith("metric.")) this.metricStatus("");
      this.sorted = this.sort;
    } catch (error) {
      if (this.sort.replace(/^-/, "").startsWith("metric.")) {
        // Refused (a large study): say why, and keep the last order so live updates go on.
        this.metricStatus(error.message);
        this.sort = this.sorted;
        this.queued = true;
      } else document.getElementById("filter-error").textContent = error.message;
    } finally {
      this.loading = null;
      if (this.queued) { this.queued = false; setTimeout(() => this.refresh(), 500); }
    }
  }

  render(page) {
    this.page = page.page;
    // A capped count (parameter filters stop counting at 500) is a lower bound.
    const more = page.count_capped ? "+" : "";
    document.getElementById("trial-count").textContent = `(${page.count.toLocaleString("en")}${more} matching)`;
    document.getElementById("page-info").textContent = `page ${page.page} of ${page.pages}${more}`;
    document.getElementById("prev-page").disabled = page.page <= 1;
    document.getElementById("next-page").disabled = !page.count_capped && page.page >= page.pages;
    for (const th of document.querySelectorAll("#trial-table th")) {
      const key = th.dataset.sort;
      th.dataset.sorted = this.sort === key ? "asc" : this.sort === `-${key}` ? "desc" : "";
    }
    const tbody = document.querySelector("#trial-table tbody");
    tbody.replaceChildren(...page.results.map((trial) => {
      const row = document.createElement("tr");
      row.dataset.trial = trial.number;
      const link = document.createElement("a");
      link.href = trial.url; link.textContent = trial.number;
      const values = this.study.objectives.length > 1
        ? this.study.objectives.map((_, i) => formatValue(trial.values?.[i] ?? null)) : [formatValue(trial.value)];
      const metrics = this.metricColumns.map((name) => formatValue(trial.metrics?.[name] ?? null));
      const cells = [link, trial.state, ...values, ...metrics,
                     trial.duration_ms === null ? "" : `${trial.duration_ms} ms`,
                     ...this.params.map((p) => formatValue(trial.params[p] ?? ""))];
      row.replaceChildren(...cells.map((content, i) => {
        const td = document.createElement("td");
        if (i === 1) {
          const badge = document.createElement("span");
          badge.className = "state"; badge.dataset.state = content; badge.textContent = content;
          td.append(badge);
          // Successive halving / Hyperband: which rung stopped it.
          if (trial.rung !== null && trial.rung !== undefined) td.append(` rung ${trial.rung}`);
          if (trial.feasible === false) td.append(" infeasible");
        } else td.append(content);
        return td;
      }));
      if (trial.error) row.title = trial.error;
      return row;
    }));
  }
}
