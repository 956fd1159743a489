#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, only when missing.
# Needs root (CI and the dev machines run as root). Idempotent and quiet.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }

have chromium || need+=(chromium)
have prometheus || need+=(prometheus)
have promtool || need+=(prometheus)
have redis-server || need+=(redis-server)
have docker-compose || need+=(docker-compose)
if ! have initdb && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
# The backend executables' test: a static sh for the no-libc chroot, qemu-user to start the arm64 build.
[ -x /bin/busybox ] || need+=(busybox-static)
have qemu-aarch64-static || need+=(qemu-user-static)
# Fonts so screenshots of panels have readable text.
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core)

if [ ${#need[@]} -eq 0 ]; then
  echo "[deps] system packages present"
  exit 0
fi

# De-duplicate.
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
echo "[deps] installing: ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "[deps] not root: install these packages first: ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The Debian packages start services we do not want; tests start their own on 127.0.0.1.
for svc in prometheus redis-server postgresql; do
  (service "$svc" stop >/dev/null 2>&1 || true)
done
echo "[deps] done"
