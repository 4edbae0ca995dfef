package main

import (
	"context"
	"fmt"
	"os/exec"
)

// efficiencyRateWindow: node series are back-filled at historyStep (one
// sample per 10 min), so rate() needs a window of two samples at least.
const efficiencyRateWindow = "20m"

// efficiencyReports writes last month's user-unit efficiency report
// (deliverable 24; jianguan-report --all --kind efficiency: one evaluation,
// every format) into dir. The site's hosts carry node_exporter-style series
// (internal/simsite): simsite.IdleHosts (host-013 of 市公安局, host-018 of
// 市卫健委) are idle, simsite.NoNodeHost (host-024) has none (无数据).
func (d *demo) efficiencyReports(ctx context.Context, month, dir string) error {
	cmd := exec.CommandContext(ctx, d.binPath("jianguan-report"), "--prometheus.url=http://"+addrProm, "--all", "--kind=efficiency",
		"--month="+month, "--efficiency.rate-window="+efficiencyRateWindow, "--out-dir="+dir)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("jianguan-report --all --kind=efficiency --month=%s: %v: %s", month, err, tailString(string(b), 10))
	}
	d.logf("user-unit efficiency report for %s written to %s (efficiency-%s.*)", month, dir, month)
	return nil
}
