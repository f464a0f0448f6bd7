"""Early stopping: steps spent and best final value, our pruners against Optuna's, in one run.

    ../bench-venv/bin/python bench/early_stopping.py                    # 3 problems, 10 seeds, 40 trials
    ../bench-venv/bin/python bench/early_stopping.py --seeds 3 --problems curves

Each seed draws one sequence of ``--trials`` configurations. Every configuration's whole
learning curve is computed once, by the built-in executor itself (``sgd_digits`` and
``mlp_digits``, 27 epochs each, validation accuracy reported every epoch) or by the
synthetic family below; then each method replays the same curves in the same order, the
trial stopping at the first step its pruner says so. Replaying is exact because the
executors are deterministic (seeded by the trial number, which is the configuration's
index for every method), and it makes the comparison fair: every method sees the very
same configurations, and only the pruner differs.

Per method: the median over seeds of the total steps spent (epochs trained), their
share of "no pruning", and the median best final value among trials that ran to the
end, with its gap to "no pruning" (which sees every curve to the end, so it is the best
any method can reach with these configurations). Ours: median (``n_min_trials=5``),
successive halving and Hyperband through ``studies.core.pruners`` with the peers our
storage would hand them; Optuna 5.0: ``MedianPruner(n_startup_trials=5)``,
``SuccessiveHalvingPruner`` and ``HyperbandPruner`` with the same resources.

Optuna's Hyperband puts a trial in a bracket by a hash of the study name and the trial
number, so one replay per seed is one draw of its brackets: its figures moved by 3-4
points between runs of this script. Each seed therefore replays it under
``--optuna-names`` fixed study names, each a run of its own in the table (medians over
every run, and how many runs end within the tolerance), so a run of the script repeats
and measures Optuna's typical brackets, not a lucky or an unlucky draw. Ours are fixed by
the trial number: one run a seed, the brackets a study numbered from 0 gets.
``--shifts N`` replays ours under N numberings too (run ``k`` numbers the trials from
``k * --trials``: another stretch of the same schedule, so another draw of which
configuration lands in which bracket), for figures of its typical brackets beside
Optuna's. Under the table, one line compares the two Hyperbands seed by seed (mean and
standard error of ours minus Optuna's share and gap, medians over each seed's runs).
``--per-seed`` prints every seed's share and gap (medians over its runs);
``--brackets`` prints where our Hyperband's steps go, bracket by bracket, beside what
each trial would cost if every rung let exactly ``1 / reduction_factor`` on;
``--extra '{"type": "successive_halving", "min_early_stopping_rate": 1}'`` adds a row
for another config of ours (repeat it for more).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studies.core.pruners import PeerQuery, make_pruner, parse_pruner
from studies.core.trials import Direction, FrozenTrial, TrialState

EPOCHS = 27
RESOURCES = {"min_resource": 1, "reduction_factor": 3}
OURS = {
    "none": {"type": "none"},
    "median": {"type": "median", "n_min_trials": 5},
    "successive_halving": {"type": "successive_halving", **RESOURCES},
    "hyperband": {"type": "hyperband", **RESOURCES, "max_resource": EPOCHS},
}
OPTUNA = ("optuna-median", "optuna-successive_halving", "optuna-hyperband")
Curve = list[float]


class Recorder:
    """The executor-side trial: records every report and never stops the trial."""

    def __init__(self, number: int, metric: str):
        self.number, self.metric, self.values = number, metric, []

    def report(self, step: int, **metrics: float) -> None:
        self.values.append(float(metrics[self.metric]))

    def should_prune(self) -> bool:
        return False


def executor_curves(name: str, configs: Sequence[dict[str, Any]]) -> list[Curve]:
    from studies.executors import sklearn_demos  # noqa: F401  (registers the executors)
    from studies.executors.registry import registry

    execute = registry.get(name).fn
    curves = []
    for number, params in enumerate(configs):
        recorder = Recorder(number, "accuracy")
        execute({**params, "epochs": EPOCHS}, recorder)
        curves.append(recorder.values)
    return curves


def sgd_configs(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    losses = ["hinge", "log_loss", "modified_huber"]
    return [
        {"alpha": 10 ** rng.uniform(-6, -1), "eta0": 10 ** rng.uniform(-4, 0), "loss": losses[rng.integers(3)]}
        for _ in range(n)
    ]


def mlp_configs(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    return [
        {
            "hidden": int(rng.integers(8, 129)),
            "alpha": 10 ** rng.uniform(-6, -1),
            "learning_rate_init": 10 ** rng.uniform(-4, -1),
        }
        for _ in range(n)
    ]


def synthetic_curves(rng: np.random.Generator, n: int) -> list[Curve]:
    """Saturating curves whose speed and ceiling depend on different parameters.

    Some slow starters end best, so a pruner that judges too early loses the optimum.
    """
    curves = []
    for _ in range(n):
        x, y = rng.uniform(size=2)
        ceiling = 1.0 - (x - 0.7) ** 2 - 0.5 * (y - 0.3) ** 2
        rate = 0.04 + 0.5 * y
        steps = np.arange(1, EPOCHS + 1)
        noise = rng.normal(0.0, 0.005, size=EPOCHS)
        curves.append(list(ceiling * (1.0 - np.exp(-rate * steps)) + noise))
    return curves


PROBLEMS: dict[str, Callable[[np.random.Generator, int], list[Curve]]] = {
    "curves": synthetic_curves,
    "sgd_digits": lambda rng, n: executor_curves("sgd_digits", sgd_configs(rng, n)),
    "mlp_digits": lambda rng, n: executor_curves("mlp_digits", mlp_configs(rng, n)),
}


def peers_for(query: PeerQuery, history: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """What ``selectors.peers_at_step`` returns, from memory: first value in the query's steps."""
    peers = []
    for trial in history:
        steps = [s for s in trial.intermediate if s >= query.step and (query.before is None or s < query.before)]
        if trial.state in query.states and steps:
            first = min(steps)
            peers.append(FrozenTrial(trial.number, trial.state, {}, intermediate={first: trial.intermediate[first]}))
    return peers


