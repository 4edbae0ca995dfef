package rules

import (
	"flag"
	"os"
	"strconv"
	"testing"
)

// parallelDefault replaces go test's default -parallel (GOMAXPROCS, 2 on the
// CI machine) for this package unless -parallel is given. The package's
// parallel tests are three end-to-end tests that mostly wait for scrape,
// evaluation and notification intervals (55-100 s each) and 30 promtool
// processes of one thread each (TestPromtoolTestRules, runBatch). With two
// slots the waiting end-to-end tests held both for minutes while the cores
// idled and the promtool jobs queued behind them, the longest last; with all
// of them started at once the promtool jobs share the cores and the
// end-to-end tests wait beside them (issue 23, CI time). Twelve, not all 33
// at once: go test runs another package beside this one, and the two
// long-range files start first (TestPromtoolTestRules), so the short ones
// fill the slots they leave.
const parallelDefault = 12

func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		if err := flag.Set("test.parallel", strconv.Itoa(parallelDefault)); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
