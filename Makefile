# kpilib: reproducible KPI reports.  `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
STORE  ?= data/kpi.sqlite
KENT   ?= councils/kent/data/kpi.sqlite

.DEFAULT_GOAL := help
.PHONY: help install test report demo lab lint bench docs clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 10

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its test dependencies

# axe-core (npm) checks every page type against WCAG 2.2 AA in the browser tests
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $(AXE)

test: $(STAMP) $(AXE) ## run the whole test suite (unit, CLI, notebooks with nbval, browser, axe-core)
	$(BIN)/python -m pytest

demo: $(STAMP) ## build the demo stores data/kpi.sqlite and councils/kent/data/kpi.sqlite if absent
	@test -f $(STORE) || $(BIN)/kpi demo --store $(STORE)
	@test -f $(KENT) || $(BIN)/kpi demo --council kent --store $(KENT)

report: demo ## the demo's latest month and quarter, its KPI-set changes, Kent's latest QPR, the county's corporate report
	$(BIN)/kpi run params/2025-03.yaml
	$(BIN)/kpi run params/2024-25-Q4.yaml
	$(BIN)/kpi changes --store $(STORE) --from 2024-25 --to 2025-26
	$(BIN)/kpi run councils/kent/params/2024-25-Q4.yaml
	@test -f councils/county/data/kpi.sqlite || $(BIN)/kpi demo --council county
	$(BIN)/kpi run councils/county/params/2013-14-Q2.yaml

lab: demo ## open JupyterLab on the project (notebooks read data/kpi.sqlite, latest period)
	$(BIN)/jupyter lab --notebook-dir=.

bench: $(STAMP) ## print load and report-run figures (bench/)
	$(BIN)/python bench/bench_load.py
	$(BIN)/python bench/bench_peers.py
	$(BIN)/python bench/run_bench.py

docs: $(STAMP) ## build the documentation site into site/ (MkDocs, offline; warnings are errors)
	$(BIN)/python docs_tools/reference.py
	$(BIN)/mkdocs build --strict --site-dir site

lint: $(STAMP) ## ruff over the package, tests and benchmarks
	$(BIN)/ruff check kpilib tests bench conftest.py

clean: ## remove the virtualenv, demo store and rendered outputs
	rm -rf $(VENV) node_modules site data/kpi.sqlite data/demo outputs/*/ councils/*/data councils/*/outputs
