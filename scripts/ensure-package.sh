#!/bin/sh
# Usage: ensure-package.sh PACKAGE BINARY ENV_VAR DEFAULT_PATH
# Installs Debian's PACKAGE when no BINARY is present (looked up in $ENV_VAR, on PATH, then at DEFAULT_PATH), and
# prints the binary's path on stdout. Idempotent and quiet. It never starts, stops or reconfigures the system service:
# Sluice's examples and tests run their own private instance with their own config, data directory and loopback port.
# The package's postinstall may start the system service on a machine with an init system; we forbid that with
# policy-rc.d for the duration of the install, only when we create that file ourselves.
# scripts/ensure-nginx.sh, scripts/ensure-prometheus.sh and scripts/ensure-kubectl.sh are callers.
set -eu

if [ "$#" -ne 4 ]; then
  echo "usage: ensure-package.sh PACKAGE BINARY ENV_VAR DEFAULT_PATH (e.g. nginx nginx NGINX_BIN /usr/sbin/nginx)" >&2
  exit 2
fi
package=$1
binary=$2
env_var=$3
default_path=$4
me="ensure-$package"

find_binary() {
  eval "from_env=\${$env_var:-}"
  for candidate in "$from_env" "$(command -v "$binary" 2>/dev/null || true)" "$default_path"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if bin=$(find_binary); then
  echo "$bin"
  exit 0
fi

# Several test files may call this at once on a fresh machine: serialise the install, then look again.
if [ -z "${SLUICE_ENSURE_PACKAGE_LOCKED:-}" ] && command -v flock >/dev/null 2>&1; then
  SLUICE_ENSURE_PACKAGE_LOCKED=1 exec flock "${TMPDIR:-/tmp}/sluice-ensure-$package.lock" sh "$0" "$@"
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "$me: $package is not installed and this is not root; install it with: sudo apt-get install -y $package" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$me: $package is not installed and apt-get is not available; install $package and set $env_var" >&2
  exit 1
fi

# Keep the package's maintainer scripts from starting the system service (exit 101 = action forbidden).
created_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() { if [ -n "$created_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
# Wait for dpkg's lock rather than fail when another install (another ensure-*.sh, unattended upgrades) holds it.
# Only the package itself: recommends (e.g. prometheus's node-exporter) are not used. Quiet: apt's output is kept in
# a temporary file and shown only when it fails.
apt_log=$(mktemp)
if ! { apt-get -o DPkg::Lock::Timeout=300 update -qq && apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$package"; } >"$apt_log" 2>&1; then
  cat "$apt_log" >&2
  rm -f "$apt_log"
  echo "$me: apt-get install $package failed (output above)" >&2
  exit 1
fi
rm -f "$apt_log"

if bin=$(find_binary); then
  echo "$bin"
  exit 0
fi
echo "$me: apt-get install $package finished but no $binary binary was found" >&2
exit 1
