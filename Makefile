# Ruche — make help lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

GO      ?= go
BIN     := bin/ruche
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/ruche-social/ruche/internal/buildinfo.version=$(VERSION)

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  \033[1m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/ruche (pure Go: CGO_ENABLED=0)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/ruche

.PHONY: run
run: build ## start a node on an embedded SQLite database under ./data, at http://localhost:8080
	./$(BIN) serve

.PHONY: test
test: test-deps browser-deps interop-deps ## vet, then the whole suite with the race detector: both databases (when RUCHE_TEST_POSTGRES is set), the browser scenario and the interop suite
	$(GO) vet ./...
	RUCHE_TEST_BROWSER=1 RUCHE_INTEROP=1 $(GO) test -race -count=1 -timeout 30m ./...
	@$(MAKE) --no-print-directory fuzz-short

# FUZZTIME is how long `make fuzz` runs each fuzz target.
FUZZTIME ?= 60s

.PHONY: fuzz
fuzz: ## run every fuzz target (func FuzzX in a _test.go file) for FUZZTIME each (60s), one after another; a failing input is saved in the package's testdata/fuzz (test/fuzz.sh)
	@GO=$(GO) bash test/fuzz.sh $(FUZZTIME)

.PHONY: fuzz-short
fuzz-short: ## every fuzz target for 10s (make test ends with it; the seeds also run in the suite)
	@$(MAKE) --no-print-directory fuzz FUZZTIME=10s

.PHONY: test-deps
test-deps: ## install what the suite needs beyond Go (gcc, chromium, Node.js; apt-get as root) and start PostgreSQL for RUCHE_TEST_POSTGRES
	@bash test/deps.sh

.PHONY: browser-deps
browser-deps: ## npm packages of the browser scenario (test/browser); Debian's chromium must be installed
	@test -x /usr/bin/chromium || { echo "the browser scenario needs Debian's chromium: apt-get install chromium (make test-deps)"; exit 1; }
	cd test/browser && npm ci --no-audit --no-fund

.PHONY: interop-deps
interop-deps: ## install the independent ActivityPub peers (Fedify, activitypub-bot; Node 20) of the interop suite, and masto.js for the Mastodon client API's (test/mastodon)
	@command -v node >/dev/null || { echo "node (20 or later) is required for the interop suite"; exit 1; }
	cd test/interop && npm ci --no-audit --no-fund
	cd test/mastodon && npm ci --no-audit --no-fund

.PHONY: bench
bench: build ## benchmarks, quick profile (minutes): prints a table, writes bench/results/
	$(GO) run ./bench -profile quick -ruche $(BIN)

.PHONY: bench-full
bench-full: build ## benchmarks at the scale of the largest network (1M posts)
	$(GO) run ./bench -profile full -ruche $(BIN)

.PHONY: lint
lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

.PHONY: clean
clean: ## remove build outputs (not ./data)
	rm -rf bin test-results
