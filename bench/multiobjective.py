"""Several objectives and constraints: our Bayesian sampler against Optuna 5.0's, in one run.

    ../bench-venv/bin/python bench/multiobjective.py                   # 5 problems, 10 seeds, 100 trials
    ../bench-venv/bin/python bench/multiobjective.py --seeds 3 --problems zdt1,srn   # quick look
    ../bench-venv/bin/python bench/multiobjective.py --samplers ours-bayesian,optuna-tpe --trials 50

For every problem and sampler it prints the median (over seeds 0..N-1) hypervolume of
the feasible trials after 50 and 100 trials (fixed reference points, below), the
median share of feasible trials, and the mean CPU seconds per suggestion (every sampler
runs single-threaded, so CPU time is what a suggestion costs and a busy or paused
machine does not inflate it); then a markdown
table of the same, and the time our sampler takes for one suggestion with 200 random
trials of history on SRN and on DTLZ2 (wall and CPU seconds). Hypervolume is computed
the same way for every sampler (``studies.core.hypervolume``, exact). BLAS and torch run single-threaded for every
sampler (the machine is shared; small models are faster so anyway). Optuna's samplers
get SRN's constraints through ``constraints_func``.

Problems (all objectives minimised unless said; reference points in brackets):
- ZDT1 and ZDT2, 6 dimensions in [0, 1]                         [1.1, 11]
- DTLZ2, 3 objectives, 6 dimensions in [0, 1]                    [2.2, 2.2, 2.2]
- SRN (Srinivas and Deb, 1994), 2 constraints, x in [-20, 20]²   [1000, 200]
- MLP: scikit-learn's MLPClassifier on the bundled digits, maximise accuracy on a fixed
  stratified 30% test split after 30 epochs, minimise the parameter count (hidden
  width 4-128 log, 1-3 layers, alpha and learning rate log)     [0.0, 20000]
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.tables import table
from studies.core.feasibility import Constraint
from studies.core.goals import Goals, Objective
from studies.core.hypervolume import hypervolume_of
from studies.core.samplers import make_sampler, parse_sampler
from studies.core.samplers.base import sample_uniform
from studies.core.space import parse_space
from studies.core.trials import Direction, FrozenTrial, TrialState

MIN, MAX = Direction.MINIMIZE, Direction.MAXIMIZE
CHECKPOINTS = (50, 100)
SAMPLERS = ("ours-bayesian", "optuna-nsga2", "optuna-tpe", "optuna-gp")
MLP_EPOCHS = 30


@dataclass(frozen=True)
class Problem:
    name: str
    space: list[dict]
    directions: tuple[Direction, ...]
    reference: tuple[float, ...]
    evaluate: Callable[[dict], tuple[list[float], list[float]]]  # objectives, constraints (<= 0 holds)
    n_constraints: int = 0
    goals: Goals = field(init=False)

    def __post_init__(self) -> None:
        objectives = tuple(Objective(f"f{i}", d) for i, d in enumerate(self.directions))
        constraints = tuple(Constraint(f"c{i}", max=0.0) for i in range(self.n_constraints))
        object.__setattr__(self, "goals", Goals(objectives, constraints))


def unit_box(n: int) -> list[dict]:
    return [{"name": f"x{i}", "type": "float", "low": 0.0, "high": 1.0} for i in range(n)]


def xs(p: dict) -> list[float]:
    return [p[f"x{i}"] for i in range(len(p))]


def zdt(p: dict, square: bool) -> tuple[list[float], list[float]]:
    x = xs(p)
    g = 1.0 + 9.0 * sum(x[1:]) / (len(x) - 1)
    ratio = x[0] / g
    return [x[0], g * (1.0 - (ratio**2 if square else math.sqrt(ratio)))], []


def dtlz2(p: dict) -> tuple[list[float], list[float]]:
    x = xs(p)
    g = sum((v - 0.5) ** 2 for v in x[2:])
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return [(1 + g) * math.cos(a) * math.cos(b), (1 + g) * math.cos(a) * math.sin(b), (1 + g) * math.sin(a)], []


def srn(p: dict) -> tuple[list[float], list[float]]:
    x1, x2 = p["x1"], p["x2"]
    f = [2 + (x1 - 2) ** 2 + (x2 - 1) ** 2, 9 * x1 - (x2 - 1) ** 2]
    return f, [x1**2 + x2**2 - 225, x1 - 3 * x2 + 10]


@lru_cache(maxsize=1)
def _digits():
    """The bundled digits, one fixed stratified split: 70% to train, 30% to measure accuracy."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.3, random_state=0, stratify=y)


