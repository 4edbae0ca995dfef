# jianguan — see README.md. `make demo` runs the whole stack, `make test` passes the tests.
GO        ?= go
BIN       := bin
EXPORTERS := env_exporter line_exporter uptime_exporter
FUZZTIME  ?= 5s

.PHONY: all build test unit fuzz lint demo demo-smoke plugin dashboards bench-snmp bench-sla bench-icmp bench-report clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./exporters/... ./cmd/... 2>/dev/null || $(GO) build -o $(BIN)/ ./...

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...
	$(MAKE) fuzz FUZZTIME=$(FUZZTIME)

fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg >/dev/null || { $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; exit 1; }; \
	  done; \
	done

lint:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

clean:
	rm -rf $(BIN) out
