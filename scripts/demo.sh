#!/usr/bin/env bash
# `make demo`: set up, create a login and the demo studies, serve the dashboard on
# http://127.0.0.1:8000 and run the studies live through a queue worker (run_worker).
# Ctrl-C stops everything this script started; the studies are left resumable.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements.txt
py=.venv/bin/python
host=127.0.0.1
port="${SOMATIZE_DEMO_PORT:-8000}"
logs="${SOMATIZE_DATA_DIR:-var}"
mkdir -p "$logs"

if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
  echo "port $port is already in use on $host; stop what runs there or set SOMATIZE_DEMO_PORT" >&2
  exit 1
fi

$py manage.py migrate -v0
login=$($py manage.py create_login demo --staff)     # a new random password on every run
password=${login##* }
names=()
for spec in demo/*.json; do
  $py manage.py create_study "$spec" --replace
  names+=("$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["name"])' "$spec")")
done
# The slow, real-model studies first: they are the ones worth watching live.
$py manage.py queue_study mlp-digits svm-digits sgd-digits branin-grid mixed-random

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "stopping the demo..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  exit 0
}
trap stop INT TERM EXIT

.venv/bin/daphne -b "$host" -p "$port" somatize_site.asgi:application >"$logs/demo-daphne.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && break; sleep 0.1; done

# Two studies at a time; the others wait in the queue (watch them start on the list page).
$py manage.py run_worker --concurrency 2 --poll 1 >>"$logs/demo-worker.log" 2>&1 &
pids+=($!)

cat <<INFO

  Somatize Studies dashboard: http://$host:$port/        (admin: http://$host:$port/admin/)
  log in as:  demo / $password

  ${#names[@]} demo studies are queued; run_worker runs them two at a time (log: $logs/demo-worker.log).
  Queue more from the admin (clone a study, then "Queue for running").
  Ctrl-C stops the server and the worker.

INFO
wait "${pids[0]}"
