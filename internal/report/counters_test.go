package report

import (
	"strings"
	"testing"
)

// TestLifetimeSum: the piecewise sum of the fallback path tells lifetimes
// apart by NS_start_time_seconds, so a restart whose new counter already
// exceeds the old value (invisible to resets()) is still a reset.
func TestLifetimeSum(t *testing.T) {
	const S = 1_000_000_000
	sc := func(t int64, v, started float64) scrape {
		return scrape{t: t, vals: map[string]float64{"c": v, "st": started}}
	}
	noStart := func(t int64, v float64) scrape { return scrape{t: t, vals: map[string]float64{"c": v}} }
	base := sc(S, 100, 1)
	for _, tc := range []struct {
		name       string
		base       *scrape
		in         []scrape
		delta      float64
		resets     int
		noteSubstr string
	}{
		{"no reset", &base, []scrape{sc(S+300e3, 400, 1), sc(S+600e3, 700, 1)}, 600, 0, ""},
		{"value went down", &base, []scrape{sc(S+300e3, 400, 1), sc(S+600e3, 50, 2), sc(S+900e3, 350, 2)}, 300 + 350, 1, "1 counter reset"},
		{"start time changed, value went up", &base, []scrape{sc(S+300e3, 400, 1), sc(S+9000e3, 500, 2)}, 300 + 500, 1, "1 counter reset"},
		{"began in the month", nil, []scrape{sc(S+300e3, 20, 5), sc(S+600e3, 320, 5)}, 320, 0, "began inside the month"},
		{"old exporter without start time", func() *scrape { b := noStart(S, 100); return &b }(), []scrape{noStart(S+300e3, 400), noStart(S+600e3, 10)}, 300 + 10, 1, "1 counter reset"},
		{"scrape gap at the month start", func() *scrape { b := sc(S-3600e3, 100, 1); return &b }(), []scrape{sc(S+300e3, 4000, 1)}, 3900, 0, "3600 s older"},
		{"restart at 0 (no start time)", func() *scrape { b := noStart(S, 100); return &b }(), []scrape{noStart(S+1e3, 100), noStart(S+2e3, 0), noStart(S+3e3, 0), noStart(S+4e3, 7)}, 7, 1, "1 counter reset"},
		{"two restarts", &base, []scrape{sc(S+1e3, 101, 1), sc(S+2e3, 1, 2), sc(S+3e3, 2, 3), sc(S+4e3, 7, 3)}, 1 + 1 + 7, 2, "2 counter reset"},
	} {
		c := lifetimeSum("c", "st", tc.base, tc.in, S)
		if c.Delta != tc.delta || c.Resets != tc.resets || !strings.Contains(c.Note, tc.noteSubstr) {
			t.Errorf("%s: delta %v resets %d note %q; want %v, %d, %q", tc.name, c.Delta, c.Resets, c.Note, tc.delta, tc.resets, tc.noteSubstr)
		}
	}
}
