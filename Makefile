# vpnportal: `make demo` runs it, `make test` proves it. Everything is installed from hashed lock files.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements/base.txt requirements/dev.txt | sha256sum | cut -c1-16)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: install messages build-deps test-deps lock services chromium lint migrations-check pytest test demo demo-deps bench soak clean wheel

# Every file pip installs is checked against the hashes in the lock, and --no-deps installs exactly the
# locked set (the lock already lists every dependency; pip check proves it is consistent). pip-sync then
# removes whatever an older lock left in the venv. A changed lock changes the stamp: re-install.
$(STAMP): requirements/base.txt requirements/dev.txt | build-deps
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/dev.txt
	$(BIN)/python -m pip check
	$(BIN)/pip-sync --quiet requirements/dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

# The compiled catalogues (locale/<lang>/LC_MESSAGES/*.mo, git-ignored) that the pages, make demo and
# make test read. Django's compilemessages calls msgfmt: Debian's gettext, installed when msgfmt is absent.
messages: $(STAMP)
	@command -v msgfmt >/dev/null 2>&1 || { $(call APT_INSTALL,$(I18N_DEBS)); }
	$(BIN)/python manage.py compilemessages --verbosity 0

install: $(STAMP) messages

# Recompile the locks from requirements/*.in, keeping every pin the .in files still allow; the runtime lock
# first, since it constrains the dev one. `make lock LOCK_ARGS=--upgrade` (or `--upgrade-package kombu`)
# moves versions on purpose.
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock: install
	$(PIP_COMPILE) --output-file=requirements/base.txt requirements/base.in
	$(PIP_COMPILE) --output-file=requirements/dev.txt requirements/dev.in

# PostgreSQL and Redis come with the machine; start them when installed but stopped.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  echo "starting PostgreSQL"; pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { \
	  echo "starting Redis"; redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
	    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log; \
	  for i in $$(seq 30); do redis-cli ping >/dev/null 2>&1 && break; sleep 1; done; }
	@pg_isready -h 127.0.0.1 -p 5432 && redis-cli -h 127.0.0.1 -p 6379 ping

# Debian packages, installed only when absent. python-ldap compiles against the OpenLDAP and SASL headers;
# the tests start private instances of OpenLDAP (slapd) and Prometheus Alertmanager; browser tests drive
# Debian's Chromium (never a downloaded browser), with a Japanese font so Japanese pages are measured with
# real glyphs (tests/i18n/test_japanese_pages.py).
BUILD_DEBS := libldap2-dev libsasl2-dev
I18N_DEBS := gettext
TEST_DEBS := slapd ldap-utils prometheus-alertmanager chromium fonts-ipafont-gothic
APT_INSTALL = missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	test -z "$$missing" || { echo "installing $$missing"; apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; }
build-deps:
	@$(call APT_INSTALL,$(BUILD_DEBS))
test-deps:
	@$(call APT_INSTALL,$(TEST_DEBS))
chromium: test-deps

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

migrations-check: install
	DJANGO_SETTINGS_MODULE=vpnportal.test_settings $(BIN)/python manage.py makemigrations --check --dry-run

# The suite runs in PYTEST_WORKERS processes (pytest-xdist): each has its own PostgreSQL test database
# (pytest-django's _gwN suffix) and its own Redis database (tests/services.py). PYTEST_WORKERS=0: one process.
PYTEST_WORKERS ?= 2
pytest: install services chromium
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test: install services chromium lint migrations-check pytest

# The demo needs neither PostgreSQL (SQLite under var/) nor a system Redis: `manage.py demo` starts a
# redis-server of its own under var/ when none answers at REDIS_URL; Debian's package is installed for
# that when absent. `make demo DEMO_ARGS=--reset` starts the simulated devices over.
demo-deps:
	@(exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null || command -v redis-server >/dev/null 2>&1 || \
	  test -x /usr/bin/redis-server || { $(call APT_INSTALL,redis-server); }

demo: install demo-deps
	$(BIN)/python manage.py demo $(DEMO_ARGS)

bench: install services
	$(BIN)/python -m bench

soak: install services
	$(BIN)/python -m bench.soak

# The installable package (docs/deploy.md): dist/vpnportal-<version>-py3-none-any.whl with a `vpnportal`
# command, the templates, static files, compiled catalogues and migrations. No network: the locked
# setuptools builds it (setup.py compiles the catalogues with msgfmt, which `install` provides).
wheel: install
	rm -rf build
	$(BIN)/python -m build --wheel --no-isolation --outdir dist .
	rm -rf build

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist *.egg-info
