#!/usr/bin/env bash
# The one command that runs every test of the suite (README: `npm test`).
# Works on a fresh Debian machine with Node 20 and root: installs what is missing.
set -uo pipefail  # pipefail: a stage piped through tee keeps its own exit code
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export ARTIFACTS_DIR="${ARTIFACTS_DIR:-$ROOT/artifacts}"
mkdir -p "$ARTIFACTS_DIR/vitest" "$ARTIFACTS_DIR/logs"
start=$(date +%s)
failed=()

stage() {
  local name=$1
  shift
  local t0
  t0=$(date +%s)
  echo
  echo "=== [$name] $*"
  # Each stage's output also goes to a log, so the closing lines can say why a stage failed.
  if "$@" 2>&1 | tee "$ARTIFACTS_DIR/logs/$name.log"; then
    echo "=== [$name] ok ($(($(date +%s) - t0)) s)"
  else
    echo "=== [$name] FAILED ($(($(date +%s) - t0)) s)"
    failed+=("$name")
  fi
}

bash scripts/ensure-system-deps.sh || exit 1

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  stage install npm ci --no-audit --no-fund || exit 1
  [ ${#failed[@]} -eq 0 ] || exit 1
fi

stage build npm run build
[ ${#failed[@]} -eq 0 ] || { echo "build failed; stopping"; exit 1; }
stage typecheck npm run typecheck
stage lint npm run lint

# Unit and integration tests of every workspace (vitest), with JSON results to count.
for ws in packages/protocol packages/monitor packages/hocuspocus collab-server gateway plugins/collab-datasource plugins/presence-panel plugins/crdt-panel; do
  if node -e "process.exit(require('./$ws/package.json').scripts?.test ? 0 : 1)"; then
    name=$(basename "$ws")
    stage "test:$name" npm run test -w "$ws" -- --reporter=default --reporter=json \
      --outputFile.json="$ARTIFACTS_DIR/vitest/$name.json"
  fi
done

# Further suites register here (plugin harness, provisioning checks).
for extra in scripts/test.d/*.sh; do
  [ -e "$extra" ] || continue
  stage "$(basename "$extra" .sh)" bash "$extra"
done

echo
echo "total time: $(($(date +%s) - start)) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED stages: ${failed[*]}"
  # A stage can fail with no failed test counted (an unhandled error, a suite that could not load, a script):
  # its telling lines go last, where a CI log's tail shows them.
  for name in "${failed[@]}"; do
    echo "--- why [$name] failed (from $ARTIFACTS_DIR/logs/$name.log):"
    sed 's/\x1b\[[0-9;]*m//g' "$ARTIFACTS_DIR/logs/$name.log" |
      grep -E 'FAIL|Error|Unhandled|failed|✗|×|not ok|exit code' | grep -v -E '^\s*at ' | tail -n 25
  done
else
  echo "all stages passed"
fi
# Last line: one plain count over every suite.
node scripts/summarize-tests.mjs "$ARTIFACTS_DIR"
[ ${#failed[@]} -eq 0 ]
