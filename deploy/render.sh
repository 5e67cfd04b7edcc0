#!/bin/sh
# deploy/nginx.conf with its ${…} placeholders filled in from the
# environment, to stdout. Only these names are replaced: nginx's own
# $variables stay.
#
#   deploy/render.sh deploy/nginx.conf > nginx.conf
set -eu
exec envsubst '${NGINX_USER} ${NGINX_RUNTIME} ${NGINX_ERROR_LOG} ${NGINX_ACCESS_LOG}
${UPSTREAM_SERVERS} ${PROXY_LISTEN} ${PROXY_SERVER_NAME} ${TLS_CERT} ${TLS_KEY}
${STATIC_ROOT} ${PROXY_RETRY_POST}' < "$1"
