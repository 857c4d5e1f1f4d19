#!/bin/sh
# Installs Debian's nginx when no nginx binary is present. Idempotent and quiet. It never starts, stops or
# reconfigures the system nginx: Sluice's examples and end-to-end tests run their own private instance with their
# own prefix, config and loopback port. The package's postinstall may start the system service on a machine with
# an init system; we mask that with policy-rc.d for the duration of the install only when we create it ourselves.
set -eu

find_nginx() {
  for candidate in "${NGINX_BIN:-}" "$(command -v nginx 2>/dev/null || true)" /usr/sbin/nginx; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if bin=$(find_nginx); then
  echo "$bin"
  exit 0
fi

# Several test files may call this at once on a fresh machine: serialise the install, then look again.
if [ -z "${SLUICE_ENSURE_NGINX_LOCKED:-}" ] && command -v flock >/dev/null 2>&1; then
  SLUICE_ENSURE_NGINX_LOCKED=1 exec flock "${TMPDIR:-/tmp}/sluice-ensure-nginx.lock" sh "$0" "$@"
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-nginx: nginx is not installed and this is not root; install it with: sudo apt-get install -y nginx" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-nginx: nginx is not installed and apt-get is not available; install nginx and set NGINX_BIN" >&2
  exit 1
fi

# Keep the package's maintainer scripts from starting the system nginx (exit 101 = action forbidden).
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
# Quiet: apt's output is kept in a temporary file and shown only when it fails.
apt_log=$(mktemp)
if ! { apt-get -o DPkg::Lock::Timeout=300 update -qq && apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends nginx; } >"$apt_log" 2>&1; then
  cat "$apt_log" >&2
  rm -f "$apt_log"
  echo "ensure-nginx: apt-get install nginx failed (output above)" >&2
  exit 1
fi
rm -f "$apt_log"

if bin=$(find_nginx); then
  echo "$bin"
  exit 0
fi
echo "ensure-nginx: apt-get install nginx finished but no nginx binary was found" >&2
exit 1
