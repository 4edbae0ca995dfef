// Package simsite is the contract's machine room (/work/shared/contract.md,
// item 1) as one physical model: its topology, its calendar and the events
// of every calendar month (Asia/Shanghai), from which every demo series is
// derived — gauges (feeds, UPS, generator, temperatures, rack power) and
// the availability counters of lines, hosts, websites and env conditions.
// A condition is active exactly in the seconds its gauges say so (the
// windows are found by evaluating the same value functions second by
// second), so a report can never state seconds out of band while its
// gauges stayed in band (issue 24 item 2; TestDemoConsistency).
package simsite

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/jianguan/jianguan/internal/metricnames"
	sh "github.com/jianguan/jianguan/internal/simhistory"
)

// The contract's figures.
const (
	Racks        = 106 // hosted racks
	ReserveRacks = 22  // 20 % reserve, rounded up (106 × 0.2 = 21.2)
	RackKW       = 4.0 // per rack
	MaxRackKW    = 5.0 // one rack may draw up to 5 kW
	// UPSRuntimeFull is the battery runtime of one UPS path at full load
	// (contract: ≥ 15 min); at the room's load the runtime gauge shows more.
	UPSRuntimeFull = 15 * time.Minute
	// BandLow/BandHigh: the room band judged at room and cold-aisle sensors.
	BandLow, BandHigh = 21.0, 27.0
	// HumidityHigh: relative humidity ≤ 60 %.
	HumidityHigh = 0.60
	// BGPTarget: availability of the 1 G BGP line (the only line target).
	BGPTarget = 0.9999
	// GeneratorStart is how long the generator takes from a utility failure
	// to carry the load (start + ATS transfer): the UPS runs on battery
	// for exactly this long; CoolingRestart how long the CRACs (not on UPS)
	// stay off after a transfer.
	GeneratorStart = 40 * time.Second
	CoolingRestart = 160 * time.Second
	// GeneratorCooldown: the generator runs on after the utility returns.
	GeneratorCooldown = 5 * time.Minute
)

// Thresholds of the room as env_exporter is configured with them (its
// thresholds: block; the contract's band, humidity, runtime and rack power:
// 4 kW a rack, one rack up to 5 kW, so the warning is just below 5 kW).
var Thresholds = []struct {
	Name  string
	Value float64
}{
	{"temperature_low_celsius", BandLow}, {"temperature_high_celsius", BandHigh}, {"humidity_high_ratio", HumidityHigh},
	{"ups_runtime_min_seconds", 900}, {"rack_power_warning_watts", 4900}, {"rack_power_critical_watts", MaxRackKW * 1000},
}

// Site names.
const (
	SiteName = "dc1"
	Room     = "A101"
	BGPLine  = "ct-bgp-1"
)

// Line is one carrier line.
type Line struct {
	Name, Kind, Provider string
	BitsPerSecond        float64
}

// Lines: one 1 G BGP internet line and four 200 M leased lines.
var Lines = []Line{
	{BGPLine, "bgp", "中国电信", 1e9},
	{"ct-leased-1", "leased", "中国电信", 200e6},
	{"cu-leased-2", "leased", "中国联通", 200e6},
	{"cm-leased-3", "leased", "中国移动", 200e6},
	{"cu-leased-4", "leased", "中国联通", 200e6},
}

// Device names of the room.
var (
	Feeds        = []string{"feed-1", "feed-2"} // dual utility feeds, different substations
	UPSs         = []string{"ups-a", "ups-b"}   // 2N
	Generator    = "gen-1"
	CRACs        = []string{"crac-1", "crac-2", "crac-3", "crac-4"} // N+1, N = 3
	RoomSensors  = []string{"th-room-1", "th-room-2"}
	AisleSensors = []string{"th-aisle-1", "th-aisle-2", "th-aisle-3", "th-aisle-4"}
	Leaks        = []string{"leak-rope-1", "leak-rope-2"}
	Smokes       = []string{"smoke-1", "smoke-2", "vesda-1"} // point detectors and very-early smoke detection
	Doors        = []string{"door-main", "door-ups"}
)

// Unit is one user unit with hosts and websites on cloud providers.
type Unit struct {
	Name      string
	Providers []string
	Hosts     int
	Websites  int
}

// Units of the demo: several units, several providers.
var Units = []Unit{
	{"市财政局", []string{"阿里云", "政务云"}, 6, 2},
	{"市政府办公厅", []string{"华为云", "政务云"}, 4, 3},
	{"市公安局", []string{"政务云"}, 5, 1},
	{"市卫健委", []string{"腾讯云", "阿里云"}, 4, 2},
	{"市教育局", []string{"华为云", "腾讯云"}, 5, 2},
}

// pathOf is the line a host of this provider is reached through: the
// government cloud over the leased lines, public clouds over the BGP line.
func pathOf(provider string, i int) string {
	if provider == "政务云" {
		return Lines[1+i%4].Name
	}
	return BGPLine
}

