"""Time the every-metric reads at 10,000 / 100,000 / 1,000,000 trials.

    .venv/bin/python bench/metrics.py [--sizes 10000,100000,1000000] [--repeat 5] [--database-url URL [--reuse]]

Builds throwaway finished studies as bench/pages.py does (bench/synthetic.py), then gives
every completed trial returned metrics ``value`` and ``acc`` (one UPDATE, as a finished
study would have them) and the last 200 trials learning curves of ``loss`` and ``acc``.
Times, in-process through the full middleware stack: the history of the objective and of
``acc`` (every chunk, as the page reads them), /plots/?metric=loss (its curves and the
study's metric names), an unknown metric (the 400) and the trial table with an ``acc``
column sorted (refused past 20,000 trials: the figure is the refusal's). Not a test: no
assertions, numbers only. No peer: optuna-dashboard is not in the bench venv, and its
plots read every trial through Optuna's storage, which bench/pages.py already compares.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import analyze, bench_arguments, logged_in_client, time_history  # noqa: E402

CURVES = 200  # trials with learning curves of loss and acc
STEPS = 20


def add_metrics(study) -> None:
    """Returned metrics on every completed trial, curves on the last CURVES trials."""
    from django.db import connection

    from studies.models import Trial, TrialValue

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = "jsonb_build_object('value', value, 'acc', 1.0 / (1 + value))"
        else:
            sql = "json_object('value', value, 'acc', 1.0 / (1 + value))"
        table = Trial._meta.db_table
        cursor.execute(f"UPDATE {table} SET metrics = {sql} WHERE study_id = %s AND state = 'completed'", [study.pk])
    recent = Trial.objects.filter(study=study).order_by("-number").values_list("id", flat=True)[:CURVES]
    TrialValue.objects.bulk_create(
        [
            TrialValue(trial_id=tid, study=study, step=s, metric=metric, value=s / 10)
            for tid in recent
            for s in range(STEPS)
            for metric in ("loss", "acc")
        ],
        batch_size=5000,
    )


def build(n: int, reuse: bool):
    from bench.synthetic import build_finished_study
    from studies.models import Study

    if reuse:
        found = Study.objects.filter(name=f"bench-metrics-{n}", n_done=n).first()
        if found is not None:
            return found
    study = build_finished_study(f"bench-metrics-{n}", n, seed=n, curves=CURVES)
    add_metrics(study)
    analyze()
    return study


def timed(client, url: str, repeat: int) -> tuple[float, float, int, int]:
    """Median and worst ms, bytes and status (the unknown metric's is a 400)."""
    timings, size, status = [], 0, 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        size, status = len(response.content), response.status_code
    timings.sort()
    return timings[len(timings) // 2], timings[-1], size, status


def main() -> None:
    args = bench_arguments(__doc__.splitlines()[0], "10000,100000,1000000", repeat=5)
    client = logged_in_client(args)
    print(f"{'trials':>8}  {'endpoint':<62} {'median ms':>9} {'worst ms':>9} {'bytes':>9} status")
    for n in (int(s) for s in args.sizes.split(",")):
        started = time.perf_counter()
        study = build(n, args.reuse)
        print(f"{n:>8}  (built in {time.perf_counter() - started:.1f}s)")
        base = f"/api/studies/{study.pk}"
        for label, url in [
            ("history (objective, every chunk)", f"{base}/history/"),
            ("history?metric=acc (every chunk)", f"{base}/history/?metric=acc"),
        ]:
            median, worst, size = time_history(client, url, args.repeat)
            print(f"{n:>8}  {label:<62} {median:9.1f} {worst:9.1f} {size:9d}")
        for url in [
            f"{base}/history/?metric=acc",
            f"{base}/plots/?metric=loss",
            f"{base}/plots/?metric=nope",
            f"{base}/trials/?sort=-metric.acc",
        ]:
            median, worst, size, status = timed(client, url, args.repeat)
            shown = url.replace(str(study.pk), "<id>", 1)
            print(f"{n:>8}  {shown:<62} {median:9.1f} {worst:9.1f} {size:9d} {status}")


if __name__ == "__main__":
    main()
