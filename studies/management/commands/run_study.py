import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from studies import services
from studies.isolation import ExecutorProcessError
from studies.models import StudyState
from studies.progress import ProgressLine
from studies.workers import WorkerOptions, run_study_workers


def positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise ValueError(text) from None
        if value <= 0:
            raise ValueError(text)
        return value

    parse.__name__ = f"positive {kind.__name__}"
    return parse


def non_negative_int(text):
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


non_negative_int.__name__ = "non-negative int"


def add_worker_arguments(parser):
    """The flags shared by run_study and run_worker: how each worker runs its trials."""
    parser.add_argument(
        "--heartbeat-grace",
        type=positive(float),
        default=settings.SOMATIZE_HEARTBEAT_GRACE,
        help="fail running trials whose heartbeat is older than S seconds (default %(default)s)",
    )
    parser.add_argument(
        "--retry-failed",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="re-queue a failed trial (same parameters) up to N times (default 0)",
    )
    parser.add_argument(
        "--trial-timeout",
        type=positive(float),
        metavar="S",
        help="fail a trial that runs longer than S seconds (its executor process is killed)",
    )
    parser.add_argument(
        "--trial-memory",
        type=positive(int),
        metavar="MB",
        help="cap the executor process's address space at MB megabytes",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run executors in the worker process itself (no isolation; for debugging)",
    )


def worker_options(options) -> WorkerOptions:
    if options["in_process"] and (options["trial_timeout"] or options["trial_memory"]):
        raise CommandError("--trial-timeout and --trial-memory need the executor process; drop --in-process")
    return WorkerOptions(
        heartbeat_grace=options["heartbeat_grace"],
        retry_failed=options["retry_failed"],
        trial_timeout=options["trial_timeout"],
        trial_memory_mb=options["trial_memory"],
        isolate=not options["in_process"],
        timeout=options.get("timeout"),
    )


class Command(BaseCommand):
    help = "Run (or resume) a study's trials until its budget is spent."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--n-trials", type=positive(int), help="run at most N trials in this invocation")
        parser.add_argument("--timeout", type=positive(float), help="take no new trial after S seconds")
        parser.add_argument(
            "--workers",
            type=positive(int),
            default=1,
            metavar="K",
            help="run K worker processes on this machine (default 1)",
        )
        add_worker_arguments(parser)

    def handle(self, *args, **options):
        try:
            study = services.get_study(options["name"])
        except services.StudyNotFound as exc:
            raise CommandError(str(exc)) from None
        if study.state == StudyState.COMPLETED:
            self.stdout.write(f"study {study.name} is already complete ({study.n_done}/{study.n_trials} trials)")
            return
        worker = worker_options(options)
        started = time.monotonic()
        failed_workers: list[int] = []
        try:
            if options["workers"] == 1:
                progress = ProgressLine(self.stdout, enabled=sys.stdout.isatty())
                # The live line re-reads the study after each trial: only when someone watches.
                summary = worker.make_runner(
                    study,
                    max_trials=options["n_trials"],
                    on_trial_finished=progress.update if progress.enabled else None,
                ).run()
                progress.close()
            else:
                summary, failed_workers = run_study_workers(study, options["workers"], worker, options["n_trials"])
        except (ExecutorProcessError, LookupError) as exc:  # a bad --trial-memory, an unknown executor
            raise CommandError(str(exc).strip('"')) from None
        study.refresh_from_db()
        counts = ", ".join(f"{n} {state}" for state, n in sorted(summary.by_state.items())) or "no trials"
        best = "none yet" if study.best_value is None else f"{study.best_value:.6g} (trial {study.best_trial_number})"
        if "objectives" in study.spec:  # several objectives: a front, not one best
            best = f"Pareto front of {study.front_size} trial(s)"
        self.stdout.write(
            f"study {study.name}: {study.state}, {study.n_done}/{study.n_trials} done; this run: {counts} "
            f"in {time.monotonic() - started:.1f}s; best {best}"
        )
        if summary.interrupted:
            self.stdout.write("interrupted: run the same command again to resume")
        if failed_workers:
            raise CommandError(
                f"{len(failed_workers)} worker process(es) failed (exit codes {failed_workers}); see the errors above"
            )