// Kind of an event.
type Kind string

// Event kinds.
const (
	UtilityFailure Kind = "utility_failure" // both feeds (regional): UPS on battery, generator starts, cooling restarts
	LineCut        Kind = "line_cut"        // the line and every host reached through it are down
	CRACFailure    Kind = "crac_failure"    // one unit fails; N+1 holds the room in band
	Maintenance    Kind = "maintenance"     // declared window: UPS on bypass, a line's planned work
	GeneratorTest  Kind = "generator_test"  // the monthly test run
	DoorOpen       Kind = "door_open"
	Leak           Kind = "leak"
	Smoke          Kind = "smoke"
	HostDown       Kind = "host_down" // a host's own failure
	WebsiteDown    Kind = "website_down"
	Guard          Kind = "guard_period"
)

// Event is one thing that happened; Target names the device, line, host
// or website it happened to.
type Event struct {
	Kind   Kind
	Target string
	sh.Window
}

// Holidays of 2026 (the service year): key holidays are guard periods.
var Holidays = []struct {
	Name     string
	From, To string // dates, Asia/Shanghai, inclusive
}{
	{"元旦", "2026-01-01", "2026-01-03"}, {"春节", "2026-02-15", "2026-02-23"}, {"清明", "2026-04-04", "2026-04-06"},
	{"五一", "2026-05-01", "2026-05-05"}, {"端午", "2026-06-19", "2026-06-21"}, {"国庆", "2026-10-01", "2026-10-08"},
}

// Events returns the events of every calendar month that overlaps
// [from, to), plus the holiday guard periods. Each month is drawn from a
// generator seeded by the month (monthEvents): the same history at every
// run, a different month each month, so the reports' 环比 move.
func Events(from, to time.Time) []Event {
	var ev []Event
	lf := from.In(sh.Shanghai)
	for m := time.Date(lf.Year(), lf.Month(), 1, 0, 0, 0, 0, sh.Shanghai); m.Before(to); m = m.AddDate(0, 1, 0) {
		ev = append(ev, monthEvents(m)...)
	}
	for _, h := range Holidays {
		a, _ := time.ParseInLocation("2006-01-02", h.From, sh.Shanghai)
		b, _ := time.ParseInLocation("2006-01-02", h.To, sh.Shanghai)
		if b.AddDate(0, 0, 1).After(from) && a.Before(to) {
			ev = append(ev, Event{Guard, h.Name, sh.Window{Start: a.UTC(), End: b.AddDate(0, 0, 1).UTC()}})
		}
	}
	return ev
}

// MonthDays is the part of every month the events fall in (days 1–28:
// every month has them, and nothing of a month spills into the next).
const MonthDays = 28

