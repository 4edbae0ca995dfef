package avail

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/jianguan/jianguan/internal/constmetric"
	"github.com/jianguan/jianguan/internal/metricnames"
)

// FamilyOpts names the metric family of one kind of checked thing.
type FamilyOpts struct {
	// Namespace prefixes every metric, e.g. "line", "host", "env_condition".
	Namespace string
	// Labels identify one tracked thing, e.g. line, kind, provider, site.
	Labels []string
	// GoodName and BadName rename the "up" gauge and the "down" seconds
	// (defaults "up" and "down"; env conditions use "ok" and "active").
	GoodName, BadName string
	// What is a short noun for help texts ("line", "host", "condition").
	What string
}

// Family is a set of trackers of one kind, exported as one metric family
// (docs/metrics.md §1). It implements prometheus.Collector.
type Family struct {
	opts FamilyOpts
	now  func() time.Time

	mu       sync.RWMutex
	trackers map[string]*entry
	// batch is the start time given to trackers created since the last
	// Collect (batchOpen): trackers created together (a start, a reload)
	// share one start time (see Tracker).
	batch     time.Time
	batchOpen bool

	// Saved trackers waiting to be created (RestoreState, EndRestore).
	restore      map[string]pending
	restoreCont  bool
	restoreStats RestoreStats

	up, unknown, inMaint                          *prometheus.Desc
	observed, down, maint, maintDown, unknownSecs *prometheus.Desc
	changes, lastChange, started                  *prometheus.Desc
}

type entry struct {
	key     string
	values  []string
	labels  []*dto.LabelPair // built once: scrapes of 10 000 targets stay cheap
	t       *Tracker
	started float64 // NS_start_time_seconds
	// continued: the counters continued from a state file (RestoreState).
	continued bool
}

// NewFamily creates an empty family.
func NewFamily(o FamilyOpts) *Family {
	// The names come from the contract (internal/metricnames): a known
	// namespace gets its renames ("ok"/"active" for env_condition).
	mf := metricnames.Lookup(o.Namespace)
	if o.GoodName == "" {
		o.GoodName = mf.Good
	}
	if o.BadName == "" {
		o.BadName = mf.Bad
	}
	mf.Good, mf.Bad = o.GoodName, o.BadName
	if o.What == "" {
		o.What = "checked thing"
	}
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, o.Labels, nil)
	}
	return &Family{
		opts:        o,
		now:         time.Now,
		trackers:    map[string]*entry{},
		up:          d(mf.Up(), "1 if the "+o.What+" is confirmed "+goodWord(o)+" now, 0 if confirmed "+badWord(o)+" or unknown."),
		unknown:     d(mf.Unknown(), "1 if the state of the "+o.What+" is unknown now (no decision yet or no data)."),
		inMaint:     d(mf.InMaintenance(), "1 if the "+o.What+" is inside a declared maintenance window now."),
		observed:    d(mf.Observed(), "Seconds the "+o.What+" had a known state, maintenance included."),
		down:        d(mf.Down(), "Seconds the "+o.What+" was confirmed "+badWord(o)+" outside maintenance windows."),
		maint:       d(mf.Maintenance(), "Seconds the "+o.What+" had a known state inside maintenance windows."),
		maintDown:   d(mf.MaintenanceDown(), "Seconds the "+o.What+" was confirmed "+badWord(o)+" inside maintenance windows."),
		unknownSecs: d(mf.UnknownSeconds(), "Seconds the prober ran without a known state of the "+o.What+"."),
		changes:     d(mf.StateChanges(), "Confirmed state transitions of the "+o.What+"."),
		lastChange:  d(mf.LastChange(), "Unix time of the last confirmed state transition of the "+o.What+" (0: none yet)."),
		started: d(mf.StartTime(), "Unix time from which the "+o.What+"'s counters count (they were 0 then): exporter start or target added. "+
			"A new value means the counters were reset; reports find resets from it without reading every sample."),
	}
}

func goodWord(o FamilyOpts) string {
	if o.GoodName == "up" {
		return "up"
	}
	return o.GoodName
}

func badWord(o FamilyOpts) string {
	if o.BadName == "down" {
		return "down"
	}
	return o.BadName
}

// SetClock replaces the family's clock (time.Now): start times, restores
// and maintenance checks read it. For simulations and tests.
func (f *Family) SetClock(now func() time.Time) {
	f.mu.Lock()
	f.now = now
	f.mu.Unlock()
}

// Opts returns the family's options.
func (f *Family) Opts() FamilyOpts { return f.opts }

func key(values []string) string { return strings.Join(values, "\xff") }

