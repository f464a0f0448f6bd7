"""Trials per second and parallel efficiency: Somatize workers beside Optuna's RDB storage.

    /path/bench-venv/bin/python bench/throughput.py            # full run (a few minutes)
    /path/bench-venv/bin/python bench/throughput.py --quick    # about a minute

Both systems run in the same invocation, on the same database (the same SQLite file,
the same PostgreSQL database), K worker processes each, random sampling:

1. throughput: a trivial objective (x^2 + y), K = 1, 2, 4, so the per-trial overhead
   of the system is all that is measured;
2. parallel efficiency: an objective that sleeps 0.2 s, K = 1, 2, 4, 8;
   efficiency(K) = rate(K) / (K * rate(1));
3. studies side by side (``--studies 4``, Somatize only): S studies x 2 workers each,
   a 20 ms objective, all ``run_study`` commands at once; efficiency = aggregate
   trials/s over the ideal 2S / 0.02 s (what the workers could do if the system
   cost nothing), and over S times a lone study's 2-worker rate (interference).

``--redis`` runs Somatize with ``REDIS_URL`` (the many-machines shape: events are
published through Redis, each study's in id order) on PostgreSQL.

Rates come from the stored trial timestamps (first start to last finish), so process
start-up is left out for both; the wall-clock time of each run is printed beside them.
Side by side, the S ``run_study`` processes start up together on the same cores, so
their first trials begin up to half a second apart: the "steady" rate counts only the
trials inside the window where every study was running.
Somatize runs ``manage.py run_study NAME --workers K`` (executors isolated in their
child processes, as by default); Optuna runs K processes calling ``study.optimize``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.optuna_side import run_optuna  # noqa: E402
from bench.tables import SYSTEMS, fmt, print_row, table  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer trials (~1 minute): 150 trivial, 8 per worker asleep"
    )
    parser.add_argument("--trials", type=int, default=600, help="trials per throughput run (default 600)")
    parser.add_argument("--workers", default="1,2,4", help="K values for throughput (default 1,2,4)")
    parser.add_argument("--efficiency-workers", default="1,2,4,8", help="K values for efficiency (default 1,2,4,8)")
    parser.add_argument(
        "--sleep-trials-per-worker",
        type=int,
        default=20,
        help="trials per worker in the 0.2 s efficiency runs (default 20)",
    )
    parser.add_argument("--databases", default="sqlite,postgres", help="sqlite, postgres or both (default)")
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get("SOMATIZE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="PostgreSQL URL allowed to CREATE DATABASE (a fresh one is made and dropped)",
    )
    parser.add_argument("--no-optuna", action="store_true", help="measure Somatize only")
    parser.add_argument("--no-efficiency", action="store_true", help="skip the 0.2 s efficiency runs")
    parser.add_argument("--json", metavar="PATH", help="also write every measurement to PATH")
    parser.add_argument("--no-throughput", action="store_true", help="skip the trivial-objective runs")
    parser.add_argument("--studies", type=int, default=0, help="also run S studies x 2 workers, 20 ms objective")
    parser.add_argument("--study-trials", type=int, default=1000, help="trials per study in --studies (default 1000)")
    parser.add_argument(
        "--redis",
        nargs="?",
        const=os.environ.get("SOMATIZE_TEST_REDIS", "redis://127.0.0.1:6379/0"),
        help="run Somatize on PostgreSQL with this REDIS_URL (default redis://127.0.0.1:6379/0)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.trials = min(args.trials, 150)
        args.sleep_trials_per_worker = min(args.sleep_trials_per_worker, 8)
    args.workers = [int(k) for k in args.workers.split(",")]
    args.efficiency_workers = [int(k) for k in args.efficiency_workers.split(",")]
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    return args


def shares(total: int, workers: int) -> list[int]:
    share, extra = divmod(total, workers)
    return [share + (1 if i < extra else 0) for i in range(workers)]


class Somatize:
    """One project (data dir + database) driven through manage.py subprocesses."""

    def __init__(self, data_dir: Path, database_url: str | None, redis_url: str | None = None):
        self.env = {
            **os.environ,
            "SOMATIZE_DATA_DIR": str(data_dir),
            "SOMATIZE_EXECUTOR_MODULES": "bench.executors",
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "somatize_site.settings",
        }
        for name in ("DATABASE_URL", "REDIS_URL"):
            self.env.pop(name, None)
        if database_url:
            self.env["DATABASE_URL"] = database_url
            if redis_url:
                self.env["REDIS_URL"] = redis_url
        self.data_dir = data_dir
        self.manage("migrate", "-v0")

    def manage(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            input=stdin,
        )
        if result.returncode:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def run(self, name: str, executor: str, n_trials: int, workers: int) -> dict:
        self.create(name, executor, n_trials)
        started = time.monotonic()
        self.manage("run_study", name, "--workers", str(workers))
        wall = time.monotonic() - started
        return {**self.rate(name), "wall": wall}

    def run_side_by_side(self, names: list[str], n_trials: int, workers: int) -> dict:
        """Every study's ``run_study`` at once; the aggregate rate over all their trials."""
        for name in names:
            self.create(name, "bench_sleep20", n_trials)
        started = time.monotonic()
        processes = [
            subprocess.Popen(
                [sys.executable, str(ROOT / "manage.py"), "run_study", name, "--workers", str(workers)],
                env=self.env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            for name in names
        ]
        if any(p.wait() for p in processes):
            raise SystemExit("a run_study of the side-by-side runs failed")
        wall = time.monotonic() - started
        return {**self.rate(*names), "wall": wall}

    def create(self, name: str, executor: str, n_trials: int) -> None:
        spec = {
            "name": name,
            "executor": executor,
            "objective": {"metric": "value", "direction": "minimize"},
            "sampler": {"type": "random", "seed": 1},
            "n_trials": n_trials,
            "search_space": [
                {"name": "x", "type": "float", "low": -1.0, "high": 1.0},
                {"name": "y", "type": "float", "low": -1.0, "high": 1.0},
            ],
        }
        self.manage("create_study", "-", stdin=json.dumps(spec))

    def rate(self, *names: str) -> dict:
        """Trials over the span from the first start to the last finish; with several studies
        also the steady rate: trials inside the window where every study was running (from
        the last study's first start to the first study's last finish)."""
        code = (
            "import json\nfrom django.db.models import Max, Min\nfrom studies.models import Trial\n"
            f"q = Trial.objects.filter(study__name__in={list(names)!r}, state='completed')\n"
            "span = q.aggregate(a=Min('started_at'), b=Max('finished_at'))\n"
            "ends = list(q.values('study_id').annotate(a=Min('started_at'), b=Max('finished_at')))\n"
            "a, b = max(e['a'] for e in ends), min(e['b'] for e in ends)\n"
            "inner = q.filter(started_at__gte=a, finished_at__lte=b).count()\n"
            "print(json.dumps({'trials': q.count(), 'span': (span['b'] - span['a']).total_seconds(),\n"
            "    'inner': inner, 'inner_span': (b - a).total_seconds()}))\n"
        )
        measured = json.loads(self.manage("shell", "-c", code).strip().splitlines()[-1])
        steady = measured["inner"] / measured["inner_span"] if measured["inner_span"] > 0 else None
        return {"trials": measured["trials"], "rate": measured["trials"] / measured["span"], "steady": steady}


class Database:
    """A fresh database per backend, shared by both systems; removed afterwards."""

    def __init__(self, kind: str, pg_admin_url: str):
        self.kind, self.pg_admin_url = kind, pg_admin_url
        self.tmp = Path(tempfile.mkdtemp(prefix=f"somatize-bench-{kind}-"))
        self.pg_name = None

    def __enter__(self):
        if self.kind == "sqlite":
            self.django_url = None  # the default: DATA_DIR/somatize.sqlite3
            self.optuna_url = f"sqlite:///{self.tmp / 'somatize.sqlite3'}"
        else:
            import psycopg

            self.pg_name = f"somatize_bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(self.pg_admin_url, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{self.pg_name}"')
            base = self.pg_admin_url.rsplit("/", 1)[0]
            self.django_url = f"{base}/{self.pg_name}"
            self.optuna_url = f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{self.pg_name}"
        return self

    def __exit__(self, *exc):
        if self.pg_name:
            import psycopg

            with psycopg.connect(self.pg_admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


def measure(args) -> list[dict]:
    rows: list[dict] = []
    for kind in args.databases:
        with Database(kind, args.pg_admin_url) as db:
            somatize = Somatize(db.tmp, db.django_url, args.redis)
            if not args.no_throughput:
                rows += measure_runs(args, db, somatize, "trivial", args.workers, [args.trials] * len(args.workers))
            if not args.no_efficiency:
                sleep_trials = [args.sleep_trials_per_worker * k for k in args.efficiency_workers]
                rows += measure_runs(args, db, somatize, "sleep-0.2s", args.efficiency_workers, sleep_trials)
            if args.studies:
                rows += measure_side_by_side(args, kind, somatize)
    return rows


def measure_runs(args, db, somatize, test: str, workers: list[int], n_trials: list[int]) -> list[dict]:
    """One study at each K, Somatize then (unless --no-optuna) Optuna on the same database."""
    executor, objective = {"trivial": ("bench_trivial", "trivial"), "sleep-0.2s": ("bench_sleep", "sleep")}[test]
    rows = []
    for k, n in zip(workers, n_trials, strict=True):
        name = f"{objective}-{k}"
        row = {"database": db.kind, "test": test, "workers": k, "somatize": somatize.run(name, executor, n, k)}
        if not args.no_optuna:
            row["optuna"] = run_optuna(db.optuna_url, name, n, k, objective, shares(n, k))
        rows.append(row)
        report(row)
    return rows


def measure_side_by_side(args, kind: str, somatize) -> list[dict]:
    """A lone study with 2 workers, then S such studies at once (20 ms objective)."""
    lone = somatize.run_side_by_side(["lone-2"], args.study_trials, 2)
    names = [f"side-{i}" for i in range(args.studies)]
    together = somatize.run_side_by_side(names, args.study_trials, 2)
    row = {
        "database": kind,
        "test": f"{args.studies}x2-20ms",
        "workers": 2 * args.studies,
        "somatize": together,
        "lone": lone,
        "ideal": 2 * args.studies / 0.02,
    }
    report(row)
    return [row]


def report(row: dict) -> None:
    print_row(row, "workers", _rate_words)


def _rate_words(m: dict) -> str:
    errors = f" ERRORS {m['errors']}" if m.get("errors") else ""
    return f"{fmt(m['rate'], '.1f')} trials/s ({m['trials']} trials, wall {m['wall']:.1f}s){errors}"


def tables(rows: list[dict]) -> str:
    lines = []
    for row in (r for r in rows if r["test"] == "trivial"):
        ours, theirs = row["somatize"]["rate"], (row.get("optuna") or {}).get("rate")
        ratio = f"{ours / theirs:.1f}x" if ours and theirs else "-"
        lines.append([row["database"], str(row["workers"]), fmt(ours, ".1f"), fmt(theirs, ".1f"), ratio])
    out = table(
        "Throughput, trivial objective (trials/s from stored timestamps):",
        ["database", "K", "Somatize", "Optuna RDB", "Somatize / Optuna"],
        lines,
    )
    sleep_rows = [r for r in rows if r["test"] == "sleep-0.2s"]
    if sleep_rows:
        out += table(
            "Parallel efficiency, 0.2 s objective: rate(K) / (K * rate(1)):",
            ["database", "K", "Somatize trials/s", "Somatize efficiency", "Optuna trials/s", "Optuna efficiency"],
            _efficiency_lines(sleep_rows),
        )
    return "\n".join(out)


def _efficiency_lines(sleep_rows: list[dict]) -> list[list[str]]:
    base, lines = {}, []
    for row in sleep_rows:
        cells = [row["database"], str(row["workers"])]
        for system in SYSTEMS:
            rate = (row.get(system) or {}).get("rate")
            if row["workers"] == 1:
                base[(row["database"], system)] = rate
            one = base.get((row["database"], system))
            eff = rate / (row["workers"] * one) if rate and one else None
            cells += [fmt(rate, ".2f"), "-" if eff is None else f"{eff:.0%}"]
        lines.append(cells)
    return lines


def side_by_side_table(rows: list[dict]) -> list[str]:
    lines = []
    for row in rows:
        rate, ideal, lone = row["somatize"]["rate"], row["ideal"], row["lone"]["rate"]
        steady = row["somatize"].get("steady")
        studies = row["workers"] // 2
        lines.append(
            [
                row["database"],
                f"{studies} x 2",
                f"{rate:.1f}",
                f"{ideal:.0f}",
                f"{rate / ideal:.0%}",
                fmt(steady, ".1f"),
                "-" if steady is None else f"{steady / ideal:.0%}",
                f"{lone:.1f}",
                f"{rate / (studies * lone):.0%}",
            ]
        )
    return table(
        "Studies side by side, 2 workers each, 20 ms objective (aggregate trials/s; all: first start to last "
        "finish, steady: while every study ran):",
        [
            "database",
            "studies x workers",
            "all",
            "ideal",
            "of ideal",
            "steady",
            "of ideal",
            "lone study (2 workers)",
            "of S x lone",
        ],
        lines,
    )


def main(argv=None) -> None:
    args = parse_args(argv)
    rows = measure(args)
    print(tables(rows))
    side = [r for r in rows if "ideal" in r]
    if side:
        print("\n".join(side_by_side_table(side)))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
