// Command sitehistory writes the contract's site (internal/simsite, the
// model make demo back-fills and its live simulators follow) from a day to
// now straight into Prometheus TSDB blocks, for make demo-reports: the demo
// month, the demo quarter and the service period are all read from the one
// site history.
//
//	go run ./tools/demoreports/sitehistory --from=2025-12-01 --tsdb=data/
//
// It is a developer program, not a shipped binary: the Prometheus tsdb
// library it writes with (internal/simhistory/tsdbwrite) links package
// testing. jianguan-history --scenario=site writes the same history as
// OpenMetrics for promtool, which took ~8 s per day of it on two loaded
// cores (~50 min for a service year); the block writer takes 1–2 min.
//
// Bounds: the history runs from --from's 00:00 (Asia/Shanghai) to --to
// (default now, rounded down to --step); memory is one --block of samples
// (~1 200 series × block/step, plus the 15 s room samples around events)
// times --parallel.
//
// Resolution: the room's event-driven gauges (feeds, UPS on battery and
// runtime, generator, CRACs, temperatures, leak/smoke/door) and the lines'
// interface counters are written every 15 s, Prometheus' scrape interval
// (simsite.Fine); rack power (106 series), humidity, UPS output load and
// battery status, and the room's constants every --step (10 min): they
// follow the time of day only. --room-fine writes those every 15 s too;
// measured for the service year (2025-12-01 – 2026-12-05) at load ~21 on
// two cores: 157 M → 408 M samples, 424 MiB → 1.9 GiB of blocks, 178 s →
// 332 s to write — more than the 30 % make demo-reports may grow, so it is
// off by default.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/simhistory/tsdbwrite"
	"github.com/jianguan/jianguan/internal/simsite"
)

func main() {
	var (
		fromS    = flag.String("from", "", "first day the history covers completely (YYYY-MM-DD, Asia/Shanghai), e.g. reports.yml's service_start")
		toS      = flag.String("to", "", "end of history (RFC 3339; default: now rounded down to --step)")
		step     = flag.Duration("step", 600*time.Second, "sample interval outside the room's events (make demo's)")
		dir      = flag.String("tsdb", "", "Prometheus TSDB directory to write blocks into (required)")
		block    = flag.Duration("block", 7*24*time.Hour, "time span of one block")
		parallel = flag.Int("parallel", 1, "blocks written at once")
		maxDays  = flag.Int("max-days", 800, "refuse a history longer than this many days")
		roomFine = flag.Bool("room-fine", false, "sample every gauge of the room (rack power, humidity, UPS load) every 15 s like its event-driven ones, not every --step")
	)
	flag.Parse()
	if err := run(*fromS, *toS, *step, *dir, *block, *parallel, *maxDays, *roomFine); err != nil {
		fmt.Fprintln(os.Stderr, "sitehistory:", err)
		os.Exit(1)
	}
}

func run(fromS, toS string, step time.Duration, dir string, block time.Duration, parallel, maxDays int, roomFine bool) error {
	if dir == "" {
		return errors.New("--tsdb is required")
	}
	if step <= 0 || time.Hour%step != 0 {
		return fmt.Errorf("--step %v must divide an hour (period boundaries are whole hours)", step)
	}
	day, err := time.ParseInLocation("2006-01-02", fromS, calendar.Zone)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	end := time.Now().UTC().Truncate(step)
	if toS != "" {
		t, err := time.Parse(time.RFC3339, toS)
		if err != nil {
			return fmt.Errorf("--to: %w", err)
		}
		end = t.UTC().Truncate(step)
	}
	// From the first day's start: a month before it has no sample inside
	// (its trend row says 无数据, not 100 %).
	from := day.UTC().Truncate(step)
	if !from.Before(end) {
		return fmt.Errorf("--from %s is not before the end %s", fromS, end.Format(time.RFC3339))
	}
	if d := end.Sub(from); d > time.Duration(maxDays)*24*time.Hour {
		return fmt.Errorf("history of %.0f days exceeds --max-days=%d", d.Hours()/24, maxDays)
	}
	t0 := time.Now()
	sp, _, _ := simsite.Scenario(from, end, step)
	if roomFine {
		for i := range sp.Gauges {
			if g := &sp.Gauges[i]; strings.HasPrefix(g.Name, "env_") && !strings.HasPrefix(g.Name, "env_threshold_") && g.Of == nil && !g.Counter {
				g.Dense = true
			}
		}
	}
	st, err := tsdbwrite.Write(context.Background(), sp, dir, tsdbwrite.Options{Block: block, Parallel: parallel})
	if err != nil {
		return err
	}
	fmt.Printf("sitehistory: %s – %s, %d series, %d samples, %d blocks in %.1f s\n",
		from.Format(time.RFC3339), end.Format(time.RFC3339), st.Series, st.Samples, st.Blocks, time.Since(t0).Seconds())
	return nil
}
