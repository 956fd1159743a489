#!/usr/bin/env bash
# Plugin E2E harness suite (e2e/): harness unit tests, then every e2e/tests/*.e2e.test.ts once per leg
# (and e2e/bindings once: real editor bindings against a pod)
# (grafana-12: @grafana/* 12.4.10 + React 18; grafana-13: 13.2.2 + React 19) in Debian's chromium.
# Expects `npm ci` and `npm run build` (plugins' dist/) to have run. Builds the harness fixture plugin and the
# legs' host bundles when missing or older than their sources. Results: $ARTIFACTS_DIR/vitest/e2e-*.json,
# screenshots: $ARTIFACTS_DIR/screenshots/<leg>/.
set -uo pipefail
cd "$(dirname "$0")/../.."
export ARTIFACTS_DIR="${ARTIFACTS_DIR:-$PWD/artifacts}"
mkdir -p "$ARTIFACTS_DIR/vitest"

for p in plugins/*/; do
  if [ ! -f "$p/dist/module.js" ]; then
    echo "e2e: $p has no dist/module.js — run \`npm run build\` first" >&2
    exit 1
  fi
done

# Rebuild $1 when missing or older than any file under the given sources.
stale() {
  local out=$1
  shift
  [ -f "$out" ] || return 0
  [ -n "$(find "$@" -newer "$out" -type f -not -path '*/node_modules/*' -not -path '*/dist/*' 2>/dev/null | head -1)" ]
}

fixture=e2e/harness/fixtures/test-datasource
if stale "$fixture/dist/module.js" "$fixture/src" plugins/.config; then
  (cd "$fixture" && npx webpack -c ../../../../plugins/.config/webpack.config.mjs --env production) || exit 1
fi

status=0
build_host() {
  if stale "e2e/$1/dist/host.js" e2e/harness/src/host e2e/harness/src/shared e2e/harness/scripts \
    plugins/.config/standard-editors.mjs "e2e/$1/package.json" package-lock.json; then
    node e2e/harness/scripts/build-host.mjs "$1" || return 1
  fi
}
# The harness's own tests include its Grafana server side (backendPlugin.test.ts), which serves a host page.
build_host grafana-12 || status=1
npx vitest run --config e2e/harness/vitest.config.mts --reporter=default --reporter=json \
  --outputFile.json="$ARTIFACTS_DIR/vitest/e2e-harness-unit.json" || status=1

for leg in grafana-12 grafana-13; do
  build_host "$leg" || { status=1; continue; }
  HARNESS_LEG=$leg npx vitest run --config e2e/vitest.config.mts --reporter=default --reporter=json \
    --outputFile.json="$ARTIFACTS_DIR/vitest/e2e-$leg.json" || status=1
done

# Real editor bindings (ProseMirror, CodeMirror 6, Quill) from npm against a real pod: once, not per leg.
node e2e/bindings/scripts/build.mjs || status=1
npx vitest run --config e2e/bindings/vitest.config.mts --reporter=default --reporter=json \
  --outputFile.json="$ARTIFACTS_DIR/vitest/e2e-bindings.json" || status=1
exit $status
