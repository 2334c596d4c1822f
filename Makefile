# Virgil for Go. `make demo` runs the main demo, `make test` runs every test; both install what
# they need first. See README.md.

SHELL := /bin/bash
GO ?= go
BUILD := build
CFLAGS := -std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared -I cabi

GO_GUEST := $(BUILD)/libconformance_go.so
C_GUEST := $(BUILD)/libconformance_c.so
HASKELL_GUEST := $(BUILD)/libconformance_haskell.so
RUST_GUEST := $(BUILD)/libconformance_rust.so
HOSTILE := $(BUILD)/libhostile.so
GUESTS := $(GO_GUEST) $(C_GUEST) $(HASKELL_GUEST) $(RUST_GUEST)
ORDERS := $(BUILD)/liborders_go.so
CARGO ?= cargo
RUST_WS := cabi/rust
export PATH := $(HOME)/.cargo/bin:$(PATH)
PYTHON ?= python3
PY_ENV := $(BUILD)/python-env
# Tests use the guests built here instead of building their own (internal/testlibs).
export VIRGIL_GUEST_DIR := $(abspath $(BUILD))

.PHONY: all deps guests demo test vet fmt-check check-generated test-go test-race test-nocgo test-haskell test-rust test-python test-c python-env bench fuzz clean

all: guests

# deps installs the toolchain the build and tests need: gcc (from Debian's packages, when
# missing) and the Go modules.
deps:
	@command -v $(GO) >/dev/null || { echo "Go is required: https://go.dev/dl/"; exit 1; }
	@command -v gcc >/dev/null || { echo "installing gcc"; apt-get update -qq && apt-get install -y -qq gcc libc6-dev; }
	@command -v $(CARGO) >/dev/null || { echo "installing Rust (Debian's cargo)"; apt-get update -qq && apt-get install -y -qq cargo rustfmt rust-clippy; }
	$(MAKE) -s -C cabi/haskell deps
	$(GO) mod download

guests: $(GUESTS) $(HOSTILE)

$(GO_GUEST): $(shell find examples/go-guest guest uncurry codec exceptions bytebox \( -name '*.go' -o -name '*.c' \) -not -name '*_test.go') | deps
	@mkdir -p $(BUILD)
	$(GO) build -buildmode=c-shared -o $@ ./examples/go-guest

