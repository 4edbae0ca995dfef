package report

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
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

// memQuerier is an in-memory store answering the availability queries of
// fetchAvailability: the series API, instant selectors with a 5 min
// lookback and raw range selectors ({…}[Nms] @ t).
type memQuerier struct {
	series []Series // labels include __name__; points oldest first
}

var (
	matcherRE = regexp.MustCompile(`([a-zA-Z_]+)=~("(?:[^"\\]|\\.)*")`)
	rawRE     = regexp.MustCompile(`^(\{.*\})\[(\d+)ms\] @ ([0-9.]+)$`)
	instRE    = regexp.MustCompile(`^(\{.*\}) @ ([0-9.]+)$`)
	fnRE      = regexp.MustCompile(`^(max_over_time|changes|last_over_time|count_over_time)\((\{.*\}\[\d+ms\] @ [0-9.]+)\)$`)
)

// overTime is PromQL's fn over the raw samples pts (oldest first).
func overTime(fn string, pts []Point) float64 {
	v := 0.0
	for i, p := range pts {
		switch {
		case fn == "count_over_time":
			v++
		case fn == "last_over_time":
			v = p.V
		case fn == "max_over_time":
			v = max(v, p.V)
		case i > 0 && fn == "changes" && p.V != pts[i-1].V:
			v++
		}
	}
	return v
}

func (m *memQuerier) match(sel string, l map[string]string) bool {
	for _, mm := range matcherRE.FindAllStringSubmatch(sel, -1) {
		v, _ := strconv.Unquote(mm[2])
		if !regexp.MustCompile("^(?:" + v + ")$").MatchString(l[mm[1]]) {
			return false
		}
	}
	return true
}

func (m *memQuerier) Query(ctx context.Context, expr string, t time.Time) ([]Series, error) {
	if f := fnRE.FindStringSubmatch(expr); f != nil {
		res, err := m.Query(ctx, f[2], t)
		for i, s := range res {
			res[i] = Series{Labels: stripName(s.Labels), Points: []Point{{T: t, V: overTime(f[1], s.Points)}}}
		}
		return res, err
	}
	var sel string
	var lo, hi float64
	if r := rawRE.FindStringSubmatch(expr); r != nil {
		d, _ := strconv.ParseFloat(r[2], 64)
		hi, _ = strconv.ParseFloat(r[3], 64)
		sel, lo = r[1], hi-d/1e3
	} else if r := instRE.FindStringSubmatch(expr); r != nil {
		hi, _ = strconv.ParseFloat(r[2], 64)
		sel, lo = r[1], hi-300
	} else {
		return nil, fmt.Errorf("memQuerier: unexpected query %s", expr)
	}
	var out []Series
	for _, s := range m.series {
		if !m.match(sel, s.Labels) {
			continue
		}
		var pts []Point
		for _, p := range s.Points {
			if t := float64(p.T.UnixMilli()) / 1e3; t > lo && t <= hi {
				pts = append(pts, p)
			}
		}
		if len(pts) == 0 {
			continue
		}
		if rawRE.MatchString(expr) {
			out = append(out, Series{Labels: s.Labels, Points: pts})
		} else {
			out = append(out, Series{Labels: s.Labels, Points: pts[len(pts)-1:]})
		}
	}
	return out, nil
}

func (m *memQuerier) QueryRange(context.Context, string, time.Time, time.Time, time.Duration) ([]Series, error) {
	return nil, nil
}

func (m *memQuerier) Series(_ context.Context, match string, start, end time.Time) ([]map[string]string, error) {
	var out []map[string]string
	name := match[:strings.Index(match, "{")]
	for _, s := range m.series {
		if s.Labels["__name__"] == name && len(s.Points) > 0 && !s.Points[0].T.After(end) && s.Points[len(s.Points)-1].T.After(start) {
			out = append(out, s.Labels)
		}
	}
	return out, nil
}

