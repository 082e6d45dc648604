# NIR og Bosetting — two commands do everything on a fresh machine:
#   make run    install, migrate, load reference + demo data, serve on http://127.0.0.1:8000
#   make test   install and run the whole suite (SQLite and a throwaway PostgreSQL)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
NIR    := $(VENV)/bin/nir
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BENCH_PERSONS ?= 1000000

.PHONY: install run demo test postgres-binaries browser-binaries bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[test]"
	touch $@

# Designsystemet's CSS, htmx and axe-core from the npm registry (package-lock.json), not committed.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm mangler: installerer Debians pakker 'nodejs' og 'npm' med apt"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

demo: install
	$(NIR) migrate --noinput
	$(NIR) demo

run: demo
	$(NIR) runserver 127.0.0.1:8000

postgres-binaries:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then :; else \
	  echo "PostgreSQL mangler: installerer Debians pakke 'postgresql' med apt"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

# The browser tests drive Debian's Chromium through Playwright (no browser download).
browser-binaries:
	@if [ -x /usr/bin/chromium ]; then :; else \
	  echo "Chromium mangler: installerer Debians pakke 'chromium' med apt"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

test: install postgres-binaries browser-binaries
	$(PY) -m nir.testing.suite $(PYTEST_ARGS)

bench: install postgres-binaries
	$(PY) bench/run_all.py --persons $(BENCH_PERSONS)

clean:
	rm -rf var/ .pytest_cache
