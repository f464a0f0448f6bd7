"""Run one demo study at a human pace: `scripts/demo_worker.py NAME [SECONDS_PER_TRIAL]`.

The analytic demo studies take microseconds a trial; run at full speed they would be
finished before the dashboard is open. This wraps the runner's pluggable ``execute``
so that each trial takes at least SECONDS_PER_TRIAL, in one process (the study stays
``running`` throughout). SIGINT/SIGTERM stop it like ``run_study``: the study is left
``stopped`` and resumable.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "somatize_site.settings")


def main() -> None:
    import django

    django.setup()
    from studies import services
    from studies.runner import StudyRunner, execute_in_process

    name, pace = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 0.4

    def paced(executor_name, trial, hooks):
        started = time.monotonic()
        outcome = execute_in_process(executor_name, trial, hooks)
        time.sleep(max(0.0, pace - (time.monotonic() - started)))
        return outcome

    summary = StudyRunner(services.get_study(name), execute=paced).run()
    print(f"{name}: {summary.finished} trials this run{' (interrupted)' if summary.interrupted else ''}")


if __name__ == "__main__":
    main()
