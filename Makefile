# jianguan — see README.md. `make demo` runs the whole stack, `make test` passes the tests.
GO        ?= go
BIN       := bin
EXPORTERS := env_exporter line_exporter uptime_exporter
FUZZTIME  ?= 5s

.PHONY: print-ldflags all build test unit fuzz lint lint-cached demo demo-smoke demo-reports plugin plugin-frontend-test plugin-screenshots dashboards bench-snmp bench-sla bench-icmp bench-report bench-fastpaths clean prom3

all: build

# Version and revision stamped into every binary (landing pages, *_build_info,
# the plugin's health check, report provenance): prometheus/common/version.
VERSION   ?= $(shell cat VERSION)
REVISION  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH    ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
VPKG      := github.com/prometheus/common/version
LDFLAGS   := -X $(VPKG).Version=$(VERSION) -X $(VPKG).Revision=$(REVISION) -X $(VPKG).Branch=$(BRANCH) \
             -X $(VPKG).BuildUser=jianguan -X $(VPKG).BuildDate=$(shell date -u +%Y%m%d-%H:%M:%S)
export LDFLAGS

# Every command (package main) except benchmarks and generators.
CMDS := ./exporters/env_exporter ./exporters/line_exporter ./exporters/uptime_exporter \
        ./alertmanager/deadman ./cmd/jianguan-report ./cmd/jianguan-history ./cmd/jianguan-demo \
        ./cmd/jianguan-recorder

build:
	@mkdir -p $(BIN)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ $(CMDS)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/demo-sites ./exporters/uptime_exporter/demo/sites

# The whole stack on loopback (installs Debian packages when root).
demo: build demo-reports
	$(BIN)/jianguan-demo --bin=$(BIN) --out=out $(if $(SCENARIO),--scenario=$(SCENARIO))

# Every monthly document kind for the demo month (MONTH=2026-10) in every format into
# out/reports/ from a private backfilled Prometheus, without the live stack (LANGS="zh-CN en").
demo-reports: build
	BIN=$(BIN) sh tools/demoreports/demo-reports.sh

demo-smoke: build
	$(BIN)/jianguan-demo --bin=$(BIN) --out=out --smoke

# The Grafana app: npm ci (committed lockfile) + webpack, the backend binary, the zip.
plugin:
	bash grafana-plugin/build.sh $(VERSION)

# The app's frontend: eslint, tsc --noEmit (strict), jest, the build and its
# bundle-size budget (grafana-plugin/scripts/frontend.sh).
plugin-frontend-test:
	bash grafana-plugin/scripts/frontend.sh check

# Screenshots of the app's pages, light and dark theme, into
# docs/screenshots/plugin-<page>-<theme>.png: TestPluginBrowserE2E drives the
# built app in headless Chromium against the real backend, Prometheus and
# recorder, and saves each page once its flows are done.
plugin-screenshots:
	JIANGUAN_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -timeout 20m -run '^TestPluginBrowserE2E$$' ./grafana-plugin/pkg

dashboards:
	$(GO) generate ./dashboards/... ./deploy/kubernetes/...

bench-snmp:
	$(GO) run ./exporters/env_exporter/bench

bench-sla:
	$(GO) run ./exporters/line_exporter/bench

bench-icmp:
	$(GO) run ./exporters/uptime_exporter/bench

# Issue 24: the month for 1 000 entities, then the year (service-period
# summaries and the annual rating) for BENCH_YEAR_ENTITIES, both at 15 s.
# The year's history for 1 000 entities takes ~65 GB: the bench refuses it
# up front where the cache's disk is smaller (BENCH_CACHE=DIR elsewhere, or
# BENCH_YEAR_ENTITIES=100: ~6.5 GB). Then the infrastructure report, month
# and year, over the contract's own site (--site: 106 racks, 20 sensors,
# 27 room conditions; ~3.5 GB for the year), which the demo entities' two
# rooms do not load.
BENCH_YEAR_ENTITIES ?= 1000
bench-report:
	$(GO) run ./tools/bench/report
	$(GO) run ./tools/bench/report --year --entities=$(BENCH_YEAR_ENTITIES)
	$(GO) run ./tools/bench/report --site --kinds=infrastructure
	$(GO) run ./tools/bench/report --site --year --kinds=infrastructure

# Issue 23: each home-grown fast path against its library, side by side in
# every round (docs/fastpaths.md). FASTPATHS_ARGS e.g. --rounds=3 --only=snmp.
bench-fastpaths:
	$(GO) run ./tools/bench/fastpaths $(FASTPATHS_ARGS)

# Prometheus 3 binaries (version pinned in scripts/prom3.sh) for the rules and
# dashboards tests, which run against Prometheus 2.42 and 3.x; cached per version.
prom3:
	bash scripts/prom3.sh

test: prom3 plugin-frontend-test lint-cached
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...
	$(MAKE) fuzz FUZZTIME=$(FUZZTIME)

fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

# golangci-lint (.golangci.yml; version pinned in scripts/golangci-lint.sh,
# built once into ~/.cache/jianguan). `make test` runs lint-cached: the same
# checks when the binary is cached, else a note to run `make lint` once (a
# cold build takes minutes on 2 cores).
lint:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	@bin=$$(GO=$(GO) bash scripts/golangci-lint.sh) && echo "$$bin run ./..." && $$bin run ./...

# Findings older than LINT_BASELINE (246 in the exporters, frame, deadman and
# recorder alone, mostly noctx in tests) are listed by `make lint`; `make test`
# fails only on findings in code changed since then.
LINT_BASELINE ?= 0ed24c452c69c46d7433bf2d8e0a36c8dad34dbf
lint-cached:
	@bin=$$(GO=$(GO) bash scripts/golangci-lint.sh --cached-only) || { echo "lint: golangci-lint not cached; 'make lint' builds it"; exit 0; }; \
	  git cat-file -e $(LINT_BASELINE)^{commit} 2>/dev/null || { echo "lint: baseline $(LINT_BASELINE) not in this clone (shallow?); 'make lint' lists every finding"; exit 0; }; \
	  echo "$$bin run --new-from-rev=$(LINT_BASELINE) ./..."; $$bin run --new-from-rev=$(LINT_BASELINE) ./...

clean:
	rm -rf $(BIN) out

# The ldflags `make build` stamps (used by tests and the plugin build).
print-ldflags:
	@echo '$(LDFLAGS)'
