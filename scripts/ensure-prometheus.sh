#!/bin/sh
# Installs Debian's prometheus when no prometheus binary is present, and prints the binary's path. Idempotent and
# quiet. It never starts, stops or reconfigures the system Prometheus: Sluice's integration tests run their own
# private instance with a temporary config, a temporary TSDB directory and a loopback port. The package's
# postinstall would start the system service on a machine with an init system; we forbid that with policy-rc.d for
# the duration of the install, only when we create that file ourselves.
set -eu

find_prometheus() {
  for candidate in "${PROMETHEUS_BIN:-}" "$(command -v prometheus 2>/dev/null || true)" /usr/bin/prometheus; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if bin=$(find_prometheus); then
  echo "$bin"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-prometheus: prometheus is not installed and this is not root; install it with: sudo apt-get install -y prometheus" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-prometheus: prometheus is not installed and apt-get is not available; install Prometheus and set PROMETHEUS_BIN" >&2
  exit 1
fi

# Keep the package's maintainer scripts from starting the system prometheus (exit 101 = action forbidden).
created_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() { if [ -n "$created_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
# Only the server is needed; recommends pull in node-exporter and friends, which the tests do not use.
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends prometheus >/dev/null

if bin=$(find_prometheus); then
  echo "$bin"
  exit 0
fi
echo "ensure-prometheus: apt-get install prometheus finished but no prometheus binary was found" >&2
exit 1
