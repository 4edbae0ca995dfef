package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jianguan/jianguan/internal/metricnames"
	"github.com/jianguan/jianguan/internal/simhistory"
)

// backfillProbe times the back-fill of the lines' P95 record
// (line:line_interface_bits:rate5m_step5m, whose expression keeps a point
// only where minute() % 5 == 0) over days of the history from from, in its
// group (every minute: the anchor) and at recordedGroups' every for it (5
// minutes), from the rule files the bench back-fills (groupRuleFiles), n runs each, alternating, one promtool window
// at a time; it prints the medians and their ratio. The blocks are thrown
// away. TestBackfillRules shows both give the same points.
func backfillProbe(ctx context.Context, promtool, promURL, rulesFile string, from time.Time, days, n int) error {
	tmp, err := os.MkdirTemp("", "jianguan-backfill-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	rec := metricnames.LineInterfaceBitsRate5mStep5m
	// The rule files as the bench writes them (groupRuleFiles): the
	// group's own interval, and recordedGroups' every for the record.
	var line recordedGroup
	for _, g := range recordedGroups {
		if g.group == "jianguan.line" {
			line = g
		}
	}
	if line.every[rec] == 0 {
		return fmt.Errorf("recordedGroups: %s has no coarser interval to time", rec)
	}
	paths := []struct {
		name  string
		g     recordedGroup
		files []string
		secs  []float64
	}{{name: "every minute (its group's interval)", g: recordedGroup{group: line.group}}, {name: "every " + line.every[rec].String(), g: line}}
	for i := range paths {
		p := &paths[i]
		d := filepath.Join(tmp, strconv.Itoa(i))
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
		if p.files, _, err = groupRuleFiles(rulesFile, p.g, []string{rec}, d, from); err != nil {
			return err
		}
	}
	end := from.Add(time.Duration(days)*24*time.Hour - 5*time.Minute) // BackfillRules' end is included
	for r := 0; r < n; r++ {
		for i := range paths {
			p := &paths[i]
			out := filepath.Join(tmp, "blocks")
			st := time.Now()
			if err := simhistory.BackfillRules(ctx, promtool, promURL, p.files, from, end, out); err != nil {
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
