# The README's commands.  Each works on a fresh machine with Python >= 3.11 and make: it
# creates .venv, installs what the command needs, then runs.  `make demo` installs the
# program only; `make test`, `make lint` and `make bench` add the test and lint extras.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUM := $(shell cat pyproject.toml | cksum | cut -d' ' -f1)
STAMP := $(VENV)/.runtime-$(SUM)
DEV_STAMP := $(VENV)/.dev-$(SUM)
DB ?= civicgraph.db

.PHONY: demo test lint bench browser clean install cypher-lint

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	@rm -f $(VENV)/.runtime-* $(VENV)/.dev-* $(VENV)/.installed-*
	@touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e ".[test,lint]"
	@touch $(DEV_STAMP)

install: $(DEV_STAMP)

demo: $(STAMP)
	$(BIN)/civicgraph demo --db $(DB)

# Browser tests drive Debian's chromium; install it when we can (root, apt).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (apt) for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not found and cannot install it: browser tests will be skipped"; fi; }

# Neo4j's own Cypher linter (tests/queries/test_cypher_lint.py): installed from the lock file.
CYPHER_LINT := tools/cypher-lint/node_modules/.package-lock.json
$(CYPHER_LINT): tools/cypher-lint/package.json tools/cypher-lint/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  cd tools/cypher-lint && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the Neo4j Cypher linter test will be skipped"; fi

cypher-lint: $(CYPHER_LINT)

test: $(DEV_STAMP) browser cypher-lint
	$(BIN)/python -m pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check app graph loaders queries tests bench tools
	$(BIN)/ruff format --check app graph loaders queries tests bench tools
	$(BIN)/mypy app graph loaders/__init__.py queries/__init__.py tools/cypher_lint.py

bench: $(DEV_STAMP) browser
	@for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info civicgraph.db anvita.html .pytest_cache tools/cypher-lint/node_modules
