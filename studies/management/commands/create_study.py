import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from studies import services
from studies.core.errors import SpecError
from studies.core.jsontext import JSONTextError, load_json


def read_spec(path: str):
    """Load a spec file ('-' reads standard input); bad JSON names the line and column."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{path}: cannot read the spec file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path}: not UTF-8 text (byte {exc.start}); a spec is a JSON text file") from None
    try:
        return load_json(text)
    except JSONTextError as exc:
        raise CommandError(f"{path}: {exc}") from None


class Command(BaseCommand):
    help = "Create a study from a JSON spec file (DESIGN.md section 2)."

    def add_arguments(self, parser):
        parser.add_argument("spec", help="path to the spec JSON, or - for standard input")
        parser.add_argument(
            "--replace", action="store_true", help="delete a study of the same name and its trials first"
        )

    def handle(self, *args, **options):
        raw = read_spec(options["spec"])
        try:
            study = services.create_study(raw, replace=options["replace"])
        except (SpecError, services.StudyExists) as exc:
            raise CommandError(f"{options['spec']}: {exc}") from None
        sampler = study.spec["sampler"]
        seed = f" (seed {sampler['seed']})" if "seed" in sampler else ""
        self.stdout.write(
            f"created study {study.name} (id {study.pk}): {study.n_trials} trials, "
            f"{sampler['type']} sampler{seed}, executor {study.executor}"
        )
