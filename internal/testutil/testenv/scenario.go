package testenv

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/testutil"
)

// StartTestScenario serves the report tests' October 2026 scenario
// (simhistory.TestScenario at 300 s steps, backfilled once per machine by
// simhistory.CachedBackfill) from a real Prometheus (Debian's 2.42) and
// returns its base URL: the shared fixture of the report, evaluation, CLI and
// plugin tests. It skips the test when promtool or prometheus is missing
// (testutil.Need).
func StartTestScenario(t testing.TB) string {
	t.Helper()
	promtool := testutil.Need(t, "promtool")
	prom := testutil.Need(t, "prometheus")
	sp := simhistory.TestScenario(2026, time.October, 300*time.Second)
	dir := filepath.Join(t.TempDir(), "data")
	if err := simhistory.CachedBackfill(context.Background(), promtool, sp, "test", dir); err != nil {
		t.Fatal(err)
	}
	return StartPrometheus(t, prom, dir)
}
