"""Where the workers of bench/throughput.py wait: pg_stat_activity sampled during a run.

    /path/bench-venv/bin/python bench/lock_waits.py --studies 4 --study-trials 150

Runs ``bench/throughput.py --databases postgres --redis --no-optuna --no-efficiency
--no-throughput`` with the given arguments and, every 50 ms while at least 8 client
backends of the benchmark's database exist, counts them by (state, wait event). A
``Lock / advisory`` row near the number of workers means they queue on an advisory
lock (before: the global event-log lock; now only a study's publish lock with Redis),
``Lock / tuple`` or ``transactionid`` on a study's row, not on their objective or the CPU.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("SOMATIZE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SAMPLE = (
    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
    "WHERE datname LIKE 'somatize_bench_%' AND backend_type = 'client backend'"
)


def main(argv: list[str]) -> None:
    command = [sys.executable, str(ROOT / "bench" / "throughput.py"), "--databases", "postgres", "--redis"]
    command += ["--no-optuna", "--no-efficiency", "--no-throughput", *argv]
    counts: collections.Counter = collections.Counter()
    samples = 0
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        bench = subprocess.Popen(command, cwd=ROOT)
        while bench.poll() is None:
            rows = admin.execute(SAMPLE).fetchall()
            if len(rows) >= 8:
                samples += 1
                counts.update(rows)
            time.sleep(0.05)
    print(f"\n{samples} samples; client backends on average, by (state, wait type, wait event):")
    for key, n in counts.most_common(10):
        print(f"{n / max(samples, 1):6.2f}  {key}")


if __name__ == "__main__":
    main(sys.argv[1:])
