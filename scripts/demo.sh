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
export LEARNSMART_API_DATABASE_URL=${LEARNSMART_API_DATABASE_URL:-sqlite:///$ROOT/data/api/learnsmart.db}
# Labelled forum posts for the urgency model: a school provides its own; the demo uses the Penn
# MOOC posts when the shared datasets sit beside the checkout (optional: without them the demo
# runs and posts are simply not scored for urgency).
PENN=$ROOT/../shared/datasets/forum_urgency_penn/All_Courses_REDACTED_CODED.csv
if [ -z "${LEARNSMART_FORUM_URGENCY_LABELS:-}" ] && [ -f "$PENN" ]; then
  export LEARNSMART_FORUM_URGENCY_LABELS=$PENN
fi
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

echo "==> Starting Trino (HTTPS 127.0.0.1:8443; downloads the server into the cache the first time)"
"$BIN/learnsmart" trino start > "$RUN_DIR/trino-start.json" \
  || { cat "$RUN_DIR/trino-start.json"; echo "Trino did not start"; exit 1; }
export LEARNSMART_TRINO_AUDIT_SECRET=$("$BIN/learnsmart" trino audit-secret)

# Everything but the retention sweep: that is a daily scheduled job, and the demo school's term
# (autumn 2025) is older than the default forum-text retention.
echo "==> Running the whole pipeline (dagster asset materialize --select 'not key:retention_sweep'), engine ${LEARNSMART_ENGINE:-embedded}"
start=$(date +%s)
"$BIN/dagster" asset materialize -m orchestration.definitions --select 'not key:retention_sweep' \
  > "$RUN_DIR/materialize.log" 2>&1 \
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

echo "==> Starting the MLflow UI (runs, reports and registered models)"
MLFLOW_DIR=$(dirname "$LEARNSMART_LAKE")/mlflow
mkdir -p "$MLFLOW_DIR"
"$BIN/mlflow" server --host 127.0.0.1 --port 5000 --workers 1 \
  --backend-store-uri "${LEARNSMART_MLFLOW_URI:-sqlite:///$MLFLOW_DIR/mlflow.db}" \
  --default-artifact-root "${LEARNSMART_MLFLOW_ARTIFACTS:-file://$MLFLOW_DIR/artifacts}" \
  > "$RUN_DIR/mlflow.log" 2>&1 &
echo $! > "$RUN_DIR/mlflow.pid"

echo "==> Demo users and the API"
"$BIN/learnsmart" api seed-demo-users --out "$ROOT/data/demo_users.json" > "$RUN_DIR/demo-users.json"
# The research tables honour consent, which the seeding above recorded: rebuild them (and
# register them in Trino again).
"$BIN/dagster" asset materialize -m orchestration.definitions \
  --select 'group:research or key:trino_tables' \
  > "$RUN_DIR/research.log" 2>&1 \
  || { tail -n 40 "$RUN_DIR/research.log"; echo "research build failed: see $RUN_DIR/research.log"; exit 1; }
"$BIN/uvicorn" api.main:app --host 127.0.0.1 --port 8000 --no-access-log --log-level warning \
  > "$RUN_DIR/api.log" 2>&1 &
echo $! > "$RUN_DIR/api.pid"
for _ in $(seq 1 60); do
  curl -sf http://127.0.0.1:8000/health >/dev/null 2>&1 && break
  sleep 1
done
curl -sf http://127.0.0.1:8000/health >/dev/null || { tail -n 30 "$RUN_DIR/api.log"; echo "API did not start"; exit 1; }
echo "==> Starting the teacher dashboard (8501) and the student portal (8502)"
export LEARNSMART_API_URL=${LEARNSMART_API_URL:-http://127.0.0.1:8000}
export STREAMLIT_BROWSER_GATHER_USAGE_STATS=false
for app in teacher_dashboard:8501 student_portal:8502; do
  name=${app%%:*}; port=${app##*:}
  "$BIN/streamlit" run "apps/$name/app.py" --server.port "$port" --server.address 127.0.0.1 \
    --server.headless true --browser.gatherUsageStats false \
    --client.toolbarMode viewer --client.showErrorDetails none > "$RUN_DIR/$name.log" 2>&1 &
  echo $! > "$RUN_DIR/$name.pid"
done
echo "==> Starting the research explorer (5006)"
"$BIN/panel" serve apps/research_explorer/app.py --address 127.0.0.1 --port 5006 \
  --allow-websocket-origin 127.0.0.1:5006 > "$RUN_DIR/research_explorer.log" 2>&1 &
echo $! > "$RUN_DIR/research_explorer.pid"
for port in 8501 8502; do
  for _ in $(seq 1 60); do
    curl -sf "http://127.0.0.1:$port/_stcore/health" >/dev/null 2>&1 && break
    sleep 1
  done
  curl -sf "http://127.0.0.1:$port/_stcore/health" >/dev/null \
    || { tail -n 30 "$RUN_DIR"/*_{dashboard,portal}.log; echo "an app on $port did not start"; exit 1; }
done
for _ in $(seq 1 60); do
  curl -sf http://127.0.0.1:5006/app >/dev/null 2>&1 && break
  sleep 1
done
curl -sf http://127.0.0.1:5006/app >/dev/null \
  || { tail -n 30 "$RUN_DIR/research_explorer.log"; echo "the research explorer did not start"; exit 1; }
for _ in $(seq 1 90); do
  curl -sf http://127.0.0.1:5000/health >/dev/null 2>&1 && break
  sleep 1
done
curl -sf http://127.0.0.1:5000/health >/dev/null || { tail -n 30 "$RUN_DIR/mlflow.log"; echo "MLflow UI did not start"; exit 1; }
LOGINS=$("$BIN/python" - "$ROOT/data/demo_users.json" <<'PY'
import json, sys
users = json.load(open(sys.argv[1]))
shown = {}
for u in users:
    if u["role"] not in shown:
        shown[u["role"]] = u
# The printed student sits in the printed teacher's class, so both see the same class.
teacher_classes = set(shown.get("teacher", {}).get("class_ids") or [])
for u in users:
    if u["role"] == "student" and teacher_classes & set(u.get("class_ids") or []):
        shown["student"] = u
        break
for role in ("admin", "teacher", "student", "researcher"):
    u = shown.get(role)
    if u:
        where = ", ".join(u.get("class_ids") or []) or "-"
        print(f"  {role:10} {u['username']:14} {u['password']:26} {where}")
for u in users:
    if u.get("trino_user"):
        print(f"  {'trino':10} {u['trino_user']:14} {u['trino_password']:26} (Trino, research explorer)")
PY
)

cat <<MSG

LearnSmart demo is up.
  Dagster UI (lineage, runs, checks):  http://127.0.0.1:3000
  Teacher dashboard:                   http://127.0.0.1:8501
  Student portal:                      http://127.0.0.1:8502
  API (OpenAPI docs):                  http://127.0.0.1:8000/docs
  Research explorer (Panel, Trino):    http://127.0.0.1:5006/app
  Trino (researchers' SQL, HTTPS):     https://127.0.0.1:8443  (certificate: data/trino/etc/tls.crt)
  API metrics (Prometheus):            http://127.0.0.1:8000/metrics
  MLflow (model runs and registry):    http://127.0.0.1:5000
  Lakehouse:                           $LEARNSMART_LAKE
  Landing folder (drop files here):    $LEARNSMART_LANDING
  Lake status:                         .venv/bin/learnsmart lake status --json
Demo logins (all in data/demo_users.json; every student's password is the same):
  role       username       password                   classes
$LOGINS
Logs in $RUN_DIR. Stop with Ctrl-C or 'make stop'.
MSG

if [ "${LEARNSMART_DETACH:-0}" = "1" ]; then
  exit 0
fi
trap 'bash scripts/stop.sh; exit 0' INT TERM
wait
