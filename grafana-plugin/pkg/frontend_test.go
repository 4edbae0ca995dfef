package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestDefect20_NodeModulesInGoModule: npm packages ship Go sources
// (flatted/golang), which `go vet ./...` and `go test ./...` of the
// repository picked up from grafana-plugin/node_modules; npm's postinstall
// (scripts/go-mod-guard.js) makes node_modules a module of its own.
func TestDefect20_NodeModulesInGoModule(t *testing.T) {
	checkDist(t) // runs npm ci when node_modules is missing or stale
	out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "list", "../../...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.Contains(p, "node_modules") {
			t.Errorf("go ./... includes %s", p)
		}
	}
}
