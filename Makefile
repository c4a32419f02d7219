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
# `make replicate` runs the replication graph below: each step of `clusterecon replicate` is its own target with
# its real inputs, so a second run does nothing and a changed input rebuilds only what depends on it (make -j2 works).
replicate: $(OUT)/manifest.json

STAMPS := $(OUT)/.stamps
CORE_CODE := $(wildcard clusterecon/*.py clusterecon/report/*.py clusterecon/workflow/*.py)
PAPER_CODE := $(wildcard clusterecon/data/paper/*.py)
SOURCE_CODE := $(wildcard clusterecon/data/sources/*.py clusterecon/data/panels.py)
REGIME_CODE := $(wildcard clusterecon/data/regimes.py clusterecon/panel/regimes.py data/regimes/*.yaml)
ESTIMATOR_CODE := $(wildcard clusterecon/panel/*.py clusterecon/did/*.py clusterecon/synth/*.py clusterecon/inference/*.py clusterecon/simulate.py)

# step name -> its inputs (besides the core code); keep in step with clusterecon/workflow/steps.py
# Real data: a local FAOSTAT mirror when there is one (developers and CI have ../shared); else the user's cache or
# a download; else the step falls back to the paper's facts and the manifest says so.
FAOSTAT_MIRROR ?= $(if $(CLUSTERECON_DATA_MIRROR),$(CLUSTERECON_DATA_MIRROR),$(wildcard ../shared/data/faostat))
export CLUSTERECON_DATA_MIRROR := $(FAOSTAT_MIRROR)
MIRROR_FILES := $(FAOSTAT_MIRROR)

CASE_CODE := $(wildcard clusterecon/cases/*.py clusterecon/workflow/case_steps.py)
STEPS := facts audit series sources panel_models case_chile_tomato case_japan_shares case_nicaragua_dairy case_suppliers
DEPS_facts := data/paper/facts.csv $(PAPER_CODE)
DEPS_audit := data/paper/facts.csv $(PAPER_CODE)
DEPS_series := data/paper/facts.csv $(PAPER_CODE)
DEPS_sources := data/paper/facts.csv $(PAPER_CODE) $(SOURCE_CODE) $(MIRROR_FILES)
DEPS_panel_models := data/paper/facts.csv $(PAPER_CODE) $(ESTIMATOR_CODE)
DEPS_case_chile_tomato := data/paper/facts.csv $(PAPER_CODE) $(SOURCE_CODE) $(MIRROR_FILES) $(REGIME_CODE) $(ESTIMATOR_CODE) $(CASE_CODE)
DEPS_case_japan_shares := data/paper/facts.csv $(PAPER_CODE) $(SOURCE_CODE) $(MIRROR_FILES) $(ESTIMATOR_CODE) $(CASE_CODE)
DEPS_case_nicaragua_dairy := $(DEPS_case_chile_tomato)
DEPS_case_suppliers := data/paper/facts.csv $(PAPER_CODE) $(ESTIMATOR_CODE) $(CASE_CODE)

$(STAMPS)/%: | $(VENV)/.installed
	$(BIN)/clusterecon replicate --step $* --no-manifest --quiet --out $(OUT)
	@mkdir -p $(STAMPS) && touch $@
$(foreach s,$(STEPS),$(eval $(STAMPS)/$(s): $(DEPS_$(s)) $(CORE_CODE)))

PAPER_PDF := $(if $(shell command -v latexmk 2>/dev/null),$(OUT)/paper/replication.pdf,)
$(OUT)/paper/replication.pdf: paper/replication.tex $(addprefix $(STAMPS)/,$(STEPS))
	@mkdir -p $(OUT)/paper
	cd paper && SOURCE_DATE_EPOCH=0 FORCE_SOURCE_DATE=1 latexmk -pdf -interaction=nonstopmode -halt-on-error -quiet \
	  -outdir=../$(OUT)/paper/.build replication.tex > /dev/null
	cp $(OUT)/paper/.build/replication.pdf $@.tmp && mv $@.tmp $@

$(OUT)/manifest.json: $(addprefix $(STAMPS)/,$(STEPS)) $(PAPER_PDF) | $(VENV)/.installed
	$(BIN)/clusterecon manifest --out $(OUT)

paper: $(OUT)/paper/replication.pdf

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

test-long: $(VENV)/.installed-test
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

## Benchmarks against the peers (never part of make test) ---------------------------------------------------------
BENCH_VENV := benchmarks/.venv
BENCH_ARGS ?=
$(BENCH_VENV)/.installed: benchmarks/requirements-peers.txt pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip --disable-pip-version-check --quiet install -e . -r benchmarks/requirements-peers.txt
	touch $@

bench: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python benchmarks/run.py $(BENCH_ARGS)

## Documentation site (built strictly by the test suite as well) ----------------------------------------------------
docs: $(VENV)/.installed-test
	$(BIN)/mkdocs build --strict --site-dir site

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