// monthEvents is the believable month the issue asks for, drawn from a
// generator seeded by the month m (its first midnight, Asia/Shanghai):
// the monthly generator test run (the UPS room's door open for it); one or
// two utility failures (3–12 min: the UPS pair on battery until the
// generator carries the load, the hot-spot aisle out of band for minutes);
// one or two CRAC failures of different units (40 min – 5 h, handled
// within N+1); a maintenance night (a UPS on bypass, a leased line's
// planned work with its cut inside the window); a guard period; one BGP
// cut that breaches the line's target (≥ 280 s: a 31-day month allows
// 267.8 s) and up to two short ones; one to three leased-line cuts; one to
// four host, one or two website, leak and smoke events and up to two more
// door openings. The room's warming events and the maintenance night each
// have a day with a free day either side, so no two warming events add up
// (N+1 holds in a CRAC failure) and no unplanned line cut falls into the
// planned work.
func monthEvents(m time.Time) []Event {
	r := rand.New(rand.NewPCG(uint64(m.Year()), uint64(m.Month())))
	var ev []Event
	e := func(k Kind, target string, start time.Time, d time.Duration) {
		ev = append(ev, Event{k, target, sh.Window{Start: start.UTC(), End: start.Add(d).UTC()}})
	}
	// at is day d (1-based) at s seconds after midnight.
	at := func(d int, s int) time.Time {
		return m.AddDate(0, 0, d-1).Add(time.Duration(s) * time.Second)
	}
	secs := func(lo, hi time.Duration) time.Duration { // uniform in [lo, hi], whole seconds
		return lo + time.Duration(r.Int64N(int64((hi-lo)/time.Second)+1))*time.Second
	}
	clock := func(fromH, toH int) int { return fromH*3600 + r.IntN((toH-fromH)*3600) }
	busy := map[int]bool{}
	maint := 0 // the maintenance night's day
	// reserve picks a day in [lo, hi] not within a day of a reserved one.
	reserve := func(lo, hi int) int {
		n := hi - lo + 1
		s := r.IntN(n)
		for i := 0; i < n; i++ {
			d := lo + (s+i)%n
			if !busy[d-1] && !busy[d] && !busy[d+1] {
				busy[d] = true
				return d
			}
		}
		return 0
	}
	quiet := func() int { // a day that is not the maintenance night's
		for {
			if d := 1 + r.IntN(MonthDays); d != maint {
				return d
			}
		}
	}
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	// The monthly generator test run, in the first week.
	if d := reserve(1, 7); d > 0 {
		t := at(d, clock(9, 15))
		e(DoorOpen, "door-ups", t.Add(-5*time.Minute), secs(6*time.Minute, 12*time.Minute))
		e(GeneratorTest, Generator, t, secs(15*time.Minute, 30*time.Minute))
	}
	// The maintenance night: a UPS on bypass, a leased line's planned work.
	if d := reserve(2, MonthDays-1); d > 0 {
		maint = d
		u := pick(UPSs)
		t := at(d, clock(0, 3))
		e(DoorOpen, "door-ups", t.Add(-5*time.Minute), secs(8*time.Minute, 12*time.Minute))
		e(Maintenance, u, t, secs(time.Hour, 3*time.Hour))
		l := pick(leasedLines())
		w := at(d, clock(1, 4))
		e(Maintenance, l, w, secs(30*time.Minute, time.Hour))
		e(LineCut, l, w.Add(5*time.Minute), secs(5*time.Minute, 20*time.Minute)) // the planned work itself
	}
	for i, n := 0, 1+r.IntN(2); i < n; i++ {
		if d := reserve(2, MonthDays-1); d > 0 {
			e(UtilityFailure, "", at(d, clock(0, 24)), secs(3*time.Minute, 12*time.Minute))
		}
	}
	units := r.Perm(len(CRACs))
	for i, n := 0, 1+r.IntN(2); i < n; i++ {
		if d := reserve(2, MonthDays-1); d > 0 {
			e(CRACFailure, CRACs[units[i]], at(d, clock(8, 18)), secs(40*time.Minute, 5*time.Hour))
		}
	}
	guards := []string{"重要会议保障", "重大活动保障", "网络安全专项保障"}
	e(Guard, guards[r.IntN(len(guards))], at(1+r.IntN(MonthDays-2), 0), time.Duration(1+r.IntN(3))*24*time.Hour)
	// The BGP line: the month's breach and up to two short cuts.
	e(LineCut, BGPLine, at(quiet(), clock(0, 24)), secs(280*time.Second, 900*time.Second))
	for i, n := 0, r.IntN(3); i < n; i++ {
		e(LineCut, BGPLine, at(quiet(), clock(0, 24)), secs(30*time.Second, 90*time.Second))
	}
	for i, n := 0, 1+r.IntN(3); i < n; i++ {
		e(LineCut, pick(leasedLines()), at(quiet(), clock(0, 24)), secs(time.Minute, time.Hour))
	}
	for i, n := 0, 1+r.IntN(4); i < n; i++ {
		e(HostDown, fmt.Sprintf("host-%03d", 1+r.IntN(hostCount())), at(quiet(), clock(0, 24)), secs(time.Minute, 15*time.Minute))
	}
	for i, n := 0, 1+r.IntN(2); i < n; i++ {
		e(WebsiteDown, fmt.Sprintf("site-%03d", 1+r.IntN(websiteCount())), at(quiet(), clock(0, 24)), secs(3*time.Minute, 20*time.Minute))
	}
	for i, n := 0, 1+r.IntN(2); i < n; i++ {
		e(Leak, pick(Leaks), at(quiet(), clock(0, 24)), secs(3*time.Minute, 15*time.Minute))
	}
	for i, n := 0, 1+r.IntN(2); i < n; i++ {
		e(Smoke, pick(Smokes), at(quiet(), clock(8, 18)), secs(30*time.Second, 3*time.Minute))
	}
	for i, n := 0, r.IntN(3); i < n; i++ {
		e(DoorOpen, pick(Doors), at(quiet(), clock(8, 20)), secs(3*time.Minute, 15*time.Minute))
	}
	return ev
}

func leasedLines() []string {
	var out []string
	for _, l := range Lines {
		if l.Kind == "leased" {
			out = append(out, l.Name)
		}
	}
	return out
}

func hostCount() (n int) {
	for _, u := range Units {
		n += u.Hosts
	}
	return n
}

func websiteCount() (n int) {
	for _, u := range Units {
		n += u.Websites
	}
	return n
}

// Model is the room's physical state as functions of time.
type Model struct {
	Events []Event
	phys   []Event // Events without guard periods, sorted by start
}

// Reach is how long an event still moves a gauge after it ends (a
// temperature rise decays with τ ≤ 20 min: after 6 h it is below 1e-7 °C).
const Reach = 6 * time.Hour

