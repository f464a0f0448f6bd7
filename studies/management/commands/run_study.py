import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from studies import services
from studies.models import StudyState
from studies.progress import ProgressLine
from studies.runner import StudyRunner


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


class Command(BaseCommand):
    help = "Run (or resume) a study's trials until its budget is spent."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--n-trials", type=positive(int), help="run at most N trials in this invocation")
        parser.add_argument("--timeout", type=positive(float), help="take no new trial after S seconds")
        parser.add_argument("--heartbeat-grace", type=positive(float), default=settings.SOMATIZE_HEARTBEAT_GRACE,
                            help="fail running trials whose heartbeat is older than S seconds (default %(default)s)")

    def handle(self, *args, **options):
        try:
            study = services.get_study(options["name"])
        except services.StudyNotFound as exc:
            raise CommandError(str(exc)) from None
        if study.state == StudyState.COMPLETED:
            self.stdout.write(f"study {study.name} is already complete ({study.n_done}/{study.n_trials} trials)")
            return
        progress = ProgressLine(self.stdout, enabled=sys.stdout.isatty())
        started = time.monotonic()
        runner = StudyRunner(study, max_trials=options["n_trials"], timeout=options["timeout"],
                             heartbeat_grace=options["heartbeat_grace"], on_trial_finished=progress.update)
        summary = runner.run()
        progress.close()
        study.refresh_from_db()
        counts = ", ".join(f"{n} {state}" for state, n in sorted(summary.by_state.items())) or "no trials"
        best = "none yet" if study.best_value is None else f"{study.best_value:.6g} (trial {study.best_trial_number})"
        self.stdout.write(f"study {study.name}: {study.state}, {study.n_done}/{study.n_trials} done; this run: {counts} "
                          f"in {time.monotonic() - started:.1f}s; best {best}")
        if summary.interrupted:
            self.stdout.write("interrupted: run the same command again to resume")
