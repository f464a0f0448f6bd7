"""Objectives for bench/throughput.py (loaded through SOMATIZE_EXECUTOR_MODULES=bench.executors)."""

from studies.executors import executor

from .objectives import short_objective, sleeping_objective, trivial_objective


@executor("bench_trivial", description="x^2 + y: measures the per-trial overhead of the system")
def bench_trivial(params, trial):
    return trivial_objective(params["x"], params["y"])


@executor("bench_sleep", description="sleeps 0.2 s, returns x: measures parallel efficiency")
def bench_sleep(params, trial):
    return sleeping_objective(params["x"])


@executor("bench_sleep20", description="sleeps 20 ms, returns x: several studies side by side")
def bench_sleep20(params, trial):
    return short_objective(params["x"])
