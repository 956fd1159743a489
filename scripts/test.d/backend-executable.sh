#!/usr/bin/env bash
# The collab datasource's backend executables (issue 14): built by `npm run build` into
# plugins/collab-datasource/dist (launcher + Node.js single executable application + C runtime per
# architecture); started with no libc and no Node (chroot) for linux/amd64 and under qemu-user for
# linux/arm64, the way Grafana starts a backend plugin. Results: $ARTIFACTS_DIR/vitest/backend-executable.json.
set -uo pipefail
cd "$(dirname "$0")/../.."
export ARTIFACTS_DIR="${ARTIFACTS_DIR:-$PWD/artifacts}"
mkdir -p "$ARTIFACTS_DIR/vitest"
cd plugins/collab-datasource
npx vitest run --config packaging/vitest.config.mjs --reporter=default --reporter=json \
  --outputFile.json="$ARTIFACTS_DIR/vitest/backend-executable.json"
