// The trial table: server-side sorting, filters (state, parameter ranges) and pages.
import { getJSON, formatValue } from "./live.js";

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
    this.sort = "number";
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
    const columns = [["number", "#"], ["state", "state"], ...objectives, ["duration_ms", "duration"],
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
      return th;
    }));
  }

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
    } catch (error) {
      document.getElementById("filter-error").textContent = error.message;
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
      const cells = [link, trial.state, ...values,
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
