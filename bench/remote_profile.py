"""Where an ask and a tell spend their time on the server, without the network or Daphne.

    .venv/bin/python bench/remote_profile.py [--history 1000] [--probe 200] [--database-url URL]

Runs the HTTP API in this process (Django's test client, Bearer token, DEBUG off) on a
fresh database: fills a random-sampling study with ``--history`` trials, then times
``--probe`` more ask/tell round trips (p50, p95), then profiles another ``--probe`` and
prints the project's own functions by cumulative time per request, so the cost of the
token lookup, the lost-trial sweep, the sampler, the claim and the event publish can be
read off directly. Compare with bench/remote.py's latencies to see what Daphne and the
network add.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=int, default=1000, help="finished trials before timing (default 1000)")
    parser.add_argument("--probe", type=int, default=200, help="round trips timed, then profiled (default 200)")
    parser.add_argument("--database-url", help="e.g. postgres://... (default: a SQLite file in a temp dir)")
    parser.add_argument("--top", type=int, default=30, help="functions listed (default 30)")
    return parser.parse_args(argv)


def set_up(args):
    os.environ["SOMATIZE_DATA_DIR"] = tempfile.mkdtemp(prefix="somatize-profile-")
    os.environ["DEBUG"] = "false"
    os.environ.pop("REDIS_URL", None)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "somatize_site.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("create_login", "profile", "--staff", stdout=io.StringIO())
    out = io.StringIO()
    call_command("create_token", "profile", stdout=out, stderr=io.StringIO())
    from django.test import Client

    return Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {out.getvalue().split()[-1]}")


def post(client, path: str, body: dict) -> dict:
    answer = client.post(path, json.dumps(body), content_type="application/json")
    assert answer.status_code in (200, 201), (path, answer.status_code, answer.content[:300])
    return answer.json()


def main(argv=None) -> None:
    args = parse_args(argv)
    client = set_up(args)
    total = args.history + 2 * args.probe
    from bench.remote import spec

    study = post(client, "/api/studies/", spec("profile", total))["id"]

    def round_trip(i: int) -> tuple[float, float]:
        started = time.perf_counter()
        trial = post(client, f"/api/studies/{study}/ask/", {"request_id": f"r{i}", "worker": "profile"})
        asked = time.perf_counter()
        tell = {"state": "completed", "value": trial["params"]["x"] ** 2 + trial["params"]["y"]}
        post(client, f"/api/studies/{study}/trials/{trial['number']}/tell/", tell)
        return asked - started, time.perf_counter() - asked

    for i in range(args.history):
        round_trip(i)
    asks, tells = zip(*(round_trip(args.history + i) for i in range(args.probe)), strict=True)
    for name, values in (("ask", asks), ("tell", tells)):
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        print(
            f"in-process {name} at {args.history} trials of history: p50 {cuts[49] * 1000:.2f} ms, "
            f"p95 {cuts[94] * 1000:.2f} ms"
        )
    profile = cProfile.Profile()
    profile.enable()
    for i in range(args.probe):
        round_trip(args.history + args.probe + i)
    profile.disable()
    report(profile, args.probe, args.top)


def report(profile: cProfile.Profile, rounds: int, top: int) -> None:
    """The project's functions (and the ORM's execute) by cumulative ms per ask/tell round trip."""
    stats = pstats.Stats(profile)
    rows = []
    for (path, line, name), (_, calls, _, cumulative, _) in stats.stats.items():
        if str(ROOT / "studies") in path or name in ("execute", "_execute"):
            rows.append((cumulative / rounds * 1000, calls / rounds, f"{Path(path).name}:{line} {name}"))
    print(f"\nprofiled (cProfile roughly doubles these), ms per ask+tell round trip, top {top}:")
    print(f"{'ms':>8} {'calls':>6}  function")
    for ms, calls, where in sorted(rows, reverse=True)[:top]:
        print(f"{ms:8.2f} {calls:6.1f}  {where}")


if __name__ == "__main__":
    main()
