#!/usr/bin/env bash
# Chaos suite (issue 16): two pods on real Redis + PostgreSQL (Debian packages, started by the test on
# 127.0.0.1) with pod kills, Redis/PostgreSQL restarts and network faults through a TCP fault proxy on every
# path; asserts 0 acknowledged updates lost (on every pod, in a pod started afresh, and in PostgreSQL's ops log
# by the time each was acknowledged) and convergence after healing.
# Runs alone (not inside the collab-server vitest run, where it would share the machine with other pod
# tests): bounded by a fixed fault budget (COLLAB_CHAOS_FAULTS, default 24, one every 0.6-2 s; ~60-100 s
# wall in all) and the test's own timeout. The seed is printed: it decides the fault schedule alone (which
# faults, when, how strong; timing still varies), so a failure replays its faults with
#   COLLAB_CHAOS=1 COLLAB_CHAOS_SEED=<seed> npx vitest run test/chaos.cluster.test.ts   (in collab-server/)
# Expects `npm run build` first (pods start from collab-server/dist). Results: $ARTIFACTS_DIR/vitest/chaos.json.
set -uo pipefail
cd "$(dirname "$0")/../.."
export ARTIFACTS_DIR="${ARTIFACTS_DIR:-$PWD/artifacts}"
mkdir -p "$ARTIFACTS_DIR/vitest"
if [ ! -f collab-server/dist/main.js ]; then
  echo "chaos: collab-server has no dist/main.js — run \`npm run build\` first" >&2
  exit 1
fi
cd collab-server
COLLAB_CHAOS=1 npx vitest run test/chaos.cluster.test.ts --reporter=default --reporter=json \
  --outputFile.json="$ARTIFACTS_DIR/vitest/chaos.json"
