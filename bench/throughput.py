"""Trials per second and parallel efficiency: Somatize workers beside Optuna's RDB storage.

    /path/bench-venv/bin/python bench/throughput.py            # full run (a few minutes)
    /path/bench-venv/bin/python bench/throughput.py --quick    # about a minute

Both systems run in the same invocation, on the same database (the same SQLite file,
the same PostgreSQL database), K worker processes each, random sampling:

1. throughput: a trivial objective (x^2 + y), K = 1, 2, 4, so the per-trial overhead
   of the system is all that is measured;
2. parallel efficiency: an objective that sleeps 0.2 s, K = 1, 2, 4, 8;
   efficiency(K) = rate(K) / (K * rate(1)).

Rates come from the stored trial timestamps (first start to last finish), so process
start-up is left out for both; the wall-clock time of each run is printed beside them.
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

    def __init__(self, data_dir: Path, database_url: str | None):
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
        started = time.monotonic()
        self.manage("run_study", name, "--workers", str(workers))
        wall = time.monotonic() - started
        return {**self.rate(name), "wall": wall}

    def rate(self, name: str) -> dict:
        code = (
            "import json\nfrom django.db.models import Max, Min\nfrom studies.models import Trial\n"
            f"q = Trial.objects.filter(study__name={name!r}, state='completed')\n"
            "span = q.aggregate(a=Min('started_at'), b=Max('finished_at'))\n"
            "print(json.dumps({'trials': q.count(), 'span': (span['b'] - span['a']).total_seconds()}))\n"
        )
        measured = json.loads(self.manage("shell", "-c", code).strip().splitlines()[-1])
        return {"trials": measured["trials"], "rate": measured["trials"] / measured["span"]}


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


def fmt(value, spec=".0f") -> str:
    return "-" if value is None else format(value, spec)


def measure(args) -> list[dict]:
    rows = []
    for kind in args.databases:
        with Database(kind, args.pg_admin_url) as db:
            somatize = Somatize(db.tmp, db.django_url)
            for k in args.workers:
                row = {
                    "database": kind,
                    "test": "trivial",
                    "workers": k,
                    "somatize": somatize.run(f"trivial-{k}", "bench_trivial", args.trials, k),
                }
                if not args.no_optuna:
                    row["optuna"] = run_optuna(
                        db.optuna_url, f"trivial-{k}", args.trials, k, "trivial", shares(args.trials, k)
                    )
                rows.append(row)
                report(row)
            if args.no_efficiency:
                continue
            for k in args.efficiency_workers:
                n = args.sleep_trials_per_worker * k
                row = {
                    "database": kind,
                    "test": "sleep-0.2s",
                    "workers": k,
                    "somatize": somatize.run(f"sleep-{k}", "bench_sleep", n, k),
                }
                if not args.no_optuna:
                    row["optuna"] = run_optuna(db.optuna_url, f"sleep-{k}", n, k, "sleep", shares(n, k))
                rows.append(row)
                report(row)
    return rows


def report(row: dict) -> None:
    parts = [f"{row['database']:8} {row['test']:10} K={row['workers']}"]
    for system in ("somatize", "optuna"):
        if system in row:
            m = row[system]
            parts.append(
                f"{system} {fmt(m['rate'], '.1f')} trials/s ({m['trials']} trials, wall {m['wall']:.1f}s)"
                + (f" ERRORS {m['errors']}" if m.get("errors") else "")
            )
    print(" | ".join(parts), flush=True)


def tables(rows: list[dict]) -> str:
    out = [
        "",
        "Throughput, trivial objective (trials/s from stored timestamps):",
        "",
        "| database | K | Somatize | Optuna RDB | Somatize / Optuna |",
        "|---|---|---|---|---|",
    ]
    for row in (r for r in rows if r["test"] == "trivial"):
        ours, theirs = row["somatize"]["rate"], (row.get("optuna") or {}).get("rate")
        ratio = f"{ours / theirs:.1f}x" if ours and theirs else "-"
        out.append(f"| {row['database']} | {row['workers']} | {fmt(ours, '.1f')} | {fmt(theirs, '.1f')} | {ratio} |")
    sleep_rows = [r for r in rows if r["test"] == "sleep-0.2s"]
    if sleep_rows:
        out += [
            "",
            "Parallel efficiency, 0.2 s objective: rate(K) / (K * rate(1)):",
            "",
            "| database | K | Somatize trials/s | Somatize efficiency | Optuna trials/s | Optuna efficiency |",
            "|---|---|---|---|---|---|",
        ]
        base = {}
        for row in sleep_rows:
            cells = []
            for system in ("somatize", "optuna"):
                rate = (row.get(system) or {}).get("rate")
                if row["workers"] == 1:
                    base[(row["database"], system)] = rate
                one = base.get((row["database"], system))
                eff = rate / (row["workers"] * one) if rate and one else None
                cells += [fmt(rate, ".2f"), "-" if eff is None else f"{eff:.0%}"]
            out.append(f"| {row['database']} | {row['workers']} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv=None) -> None:
    args = parse_args(argv)
    rows = measure(args)
    print(tables(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
