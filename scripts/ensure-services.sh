#!/usr/bin/env bash
# Make what the tests need present where this machine allows it:
# - Debian's Chromium for the browser tests (Playwright never downloads a browser here);
# - PostgreSQL and Redis started if they are installed but stopped.
# On a machine without them, the tests that need them skip (and fail under CI=true).
set -uo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the browser tests..."
  { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 \
    || echo "could not install chromium; browser tests will skip (CI fails them)"
fi

if command -v pg_ctlcluster >/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if command -v redis-server >/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no || true
fi
exit 0
