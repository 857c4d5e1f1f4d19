#!/bin/sh
# The documented crash and fault loop (docs/reliability.md): 100 SIGKILL/restart cycles of the real daemon under load.
#   scripts/crash-loop.sh [--cycles N] [--seed N]
set -eu
cd "$(dirname "$0")/.."
exec npx tsx --conditions=sluice-source packages/daemon/scripts/crashLoop.ts "$@"
