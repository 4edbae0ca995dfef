package truthgen

import (
	"fmt"
	"math/rand"
	"sort"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/metricnames"
)

// Shanghai is the report zone, calendar.Zone.
var Shanghai = calendar.Zone

// Month returns the bounds [start, end) of a calendar month in Asia/Shanghai
// (calendar.Month), in UTC.
func Month(year int, m time.Month) (time.Time, time.Time) {
	p := calendar.Month(year, m)
	return p.Start.UTC(), p.End.UTC()
}

// Validate checks what the truth model assumes: events sorted, each entity
// begins with a Start, and every Stop and Remove is at a scrape instant (the
// exporter's counts up to it are then in a sample; counts between the last
// scrape and a stop are lost by a real exporter and would make the truth
// ambiguous).
func (sc *Scenario) Validate() error {
	on := func(t time.Time) bool {
		d := t.Sub(sc.From.Add(sc.Phase))
		return d >= 0 && d%sc.Step == 0 && !t.After(sc.To)
	}
	for _, e := range sc.Entities {
		if len(e.Events) == 0 || e.Events[0].Kind != Start {
			return fmt.Errorf("%s %s: the first event must be a Start", e.NS, e.Name())
		}
		for i, ev := range e.Events {
			if i > 0 && ev.At.Before(e.Events[i-1].At) {
				return fmt.Errorf("%s %s: event %d at %s is before the previous one", e.NS, e.Name(), i, ev.At)
			}
			if (ev.Kind == Stop || ev.Kind == Remove) && !on(ev.At) {
				return fmt.Errorf("%s %s: event %d (stop/remove) at %s is not a scrape instant", e.NS, e.Name(), i, ev.At)
			}
		}
	}
	return nil
}

// Scrape returns the first scrape instant at or after t.
func (sc *Scenario) Scrape(t time.Time) time.Time {
	first := sc.From.Add(sc.Phase)
	if !t.After(first) {
		return first
	}
	n := (t.Sub(first) + sc.Step - 1) / sc.Step
	return first.Add(n * sc.Step)
}

func line(name string) map[string]string {
	return map[string]string{"line": name, "kind": "bgp", "provider": "tg-" + name, "site": "tg"}
}

// Months are the report months Defects covers: 28, 31 and 30 days in
// Asia/Shanghai.
var Months = []struct {
	Year  int
	Month time.Month
	Days  int
}{{2026, time.February, 28}, {2026, time.March, 31}, {2026, time.April, 30}}

// DefectStep and DefectPhase: scrapes every 300 s, 289.3 s after each 5 min
// boundary, so the last scrape before every month edge is 10.7 s before it
// (issue 17 item 5: a 10.7 s shift turned 达标 into 未达标).
const (
	DefectStep  = 300 * time.Second
	DefectPhase = 289300 * time.Millisecond
)

