"""Executors used only by tests (loaded through SOMATIZE_EXECUTOR_MODULES)."""

import math
import os
import time

from studies.core.samplers import SAMPLERS
from studies.executors import TrialPruned, executor

# The test sampler, in worker processes too; imported (with SciPy) only when a spec uses it.
SAMPLERS.register("slow_bayesian", "tests.support.samplers:SlowBayesianSampler")


@executor("seed_f1", description="the seed's test executor: f1 = max(0, 1 - |lr - 0.01| * 10)")
def seed_f1(params, trial):
    return {"f1": max(0.0, 1.0 - abs(params["lr"] - 0.01) * 10.0)}


@executor("fails_above_half", description="raises when x > 0.5, else returns f1 = x")
def fails_above_half(params, trial):
    if params["x"] > 0.5:
        raise RuntimeError("too high")
    return {"f1": params["x"]}


@executor("always_pruned", description="reports 5 steps then prunes itself")
def always_pruned(params, trial):
    for step in range(6):
        trial.report(step, f1=params["x"])
    raise TrialPruned("below median")


@executor("constant_half", description="returns f1 = 0.5")
def constant_half(params, trial):
    return {"f1": 0.5}


@executor("returns_nan", description="returns NaN")
def returns_nan(params, trial):
    return {"f1": math.nan}


@executor("wrong_metric", description="returns a metric other than the objective")
def wrong_metric(params, trial):
    return {"loss": 1.0}


@executor("quadratic", description="(x - 0.3)^2 + (y + 0.2)^2, minimum 0")
def quadratic(params, trial):
    return (params["x"] - 0.3) ** 2 + (params["y"] + 0.2) ** 2


@executor("learning_curve", description="accuracy rises over 10 steps towards x; prunable")
def learning_curve(params, trial):
    accuracy = 0.0
    for step in range(10):
        accuracy = params["x"] * (1 - 0.5 ** (step + 1))
        trial.report(step, accuracy=accuracy)
        if trial.should_prune():
            raise TrialPruned()
    return {"accuracy": accuracy}


@executor("sleepy", description="sleeps SOMATIZE_TEST_SLEEP seconds (default 0.2), returns x")
def sleepy(params, trial):
    time.sleep(float(os.environ.get("SOMATIZE_TEST_SLEEP", "0.2")))
    return params["x"]


# --- executors that misbehave, for the worker-isolation tests ----------------------


def _misbehaves(params) -> bool:
    return params["x"] > 0.5


@executor("segfaults_above_half", description="crashes its process with SIGSEGV when x > 0.5, else returns x")
def segfaults_above_half(params, trial):
    if _misbehaves(params):
        import ctypes

        ctypes.string_at(0)  # reads address 0: a segmentation fault
    return params["x"]


@executor(
    "exhausts_memory_above_half",
    description="allocates until memory runs out when x > 0.5 (needs --trial-memory), else returns x",
)
def exhausts_memory_above_half(params, trial):
    if _misbehaves(params):
        import resource

        if resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY:
            raise RuntimeError("refusing to exhaust the machine's memory: run with --trial-memory")
        hoard = []
        for _ in range(1000):  # 64 GB at most, far past any cap a test sets
            hoard.append(bytearray(64 * 1024 * 1024))
    return params["x"]


@executor("hangs_above_half", description="sleeps an hour when x > 0.5 (needs --trial-timeout), else returns x")
def hangs_above_half(params, trial):
    if _misbehaves(params):
        time.sleep(3600)
    return params["x"]


@executor(
    "stalls_once",
    description="returns x, but trial SOMATIZE_TEST_STALL_AT (default 3) sleeps 300 s "
    "the first time (marker file SOMATIZE_TEST_STALL_FILE); the others take SOMATIZE_TEST_STALL_OTHERS s",
)
def stalls_once(params, trial):
    marker = os.environ.get("SOMATIZE_TEST_STALL_FILE", "")
    if trial.number == int(os.environ.get("SOMATIZE_TEST_STALL_AT", "3")) and marker and not os.path.exists(marker):
        open(marker, "w").close()
        time.sleep(300)
    time.sleep(float(os.environ.get("SOMATIZE_TEST_STALL_OTHERS", "0")))
    return params["x"]


# --- executors that write output, for the trial log tests ---------------------------


@executor("noisy", description="writes from print, logging, os.write on fd 1 and a subprocess; returns x")
def noisy(params, trial):
    import logging
    import subprocess
    import sys

    lines = int(os.environ.get("SOMATIZE_TEST_LINES", "3"))
    pause = float(os.environ.get("SOMATIZE_TEST_SLEEP", "0"))
    for i in range(lines):
        print(f"python line {i} of trial {trial.number}")
        if pause:
            time.sleep(pause)
    logging.getLogger("noisy").warning("logged <b>warning</b> of trial %s", trial.number)
    os.write(1, f"c-level write of trial {trial.number}\n".encode())
    sys.stdout.flush()
    subprocess.run(["sh", "-c", f"echo subprocess echo of trial {trial.number}; echo to stderr >&2"], check=True)
    return params["x"]


@executor("floods_output", description="prints SOMATIZE_TEST_LINES numbered lines as fast as it can; returns x")
def floods_output(params, trial):
    lines = int(os.environ.get("SOMATIZE_TEST_LINES", "100000"))
    for i in range(lines):
        print(f"line {i:07d}")
    return params["x"]


# --- executors that save artifacts, for the artifact tests --------------------------


def tiny_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid RGB PNG of one colour, built with zlib and struct (no imaging library)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))  # filter 0 per row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@executor(
    "saves_artifacts",
    description="saves notes.txt (bytes), curve.png (a generated image) and weights.bin (from a file it then "
    "deletes), pausing SOMATIZE_TEST_ARTIFACT_PAUSE s before each; prints what a bad name is refused for; "
    "with SOMATIZE_TEST_CRASH_AFTER_ARTIFACTS set it then kills its own process; returns x",
)
def saves_artifacts(params, trial):
    import signal
    import tempfile

    pause = float(os.environ.get("SOMATIZE_TEST_ARTIFACT_PAUSE", "0"))
    time.sleep(pause)
    trial.save_artifact("notes.txt", f"trial {trial.number}: x = {params['x']}\n".encode())
    time.sleep(pause)
    trial.save_artifact("curve.png", tiny_png(40, 30, (200, 40, 40)))
    time.sleep(pause)
    with tempfile.NamedTemporaryFile("wb", suffix=".bin", delete=False) as file:
        file.write(bytes(range(256)) * 4)
    trial.save_artifact("weights.bin", file.name)
    os.unlink(file.name)  # read before save_artifact returned
    try:
        trial.save_artifact("../escape.txt", b"x")
    except ValueError as exc:
        print(f"refused: {exc}", flush=True)
    if os.environ.get("SOMATIZE_TEST_CRASH_AFTER_ARTIFACTS"):
        os.kill(os.getpid(), signal.SIGKILL)
    return params["x"]