// NewModel sorts the events for the per-second look-ups.
func NewModel(ev []Event) *Model {
	m := &Model{Events: ev}
	for _, e := range ev {
		if e.Kind != Guard {
			m.phys = append(m.phys, e)
		}
	}
	sort.Slice(m.phys, func(i, j int) bool { return m.phys[i].Start.Before(m.phys[j].Start) })
	return m
}

// Regions are the stretches where some event acts ([start, end + Reach),
// merged): outside them every gauge is at its undisturbed value and no
// condition is active.
func (m *Model) Regions(from, to time.Time) []sh.Window { return m.regionsOf(from, to, nil) }

// regionsOf is Regions of the events of the kinds in reach only, each
// acting until its end + reach[kind] (nil: every kind, Reach): where a
// predicate that only those events move can be true.
func (m *Model) regionsOf(from, to time.Time, reach map[Kind]time.Duration) []sh.Window {
	var ws []sh.Window
	for _, e := range m.phys {
		r, ok := reach[e.Kind]
		if reach == nil {
			r, ok = Reach, true
		}
		if !ok {
			continue
		}
		a, b := e.Start, e.End.Add(r)
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if !a.Before(b) {
			continue
		}
		if n := len(ws); n > 0 && !a.After(ws[n-1].End) {
			if b.After(ws[n-1].End) {
				ws[n-1].End = b
			}
			continue
		}
		ws = append(ws, sh.Window{Start: a, End: b})
	}
	return ws
}

// near returns the events that may act at t (started, not past Reach).
func (m *Model) near(t time.Time) []Event {
	hi := sort.Search(len(m.phys), func(i int) bool { return m.phys[i].Start.After(t) })
	lo := hi
	for lo > 0 && t.Sub(m.phys[lo-1].Start) < 4*time.Hour+Reach {
		lo--
	}
	return m.phys[lo:hi]
}

// Active reports whether an event of kind k (on target; "" any) acts at t:
// the live simulators of make demo read the model's state at start-up.
func (m *Model) Active(k Kind, target string, t time.Time) bool { return m.active(k, target, t) }

// DayPhase is the room's time-of-day phase: −1 at 05:00, +1 at 17:00
// (Asia/Shanghai).
func DayPhase(t time.Time) float64 { return dayPhase(t) }

// UPSLoad is each UPS's output load ratio (per phase): 2N, so each path
// carries a little under a quarter of its rating.
func UPSLoad(t time.Time) float64 { return 0.22 + 0.03*dayPhase(t) }

func (m *Model) active(k Kind, target string, t time.Time) bool {
	for _, e := range m.near(t) {
		if e.Kind == k && (target == "" || e.Target == target) && !t.Before(e.Start) && t.Before(e.End) {
			return true
		}
	}
	return false
}

// FeedUp: both feeds fail together in a utility failure (a regional
// outage; one feed alone is covered by the other and the UPS stays on mains).
func (m *Model) FeedUp(t time.Time) bool { return !m.active(UtilityFailure, "", t) }

// GeneratorRunning: from its start after a utility failure until the
// cool-down after the utility returns, and during the monthly test.
func (m *Model) GeneratorRunning(t time.Time) bool {
	for _, e := range m.near(t) {
		switch e.Kind {
		case UtilityFailure:
			if !t.Before(e.Start.Add(GeneratorStart-15*time.Second)) && t.Before(e.End.Add(GeneratorCooldown)) {
				return true
			}
		case GeneratorTest:
			if !t.Before(e.Start) && t.Before(e.End) {
				return true
			}
		}
	}
	return false
}

// OnBattery: the UPS pair carries the load from the utility failure until
// the generator takes it over.
func (m *Model) OnBattery(t time.Time) bool {
	for _, e := range m.near(t) {
		if e.Kind == UtilityFailure && !t.Before(e.Start) && t.Before(e.Start.Add(GeneratorStart)) && t.Before(e.End) {
			return true
		}
	}
	return false
}

// Runtime is a UPS's estimated battery runtime: 1 980 s at the room's
// load, one second less per second on battery, recharged at 1/20 of that.
func (m *Model) Runtime(t time.Time) float64 {
	const full = 1980.0
	r := full
	for _, e := range m.near(t) {
		if e.Kind != UtilityFailure || t.Before(e.Start) {
			continue
		}
		used := math.Min(t.Sub(e.Start).Seconds(), GeneratorStart.Seconds())
		rec := math.Max(0, t.Sub(e.Start.Add(GeneratorStart)).Seconds()) / 20
		r -= math.Max(0, used-rec)
	}
	return math.Max(0, r)
}

// CRACRunning: a failed unit is off; all units stop after a utility
// failure until the generator carries them and they restart.
func (m *Model) CRACRunning(unit string, t time.Time) bool {
	if m.active(CRACFailure, unit, t) {
		return false
	}
	for _, e := range m.near(t) {
		if e.Kind == UtilityFailure && !t.Before(e.Start) && t.Before(e.Start.Add(CoolingRestart)) {
			return false
		}
	}
	return true
}

