# The two commands: `make serve` and `make test`. Each installs what is missing first.
SHELL := /bin/bash
VENV := .venv
PYTHON ?= python3
APT_PACKAGES := apertium apertium-eng-spa apertium-eng-cat apertium-spa-cat transfuse
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

AZURITE := .tools/node_modules/.bin/azurite-blob
AZURITE_VERSION := 3.37.0
# axe-core, the accessibility checker the dashboard's browser tests run in the page
AXE := .tools/axe/node_modules/axe-core/axe.min.js
AXE_VERSION := 4.14.1

.PHONY: serve test setup system-packages test-tools bench lint

serve: setup
	$(VENV)/bin/dragoman serve

test: setup test-tools
	$(VENV)/bin/pytest -n auto

# Dragoman's own modules compiled ahead (pip compiles the installed libraries, not an editable
# project's sources): a command run with PYTHONDONTWRITEBYTECODE set would compile them at every start.
setup: system-packages $(VENV)/.installed
	@$(VENV)/bin/python -m compileall -q src

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if ! $(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1; then missing="$$missing python3-venv"; fi; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

# Azurite, the Azure Storage emulator the blob tests start, from npm (Debian's nodejs/npm if absent),
# PostgreSQL's server binaries, which the store tests start a throwaway cluster of, and Strapi 5, the
# CMS the connector tests read from and write to (its lock file pins it; better-sqlite3 compiles).
TEST_APT_PACKAGES := postgresql g++ make chromium
STRAPI := .tools/strapi/.installed

test-tools: $(AZURITE) $(STRAPI) $(AXE)
	@missing=""; for p in $(TEST_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages for the tests:$$missing"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(AZURITE):
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends nodejs npm; }
	npm install --prefix .tools --no-audit --no-fund --loglevel=error azurite@$(AZURITE_VERSION)

$(AXE):
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends nodejs npm; }
	npm install --prefix .tools/axe --no-audit --no-fund --loglevel=error axe-core@$(AXE_VERSION)

$(STRAPI): tests/strapi/package.json tests/strapi/package-lock.json
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends nodejs npm; }
	@command -v g++ >/dev/null 2>&1 || { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends g++ make; }
	rm -rf .tools/strapi && mkdir -p .tools/strapi
	cp tests/strapi/package.json tests/strapi/package-lock.json .tools/strapi/
	npm ci --prefix .tools/strapi --no-audit --no-fund --loglevel=error
	touch $@

$(VENV)/.installed: pyproject.toml scripts/dragoman
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

# The benchmarks' own extras (Django, whose translation catalogues bench/detect.py reads).
$(VENV)/.bench-installed: $(VENV)/.installed pyproject.toml
	$(VENV)/bin/pip install -q -e '.[test,bench]'
	touch $@

bench: setup $(VENV)/.bench-installed
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends wrk; }
	$(VENV)/bin/python bench/throughput.py
	$(VENV)/bin/python bench/cancel_latency.py
	$(VENV)/bin/python bench/small_job.py
	$(VENV)/bin/python bench/status_poll.py
	$(VENV)/bin/python bench/fairness.py
	$(VENV)/bin/python bench/detect.py
	$(VENV)/bin/python bench/cli.py
	$(VENV)/bin/python bench/connector.py

lint: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy
