from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from studies.accounts import ensure_login


class Command(BaseCommand):
    help = "Create a dashboard login (or reset its password) and print it."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", help="the password to set (default: a new random one)")
        parser.add_argument("--staff", action="store_true", help="also let this login use the admin (superuser)")

    def handle(self, *args, **options):
        try:
            password, created = ensure_login(options["username"], options["password"], staff=options["staff"])
        except ValidationError as exc:
            raise CommandError(f"--password refused: {' '.join(exc.messages)}") from None
        action = "created" if created else "password reset for"
        self.stdout.write(f"{action} login {options['username']} with password {password}")
