from django.core.management.base import BaseCommand

from studies.executors import registry


class Command(BaseCommand):
    help = "List the registered executors with their descriptions."

    def handle(self, *args, **options):
        infos = registry.all()
        width = max((len(i.name) for i in infos), default=0)
        for info in infos:
            self.stdout.write(f"{info.name.ljust(width)}  {info.description}")
