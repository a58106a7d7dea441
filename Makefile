# Shipwatch make targets. `make help` lists them.
GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
TEST_FLAGS  ?= -count=1 -timeout 20m

.PHONY: help run build test lint generate check-generate bench migrate

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# run builds then runs the binary rather than `go run`: on Ctrl-C the server
# stops cleanly and exits 0, which `go run` would turn into exit 1 (and a
# make error).
run: build ## run the server (HTTP on :8080 and the job workers)
	bin/shipwatch serve

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

.PHONY: dashboard-assets screenshots
dashboard-assets: ## refresh the dashboard's vendored Chart.js (internal/dashboard/static/vendor) from the pinned npm package
	cd internal/dashboard/vendor && npm ci --no-audit --no-fund && npm run build

screenshots: ## drive Chromium through the dashboard and the playground and save each page into docs/screenshots
	mkdir -p docs/screenshots
	SHIPWATCH_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run 'InBrowser' ./internal/app/

.PHONY: playground
playground: ## rebuild the embedded GraphiQL bundle (internal/server/playground/dist) from the pinned npm packages
	cd internal/server/playground && npm ci --no-audit --no-fund && npm run build

generate: ## regenerate gqlgen code from schema.graphqls
	$(GO) tool gqlgen generate

check-generate: generate ## fail when regenerating changes committed files
	@git diff --exit-code -- graph go.mod go.sum || (echo "generated code is stale: run make generate and commit"; exit 1)

bench: ## run the benchmarks and print each figure with its baseline
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...
	cd internal/tracking/jsbench && npm ci --silent --no-audit --no-fund
	$(GO) run ./internal/tracking/cmd/trackbench

.PHONY: bench-suggest
bench-suggest: ## suggestions for held-out typos of the conformance set: top-1/top-5 against the previous ranking
	$(GO) test -run '^$$' -bench BenchmarkSuggestionQuality -benchtime 200x ./internal/tracking/

.PHONY: bench-forecast
bench-forecast: ## delivery forecasts and the VTR/LSR/OTD projections backtested on seeded simulated histories, each against its baselines (SEEDS=3 for the projections' replay)
	$(GO) test -run '^$$' -bench BenchmarkBacktest -benchtime 1x ./internal/forecast/
	$(GO) test -run '^$$' -bench BenchmarkProjectionBacktest -benchtime 1x -timeout 60m ./internal/health/

.PHONY: bench-evidence
bench-evidence: ## time one evidence pack (read, verify, record, render) and chained event writes
	$(GO) test -run '^$$' -bench 'EvidencePack|RecordEventsChained' -benchtime 200x -benchmem ./internal/monitor/

# --- Monitoring ---
.PHONY: bench-sweep test-monitoring

bench-sweep: ## time one monitoring sweep over 1,000,000 open shipments (about 2 minutes)
	$(GO) test -run '^$$' -bench BenchmarkSweep -benchmem ./internal/monitor/

test-monitoring: ## run the monitoring tests: rules, jobs, notifications, two replicas
	$(GO) test $(TEST_FLAGS) ./internal/monitor/ ./internal/pubsub/ ./internal/notify/ ./internal/secret/ ./graph/
	$(GO) test $(TEST_FLAGS) -run 'Flags|Monitoring|Notifications|TwoReplicas' ./internal/app/

.PHONY: bench-metrics
bench-metrics: ## the open-flag gauge of /metrics at 1,000,000 shipments (SHIPMENTS=N), against a direct count
	$(GO) test -run '^$$' -bench BenchmarkOpenFlagCounts -benchtime 20x -timeout 30m ./internal/store/

.PHONY: bench-health
bench-health: ## account health only: a 1,000,000-shipment report, and what its rollup costs writers
	$(GO) test -run '^$$' -bench 'BenchmarkAccountHealth|BenchmarkHealthWriteCost' -benchmem ./internal/health/

# --- Carrier events ---
.PHONY: demo loadtest faulttest

demo: ## fill the running server (make run) with a demo seller, parcels and carrier events (DEMO_ARGS="--provider carriers" to poll fake carriers)
	$(GO) run ./cmd/shipwatch demo $(DEMO_ARGS)

PROVIDER ?= easypost
loadtest: ## 60 s of signed webhooks on a fresh server and database: events/s, p50/p99, reconciliation (PROVIDER=easypost|17track|shippo|all|together)
	$(GO) run ./cmd/shipwatch-load --provider $(PROVIDER)

faulttest: ## the load test with a PostgreSQL restart 20 s in (stops the local server for everyone briefly)
	$(GO) run ./cmd/shipwatch-load --restart-postgres

.PHONY: bench-import
bench-import: ## time a ROWS-line upload (1,000,000) to COMPLETED, checked, against a raw COPY of the same rows, and the server's peak memory
	ROWS=$(ROWS) $(GO) test -run '^$$' -bench BenchmarkImport -benchtime 1x -timeout 60m ./internal/app/

# --- Carrier polling ---
.PHONY: bench-poll
bench-poll: ## a poll cycle of SHIPMENTS (100,000) against fake UPS and FedEx at 50 ms, and a simulated day (DAY_SHIPMENTS=1000) against the naive schedule
	SHIPMENTS=$(SHIPMENTS) DAY_SHIPMENTS=$(DAY_SHIPMENTS) $(GO) test -run '^$$' -bench 'BenchmarkPoll' -benchtime 1x -timeout 60m ./internal/monitor/

SHIPMENTS     ?= 100000
DAY_SHIPMENTS ?= 1000

# --- Soak ---
.PHONY: soak
SOAK_DURATION ?= 10m
ROWS          ?= 1000000

soak: ## everything at once on a server process and a fresh database (SOAK_DURATION=10m, ROWS=1000000): deadlocks, job errors, sweeps lost, flags against a reference, events lost
	SOAK_DURATION=$(SOAK_DURATION) ROWS=$(ROWS) $(GO) run ./cmd/shipwatch-soak

.PHONY: bench-outlook
bench-outlook: ## account-health forecast and save queue for 1,000,000 shipments, 100,000 open (SHIPMENTS=N), against reading them directly
	$(GO) test -run '^$$' -bench BenchmarkHealthForecast -benchtime 1x -timeout 30m ./internal/health/
