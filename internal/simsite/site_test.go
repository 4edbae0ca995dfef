package simsite

import (
	"math"
	"sort"
	"testing"
	"time"

	sh "github.com/jianguan/jianguan/internal/simhistory"
)

const step = 15 * time.Second // Prometheus' production scrape interval

func month(t *testing.T) (sh.Spec, *Model, []Condition, time.Time, time.Time) {
	t.Helper()
	ms, me := sh.MonthBounds(2026, time.November)
	sp, m, conds := Scenario(ms.Add(-6*time.Hour), me.Add(2*time.Hour), step)
	return sp, m, conds, ms, me
}

// gauge returns the one series with this name whose labels include want.
func gauge(t *testing.T, sp sh.Spec, name string, want map[string]string) sh.Gauge {
	t.Helper()
	var found []sh.Gauge
	for _, g := range sp.Gauges {
		if g.Name != name {
			continue
		}
		ok := true
		for k, v := range want {
			if g.Labels[k] != v {
				ok = false
			}
		}
		if ok {
			found = append(found, g)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s%v: %d series, want 1", name, want, len(found))
	}
	return found[0]
}

func inside(ws []sh.Window, t time.Time) bool {
	for _, w := range ws {
		if !t.Before(w.Start) && t.Before(w.End) {
			return true
		}
	}
	return false
}

func entity(t *testing.T, sp sh.Spec, ns, key, val, cond string) *sh.Entity {
	t.Helper()
	for _, e := range sp.Entities {
		if e.NS == ns && e.Labels[key] == val && (cond == "" || e.Labels["condition"] == cond) {
			return e
		}
	}
	t.Fatalf("no %s entity %s=%s %s", ns, key, val, cond)
	return nil
}

// TestDemoConsistency (issue 24 item 2): every second a condition counts
// active is a second where the exported gauges say so, and the reverse; a
// report sampling the gauges every 15 s sees every temperature excursion
// the counters count; every event has its incidents; the month is the
// believable one the issue asks for.
func TestDemoConsistency(t *testing.T) {
	sp, m, conds, ms, me := month(t)
	// Every second where an event acts (m.Regions), every 15 s elsewhere:
	// a full per-second month for 60 conditions is too slow on a loaded
	// 2-core machine, and outside the regions no gauge moves (Reach).
	var seconds []time.Time
	for _, r := range m.Regions(ms, me) {
		for s := r.Start; s.Before(r.End); s = s.Add(time.Second) {
			seconds = append(seconds, s)
		}
	}
	for s := ms; s.Before(me); s = s.Add(step) {
		if !inside(m.Regions(ms, me), s) {
			seconds = append(seconds, s)
		}
	}
	val := func(name string, l map[string]string) func(time.Time) float64 { return gauge(t, sp, name, l).Value }
	// The gauge-side predicate of every condition, from the exported series only.
	gaugeSays := map[string]func(device string) func(time.Time) bool{
		"feed_lost": func(d string) func(time.Time) bool {
			f := val("env_feed_up", map[string]string{"feed": d})
			return func(t time.Time) bool { return f(t) == 0 }
		},
		"on_battery": func(d string) func(time.Time) bool {
			// both feeds lost and the battery draining
			f1, f2 := val("env_feed_up", map[string]string{"feed": Feeds[0]}), val("env_feed_up", map[string]string{"feed": Feeds[1]})
			r := val("env_ups_battery_runtime_seconds", map[string]string{"device": d})
			return func(t time.Time) bool { return f1(t) == 0 && f2(t) == 0 && r(t.Add(time.Second)) < r(t) }
		},
		"generator_running": func(d string) func(time.Time) bool {
			f := val("env_generator_running", map[string]string{"device": d})
			return func(t time.Time) bool { return f(t) == 1 }
		},
		"cooling_redundancy_lost": func(string) func(time.Time) bool {
			var fs []func(time.Time) float64
			for _, c := range CRACs {
				fs = append(fs, val("env_cooling_unit_running", map[string]string{"device": c}))
			}
			return func(t time.Time) bool {
				for _, f := range fs {
					if f(t) == 0 {
						return true
					}
				}
				return false
			}
		},
		"temperature_out_of_band": func(d string) func(time.Time) bool {
			f := val("env_temperature_celsius", map[string]string{"sensor": d})
			return func(t time.Time) bool { v := f(t); return v < BandLow || v > BandHigh }
		},
		"humidity_high": func(d string) func(time.Time) bool {
			f := val("env_humidity_ratio", map[string]string{"sensor": d})
			return func(t time.Time) bool { return f(t) > HumidityHigh }
		},
		"leak": func(d string) func(time.Time) bool {
			return is1(val("env_leak_detected", map[string]string{"sensor": d}))
		},
		"smoke": func(d string) func(time.Time) bool {
			return is1(val("env_smoke_detected", map[string]string{"sensor": d}))
		},
		"door_open": func(d string) func(time.Time) bool { return is1(val("env_door_open", map[string]string{"sensor": d})) },
		// A UPS on bypass for maintenance: the declared window.
		"ups_redundancy_lost": func(d string) func(time.Time) bool { return eventIn(m, Maintenance, d) },
	}
	for _, c := range conds {
		kind, dev := c.Entity.Labels["condition"], c.Entity.Labels["device"]
		mk, ok := gaugeSays[kind]
		if !ok {
			t.Fatalf("condition %s of %s has no gauge-side check", kind, dev)
		}
		says := mk(dev)
		mismatch := 0
		for _, s := range seconds {
			if inside(c.Entity.Outages, s) != says(s) {
				if mismatch == 0 {
					t.Errorf("%s %s: counted active %v at %s, gauges say %v", dev, kind, inside(c.Entity.Outages, s), s, says(s))
				}
				mismatch++
			}
		}
		// Gauges and counters agree: the month's counted seconds are the
		// gauges' seconds (nothing of the room is inside maintenance except
		// the UPS on bypass, counted as maintenance).
		tr := c.Entity.TruthFor(ms, me)
		n := 0.0
		for _, s := range seconds {
			if says(s) {
				n++
			}
		}
		if got := tr.Down + tr.MaintenanceDown; got != n {
			t.Errorf("%s %s: counters %v s (down %v + maintenance %v), gauges %v s", dev, kind, got, tr.Down, tr.MaintenanceDown, n)
		}
	}
	// A report samples each gauge every 15 s: every excursion the counters
	// count shows in its samples, no sample out of band lies outside one
	// (issue 24: "max 26.0 °C, min 22.0 °C, yet 79 s out of band").
	for _, s := range append(append([]string{}, RoomSensors...), AisleSensors...) {
		e := entity(t, sp, "env_condition", "device", s, "temperature_out_of_band")
		f := val("env_temperature_celsius", map[string]string{"sensor": s})
		seen := make([]bool, len(e.Outages))
		for x := sp.From; !x.After(sp.To); x = x.Add(step) {
			oob := outOfBand(f(x))
			in := false
			for i, w := range e.Outages {
				if !x.Before(w.Start) && x.Before(w.End) {
					in, seen[i] = true, seen[i] || oob
				}
			}
			if oob && !in {
				t.Errorf("%s: sample %.2f °C at %s out of band outside every counted excursion", s, f(x), x)
			}
		}
		for i, ok := range seen {
			if !ok {
				t.Errorf("%s: excursion %v not visible in any 15 s sample", s, e.Outages[i])
			}
		}
	}
	// Every event has its incidents.
	overlaps := func(e *sh.Entity, w sh.Window) bool {
		for _, o := range e.Outages {
			if o.Start.Before(w.End) && w.Start.Before(o.End) {
				return true
			}
		}
		return false
	}
	for _, ev := range m.Events {
		if !ev.Start.Before(me) || !ev.Start.After(ms) {
			continue
		}
		var want []*sh.Entity
		switch ev.Kind {
		case UtilityFailure:
			want = append(want, entity(t, sp, "env_condition", "device", Generator, "generator_running"),
				entity(t, sp, "env_condition", "device", "th-aisle-4", "temperature_out_of_band"),
				entity(t, sp, "env_condition", "device", "cooling", "cooling_redundancy_lost"))
			for _, f := range Feeds {
				want = append(want, entity(t, sp, "env_condition", "device", f, "feed_lost"))
			}
			for _, u := range UPSs {
				want = append(want, entity(t, sp, "env_condition", "device", u, "on_battery"))
			}
		case LineCut:
			want = append(want, entity(t, sp, "line", "line", ev.Target, ""))
			for _, e := range sp.Entities {
				if (e.NS == "host" || e.NS == "website") && e.Labels["path"] == ev.Target {
					want = append(want, e)
				}
			}
		case CRACFailure:
			want = append(want, entity(t, sp, "env_condition", "device", "cooling", "cooling_redundancy_lost"))
			// handled within N+1: no sensor leaves the band
			for _, c := range conds {
				if c.Entity.Labels["condition"] == "temperature_out_of_band" && overlaps(c.Entity, ev.Window) {
					t.Errorf("CRAC failure %v: %s out of band (N+1 should hold)", ev.Window, c.Entity.Labels["device"])
				}
			}
		case GeneratorTest:
			want = append(want, entity(t, sp, "env_condition", "device", Generator, "generator_running"))
		case HostDown:
			want = append(want, entity(t, sp, "host", "host", ev.Target, ""))
		case WebsiteDown:
			want = append(want, entity(t, sp, "website", "url", WebsiteURL(ev.Target), ""))
		case Leak, Smoke, DoorOpen:
			want = append(want, entity(t, sp, "env_condition", "device", ev.Target, string(ev.Kind)))
		}
		for _, e := range want {
			if !overlaps(e, ev.Window) {
				t.Errorf("event %s %s %v: no incident of %v", ev.Kind, ev.Target, ev.Window, e.Labels)
			}
		}
	}
	checkBelievable(t, sp, m, ms, me)
}

// checkBelievable: what issue 24 asks of the demo month — a breach of the
// BGP line's 99.99 % (at most 267.8 s down in a month); the planned line
// work counted as maintenance only; the room sensors never out of band;
// the hot-spot aisle out of band for minutes after each utility failure
// only; a guard period; and at least one event of every kind.
func checkBelievable(t *testing.T, sp sh.Spec, m *Model, ms, me time.Time) {
	t.Helper()
	bgp := entity(t, sp, "line", "line", BGPLine, "").TruthFor(ms, me)
	budget := (1 - BGPTarget) * me.Sub(ms).Seconds()
	if bgp.Down <= budget || len(bgp.Incidents) == 0 {
		t.Errorf("BGP line: %v s down in %d incidents, want a breach of the %v s budget", bgp.Down, len(bgp.Incidents), budget)
	}
	kinds := map[Kind]int{}
	planned, unplanned := map[string][]sh.Window{}, map[string][]sh.Window{}
	var maint []sh.Window
	for _, ev := range m.Events {
		if ev.Start.Before(ms) || !ev.Start.Before(me) {
			continue
		}
		kinds[ev.Kind]++
		if ev.Kind == Maintenance {
			maint = append(maint, ev.Window)
		}
	}
	for _, ev := range m.Events {
		if ev.Kind != LineCut || ev.Start.Before(ms) || !ev.Start.Before(me) {
			continue
		}
		if inside(maint, ev.Start) {
			planned[ev.Target] = append(planned[ev.Target], ev.Window)
		} else {
			unplanned[ev.Target] = append(unplanned[ev.Target], ev.Window)
		}
	}
	for _, k := range []Kind{UtilityFailure, LineCut, CRACFailure, Maintenance, GeneratorTest, DoorOpen, Leak, Smoke, HostDown, WebsiteDown, Guard} {
		if kinds[k] == 0 {
			t.Errorf("no %s event in the month", k)
		}
	}
	if kinds[GeneratorTest] != 1 {
		t.Errorf("%d generator test runs in the month, want 1", kinds[GeneratorTest])
	}
	if len(planned) == 0 {
		t.Error("no planned line work in the month's maintenance window")
	}
	for _, l := range Lines {
		tr := entity(t, sp, "line", "line", l.Name, "").TruthFor(ms, me)
		if want := measure(unplanned[l.Name]); tr.Down != want {
			t.Errorf("%s: down %v s, want %v s (its unplanned cuts)", l.Name, tr.Down, want)
		}
		if want := measure(planned[l.Name]); tr.MaintenanceDown != want {
			t.Errorf("%s: maintenance down %v s, want %v s (the planned work)", l.Name, tr.MaintenanceDown, want)
		}
	}
	for _, s := range RoomSensors {
		if tr := entity(t, sp, "env_condition", "device", s, "temperature_out_of_band").TruthFor(ms, me); tr.Down != 0 {
			t.Errorf("room sensor %s out of band %v s", s, tr.Down)
		}
	}
	uf := float64(kinds[UtilityFailure])
	if tr := entity(t, sp, "env_condition", "device", "th-aisle-4", "temperature_out_of_band").TruthFor(ms, me); float64(len(tr.Incidents)) != uf || tr.Down < 60*uf || tr.Down > 1800*uf {
		t.Errorf("hot-spot aisle: %v s in %d incidents, want one excursion of minutes after each of %v utility failures", tr.Down, len(tr.Incidents), uf)
	}
}

// measure is the seconds the windows cover (overlaps counted once).
func measure(ws []sh.Window) float64 {
	ws = append([]sh.Window(nil), ws...)
	sort.Slice(ws, func(i, j int) bool { return ws[i].Start.Before(ws[j].Start) })
	total, end := 0.0, time.Time{}
	for _, w := range ws {
		s := w.Start
		if s.Before(end) {
			s = end
		}
		if w.End.After(s) {
			total += w.End.Sub(s).Seconds()
			end = w.End
		}
	}
	return total
}

func is1(f func(time.Time) float64) func(time.Time) bool {
	return func(t time.Time) bool { return f(t) == 1 }
}

// TestDemoSupplyAirNotJudged (issue 24: the live demo's CRAC supply-air
// sensors at 18.5 °C were judged against the room band and kept four
// EnvTemperatureOutOfBand alerts pending): supply and return sensors carry
// their role and have no temperature condition; room and cold-aisle ones do.
func TestDemoSupplyAirNotJudged(t *testing.T) {
	sp, _, _, ms, _ := month(t)
	judged := map[string]bool{}
	for _, e := range sp.Entities {
		if e.Labels["condition"] == "temperature_out_of_band" {
			judged[e.Labels["device"]] = true
		}
	}
	for _, g := range sp.Gauges {
		if g.Name != "env_temperature_celsius" {
			continue
		}
		role, s := g.Labels["role"], g.Labels["sensor"]
		switch role {
		case "supply", "return":
			if judged[s] || judged[g.Labels["device"]] {
				t.Errorf("%s (%s air) is judged against the room band", s, role)
			}
			if v := g.Value(ms); role == "supply" && !(v < BandLow) {
				t.Errorf("%s supply air %.1f °C: want below the room band (cold supply air)", s, v)
			}
		case "room", "cold_aisle":
			if !judged[s] {
				t.Errorf("%s (%s) has no temperature condition", s, role)
			}
		default:
			t.Errorf("%s: role %q", s, role)
		}
	}
}

// TestDemoTopology (issue 24 item 1): the contract's site.
func TestDemoTopology(t *testing.T) {
	sp, m, _, ms, me := month(t)
	count := func(name string) int {
		n := 0
		for _, g := range sp.Gauges {
			if g.Name == name {
				n++
			}
		}
		return n
	}
	if n := count("env_rack_power_watts"); n != Racks || ReserveRacks*5 < Racks {
		t.Errorf("rack PDUs %d, want %d (reserve %d ≥ 20 %%)", n, Racks, ReserveRacks)
	}
	maxW := 0.0
	over4 := 0
	for _, g := range sp.Gauges {
		if g.Name == "env_rack_power_watts" {
			for x := ms; x.Before(me); x = x.Add(time.Hour) {
				v := g.Value(x)
				maxW = math.Max(maxW, v)
				if v > RackKW*1000 && g.Labels["rack"] != "R001" {
					over4++
				}
			}
		}
	}
	if maxW > MaxRackKW*1000 || over4 > 0 {
		t.Errorf("rack power: max %v W, %d samples of other racks above 4 kW", maxW, over4)
	}
	if len(UPSs) != 2 || len(Feeds) != 2 || len(CRACs) < 4 || count("env_cooling_unit_running") != len(CRACs) {
		t.Errorf("2N UPS, dual feeds, N+1 CRAC: %d %d %d", len(UPSs), len(Feeds), len(CRACs))
	}
	if r := m.Runtime(ms); r < UPSRuntimeFull.Seconds() {
		t.Errorf("UPS runtime %v s < 15 min", r)
	}
	bgp, leased := 0, 0
	for _, l := range Lines {
		switch {
		case l.Kind == "bgp" && l.BitsPerSecond == 1e9:
			bgp++
		case l.Kind == "leased" && l.BitsPerSecond == 200e6:
			leased++
		}
	}
	if bgp != 1 || leased != 4 {
		t.Errorf("lines: %d BGP 1 G, %d leased 200 M", bgp, leased)
	}
	units, provs := map[string]bool{}, map[string]bool{}
	for _, e := range sp.Entities {
		if e.NS == "host" || e.NS == "website" {
			units[e.Labels["unit"]], provs[e.Labels["provider"]] = true, true
		}
	}
	if len(units) < 3 || len(provs) < 3 {
		t.Errorf("%d units on %d providers", len(units), len(provs))
	}
	// The monthly generator test is in every month.
	tests := 0
	for _, ev := range m.Events {
		if ev.Kind == GeneratorTest && ev.Start.After(ms) && ev.Start.Before(me) {
			tests++
		}
	}
	if tests != 1 {
		t.Errorf("%d generator test runs in the month", tests)
	}
}

// TestDemoMonthsDiffer (issue 24, review of the demo): every month of the
// service year is a believable month of its own — every month has the
// events the issue asks for, and no two consecutive months have the same
// downtime for lines, hosts, websites or the room's conditions (the same
// events every month made every 环比 say 持平).
func TestDemoMonthsDiffer(t *testing.T) {
	first, _ := sh.MonthBounds(2025, time.December)
	_, last := sh.MonthBounds(2026, time.November)
	sp, m, _ := Scenario(first.Add(-6*time.Hour), last.Add(2*time.Hour), 600*time.Second)
	var prev map[string]float64
	for y, mo := 2025, time.December; ; {
		ms, me := sh.MonthBounds(y, mo)
		if ms.After(last) || ms.Equal(last) {
			break
		}
		name := ms.In(sh.Shanghai).Format("2006-01")
		t.Run(name, func(t *testing.T) { checkBelievable(t, sp, m, ms, me) })
		fig := map[string]float64{}
		for _, e := range sp.Entities {
			tr := e.TruthFor(ms, me)
			fig[e.NS] += tr.Down + tr.MaintenanceDown
			fig[e.NS+" incidents"] += float64(len(tr.Incidents))
		}
		for _, ns := range []string{"line", "host", "website", "env_condition"} {
			if fig[ns] == 0 {
				t.Errorf("%s: no %s downtime", name, ns)
			}
			if prev != nil && fig[ns] == prev[ns] {
				t.Errorf("%s: %s down %v s, the same as the month before", name, ns, fig[ns])
			}
		}
		prev = fig
		if mo++; mo > time.December {
			y, mo = y+1, time.January
		}
	}
}
