#!/usr/bin/env bash
# The demo: generate the demo school (once), run the whole pipeline through Dagster, then start
# the services and print where they are. Ctrl-C stops the services (or `make stop`).
# LEARNSMART_DETACH=1 leaves the services running in the background and returns.
set -euo pipefail
set -m  # job control: background services get their own process group, so stop.sh can end them
cd "$(dirname "$0")/.."
ROOT=$PWD
export LEARNSMART_LAKE=${LEARNSMART_LAKE:-$ROOT/data/lake}
export LEARNSMART_LANDING=${LEARNSMART_LANDING:-$ROOT/data/landing}
export DAGSTER_HOME=${DAGSTER_HOME:-$ROOT/data/dagster_home}
RUN_DIR=$ROOT/data/run
mkdir -p "$DAGSTER_HOME" "$RUN_DIR" "$LEARNSMART_LANDING" "$LEARNSMART_LAKE"
[ -f "$DAGSTER_HOME/dagster.yaml" ] || cat > "$DAGSTER_HOME/dagster.yaml" <<'YAML'
telemetry:
  enabled: false
YAML
BIN=$ROOT/.venv/bin

bash scripts/stop.sh >/dev/null 2>&1 || true

if [ -z "$(ls -A "$LEARNSMART_LANDING" 2>/dev/null)" ]; then
  echo "==> Generating the demo school into $LEARNSMART_LANDING"
  "$BIN/learnsmart" demo-data --landing "$LEARNSMART_LANDING" > "$RUN_DIR/demo-data.json"
fi

echo "==> Running the whole pipeline (dagster asset materialize --select '*')"
start=$(date +%s)
"$BIN/dagster" asset materialize -m orchestration.definitions --select '*' > "$RUN_DIR/materialize.log" 2>&1 \
  || { tail -n 40 "$RUN_DIR/materialize.log"; echo "pipeline failed: see $RUN_DIR/materialize.log"; exit 1; }
echo "    done in $(( $(date +%s) - start ))s"
"$BIN/learnsmart" lake status --lake "$LEARNSMART_LAKE"

echo "==> Starting the Dagster UI"
"$BIN/dagster" dev -m orchestration.definitions -h 127.0.0.1 -p 3000 > "$RUN_DIR/dagster.log" 2>&1 &
echo $! > "$RUN_DIR/dagster.pid"
for _ in $(seq 1 90); do
  curl -sf http://127.0.0.1:3000/server_info >/dev/null 2>&1 && break
  sleep 1
done
curl -sf http://127.0.0.1:3000/server_info >/dev/null || { tail -n 30 "$RUN_DIR/dagster.log"; echo "Dagster UI did not start"; exit 1; }

cat <<MSG

LearnSmart demo is up.
  Dagster UI (lineage, runs, checks):  http://127.0.0.1:3000
  Lakehouse:                           $LEARNSMART_LAKE
  Landing folder (drop files here):    $LEARNSMART_LANDING
  Lake status:                         .venv/bin/learnsmart lake status --json
Logs in $RUN_DIR. Stop with Ctrl-C or 'make stop'.
MSG

if [ "${LEARNSMART_DETACH:-0}" = "1" ]; then
  exit 0
fi
trap 'bash scripts/stop.sh; exit 0' INT TERM
wait
