#!/bin/sh
# Installs Debian's nginx when no nginx binary is present ($NGINX_BIN, PATH, /usr/sbin/nginx) and prints its path.
# Never touches the system nginx; see ensure-package.sh.
exec sh "$(dirname "$0")/ensure-package.sh" nginx nginx NGINX_BIN /usr/sbin/nginx
