"""Optuna's side of bench/throughput.py: K processes sharing an Optuna study in an RDB storage.

Run as ``python bench/optuna_side.py STORAGE STUDY N_TRIALS {trivial|sleep}`` for one
worker; ``run_optuna`` starts K of them and reads the rate from the stored timestamps.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def objective_for(kind: str):
    from bench.objectives import sleeping_objective, trivial_objective

    def trivial(trial):
        return trivial_objective(trial.suggest_float("x", -1.0, 1.0), trial.suggest_float("y", -1.0, 1.0))

    def sleep(trial):
        return sleeping_objective(trial.suggest_float("x", -1.0, 1.0))

    return {"trivial": trivial, "sleep": sleep}[kind]


def run_optuna(storage: str, name: str, n_trials: int, workers: int, kind: str, shares: list[int]) -> dict:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.create_study(study_name=name, storage=storage, sampler=optuna.samplers.RandomSampler(seed=1))
    root = Path(__file__).resolve().parent.parent
    started = time.monotonic()
    processes = [
        subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), storage, name, str(share), kind],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for share in shares
    ]
    errors = []
    for process in processes:
        _, err = process.communicate()
        if process.returncode:
            errors.append(err.strip().splitlines()[-1] if err.strip() else f"exit {process.returncode}")
    wall = time.monotonic() - started
    return {**completed_rate(storage, name), "wall": wall, "errors": errors}


def completed_rate(storage: str, name: str) -> dict:
    """Completed trials per second, first start to last finish, from the stored timestamps."""
    import optuna

    trials = optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False)
    done = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not done:
        return {"trials": 0, "rate": None}
    span = (max(t.datetime_complete for t in done) - min(t.datetime_start for t in done)).total_seconds()
    return {"trials": len(done), "rate": len(done) / span}


def main(storage: str, name: str, n_trials: str, kind: str) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=name, storage=storage, sampler=optuna.samplers.RandomSampler())
    study.optimize(objective_for(kind), n_trials=int(n_trials))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main(*sys.argv[1:])
