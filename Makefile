# The two commands of the README: `make run` (embedded demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint messages check-messages clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	mkdir -p var
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(PY) manage.py demo_setup
	DEBUG=$${DEBUG:-true} exec $(PY) manage.py run_embedded

test: $(VENV)/.installed-dev
	$(VENV)/bin/pytest

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Needs gettext (xgettext, msgmerge): refresh the catalogs after changing user-facing strings.
messages: $(VENV)/.installed-dev
	$(PY) manage.py makemessages --no-obsolete --no-location -l zh_Hans -l zh_Hant -l en --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv

check-messages: $(VENV)/.installed-dev
	$(PY) manage.py check_catalogs

clean:
	rm -rf $(VENV) var
