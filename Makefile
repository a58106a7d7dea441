# Shipwatch make targets. `make help` lists them.
GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
TEST_FLAGS  ?= -count=1 -timeout 20m

.PHONY: help run build test lint generate check-generate bench migrate

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

run: ## run the server (HTTP on :8080 and the job workers)
	$(GO) run ./cmd/shipwatch serve

build: ## build bin/shipwatch
	$(GO) build -o bin/shipwatch ./cmd/shipwatch

migrate: ## create the database if needed and apply migrations
	$(GO) run ./cmd/shipwatch migrate

test: ## run every test against the local PostgreSQL
	$(GO) test $(TEST_FLAGS) ./...

lint: ## gofmt, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

generate: ## regenerate gqlgen code from schema.graphqls
	$(GO) tool gqlgen generate

check-generate: generate ## fail when regenerating changes committed files
	@git diff --exit-code -- graph go.mod go.sum || (echo "generated code is stale: run make generate and commit"; exit 1)

bench: ## run the benchmarks and print each figure with its baseline
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...

.PHONY: bench-import
bench-import: ## time a 1,000,000-line upload to COMPLETED against a raw COPY of the same rows, and the server's peak memory
	$(GO) test -run '^$$' -bench BenchmarkImport -benchtime 1x -timeout 30m ./internal/app/
