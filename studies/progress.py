"""The live progress line of ``run_study`` on a terminal: done/total, best, rate, ETA."""

from __future__ import annotations

import time


class ProgressLine:
    def __init__(self, stream, enabled: bool):
        self.stream, self.enabled = stream, enabled
        self.started = time.monotonic()
        self.finished_here = 0
        self.drawn = False

    def update(self, study, trial) -> None:
        self.finished_here += 1
        if not self.enabled:
            return
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.finished_here / elapsed
        left = max(study.n_trials - study.n_done, 0)
        eta = _clock(left / rate) if rate > 0 else "?"
        best = "-" if study.best_value is None else f"{study.best_value:.6g} (#{study.best_trial_number})"
        self.stream.write(
            f"\r{study.name}: {study.n_done}/{study.n_trials} · best {best} · {rate:.2f} trials/s · ETA {eta}\033[K",
            ending="",
        )
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("")


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
