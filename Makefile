# Two commands: `make demo` and `make test`. Both work from a clean clone on a
# fresh Debian machine (as root, or with sudo) and can be run again safely.

SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := 3.11
export UV_LINK_MODE := copy

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --frozen
# manage.py defaults to production settings; the demo asks for the local ones.
HOST ?= 127.0.0.1
PORT ?= 8000
# Mail links and the printed logins point at the address the demo serves on.
SITE_URL ?= http://$(HOST):$(PORT)
DEMO := DJANGO_SETTINGS_MODULE=config.settings.local SITE_URL=$(SITE_URL) $(RUN)

# Debian packages the portal needs: Python 3.11 with venv, a Japanese font for
# PDFs and screenshots, gettext to compile (and extract) the translations,
# Pango and HarfBuzz's subsetter for WeasyPrint.
# Chromium only for the browser tests; the proxy's packages so that the
# suite also checks the rendered nginx configuration (tests/test_deploy.py).
APT_BASE := python3 python3-venv fonts-ipaexfont gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
APT_TEST = chromium $(APT_PROXY)
# The production topology (`make prod-up`): nginx terminating TLS (and
# envsubst for its configuration), supervisor over the processes, curl and
# psql for the start-up checks. The container image installs APT_BASE and,
# for its proxy, APT_PROXY: tests/test_deploy.py keeps the Dockerfile's
# lists equal to these.
APT_PROXY := nginx openssl gettext-base
APT_PROD := $(APT_PROXY) supervisor curl postgresql-client

.PHONY: help
help:
	@echo "make demo   - install, load demo data and serve on http://$(HOST):$(PORT)"
	@echo "make test   - install and run ruff, the migration check and the whole test suite"
	@echo "make demo-totp - the demo administrators' current two-factor code"
	@echo "make prod-up   - the production topology on https://$(PROD_HOST):$(PROD_PORT) (make prod-down stops it)"
	@echo "make drill     - fault drills against that topology (starts and stops it)"
	@echo "make bench  - seed a city-scale PostgreSQL database, time every list page and the inbox under load"

# Installs only what is missing; apt-get update runs only when needed.
define apt_ensure
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Debian packages を導入します:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

.PHONY: system
system:
	$(call apt_ensure,$(APT_BASE))

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv>=0.8,<1"

.PHONY: install
install: system $(if $(findstring .tools,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen --quiet
	mkdir -p var
	@# locale/*/LC_MESSAGES/django.mo from the committed .po (the .mo is not
	@# committed). Without settings: it needs none, and skips .venv.
	env -u DJANGO_SETTINGS_MODULE $(RUN) django-admin compilemessages --ignore='.*' --ignore=var

.PHONY: demo
demo: install
	$(DEMO) python manage.py migrate --noinput
	$(DEMO) python manage.py seed_demo
	@echo "メールは var/mail/ に保存されます。停止は Ctrl+C。"
	$(DEMO) python manage.py runserver $(HOST):$(PORT)

# The demo administrators' current two-factor code (their secret is published).
.PHONY: demo-totp
demo-totp: install
	@$(DEMO) python manage.py demo_totp

# Two workers (the CI machine has two cores); -p no:xdist or -n 0 runs serially.
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: test
test: install
	$(call apt_ensure,$(APT_TEST))
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) python manage.py makemigrations --check --dry-run --settings=config.settings.test
	DJANGO_SETTINGS_MODULE=config.settings.test $(RUN) pytest $(PYTEST_ARGS)

# The production topology on this machine (README, "Production"): nginx with
# TLS on PROD_HOST:PROD_PORT, gunicorn on PROD_WEB_PORTS, two Celery
# workers and beat under supervisord, from var/prod/venv (no dev tools),
# on its own PostgreSQL database and Redis database number.
PROD_HOST ?= 127.0.0.1
PROD_PORT ?= 8443
PROD_WEB_PORTS ?= 8101 8102
PROD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal_prod
PROD_REDIS_URL ?= redis://127.0.0.1:6379/5
PROD := UV=$(abspath $(UV)) PROD_HOST=$(PROD_HOST) PROD_PORT=$(PROD_PORT) \
	PROD_WEB_PORTS="$(PROD_WEB_PORTS)" PROD_DATABASE_URL=$(PROD_DATABASE_URL) \
	PROD_REDIS_URL=$(PROD_REDIS_URL) deploy/prod.sh

.PHONY: prod-up
prod-up: $(if $(findstring .tools,$(UV)),.tools/bin/uv)
	$(call apt_ensure,$(APT_BASE) $(APT_PROD))
	$(PROD) up

.PHONY: prod-down
prod-down:
	$(PROD) down

# A management command with the topology's settings and database.
.PHONY: prod-manage
prod-manage:
	$(PROD) manage $(ARGS)

# The fault drills (README, "Drills"): a web process killed under load, and
# PostgreSQL restarted (DRILLS="web" leaves PostgreSQL alone). Starts the
# topology, prints a report, stops it; fails when a drill fails.
DRILLS ?= web postgres
.PHONY: drill
drill: prod-up
	$(PROD) drill $(DRILLS) \
	  || { $(PROD) down; exit 1; }
	$(PROD) down

# City-scale benchmark (benchmarks/city.py): seeds BENCH_DATABASE_URL with
# SIZE invoices once (RESEED=1 seeds again), then times every list and search
# page and the department inbox under load through gunicorn. The full size
# writes benchmarks/RESULTS.md. `make bench-load`: the load test alone.
SIZE ?= 1000000
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal_bench
BENCH := BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(RUN) python benchmarks/city.py \
	--size $(SIZE) $(if $(RESEED),--reseed)

.PHONY: bench
bench: install
	$(BENCH) $(if $(filter 1000000,$(SIZE)),--results benchmarks/RESULTS.md)

.PHONY: bench-load
bench-load: install
	$(BENCH) --no-pages
