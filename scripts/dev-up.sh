#!/usr/bin/env bash
# Local main job without Docker: one collab pod (embedded SQLite) plus the simulator.
# `npm start` — pod on :1234 (metrics on /metrics), bots editing 20 rooms over 3 orgs.
# Uses throwaway local secrets; never use them outside a laptop.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f collab-server/dist/main.js ] || npm run build -w @collabblocks/protocol -w collab-server

export COLLAB_JWT_SECRET="${COLLAB_JWT_SECRET:-local-dev-jwt-secret-change-me-0123456789}"
export COLLAB_API_KEYS="${COLLAB_API_KEYS:-acme:local-dev-acme-key:content,globex:local-dev-globex-key:content,initech:local-dev-initech-key:content}"
export COLLAB_DATA_DIR="${COLLAB_DATA_DIR:-$PWD/.data/pod-local}"
export PORT="${PORT:-1234}"
export HOST="${HOST:-127.0.0.1}"
mkdir -p "$COLLAB_DATA_DIR"

node --enable-source-maps collab-server/dist/main.js &
pod=$!
trap 'kill $pod $sim 2>/dev/null || true; wait 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 50); do
  curl -fsS "http://$HOST:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
echo "pod ready on http://$HOST:$PORT  (try: curl -s http://$HOST:$PORT/metrics | head)"
node --enable-source-maps collab-server/dist/sim/main.js --url "ws://$HOST:$PORT" \
  --rooms "${SIM_ROOMS:-20}" --clients "${SIM_CLIENTS:-200}" --rate "${SIM_RATE:-50}" \
  --profile "${SIM_PROFILE:-mix}" &
sim=$!
wait $sim
