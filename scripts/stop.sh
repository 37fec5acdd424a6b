#!/usr/bin/env bash
# Stop the services scripts/demo.sh started (each pid file names a process-group leader).
cd "$(dirname "$0")/.." || exit 0
for pidfile in data/run/*.pid; do
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$pidfile"
done
# Trino runs in its own process group, started by `learnsmart trino start`.
[ -x .venv/bin/learnsmart ] && .venv/bin/learnsmart trino stop >/dev/null 2>&1 || true
