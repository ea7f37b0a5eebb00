# Sibyl developer entry points. On a fresh machine only the Rust toolchain and python3 are needed:
#   make run    build (release) and start the server with conf/sibyl.yaml, data under ./data
#   make test   Rust unit tests, then the end-to-end tests (pytest + Python driver + cqlsh) against
#               the debug binary; the Python tools are installed into .venv on first use

CARGO ?= cargo
PYTHON ?= python3
VENV ?= .venv
TARGET_DIR ?= $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR),target)
SIBYL_DEBUG := $(abspath $(TARGET_DIR)/debug/sibyl)
SIBYL_RELEASE := $(TARGET_DIR)/release/sibyl
# Extra arguments for pytest, e.g. `make e2e PYTEST_ARGS='-k paging'`.
PYTEST_ARGS ?=

VENV_PYTHON := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.requirements-installed

.PHONY: all build run test unit-test e2e venv fmt-check clippy bench clean

all: build

build:
	$(CARGO) build -p sibyl

run:
	$(CARGO) build --release -p sibyl
	$(SIBYL_RELEASE) --config conf/sibyl.yaml

# Runs every suite even when an earlier one fails, so one run reports all failures;
# fails if any failed. pytest's summary line is the last thing it prints.
test: build venv
	@status=0; \
	$(CARGO) test --workspace || status=1; \
	SIBYL_BIN=$(SIBYL_DEBUG) $(VENV_PYTHON) -m pytest -q tests/ $(PYTEST_ARGS) || status=1; \
	exit $$status

unit-test:
	$(CARGO) test --workspace

e2e: build venv
	SIBYL_BIN=$(SIBYL_DEBUG) $(VENV_PYTHON) -m pytest -q tests/ $(PYTEST_ARGS)

venv: $(VENV_STAMP)

# Re-installs only when tests/requirements.txt changes (or the venv is missing).
$(VENV_STAMP): tests/requirements.txt
	test -x $(VENV_PYTHON) || $(PYTHON) -m venv $(VENV)
	$(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

BENCH_PORT ?= 19142
BENCH_SYNC ?= periodic
BENCH_DIR ?= /tmp/sibyl-bench
BENCH_ARGS ?= --connections 4 --concurrency 64 --duration 10s --warmup 2s
BENCH_WORKLOADS ?= ping insert read

# Starts a release server on BENCH_PORT and runs sibyl-bench against it (docs/benchmarks.md);
# criterion micro-benchmarks: `cargo bench -p <crate>`.
bench:
	$(CARGO) build --release -p sibyl -p sibyl-bench
	rm -rf $(BENCH_DIR) && mkdir -p $(BENCH_DIR) && : > $(BENCH_DIR)/server.log
	@$(SIBYL_RELEASE) --native-transport-port $(BENCH_PORT) --data-file-directories $(BENCH_DIR)/data \
	    --commitlog-directory $(BENCH_DIR)/commitlog --commitlog-sync $(BENCH_SYNC) 2> $(BENCH_DIR)/server.log & \
	pid=$$!; trap 'kill $$pid 2>/dev/null; wait $$pid' EXIT; \
	for i in $$(seq 1 100); do grep -q 'listening for CQL clients' $(BENCH_DIR)/server.log && break; sleep 0.1; done; \
	grep -q 'listening for CQL clients' $(BENCH_DIR)/server.log || { cat $(BENCH_DIR)/server.log; exit 1; }; \
	for w in $(BENCH_WORKLOADS); do \
	    $(TARGET_DIR)/release/sibyl-bench --port $(BENCH_PORT) --workload $$w --drop $(BENCH_ARGS) || exit 1; \
	done

# Leaves ./data (what `make run` stored) alone; remove it by hand to start from scratch.
clean:
	$(CARGO) clean
	rm -rf $(VENV) .pytest_cache tests/.pytest_cache tests/__pycache__
