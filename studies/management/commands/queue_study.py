from django.core.management.base import BaseCommand, CommandError

from studies import services


class Command(BaseCommand):
    help = "Queue studies for run_worker (only created or stopped studies can be queued)."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="+", metavar="NAME")

    def handle(self, *args, **options):
        studies = []
        for name in options["names"]:
            try:
                studies.append(services.get_study(name))
            except services.StudyNotFound as exc:
                raise CommandError(str(exc)) from None
        for study in studies:
            if services.queue_study(study):
                self.stdout.write(f"queued {study.name}")
            else:
                self.stdout.write(f"{study.name} is {study.state}: left as it is")
