"""Remote trials over the network: Somatize's HTTP ask/tell API beside Optuna's gRPC storage proxy.

    /path/bench-venv/bin/python bench/remote.py            # full run (a few minutes)
    /path/bench-venv/bin/python bench/remote.py --quick    # about a minute

Both systems run in the same invocation on the same database (the same SQLite file, the
same PostgreSQL database), each behind its own server process: Somatize behind Daphne
as the README says to serve it (DEBUG off), Optuna behind
``optuna.storages.run_grpc_proxy_server`` over its RDB storage. K client processes
(K = 1, 4) share one study with random sampling and a trivial objective, so the cost of
the round trips and the server is all that is measured:

1. throughput: trials per second from the stored timestamps (first start to last
   finish), as bench/throughput.py measures it; wall-clock time beside it;
2. latency: each client times its ask (until the parameters are known: Optuna samples in
   ``suggest_float``, so that counts) and its tell; p50 and p95 over all clients;
3. history: ask latency of one client once the study holds ``--history`` finished trials.

The Somatize client is the package in client/, imported from source.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "client"))

from bench.optuna_side import completed_rate  # noqa: E402
from bench.tables import fmt, print_row, table  # noqa: E402
from bench.throughput import Database, Somatize, shares  # noqa: E402

SIDES = str(ROOT / "bench" / "remote_sides.py")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 trials per run, 300 of history, 100 probes")
    parser.add_argument("--trials", type=int, default=1000, help="trials per throughput run (default 1000)")
    parser.add_argument("--clients", default="1,4", help="K client processes (default 1,4)")
    parser.add_argument("--history", type=int, default=1000, help="finished trials before the probe (default 1000)")
    parser.add_argument("--probe", type=int, default=200, help="asks timed at that history (default 200)")
    parser.add_argument("--databases", default="sqlite,postgres", help="sqlite, postgres or both (default)")
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get("SOMATIZE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="PostgreSQL URL allowed to CREATE DATABASE (a fresh one is made and dropped)",
    )
    parser.add_argument("--no-optuna", action="store_true", help="measure Somatize only")
    parser.add_argument(
        "--no-optuna-history",
        action="store_true",
        help="skip Optuna in the history probe (its ask reads every trial: 1,000 take minutes)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write every measurement to PATH")
    args = parser.parse_args(argv)
    if args.quick:
        args.trials, args.history, args.probe = min(args.trials, 200), min(args.history, 300), min(args.probe, 100)
    args.clients = [int(k) for k in args.clients.split(",")]
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    return args


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(command: list[str], env: dict, port: int, log: Path) -> subprocess.Popen:
    """Start a server process and wait until it accepts connections on ``port``."""
    with log.open("a") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{command[:4]} did not start:\n{log.read_text()[-2000:]}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_clients(commands: list[list[str]]) -> tuple[dict, float]:
    """Run client processes side by side; their latencies merged, and the wall-clock time."""
    started = time.monotonic()
    processes = [
        subprocess.Popen(c, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands
    ]
    merged: dict = {"ask": [], "tell": []}
    for process in processes:
        out, err = process.communicate()
        if process.returncode:
            raise SystemExit(f"a client failed:\n{err[-3000:]}")
        answer = json.loads(out.strip().splitlines()[-1])
        merged["ask"] += answer["ask"]
        merged["tell"] += answer["tell"]
    return merged, time.monotonic() - started


def percentiles(seconds: list[float]) -> dict:
    if len(seconds) < 2:
        return {"p50": None, "p95": None}
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {"p50": cuts[49] * 1000, "p95": cuts[94] * 1000}  # milliseconds


def spec(name: str, n_trials: int) -> dict:
    """A remote-only study (no executor): random sampling over the trivial objective's x, y."""
    return {
        "name": name,
        "objective": {"metric": "value", "direction": "minimize"},
        "sampler": {"type": "random", "seed": 1},
        "n_trials": n_trials,
        "search_space": [
            {"name": "x", "type": "float", "low": -1.0, "high": 1.0},
            {"name": "y", "type": "float", "low": -1.0, "high": 1.0},
        ],
    }


class SomatizeServer:
    """Daphne on one database, with a staff login and an API token for the clients."""

    def __init__(self, db: Database):
        self.project = Somatize(db.tmp, db.django_url)
        self.project.env["DEBUG"] = "false"
        self.project.manage("create_login", "bench", "--staff")
        self.token = self.project.manage("create_token", "bench", "--name", "bench").split()[-1]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        daphne = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)]
        command = [*daphne, "somatize_site.asgi:application"]
        self.process = start_server(command, self.project.env, self.port, db.tmp / "daphne.log")

    def create(self, name: str, budget: int) -> None:
        from somatize_client import Client

        Client(self.url, self.token).create_study(spec(name, budget), exist_ok=False)

    def client(self, name: str, n: int) -> list[str]:
        return [sys.executable, SIDES, "somatize", self.url, self.token, name, str(n)]

    def rate(self, name: str) -> dict:
        return self.project.rate(name)