# The middle of the exception-chain example: a Go guest that is also a host of the Rust library.
$(ORDERS): $(wildcard examples/exception-chain/orders/*.go) $(GO_GUEST)
	$(GO) build -buildmode=c-shared -o $@ ./examples/exception-chain/orders

$(C_GUEST): $(wildcard examples/c-guest/*.c examples/c-guest/*.h) cabi/virgil.h
	@mkdir -p $(BUILD)
	gcc $(CFLAGS) -o $@ examples/c-guest/*.c -lm

# The hostile C guest of cabi/conformance/hostile.json: every way a guest can break the protocol.
$(HOSTILE): cabi/conformance/hostile/hostile_guest.c cabi/virgil.h
	@mkdir -p $(BUILD)
	gcc $(CFLAGS) -o $@ cabi/conformance/hostile/hostile_guest.c

$(HASKELL_GUEST): $(wildcard cabi/haskell/src/*.hs cabi/haskell/src/*/*.hs cabi/haskell/src/*/*/*.hs cabi/haskell/cbits/*.c examples/haskell-guest/*.hs) cabi/virgil.h | deps
	@mkdir -p $(BUILD)
	$(MAKE) -s -C cabi/haskell guest OUT=$(abspath $@)

$(RUST_GUEST): $(shell find $(RUST_WS)/virgil $(RUST_WS)/virgil-macros examples/rust-guest \( -name '*.rs' -o -name Cargo.toml \) -not -path '*/target/*') $(RUST_WS)/Cargo.toml $(RUST_WS)/Cargo.lock | deps
	@mkdir -p $(BUILD)
	$(CARGO) build --release --locked --manifest-path $(RUST_WS)/Cargo.toml --target-dir $(RUST_WS)/target -p conformance-rust
	cp --remove-destination $(RUST_WS)/target/release/libconformance_rust.so $@

# The demo: a Go service (built without cgo) calling the Go, C, Haskell and Rust libraries, then
# a Python program calling the Go, Haskell and Rust libraries through ctypes.
demo: guests $(ORDERS) python-env
	CGO_ENABLED=0 $(GO) run ./examples/go-host $(GUESTS)
	$(PY_ENV)/bin/python examples/python-host/main.py $(GO_GUEST) $(HASKELL_GUEST) $(RUST_GUEST)
	$(PY_ENV)/bin/python examples/exception-chain/main.py $(ORDERS) $(RUST_GUEST)

# A virtual environment with the Python kit and pytest (Debian's system Python refuses pip).
$(PY_ENV)/bin/python:
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { echo "installing python3-venv"; apt-get update -qq && apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(PY_ENV)

python-env: $(PY_ENV)/bin/python
	$(PY_ENV)/bin/python -m pip install --quiet --disable-pip-version-check ./cabi/python pytest

test: deps vet fmt-check check-generated test-go test-race test-nocgo test-haskell test-rust test-python test-c

vet:
	$(GO) vet ./...

fmt-check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt'd: $$unformatted"; exit 1; fi

# Every guest's generated virgil_exports.go must be what virgil-gen writes today.
check-generated:
	$(GO) generate ./examples/... ./internal/testguests/...
	@git diff --exit-code -- '*virgil_exports.go' || { echo "virgil_exports.go is stale: run go generate and commit"; exit 1; }

test-go: guests $(ORDERS) python-env
	$(GO) test -count=1 ./...

test-race: guests $(ORDERS) python-env
	$(GO) test -count=1 -race ./...

# The Python kit's suite: vectors, every conformance case against every guest in build/, leaks,
# threads, tracebacks.
test-python: guests $(ORDERS) python-env
	$(PY_ENV)/bin/python -m pytest -q -p no:cacheprovider cabi/python/tests examples/exception-chain

# The Rust kit's own tests, formatting and lints.
test-rust: | deps
	$(CARGO) fmt --manifest-path $(RUST_WS)/Cargo.toml --all --check
	$(CARGO) clippy --manifest-path $(RUST_WS)/Cargo.toml --locked --workspace --all-targets -- -D warnings
	$(CARGO) test --manifest-path $(RUST_WS)/Cargo.toml --locked --workspace

# The Haskell kit's own tests: every vector byte for byte, the codec, exceptions, a C host check.
test-haskell: | deps
	$(MAKE) -s -C cabi/haskell test

# The C guest glue's own tests (exception records, the errno table), under valgrind.
test-c: | deps
	@command -v valgrind >/dev/null || { echo "installing valgrind"; apt-get update -qq && apt-get install -y -qq valgrind; }
	$(MAKE) -s -C examples/c-guest/test

# The host must build and run without cgo.
test-nocgo: guests
	CGO_ENABLED=0 $(GO) build ./host ./examples/go-host
	CGO_ENABLED=0 $(GO) run ./examples/go-host $(C_GUEST) >/dev/null

# The side-by-side table of internal/bench (cgo, purego, every Virgil way, HTTP, payloads, a
# realistic call, scaling): five whole runs of the suite one after another, so a burst of load on a
# shared machine hits one run of a line rather than all five, and the medians. The raw output stays
# in build/bench.txt; the plots go to build/bench-scaling.svg and build/bench-payload.svg. About
# two minutes with the Python benchmark on a quiet machine.
BENCH_RUNS ?= 5
bench: guests python-env
	$(GO) test -c -o $(BUILD)/bench.test ./internal/bench
	set -o pipefail; for run in $$(seq $(BENCH_RUNS)); do \
		$(BUILD)/bench.test -test.run '^$$' -test.bench . -test.benchmem -test.benchtime=100ms || exit 1; \
	done | tee $(BUILD)/bench.txt | $(GO) run ./internal/benchreport -svg $(BUILD)
	$(PY_ENV)/bin/python cabi/python/bench.py

FUZZTIME ?= 30s
fuzz: deps python-env
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./codec
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeReply$$' -fuzztime $(FUZZTIME) ./codec
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeBorrowed$$' -fuzztime $(FUZZTIME) ./codec
	$(GO) test -run '^$$' -fuzz '^FuzzOnePass$$' -fuzztime $(FUZZTIME) ./codec
	$(GO) test -run '^$$' -fuzz '^FuzzUnmarshal$$' -fuzztime $(FUZZTIME) ./exceptions
	$(GO) test -run '^$$' -fuzz '^FuzzHandler$$' -fuzztime $(FUZZTIME) ./uncurry
	$(GO) test -run '^$$' -fuzz '^FuzzReply$$' -fuzztime $(FUZZTIME) ./host
	$(PY_ENV)/bin/python -m pip install --quiet --disable-pip-version-check atheris || echo "atheris did not install: fuzz_reply.py uses its own mutator"
	$(PY_ENV)/bin/python cabi/python/fuzz_reply.py --time $(FUZZTIME)

clean:
	rm -rf $(BUILD)
