// Command jianguan-history writes simulated exporter history (OpenMetrics)
// for `promtool tsdb create-blocks-from openmetrics`, e.g. for `make demo`
// and `make bench-report`:
//
//	jianguan-history --days=35 --lines=20 --hosts=60 --websites=20 --step=60s -o history.om
//	promtool tsdb create-blocks-from openmetrics history.om data/
//
// or straight into a TSDB directory (what `make demo` uses):
//
//	jianguan-history --days=35 --tsdb=/var/lib/prometheus/metrics2
//	jianguan-report --all --out-dir=out        # last month's four reports
//
// The demo history always covers the whole of last month (Asia/Shanghai).
// --scenario=test writes the hand-placed test month instead (--month=YYYY-MM);
// --scenario=site the contract's machine room from one physical model
// (internal/simsite; same span as demo, --lines/--hosts/--websites ignored).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/simsite"
)

func main() {
	var (
		days     = flag.Int("days", 35, "days of history ending at --end")
		endS     = flag.String("end", "", "end of history (RFC 3339; default: now rounded down to the step)")
		step     = flag.Duration("step", 60*time.Second, "sample interval")
		lines    = flag.Int("lines", 20, "lines")
		hosts    = flag.Int("hosts", 60, "hosts")
		websites = flag.Int("websites", 20, "websites")
		scenario = flag.String("scenario", "demo", "demo | test | site")
		month    = flag.String("month", "", "month for --scenario=test (YYYY-MM)")
		out      = flag.String("o", "-", "output file (- = stdout)")
		tsdb     = flag.String("tsdb", "", "instead of OpenMetrics, backfill this Prometheus TSDB directory directly (runs promtool in day-sized chunks)")
		promtool = flag.String("promtool", "/usr/bin/promtool", "promtool binary for --tsdb")
	)
	flag.Parse()
	var sp simhistory.Spec
	switch *scenario {
	case "demo", "site":
		end := time.Now().UTC().Truncate(*step)
		if *endS != "" {
			t, err := time.Parse(time.RFC3339, *endS)
			if err != nil {
				fail(err)
			}
			end = t.Truncate(*step)
		}
		from := end.Add(-time.Duration(*days) * 24 * time.Hour)
		// Always cover the whole of last month (Asia/Shanghai) so its reports can be rendered.
		lt := end.In(simhistory.Shanghai)
		lastMonth := time.Date(lt.Year(), lt.Month(), 1, 0, 0, 0, 0, simhistory.Shanghai).AddDate(0, -1, 0)
		if lastMonth.Add(-6 * time.Hour).Before(from) {
			from = lastMonth.Add(-6 * time.Hour).UTC().Truncate(*step)
		}
		if *scenario == "site" {
			sp, _, _ = simsite.Scenario(from, end, *step)
		} else {
			sp = simhistory.DemoScenario(from, end, *step, *lines, *hosts, *websites)
		}
	case "test":
		t, err := time.Parse("2006-01", *month)
		if err != nil {
			fail(fmt.Errorf("--month: %v", err))
		}
		sp = simhistory.TestScenario(t.Year(), t.Month(), *step)
	default:
		fail(fmt.Errorf("unknown --scenario %q", *scenario))
	}
	if *tsdb != "" {
		if err := simhistory.Backfill(context.Background(), *promtool, sp, *tsdb); err != nil {
			fail(err)
		}
		return
	}
	var w io.Writer = os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fail(err)
		}
		defer f.Close()
		w = f
	}
	if err := simhistory.WriteOpenMetrics(w, sp); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "jianguan-history:", err)
	os.Exit(1)
}
