#!/bin/sh
# Installs Debian's chromium when no Chromium binary is present ($CHROMIUM_BIN, PATH, /usr/bin/chromium) and prints its
# path. The report and dashboard browser tests (packages/daemon/src/report/*.e2e.test.ts, src/ui/*.e2e.test.ts) and
# scripts/screenshots.ts call it; playwright-core drives this binary and never downloads a browser of its own.
exec sh "$(dirname "$0")/ensure-package.sh" chromium chromium CHROMIUM_BIN /usr/bin/chromium
