#!/bin/sh
# The documented long fuzz run (docs/reliability.md, "Fuzzing the inputs"): every HTTP endpoint and the CLI's files,
# 100,000 cases by default; prints a table and exits 1 on any failure, with the seed that replays it.
#   scripts/fuzz.sh [--cases N] [--cli-cases M] [--seed S]
set -eu
cd "$(dirname "$0")/.."
exec npx tsx --conditions=sluice-source packages/daemon/src/fuzz/fuzzRun.ts "$@"