// rise is the temperature rise over the undisturbed value at a sensor of
// the given sensitivity (a hot-spot cold aisle rises more): linear while
// cooling is short, exponential decay (τ = 10 min) after.
func (m *Model) rise(t time.Time, sens float64) float64 {
	r := 0.0
	ramp := func(s time.Time, l time.Duration, peak float64, tau time.Duration) {
		if t.Before(s) {
			return
		}
		d := t.Sub(s)
		if d < l {
			r += peak * d.Seconds() / l.Seconds()
			return
		}
		r += peak * math.Exp(-(d-l).Seconds()/tau.Seconds())
	}
	for _, e := range m.near(t) {
		switch e.Kind {
		case UtilityFailure: // every unit off for CoolingRestart
			ramp(e.Start, CoolingRestart, 1.2*sens, 10*time.Minute)
		case CRACFailure: // the three others cover the load: a little warmer
			ramp(e.Start, e.End.Sub(e.Start), 0.4*sens, 20*time.Minute)
		}
	}
	return r
}

// dayPhase: coolest at 05:00, warmest at 17:00 (Asia/Shanghai).
func dayPhase(t time.Time) float64 {
	s := float64((t.Unix()+8*3600-11*3600)%86400) / 86400 * 2 * math.Pi
	return math.Sin(s - math.Pi/2)
}

// Temperature at a room, cold-aisle, supply or return sensor.
func (m *Model) Temperature(sensor string, t time.Time) float64 {
	switch sensor {
	case "th-room-1", "th-room-2":
		return 23.5 + 0.6*dayPhase(t) + m.rise(t, 1)
	case "th-aisle-1", "th-aisle-2", "th-aisle-3":
		return 23.0 + 0.5*dayPhase(t) + m.rise(t, 1.5)
	case "th-aisle-4": // the hot spot at the end of row 4
		return 24.2 + 0.5*dayPhase(t) + m.rise(t, 3.6)
	}
	return math.NaN()
}

// CRACAir is a unit's supply or return air temperature (NaN when off).
func (m *Model) CRACAir(unit, role string, t time.Time) float64 {
	if !m.CRACRunning(unit, t) {
		return math.NaN()
	}
	if role == "supply" {
		return 18.5 + 0.2*dayPhase(t)
	}
	return 29.0 + 0.8*dayPhase(t) + m.rise(t, 1)
}

// Humidity of the room: 45 % ± 5 %.
func (m *Model) Humidity(t time.Time) float64 { return 0.45 + 0.05*dayPhase(t) }

// RackWatts of hosted rack i (0-based): 2.4–3.6 kW, rack 0 up to 4.8 kW.
func RackWatts(i int, t time.Time) float64 {
	base := 2400 + float64((i*37)%1000)
	if i == 0 {
		base = 4200
	}
	return base + 300*(1+dayPhase(t))
}

// band reports whether a temperature is outside the room band.
func outOfBand(v float64) bool { return !math.IsNaN(v) && (v < BandLow || v > BandHigh) }

// Windows returns the maximal runs of whole seconds in [from, to) where
// f holds (each second judged at its start).
func Windows(from, to time.Time, f func(time.Time) bool) []sh.Window {
	var ws []sh.Window
	var open bool
	var s time.Time
	for t := from.Truncate(time.Second); t.Before(to); t = t.Add(time.Second) {
		on := f(t)
		if on && !open {
			s, open = t, true
		} else if !on && open {
			ws = append(ws, sh.Window{Start: s, End: t})
			open = false
		}
	}
	if open {
		ws = append(ws, sh.Window{Start: s, End: to})
	}
	return ws
}

// Condition is one env_condition entity and the predicate over the model's
// gauges that makes it active.
type Condition struct {
	Entity *sh.Entity
	Active func(time.Time) bool
}

func eventIn(m *Model, k Kind, target string) func(time.Time) bool {
	return func(t time.Time) bool { return m.active(k, target, t) }
}

// Scenario is the site's history from `from` to `to` (exporters started a
// day before) and the conditions it derived, for the consistency test.
func Scenario(from, to time.Time, step time.Duration) (sh.Spec, *Model, []Condition) {
	return ScenarioWith(from, to, step)
}

