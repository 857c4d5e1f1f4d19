#!/bin/sh
# Installs Debian's kubectl (package kubernetes-client) when no kubectl is present ($KUBECTL_BIN, PATH,
# /usr/bin/kubectl) and prints its path. The tests and the kubernetes example drive the real kubectl against the
# project's test API server (sluice-test-apiserver); they never talk to a real cluster. See ensure-package.sh.
exec sh "$(dirname "$0")/ensure-package.sh" kubernetes-client kubectl KUBECTL_BIN /usr/bin/kubectl
