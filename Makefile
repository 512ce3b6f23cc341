# anchorlib: `make demo` and `make test` are all a new user needs. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.anchorlib-installed
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.d
BUILD ?= build
DATA ?= data/sample

.DEFAULT_GOAL := help
.PHONY: help setup lab chromium axe demo demo-steps lint format test test-fast test-install bench sample clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-12s %s\n", $$1, $$2}'

setup: $(STAMP) ## build .venv with pip, install anchorlib[dev,spark], register the 'anchorlib' Jupyter kernel
	@# bytecode for the editable package, whose imports cannot write it where PYTHONDONTWRITEBYTECODE is set
	@# (as on CI): compiling ~40 modules on every run cost a new 'anchorlib summary' 0.1 s; up-to-date files are skipped
	@$(BIN)/python -m compileall -q anchorlib
	@# jsonschema (under Altair, nbformat, Jupyter's event schemas) imports rfc3987-syntax, when installed,
	@# for its 'iri' format check; that module builds an Earley parser on import: 3.3-3.5 s of CPU in every
	@# process importing Altair (each kernel, report and notebook run), 1.3 s for the rest of Altair's import
	@# (python-jsonschema/jsonschema#1428). Nothing here checks IRIs; without it jsonschema skips that format.
	@if ls $(VENV)/lib/python3*/site-packages/rfc3987_syntax >/dev/null 2>&1; then \
	  $(BIN)/python -m pip uninstall --quiet --yes rfc3987-syntax; fi

$(STAMP): pyproject.toml scripts/lab-overrides.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# setuptools warns on every editable install that a folder named like the package may shadow it
	@# (BuildBackendWarning "Editable installation."): true of every checkout, so that one message is ignored
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	$(BIN)/python -m ipykernel install --sys-prefix --name anchorlib --display-name "Python (anchorlib)" >/dev/null
	mkdir -p $(LAB_OVERRIDES) && cp scripts/lab-overrides.json $(LAB_OVERRIDES)/anchorlib.json
	touch $(STAMP)

# JupyterLab for analysts: settings, workspaces and server config in $(LAB_DIR) (JUPYTER_CONFIG_DIR), so the
# user's own ~/.jupyter is neither read nor written; Lab's defaults for this venv (no news prompt, no update
# check: nothing may call out) are in scripts/lab-overrides.json, installed by make setup as a package would
LAB_DIR ?= .jupyter
LAB_ARGS ?=
LAB_ROOT ?= notebooks
lab: setup ## JupyterLab on notebooks/ with the 'anchorlib' kernel (LAB_ARGS="--no-browser --port=8890" ...)
	JUPYTER_CONFIG_DIR=$(abspath $(LAB_DIR)) $(BIN)/jupyter lab --ServerApp.root_dir=$(LAB_ROOT) \
	  --MappingKernelManager.default_kernel_name=anchorlib $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

chromium: ## install Debian's chromium for the browser tests when it is missing
	@bash scripts/ensure-chromium.sh

axe: ## install axe-core (the version pinned in scripts/axe/) for the browser tests' accessibility checks
	@bash scripts/ensure-axe.sh

demo: demo-steps ## headline table, the batch reports and the leakage notebook on data/sample, then the apps
	@echo "serving the workshop apps (Ctrl-C to stop)"
	$(BIN)/anchorlib serve

# what `make demo` runs before it serves the apps; tests/test_console.py runs it on a copy of the sample
# (DATA=... BUILD=...) and fails on any alarming line
demo-steps: setup ## make demo without the final serve (DATA=dataset folder, BUILD=output folder)
	$(BIN)/anchorlib summary --data $(DATA)
	$(BIN)/anchorlib reports --data $(DATA) --out $(BUILD)/reports --jobs 2
	@echo "reports: $(BUILD)/reports/index.html"
	mkdir -p $(BUILD)
	$(BIN)/papermill --engine anchorlib -k anchorlib -p data_dir $(abspath $(DATA)) \
	  notebooks/01_spend_leakage.ipynb $(BUILD)/01_spend_leakage.ipynb

lint: setup ## ruff format --check and ruff check, as make test runs them first (fails on any finding)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: setup ## apply ruff check's safe fixes, then ruff format (rewrites files; make lint shows what is left)
	$(BIN)/ruff check --fix --exit-zero .
	$(BIN)/ruff format .

test: lint chromium axe ## lint, then every test (unit, notebooks, browser, accessibility)
	$(BIN)/python -m pytest

# `tests` only: pytest's testpaths include notebooks/, whose cells nbval would collect and execute
# (tests/conftest.py marks them `notebook` too, so -m deselects them wherever they are collected)
test-fast: setup ## unit tests only (no notebooks, no browser, nothing marked slow): the inner loop
	$(BIN)/python -m pytest tests -m "not browser and not notebook and not slow"

# not in make test: pip installs every dependency into a new venv (docs/performance.md has the times)
test-install: setup ## build the wheel, pip install it into a clean venv, run summary, reports and serve from /tmp
	ANCHORLIB_TEST_INSTALL=1 $(BIN)/python -m pytest tests/test_package.py -v

bench: setup ## scale benchmarks: 1M, 10M and 100M rows, the register build at 5.5M companies (/tmp, ~28 GB; docs/performance.md)
	@nproc; free -g | head -2; df -h /tmp | tail -1; uptime
	nice -n 10 $(BIN)/python benchmarks/run.py --rows 1000000
	nice -n 10 $(BIN)/python benchmarks/run.py --rows 10000000
	@# out of core (from 20M payments): Parquet parts queried by DuckDB; the sample alone is ~15 GB of CSV
	nice -n 10 $(BIN)/python benchmarks/run.py --rows 100000000; uptime
	nice -n 10 $(BIN)/python benchmarks/bench_register.py

sample: setup ## regenerate data/sample from the generator
	$(BIN)/anchorlib sample --out data/sample

clean: ## remove build products (keeps .venv)
	rm -rf $(BUILD) test-artifacts .pytest_cache

.PHONY: bench-workshop
bench-workshop: setup chromium ## a full workshop on this machine: 20 participants in two apps (docs/performance.md)
	@nproc; free -g | head -2; uptime
	$(BIN)/python benchmarks/bench_workshop.py --participants 20 --json $(BUILD)/bench_workshop.json
