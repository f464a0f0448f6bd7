from django.core.management.base import BaseCommand, CommandError

from studies.services import tokens


class Command(BaseCommand):
    help = "Create an API token for a user and print it (once: only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="a label for the token, shown in the admin")

    def handle(self, *args, **options):
        if len(options["name"]) > 100:
            raise CommandError("--name must be at most 100 characters")
        try:
            token, raw = tokens.create_token(options["username"], options["name"])
        except tokens.UnknownUser as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(
            f"API token {token.prefix}… for {options['username']}; it is shown only now, store it safely "
            "(send it as 'Authorization: Bearer <token>'; revoke it in the admin):"
        )
        self.stdout.write(raw)
