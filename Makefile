# Virgil for Go. `make demo` runs the main demo, `make test` runs every test; both install what
# they need first. See README.md.

SHELL := /bin/bash
GO ?= go
BUILD := build
CFLAGS := -std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared -I cabi

GO_GUEST := $(BUILD)/libconformance_go.so
C_GUEST := $(BUILD)/libconformance_c.so

.PHONY: all deps guests demo test vet fmt-check check-generated test-go test-race test-nocgo bench fuzz clean

all: guests

# deps installs the toolchain the build and tests need: gcc (from Debian's packages, when
# missing) and the Go modules.
deps:
	@command -v $(GO) >/dev/null || { echo "Go is required: https://go.dev/dl/"; exit 1; }
	@command -v gcc >/dev/null || { echo "installing gcc"; apt-get update -qq && apt-get install -y -qq gcc libc6-dev; }
	$(GO) mod download

guests: $(GO_GUEST) $(C_GUEST)

$(GO_GUEST): $(shell find examples/go-guest guest uncurry codec exceptions bytebox -name '*.go' -not -name '*_test.go') guest/alloc.c | deps
	@mkdir -p $(BUILD)
	$(GO) build -buildmode=c-shared -o $@ ./examples/go-guest

$(C_GUEST): $(wildcard examples/c-guest/*.c examples/c-guest/*.h) cabi/virgil.h
	@mkdir -p $(BUILD)
	gcc $(CFLAGS) -o $@ examples/c-guest/*.c -lm

# The demo: a Go service (built without cgo) calling the Go and the C library.
demo: guests
	CGO_ENABLED=0 $(GO) run ./examples/go-host $(GO_GUEST) $(C_GUEST)

test: deps vet fmt-check check-generated test-go test-race test-nocgo

vet:
	$(GO) vet ./...

fmt-check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt'd: $$unformatted"; exit 1; fi

# Every guest's generated virgil_exports.go must be what virgil-gen writes today.
check-generated:
	$(GO) generate ./examples/... ./internal/testguests/...
	@git diff --exit-code -- '*virgil_exports.go' || { echo "virgil_exports.go is stale: run go generate and commit"; exit 1; }

test-go:
	$(GO) test -count=1 ./...

test-race:
	$(GO) test -count=1 -race ./...

# The host must build and run without cgo.
test-nocgo: guests
	CGO_ENABLED=0 $(GO) build ./host ./examples/go-host
	CGO_ENABLED=0 $(GO) run ./examples/go-host $(C_GUEST) >/dev/null

bench: deps
	$(GO) test -run '^$$' -bench . -benchtime=500ms -count=5 ./host | tee $(BUILD)/bench.txt | $(GO) run ./internal/benchreport

FUZZTIME ?= 30s
fuzz: deps
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./codec
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeReply$$' -fuzztime $(FUZZTIME) ./codec
	$(GO) test -run '^$$' -fuzz '^FuzzUnmarshal$$' -fuzztime $(FUZZTIME) ./exceptions
	$(GO) test -run '^$$' -fuzz '^FuzzHandler$$' -fuzztime $(FUZZTIME) ./uncurry

clean:
	rm -rf $(BUILD)
