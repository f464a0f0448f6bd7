#!/usr/bin/env bash
# Set up and run the whole test suite: `make test` (extra arguments go to pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements-dev.txt
scripts/ensure-services.sh
# Lint and format are part of the suite: a change that fails them does not land.
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
# Types too (pyproject.toml [tool.mypy]: strict on studies/core); the cache in
# .mypy_cache keeps a re-run to a few seconds.
.venv/bin/mypy
# The remote client promises types to its users (py.typed): keep them strict.
.venv/bin/mypy --strict client/somatize_client
# Two pytest workers (pytest-xdist): most of the suite waits on subprocesses, servers and
# browsers, so two keep a 2-core machine busy. Each worker has its own test database
# (pytest-django suffixes it), temporary directories, ports and Redis prefixes; a module's
# tests stay on one worker (loadscope), so a module-scoped live server starts once.
# SOMATIZE_TEST_WORKERS=0 runs everything in this one process.
exec .venv/bin/python -m pytest -n "${SOMATIZE_TEST_WORKERS:-2}" --dist loadscope "$@"
