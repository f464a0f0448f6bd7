"""The executor registry: the ``@executor`` decorator and start-up discovery.

Executors are plain functions ``fn(params, trial)``. Only registered names can be run:
nothing a browser or the admin sends ever names code to import.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ExecutorFn = Callable[[dict[str, Any], Any], Any]


class TrialPruned(Exception):
    """Raise from an executor to stop the trial early; it is stored as ``pruned``."""


@dataclass(frozen=True)
class ExecutorInfo:
    name: str
    fn: ExecutorFn
    description: str

    @property
    def source(self) -> str:
        return f"{self.fn.__module__}.{self.fn.__qualname__}"


class Registry:
    def __init__(self):
        self._executors: dict[str, ExecutorInfo] = {}

    def register(self, name: str, fn: ExecutorFn, description: str = "") -> None:
        if not isinstance(name, str) or not name.strip():
            raise ValueError("an executor name must be a non-empty string")
        info = ExecutorInfo(name, fn, description or (fn.__doc__ or "").strip().split("\n")[0])
        current = self._executors.get(name)
        # Re-importing the same module re-registers the same function: allowed.
        if current is not None and current.source != info.source:
            raise ValueError(
                f"executor {name!r} is already registered by {current.source}; choose another name for {info.source}"
            )
        self._executors[name] = info

    def get(self, name: str) -> ExecutorInfo:
        try:
            return self._executors[name]
        except KeyError:
            known = ", ".join(sorted(self._executors)) or "none"
            raise LookupError(f"unknown executor {name!r}; registered: {known}") from None

    def names(self) -> set[str]:
        return set(self._executors)

    def all(self) -> list[ExecutorInfo]:
        return [self._executors[n] for n in sorted(self._executors)]


registry = Registry()


def executor(name: str, description: str = "") -> Callable[[ExecutorFn], ExecutorFn]:
    """Register ``fn(params, trial)`` under ``name``."""

    def decorate(fn: ExecutorFn) -> ExecutorFn:
        registry.register(name, fn, description)
        return fn

    return decorate


def discover(extra_modules: list[str]) -> None:
    """Import every installed app's ``executors`` module, then ``extra_modules``."""
    from django.core.exceptions import ImproperlyConfigured
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("executors")
    for module in extra_modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"SOMATIZE_EXECUTOR_MODULES names {module!r}, which cannot be imported: {exc}"
            ) from exc