// ScenarioWith is Scenario with extra events in the model beside the
// calendar's (make demo: the week of records it writes — a door left open,
// a utility failure, a line cut — happen in the history too, so the
// inspections, alerts and incidents it records have their causes there).
func ScenarioWith(from, to time.Time, step time.Duration, extra ...Event) (sh.Spec, *Model, []Condition) {
	m := NewModel(append(Events(from.Add(-24*time.Hour), to), extra...))
	ps := from.Add(-24 * time.Hour)
	sp := sh.Spec{From: from, To: to, Step: step}
	var maint = map[string][]sh.Window{}
	for _, e := range m.Events {
		switch e.Kind {
		case Maintenance:
			maint[e.Target] = append(maint[e.Target], e.Window)
		case GeneratorTest: // the monthly test run is a declared window: a test run, not an incident
			maint[Generator] = append(maint[Generator], e.Window)
		}
	}
	// scan finds f's windows second by second where the events that move
	// it act (reach: those kinds and how long after their end; nil: every
	// event, Reach). A year is scanned in seconds, not minutes, because
	// most predicates are only looked at inside their own events
	// (TestDemoConsistency checks every second of the month's regions).
	scan := func(f func(time.Time) bool, reach map[Kind]time.Duration) []sh.Window {
		var ws []sh.Window
		for _, r := range m.regionsOf(ps, to, reach) {
			ws = append(ws, Windows(r.Start, r.End, f)...)
		}
		return ws
	}
	only := func(kinds ...Kind) map[Kind]time.Duration {
		r := map[Kind]time.Duration{}
		for _, k := range kinds {
			r[k] = 0
		}
		return r
	}
	// The room's temperatures: a utility failure or a CRAC failure warms
	// it, decaying within Reach.
	warming := map[Kind]time.Duration{UtilityFailure: Reach, CRACFailure: Reach}
	// Lines.
	lineEnt := map[string]*sh.Entity{}
	var lines []*sh.Entity
	var caps []float64
	for _, l := range Lines {
		e := &sh.Entity{NS: metricnames.Line.Namespace, Labels: map[string]string{"line": l.Name, "kind": l.Kind, "provider": l.Provider, "site": SiteName},
			ProcessStart: ps, Outages: scan(eventIn(m, LineCut, l.Name), only(LineCut)), Maintenance: maint[l.Name]}
		lineEnt[l.Name] = e
		lines = append(lines, e)
		caps = append(caps, l.BitsPerSecond)
	}
	sp.Entities = append(sp.Entities, lines...)
	sp.Gauges = append(sp.Gauges, sh.LineGauges(lines, caps)...)
	// Both interface counters (outbound at half the inbound, as the live
	// router's, liveRouter) sampled every Fine: the report's P95
	// utilisation takes rate(…[5m]), which needs more than one sample in
	// five minutes (the coarse step left it 无数据).
	for i := range sp.Gauges {
		if in := &sp.Gauges[i]; in.Name == metricnames.LineInterfaceReceiveBytes || in.Name == metricnames.LineInterfaceTransmitBytes {
			in.Dense = true
		}
	}
	// Hosts and websites: down while their own failure or their path line is.
	n, nw := 0, 0
	var hosts []*sh.Entity
	for _, u := range Units {
		for i := 0; i < u.Hosts; i++ {
			n++
			name := fmt.Sprintf("host-%03d", n)
			prov := u.Providers[i%len(u.Providers)]
			path := pathOf(prov, n)
			down := func(t time.Time) bool { return m.active(HostDown, name, t) || m.active(LineCut, path, t) }
			he := &sh.Entity{NS: metricnames.Host.Namespace, Labels: map[string]string{"host": name, "address": HostAddress(n),
				"unit": u.Name, "provider": prov, "system": u.Name + "业务系统", "site": SiteName, "path": path},
				ProcessStart: ps, Outages: scan(down, only(HostDown, LineCut)), Maintenance: maint[path]}
			sp.Entities = append(sp.Entities, he)
			hosts = append(hosts, he)
		}
		for i := 0; i < u.Websites; i++ {
			nw++
			name := fmt.Sprintf("site-%03d", nw)
			down := func(t time.Time) bool { return m.active(WebsiteDown, name, t) || m.active(LineCut, BGPLine, t) }
			sp.Entities = append(sp.Entities, &sh.Entity{NS: metricnames.Website.Namespace, Labels: map[string]string{"url": WebsiteURL(name),
				"unit": u.Name, "provider": u.Providers[i%len(u.Providers)], "system": u.Name + "门户", "site": SiteName, "path": BGPLine},
				ProcessStart: ps, Outages: scan(down, only(WebsiteDown, LineCut))})
		}
	}
	sp.Gauges = append(sp.Gauges, sh.NodeGauges(nodeHosts(hosts))...)
	// The room: gauges and the conditions derived from them.
	var conds []Condition
	cond := func(device, c string, f func(time.Time) bool, reach map[Kind]time.Duration) {
		e := &sh.Entity{NS: metricnames.EnvCondition.Namespace, Labels: map[string]string{"site": SiteName, "room": Room, "device": device, "condition": c},
			ProcessStart: ps, Outages: scan(f, reach), Maintenance: maint[device]}
		sp.Entities = append(sp.Entities, e)
		conds = append(conds, Condition{e, f})
	}
	g := func(name string, l map[string]string, f func(time.Time) float64) {
		lab := map[string]string{"site": SiteName, "room": Room}
		for k, v := range l {
			lab[k] = v
		}
		sp.Gauges = append(sp.Gauges, sh.Gauge{Name: name, Labels: lab, Value: f})
	}
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	for _, f := range Feeds {
		g("env_feed_up", map[string]string{"device": "ats-1", "feed": f}, func(t time.Time) float64 { return b(m.FeedUp(t)) })
		cond(f, "feed_lost", func(t time.Time) bool { return !m.FeedUp(t) }, only(UtilityFailure))
	}
	for _, u := range UPSs {
		u := u
		g(metricnames.EnvUPSBatteryRuntimeSeconds, map[string]string{"device": u}, m.Runtime)
		g(metricnames.EnvUPSOutputLoadRatio, map[string]string{"device": u, "phase": "1"}, UPSLoad)
		g("env_ups_battery_status", map[string]string{"device": u}, func(time.Time) float64 { return 2 })
		cond(u, "on_battery", m.OnBattery, only(UtilityFailure))
		cond(u, "ups_redundancy_lost", eventIn(m, Maintenance, u), only(Maintenance))
	}
	for _, u := range UPSs {
		g("env_ups_on_battery", map[string]string{"device": u}, func(t time.Time) float64 { return b(m.OnBattery(t)) })
	}
	// The room's derived states as env_exporter publishes them (the alert
	// rules read these: EnvRoomPowerLost, EnvCoolingRedundancyLost).
	g("env_feeds_up", nil, func(t time.Time) float64 { return float64(len(Feeds)) * b(m.FeedUp(t)) })
	g("env_feeds_required", nil, func(time.Time) float64 { return float64(len(Feeds)) })
	g(metricnames.EnvCoolingUnitsRunning, nil, func(t time.Time) float64 {
		n := 0.0
		for _, c := range CRACs {
			n += b(m.CRACRunning(c, t))
		}
		return n
	})
	g(metricnames.EnvCoolingUnitsRequired, nil, func(time.Time) float64 { return float64(len(CRACs)) }) // N+1: all four
	for _, r := range []string{"ups", "cooling", "feeds"} {
		g("env_redundancy_known", map[string]string{"redundancy": r}, func(time.Time) float64 { return 1 })
	}
	for _, th := range Thresholds {
		g("env_threshold_"+th.Name, nil, func(time.Time) float64 { return th.Value })
	}
	g(metricnames.EnvGeneratorRunning, map[string]string{"device": Generator}, func(t time.Time) float64 { return b(m.GeneratorRunning(t)) })
	cond(Generator, "generator_running", m.GeneratorRunning, map[Kind]time.Duration{UtilityFailure: GeneratorCooldown, GeneratorTest: 0})
	for _, c := range CRACs {
		c := c
		g(metricnames.EnvCoolingUnitRunning, map[string]string{"device": c}, func(t time.Time) float64 { return b(m.CRACRunning(c, t)) })
		for _, role := range []string{"supply", "return"} {
			role := role
			g(metricnames.EnvTemperatureCelsius, map[string]string{"device": c, "sensor": c + "-" + role, "rack": "", "role": role},
				func(t time.Time) float64 { return m.CRACAir(c, role, t) })
		}
	}
	// N+1: redundancy is lost while fewer than four units run.
	cond("cooling", "cooling_redundancy_lost", func(t time.Time) bool {
		for _, c := range CRACs {
			if !m.CRACRunning(c, t) {
				return true
			}
		}
		return false
	}, map[Kind]time.Duration{CRACFailure: 0, UtilityFailure: CoolingRestart})
	for _, s := range ClimateSensors() {
		role, rack := SensorPlace(s)
		temp := func(t time.Time) float64 { return m.Temperature(s, t) }
		g(metricnames.EnvTemperatureCelsius, map[string]string{"device": s, "sensor": s, "rack": rack, "role": role}, temp)
		g(metricnames.EnvHumidityRatio, map[string]string{"device": s, "sensor": s, "rack": rack, "role": role}, m.Humidity)
		cond(s, "temperature_out_of_band", func(t time.Time) bool { return outOfBand(temp(t)) }, warming)
		cond(s, "humidity_high", func(t time.Time) bool { return m.Humidity(t) > HumidityHigh }, nil) // time of day only: every region
	}
	for _, d := range Leaks {
		d := d
		g(metricnames.EnvLeakDetected, map[string]string{"device": d, "sensor": d}, func(t time.Time) float64 { return b(m.active(Leak, d, t)) })
		cond(d, "leak", eventIn(m, Leak, d), only(Leak))
	}
	for _, d := range Smokes {
		d := d
		g(metricnames.EnvSmokeDetected, map[string]string{"device": d, "sensor": d}, func(t time.Time) float64 { return b(m.active(Smoke, d, t)) })
		cond(d, "smoke", eventIn(m, Smoke, d), only(Smoke))
	}
	for _, d := range Doors {
		d := d
		g(metricnames.EnvDoorOpen, map[string]string{"device": d, "sensor": d}, func(t time.Time) float64 { return b(m.active(DoorOpen, d, t)) })
		cond(d, "door_open", eventIn(m, DoorOpen, d), only(DoorOpen))
	}
	for i := 0; i < Racks; i++ {
		i := i
		g(metricnames.EnvRackPowerWatts, map[string]string{"device": PDUGateway(i), "rack": fmt.Sprintf("R%03d", i+1)},
			func(t time.Time) float64 { return RackWatts(i, t) })
	}
	// The room's event-driven gauges are sampled every Fine (write.go).
	sp.DenseStep = Fine
	for i := range sp.Gauges {
		sp.Gauges[i].Dense = sp.Gauges[i].Dense || dense(sp.Gauges[i])
	}
	return sp, m, conds
}