// Defects is issue 17's scenario over February–April 2026 (Asia/Shanghai):
//
//   - tg-restart: the exporter stops 20 min into a 1 h outage and starts
//     again 5 min later (February);
//   - tg-gap: a 2 h scrape gap with the recovery inside it (March; two
//     scrapes saw the line down before the gap);
//   - tg-removed: the target is removed 30 min into an outage (April; the
//     series ends inside the period);
//   - tg-unknown: a 10 min outage whose last 3 min are unknown (February);
//   - tg-boundary: an outage from 1 h before 1 March to 260 s after it: 260 s
//     in March, under the 267.84 s budget of 99.99 % — 达标 only if the
//     10.7 s between the last scrape of February and the edge are left out;
//   - tg-end: an outage from 240 s before the end of April, ongoing;
//   - tg-steady: up throughout (observed = the month to the millisecond);
//   - tg-new: first started on 10 April (the series starts inside April);
//   - tg-flap: unknown from 5 s before 1 April, down from 100 s after it
//     for 1100 s: the scrape straddling the edge holds an unknown spell and
//     a change, so April's observed time has an edge bound (the report
//     states it);
//   - env_condition tg-ups1: ok throughout (the infrastructure report's
//     entity), and its room's temperature with samples exactly on the March
//     edges: 20 °C at 1 March 00:00 (March's minimum), 10 °C 1 ms before it
//     (February's), 35 °C on 15 March (March's maximum), 36 °C at 1 April
//     00:00 (April's, not March's).
func Defects() *Scenario {
	febS, _ := Month(2026, time.February)
	marS, marE := Month(2026, time.March)
	aprS, aprE := Month(2026, time.April)
	sc := &Scenario{From: febS.Add(-6 * time.Hour), To: aprE.Add(2 * time.Hour), Step: DefectStep, Phase: DefectPhase}
	start := Event{At: sc.From.Add(-time.Hour), Kind: Start}
	day := func(s time.Time, d, hh, mm, ss int) time.Time {
		return s.Add(time.Duration(d-1)*24*time.Hour + time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second)
	}
	st := func(t time.Time, s State) Event { return Event{At: t, Kind: SetState, State: s} }
	ev := func(t time.Time, k EventKind) Event { return Event{At: t, Kind: k} }
	restartDown := day(febS, 10, 3, 0, 0)
	stop := sc.Scrape(restartDown.Add(20 * time.Minute))
	gapDown := day(marS, 5, 10, 0, 0)
	remDown := day(aprS, 20, 8, 0, 0)
	sc.Entities = []*Entity{
		{NS: "line", Labels: line("tg-restart"), Events: []Event{start, st(restartDown, Down), ev(stop, Stop),
			ev(stop.Add(5*time.Minute), Start), st(restartDown.Add(time.Hour), Up)}},
		{NS: "line", Labels: line("tg-gap"), Events: []Event{start, st(gapDown, Down), ev(gapDown.Add(12*time.Minute), GapStart),
			st(gapDown.Add(60*time.Minute), Up), ev(gapDown.Add(132*time.Minute), GapEnd)}},
		{NS: "line", Labels: line("tg-removed"), Events: []Event{start, st(remDown, Down), ev(sc.Scrape(remDown.Add(30*time.Minute)), Remove)}},
		{NS: "line", Labels: line("tg-unknown"), Events: []Event{start, st(day(febS, 20, 14, 0, 0), Down),
			st(day(febS, 20, 14, 7, 0), Unknown), st(day(febS, 20, 14, 10, 0), Up)}},
		{NS: "line", Labels: line("tg-boundary"), Events: []Event{start, st(marS.Add(-time.Hour), Down), st(marS.Add(260*time.Second), Up)}},
		{NS: "line", Labels: line("tg-end"), Events: []Event{start, st(aprE.Add(-240*time.Second), Down)}},
		{NS: "line", Labels: line("tg-steady"), Events: []Event{start}},
		{NS: "line", Labels: line("tg-new"), Events: []Event{{At: day(aprS, 10, 3, 0, 0), Kind: Start}}},
		{NS: "line", Labels: line("tg-flap"), Events: []Event{start, st(aprS.Add(-5*time.Second), Unknown), st(aprS.Add(100*time.Second), Down),
			st(aprS.Add(1200*time.Second), Up)}},
		{NS: "env_condition", Labels: map[string]string{"site": "tg", "room": "tg-room", "device": "tg-ups1", "condition": "on_battery"},
			Events: []Event{start}},
	}
	temp := Gauge{Name: metricnames.EnvTemperatureCelsius, Labels: map[string]string{"site": "tg", "room": "tg-room", "sensor": "tg-t1", "role": "room"}}
	special := map[int64]float64{
		marS.UnixMilli():                        20,
		marS.Add(-time.Millisecond).UnixMilli(): 10,
		day(marS, 15, 12, 0, 0).UnixMilli():     35,
		marE.UnixMilli():                        36,
	}
	for t := sc.From.Add(sc.Phase); !t.After(sc.To); t = t.Add(sc.Step) {
		if _, ok := special[t.UnixMilli()]; !ok {
			special[t.UnixMilli()] = 25
		}
	}
	temp.Samples = sortedSamples(special)
	sc.Gauges = []Gauge{temp}
	return sc
}

func sortedSamples(m map[int64]float64) []GaugeSample {
	out := make([]GaugeSample, 0, len(m))
	for t, v := range m {
		out = append(out, GaugeSample{T: time.UnixMilli(t).UTC(), V: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].T.Before(out[j].T) })
	return out
}