class OptunaServer:
    """``run_grpc_proxy_server`` over an RDB storage on the same database."""

    def __init__(self, db: Database):
        self.storage = db.optuna_url
        self.port = free_port()
        command = [sys.executable, SIDES, "grpc-server", self.storage, str(self.port)]
        self.process = start_server(command, dict(os.environ), self.port, db.tmp / "grpc.log")

    def create(self, name: str, budget: int) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        optuna.create_study(study_name=name, storage=self.storage, sampler=optuna.samplers.RandomSampler(seed=1))

    def client(self, name: str, n: int) -> list[str]:
        return [sys.executable, SIDES, "optuna", f"127.0.0.1:{self.port}", name, str(n)]

    def rate(self, name: str) -> dict:
        return completed_rate(self.storage, name)


def throughput(server, name: str, n_trials: int, clients: int) -> dict:
    server.create(name, n_trials)
    latencies, wall = run_clients([server.client(name, n) for n in shares(n_trials, clients)])
    return {**server.rate(name), "wall": wall, **summary(latencies)}


def history_probe(server, name: str, history: int, probe: int) -> dict:
    """Fill a study with ``history`` trials (4 clients, not timed), then time ``probe`` asks of one client."""
    server.create(name, history + probe)
    run_clients([server.client(name, n) for n in shares(history, 4)])
    latencies, _ = run_clients([server.client(name, probe)])
    return summary(latencies)


def summary(latencies: dict) -> dict:
    return {"ask": percentiles(latencies["ask"]), "tell": percentiles(latencies["tell"])}


def measure(args) -> list[dict]:
    rows = []
    for kind in args.databases:
        with Database(kind, args.pg_admin_url) as db:
            servers = {"somatize": SomatizeServer(db)}
            if not args.no_optuna:
                servers["optuna"] = OptunaServer(db)
            try:
                for k in args.clients:
                    row = {"database": kind, "test": "throughput", "clients": k}
                    for system, server in servers.items():  # alternated, so drifting noise hits both
                        row[system] = throughput(server, f"remote-{k}", args.trials, k)
                    rows.append(row)
                    report(row)
                row = {"database": kind, "test": "history", "clients": 1, "history": args.history}
                for system, server in servers.items():
                    if system == "optuna" and args.no_optuna_history:
                        continue
                    row[system] = history_probe(server, "history", args.history, args.probe)
                rows.append(row)
                report(row)
            finally:
                for server in servers.values():
                    stop(server.process)
    return rows


def ms(m: dict, what: str) -> str:
    return f"{fmt(m[what]['p50'], '.1f')} / {fmt(m[what]['p95'], '.1f')}"


def report(row: dict) -> None:
    print_row(row, "clients", _latency_words)


def _latency_words(m: dict) -> str:
    rate = f"{fmt(m['rate'], '.1f')} trials/s ({m['trials']}, wall {m['wall']:.1f}s) " if "rate" in m else ""
    return f"{rate}ask {ms(m, 'ask')} ms, tell {ms(m, 'tell')} ms"


def tables(rows: list[dict]) -> str:
    lines = []
    for row in (r for r in rows if r["test"] == "throughput"):
        ours, theirs = row["somatize"], row.get("optuna")
        ratio = f"{ours['rate'] / theirs['rate']:.2f}x" if theirs and ours["rate"] and theirs["rate"] else "-"
        lines.append(
            [
                row["database"],
                str(row["clients"]),
                fmt(ours["rate"], ".1f"),
                fmt(theirs and theirs["rate"], ".1f"),
                ratio,
                ms(ours, "ask"),
                ms(theirs, "ask") if theirs else "-",
                ms(ours, "tell"),
                ms(theirs, "tell") if theirs else "-",
            ]
        )
    out = table(
        "Throughput and latency, trivial objective, K client processes (latency p50 / p95 in ms):",
        [
            "database",
            "K",
            "Somatize trials/s",
            "Optuna gRPC trials/s",
            "ratio",
            "Somatize ask",
            "Optuna ask",
            "Somatize tell",
            "Optuna tell",
        ],
        lines,
    )
    history = [
        [
            row["database"],
            str(row["history"]),
            ms(row["somatize"], "ask"),
            ms(row["optuna"], "ask") if "optuna" in row else "-",
        ]
        for row in rows
        if row["test"] == "history"
    ]
    out += table(
        "Ask latency (p50 / p95 ms), one client, after the history:",
        ["database", "history", "Somatize ask", "Optuna gRPC ask"],
        history,
    )
    return "\n".join(out)


def main(argv=None) -> None:
    args = parse_args(argv)
    rows = measure(args)
    print(tables(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
