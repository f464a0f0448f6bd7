"""Latency from a trial's commit to the browser's DOM update (and to the frame's arrival in the browser), p50 and p95.

    .venv/bin/python bench/latency.py [--trials 150] [--sleep 0.05] [--modes embedded,redis]

For each mode it starts Daphne (a fresh SQLite project; with REDIS_URL and a unique
prefix for "redis"), logs Chromium into the study page, runs ``run_study`` in another
process, and pairs every event the page applied (the page records ``Date.now()`` right
after updating the DOM for it) with the event row's ``created_at``, written inside the
committing transaction. Same machine, same clock; the figure includes the commit itself.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import Project  # noqa: E402  (the same subprocess helpers as the tests)
from tests.support.browser import log_in_as  # noqa: E402
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, Daphne  # noqa: E402

# Events whose arrival changes what the study page shows.
DRAWN = {
    "trial_started",
    "trial_completed",
    "trial_pruned",
    "trial_failed",
    "best_updated",
    "study_progress",
    "study_completed",
}

EVENT_TIMES = """
import json
from studies.models import StudyEvent
print(json.dumps({e.id: [e.type, e.created_at.timestamp() * 1000] for e in StudyEvent.objects.all()}))
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(mode: str, browser, trials: int, sleep: float, height: int = 720) -> list[tuple[float, float]]:
    """(commit -> DOM updated, commit -> frame received by the browser) for each drawn event, ms."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"somatize-latency-{mode}-"))
    project = Project(
        data_dir,
        redis_url=os.environ.get("SOMATIZE_BENCH_REDIS", "redis://127.0.0.1:6379/0") if mode == "redis" else None,
    )
    project.env["SOMATIZE_REDIS_PREFIX"] = f"somatize-bench-{uuid.uuid4().hex[:8]}"
    project.env["SOMATIZE_TEST_SLEEP"] = str(sleep)
    project.run("migrate", "-v0")
    project.run("create_login", "bench", "--password", "bench-password")
    spec = project.write_spec(
        {
            "name": "latency",
            "executor": "sleepy",
            "objective": {"metric": "value", "direction": "minimize"},
            "sampler": {"type": "random", "seed": 1},
            "n_trials": trials,
            "search_space": [{"name": "x", "type": "float", "low": 0, "high": 1}],
        }
    )
    project.run("create_study", str(spec))
    daphne = Daphne(project.env).start()
    try:
        page = browser.new_context(viewport={"width": 1280, "height": height}).new_page()
        log_in_as(page, daphne.url, "bench", "bench-password")
        clock = FrameClock(page)
        page.goto(f"{daphne.url}/studies/1/")
        page.wait_for_selector("#connection[data-state=live]")
        worker = project.start("run_study", "latency")
        page.wait_for_function(
            "() => document.querySelector('[data-live=\"progress\"]').textContent === '100%'", timeout=600_000
        )
        worker.wait(timeout=120)
        page.wait_for_timeout(500)
        applied = page.evaluate("window.__somatizeApplied || []")
        arrived = clock.arrived
        page.context.close()
    finally:
        daphne.stop()
    created = json.loads(project.run("shell", "-c", EVENT_TIMES).stdout.strip().splitlines()[-1])
    return [
        (entry["at"] - created[str(entry["id"])][1], arrived[entry["id"]] - created[str(entry["id"])][1])
        for entry in applied
        if str(entry["id"]) in created and created[str(entry["id"])][0] in DRAWN and entry["id"] in arrived
    ]


class FrameClock:
    """When each websocket frame reached the browser (its network stack, before the page's
    script runs), in epoch ms, from the DevTools protocol: the page's own stamp would also
    include the time the frame waited for the page's main thread."""

    def __init__(self, page):
        self.arrived: dict[int, float] = {}
        self.offset: float | None = None  # epoch seconds minus the protocol's monotonic clock
        session = page.context.new_cdp_session(page)
        session.on("Network.webSocketWillSendHandshakeRequest", self._handshake)
        session.on("Network.webSocketFrameReceived", self._frame)
        session.send("Network.enable")

    def _handshake(self, event) -> None:
        self.offset = event["wallTime"] - event["timestamp"]

    def _frame(self, event) -> None:
        if self.offset is None:
            return
        try:
            message = json.loads(event["response"]["payloadData"])
        except (KeyError, ValueError):
            return
        if isinstance(message, dict) and isinstance(message.get("id"), int):
            self.arrived.setdefault(message["id"], (event["timestamp"] + self.offset) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=150)
    parser.add_argument("--sleep", type=float, default=0.05, help="seconds each trial takes (paces the events)")
    parser.add_argument("--modes", default="embedded,redis")
    parser.add_argument(
        "--viewport-height",
        type=int,
        default=720,
        help="2400 puts every plot on screen (off-screen plots are not drawn)",
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        print(
            f"{args.trials} trials of {args.sleep * 1000:.0f} ms, viewport 1280x{args.viewport_height}; "
            "latency = DOM updated - event row created"
        )
        for mode in args.modes.split(","):
            measured = measure(mode, browser, args.trials, args.sleep, args.viewport_height)
            for what, latencies in zip(("DOM", "frame"), zip(*measured, strict=True), strict=True):
                print(
                    f"{mode:>9} {what:>5}: {len(latencies)} events  p50 {statistics.median(latencies):6.1f} ms  "
                    f"p95 {percentile(list(latencies), 0.95):6.1f} ms  max {max(latencies):6.1f} ms"
                )
        browser.close()


if __name__ == "__main__":
    main()
