from django.core.management.base import BaseCommand, CommandError

from studies import export, services


class Command(BaseCommand):
    help = "Export a study and its trials as JSON (one object) or CSV (a row per trial)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--output", help="write to this file instead of standard output")

    def handle(self, *args, **options):
        try:
            study = services.get_study(options["name"])
        except services.StudyNotFound as exc:
            raise CommandError(str(exc)) from None
        text = export.render(study, options["format"])
        if options["output"]:
            try:
                with open(options["output"], "w", encoding="utf-8") as f:
                    f.write(text)
            except OSError as exc:
                raise CommandError(f"--output {options['output']}: {exc.strerror}") from None
        else:
            self.stdout.write(text, ending="")
