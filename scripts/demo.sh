#!/usr/bin/env bash
# Set up, create the demo studies and run them: `make demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements.txt
py=.venv/bin/python
$py manage.py migrate -v0
for spec in demo/*.json; do
  $py manage.py create_study "$spec" --replace
done
for spec in demo/*.json; do
  $py manage.py run_study "$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["name"])' "$spec")"
done
$py manage.py list_studies
echo
echo "Export any study with: .venv/bin/python manage.py export_study NAME --format json"
