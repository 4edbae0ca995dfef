package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jianguan/jianguan/internal/metricnames"
	"github.com/jianguan/jianguan/internal/simhistory"
)

// backfillProbe times the back-fill of the lines' P95 record
// (line:line_interface_bits:rate5m_step5m, whose expression keeps a point
// only where minute() % 5 == 0) over days of the history from from, in its
// group (every minute: the anchor) and at 5 minutes (recordedGroups' every:
// what the bench back-fills), n runs each, alternating, one promtool window
// at a time; it prints the medians and their ratio. The blocks are thrown
// away. TestBackfillRules shows both give the same points.
func backfillProbe(ctx context.Context, promtool, promURL, rulesFile string, from time.Time, days, n int) error {
	tmp, err := os.MkdirTemp("", "jianguan-backfill-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	rec := metricnames.LineInterfaceBitsRate5mStep5m
	paths := []struct {
		name  string
		every time.Duration // 0: the group's interval
		file  string
		secs  []float64
	}{{name: "every minute (its group's interval)"}, {name: "every 5 minutes", every: 5 * time.Minute}}
	for i := range paths {
		p := &paths[i]
		p.file = filepath.Join(tmp, fmt.Sprintf("rules-%d.yml", i))
		if _, err := simhistory.SelectRules(rulesFile, []string{"jianguan.line"}, []string{rec}, p.file); err != nil {
			return err
		}
		if p.every > 0 {
			if err := simhistory.SetInterval(p.file, p.every); err != nil {
				return err
			}
		}
	}
	end := from.Add(time.Duration(days)*24*time.Hour - 5*time.Minute) // BackfillRules' end is included
	for r := 0; r < n; r++ {
		for i := range paths {
			p := &paths[i]
			out := filepath.Join(tmp, "blocks")
			st := time.Now()
			if err := simhistory.BackfillRules(ctx, promtool, promURL, []string{p.file}, from, end, out); err != nil {
				return err
			}
			p.secs = append(p.secs, time.Since(st).Seconds())
			os.RemoveAll(out)
		}
	}
	a, b := median(paths[0].secs), median(paths[1].secs)
	fmt.Printf("back-fill of %s over %d days from %s, median of %d: %s %.1f s, %s %.1f s: ratio %.2f (runs %v, %v); load average %s\n",
		rec, days, from.Format(time.DateOnly), n, paths[0].name, a, paths[1].name, b, a/b, paths[0].secs, paths[1].secs, loadavg())
	return nil
}
