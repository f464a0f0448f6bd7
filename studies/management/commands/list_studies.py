from django.core.management.base import BaseCommand

from studies import selectors


class Command(BaseCommand):
    help = "List studies: name, state, progress, best value, executor."

    def handle(self, *args, **options):
        rows = [("NAME", "STATE", "DONE", "BEST", "EXECUTOR")]
        for s in selectors.studies_by_name():
            best = "-" if s.best_value is None else f"{s.best_value:.6g}"
            rows.append((s.name, s.state, f"{s.n_done}/{s.n_trials}", best, s.executor))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=False)).rstrip())
