# syntax=docker/dockerfile:1
# The portal's images (README, "Containers"): `app` runs the web processes,
# the Celery workers and beat; `proxy` is nginx terminating TLS in front of
# them with the collected static files. compose.yaml puts them together.
#
# Not built on the project's machines (no container registry there). The
# install steps are the ones `make prod-up` runs: the Debian packages of the
# Makefile's APT_BASE (and APT_PROXY for the proxy), and deploy/build.sh;
# tests/test_deploy.py keeps them equal.

FROM debian:bookworm-slim AS base
ENV LANG=C.UTF-8 \
    PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=3.11 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/app/.venv
# APT_BASE: Python 3.11, the Japanese font, gettext, WeasyPrint's libraries.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       python3 python3-venv fonts-ipaexfont gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*

# The locked dependencies (no development tools), the compiled
# translations and the collected static files.
FROM base AS build
RUN python3 -m venv /opt/uv && /opt/uv/bin/pip install --quiet --disable-pip-version-check "uv>=0.8,<1"
WORKDIR /app
COPY . .
RUN UV=/opt/uv/bin/uv STATIC_ROOT=/app/static-collected deploy/build.sh


FROM base AS app
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin portal
WORKDIR /app
COPY --from=build /app /app
# Media (the bucket stands in) and mail folders the processes write to;
# the code itself stays read-only for them.
RUN mkdir -p /app/var/media /app/var/mail \
    && chown -R portal:portal /app/var
USER portal
ENV PATH=/app/.venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    STATIC_ROOT=/app/static-collected \
    PORTAL_BIND=0.0.0.0:8000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi"]

FROM debian:bookworm-slim AS proxy
# APT_PROXY: nginx, openssl for the self-signed certificate, envsubst.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       nginx openssl gettext-base \
    && rm -rf /var/lib/apt/lists/*
COPY deploy/nginx.conf deploy/render.sh deploy/tls-selfsigned.sh /etc/portal/
COPY --from=build /app/static-collected /srv/static
ENV NGINX_USER=www-data \
    NGINX_RUNTIME=/var/lib/nginx \
    NGINX_ERROR_LOG=stderr \
    NGINX_ACCESS_LOG=/dev/stdout \
    UPSTREAM_SERVERS="server web-1:8000 max_fails=1 fail_timeout=5s; server web-2:8000 max_fails=1 fail_timeout=5s;" \
    PROXY_LISTEN=443 \
    PROXY_SERVER_NAME=localhost \
    TLS_CERT=/etc/portal/tls/cert.pem \
    TLS_KEY=/etc/portal/tls/key.pem \
    STATIC_ROOT=/srv/static \
    PROXY_RETRY_POST=non_idempotent
EXPOSE 443
# A real certificate is mounted at /etc/portal/tls; without one, a
# self-signed one for PROXY_SERVER_NAME (for trying it out only).
CMD ["sh", "-c", "/etc/portal/tls-selfsigned.sh /etc/portal/tls \"${PROXY_SERVER_NAME%% *}\" && /etc/portal/render.sh /etc/portal/nginx.conf > /etc/nginx/portal.conf && exec nginx -c /etc/nginx/portal.conf -g 'daemon off;'"]
