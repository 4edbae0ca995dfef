package report

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/value"
)

// The availability reads at a period edge, in one read (issue 24).
//
// At each edge the availability needs, per entity, the last sample at or
// before it of its counters, start time and state (an instant query's
// answer: edgeInstant) and the scrapes just before and just after it, for
// the interpolation to the edge (edgeInterpolate's ±edgeNarrow read). On
// Prometheus both select the same series and both decode each series'
// index entry in the block they touch — the larger part of their cost
// (about 100 ms of Prometheus' CPU for the instant query of 450 hosts'
// 3 600 series, 190 ms for the raw read of their 4 500, on the bench's
// year of 15 s scrapes in 486 h blocks; the read from 5 min before the
// edge costs what the ±1 min read costs). So where the backend offers the
// streamed remote read and says its lookback, one remote read of
// [edge − lookback, edge + edgeNarrow] with the staleness markers gives
// both answers, each as the query API gives it:
//
//   - the instant answer: per series, its last sample at or before the
//     edge and not older than the lookback (on Prometheus 2 a sample
//     exactly a lookback before counts, on 3 not: the range-selector
//     semantics, asked only when such a sample decides); a series whose
//     last sample there is a staleness marker has no value, as PromQL's
//     lookback gives none;
//   - the scrapes in (edge − edgeNarrow, edge + edgeNarrow] without the
//     markers, a range selector's, of which edgePairs makes the pairs.
//
// TestEdgeReadEqualsQueries holds both to the queries they replace on
// Prometheus 2.42 and 3.x (markers, a sample exactly a lookback before,
// series that end or begin at the edge); TestRemoteReadSameDocuments the
// documents. Elsewhere (VictoriaMetrics, a proxy without the remote read,
// a remote read refused for now) the two queries are sent as before.

// edgeReader is a Querier with the streamed remote read that can keep the
// staleness markers and that says its instant queries' lookback
// (promapi.Client).
type edgeReader interface {
	RemoteReadStale(ctx context.Context, selector string, from, to time.Time, series func(labels map[string]string) func(ts []int64, vs []float64)) (n int, read bool, err error)
	LookbackDelta(ctx context.Context) (time.Duration, error)
}

// edgeAnswer is what the read at one edge gives the availability.
type edgeAnswer struct {
	instant map[string]scrape            // names' last values at or before the edge (scrape time: the edge), per entity
	labels  map[string]map[string]string // of instant's entities
	pairs   map[string]edgePair          // the counters' scrapes around the edge (±edgeNarrow)
	// last: each entity's last scrape at or before the edge within
	// edgeNarrow (every name sampled then; markers are no samples), the
	// incident reconstruction's sample there (edgeSeeds).
	last map[string]scrape
}

// availCounters are the availability's counters of family f.
func (f family) availCounters() []string {
	return []string{f.observed, f.down, f.maint, f.maintDown, f.changes}
}

// edgeInstantNames are the names of the instant answer at an edge: the
// counters, the start time and the state.
func (f family) edgeInstantNames() []string {
	return append(f.availCounters(), f.started, f.up, f.unknownGauge)
}

// edgeRawNames are the names of the raw samples around an edge: the
// instant's and what the interpolation reads besides (edgeInterpolate).
func (f family) edgeRawNames() []string {
	return append(f.edgeInstantNames(), f.lastChange, f.inMaintenance())
}

// edgeMemo holds a run's read at one edge for its two users (the
// instant answer, then the interpolation).
type edgeMemo struct {
	once sync.Once
	a    *edgeAnswer
	err  error
}

// edgeRead returns the read at edge of family f's availability, once per
// run (shared with the run of the period that meets this one there:
// shared.go); nil, with no error, where the backend cannot give it as one
// read: the callers send their queries.
func (r *run) edgeRead(f family, edge time.Time) (*edgeAnswer, error) {
	er, ok := r.q.(edgeReader)
	if !ok {
		return nil, nil
	}
	key := f.ns + "\x00" + edge.UTC().Format(time.RFC3339Nano)
	r.mu.Lock()
	if r.edgeMemos == nil {
		r.edgeMemos = map[string]*edgeMemo{}
	}
	m := r.edgeMemos[key]
	if m == nil {
		m = &edgeMemo{}
		r.edgeMemos[key] = m
	}
	r.mu.Unlock()
	m.once.Do(func() {
		lb, err := r.lookbackDelta(er)
		if err != nil {
			return // not said: the queries
		}
		from, to := edge.Add(-lb), edge.Add(edgeNarrow)
		purpose := "period edge: raw samples from the lookback before " + edge.UTC().Format(time.RFC3339) +
			" to 1 min after it, staleness markers included (the counters, start time and state at the edge: last sample at or before it; interpolation to the edge)"
		m.a, m.err = shared(r, edgeKey("edge "+r.sel, f.edgeRawNames(), "", nil, from, to), purpose, func(rr *run) (*edgeAnswer, error) {
			return rr.readEdge(er, f, edge, lb, purpose)
		})
	})
	return m.a, m.err
}

