#!/usr/bin/env bash
# Set up and run the whole test suite: `make test` (extra arguments go to pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements-dev.txt
scripts/ensure-services.sh
exec .venv/bin/python -m pytest "$@"