// Tracker returns the tracker for the label values, creating it with rule
// and cal if needed. An existing tracker keeps its counters and gets the
// new rule and calendar (config reload).
//
// A new tracker's NS_start_time_seconds is the time the first tracker was
// created since the family was last collected (in milliseconds, and always
// later than the previous such time, even if the wall clock steps back), so
// the trackers of one start or one reload share one value, and each lifetime
// of a target has a value of its own. An earlier lifetime of the same label
// values (a previous process, or a tracker dropped by Retain) was last
// exposed at a collection before that time, so its samples precede the new
// one's: a report reads the samples around the start time and tells the
// lifetimes apart by this value (internal/report/counters.go).
//
// A tracker whose label values are in a state restored by RestoreState
// starts from the saved state instead (state.go); when its counters
// continue (a clean stop), it keeps the saved start time: one lifetime.
func (f *Family) Tracker(rule Rule, cal Calendar, values ...string) *Tracker {
	if len(values) != len(f.opts.Labels) {
		panic("avail: label values do not match family labels")
	}
	k := key(values)
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.trackers[k]; ok {
		e.t.SetRule(rule, cal)
		return e.t
	}
	t := NewTracker(rule, cal)
	vals := append([]string(nil), values...)
	e := &entry{key: k, values: vals, labels: prometheus.MakeLabelPairs(f.up, vals), t: t}
	f.trackers[k] = e
	if p, ok := f.restore[k]; ok {
		delete(f.restore, k)
		_, back := t.restore(p.saved, f.now(), f.restoreCont)
		f.restoreStats.Restored++
		if back {
			f.restoreStats.ClockBack++
		}
		if f.restoreCont {
			e.started = p.saved.StartTime // the same lifetime: no reset
			e.continued = true
			return t
		}
	}
	if !f.batchOpen {
		// Strictly later than the previous batch, also within one millisecond.
		now := f.now().Truncate(time.Millisecond)
		if !now.After(f.batch) {
			now = f.batch.Add(time.Millisecond)
		}
		f.batch, f.batchOpen = now, true
	}
	e.started = float64(f.batch.UnixMilli()) / 1e3
	return t
}

// Get returns the tracker for the label values, or nil.
func (f *Family) Get(values ...string) *Tracker {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if e, ok := f.trackers[key(values)]; ok {
		return e.t
	}
	return nil
}

// Continued reports whether the tracker for the label values exists and
// its counters continued from a state file (the same lifetime as before
// the restart): an exporter's other counters of that entity must continue
// too (internal/exporter CounterSet).
func (f *Family) Continued(values ...string) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	e, ok := f.trackers[key(values)]
	return ok && e.continued
}

// Retain drops every tracker whose label values are not in keep (targets
// removed by a reload). keep holds label-value slices.
func (f *Family) Retain(keep [][]string) {
	want := make(map[string]bool, len(keep))
	for _, v := range keep {
		want[key(v)] = true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.trackers {
		if !want[k] {
			delete(f.trackers, k)
		}
	}
}

// Len returns the number of trackers.
func (f *Family) Len() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.trackers)
}

// Item is one tracker with its label values, for landing pages.
type Item struct {
	Labels   []string
	Snapshot Snapshot
}

// Items returns snapshots of all trackers sorted by label values.
func (f *Family) Items() []Item {
	es := f.entries()
	now := f.now()
	out := make([]Item, len(es))
	for i, e := range es {
		out[i] = Item{Labels: e.values, Snapshot: e.t.Snapshot(now)}
	}
	return out
}

func (f *Family) entries() []*entry {
	f.mu.RLock()
	es := make([]*entry, 0, len(f.trackers))
	for _, e := range f.trackers {
		es = append(es, e)
	}
	f.mu.RUnlock()
	sort.Slice(es, func(i, j int) bool { return es[i].key < es[j].key })
	return es
}

// Describe implements prometheus.Collector.
func (f *Family) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{f.up, f.unknown, f.inMaint, f.observed, f.down, f.maint, f.maintDown, f.unknownSecs, f.changes, f.lastChange, f.started} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (f *Family) Collect(ch chan<- prometheus.Metric) {
	f.mu.Lock()
	f.batchOpen = false // trackers created from now on may follow a collected lifetime
	f.mu.Unlock()
	now := f.now()
	for _, e := range f.entries() {
		s := e.t.Snapshot(now)
		g := func(d *prometheus.Desc, x float64) { ch <- &constmetric.Metric{D: d, Labels: e.labels, Value: x} }
		c := func(d *prometheus.Desc, x float64) {
			ch <- &constmetric.Metric{D: d, Labels: e.labels, Counter: true, Value: x}
		}
		g(f.up, b2f(s.State == Up))
		g(f.unknown, b2f(s.State == Unknown))
		g(f.inMaint, b2f(s.InMaintenance))
		c(f.observed, s.ObservedSeconds)
		c(f.down, s.DownSeconds)
		c(f.maint, s.MaintenanceSeconds)
		c(f.maintDown, s.MaintenanceDownSeconds)
		c(f.unknownSecs, s.UnknownSeconds)
		c(f.changes, float64(s.StateChanges))
		lc := 0.0
		if !s.LastChange.IsZero() {
			lc = float64(s.LastChange.UnixNano()) / 1e9
		}
		g(f.lastChange, lc)
		g(f.started, e.started)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
