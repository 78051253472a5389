# Every target depends on the venv stamp, so a fresh checkout installs itself:
# `make test` on a new machine creates .venv from requirements.lock first.

PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp
SRC := domain workflows projections api
# pytest-xdist: one worker per core. `make test PYTEST_WORKERS=0` runs the suite serially (in
# one process, for pdb or a clean traceback); any number picks that many workers.
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS)

.PHONY: install browser lint typecheck contracts test test-unit test-integration test-e2e \
        test-browser fuzz audit run bench lock format clean distclean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# Debian's chromium, which the browser tests drive through Playwright (tests/browser; never
# a browser build of Playwright's own: `playwright install` is not used). Nothing to do when
# it is there; installed with apt-get when root; otherwise a message, and the browser tests
# skip (or fail, under KETNAP_TEST_REQUIRE_BROWSER=1 as in CI).
CHROMIUM := /usr/bin/chromium
APT_CHROMIUM := DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium </dev/null
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "$(CHROMIUM) missing: installing Debian's chromium for the browser tests"; \
		$(APT_CHROMIUM) || { apt-get update -q </dev/null && $(APT_CHROMIUM); }; \
	else \
		echo "$(CHROMIUM) missing: install Debian's chromium (apt-get install chromium," \
			"as root) to run the browser tests; until then they are skipped." >&2; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy $(SRC) tests

contracts: $(STAMP)
	$(BIN)/lint-imports

# Static checks first (make stops at the first failing one), then the whole suite, in
# parallel. The tiers: unit (in memory, fast), integration (each real store: SQLite and
# PostgreSQL), e2e (the HTTP API: in process and served by uvicorn), browser (pages in
# headless chromium, over the demo province).
test: lint typecheck contracts browser
	$(PYTEST)

test-unit: $(STAMP)
	$(PYTEST) tests/unit

test-integration: $(STAMP)
	$(PYTEST) tests/integration

test-e2e: $(STAMP)
	$(PYTEST) tests/e2e

# `make test-browser KETNAP_SCREENSHOTS=1` also rewrites docs/screenshots/*.png.
test-browser: $(STAMP) browser
	$(PYTEST) tests/browser

# Schemathesis at depth, with fresh seeds: every operation on its own (FUZZ_EXAMPLES examples
# per operation in the fuzzing phase, besides the examples and coverage phases), then
# FUZZ_EXAMPLES scenarios of up to FUZZ_STEPS requests along the OpenAPI links. Prints the
# requests generated per file at the end (about 25,000 by default; a few minutes). `make
# test` runs both short and derandomized.
FUZZ_EXAMPLES ?= 250
FUZZ_STEPS ?= 25
fuzz: $(STAMP)
	KETNAP_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) KETNAP_FUZZ_STEPS=$(FUZZ_STEPS) KETNAP_FUZZ_RANDOM=1 \
		KETNAP_FUZZ_TIMEOUT=3600 $(PYTEST) -p no:cacheprovider \
		tests/e2e/test_schemathesis.py tests/e2e/test_schemathesis_stateful.py
# The dependency audit (ADR 0018; tests/audit_deps.py): every pin of requirements.lock asked
# of a vulnerability service, over the network, so not part of `make test`. Fails on a known
# vulnerability with a fixed version, and when the service cannot be asked about every pin;
# `make audit AUDIT_IF_UNREACHABLE=warn` (CI) only warns, loudly, in that second case.
AUDIT_IF_UNREACHABLE ?= fail
audit: $(STAMP)
	$(BIN)/python -m tests.audit_deps --if-unreachable $(AUDIT_IF_UNREACHABLE)

# The main job on the embedded SQLite default: load the demo province (once), print its
# figures and one token per role, then serve the API until Ctrl+C.
run: $(STAMP)
	$(BIN)/ketnap demo
	$(BIN)/ketnap serve

bench: $(STAMP)
	$(BIN)/python -m tests.bench.run && $(BIN)/python -m tests.bench.http && \
		$(BIN)/python -m tests.bench.pages && \
		$(BIN)/python -m tests.bench.imports && \
		$(BIN)/python -m tests.bench.projections && \
		$(BIN)/python -m tests.bench.forecast

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Resolve pyproject.toml's ranges afresh in a throwaway venv and pin the result.
# `make lock KEEP=1` keeps every current pin (the lock as constraints) and pins only what is
# new: adding a dependency then upgrades nothing else.
lock:
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PY) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install --quiet --upgrade pip; \
	"$$tmp/venv/bin/python" -m pip install --quiet $(if $(KEEP),-c requirements.lock) -e '.[dev]'; \
	{ echo '# Pinned runtime + dev dependencies of ketnap (pyproject.toml [dev]).'; \
	  echo '# Generated; do not edit by hand. Regenerate with: make lock'; \
	  "$$tmp/venv/bin/python" -m pip freeze --exclude-editable | LC_ALL=C sort -f; \
	} > requirements.lock.tmp; \
	mv requirements.lock.tmp requirements.lock

clean:
	rm -rf build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis .import_linter_cache
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
