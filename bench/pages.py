"""Time the study page and the JSON endpoints at 1,000 / 10,000 / 100,000 / 1,000,000 trials.

    .venv/bin/python bench/pages.py [--sizes 1000,10000,100000,1000000] [--repeat 7] [--database-url URL [--reuse]]

Builds throwaway studies (rows bulk-inserted, as a finished study would leave them, then
VACUUM ANALYZE as autovacuum would) in
a temporary SQLite database (or the empty database at --database-url), then requests
each URL in-process through Django's full middleware stack and prints the median and
worst time and the response size. Not a test: no assertions, numbers only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(database_url: str | None) -> None:
    os.environ["SOMATIZE_DATA_DIR"] = tempfile.mkdtemp(prefix="somatize-bench-")
    os.environ.pop("REDIS_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "somatize_site.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def bench_arguments(description: str, sizes: str, repeat: int) -> argparse.Namespace:
    """The options every in-process page benchmark takes; Django is set up on their database."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sizes", default=sizes)
    parser.add_argument("--repeat", type=int, default=repeat)
    parser.add_argument("--database-url", help="an EMPTY database to use instead of a temporary SQLite file")
    parser.add_argument(
        "--reuse", action="store_true", help="time the studies a previous run left in --database-url (no rebuild)"
    )
    args = parser.parse_args()
    setup_django(args.database_url)
    return args


def logged_in_client(args: argparse.Namespace):
    """Django's test client, logged in as the bench user; prints what the figures are."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    users = get_user_model().objects
    client.force_login(users.filter(username="bench").first() or users.create_user("bench", password="bench-password"))
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"database: {engine}; median / worst of {args.repeat} requests, in-process (no network)")
    return client


def build_study(n: int, reuse: bool):
    from bench.synthetic import build_finished_study
    from studies.models import Study

    if reuse:
        found = Study.objects.filter(name=f"bench-{n}", n_done=n).first()
        if found is not None:
            return found
    study = build_finished_study(f"bench-{n}", n, seed=n, curves=200)
    analyze()
    return study


def analyze() -> None:
    """Statistics (and on PostgreSQL the visibility map) as autovacuum leaves a study
    that has sat for a minute: bulk-inserted rows would otherwise be planned blind."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def time_history(client, url: str, repeat: int) -> tuple[float, float, int]:
    """Every chunk of the history, as the page reads it (the first chunk is timed alone too)."""
    timings, size = [], 0
    joiner = "&" if "?" in url else "?"  # a metric's history: ?metric=NAME&after=...
    for _ in range(repeat):
        started, size, after = time.perf_counter(), 0, None
        while True:
            response = client.get(url if after is None else f"{url}{joiner}after={after}")
            size += len(response.content)
            body = response.json()
            if not body["more"]:
                break
            after = body["last_number"]
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), max(timings), size


def time_url(client, url: str, repeat: int) -> tuple[float, float, int]:
    timings, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        size = len(content)
    return statistics.median(timings), max(timings), size


def main() -> None:
    args = bench_arguments(__doc__.splitlines()[0], "1000,10000,100000,1000000", repeat=7)
    client = logged_in_client(args)
    print(f"{'trials':>8}  {'endpoint':<70} {'median ms':>9} {'worst ms':>9} {'bytes':>9}")
    for n in (int(s) for s in args.sizes.split(",")):
        started = time.perf_counter()
        study = build_study(n, args.reuse)
        print(f"{n:>8}  (built in {time.perf_counter() - started:.1f}s)")
        base = f"/api/studies/{study.pk}"
        urls = [
            f"/studies/{study.pk}/",
            "/",
            f"{base}/",
            f"{base}/trials/",
            f"{base}/trials/?sort=-value&page=20",
            f"{base}/trials/?state=completed&min.lr=0.01&in.activation=relu&sort=param.lr",
            f"{base}/plots/",
            f"{base}/history/",
            f"{base}/events/?after=0",
            f"{base}/trials/{n // 2}/",
        ]
        for url in urls:
            median, worst, size = time_url(client, url, args.repeat)
            print(f"{n:>8}  {url.replace(str(study.pk), '<id>', 1):<70} {median:9.1f} {worst:9.1f} {size:9d}")
        median, worst, size = time_history(client, f"{base}/history/", args.repeat)
        print(f"{n:>8}  {'/api/studies/<id>/history/ (every chunk, in turn)':<70} {median:9.1f} {worst:9.1f} {size:9d}")


if __name__ == "__main__":
    main()
