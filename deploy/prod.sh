#!/usr/bin/env bash
# The production topology on this machine, for rehearsals and the drills
# (`make prod-up`, `make prod-down`, `make drill`): nginx terminating TLS in
# front of two gunicorn processes, two Celery workers and beat, under
# supervisord, on the machine's PostgreSQL and Redis. Everything it makes
# lives in $PROD_DIR (var/prod): configuration, logs, media, mail.
#
#   deploy/prod.sh up|down|status|env|manage ARGS…|drill DRILLS…
# Settings come from the environment (the Makefile's PROD_* variables).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

: "${UV:=uv}"
: "${PROD_DIR:=$ROOT/var/prod}"
: "${PROD_HOST:=127.0.0.1}"
: "${PROD_PORT:=8443}"
: "${PROD_WEB_PORTS:=8101 8102}"
: "${PROD_WORKERS:=2}"
: "${PROD_DATABASE_URL:=postgres://postgres@127.0.0.1:5432/portal_prod}"
: "${PROD_REDIS_URL:=redis://127.0.0.1:6379/5}"
: "${PROD_RETRY_POST:=non_idempotent}"

LOG="$PROD_DIR/log"
CONF="$PROD_DIR/supervisord.conf"
ENV_FILE="$PROD_DIR/portal.env"
SITE="https://$PROD_HOST:$PROD_PORT"
export UV_PROJECT_ENVIRONMENT="$PROD_DIR/venv"

write_env() {
  mkdir -p "$PROD_DIR" "$LOG" "$PROD_DIR/media" "$PROD_DIR/mail" "$PROD_DIR/peppol"
  local secret="$PROD_DIR/secret.env"
  if [ ! -f "$secret" ]; then
    (umask 077 && echo "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')" > "$secret")
  fi
  # Read by supervisord's children, the drill and `deploy/prod.sh manage`.
  {
    cat "$secret"
    echo "DJANGO_SETTINGS_MODULE=config.settings.production"
    echo "ALLOWED_HOSTS=$PROD_HOST,localhost"
    echo "CSRF_TRUSTED_ORIGINS=$SITE"
    echo "SITE_URL=$SITE"
    echo "DATABASE_URL=$PROD_DATABASE_URL"
    echo "REDIS_URL=$PROD_REDIS_URL"
    # The folder stands in for the S3-compatible bucket of production
    # (AWS_STORAGE_BUCKET_NAME and friends, README "Settings").
    echo "MEDIA_ROOT=$PROD_DIR/media"
    echo "STATIC_ROOT=$PROD_DIR/static"
    echo "EMAIL_FILE_PATH=$PROD_DIR/mail"
    echo "PEPPOL_EXCHANGE_ROOT=$PROD_DIR/peppol"
    echo "PYTHONUNBUFFERED=1"
  } > "$ENV_FILE.new"
  chmod 600 "$ENV_FILE.new"
  mv "$ENV_FILE.new" "$ENV_FILE"
}

load_env() {
  set -a
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  set +a
}

manage() {
  "$UV" run --no-sync python manage.py "$@"
}

database_ensure() {
  local name="${PROD_DATABASE_URL##*/}" server="${PROD_DATABASE_URL%/*}/postgres"
  if ! psql "$server" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    psql "$server" -qc "CREATE DATABASE \"$name\""
    echo "データベース $name を作成しました。"
  fi
}

