package simhistory

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
)

func TestBackfillSmoke(t *testing.T) {
	if os.Getenv("SIM_BENCH") == "" {
		t.Skip("set SIM_BENCH=1")
	}
	pt := testutil.Need(t, "promtool")
	sp := TestScenario(2026, time.October, 300*time.Second)
	st := time.Now()
	if err := Backfill(context.Background(), pt, sp, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	t.Logf("backfill %v", time.Since(st))
}