def replay_ours(config: dict[str, Any], curves: Sequence[Curve], shift: int = 0) -> tuple[int, float]:
    """(steps spent, best final value) of our pruner over the curves, trials one after another."""
    return summary(replay_history(make_pruner(parse_pruner(config)), curves, shift))


def replay_history(pruner: Any, curves: Sequence[Curve], shift: int = 0) -> list[FrozenTrial]:
    """Every trial as the pruner left it. ``shift`` numbers the trials from there: another
    draw of Hyperband's bracket schedule (a function of the number), the same curves."""
    history: list[FrozenTrial] = []
    for number, curve in enumerate(curves, start=shift):
        own: dict[int, float] = {}
        state = TrialState.COMPLETED
        for step, value in enumerate(curve):
            own[step] = value
            query = pruner.peer_query(step, own, number=number)
            peers = peers_for(query, history) if query else []
            if query and pruner.should_prune(step, own, peers, Direction.MAXIMIZE, number=number):
                state = TrialState.PRUNED
                break
        history.append(FrozenTrial(number, state, {}, value=own[max(own)], intermediate=dict(own)))
    return history


def replay_optuna(method: str, curves: Sequence[Curve], seed: int, name: str | None = None) -> tuple[int, float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruners = {
        "optuna-median": lambda: optuna.pruners.MedianPruner(n_startup_trials=5),
        "optuna-successive_halving": lambda: optuna.pruners.SuccessiveHalvingPruner(**RESOURCES),
        "optuna-hyperband": lambda: optuna.pruners.HyperbandPruner(**RESOURCES, max_resource=EPOCHS),
    }
    study = optuna.create_study(
        study_name=name,
        direction="maximize",
        pruner=pruners[method](),
        sampler=optuna.samplers.RandomSampler(seed=seed),
    )

    def objective(trial: Any) -> float:
        curve = curves[trial.number]
        for step, value in enumerate(curve):
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return curve[-1]

    study.optimize(objective, n_trials=len(curves))
    history = [
        FrozenTrial(
            t.number,
            TrialState.COMPLETED if t.state == optuna.trial.TrialState.COMPLETE else TrialState.PRUNED,
            {},
            value=t.value,
            intermediate=dict(t.intermediate_values),
        )
        for t in study.trials
    ]
    return summary(history)


def summary(history: Sequence[FrozenTrial]) -> tuple[int, float]:
    steps = sum(len(t.intermediate) for t in history)
    finals = [t.value for t in history if t.state is TrialState.COMPLETED and t.value is not None]
    return steps, max(finals) if finals else -math.inf


@dataclass
class Draws:
    """How many draws of each Hyperband's brackets a seed replays, and where ours' spend is tallied.

    ``names``: Optuna's study names; ``shifts``: our trial numberings (``replay_history``),
    block ``k`` numbering the trials from ``k * n_trials``; ``spend``: per bracket of our
    default Hyperband, [trials, steps, trials run to the end] summed over every run.
    """

    names: int = 5
    shifts: int = 1
    spend: dict[int, list[int]] = field(default_factory=dict)


def run_problem(
    problem: str, seeds: range, n_trials: int, draws: Draws, extra: Sequence[dict[str, Any]] = ()
) -> dict[str, list[tuple[int, float]]]:
    ours = {**OURS, **{label(config): config for config in extra}}
    results: dict[str, list[tuple[int, float]]] = {m: [] for m in (*ours, *OPTUNA)}
    for seed in seeds:
        curves = PROBLEMS[problem](np.random.default_rng(seed), n_trials)
        for method, config in ours.items():
            shifts = range(0, draws.shifts * n_trials, n_trials) if config["type"] == "hyperband" else [0]
            for shift in shifts:
                pruner = make_pruner(parse_pruner(config))
                history = replay_history(pruner, curves, shift)
                results[method].append(summary(history))
                if method == "hyperband":
                    tally_brackets(pruner, history, draws.spend)
        for method in OPTUNA:
            if method != "optuna-hyperband":
                results[method].append(replay_optuna(method, curves, seed))
                continue
            names = range(draws.names)
            results[method].extend(replay_optuna(method, curves, seed, f"{problem}-{seed}-{k}") for k in names)
    return results


def tally_brackets(pruner: Any, history: Sequence[FrozenTrial], spend: dict[int, list[int]]) -> None:
    for trial in history:
        counts = spend.setdefault(pruner.bracket_of(trial.number), [0, 0, 0])
        counts[0] += 1
        counts[1] += len(trial.intermediate)
        counts[2] += trial.state is TrialState.COMPLETED


def print_brackets(spend: dict[int, list[int]], runs: int, base_steps: float) -> None:
    """Our default Hyperband's spend per bracket, a run's mean: where its steps go."""
    pruner = make_pruner(parse_pruner(OURS["hyperband"]))
    print(f"  hyperband per bracket (mean of {runs} runs; theory: per trial if every rung let 1 / eta on)")
    for bracket, (trials, steps, ended) in sorted(spend.items()):
        rungs = pruner.bracket_rungs(bracket)
        print(
            f"  bracket {bracket} rungs {rungs!s:12} trials {trials / runs:5.1f}  steps {steps / runs:6.1f}"
            f" ({100 * steps / runs / base_steps:4.1f}% of none)  per trial {steps / trials:5.2f}"
            f" (theory {theory_per_trial(rungs):5.2f})  ran to the end {ended / runs:4.1f}"
        )


def theory_per_trial(rungs: Sequence[int]) -> float:
    """Steps per trial if each rung let exactly 1 / reduction_factor on (steps 0..EPOCHS-1)."""
    eta = RESOURCES["reduction_factor"]
    ends = [*(rung + 1 for rung in rungs), EPOCHS]  # a trial stopped at rung r reported r + 1 steps
    return sum((end - (ends[k - 1] if k else 0)) / eta**k for k, end in enumerate(ends))


def label(config: dict[str, Any]) -> str:
    """``successive_halving min_early_stopping_rate=1``: an extra config's row name."""
    return " ".join([str(config.get("type")), *(f"{k}={v}" for k, v in config.items() if k != "type")])


def print_table(problem: str, results: dict[str, list[tuple[int, float]]], tolerance: float) -> None:
    """Medians over every run: one a seed, or (Optuna's Hyperband) one a seed and study name."""
    base_steps = statistics.median(s for s, _ in results["none"])
    base_best = [b for _, b in results["none"]]
    print(f"\n{problem}: median over {len(base_best)} seeds ({EPOCHS} epochs per trial; tolerance {tolerance:g})")
    print(f"{'method':28} {'steps':>8} {'% of none':>10} {'best final':>11} {'gap':>9} {'runs within tol.':>18}")
    for method, rows in results.items():
        runs = len(rows) // len(base_best)  # a seed's runs are consecutive
        gaps = [base_best[index // runs] - b for index, (_, b) in enumerate(rows)]
        steps = statistics.median(s for s, _ in rows)
        best = statistics.median(b for _, b in rows)
        gap = statistics.median(gaps)
        within = sum(g <= tolerance for g in gaps)
        share = 100 * steps / base_steps
        print(f"{method:28} {steps:8.0f} {share:9.1f}% {best:11.4f} {gap:9.4f} {within:>12}/{len(rows)}")


def print_per_seed(results: dict[str, list[tuple[int, float]]]) -> None:
    """Each seed's steps as a share of no pruning's and its gap (medians over its runs), a line a method."""
    base = results["none"]
    for method, rows in results.items():
        runs = len(rows) // len(base)
        cells = []
        for index, (base_steps, base_best) in enumerate(base):
            own = rows[index * runs : (index + 1) * runs]
            share = 100 * statistics.median(s for s, _ in own) / base_steps
            cells.append(f"{share:4.0f}% {statistics.median(base_best - b for _, b in own):.3f}")
        print(f"  {method:26} " + " | ".join(cells))


def print_paired(results: dict[str, list[tuple[int, float]]], ours: str, theirs: str) -> None:
    """Seed by seed, ours minus theirs (medians over each seed's runs): is a difference noise?"""
    base = results["none"]
    if len(base) < 2:
        return
    shares, gaps = [], []
    for index, (base_steps, base_best) in enumerate(base):
        pair = []
        for method in (ours, theirs):
            runs = len(results[method]) // len(base)
            own = results[method][index * runs : (index + 1) * runs]
            pair.append((100 * statistics.median(s for s, _ in own) / base_steps, base_best - median_best(own)))
        shares.append(pair[0][0] - pair[1][0])
        gaps.append(pair[0][1] - pair[1][1])
    error = statistics.stdev(shares) / len(shares) ** 0.5
    print(
        f"{ours} - {theirs}, seed by seed: share {statistics.mean(shares):+.1f} points (s.e. {error:.1f}),"
        f" gap {statistics.mean(gaps):+.4f} (s.e. {statistics.stdev(gaps) / len(gaps) ** 0.5:.4f})"
    )


def median_best(rows: Sequence[tuple[int, float]]) -> float:
    return statistics.median(b for _, b in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument(
        "--first-seed", type=int, default=0, help="seeds run from here (10: ten seeds the README's table does not use)"
    )
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--problems", default=",".join(PROBLEMS), help=f"comma-separated: {', '.join(PROBLEMS)}")
    parser.add_argument("--tolerance", type=float, default=0.01, help="accepted gap to no pruning's best value")
    parser.add_argument("--optuna-names", type=int, default=5, help="study names Optuna's Hyperband is replayed under")
    parser.add_argument(
        "--shifts", type=int, default=1, help="trial numberings our Hyperband is replayed under (draws of its brackets)"
    )
    parser.add_argument("--per-seed", action="store_true", help="also print each seed's share and gap")
    parser.add_argument("--brackets", action="store_true", help="also print our Hyperband's spend per bracket")
    parser.add_argument(
        "--extra", type=json.loads, action="append", default=[], help="one more pruner config of ours (JSON), a row"
    )
    args = parser.parse_args()
    for problem in args.problems.split(","):
        if problem not in PROBLEMS:
            parser.error(f"--problems: unknown problem {problem!r}; choose from {', '.join(PROBLEMS)}")
        seeds = range(args.first_seed, args.first_seed + args.seeds)
        draws = Draws(names=args.optuna_names, shifts=args.shifts)
        results = run_problem(problem, seeds, args.trials, draws, args.extra)
        print_table(problem, results, args.tolerance)
        print(f"(optuna-hyperband: {args.optuna_names} study names a seed, each a run; hyperband: {args.shifts})")
        print_paired(results, "hyperband", "optuna-hyperband")
        if args.per_seed:
            print_per_seed(results)
        if args.brackets:
            base_steps = statistics.median(s for s, _ in results["none"])
            print_brackets(draws.spend, len(results["hyperband"]), base_steps)


if __name__ == "__main__":
    main()
