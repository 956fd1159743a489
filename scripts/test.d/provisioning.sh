#!/usr/bin/env bash
# Provisioning suite (issue 8): generated files, Prometheus config and rules (promtool check + unit
# tests for every alert), compose file, static checks of dashboards/datasources/alerts, and the live
# test (two pods + simulator + Prometheus evaluating every dashboard and rule expression).
# Needs `npm run build` first (protocol dist for the generator; collab-server dist for the live test).
# Writes $ARTIFACTS_DIR/provisioning.results.json as {"passed":n,"failed":n,"skipped":n}.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
ARTIFACTS_DIR="${ARTIFACTS_DIR:-$ROOT/artifacts}"
mkdir -p "$ARTIFACTS_DIR"
rm -f "$ARTIFACTS_DIR/provisioning-live.txt"
export ARTIFACTS_DIR
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
skipped=0
failures=()

check() {
  local name=$1
  shift
  if "$@" >"$TMP/out" 2>&1; then
    passed=$((passed + 1))
    echo "  ok   $name"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "  FAIL $name"
    sed 's/^/       /' "$TMP/out" | tail -40
  fi
}

echo "[provisioning] static checks"
check "typecheck provisioning/" npx tsc -p provisioning/tsconfig.json --noEmit
check "generated files equal committed (npm run generate --prefix provisioning)" \
  npx tsx provisioning/src/generate.ts --check

# promtool: the config refers to the in-container rules path; check it against the repo's rules.
mkdir -p "$TMP/prom/rules"
cp provisioning/prometheus/rules/*.yml "$TMP/prom/rules/"
sed "s#/etc/prometheus/rules#$TMP/prom/rules#" docker/prometheus/prometheus.yml >"$TMP/prom/prometheus.yml"
check "promtool check config docker/prometheus/prometheus.yml" promtool check config "$TMP/prom/prometheus.yml"
# The rules Prometheus loads, and the generated test-only copy of the Grafana-managed alerts that
# `promtool test rules` and the live test load next to them.
check "promtool check rules" promtool check rules provisioning/prometheus/rules/*.yml \
  provisioning/prometheus/tests/collab-slo.alerts.yml
for t in provisioning/prometheus/tests/*.test.yml; do
  check "promtool test rules $(basename "$t")" promtool test rules "$t"
done

check "docker-compose config (docker-compose.yml)" docker-compose -f docker-compose.yml config -q
check "docker-compose config (+ docker/compose.plugins-dev.yml)" \
  docker-compose -f docker-compose.yml -f docker/compose.plugins-dev.yml config -q

echo "[provisioning] vitest: static checks + live test"
npx vitest run --config provisioning/vitest.config.ts --reporter=default --reporter=json \
  --outputFile.json="$TMP/vitest.json"
vitest_rc=$?
if [ -f "$TMP/vitest.json" ]; then
  read -r vp vf vs < <(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(r.numPassedTests, r.numFailedTests, (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0));
  ' "$TMP/vitest.json")
  passed=$((passed + vp))
  failed=$((failed + vf))
  skipped=$((skipped + vs))
  if [ "$vitest_rc" -ne 0 ] && [ "$vf" -eq 0 ]; then
    failed=$((failed + 1))
    failures+=("vitest (suite error)")
  fi
else
  failed=$((failed + 1))
  failures+=("vitest (no report)")
fi
[ -f "$ARTIFACTS_DIR/provisioning-live.txt" ] && sed 's/^/  [live] /' "$ARTIFACTS_DIR/provisioning-live.txt"

printf '{"passed":%d,"failed":%d,"skipped":%d}\n' "$passed" "$failed" "$skipped" \
  >"$ARTIFACTS_DIR/provisioning.results.json"
echo "[provisioning] passed=$passed failed=$failed skipped=$skipped"
if [ "$failed" -gt 0 ]; then
  echo "[provisioning] failed: ${failures[*]}"
  exit 1
fi
