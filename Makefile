# clusterecon: the two commands are `make replicate` and `make test`; both set themselves up.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= results
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
PYTEST_ARGS ?=

.PHONY: replicate test test-long install install-test lock lint bench docs paper clean

## Environment ---------------------------------------------------------------------------------------------------
$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "clusterecon needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements/replicate.lock pyproject.toml | $(BIN)/python
	$(PIP) install -r requirements/replicate.lock
	$(PIP) install --no-deps -e .
	touch $@

$(VENV)/.installed-test: requirements/test.lock $(VENV)/.installed
	$(PIP) install -r requirements/test.lock
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## The two commands ----------------------------------------------------------------------------------------------
replicate: $(VENV)/.installed
	$(BIN)/clusterecon replicate --out $(OUT)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

test-long: $(VENV)/.installed-test
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check clusterecon tests

## Re-pin the replication environment (needs the registries) ------------------------------------------------------
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip --quiet install .
	.lock-venv/bin/python -m pip freeze --exclude clusterecon | LC_ALL=C sort > requirements/replicate.lock
	.lock-venv/bin/python -m pip --quiet install '.[test]'
	.lock-venv/bin/python -m pip freeze --exclude clusterecon | LC_ALL=C sort > requirements/test.lock
	rm -rf .lock-venv

clean:
	rm -rf $(OUT) build dist *.egg-info
