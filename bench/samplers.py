"""Our samplers against Optuna's on the same functions, in one run.

    python3 -m venv ../bench-venv
    ../bench-venv/bin/pip install -r requirements.txt -r bench/requirements.txt
    ../bench-venv/bin/python bench/samplers.py                       # full: 12 functions, 10 seeds, 100 trials
    ../bench-venv/bin/python bench/samplers.py --seeds 3 --functions branin,mixed   # quick look
    ../bench-venv/bin/python bench/samplers.py --trials 500 --seeds 3 --functions hartmann6,levy10 \
        --samplers bayesian,optuna-tpe --history 0                   # long budget

For every function it prints the median simple regret (best value found minus the
optimum) after 10, 20, 40, 60 and 100 trials over the seeds (and 200, 300, 500 on a
longer run), the CPU seconds per suggestion (mean over the run, at 50-60 trials of
history and over the last 10; CPU rather than wall time, so that a busy or paused
machine does not count), and the ratio of our Bayesian sampler's regret and time to
each Optuna sampler's (below 1: ours is better). Then the time our Bayesian sampler
takes per suggestion with 1,000 trials of history.

The analytic functions come from ``studies.core.testfunctions``. SVC-digits is defined
here: 1 - 3-fold CV accuracy of an RBF SVC on 600 digits, C and gamma on log scales;
its reference optimum is the best value any sampler found in the run.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studies.core.samplers import make_sampler, parse_sampler
from studies.core.space import CategoricalDimension, FloatDimension, SearchSpace, parse_space
from studies.core.testfunctions import EXTENDED_FUNCTIONS, TEST_FUNCTIONS, TestFunction
from studies.core.trials import Direction, FrozenTrial, TrialState

CHECKPOINTS = (10, 20, 40, 60, 100, 200, 300, 500)
OURS = ("grid", "random", "bayesian")
OPTUNA = ("optuna-random", "optuna-tpe", "optuna-gp")


@lru_cache(maxsize=1)
def _digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(y))[:600]
    return X[order] / 16.0, y[order]


def svc_digits(p: dict) -> float:
    from sklearn.model_selection import cross_val_score
    from sklearn.svm import SVC

    X, y = _digits()
    return 1.0 - float(cross_val_score(SVC(C=p["C"], gamma=p["gamma"]), X, y, cv=3).mean())


SVC_DIGITS = TestFunction(
    "svc_digits",
    svc_digits,
    [
        {"name": "C", "type": "float", "low": 1e-3, "high": 1e3, "scale": "log"},
        {"name": "gamma", "type": "float", "low": 1e-5, "high": 1e1, "scale": "log"},
    ],
    optimum=math.nan,
)
FUNCTIONS = {**TEST_FUNCTIONS, SVC_DIGITS.name: SVC_DIGITS, **EXTENDED_FUNCTIONS}


def grid_points(space: SearchSpace, n_trials: int) -> int:
    """The fewest points per numeric dimension that give the grid at least n_trials points."""
    numeric = sum(not isinstance(d, CategoricalDimension) for d in space)
    categorical = math.prod(len(d.choices) for d in space if isinstance(d, CategoricalDimension))
    points = 1
    while points**numeric * categorical < n_trials:
        points += 1
    return points


def run_ours(kind: str, fn: TestFunction, space: SearchSpace, seed: int, n_trials: int):
    raw = (
        {"type": kind, "points_per_dim": grid_points(space, n_trials)}
        if kind == "grid"
        else {"type": kind, "seed": seed}
    )
    sampler = make_sampler(parse_sampler(raw, space), space, Direction.MINIMIZE)
    history, values, seconds = [], [], []
    for number in range(n_trials):
        start = time.process_time()
        params = sampler.suggest(number, history)
        seconds.append(time.process_time() - start)
        value = fn.fn(params)
        history.append(FrozenTrial(number, TrialState.COMPLETED, params, value))
        values.append(value)
    return values, seconds


def optuna_distributions(space: SearchSpace) -> dict:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out = {}
    for d in space:
        if isinstance(d, CategoricalDimension):
            out[d.name] = CategoricalDistribution(list(d.choices))
        elif isinstance(d, FloatDimension):
            out[d.name] = FloatDistribution(d.low, d.high, log=d.log)
        else:
            out[d.name] = IntDistribution(d.low, d.high, log=d.log)
    return out


def run_optuna(kind: str, fn: TestFunction, space: SearchSpace, seed: int, n_trials: int):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = {
        "optuna-random": optuna.samplers.RandomSampler,
        "optuna-tpe": optuna.samplers.TPESampler,
        "optuna-gp": optuna.samplers.GPSampler,
    }[kind](seed=seed)
    study = optuna.create_study(sampler=sampler, direction="minimize")
    distributions = optuna_distributions(space)
    values, seconds = [], []
    for _ in range(n_trials):
        start = time.process_time()
        trial = study.ask(distributions)
        seconds.append(time.process_time() - start)
        value = fn.fn(trial.params)
        study.tell(trial, value)
        values.append(value)
    return values, seconds


def history_timing(name: str, n_history: int, repeats: int) -> tuple[float, float]:
    """Mean wall and CPU seconds per bayesian suggestion with ``n_history`` completed random trials.

    CPU time is shown too because on a shared machine wall time also counts waiting
    for a core. The warm-start cache is emptied before each suggestion: the same
    history asked again would reuse its fit, so this is the cold (worst) case."""
    from studies.core.samplers import bayesian

    fn = FUNCTIONS[name]
    space = parse_space(fn.search_space)
    rng = np.random.default_rng(0)
    from studies.core.samplers.base import sample_uniform

    history = []
    for number in range(n_history):
        params = sample_uniform(space, rng)
        history.append(FrozenTrial(number, TrialState.COMPLETED, params, fn.fn(params)))
    sampler = make_sampler(parse_sampler({"type": "bayesian", "seed": 0}, space), space, Direction.MINIMIZE)
    start, cpu = time.perf_counter(), time.process_time()
    for k in range(repeats):
        bayesian.WARM_STARTS.clear()
        sampler.suggest(n_history + k, history)
    return (time.perf_counter() - start) / repeats, (time.process_time() - cpu) / repeats


def fmt(x: float) -> str:
    if not np.isfinite(x):
        return "-"
    return f"{x:.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"


def ratio(a: float, b: float) -> str:
    if b == 0:
        return "=" if a == 0 else "inf"
    return f"{a / b:.2f}"


def parse_args(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument(
        "--functions", default=",".join(FUNCTIONS), help=f"comma-separated; from {', '.join(FUNCTIONS)}"
    )
    parser.add_argument("--samplers", default=",".join(OURS + OPTUNA))
    parser.add_argument("--history", type=int, default=1000, help="history size for the timing check (0 skips it)")
    args = parser.parse_args(argv)
    args.functions, args.samplers = args.functions.split(","), args.samplers.split(",")
    for name in args.functions + args.samplers:
        if name not in FUNCTIONS and name not in OURS + OPTUNA:
            parser.error(f"unknown function or sampler {name!r}")
    return args


def compare_on(name: str, samplers: list[str], seeds: int, trials: int) -> None:
    """One function: every sampler's median regret at the checkpoints, timings, ratios to Optuna's."""
    checkpoints = [c for c in CHECKPOINTS if c <= trials]
    fn = FUNCTIONS[name]
    space = parse_space(fn.search_space)
    curves, seconds = {}, {}
    for kind in samplers:
        runner = run_ours if kind in OURS else run_optuna
        results = [runner(kind, fn, space, seed, trials) for seed in range(seeds)]
        curves[kind] = np.minimum.accumulate(np.array([r[0] for r in results]), axis=1)
        seconds[kind] = np.array([r[1] for r in results])
    optimum = fn.optimum if np.isfinite(fn.optimum) else min(c.min() for c in curves.values())
    print(f"\n## {name} (optimum {fmt(optimum)})")
    print(
        f"{'sampler':<14}"
        + "".join(f"{'@' + str(c):>11}" for c in checkpoints)
        + f"{'s/sugg':>10}{'s@50-60':>10}{'s@last10':>10}"
    )
    medians, late = {}, {}
    for kind in samplers:
        regret = np.maximum(curves[kind] - optimum, 0.0)
        medians[kind] = {c: float(np.median(regret[:, c - 1])) for c in checkpoints}
        late[kind] = float(seconds[kind][:, 50:60].mean()) if trials > 50 else math.nan
        print(
            f"{kind:<14}"
            + "".join(f"{fmt(medians[kind][c]):>11}" for c in checkpoints)
            + f"{fmt(float(seconds[kind].mean())):>10}{fmt(late[kind]):>10}"
            + f"{fmt(float(seconds[kind][:, -10:].mean())):>10}"
        )
    if "bayesian" in samplers:
        for other in (s for s in samplers if s in OPTUNA):
            print(
                f"bayesian/{other:<14}"
                + "".join(f"{ratio(medians['bayesian'][c], medians[other][c]):>9}" for c in checkpoints)
                + f"   time {ratio(late['bayesian'], late[other])}"
            )
    sys.stdout.flush()


def main(argv=None) -> int:
    args = parse_args(argv)
    print(
        f"{args.seeds} seeds x {args.trials} trials; median simple regret; s/sugg = mean CPU seconds per suggestion",
        flush=True,
    )
    for name in args.functions:
        compare_on(name, args.samplers, args.seeds, args.trials)
    if args.history and "bayesian" in args.samplers:
        print(f"\n## bayesian, seconds per suggestion with {args.history} completed trials of history")
        print(f"{'function':<14}{'wall':>8}{'cpu':>8}")
        for name in ("hartmann6", "levy5", "mixed"):
            wall, cpu = history_timing(name, args.history, repeats=5)
            print(f"{name:<14}{wall:>8.3f}{cpu:>8.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
