package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
)

// efficiencyRateWindow: the demo's history has one sample per 10 min
// (backfill), so rate() needs a window of two samples at least.
const efficiencyRateWindow = "20m"

// efficiencyReports writes last month's user-unit efficiency report
// (deliverable 24; jianguan-report --kind efficiency) in every format into
// dir. The demo's hosts carry node_exporter-style series
// (simhistory.DemoScenario): host-003 and host-013 (市公安局) and host-004
// (市卫健委) are idle, host-040 has none (无数据).
func (d *demo) efficiencyReports(ctx context.Context, month, dir string) error {
	for _, f := range []string{"html", "pdf", "csv", "xlsx", "json"} {
		p := filepath.Join(dir, fmt.Sprintf("efficiency-%s.%s", month, f))
		cmd := exec.CommandContext(ctx, d.binPath("jianguan-report"), "--prometheus.url=http://"+addrProm, "--kind=efficiency",
			"--month="+month, "--efficiency.rate-window="+efficiencyRateWindow, "--format="+f, "-o", p)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("jianguan-report --kind=efficiency --month=%s --format=%s: %v: %s", month, f, err, tailString(string(b), 10))
		}
	}
	d.logf("user-unit efficiency report for %s written to %s (efficiency-%s.*)", month, dir, month)
	return nil
}
