from django.core.management.base import BaseCommand

from studies.workers import QueueWorker

from .run_study import add_worker_arguments, positive, worker_options


class Command(BaseCommand):
    help = (
        "Run studies queued from the admin or the dashboard, K at a time, until stopped "
        "(SIGINT/SIGTERM: running trials are marked interrupted and resume later)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--concurrency",
            type=positive(int),
            default=1,
            metavar="K",
            help="run up to K studies at once, one worker process each (default 1)",
        )
        parser.add_argument(
            "--poll",
            type=positive(float),
            default=2.0,
            metavar="S",
            help="look for queued studies every S seconds (default 2)",
        )
        parser.add_argument(
            "--max-studies",
            type=positive(int),
            metavar="N",
            help="exit once N study runs started here have ended (default: run until stopped)",
        )
        add_worker_arguments(parser)

    def handle(self, *args, **options):
        worker = QueueWorker(
            worker_options(options),
            concurrency=options["concurrency"],
            poll=options["poll"],
            max_studies=options["max_studies"],
            log=self._log,
        )
        worker.run()
        self._log("run_worker: stopped")

    def _log(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
