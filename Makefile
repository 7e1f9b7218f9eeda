# kpilib: reproducible KPI reports.  `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
STORE  ?= data/kpi.sqlite
KENT   ?= data/kent.sqlite

.DEFAULT_GOAL := help
.PHONY: help install test report demo lab lint bench clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 10

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its test dependencies

test: $(STAMP) ## run the whole test suite (unit, CLI, notebooks with nbval, browser)
	$(BIN)/python -m pytest

demo: $(STAMP) ## build the demo stores data/kpi.sqlite and data/kent.sqlite if absent
	@test -f $(STORE) || $(BIN)/kpi demo --store $(STORE)
	@test -f $(KENT) || $(BIN)/kpi demo --council kent --store $(KENT)

report: demo ## run the demo's latest month and quarter, and Kent's latest QPR
	$(BIN)/kpi run params/2025-03.yaml
	$(BIN)/kpi run params/2024-25-Q4.yaml
	$(BIN)/kpi run params/kent/2024-25-Q4.yaml

lab: demo ## open JupyterLab on the project (notebooks read data/kpi.sqlite, latest period)
	$(BIN)/jupyter lab --notebook-dir=.

bench: $(STAMP) ## print load and report-run figures (bench/)
	$(BIN)/python bench/bench_load.py
	$(BIN)/python bench/run_bench.py

lint: $(STAMP) ## ruff over the package, tests and benchmarks
	$(BIN)/ruff check kpilib tests bench conftest.py

clean: ## remove the virtualenv, demo store and rendered outputs
	rm -rf $(VENV) data/kpi.sqlite data/kent.sqlite data/demo outputs/*/