write_configs() {
  local servers="" port
  for port in $PROD_WEB_PORTS; do
    servers="${servers}server 127.0.0.1:$port max_fails=1 fail_timeout=5s; "
  done
  mkdir -p "$PROD_DIR/nginx"
  local user
  user="$(id -un)"
  [ "$(id -u)" = 0 ] && user=www-data
  # nginx's workers write request bodies here.
  for d in body proxy fastcgi uwsgi scgi; do mkdir -p "$PROD_DIR/nginx/$d"; done
  [ "$(id -u)" = 0 ] && chown -R www-data "$PROD_DIR/nginx"
  NGINX_USER="$user" NGINX_RUNTIME="$PROD_DIR/nginx" \
    NGINX_ERROR_LOG="$LOG/nginx-error.log" NGINX_ACCESS_LOG="$LOG/nginx-access.log" \
    UPSTREAM_SERVERS="$servers" PROXY_LISTEN="$PROD_HOST:$PROD_PORT" \
    PROXY_SERVER_NAME="$PROD_HOST localhost" \
    TLS_CERT="$PROD_DIR/tls/cert.pem" TLS_KEY="$PROD_DIR/tls/key.pem" \
    STATIC_ROOT="$PROD_DIR/static" PROXY_RETRY_POST="$PROD_RETRY_POST" \
    deploy/render.sh deploy/nginx.conf > "$PROD_DIR/nginx.conf"

  local venv="$PROD_DIR/venv/bin" i=0
  {
    cat <<CONF
; Made by deploy/prod.sh from the Makefile's PROD_* settings.
[supervisord]
logfile=$LOG/supervisord.log
pidfile=$PROD_DIR/supervisord.pid
childlogdir=$LOG
nodaemon=false

[unix_http_server]
file=$PROD_DIR/supervisor.sock
chmod=0700

[supervisorctl]
serverurl=unix://$PROD_DIR/supervisor.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[program:proxy]
command=/usr/sbin/nginx -p $PROD_DIR/nginx -c $PROD_DIR/nginx.conf -e $LOG/nginx-error.log -g "daemon off;"
CONF
    for port in $PROD_WEB_PORTS; do
      i=$((i + 1))
      cat <<CONF

[program:web-$i]
command=$venv/gunicorn -c deploy/gunicorn.conf.py config.wsgi
environment=PORTAL_BIND="127.0.0.1:$port",WEB_CONCURRENCY="2"
CONF
    done
    for i in $(seq "$PROD_WORKERS"); do
      cat <<CONF

[program:worker-$i]
command=$venv/celery -A config worker -n worker-$i@%%h --concurrency=1 --loglevel=INFO
; Tasks are acknowledged late: a killed worker's task goes back to the queue.
stopwaitsecs=60
CONF
    done
    cat <<CONF

[program:beat]
command=$venv/celery -A config beat --loglevel=INFO -s $PROD_DIR/celerybeat-schedule --pidfile=
CONF
  } > "$CONF"
  # Every program: from the tree, restarted when it dies, its whole process
  # group stopped, its output (stdout and stderr) in var/prod/log/NAME.log.
  sed -i "/^\[program:/a directory=$ROOT\nautorestart=true\nstartsecs=2\nstopasgroup=true\nkillasgroup=true\nredirect_stderr=true\nstdout_logfile=$LOG/%(program_name)s.log\nstdout_logfile_maxbytes=20MB\nstdout_logfile_backups=5" "$CONF"
}

running() {
  [ -f "$PROD_DIR/supervisord.pid" ] && kill -0 "$(cat "$PROD_DIR/supervisord.pid")" 2>/dev/null
}

ctl() {
  supervisorctl -c "$CONF" "$@"
}

wait_ready() {
  local i
  for i in $(seq 90); do
    if curl -fsS --cacert "$PROD_DIR/tls/cert.pem" "$SITE/readyz" >/dev/null 2>&1; then
      return 0
    fi
    sleep 1
  done
  echo "readyz が 90 秒たっても 200 になりません。$LOG/ を確認してください。" >&2
  curl -sS --cacert "$PROD_DIR/tls/cert.pem" "$SITE/readyz" >&2 || true
  return 1
}

up() {
  if running; then
    echo "すでに起動しています。いったん停止して起動し直します。"
    down
  fi
  write_env
  deploy/tls-selfsigned.sh "$PROD_DIR/tls" "$PROD_HOST"
  database_ensure
  STATIC_ROOT="$PROD_DIR/static" deploy/build.sh
  load_env
  manage migrate --noinput --verbosity 1
  manage check --deploy --fail-level WARNING
  write_configs
  /usr/sbin/nginx -t -q -p "$PROD_DIR/nginx" -c "$PROD_DIR/nginx.conf" -e "$LOG/nginx-error.log"
  supervisord -c "$CONF"
  wait_ready
  ctl status
  echo
  echo "起動しました: $SITE/ （証明書: $PROD_DIR/tls/cert.pem）"
  echo "  ヘルスチェック: $SITE/healthz  $SITE/readyz"
  echo "  ログ: $LOG/   停止: make prod-down"
  curl -sS --cacert "$PROD_DIR/tls/cert.pem" "$SITE/readyz"
  echo
}

down() {
  if ! running; then
    echo "起動していません。"
    return 0
  fi
  local pid
  pid="$(cat "$PROD_DIR/supervisord.pid")"
  ctl shutdown >/dev/null
  for _ in $(seq 90); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  echo "停止しました。"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) ctl status ;;
  env) write_env && echo "$ENV_FILE" ;;
  manage)
    shift
    load_env
    manage "$@"
    ;;
  drill)
    shift
    load_env
    "$UV" run --no-sync python deploy/drill --site "$SITE" --cafile "$PROD_DIR/tls/cert.pem" \
      --supervisor-conf "$CONF" --log-dir "$LOG" "$@"
    ;;
  *)
    echo "usage: $0 up|down|status|env|manage ARGS…|drill DRILLS…" >&2
    exit 2
    ;;
esac