// lookbackDelta is the backend's instant-query lookback, asked once per
// build (r.reads: a year's runs would otherwise ask at each of their
// edges, ~45 times for the providers). An error is kept for the build as
// well: its edges then take the queries.
func (r *run) lookbackDelta(er edgeReader) (time.Duration, error) {
	s := r.reads
	if s == nil {
		return er.LookbackDelta(r.ctx)
	}
	s.lbOnce.Do(func() { s.lb, s.lbErr = er.LookbackDelta(r.ctx) })
	return s.lb, s.lbErr
}

// edgeSeries is one series of an edge read: its last sample at or before
// the edge within the read (ok: there is one).
type edgeSeries struct {
	labels map[string]string
	t      int64
	v      float64
	ok     bool
}

// readEdge makes the read at edge (edgeRead): nil when the backend did
// not take it.
func (r *run) readEdge(er edgeReader, f family, edge time.Time, lb time.Duration, purpose string) (*edgeAnswer, error) {
	e := edge.UnixMilli()
	from, to := edge.Add(-lb), edge.Add(edgeNarrow)
	sel := r.selector("", "__name__=~"+RegexAlternation(f.edgeRawNames()))
	inInstant := map[string]bool{}
	for _, n := range f.edgeInstantNames() {
		inInstant[n] = true
	}
	narrow := newScrapeBuilder()
	lo := e - edgeNarrow.Milliseconds()
	var last []*edgeSeries
	n, read, err := er.RemoteReadStale(r.ctx, sel, from, to, func(l map[string]string) func([]int64, []float64) {
		var s *edgeSeries
		if inInstant[l["__name__"]] {
			s = &edgeSeries{labels: l}
			last = append(last, s)
		}
		var add func(int64, float64)
		return func(ts []int64, vs []float64) {
			for i, t := range ts {
				if t > to.UnixMilli() {
					return
				}
				if s != nil && t <= e {
					s.t, s.v, s.ok = t, vs[i], true
				}
				if t > lo && !value.IsStaleNaN(vs[i]) {
					if add == nil {
						add = narrow.series(l)
					}
					add(t, vs[i])
				}
			}
		}
	})
	if err != nil || !read {
		return nil, err
	}
	r.auditRemoteRead(purpose, rangeAt(sel, from, to), to, n)
	a := &edgeAnswer{instant: map[string]scrape{}, labels: map[string]map[string]string{}}
	closed := func() bool { return r.rangeSemantics() == RangeClosed }
	for _, s := range last {
		if !s.ok || !inLookback(s.t, s.v, e, lb.Milliseconds(), closed) {
			continue
		}
		k := labelKey(s.labels)
		sc, found := a.instant[k]
		if !found {
			sc = scrape{t: e, vals: map[string]float64{}}
			a.instant[k] = sc
			a.labels[k] = stripName(s.labels)
		}
		sc.vals[s.labels["__name__"]] = s.v
	}
	sc, _ := narrow.done()
	a.pairs = edgePairs(sc, e, f.availCounters(), edgeNarrow)
	a.last = make(map[string]scrape, len(sc))
	for k, l := range sc {
		for _, x := range l {
			if x.t <= e && (a.last[k].vals == nil || x.t > a.last[k].t) {
				a.last[k] = x
			}
		}
	}
	return a, nil
}

// inLookback says whether a series' last sample at or before instant e,
// at t with value v, is its value in an instant query at e with lookback
// lb (all unix ms): not older than lb — exactly lb older only where the
// backend's lookback is closed (Prometheus 2; closed is asked only then) —
// and not a staleness marker.
func inLookback(t int64, v float64, e, lb int64, closed func() bool) bool {
	return t <= e && (t > e-lb || t == e-lb && closed()) && !value.IsStaleNaN(v)
}
