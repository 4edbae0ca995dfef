package main

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// Maintenance: downtime inside a window is counted apart.
func TestLineMaintenance(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 2, 0, 0, 0, avail.DefaultLocation)
	w, err := calendar.NewWindows([]calendar.MaintenanceWindow{{Start: "2026-11-29 02:00", End: "2026-11-29 02:01"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := avail.Rule{DownAfter: 3, UpAfter: 3}
	l := &line{tracker: avail.NewTracker(avail.Rule{DownAfter: 1, UpAfter: 1}, w)}
	s := &signal{kind: "icmp", line: l, tracker: avail.NewTracker(r, w)}
	s.tracker.RecordTransitions(t0)
	l.signals = []*signal{s}
	// Down from 51 s to 70 s (probes), dated midway: 50.5 s to 70.5 s, so
	// 9.5 s inside the window and 10.5 s after it.
	for i := 0; i <= 100; i++ {
		at := t0.Add(time.Duration(i) * time.Second)
		st := avail.Up
		if i > 50 && i <= 70 {
			st = avail.Down
		}
		s.observe(at, st, "timeout", "")
		l.evaluate(at)
	}
	snap := l.tracker.Snapshot(t0)
	if !near(snap.DownSeconds, 10.5) || !near(snap.MaintenanceDownSeconds, 9.5) || !near(snap.MaintenanceSeconds, 60) {
		t.Fatalf("%+v", snap.Counters)
	}
}

// A reload keeps unchanged lines running with their counters, drops
// removed lines' series and starts new lines. A changed line keeps its start
// time and the counters of the targets it still has (the report reads a
// month's increase from the values at both ends when the start time did not
// change); a target it no longer has loses its series.
func TestReloadKeepsLines(t *testing.T) {
	testutil.NeedRoot(t) // ICMP on loopback
	t.Parallel()
	cfg := func(lines ...string) string {
		return "defaults: {icmp_interval: 100ms}\nlines:\n" + strings.Join(lines, "")
	}
	a := "  - {name: a, kind: leased, site: s, icmp: [{address: 127.0.0.21}]}\n"
	b := "  - {name: b, kind: leased, site: s, icmp: [{address: 127.0.0.22}]}\n"
	c := "  - {name: c, kind: bgp, site: s, icmp: [{address: 127.0.0.23}]}\n"
	d := "  - {name: d, kind: leased, site: s, icmp: [{address: 127.0.0.24}, {address: 127.0.0.25}]}\n"
	d2 := "  - {name: d, kind: leased, site: s, icmp: [{address: 127.0.0.24}, {address: 127.0.0.26}]}\n"
	ex := startExporter(t, cfg(a, b, d))
	testenv.WaitFor(t, 10*time.Second, "a and b up", func() bool {
		f := scrape(t, ex.URL)
		return f.get("line_up", "line", "a") == 1 && f.get("line_up", "line", "b") == 1 && f.get("line_up", "line", "d") == 1
	})
	time.Sleep(time.Second)
	before := scrape(t, ex.URL)
	if err := os.WriteFile(ex.Cfg, []byte(cfg(a, c, d2)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := post(t, ex.URL+"/-/reload"); !strings.Contains(out, "reloaded") {
		t.Fatalf("reload: %s", out)
	}
	testenv.WaitFor(t, 10*time.Second, "c up, d's new target probed", func() bool {
		f := scrape(t, ex.URL)
		return f.get("line_up", "line", "c") == 1 && f.get("line_icmp_probes_total", "line", "d", "target", "127.0.0.26") > 0
	})
	after := scrape(t, ex.URL)
	if after.get("line_start_time_seconds", "line", "d") != before.get("line_start_time_seconds", "line", "d") {
		t.Error("changed line d got a new start time")
	}
	if after.get("line_icmp_probes_total", "line", "d", "target", "127.0.0.24") <= before.get("line_icmp_probes_total", "line", "d", "target", "127.0.0.24") {
		t.Error("changed line d: the counter of a target it kept restarted")
	}
	if v := after.get("line_icmp_probes_total", "line", "d", "target", "127.0.0.25"); !math.IsNaN(v) {
		t.Error("changed line d: the removed target's counter is still exported")
	}
	if v := after.get("line_icmp_rtt_seconds", "line", "d", "target", "127.0.0.25"); !math.IsNaN(v) {
		t.Error("changed line d: the removed target's RTT histogram is still exported")
	}
	if after.get("line_observed_seconds_total", "line", "a") <= before.get("line_observed_seconds_total", "line", "a") ||
		after.get("line_icmp_probes_total", "line", "a") <= before.get("line_icmp_probes_total", "line", "a") {
		t.Error("line a lost its counters on reload")
	}
	if after.get("line_unknown_seconds_total", "line", "a") != before.get("line_unknown_seconds_total", "line", "a") {
		t.Error("an unchanged line must not go unknown on reload")
	}
	for _, m := range []string{"line_up", "line_icmp_probes_total", "line_signal_up", "line_capacity_bytes_per_second"} {
		if v := after.get(m, "line", "b"); !math.IsNaN(v) {
			t.Errorf("%s of removed line b still exported", m)
		}
	}
	if after.get("line_config_last_reload_successful") != 1 {
		t.Error("reload not successful")
	}
}
