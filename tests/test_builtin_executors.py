"""The built-in executors: analytic functions hit their known optima, real models learn and report."""

import pytest

from studies.core.testfunctions import TEST_FUNCTIONS
from studies.executors import TrialContext, registry, run_executor

OPTIMA = {
    "branin": {"x1": 3.141592653589793, "x2": 2.275},
    "hartmann6": dict(
        zip([f"x{i}" for i in range(1, 7)], [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573], strict=True)
    ),
    "rosenbrock4": {f"x{i}": 1.0 for i in range(1, 5)},
    "levy5": {f"x{i}": 1.0 for i in range(1, 6)},
    "mixed": {"lr": 1e-3, "layers": 3, "activation": "relu"},
}


def execute(name, params, metric="value"):
    reports = []
    context = TrialContext(0, params, lambda step, metrics: reports.append((step, metrics)), lambda step: False)
    return run_executor(registry.get(name).fn, context, metric), reports


@pytest.mark.parametrize("name", sorted(TEST_FUNCTIONS))
def test_each_analytic_executor_reaches_its_known_optimum(name):
    outcome, _ = execute(name, OPTIMA[name])
    assert outcome.state.value == "completed"
    assert outcome.value == pytest.approx(TEST_FUNCTIONS[name].optimum, abs=1e-4)


@pytest.mark.parametrize(
    "name, params, steps",
    [
        ("svm_digits", {"C": 10.0, "gamma": 0.01, "kernel": "rbf"}, 3),
        ("sgd_digits", {"alpha": 1e-4, "eta0": 0.01, "loss": "hinge", "epochs": 4}, 4),
        ("mlp_digits", {"hidden": 32, "alpha": 1e-4, "learning_rate_init": 0.01, "epochs": 4}, 4),
    ],
)
def test_the_scikit_learn_executors_learn_and_report_each_step(name, params, steps):
    outcome, reports = execute(name, params, metric="accuracy")
    assert outcome.state.value == "completed", outcome.error
    assert 0.85 < outcome.value <= 1.0
    assert [step for step, _ in reports] == list(range(steps))
    assert all("accuracy" in metrics for _, metrics in reports)


def test_zdt1_returns_both_objectives_and_lies_on_its_front_when_the_rest_is_zero():
    outcome, _ = execute("zdt1", {"x1": 0.25, "x2": 0.0, "x3": 0.0}, "f1")
    assert outcome.metrics == {"f1": 0.25, "f2": pytest.approx(0.5), "distance": 0.0}
    off_front, _ = execute("zdt1", {"x1": 0.25, "x2": 0.5, "x3": 0.5}, "f1")
    assert off_front.metrics["f2"] > 0.5 and off_front.metrics["distance"] == 1.0