// IdleHosts are the hosts whose node_exporter series show them idle (the
// user-unit efficiency report's 闲置 findings); NoNodeHost has no
// node_exporter at all (无数据).
var (
	IdleHosts  = []string{"host-013", "host-018"} // 市公安局 (政务云), 市卫健委 (腾讯云)
	NoNodeHost = "host-024"
)

// nodeHosts: node_exporter-style series of every host but NoNodeHost, with
// the host's labels as Prometheus relabels them; IdleHosts nearly idle.
func nodeHosts(hosts []*sh.Entity) []sh.NodeHost {
	var hs []sh.NodeHost
	for i, e := range hosts {
		name := e.Labels["host"]
		if name == NoNodeHost {
			continue
		}
		nh := sh.NodeHost{Labels: map[string]string{"host": name, "unit": e.Labels["unit"], "provider": e.Labels["provider"]},
			VCPU: 2 << (i % 3), CPUBusy: 0.2 + 0.05*float64(i%7), CPUSwing: 0.1,
			MemoryBytes: float64(int64(8<<(i%3)) << 30), MemoryUsed: 0.4 + 0.05*float64(i%5),
			DiskBytes: float64(int64(200+100*(i%4)) << 30), DiskUsed: 0.3 + 0.1*float64(i%4),
			RxRate: 2e5 * float64(1+i%5), TxRate: 1e5 * float64(1+i%3)}
		for _, idle := range IdleHosts {
			if name == idle {
				nh.CPUBusy, nh.CPUSwing, nh.RxRate, nh.TxRate = 0.015, 0.01, 2e3, 1e3
			}
		}
		hs = append(hs, nh)
	}
	return hs
}

