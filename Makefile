# The README's two commands: `make run` (the local stack) and `make test` (every check).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# The first Python 3.12 or 3.11 that really runs (pyenv shims exist for versions that are not active).
PYTHON ?= $(shell for p in python3.12 $$(ls -d "$$(pyenv root 2>/dev/null)"/versions/3.12*/bin/python3.12 2>/dev/null) python3.11 python3; do \
	$$p -c 'import sys; assert sys.version_info[:2] in ((3, 12), (3, 11))' 2>/dev/null && { command -v $$p; break; }; done)
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
# sam build looks for the runtime's python on PATH: the virtual environment's.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: test static run demo bench lint typecheck validate scan build pytest unit clean

# uv installs the same packages as pip, several times faster: make run starts in seconds on a fresh clone.
$(BIN)/.installed: pyproject.toml layers/common/requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 or 3.11 is needed"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/python -m uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $@

# The suite beside the static checks. The suite keeps both cores (pytest-xdist); the checks run at the lowest
# priority, on what it leaves idle while its tests wait on receivers, stacks and timeouts (about a sixth of
# the two cores), so that they cost no test its timing. Each line is printed whole as it comes.
test: $(BIN)/.installed
	$(MAKE) --no-print-directory -j2 --output-sync=line pytest static

# The static checks side by side, the longest two first (sam build, mypy), as two jobs of their own: with
# MAKEFLAGS cleared, the sub-make does not share the jobserver of `make test`, whose two jobs are taken.
static: $(BIN)/.installed
	MAKEFLAGS= nice -n 19 $(MAKE) --no-print-directory -j2 --output-sync=target build typecheck lint validate scan

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Every handler, the package, the local stack and the benchmarks (the files pyproject names).
typecheck: $(BIN)/.installed
	$(BIN)/mypy

validate: $(BIN)/.installed
	$(BIN)/sam validate --lint

# checkov pins its own boto3, cfn-lint and more than the project's: it gets a virtual environment of its own.
# Every check it fails is skipped in template.yaml, with the reason beside it.
CHECKOV := $(VENV)/checkov/bin/checkov
$(CHECKOV): $(BIN)/.installed
	test -x $(VENV)/checkov/bin/python || $(PYTHON) -m venv $(VENV)/checkov
	$(BIN)/python -m uv pip install --quiet --python $(VENV)/checkov/bin/python 'checkov==3.3.30'
	touch $@

scan: $(CHECKOV)
	$(CHECKOV) --quiet --compact --skip-download --framework cloudformation --file template.yaml

# The layer must carry arm64 (aarch64) wheels, since the functions run on Graviton, and its bytecode.
build: $(BIN)/.installed
	@if $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))'; then \
		$(BIN)/sam build --cached --parallel && $(BIN)/python tools/check_layer_arch.py .aws-sam/build/CommonLayer && \
		$(BIN)/python tools/check_layer_bytecode.py .aws-sam/build/CommonLayer && \
		$(BIN)/python tools/check_layer_services.py .aws-sam/build/CommonLayer; \
	else echo "sam build skipped: the functions' runtime, Python 3.12, is not installed"; fi

# The console's browser tests (tests/browser) drive Debian's Chromium through Playwright, whose own browser
# download this machine's network does not reach.
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
$(CHROMIUM):
	@echo "The console's browser tests need Chromium, and $(CHROMIUM) is missing: installing Debian's chromium package."
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq chromium

# The whole suite, on as many workers as cores (pytest-xdist). Every test sets up its own moto stack and
# receivers on free ports, so tests are dealt out one by one; a test that asserts a timing is marked
# `alone` (see tests/conftest.py). Work stealing: a worker that runs out takes tests queued on the other,
# which xdist's default deals out ahead and would leave waiting behind the chaos test for minutes.
pytest: $(BIN)/.installed $(CHROMIUM)
	$(BYTECODE) $(BIN)/pytest -n auto --dist worksteal

# Where Python writes no bytecode (PYTHONDONTWRITEBYTECODE, as on these machines) and the packages are
# installed without it, each interpreter of a test run (xdist's workers, the local stacks, the receivers)
# compiled every module it imports from source again: 9 of 52 s of the local stack's tests. Kept in one
# folder beside the sources, each module is compiled once. Not for `sam build`: the layer carries its own.
BYTECODE := PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(CURDIR)/.pycache

# Pure logic only (tests/unit): seconds, without moto; one process, as xdist's start-up would cost more.
unit: $(BIN)/.installed
	$(BYTECODE) $(BIN)/pytest tests/unit

# The template's API on http://127.0.0.1:3000 (another port: make run MAILHOOKS_PORT=3001), its resources
# on moto, its triggers polled, a receiver of callbacks on the next port (MAILHOOKS_RECEIVER_PORT), and a
# demo account with a webhook per operation; Ctrl-C stops it.
run: $(BIN)/.installed
	$(BIN)/python -m devstack

# With make run going: post each demo webhook's sample payload, and print the callbacks that come back.
demo: $(BIN)/.installed
	$(BIN)/python -m devstack.demo

# Measured figures, not tests: writes bench/results.json and prints the table the README shows.
bench: $(BIN)/.installed
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .aws-sam .mypy_cache .pytest_cache .ruff_cache .pycache