// Random is a scenario of n lines over one Asia/Shanghai month (and 6 h
// either side), each with a schedule drawn from rand.New(seed+i): outages,
// unknown spells, exporter restarts, scrape gaps and sometimes a removal,
// at 300 s scrapes with a random phase. Line i is named "rnd-<seed>-<i>".
func Random(seed int64, n int, year int, m time.Month) *Scenario {
	s, e := Month(year, m)
	rng := rand.New(rand.NewSource(seed))
	step := 300 * time.Second
	sc := &Scenario{From: s.Add(-6 * time.Hour), To: e.Add(6 * time.Hour), Step: step,
		Phase: time.Duration(rng.Int63n(int64(step/time.Millisecond))) * time.Millisecond}
	span := sc.To.Sub(sc.From)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("rnd-%d-%d", seed, i)
		evs := []Event{{At: sc.From.Add(-time.Hour), Kind: Start}}
		type act struct {
			at   time.Time
			evs  []Event
			stop bool
		}
		var acts []act
		at := func() time.Time {
			return sc.From.Add(time.Duration(rng.Int63n(int64(span-4*time.Hour)/1e3))*time.Microsecond + time.Hour).Truncate(time.Millisecond)
		}
		for k := 3 + rng.Intn(5); k > 0; k-- { // outages of 5 s … 2 h, some with an unknown tail
			a := at()
			d := time.Duration(5+rng.Int63n(7200)) * time.Second
			x := act{at: a, evs: []Event{{At: a, Kind: SetState, State: Down}}}
			if rng.Intn(3) == 0 {
				x.evs = append(x.evs, Event{At: a.Add(d / 2), Kind: SetState, State: Unknown})
			}
			x.evs = append(x.evs, Event{At: a.Add(d), Kind: SetState, State: Up})
			acts = append(acts, x)
		}
		for k := rng.Intn(3); k > 0; k-- { // exporter restarts
			a := sc.Scrape(at())
			acts = append(acts, act{at: a, evs: []Event{{At: a, Kind: Stop}, {At: a.Add(time.Duration(30+rng.Int63n(600)) * time.Second), Kind: Start}}, stop: true})
		}
		for k := rng.Intn(3); k > 0; k-- { // scrape gaps of 3 min … 3 h
			a := at()
			acts = append(acts, act{at: a, evs: []Event{{At: a, Kind: GapStart}, {At: a.Add(time.Duration(180+rng.Int63n(3*3600)) * time.Second), Kind: GapEnd}}})
		}
		// Keep the schedule well-formed: drop an act that overlaps an
		// earlier one (one thing at a time keeps states unambiguous).
		var kept []act
		end := func(x act) time.Time { return x.evs[len(x.evs)-1].At.Add(StartupUnknown) }
		for _, x := range acts {
			ok := true
			for _, y := range kept {
				if !(end(x).Before(y.at) || end(y).Before(x.at)) {
					ok = false
					break
				}
			}
			if ok {
				kept = append(kept, x)
			}
		}
		for _, x := range kept {
			evs = append(evs, x.evs...)
		}
		if rng.Intn(4) == 0 { // removed (maybe while down) in the last days, outside the other acts
			a := sc.Scrape(e.Add(-time.Duration(1+rng.Intn(72)) * time.Hour))
			x := act{at: a.Add(-10 * time.Minute), evs: []Event{{At: a.Add(-10 * time.Minute), Kind: SetState, State: Down}, {At: a, Kind: Remove}}}
			ok := true
			for _, y := range kept {
				ok = ok && (end(x).Before(y.at) || end(y).Before(x.at))
			}
			if ok {
				evs = append(evs, x.evs...)
			}
		}
		sortEvents(evs)
		// events after a removal never happen
		for j, x := range evs {
			if x.Kind == Remove {
				evs = evs[:j+1]
				break
			}
		}
		sc.Entities = append(sc.Entities, &Entity{NS: "line", Labels: line(name), Events: evs})
	}
	return sc
}

func sortEvents(evs []Event) {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
}