// HostsBehind lists the hosts reached through a line (their path label):
// a cut of the line takes them down.
func HostsBehind(line string) []string {
	var out []string
	n := 0
	for _, u := range Units {
		for i := 0; i < u.Hosts; i++ {
			n++
			if pathOf(u.Providers[i%len(u.Providers)], n) == line {
				out = append(out, fmt.Sprintf("host-%03d", n))
			}
		}
	}
	return out
}

// HostAddress is the address of host n (1-based): loopback, where make
// demo's uptime_exporter probes the site's hosts, so the live series are
// the history's.
func HostAddress(n int) string { return fmt.Sprintf("127.10.0.%d", n) }

// websiteURLs are the websites make demo serves (exporters/uptime_exporter/
// demo/sites: answering 200, the https one with a certificate valid for a
// year), in the order of the site's websites: the history's url labels
// are the ones the live probes have.
var websiteURLs = []string{"http://127.0.0.1:18081/", "https://127.0.0.1:18082/", "http://127.0.0.1:18083/", "http://127.0.0.1:18084/",
	"http://127.0.0.1:18086/", "http://127.0.0.1:18087/", "http://127.0.0.1:18088/", "http://127.0.0.1:18089/", "http://127.0.0.1:18090/",
	"http://127.0.0.1:18091/"}

// WebsiteURL is the url label of website name (site-NNN).
func WebsiteURL(name string) string {
	var n int
	if _, err := fmt.Sscanf(name, "site-%d", &n); err != nil || n < 1 || n > len(websiteURLs) {
		return ""
	}
	return websiteURLs[n-1]
}

// RacksPerRow is the number of hosted racks in a row (27); each row's rack PDUs
// are read through one monitoring gateway (daisy-chained PDUs).
const RacksPerRow = 27

// PDUGateway is the device that reports rack i's (0-based) PDU.
func PDUGateway(i int) string { return fmt.Sprintf("pdu-row-%d", 1+i/RacksPerRow) }

// ClimateSensors are the room's and cold aisles' sensors (judged by the
// room band), in order.
func ClimateSensors() []string { return append(append([]string{}, RoomSensors...), AisleSensors...) }

// SensorPlace is a climate sensor's role (room or cold_aisle) and, in a
// cold aisle, the rack it stands at (every 26th from R001).
func SensorPlace(sensor string) (role, rack string) {
	for i, a := range AisleSensors {
		if a == sensor {
			return "cold_aisle", fmt.Sprintf("R%03d", 1+i*26)
		}
	}
	return "room", ""
}
