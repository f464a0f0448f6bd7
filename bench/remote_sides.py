"""The processes of bench/remote.py: one client of either system, or Optuna's gRPC proxy server.

    python bench/remote_sides.py somatize URL TOKEN STUDY N      # N ask/tell rounds, Somatize client
    python bench/remote_sides.py optuna HOST:PORT STUDY N         # N ask/tell rounds, GrpcStorageProxy
    python bench/remote_sides.py grpc-server STORAGE_URL PORT     # optuna.storages.run_grpc_proxy_server

Each client prints one JSON line: the ask and tell latencies (seconds) of its rounds.
"ask" is everything until the parameters are known (Optuna samples in ``suggest_*``,
so its suggest calls count as part of its ask); "tell" is the tell round trip.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def somatize_client(url: str, token: str, study_name: str, n: str) -> dict:
    sys.path.insert(0, str(ROOT / "client"))  # the package from source: no install in the bench venv
    from bench.objectives import trivial_objective
    from somatize_client import Client, NoTrialAvailable

    study = Client(url, token).study(study_name)
    asks, tells = [], []
    for _ in range(int(n)):
        started = time.perf_counter()
        try:
            trial = study.ask()
        except NoTrialAvailable:
            break
        asked = time.perf_counter()
        trial.tell(trivial_objective(trial.params["x"], trial.params["y"]))
        asks.append(asked - started)
        tells.append(time.perf_counter() - asked)
    return {"ask": asks, "tell": tells}


def optuna_client(address: str, study_name: str, n: str) -> dict:
    import optuna
    from optuna.storages import GrpcStorageProxy

    from bench.objectives import trivial_objective

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    host, port = address.rsplit(":", 1)
    storage = GrpcStorageProxy(host=host, port=int(port))
    study = optuna.load_study(study_name=study_name, storage=storage, sampler=optuna.samplers.RandomSampler())
    asks, tells = [], []
    for _ in range(int(n)):
        started = time.perf_counter()
        trial = study.ask()
        x, y = trial.suggest_float("x", -1.0, 1.0), trial.suggest_float("y", -1.0, 1.0)
        asked = time.perf_counter()
        study.tell(trial, trivial_objective(x, y))
        asks.append(asked - started)
        tells.append(time.perf_counter() - asked)
    storage.close()
    return {"ask": asks, "tell": tells}


def grpc_server(storage_url: str, port: str) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.RDBStorage(storage_url)
    optuna.storages.run_grpc_proxy_server(storage, host="127.0.0.1", port=int(port))


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    kind, *args = argv
    if kind == "grpc-server":
        grpc_server(*args)
        return
    result = somatize_client(*args) if kind == "somatize" else optuna_client(*args)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
