#!/bin/sh
# The install steps of a production tree, the same for `make prod-up` (into
# var/prod/venv) and the container image (Dockerfile): the locked
# dependencies without the development group, the compiled translations and
# the collected static files. tests/test_deploy.py checks that both run it.
#
#   UV=path/to/uv UV_PROJECT_ENVIRONMENT=venv STATIC_ROOT=dir deploy/build.sh
set -eu
cd "$(dirname "$0")/.."
UV="${UV:-uv}"

"$UV" sync --frozen --no-dev --quiet
# locale/*/LC_MESSAGES/django.mo from the committed .po; no settings needed.
env -u DJANGO_SETTINGS_MODULE "$UV" run --no-sync \
  django-admin compilemessages --ignore='.*' --ignore=var --ignore=venv
# Production settings want a key and hosts; collecting files uses neither.
SECRET_KEY="${SECRET_KEY:-collectstatic-only}" ALLOWED_HOSTS="${ALLOWED_HOSTS:-localhost}" \
  DJANGO_SETTINGS_MODULE=config.settings.production \
  "$UV" run --no-sync python manage.py collectstatic --noinput --verbosity 0
