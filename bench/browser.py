"""What the user sees, in Chromium: navigation -> history plot drawn, commit -> new point.

    .venv/bin/python bench/browser.py [--sizes 1000,10000,100000] [--loads 3] [--commits 40]

For each size it builds a finished study of that many trials (bench/synthetic.py) in a
fresh SQLite project, starts Daphne, logs Chromium in, then:

- loads the study page ``--loads`` times and reads when its history plot was drawn
  (``window.__somatizeHistory.drawnAt``: ms since navigation start, after Plotly.newPlot);
- commits ``--commits`` more trials from another process, one every ``--gap`` seconds,
  and pairs each trial_completed event row's ``created_at`` (written inside the
  committing transaction) with the time the page appended its point to the history plot
  (``window.__somatizeHistory.appended``). Same machine, same clock.

Chromium runs with the tests' flags (--disable-gpu: WebGL through SwiftShader); the
trace type it drew (scattergl, or scatter without WebGL) is printed.
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
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, Daphne  # noqa: E402

BUILD = """
from bench.synthetic import build_finished_study
from studies.models import Study
s = build_finished_study("big", {n}, seed=3, curves=50)
# Reopened with room for more trials, run by the committing loop below.
Study.objects.filter(pk=s.pk).update(n_trials={n} + {extra}, state="running")
"""

# One trial at a time through the services, as a worker would: claim, then finish.
COMMIT = """
import random, time
from studies import services
from studies.core.trials import TrialOutcome
from studies.models import Study
study = Study.objects.get(name="big")
rng = random.Random(1)
for _ in range({count}):
    claim = services.claim_trial(study, "bench-browser")
    services.finish_trial(claim.trial, TrialOutcome.completed(rng.uniform(0, 100), {{}}))
    time.sleep({gap})
"""

EVENT_TIMES = """
import json
from studies.models import StudyEvent
rows = StudyEvent.objects.filter(type="trial_completed").values_list("data", "created_at")
print(json.dumps({d["number"]: at.timestamp() * 1000 for d, at in rows}))
"""

HISTORY = "window.__somatizeHistory"


def measure(browser, n: int, loads: int, commits: int, gap: float) -> tuple[list[float], list[float], str]:
    project = Project(Path(tempfile.mkdtemp(prefix=f"somatize-browser-{n}-")))
    project.run("migrate", "-v0")
    project.run("create_login", "bench", "--password", "bench-password")
    project.run("shell", "-c", BUILD.format(n=n, extra=commits), timeout=3600)
    daphne = Daphne(project.env).start()
    try:
        page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        page.goto(f"{daphne.url}/login/")
        page.fill("input[name=username]", "bench")
        page.fill("input[name=password]", "bench-password")
        page.click("button[type=submit]")
        page.wait_for_url(f"{daphne.url}/")
        drawn = []
        for _ in range(loads):
            page.goto(f"{daphne.url}/studies/1/")
            page.wait_for_function(f"() => {HISTORY} && {HISTORY}.fullDraws === 1", timeout=120_000)
            drawn.append(page.evaluate(f"{HISTORY}.drawnAt"))
        kind = page.evaluate(f"{HISTORY}.kind")
        page.wait_for_selector("#connection[data-state=live]")
        project.run("shell", "-c", COMMIT.format(count=commits, gap=gap), timeout=600)
        page.wait_for_function(f"() => {HISTORY}.appended.length >= {commits}", timeout=60_000)
        appended = page.evaluate(f"{HISTORY}.appended")
        page.context.close()
    finally:
        daphne.stop()
    created = json.loads(project.run("shell", "-c", EVENT_TIMES).stdout.strip().splitlines()[-1])
    latencies = [at - created[str(number)] for number, at in appended if str(number) in created]
    return drawn, latencies, kind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--loads", type=int, default=3, help="page loads per size (median reported)")
    parser.add_argument("--commits", type=int, default=40, help="trials committed while the page watches")
    parser.add_argument("--gap", type=float, default=0.1, help="seconds between commits")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        print("navigation -> history drawn (median of loads); commit -> point in the history plot")
        for n in (int(s) for s in args.sizes.split(",")):
            drawn, latencies, kind = measure(browser, n, args.loads, args.commits, args.gap)
            print(
                f"{n:>8} trials ({kind}): history drawn {statistics.median(drawn):7.0f} ms "
                f"(worst {max(drawn):.0f});  commit -> point p50 {statistics.median(latencies):6.1f} ms  "
                f"p95 {percentile(latencies, 0.95):6.1f} ms  ({len(latencies)} trials)"
            )
        browser.close()


if __name__ == "__main__":
    main()
