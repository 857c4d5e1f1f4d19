#!/bin/sh
# Installs Debian's prometheus when no prometheus binary is present ($PROMETHEUS_BIN, PATH, /usr/bin/prometheus) and
# prints its path. Never touches the system Prometheus; see ensure-package.sh.
exec sh "$(dirname "$0")/ensure-package.sh" prometheus prometheus PROMETHEUS_BIN /usr/bin/prometheus