// TestWalkLifetimes: an entity restarted twice in the month, scraped every
// minute; the counters of each lifetime grow by 60 per scrape. With right
// start times the restarts are walked with short windows; with an exporter
// clock that stepped back (a start time before the month start, or before
// the previous lifetime's) the walk hands the entity to the raw samples.
// Every case gives the exact increase.
func TestWalkLifetimes(t *testing.T) {
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	m, _ := ParseMonth("2026-10", Shanghai, now)
	S, E := m.Start, m.End
	type life struct {
		started  time.Time // NS_start_time_seconds value
		from, to time.Time // scraped from … to
		base     float64   // counter value at `from`
	}
	build := func(lives []life) *memQuerier {
		mq := &memQuerier{}
		lbl := func(name string) map[string]string {
			return map[string]string{"__name__": name, "line": "l1", "site": "dc1"}
		}
		names := []string{"line_observed_seconds_total", "line_down_seconds_total", "line_maintenance_seconds_total",
			"line_maintenance_down_seconds_total", "line_state_changes_total", "line_start_time_seconds", "line_up", "line_unknown"}
		for _, n := range names {
			s := Series{Labels: lbl(n)}
			for _, l := range lives {
				v := l.base
				for ts := l.from; !ts.After(l.to); ts = ts.Add(time.Minute) {
					x := v
					switch n {
					case "line_start_time_seconds":
						x = float64(l.started.UnixMilli()) / 1e3
					case "line_up":
						x = 1
					case "line_down_seconds_total", "line_maintenance_seconds_total", "line_maintenance_down_seconds_total", "line_state_changes_total", "line_unknown":
						x = 0
					}
					s.Points = append(s.Points, Point{T: ts, V: x})
					v += 60
				}
			}
			mq.series = append(mq.series, s)
		}
		return mq
	}
	crash1, crash2 := S.Add(time.Hour), S.Add(5*24*time.Hour)
	grown := func(l life, from time.Time) float64 { // 60 per scrape after `from`
		return 60 * float64(l.to.Sub(from)/time.Minute)
	}
	a := life{started: S.Add(-10 * 24 * time.Hour), from: S.Add(-2 * time.Hour), to: crash1, base: 1e6}
	c := life{started: crash2.Add(20 * time.Second), from: crash2.Add(time.Minute), to: E, base: 0}
	b := func(started time.Time) life {
		return life{started: started, from: crash1.Add(time.Minute), to: crash2.Add(-30 * time.Second), base: 0}
	}
	// z ran into the month, x started 40 min in, y 51 min in with its
	// exporter's clock 31 min behind (start time before x's).
	z := life{started: S.Add(-10 * 24 * time.Hour), from: S.Add(-2 * time.Hour), to: S.Add(5 * time.Minute), base: 1e6}
	x := life{started: S.Add(40 * time.Minute), from: S.Add(41 * time.Minute), to: S.Add(50 * time.Minute), base: 0}
	y := life{started: S.Add(20 * time.Minute), from: S.Add(51 * time.Minute), to: E, base: 0}
	for _, tc := range []struct {
		name  string
		lives []life
		want  float64
		path  string
	}{
		{"right clock", []life{a, b(crash1.Add(30 * time.Second)), c},
			grown(a, S) + grown(b(S), crash1.Add(time.Minute)) + grown(c, c.from), "start_time_seconds"},
		{"clock stepped back before the month start", []life{a, b(crash1.Add(-3*time.Hour - 30*time.Minute)), c},
			grown(a, S) + grown(b(S), crash1.Add(time.Minute)) + grown(c, c.from), "piecewise"},
		{"clock behind: the window misses the lifetime", []life{z, x, y},
			grown(z, S) + grown(x, x.from) + grown(y, y.from), "piecewise"},
	} {
		mq := build(tc.lives)
		cfg := DefaultConfig()
		if err := cfg.normalise(); err != nil {
			t.Fatal(err)
		}
		r := &run{ctx: context.Background(), q: mq, cfg: cfg, month: m}
		es, err := r.fetchAvailability("line")
		if err != nil {
			t.Fatal(tc.name, err)
		}
		if len(es) != 1 {
			t.Fatalf("%s: %d entities", tc.name, len(es))
		}
		got := es[0].Counters["line_observed_seconds_total"]
		if got.Delta != tc.want || got.Resets != 2 || !strings.Contains(got.Note, tc.path) {
			t.Errorf("%s: %+v, want delta %v with 2 resets via %s", tc.name, got, tc.want, tc.path)
		}
	}
}
