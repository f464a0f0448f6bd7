"""A trial printing 100,000 lines as fast as it can: lines lost, slowdown, browser frame time.

    .venv/bin/python bench/console.py [--lines 100000] [--runs 3]

In a fresh SQLite project, with the test executor ``floods_output`` (``print`` in a loop):

- **captured**: ``run_study`` runs the trial in its executor process, whose fds 1 and 2
  are the pipe the worker stores the trial's log from (the default);
- **not captured**: ``run_study --in-process``: the same executor, its prints going to
  the worker's own stdout (/dev/null here), nothing stored;

and prints each trial's ``duration_ms`` (median of ``--runs``) and the lines stored vs
printed (must be equal below SOMATIZE_TRIAL_LOG_LIMIT). Then Chromium opens the trial
page of an enqueued trial, the worker runs it, and the page's animation-frame intervals
while its console streams are reported (p50/p95/max, ms) with the lines it showed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.latency import percentile  # noqa: E402
from tests.conftest import Project  # noqa: E402  (the same subprocess helpers as the tests)
from tests.support.browser import log_in_as  # noqa: E402
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, Daphne  # noqa: E402

SPEC = {
    "executor": "floods_output",
    "objective": {"metric": "value", "direction": "minimize"},
    "sampler": {"type": "random", "seed": 1},
    "n_trials": 1,
    "search_space": [{"name": "x", "type": "float", "low": 0, "high": 1}],
}

READ = """
import json
from studies.models import Trial
from studies.selectors import workbench
t = Trial.objects.get(study__name={name!r}, number=0)
text = workbench.trial_log_text(t)
print(json.dumps({{"duration_ms": t.duration_ms, "lines": len(text.splitlines()), "sample": text[:13]}}))
"""

ENQUEUE = """
from studies.models import Study
from studies.services import remote
print(remote.enqueue(Study.objects.get(name={name!r}), {{"x": 0.5}}).number)
"""

# Animation-frame intervals from the console's first text on (before it, the page is idle).
FRAMES = """() => {
  window.__frames = []; let last = performance.now();
  const box = document.getElementById("console");
  const tick = (now) => {
    if (box.firstChild) window.__frames.push(now - last);
    last = now; requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


def run_once(project: Project, name: str, lines: int, in_process: bool) -> dict:
    project.run("create_study", str(project.write_spec({**SPEC, "name": name}, f"{name}.json")))
    project.run("run_study", name, *(["--in-process"] if in_process else []))
    return json.loads(project.run("shell", "-c", READ.format(name=name)).stdout.strip().splitlines()[-1])


def side_by_side(project: Project, lines: int, runs: int) -> None:
    for in_process in (False, True):
        label = "not captured (--in-process)" if in_process else "captured (executor process)"
        results = [run_once(project, f"flood-{int(in_process)}-{i}", lines, in_process) for i in range(runs)]
        durations = [r["duration_ms"] for r in results]
        stored = [r["lines"] for r in results]
        print(
            f"{label:30} trial duration median {statistics.median(durations):7.0f} ms "
            f"(runs: {durations}); lines stored {stored} of {lines}"
        )


def frame_times(project: Project, lines: int) -> None:
    from playwright.sync_api import sync_playwright

    name = "flood-browser"
    project.run("create_study", str(project.write_spec({**SPEC, "name": name}, f"{name}.json")))
    project.run("create_login", "bench", "--password", "bench-password-1")
    project.run("shell", "-c", ENQUEUE.format(name=name))
    code = f"from studies.models import Study; print(Study.objects.get(name={name!r}).pk)"
    study_id = project.run("shell", "-c", code).stdout.strip().splitlines()[-1]
    daphne = Daphne(project.env).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            log_in_as(page, daphne.url, "bench", "bench-password-1")
            page.goto(f"{daphne.url}/studies/{study_id}/trials/0/")
            if page.locator("#connection").count() == 0:
                raise SystemExit(f"the trial page did not load: {page.url}\n{page.content()[:2000]}")
            page.wait_for_selector("#connection[data-state=live]", timeout=120_000)
            page.evaluate(FRAMES)
            worker = project.start("run_study", name)
            last = f"line {lines - 1:07d}"
            page.wait_for_function(
                f"() => document.getElementById('console').textContent.includes({last!r})", timeout=300_000
            )
            frames = page.evaluate("window.__frames")
            shown = page.evaluate("document.getElementById('console').textContent.split('\\n').length - 1")
            hidden = page.inner_text("#console-info")
            worker.wait(timeout=120)
            browser.close()
    finally:
        daphne.stop()
    print(
        f"browser frame interval while streaming: p50 {percentile(frames, 0.5):.1f} ms, "
        f"p95 {percentile(frames, 0.95):.1f} ms, max {max(frames):.1f} ms over {len(frames)} frames; "
        f"console holds {shown} lines {hidden}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        project = Project(Path(data_dir))
        project.env["SOMATIZE_TEST_LINES"] = str(args.lines)
        project.run("migrate", "-v0")
        side_by_side(project, args.lines, args.runs)
        if CHROMIUM.exists():
            frame_times(project, args.lines)
        else:
            print(f"{CHROMIUM} is not installed: no browser figures")


if __name__ == "__main__":
    main()
