package tools

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/jianguan/jianguan/internal/testutil"
)

// productionPackages are the binaries jianguan ships (the Makefile's CMDS
// and what ./cmd/... and ./exporters/... match); the Grafana plugin's
// backend is built separately and links testing through the third-party
// hashicorp/go-plugin, so it is not in the list.
var productionPackages = []string{"./cmd/...", "./exporters/...", "./alertmanager/deadman"}

func deps(t *testing.T, pkgs ...string) []string {
	t.Helper()
	gobin := testutil.Need(t, "go")
	cmd := exec.Command(gobin, append([]string{"list", "-deps"}, pkgs...)...)
	cmd.Dir = ".." // the module root
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go list -deps %v: %v\n%s", pkgs, err, msg)
	}
	return strings.Fields(string(out))
}

// TestNoTestingInProductionBinaries (issue 23): `go list -deps ./cmd/...
// ./exporters/... | grep -x testing` prints nothing. jianguan-report and
// jianguan-history linked package testing because simhistory held a
// Prometheus starter for tests (now internal/testutil/testenv) and the
// report bench lived in jianguan-report (now tools/bench/report).
func TestNoTestingInProductionBinaries(t *testing.T) {
	for _, pkg := range productionPackages {
		t.Run(pkg, func(t *testing.T) {
			list := deps(t, pkg)
			if len(list) < 10 {
				t.Fatalf("go list -deps %s printed %d packages; expected the whole dependency list", pkg, len(list))
			}
			for _, p := range list {
				if p == "testing" {
					t.Errorf("%s links package testing; find the importer with: go list -deps -f '{{.ImportPath}} {{.Imports}}' %s | grep -w testing", pkg, pkg)
				}
			}
		})
	}
	// The check sees testing where it is: the test-support packages.
	found := false
	for _, p := range deps(t, "./internal/testutil/testenv") {
		found = found || p == "testing"
	}
	if !found {
		t.Fatal("go list -deps ./internal/testutil/testenv does not list testing: the check above would pass vacuously")
	}
}

// TestDefect23_LineExporterTimezoneWithoutZoneinfo: line_exporter loaded its
// maintenance timezone with time.LoadLocation, which fails for every zone on
// a machine without /usr/share/zoneinfo since the binary did not embed
// tzdata. Every shipped binary now links time/tzdata (through
// internal/calendar, the one definition of the zone).
func TestDefect23_LineExporterTimezoneWithoutZoneinfo(t *testing.T) {
	bins := []string{"./cmd/jianguan-demo", "./cmd/jianguan-history", "./cmd/jianguan-recorder", "./cmd/jianguan-report",
		"./exporters/env_exporter", "./exporters/line_exporter", "./exporters/uptime_exporter", "./alertmanager/deadman"}
	for _, pkg := range bins {
		t.Run(pkg, func(t *testing.T) {
			for _, p := range deps(t, pkg) {
				if p == "time/tzdata" {
					return
				}
			}
			t.Errorf("%s does not link time/tzdata: its zones fail to load on a machine without /usr/share/zoneinfo", pkg)
		})
	}
}
