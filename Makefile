# nrsim: `make run` (setup + default scenario) and `make test` (setup + whole suite).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test bench clean clean-cache browser docs docs-serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/nrsim run uma-default

# headless Chromium for the HTML-report tests, from Debian's packages when we may install them
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	    else echo "note: no Chromium; the HTML-report browser tests will be skipped (fail under CI)"; fi; }

test: $(VENV)/.installed-test browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/drop.py

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	@touch $(VENV)/.installed $@

# the documentation as a static site in site/ (open site/index.html)
docs: $(VENV)/.installed-docs
	$(BIN)/mkdocs build --strict

docs-serve: $(VENV)/.installed-docs
	$(BIN)/mkdocs serve

clean: clean-cache
	rm -rf $(VENV) results site .pytest_cache

# numba's on-disk cache (cache=True) does not notice when a compiled function that another
# module's cached kernel calls has changed: after editing a compiled leaf, drop the cache
clean-cache:
	find src -name '*.nbi' -delete -o -name '*.nbc' -delete
