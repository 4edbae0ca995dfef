# jianguan — see README.md. `make demo` runs the whole stack, `make test` passes the tests.
GO        ?= go
BIN       := bin
EXPORTERS := env_exporter line_exporter uptime_exporter
FUZZTIME  ?= 5s

.PHONY: all build test unit fuzz lint demo demo-smoke plugin dashboards bench-snmp bench-sla bench-icmp bench-report clean

all: build

# Every command (package main) except benchmarks and generators.
CMDS := ./exporters/env_exporter ./exporters/line_exporter ./exporters/uptime_exporter \
        ./alertmanager/deadman ./cmd/jianguan-report ./cmd/jianguan-history ./cmd/jianguan-demo

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ $(CMDS)
	$(GO) build -o $(BIN)/demo-sites ./exporters/uptime_exporter/demo/sites

# The whole stack on loopback (installs Debian packages when root).
demo: build
	$(BIN)/jianguan-demo --bin=$(BIN) --out=out $(if $(SCENARIO),--scenario=$(SCENARIO))

demo-smoke: build
	$(BIN)/jianguan-demo --bin=$(BIN) --out=out --smoke

plugin:
	bash grafana-plugin/build.sh

dashboards:
	$(GO) generate ./dashboards/... ./deploy/kubernetes/...

bench-snmp:
	$(GO) run ./exporters/env_exporter/bench

bench-sla:
	$(GO) run ./exporters/line_exporter/bench

bench-icmp:
	$(GO) run ./exporters/uptime_exporter/bench

bench-report:
	$(GO) run ./cmd/jianguan-report bench

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...
	$(MAKE) fuzz FUZZTIME=$(FUZZTIME)

fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

lint:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

clean:
	rm -rf $(BIN) out
