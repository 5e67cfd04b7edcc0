#!/bin/sh
# A self-signed certificate for the drill and local rehearsals (never for
# real traffic): DIR/cert.pem and DIR/key.pem for HOST, made once, valid
# 30 days (made anew when it expires). Clients of the drill trust exactly
# this certificate (--cacert DIR/cert.pem).
#
#   deploy/tls-selfsigned.sh DIR HOST
set -eu
dir="$1"
host="$2"
mkdir -p "$dir"
if [ -f "$dir/cert.pem" ] && openssl x509 -checkend 86400 -noout -in "$dir/cert.pem" >/dev/null; then
  exit 0
fi
case "$host" in
  *[!0-9.]*) san="DNS:$host,DNS:localhost,IP:127.0.0.1" ;;
  *) san="IP:$host,DNS:localhost,IP:127.0.0.1" ;;
esac
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 \
  -subj "/CN=$host" -addext "subjectAltName=$san" \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
chmod 644 "$dir/cert.pem"
echo "自己署名証明書を作成しました: $dir/cert.pem（$san）"
