#!/usr/bin/env bash
# `make demo`: set up, create a login and the demo studies, serve the dashboard on
# http://127.0.0.1:8000 and run the studies live in background workers (paced). Ctrl-C stops
# everything this script started.
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
login=$($py manage.py create_login demo)           # a new random password on every run
password=${login##* }
names=()
for spec in demo/*.json; do
  $py manage.py create_study "$spec" --replace
  names+=("$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["name"])' "$spec")")
done

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "stopping the demo..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  exit 0
}
trap stop INT TERM EXIT

.venv/bin/daphne -b "$host" -p "$port" somatize_site.asgi:application 2>"$logs/demo-daphne.log" &
pids+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && break; sleep 0.1; done

# Each study runs in its own background worker, paced (scripts/demo_worker.py) so that
# you see the trials arrive: the analytic ones would otherwise finish in a second.
for name in "${names[@]}"; do
  $py scripts/demo_worker.py "$name" 0.4 >>"$logs/demo-workers.log" 2>&1 &
  pids+=($!)
done

cat <<INFO

  Somatize Studies dashboard: http://$host:$port/
  log in as:  demo / $password

  ${#names[@]} demo studies are running in background workers (log: $logs/demo-workers.log).
  Ctrl-C stops the server and the workers.

INFO
wait "${pids[@]:1}" 2>/dev/null || true
echo "all demo studies have finished; the dashboard stays up until Ctrl-C."
wait "${pids[0]}"
