package rules

import (
	"testing"
	"time"
)

// TestDefect17_PagesFromCounters: issue 17 item 12 — LineDown read only the
// line_up gauge, so a confirmed outage shorter than a scrape interval, one
// hidden by an exporter restart, or one that ended while Prometheus was
// stopped never paged. LineDown now also fires when line_down_seconds_total
// grew within one exporter lifetime (or a young lifetime counted down
// seconds), held ≥ 30 s so Alertmanager's group_wait never swallows it; a
// counter reset or a restored lifetime never pages by itself; maintenance
// never pages. tests/line_pages_counted_test.yml, with both promtools.
func TestDefect17_PagesFromCounters(t *testing.T) {
	for _, p := range promtools(t) {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			out := runBatch(t, 2*time.Minute, p.path, "test", "rules", "tests/line_pages_counted_test.yml")
			t.Log(out)
		})
	}
}
