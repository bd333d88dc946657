# Find Care: `make run` serves the demo site, `make test` proves it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 8000
export APP_ENV ?= development
# Translations: the .po files are in the repository, the .mo files are compiled from them.
PO_FILES := $(wildcard app/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run install install-test setup test lint format bench lighthouse clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.installed tests/browser/package.json
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	cd tests/browser && npm ci --no-audit --no-fund --silent
	touch $@

## Compile a language's catalog (pybabel comes with Flask-Babel); a bad .po fails here.
%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

install: $(VENV)/.installed $(MO_FILES)

install-test: $(VENV)/.test-installed $(MO_FILES)

## translations: extract every public string (babel.cfg) and merge it into each .po file.
translations: install
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --width 100 -k _l -k lazy_gettext \
		-k lazy_ngettext:1,2 --project findcare --copyright-holder "Find Care" \
		-o app/translations/messages.pot app
	$(BIN)/pybabel update --ignore-obsolete --width 100 -i app/translations/messages.pot \
		-d app/translations

## setup: apply migrations, load the demo directory if empty, build the index if missing,
## and compile the app's bytecode (every gunicorn worker would otherwise compile it on start).
setup: install
	$(BIN)/python -m compileall -q app config.py wsgi.py
	$(FLASK) db upgrade
	$(FLASK) seed
	$(FLASK) search rebuild --if-missing

## run: set everything up and serve the site with gunicorn.
run: setup
	@echo ""
	@echo "  Find Care is starting at http://$(HOST):$(PORT)/"
	@echo "  Create the first staff account (admin) with:"
	@echo "    $(FLASK) users create you@example.org --role admin --password-stdin"
	@echo ""
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

## test: lint, format check, then the whole test suite.
test: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: search, HTTP, import and page-weight benchmarks; tables on stdout, charts in docs/.
## Sizes: make bench BENCH_SIZES=1000000 (default 1000,10000,100000; http: 100000).
## One benchmark: make bench BENCH_ONLY=http. Not part of CI (`make test`).
bench: install-test
	$(if $(BENCH_SIZES),BENCH_SIZES=$(BENCH_SIZES)) $(if $(BENCH_ONLY),BENCH_ONLY=$(BENCH_ONLY)) $(BIN)/python -m bench

## lighthouse: Lighthouse 12 (pinned in tests/browser/package.json) with Debian's Chromium on
## home, article, find-care, results and a profile, mobile and desktop presets, against the
## seeded demo on loopback. Prints a table; fails when a goal is missed (performance >= 95,
## accessibility and best practices 100, CLS <= 0.05). Reports: artifacts/lighthouse/.
## One page or preset: make lighthouse LIGHTHOUSE_ARGS="--pages results --presets mobile".
lighthouse: install-test
	CHROME_PATH=$${CHROME_PATH:-/usr/bin/chromium} $(BIN)/python -m bench.lighthouse $(LIGHTHOUSE_ARGS)

clean:
	rm -rf $(VENV) instance artifacts .pytest_cache .ruff_cache $(MO_FILES)