def mlp(p: dict) -> tuple[list[float], list[float]]:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X_train, X_test, y_train, y_test = _digits()
    layers = (p["width"],) * p["layers"]
    model = MLPClassifier(layers, alpha=p["alpha"], learning_rate_init=p["lr"], max_iter=MLP_EPOCHS, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        accuracy = float(model.fit(X_train, y_train).score(X_test, y_test))
    sizes = [X_train.shape[1], *layers, 10]
    return [accuracy, float(sum((a + 1) * b for a, b in itertools.pairwise(sizes)))], []


PROBLEMS = {
    "zdt1": Problem("zdt1", unit_box(6), (MIN, MIN), (1.1, 11.0), lambda p: zdt(p, False)),
    "zdt2": Problem("zdt2", unit_box(6), (MIN, MIN), (1.1, 11.0), lambda p: zdt(p, True)),
    "dtlz2": Problem("dtlz2", unit_box(6), (MIN, MIN, MIN), (2.2, 2.2, 2.2), dtlz2),
    "srn": Problem(
        "srn",
        [{"name": n, "type": "float", "low": -20.0, "high": 20.0} for n in ("x1", "x2")],
        (MIN, MIN),
        (1000.0, 200.0),
        srn,
        n_constraints=2,
    ),
    "mlp": Problem(
        "mlp",
        [
            {"name": "width", "type": "int", "low": 4, "high": 128, "scale": "log"},
            {"name": "layers", "type": "int", "low": 1, "high": 3},
            {"name": "alpha", "type": "float", "low": 1e-6, "high": 1e-1, "scale": "log"},
            {"name": "lr", "type": "float", "low": 1e-4, "high": 1e-1, "scale": "log"},
        ],
        (MAX, MIN),
        (0.0, 20000.0),
        mlp,
    ),
}


def ours(problem: Problem, seed: int, n: int) -> tuple[list[tuple[list[float], bool]], list[float]]:
    space = parse_space(problem.space)
    sampler = make_sampler(parse_sampler({"type": "bayesian", "seed": seed}, space), space, MIN, problem.goals)
    history: list[FrozenTrial] = []
    out, seconds = [], []
    for number in range(n):
        started = time.process_time()
        params = sampler.suggest(number, history)
        seconds.append(time.process_time() - started)
        values, limits = problem.evaluate(params)
        metrics = {f"f{i}": v for i, v in enumerate(values)} | {f"c{i}": c for i, c in enumerate(limits)}
        history.append(
            FrozenTrial(number, TrialState.COMPLETED, params, value=values[0], values=tuple(values), metrics=metrics)
        )
        out.append((values, all(c <= 0 for c in limits)))
    return out, seconds


def optuna_run(kind: str, problem: Problem, seed: int, n: int) -> tuple[list[tuple[list[float], bool]], list[float]]:
    import warnings

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # constraints_func still works in 5.0 but warns on every study (set_constraint is its successor).
    warnings.filterwarnings("ignore", category=FutureWarning)
    constraints = (lambda t: t.user_attrs["c"]) if problem.n_constraints else None
    sampler = {
        "optuna-nsga2": lambda: optuna.samplers.NSGAIISampler(seed=seed, constraints_func=constraints),
        "optuna-tpe": lambda: optuna.samplers.TPESampler(seed=seed, constraints_func=constraints),
        "optuna-gp": lambda: optuna.samplers.GPSampler(seed=seed, constraints_func=constraints),
    }[kind]()
    study = optuna.create_study(directions=[d.value for d in problem.directions], sampler=sampler)
    out, seconds = [], []
    for _ in range(n):
        started = time.process_time()
        trial = study.ask()
        params = {d["name"]: _suggest(trial, d) for d in problem.space}
        seconds.append(time.process_time() - started)
        values, limits = problem.evaluate(params)
        trial.set_user_attr("c", limits)
        study.tell(trial, values)
        out.append((values, all(c <= 0 for c in limits)))
    return out, seconds


def _suggest(trial, d: dict):
    log = d.get("scale") == "log"
    if d["type"] == "int":
        return trial.suggest_int(d["name"], d["low"], d["high"], log=log)
    return trial.suggest_float(d["name"], d["low"], d["high"], log=log)


def score(problem: Problem, run: list[tuple[list[float], bool]], upto: int) -> float:
    feasible = [values for values, ok in run[:upto] if ok]
    return hypervolume_of(feasible, problem.directions, problem.reference)


def measure(kind: str, problem: Problem, seeds: int, trials: int, checkpoints: list[int]) -> dict:
    """Median hypervolume at each checkpoint, median feasible share and mean seconds per suggestion."""
    runs = [
        ours(problem, seed, trials) if kind == "ours-bayesian" else optuna_run(kind, problem, seed, trials)
        for seed in range(seeds)
    ]
    return {
        "volumes": [statistics.median(score(problem, r, c) for r, _ in runs) for c in checkpoints],
        "feasible": statistics.median(sum(ok for _, ok in r) / len(r) for r, _ in runs),
        "seconds": statistics.mean(s for _, seconds in runs for s in seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=max(CHECKPOINTS))
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--samplers", default=",".join(SAMPLERS))
    parser.add_argument("--no-timing", action="store_true", help="skip the 200-trial suggestion timing")
    args = parser.parse_args()
    checkpoints = [c for c in CHECKPOINTS if c <= args.trials] or [args.trials]
    # One BLAS/torch thread for everyone: the machine is shared, and a small model's
    # matrices are faster single-threaded anyway (ours pins this itself).
    threadpool_limits(1)
    if any(k == "optuna-gp" for k in args.samplers.split(",")):
        import torch

        torch.set_num_threads(1)
    print(f"median over {args.seeds} seeds; hypervolume of feasible trials at {checkpoints} trials", flush=True)
    rows = []
    for name in args.problems.split(","):
        problem = PROBLEMS[name]
        print(f"\n{name}  (reference {list(problem.reference)})", flush=True)
        for kind in args.samplers.split(","):
            result = measure(kind, problem, args.seeds, args.trials, checkpoints)
            shown = "  ".join(f"HV@{c}={v:.5g}" for c, v in zip(checkpoints, result["volumes"], strict=True))
            print(
                f"  {kind:14} {shown}  feasible={result['feasible']:.0%}  s/suggestion={result['seconds']:.3f}",
                flush=True,
            )
            rows.append([name, kind, *(f"{v:.5g}" for v in result["volumes"])])
            rows[-1] += [f"{result['feasible']:.0%}", f"{result['seconds']:.3f}"]
    columns = ["problem", "sampler", *(f"HV@{c}" for c in checkpoints), "feasible", "s/suggestion"]
    print("\n".join(table(f"Median over {args.seeds} seeds, {args.trials} trials", columns, rows)))
    if not args.no_timing:
        print("\nours-bayesian, one suggestion with 200 random trials of history (median of 5):")
        for name in ("srn", "dtlz2"):
            wall, cpu = suggestion_at(200, name)
            print(f"  {name:6} wall {wall:.3f} s, CPU {cpu:.3f} s")


def suggestion_at(n_history: int, name: str) -> tuple[float, float]:
    """Median wall and CPU seconds of 5 suggestions on ``name`` with ``n_history`` random trials seen.

    CPU time is what the suggestion costs on an idle machine; wall time also counts
    waiting for a core on a busy one.
    """
    problem = PROBLEMS[name]
    space = parse_space(problem.space)
    sampler = make_sampler(parse_sampler({"type": "bayesian", "seed": 1}, space), space, MIN, problem.goals)
    rng = np.random.default_rng(0)
    history = []
    for number in range(n_history):
        params = sample_uniform(space, rng)
        values, limits = problem.evaluate(params)
        metrics = {f"f{i}": v for i, v in enumerate(values)} | {f"c{i}": c for i, c in enumerate(limits)}
        history.append(
            FrozenTrial(number, TrialState.COMPLETED, params, values[0], values=tuple(values), metrics=metrics)
        )
    wall, cpu = [], []
    for k in range(5):
        started, started_cpu = time.perf_counter(), time.process_time()
        sampler.suggest(n_history + k, history)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu)


if __name__ == "__main__":
    main()
