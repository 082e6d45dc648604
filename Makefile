# NIR og Bosetting — two commands do everything on a fresh machine:
#   make run    install, migrate, load reference + demo data, serve on http://127.0.0.1:8000
#   make test   install and run the whole suite (SQLite and a throwaway PostgreSQL)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
NIR    := $(VENV)/bin/nir
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BENCH_PERSONS ?= 1000000

.PHONY: install run demo test postgres-binaries bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

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

test: install postgres-binaries
	$(PY) -m nir.testing.suite $(PYTEST_ARGS)

bench: install postgres-binaries
	$(PY) bench/run_all.py --persons $(BENCH_PERSONS)

clean:
	rm -rf var/ .pytest_cache
