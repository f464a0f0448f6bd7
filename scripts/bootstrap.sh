#!/usr/bin/env bash
# Create .venv and install a requirements file into it; a no-op when nothing changed.
# Usage: scripts/bootstrap.sh requirements-dev.txt
set -euo pipefail
cd "$(dirname "$0")/.."
req="${1:-requirements.txt}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
# The stamp records what was installed, so a second run costs no pip time.
stamp=".venv/.installed-$(basename "$req")"
want=$(cat "$req" requirements.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r "$req"
  echo "$want" > "$stamp"
fi
