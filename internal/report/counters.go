package report

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jianguan/jianguan/internal/docfmt"
)

// Counter increases over a month, exactly and without reading every sample
// of the month.
//
// Every counter of an entity lives in one exporter process and resets with
// it; NS_start_time_seconds says when the current counters started at 0
// (internal/avail: exporter start or target added, shared by the targets
// created together, and newer than every sample of the previous lifetime).
// So:
//
//   - the entities are the series of NS_observed_seconds_total with samples in
//     the month (the series API: the index, no sample is decoded);
//   - one query at the month end and one at the month start give the five
//     counters and the start time (the last sample at or before each instant);
//   - an entity whose counters started before the month start, with the same
//     start time at the start, had no reset: the increase is end − start;
//   - an entity whose counters (re)started inside the month: one short window
//     of raw samples before each restart (all entities restarted together in
//     one query) gives the last values of the previous lifetime, and so back
//     to the month start;
//   - anything else (the series ended before the month end, no start time
//     exported, the previous lifetime's last sample more than an hour before
//     the restart, the new lifetime's first sample not within 20 min after its
//     start time — an exporter clock far from Prometheus' —, no sample at the
//     month start, a counter lower at the end than at the start):
//     counterSums — the same sums as the entity's raw samples in the month,
//     summed piecewise with the start time telling lifetimes apart, from
//     instant queries over the period where no counter reset, else from the
//     raw samples read a day at a time.

// scrape is the values of one entity's metrics at one timestamp (the metrics
// of an entity are scraped together, so they share timestamps).
type scrape struct {
	t    int64 // unix ms
	vals map[string]float64
}

// scrapesOf groups a query answer by entity (label key) and timestamp,
// oldest first; labels holds each entity's labels without __name__.
func scrapesOf(res []Series) (map[string][]scrape, map[string]map[string]string) {
	b := newScrapeBuilder()
	for _, s := range res {
		add := b.series(s.Labels)
		for _, p := range s.Points {
			add(p.T.UnixMilli(), p.V)
		}
	}
	return b.done()
}

// scrapeBuilder groups samples by entity and timestamp as they come,
// series by series (scrapesOf, or a streamed answer: scanQuerier).
type scrapeBuilder struct {
	by     map[string]map[int64]map[string]float64
	labels map[string]map[string]string
	// keep, when set, drops the samples it refuses (the entity is kept,
	// with no scrape).
	keep func(t int64) bool
}

func newScrapeBuilder() *scrapeBuilder {
	return &scrapeBuilder{by: map[string]map[int64]map[string]float64{}, labels: map[string]map[string]string{}}
}

// series registers one series (labels with __name__) and returns where its
// samples (unix ms, value) go.
func (b *scrapeBuilder) series(l map[string]string) func(t int64, v float64) {
	k := labelKey(l)
	if _, ok := b.labels[k]; !ok {
		b.labels[k] = stripName(l)
		b.by[k] = map[int64]map[string]float64{}
	}
	byT, name := b.by[k], l["__name__"]
	return func(t int64, v float64) {
		if b.keep != nil && !b.keep(t) {
			return
		}
		m := byT[t]
		if m == nil {
			m = map[string]float64{}
			byT[t] = m
		}
		m[name] = v
	}
}

// done returns the scrapes of each entity, oldest first, and its labels.
func (b *scrapeBuilder) done() (map[string][]scrape, map[string]map[string]string) {
	out := make(map[string][]scrape, len(b.by))
	for k, m := range b.by {
		l := make([]scrape, 0, len(m))
		for t, v := range m {
			l = append(l, scrape{t: t, vals: v})
		}
		sort.Slice(l, func(i, j int) bool { return l[i].t < l[j].t })
		out[k] = l
	}
	return out, b.labels
}

// scanQuerier is a Querier that can also hand over an instant query's
// answer series by series as it decodes it (promapi.Client.QueryScan), so
// that raw reads do not hold the answer and its decoded series besides
// what is kept of them (issue 24). scanned false: not taken, run Query.
type scanQuerier interface {
	QueryScan(ctx context.Context, expr string, t time.Time, series func(labels map[string]string) func(t int64, v float64)) (n int, scanned bool, err error)
}

// remoteReader is a Querier that can read raw samples through Prometheus'
// remote-read API (promapi.Client.RemoteRead): the stored chunks as they
// are, which costs the server no PromQL evaluation and no JSON, and the
// engine no JSON decoding (issue 24). It hands over every sample of the
// chunks that overlap [from, to] (the caller keeps what it wants by
// timestamp), without staleness markers, series by series in time order.
// read false: the backend has none (VictoriaMetrics), take the query API.
// A series' samples are handed over chunk by chunk (timestamps and values,
// slices that are the reader's again after the call).
type remoteReader interface {
	RemoteRead(ctx context.Context, selector string, from, to time.Time, series func(labels map[string]string) func(ts []int64, vs []float64)) (n int, read bool, err error)
}

// RawRead is one read of a batch (batchRemoteReader): the raw samples of
// Selector's series in the chunks that overlap [From, To].
type RawRead struct {
	Selector string
	From, To time.Time
}

// batchRemoteReader is a remoteReader that sends several reads in one request
// (promapi.Client.RemoteReadBatch): series gets the index of the read each
// series answers. read false: as RemoteRead's, for all of them.
type batchRemoteReader interface {
	RemoteReadBatch(ctx context.Context, reads []RawRead, series func(i int, labels map[string]string) func(ts []int64, vs []float64)) (read bool, err error)
}

// auditRemoteRead lists a remote read in the audit: expr is the range
// selector whose samples it read (evaluated at t), which reproduces them
// through the query API.
func (r *run) auditRemoteRead(purpose, expr string, t time.Time, series int) {
	r.mu.Lock()
	r.audit = append(r.audit, AuditQuery{Purpose: purpose, PromQL: RemoteReadPrefix + expr, EvalAt: t.UTC().Format(time.RFC3339), Series: series})
	r.mu.Unlock()
}

// readKept runs a remote read and hands series the samples keep takes,
// chunk by chunk (slices that are the reader's again after the call); a
// series with none is not handed over, as a range selector does not
// return it. keep is a window: the samples it takes are consecutive, so
// only a chunk across its edge is tested sample by sample. n is the
// number of series handed over.
func readKept(r *run, rr remoteReader, selector string, from, to time.Time, keep func(int64) bool, series func(map[string]string) func(ts []int64, vs []float64)) (n int, read bool, err error) {
	_, read, err = rr.RemoteRead(r.ctx, selector, from, to, kept(keep, series, &n))
	return n, read, err
}

// kept is readKept's series: it hands series the samples keep takes and
// counts in n the series handed over.
func kept(keep func(int64) bool, series func(map[string]string) func(ts []int64, vs []float64), n *int) func(map[string]string) func([]int64, []float64) {
	return func(l map[string]string) func([]int64, []float64) {
		var add func([]int64, []float64)
		return func(ts []int64, vs []float64) {
			a, b := 0, len(ts)
			if b == 0 || !keep(ts[0]) || !keep(ts[b-1]) {
				for a < b && !keep(ts[a]) {
					a++
				}
				for b > a && !keep(ts[b-1]) {
					b--
				}
				if a == b {
					return
				}
			}
			if add == nil {
				add = series(l)
				*n++
			}
			add(ts[a:b], vs[a:b])
		}
	}
}

// eachSample hands a chunk's samples to the sample-by-sample sink series
// returns (readKept's series from a rawSink's).
func eachSample(series func(map[string]string) func(int64, float64)) func(map[string]string) func([]int64, []float64) {
	return func(l map[string]string) func([]int64, []float64) {
		add := series(l)
		return func(ts []int64, vs []float64) {
			for i, t := range ts {
				add(t, vs[i])
			}
		}
	}
}

// RemoteReadPrefix marks, in the audit, the raw reads made through the
// remote-read API: the rest of the entry is the range selector that
// reads the same samples through the query API.
const RemoteReadPrefix = "remote read API: "

// has reports whether sc holds every name.
func (sc scrape) has(names []string) bool {
	for _, n := range names {
		if _, ok := sc.vals[n]; !ok {
			return false
		}
	}
	return true
}

// series runs the series API and records it for the audit.
func (r *run) series(purpose, match string) ([]map[string]string, error) {
	res, err := r.q.Series(r.ctx, match, r.start(), r.end())
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.audit = append(r.audit, AuditQuery{Purpose: purpose, PromQL: "series API: " + match,
		EvalAt: r.start().UTC().Format(time.RFC3339) + " … " + r.end().UTC().Format(time.RFC3339), Series: len(res)})
	r.mu.Unlock()
	return res, nil
}

// instant returns, per entity, the last sample at or before t (within the
// lookback) of each of names, in one query.
func (r *run) instant(purpose string, names []string, t time.Time) (map[string]scrape, map[string]map[string]string, error) {
	res, err := r.query(purpose, fmt.Sprintf("%s %s", r.selector("", "__name__=~"+RegexAlternation(names)), at(t)), t)
	if err != nil {
		return nil, nil, err
	}
	sc, labels := scrapesOf(res)
	out := make(map[string]scrape, len(sc))
	for k, l := range sc {
		if len(l) > 0 {
			out[k] = l[len(l)-1]
		}
	}
	return out, labels, nil
}

// edgeInstant is instant at a period edge of family f's availability
// (names: f.edgeInstantNames()): the answer of the edge's one read where
// the backend gives it (edgeread.go), else the query, shared by the runs of
// the build that meet there (shared.go).
func (r *run) edgeInstant(f family, purpose string, names []string, t time.Time) (map[string]scrape, map[string]map[string]string, error) {
	if a, err := r.edgeRead(f, t); err != nil || a != nil {
		if err != nil {
			return nil, nil, err
		}
		return a.instant, a.labels, nil
	}
	type answer struct {
		v map[string]scrape
		l map[string]map[string]string
	}
	a, err := shared(r, edgeKey("instant "+r.sel, names, "", nil, t, t), purpose, func(rr *run) (answer, error) {
		v, l, err := rr.instant(purpose, names, t)
		return answer{v, l}, err
	})
	return a.v, a.l, err
}

// raw returns the raw samples of names in (from, to] for the entities whose
// name label is in vals (nameLabel empty: every entity), and the labels of
// each key.
func (r *run) raw(purpose string, names []string, nameLabel string, vals []string, from, to time.Time) (map[string][]scrape, map[string]map[string]string, error) {
	b, err := rawRead(r, purpose, names, nameLabel, vals, from, to, func(keep func(int64) bool) *scrapeBuilder {
		b := newScrapeBuilder()
		b.keep = keep
		return b
	})
	if err != nil {
		return nil, nil, err
	}
	sc, labels := b.done()
	return sc, labels, nil
}

// rawSink takes a raw read's answer series by series: series gets each
// series' labels (with __name__) and returns where its samples go (unix
// ms, value).
type rawSink interface {
	series(labels map[string]string) func(t int64, v float64)
}

// rawRead reads the raw samples in (from, to] of names of the entities
// whose nameLabel is one of vals (nameLabel empty: of every entity of the
// report's selection) into a sink made by mk, which gets the
// window's test: samples are kept by timestamp, whatever a backend does
// at the window's edges. The answer streams into the sink when the
// querier can (scanQuerier); else (or when the stream is not taken) a new
// sink gets Query's answer.
func rawRead[S rawSink](r *run, purpose string, names []string, nameLabel string, vals []string, from, to time.Time, mk func(keep func(int64) bool) S) (S, error) {
	// Evaluated at `to` as well as `@ to`: some backends (VictoriaMetrics
	// 1.79) evaluate a bare range selector at the query time.
	sel := rawSelector(r, names, nameLabel, vals)
	expr := rangeAt(sel, from, to)
	keep := leftOpen(from, to)
	if rr, ok := r.q.(remoteReader); ok {
		b := mk(keep)
		n, read, err := readKept(r, rr, sel, from, to, keep, eachSample(b.series))
		if err != nil {
			var zero S
			return zero, err
		}
		if read {
			r.auditRemoteRead(purpose, expr, to, n)
			return b, nil
		}
	}
	if sq, ok := r.q.(scanQuerier); ok {
		b := mk(keep)
		n, scanned, err := sq.QueryScan(r.ctx, expr, to, b.series)
		if err != nil {
			var zero S
			return zero, err
		}
		if scanned {
			r.mu.Lock()
			r.audit = append(r.audit, AuditQuery{Purpose: purpose, PromQL: expr, EvalAt: to.UTC().Format(time.RFC3339), Series: n})
			r.mu.Unlock()
			return b, nil
		}
	}
	res, err := r.query(purpose, expr, to)
	if err != nil {
		var zero S
		return zero, err
	}
	b := mk(keep)
	for _, s := range res {
		add := b.series(s.Labels)
		for _, p := range s.Points {
			add(p.T.UnixMilli(), p.V)
		}
	}
	return b, nil
}

// rawSpec is one read of rawReads: names of the entities whose nameLabel
// is one of vals, in (from, to] (rawRead's arguments).
type rawSpec struct {
	names, vals []string
	nameLabel   string
	from, to    time.Time
}

// rawReads is rawRead of each spec, into the sinks mk makes (mk(i, keep)
// for specs[i]), all in one request where the backend takes a batch
// (batchRemoteReader; each read listed in the audit on its own, as rawRead's),
// else one by one through rawRead.
func rawReads[S rawSink](r *run, purpose string, specs []rawSpec, mk func(i int, keep func(int64) bool) S) ([]S, error) {
	out := make([]S, len(specs))
	if br, ok := r.q.(batchRemoteReader); ok && len(specs) > 1 {
		reads := make([]RawRead, len(specs))
		sinks := make([]func(map[string]string) func([]int64, []float64), len(specs))
		ns := make([]int, len(specs))
		for i, sp := range specs {
			keep := leftOpen(sp.from, sp.to)
			out[i] = mk(i, keep)
			reads[i] = RawRead{Selector: rawSelector(r, sp.names, sp.nameLabel, sp.vals), From: sp.from, To: sp.to}
			sinks[i] = kept(keep, eachSample(out[i].series), &ns[i])
		}
		read, err := br.RemoteReadBatch(r.ctx, reads, func(i int, l map[string]string) func([]int64, []float64) { return sinks[i](l) })
		if err != nil {
			return nil, err
		}
		if read {
			for i, sp := range specs {
				r.auditRemoteRead(purpose, rangeAt(reads[i].Selector, sp.from, sp.to), sp.to, ns[i])
			}
			return out, nil
		}
		// Refused: nothing was handed over; each read makes its own sink.
	}
	for i, sp := range specs {
		s, err := rawRead(r, purpose, sp.names, sp.nameLabel, sp.vals, sp.from, sp.to, func(keep func(int64) bool) S { return mk(i, keep) })
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// leftOpen is rawRead's test of a sample's timestamp: in (from, to], as a
// range selector evaluated at to takes it.
func leftOpen(from, to time.Time) func(int64) bool {
	lo, hi := from.UnixMilli(), to.UnixMilli()
	return func(t int64) bool { return t > lo && t <= hi }
}

// rawSelector is rawRead's selector: names of the entities whose
// nameLabel is one of vals (nameLabel empty: every entity of the report's
// selection).
func rawSelector(r *run, names []string, nameLabel string, vals []string) string {
	ms := []string{"__name__=~" + RegexAlternation(names)}
	if nameLabel != "" {
		ms = append(ms, nameLabel+"=~"+RegexAlternation(uniq(vals)))
	}
	return r.selector("", ms...)
}

// restartWindowBefore and restartWindowAfter bound the raw samples read
// around a restart: the previous lifetime's last sample must be within the
// hour before it (else the entity's raw samples of the month are read), and
// the new lifetime's first sample within 20 min after it (scrape intervals
// up to 20 min, clock differences between exporter and Prometheus).
const (
	restartWindowBefore = time.Hour
	restartWindowAfter  = 20 * time.Minute
)

// lifetime is an entity being walked back through its restarts.
type lifetime struct {
	key    string
	name   string             // name-label value
	since  float64            // start time of the lifetime reached so far (> month start)
	acc    map[string]float64 // increase of the lifetimes walked so far
	end    map[string]float64 // values at the month end
	seen   map[float64]bool   // start times of the lifetimes walked
	resets int
	walkedLives
}

// walkedLives is where an entity's lifetimes in the month ended: the time of
// the last scrape of each earlier lifetime (newest first), and whether the
// oldest of them was already running at the month start (its value there is
// then subtracted).
type walkedLives struct {
	lastScrapes []int64 // unix ms
	fromStart   bool
}

// fetchAvailability computes the availability family of ns for all
// entities (see the top of this file).
func (r *run) fetchAvailability(ns string) ([]EntityResult, error) {
	es, _, err := r.availability(ns)
	return es, err
}

// availWalk is what the availability computation learnt that increases
// needs, handed over by the caller (nothing is left on the run): the
// lifetimes of the entities it walked back through their restarts, by
// name-label value, and how many label sets each entity had in the period
// (discovery.go).
type availWalk struct {
	walked map[string]walkedLives
	keys   map[string]int
}

// availability is fetchAvailability with its walk.
func (r *run) availability(ns string) ([]EntityResult, *availWalk, error) {
	f := familyFor(ns)
	names := f.availCounters()
	withStart := append(append([]string{}, names...), f.started)
	withState := f.edgeInstantNames()
	var disc []map[string]string
	var endV, startV map[string]scrape
	var endL map[string]map[string]string
	own, fromOwn := r.ownSeries(f, r.start(), r.end())
	err := r.parallel(
		func() (err error) {
			if !fromOwn {
				disc, err = r.series("entities: series with samples in the month ("+f.observed+")", r.selector(f.observed))
			}
			return
		},
		// The same names at both edges (the state, which only the start
		// needs, at the end too): where two periods meet, one query
		// answers the end of one and the start of the next (shared.go).
		func() (err error) {
			endV, endL, err = r.edgeInstant(f, "counters, start time and state at the month end (last sample at or before it)", withState, r.end())
			return
		},
		func() (err error) {
			startV, _, err = r.edgeInstant(f, "counters, start time and state at the month start (last sample at or before it)", withState, r.start())
			return
		},
	)
	if err != nil {
		return nil, nil, err
	}
	if fromOwn {
		if disc, err = r.notAtEnd(f, own, endV); err != nil {
			return nil, nil, err
		}
	} else if r.subReads != nil && r.reads == r.subReads {
		r.subReads.setSeries(f.ns, r.start(), r.end(), disc) // the period's own run: its months' (ownSeries)
	}
	labels := map[string]map[string]string{}
	for _, l := range disc {
		labels[labelKey(l)] = stripName(l)
	}
	for k, l := range endL {
		if _, ok := endV[k].vals[f.observed]; ok {
			labels[k] = l
		}
	}
	aw := &availWalk{walked: map[string]walkedLives{}, keys: map[string]int{}}
	for _, l := range labels {
		aw.keys[l[f.nameLabel]]++
	}
	S := float64(r.start().UnixMilli()) / 1e3
	counters := map[string]map[string]Counter{}
	var walking []*lifetime
	var slow []string
	for k, ls := range labels {
		e, okE := endV[k]
		st, okS := startV[k]
		switch {
		case r.cfg.RawCounters:
			slow = append(slow, k) // the raw-sample path for every entity (a comparison)
		case !okE || !e.has(withStart):
			slow = append(slow, k) // ended early, or no start time exported
		case e.vals[f.started] <= S:
			if !okS || !st.has(withStart) || st.vals[f.started] != e.vals[f.started] || decreased(names, st, e) {
				slow = append(slow, k) // no sample at the month start (or a counter went down: let the raw samples say)
				continue
			}
			cs := map[string]Counter{}
			for _, n := range names {
				cs[n] = Counter{Start: st.vals[n], End: e.vals[n], Delta: e.vals[n] - st.vals[n]}
			}
			counters[k] = cs
		default:
			acc := map[string]float64{}
			for _, n := range names {
				acc[n] = e.vals[n]
			}
			walking = append(walking, &lifetime{key: k, name: ls[f.nameLabel], since: e.vals[f.started], acc: acc, end: e.vals,
				seen: map[float64]bool{e.vals[f.started]: true}})
		}
	}
	// Walk restarted entities back, one level (one restart) per round.
	var mu sync.Mutex
	for len(walking) > 0 {
		groups := map[float64][]*lifetime{}
		for _, w := range walking {
			groups[w.since] = append(groups[w.since], w)
		}
		walking = nil
		var fns []func() error
		for since, g := range groups {
			fns = append(fns, func() error {
				restart := time.UnixMilli(int64(math.Round(since * 1e3)))
				from := restart.Add(-restartWindowBefore)
				if !from.After(r.start()) {
					from = r.start()
				}
				var vals []string
				for _, w := range g {
					vals = append(vals, w.name)
				}
				sc, _, err := r.raw("samples around a counter restart (last values before it)", withStart, f.nameLabel, vals, from, restart.Add(restartWindowAfter))
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				for _, w := range g {
					// The last sample of the previous lifetime: the newest
					// sample before this lifetime's first one whose start
					// time is none of the lifetimes walked so far (a later
					// lifetime's samples may be in the window too; order is
					// by sample time, so a wall clock that stepped back
					// between two lifetimes does not matter).
					// The window must hold this lifetime's first sample: the
					// start time is the exporter's clock, the samples'
					// times are Prometheus' — if they disagree by more than
					// the window allows, the raw samples decide.
					var prev *scrape
					first := false
					for i, x := range sc[w.key] {
						st, ok := x.vals[f.started]
						if ok && st == since {
							first = true
							break
						}
						if !ok || !w.seen[st] {
							prev = &sc[w.key][i]
						}
					}
					st, okS := startV[w.key]
					switch {
					case !first:
						slow = append(slow, w.key)
					case prev == nil && from.Equal(r.start()):
						// No sample of an earlier lifetime in the month before the restart.
						if okS {
							w.resets++ // from the value at the month start
						}
						counters[w.key] = walkedCounters(names, f.started, w, st, okS, nil)
						aw.walked[w.name] = w.walkedLives
					case prev == nil || !prev.has(withStart):
						slow = append(slow, w.key)
					case prev.vals[f.started] > S:
						for _, n := range names {
							w.acc[n] += prev.vals[n]
						}
						w.lastScrapes = append(w.lastScrapes, prev.t)
						w.since, w.resets = prev.vals[f.started], w.resets+1
						w.seen[w.since] = true
						walking = append(walking, w)
					case okS && st.has(withStart) && st.vals[f.started] == prev.vals[f.started]:
						w.resets++
						w.lastScrapes, w.fromStart = append(w.lastScrapes, prev.t), true
						counters[w.key] = walkedCounters(names, f.started, w, st, true, prev)
						aw.walked[w.name] = w.walkedLives
					default:
						slow = append(slow, w.key)
					}
				}
				return nil
			})
		}
		if err := r.parallel(fns...); err != nil {
			return nil, nil, err
		}
	}
	if len(slow) > 0 {
		if err := r.slowCounters(f, names, slow, labels, startV, endV, counters); err != nil {
			return nil, nil, err
		}
	}
	bounds, missing, err := r.edgeInterpolate(f, names, counters, labels)
	if err != nil {
		return nil, nil, err
	}
	ms := r.month.Seconds()
	res := make([]EntityResult, 0, len(counters))
	// In the order of the entities' keys (labelKey of their labels).
	for _, k := range slices.Sorted(maps.Keys(counters)) {
		cs := counters[k]
		ls := labels[k]
		e := EntityResult{NS: ns, Labels: ls, Name: ls[f.nameLabel], Counters: cs, EdgeBoundSeconds: bounds[k],
			StartsInside: missing[k][0], EndsInside: missing[k][1]}
		e.ObservedSeconds = cs[f.observed].Delta
		e.DownSeconds = cs[f.down].Delta
		e.MaintenanceSeconds = cs[f.maint].Delta
		e.MaintenanceDownSeconds = cs[f.maintDown].Delta
		e.StateChanges = cs[f.changes].Delta
		tg := r.cfg.TargetFor(ns, ls)
		e.Target, e.TargetInternal = tg.Ratio, tg.Internal
		ev := Evaluate(ms, e.ObservedSeconds, e.DownSeconds, e.MaintenanceSeconds, tg.Ratio, r.cfg.MaintenancePolicy)
		e.Availability, e.AvailabilityLowerBound = nz(ev.Availability), nz(ev.LowerBound)
		e.BudgetSeconds, e.RemainingSeconds, e.UnknownSeconds, e.Status = ev.Budget, ev.Remaining, ev.Unknown, ev.Status
		res = append(res, e)
	}
	if r.figuresOnly {
		return res, aw, nil
	}
	if err := r.fetchIncidents(f, res, startV); err != nil {
		return nil, nil, err
	}
	return res, aw, nil
}

// decreased reports whether any counter is lower in b than in a.
func decreased(names []string, a, b scrape) bool {
	for _, n := range names {
		if b.vals[n] < a.vals[n] {
			return true
		}
	}
	return false
}

// walkedCounters finishes a walked entity: its completed lifetimes (w.acc)
// plus the oldest one in the month, from the month start value st to its
// last value prev (nil: that lifetime has no sample in the month after the
// start; without st the entity began inside the month).
func walkedCounters(names []string, started string, w *lifetime, st scrape, okS bool, prev *scrape) map[string]Counter {
	cs := map[string]Counter{}
	for _, n := range names {
		c := Counter{End: w.end[n], Resets: w.resets, Delta: w.acc[n],
			Note: docfmt.Count(w.resets, "counter reset", "counter resets") + " found from " + started + ": increase summed over the lifetimes"}
		switch {
		case prev != nil:
			c.Start = st.vals[n]
			c.Delta += prev.vals[n] - st.vals[n]
		case okS:
			c.Start = st.vals[n]
		default:
			c.Note = "no sample at the month start: the series began inside the month at 0; " + c.Note
		}
		cs[n] = c
	}
	return cs
}

// slowCounters gives the counters of keys (entities the edges could not
// decide) with counterSums: their figures are rawSums' over the period.
func (r *run) slowCounters(f family, names []string, keys []string, labels map[string]map[string]string,
	startV, endV map[string]scrape, counters map[string]map[string]Counter) error {
	var refs []seriesRef
	for _, k := range keys {
		for _, n := range names {
			refs = append(refs, seriesRef{key: k, name: n, labels: labels[k]})
		}
	}
	sums, _, err := r.counterSums(f, names, refs, startV, endV)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if cs := sums[k]; len(cs) > 0 {
			counters[k] = cs // else no sample in the month: not an entity of this month
		}
	}
	return nil
}

// rawSums sums every counter in the raw samples l of one key (oldest first,
// from before the month start S to its end) with lifetimeSum; a counter
// without a sample in the month is left out.
func rawSums(l []scrape, started string, S int64) map[string]Counter {
	names := map[string]bool{}
	for _, x := range l {
		for n := range x.vals {
			names[n] = n != started
		}
	}
	out := map[string]Counter{}
	for n, isCounter := range names {
		if !isCounter {
			continue
		}
		var base *scrape
		var in []scrape
		for i, x := range l {
			if _, ok := x.vals[n]; !ok {
				continue
			}
			if x.t <= S {
				base = &l[i]
			} else {
				in = append(in, x)
			}
		}
		if len(in) > 0 {
			out[n] = lifetimeSum(n, started, base, in, S)
		}
	}
	return out
}

// lifetimeSum sums counter n over the samples in (oldest first) after the
// base sample (the last at or before the month start S, or nil). A sample
// starts a new lifetime when its start time differs from the previous one's
// or its value went down.
func lifetimeSum(n, started string, base *scrape, in []scrape, S int64) Counter {
	a := newLifeAcc(n, started, base, S)
	for _, x := range in {
		a.add(x)
	}
	return a.counter()
}

// lifeAcc is lifetimeSum in steps, so that a period's raw samples can be
// read and folded a chunk at a time.
type lifeAcc struct {
	n, started      string
	c               Counter
	prev, prevStart float64
	have, first     bool
}

func newLifeAcc(n, started string, base *scrape, start int64) *lifeAcc {
	a := &lifeAcc{n: n, started: started, prevStart: math.NaN(), first: true}
	if base != nil {
		if v, ok := base.vals[n]; ok {
			a.prev, a.have = v, true
			a.c.Start = v
			if s, ok := base.vals[started]; ok {
				a.prevStart = s
			}
			if age := start - base.t; age > 5*60*1000 {
				a.c.Note = fmt.Sprintf("the last sample before the month start is %d s older than it (no scrape then): the increase across that gap counts in this month; ", age/1000)
			}
		}
	}
	if !a.have {
		a.c.Note = "no sample at the month start: the series began inside the month at 0; "
	}
	return a
}

// add folds the next sample (after the base, oldest first).
func (a *lifeAcc) add(x scrape) {
	v, ok := x.vals[a.n]
	if !ok {
		return
	}
	s, okS := x.vals[a.started]
	newLife := (a.have || !a.first) && (v < a.prev || okS && !math.IsNaN(a.prevStart) && s != a.prevStart)
	switch {
	case newLife:
		a.c.Delta += v
		a.c.Resets++
	case !a.have && a.first:
		a.c.Delta += v
	default:
		a.c.Delta += v - a.prev
	}
	a.prev, a.first = v, false
	if okS {
		a.prevStart = s
	}
	a.c.End = v
}

// counter is the sum so far.
func (a *lifeAcc) counter() Counter {
	c := a.c
	if c.Resets > 0 {
		c.Note += docfmt.Count(c.Resets, "counter reset", "counter resets") + ": increase summed piecewise from raw samples"
	}
	c.Note = strings.TrimSuffix(c.Note, "; ")
	return c
}

// counterMaxPoints bounds the samples of one raw answer of counterSums
// (about 30 bytes each in JSON: ~12 MB).
const counterMaxPoints = 400000

// counterBaseWindow is how far before the period start the raw path looks
// for each counter's value there (rawSums' base).
const counterBaseWindow = 24 * time.Hour

// seriesRef is one counter series of an entity the edges could not decide.
type seriesRef struct {
	key, name string
	labels    map[string]string // without __name__
}

// counterSums returns the increase over the period of the counter series
// refs, by series key and counter (with each key's labels): rawSums' figures
// over the raw samples of (S − 24 h, E] — lifetimes told apart by the
// entity's start time in the same scrape or a decrease — without reading
// them where instant queries say the same (issue 24: at 15 s a month is
// ~170 000 samples per series, a raw answer of a month 70 MiB and more).
// startV and endV are the values at S and E (instant lookback):
//
//   - one query of changes() of the entities' start time over (S − 24 h, E];
//     per counter, for the entities with a series lacking a value at S,
//     count_over_time of the 24 h before S, and for those with one lacking a
//     value at E (a series that ended inside), last_over_time over (S, E].
//     An entity that exports its start time, with no start-time change
//     there, whose last sample before S is within the lookback of startV (or
//     absent from those 24 h), and no counter lower at its end than at S,
//     had no counter reset in the period (a reset restarts the exporter,
//     whose start time then changes: docs/metrics.md), so per series with a
//     sample in the period its increase = last value − value at S, or the
//     last value when it had none at S (began inside at 0) — exactly
//     lifetimeSum's sum of its samples. The server reads the start-time
//     series over the period and a counter's samples only where it ended
//     inside it;
//   - the other entities (all of them with Config.RawCounters): their raw
//     samples, read a day at a time (the 24 h before S first, for the value
//     there) in batches of entities of at most counterMaxPoints samples (one
//     query_range of count_over_time per entity and day sizes them), folded
//     into running sums (lifeAcc): memory holds one chunk per batch in
//     flight, whatever the period's length.
func (r *run) counterSums(f family, names []string, refs []seriesRef, startV, endV map[string]scrape) (map[string]map[string]Counter, map[string]map[string]string, error) {
	S, E := r.start(), r.end()
	all, needBase, needLast := map[string]bool{}, map[string]map[string]bool{}, map[string]map[string]bool{}
	series := map[string]int{} // entity → series
	for _, s := range refs {
		ent := s.labels[f.nameLabel]
		all[ent] = true
		series[ent]++
		if _, ok := startV[s.key].vals[s.name]; !ok {
			if needBase[s.name] == nil {
				needBase[s.name] = map[string]bool{}
			}
			needBase[s.name][ent] = true
		}
		if _, ok := endV[s.key].vals[s.name]; !ok {
			if needLast[s.name] == nil {
				needLast[s.name] = map[string]bool{}
			}
			needLast[s.name][ent] = true
		}
	}
	if len(all) == 0 {
		return map[string]map[string]Counter{}, map[string]map[string]string{}, nil
	}
	match := func(ents map[string]bool) string {
		l := make([]string, 0, len(ents))
		for e := range ents {
			l = append(l, e)
		}
		sort.Strings(l)
		return f.nameLabel + "=~" + RegexAlternation(l)
	}
	sel := func(n string, ents map[string]bool) string {
		return r.selector("", "__name__=~"+RegexAlternation([]string{n}), match(ents))
	}
	atE, atS := strconv.FormatFloat(float64(E.UnixMilli())/1e3, 'f', -1, 64), strconv.FormatFloat(float64(S.UnixMilli())/1e3, 'f', -1, 64)
	d := E.Sub(S).Milliseconds()
	if r.rangeSemantics() == RangeClosed {
		d-- // (S, E]
	}
	type fnq struct {
		n, expr, purpose string
		at               time.Time
	}
	qs := []fnq{{f.started, fmt.Sprintf("changes(%s[%dms] @ %s)", sel(f.started, all), E.Sub(S.Add(-counterBaseWindow)).Milliseconds(), atE),
		"start-time changes from 24 h before the period start to its end (counter resets; " + f.started + ")", E}}
	for _, n := range names {
		if len(needBase[n]) > 0 {
			qs = append(qs, fnq{n, fmt.Sprintf("count_over_time(%s[%dms] @ %s)", sel(n, needBase[n]), counterBaseWindow.Milliseconds(), atS),
				"samples in the 24 h before the period start of series without a value at it (" + n + ")", S})
		}
		if len(needLast[n]) > 0 {
			qs = append(qs, fnq{n, fmt.Sprintf("last_over_time(%s[%dms] @ %s)", sel(n, needLast[n]), d, atE),
				"last value in the period of series that ended inside it (" + n + ")", E})
		}
	}
	res := make([]map[string]float64, len(qs))
	hasStart := map[string]bool{}
	restarted := map[string]bool{}
	var mu sync.Mutex
	var fns []func() error
	for i, q := range qs {
		fns = append(fns, func() error {
			out, err := r.query(q.purpose, q.expr, q.at)
			if err != nil {
				return err
			}
			m := map[string]float64{}
			mu.Lock()
			defer mu.Unlock()
			for _, s := range out {
				if len(s.Points) == 0 {
					continue
				}
				v := s.Points[len(s.Points)-1].V
				m[labelKey(s.Labels)] = v
				if i == 0 {
					ent := s.Labels[f.nameLabel]
					hasStart[ent] = true
					restarted[ent] = restarted[ent] || v > 0
				}
			}
			res[i] = m
			return nil
		})
	}
	if err := r.parallel(fns...); err != nil {
		return nil, nil, err
	}
	base, last := map[string]map[string]float64{}, map[string]map[string]float64{}
	for i, q := range qs[1:] {
		if strings.HasPrefix(q.expr, "count_over_time(") {
			base[q.n] = res[i+1]
		} else {
			last[q.n] = res[i+1]
		}
	}
	type val struct {
		c  Counter
		ok bool
	}
	rawEnt := map[string]bool{}
	vals := make([]val, len(refs))
	for i, s := range refs {
		ent := s.labels[f.nameLabel]
		st, inS := startV[s.key].vals[s.name]
		e, inE := endV[s.key].vals[s.name]
		if !inE {
			e, inE = last[s.name][s.key]
		}
		if r.cfg.RawCounters || !hasStart[ent] || restarted[ent] || !inS && base[s.name][s.key] > 0 || inS && inE && e < st {
			rawEnt[ent] = true // no start time, restarted, a scrape gap at S, lower at the end, or asked for
			continue
		}
		if !inE {
			continue // no sample in the period
		}
		c := Counter{End: e, Delta: e}
		if inS {
			c.Start, c.Delta = st, e-st
		} else {
			c.Note = "no sample at the month start: the series began inside the month at 0"
		}
		vals[i] = val{c, true}
	}
	out := map[string]map[string]Counter{}
	labels := map[string]map[string]string{}
	for i, s := range refs {
		if !vals[i].ok || rawEnt[s.labels[f.nameLabel]] {
			continue
		}
		if out[s.key] == nil {
			out[s.key] = map[string]Counter{}
		}
		out[s.key][s.name], labels[s.key] = vals[i].c, s.labels
	}
	var raw []string
	for e := range rawEnt {
		raw = append(raw, e)
	}
	if len(raw) == 0 {
		return out, labels, nil
	}
	sort.Strings(raw)
	return out, labels, r.rawCounterSums(f, names, raw, series, out, labels)
}

// rawCounterSums folds the raw samples of the entities ents (names: their
// counters; series: each entity's series count) into out, a day at a time
// (see counterSums).
func (r *run) rawCounterSums(f family, names, ents []string, series map[string]int, out map[string]map[string]Counter, labels map[string]map[string]string) error {
	const day = 24 * time.Hour
	S, E := r.start(), r.end()
	extra := f.nameLabel + "=~" + RegexAlternation(ents)
	perDay := map[string]float64{} // entity → most samples of one scrape series in one day
	cres, err := r.queryRange("raw counter sums: samples per entity and day (sizes the raw reads)",
		"count_over_time("+r.selector(f.started, extra)+"[1d]) or count_over_time("+r.selector(f.observed, extra)+"[1d])", S, E, day)
	if err != nil {
		return err
	}
	for _, s := range cres {
		for _, p := range s.Points {
			perDay[s.Labels[f.nameLabel]] = math.Max(perDay[s.Labels[f.nameLabel]], p.V)
		}
	}
	var batches [][]string
	var cur []string
	pts := 0.0
	for _, e := range ents {
		n := perDay[e] * float64(series[e]+1)
		if len(cur) > 0 && pts+n > counterMaxPoints {
			batches, cur, pts = append(batches, cur), nil, 0
		}
		cur, pts = append(cur, e), pts+n
	}
	batches = append(batches, cur)
	withStart := append(append([]string{}, names...), f.started)
	isCounter := map[string]bool{}
	for _, n := range names {
		isCounter[n] = true
	}
	Sms := S.UnixMilli()
	var mu sync.Mutex
	var fns []func() error
	for _, b := range batches {
		fns = append(fns, func() error {
			base := map[string]map[string]*scrape{} // key → counter → last sample at or before S
			accs := map[string]map[string]*lifeAcc{}
			lbl := map[string]map[string]string{}
			for from := S.Add(-counterBaseWindow); from.Before(E); {
				to := from.Add(day)
				if from.Before(S) {
					to = S
				}
				if to.After(E) {
					to = E
				}
				sc, ls, err := r.raw("raw samples of the counters, one day at a time (a counter reset, a series that ended, or a scrape gap at the period start)", withStart, f.nameLabel, b, from, to)
				if err != nil {
					return err
				}
				started := map[string]map[int64]float64{} // entity → sample time → start time
				for k, l := range sc {
					ent := ls[k][f.nameLabel]
					for _, x := range l {
						if v, ok := x.vals[f.started]; ok {
							if started[ent] == nil {
								started[ent] = map[int64]float64{}
							}
							started[ent][x.t] = v
						}
					}
				}
				for k, l := range sc {
					ent := ls[k][f.nameLabel]
					lbl[k] = ls[k]
					for i := range l {
						x := &l[i]
						if v, ok := started[ent][x.t]; ok {
							x.vals[f.started] = v // the entity's start time of the same scrape
						}
						for n := range x.vals {
							if !isCounter[n] {
								continue
							}
							if x.t <= Sms {
								if base[k] == nil {
									base[k] = map[string]*scrape{}
								}
								base[k][n] = &scrape{t: x.t, vals: x.vals} // not &l[i]: that would keep the chunk alive
								continue
							}
							if accs[k] == nil {
								accs[k] = map[string]*lifeAcc{}
							}
							a := accs[k][n]
							if a == nil {
								a = newLifeAcc(n, f.started, base[k][n], Sms)
								accs[k][n] = a
							}
							a.add(*x)
						}
					}
				}
				from = to
			}
			mu.Lock()
			defer mu.Unlock()
			for k, m := range accs {
				for n, a := range m {
					if out[k] == nil {
						out[k] = map[string]Counter{}
					}
					out[k][n], labels[k] = a.counter(), lbl[k]
				}
			}
			return nil
		})
	}
	return r.parallel(fns...)
}

// counterEdges are the reads of increases that do not depend on the
// availability walk: every series' last sample at or before each edge, with
// its entity's start time, and the configuration loads of the exporters
// and of Prometheus at both edges (discovery.go: which entities' series
// must be discovered over the period). Each instant query decodes the
// index entry of every series it selects in the block it touches, so
// buildLines runs them beside fetchAvailability rather than after it.
type counterEdges struct {
	endV, startV map[string]scrape
	labels       map[string]map[string]string // of the keys at either edge
	loads        [2][]configLoad              // at the start, at the end
}

// readCounterEdges runs counterEdges' reads at once.
func (r *run) readCounterEdges(f family, names []string) (*counterEdges, error) {
	withStart := append(append([]string{}, names...), f.started)
	ce := &counterEdges{}
	var startL map[string]map[string]string
	err := r.parallel(
		func() (err error) {
			ce.endV, ce.labels, err = r.instant("counters and their entity's start time at the month end (last sample at or before it)", withStart, r.end())
			return
		},
		func() (err error) {
			ce.startV, startL, err = r.instant("counters and their entity's start time at the month start (last sample at or before it)", withStart, r.start())
			return
		},
		func() (err error) {
			ce.loads[0], err = r.readConfigLoads(f, r.start())
			return
		},
		func() (err error) {
			ce.loads[1], err = r.readConfigLoads(f, r.end())
			return
		},
	)
	if err != nil {
		return nil, err
	}
	for k, l := range startL {
		ce.labels[k] = l
	}
	return ce, nil
}

// counterIncrease is the month's increase of one counter series.
type counterIncrease struct {
	Labels map[string]string // without __name__
	Name   string
	Counter
}

// increases returns the month's increase of every series of the counters
// names of family f's entities, series that may carry labels beyond the
// entity's (target, le, peer: line_exporter's ICMP, RTT and BGP counters),
// on the same basis as the availability counters: every counter of an
// entity resets with its NS_start_time_seconds (docs/metrics.md), so:
//
//   - where the entity's start time is before the month start and the same
//     at both ends, a series' increase is its value at the month end minus
//     its value at the month start — or its value at the end when it had no
//     sample at the start although its entity had one (created in the
//     month, at 0);
//   - where availability(f.ns) walked the entity back through its
//     restarts (aw, handed over by the caller), each earlier lifetime
//     ended at a scrape it found: one instant query at each such scrape
//     (the entities that ended a lifetime together in one query) gives
//     those lifetimes' last values: increase = end + Σ last values − the
//     start value when the oldest lifetime was running at the month start;
//   - every series of the other entities (no start time, an entity the walk
//     left to raw samples, a series ended early or lower at the end) gets
//     counterSums' figures: those of its raw samples in the month
//     (lifetimeSum, lifetimes told apart by the entity's start time in the
//     same scrape or a decrease), read only for entities with a reset.
//
// The series are those at either edge and those the series API finds
// with samples in the month, asked only for the entities whose series may
// have begun and ended inside it (toDiscover, discovery.go). ce holds the
// reads that do not depend on the walk (counterEdges), so a caller fetches
// them beside the availability; aw is what its walk found (availability).
func (r *run) increases(f family, names []string, ce *counterEdges, aw *availWalk) ([]counterIncrease, error) {
	endV, startV, labels := ce.endV, ce.startV, ce.labels
	startOf := func(v map[string]scrape) map[string]float64 {
		m := map[string]float64{}
		for k, sc := range v {
			if st, ok := sc.vals[f.started]; ok {
				m[labels[k][f.nameLabel]] = st
			}
		}
		return m
	}
	stEnd, stStart := startOf(endV), startOf(startV)
	entLabels := map[string]map[string]string{}
	for k, sc := range endV {
		if _, ok := sc.vals[f.started]; ok {
			entLabels[labels[k][f.nameLabel]] = labels[k]
		}
	}
	ents, everyone := r.toDiscover(f, ce, aw.keys, stStart, stEnd, entLabels)
	disc, err := r.discover(f, names, ents, everyone)
	if err != nil {
		return nil, err
	}
	type key struct{ k, name string }
	all := map[key]map[string]string{}
	for _, l := range disc {
		all[key{labelKey(l), l["__name__"]}] = stripName(l)
	}
	for k, sc := range endV {
		for n := range sc.vals {
			if n != f.started {
				all[key{k, n}] = labels[k]
			}
		}
	}
	walked := aw.walked
	S := float64(r.start().UnixMilli()) / 1e3
	stable := map[string]bool{}
	slow := map[string]bool{}
	for s, ls := range all {
		ent := ls[f.nameLabel]
		_, okE := endV[s.k].vals[s.name]
		t1, ok1 := stEnd[ent]
		t0, ok0 := stStart[ent]
		_, isWalked := walked[ent]
		switch {
		case r.cfg.RawCounters:
			slow[ent] = true
		case ok0 && ok1 && t1 <= S && t0 == t1 && okE:
			if e, st := endV[s.k].vals[s.name], startV[s.k].vals[s.name]; e < st {
				slow[ent] = true
			}
			stable[ent] = true
		case isWalked && ok1 && t1 > S:
		default:
			slow[ent] = true
		}
	}
	// The last values of the walked entities' earlier lifetimes.
	byScrape := map[int64][]string{}
	for ent := range walked {
		if !slow[ent] && !stable[ent] {
			for _, t := range walked[ent].lastScrapes {
				byScrape[t] = append(byScrape[t], ent)
			}
		}
	}
	lastV := map[int64]map[string]scrape{}
	var mu sync.Mutex
	var fns []func() error
	for t, ents := range byScrape {
		fns = append(fns, func() error {
			sort.Strings(ents)
			ts := time.UnixMilli(t)
			res, err := r.query("counters at the last scrape of a lifetime that ended in the month (found by the availability walk)",
				fmt.Sprintf("%s %s", r.selector("", "__name__=~"+RegexAlternation(names), f.nameLabel+"=~"+RegexAlternation(ents)), at(ts)), ts)
			if err != nil {
				return err
			}
			sc, _ := scrapesOf(res)
			v := map[string]scrape{}
			for k, l := range sc {
				if n := len(l); n > 0 && l[n-1].t == t {
					v[k] = l[n-1]
				}
			}
			mu.Lock()
			lastV[t] = v
			mu.Unlock()
			return nil
		})
	}
	if err := r.parallel(fns...); err != nil {
		return nil, err
	}
	var out, walkedOut []counterIncrease
	for s, ls := range all {
		ent := ls[f.nameLabel]
		if slow[ent] || stable[ent] {
			continue
		}
		wl := walked[ent]
		e, okE := endV[s.k].vals[s.name]
		c := counterIncrease{Labels: ls, Name: s.name, Counter: Counter{End: e, Delta: e, Resets: len(wl.lastScrapes),
			Note: docfmt.Count(len(wl.lastScrapes), "counter reset", "counter resets") + " found from " + f.started + ": increase summed over the lifetimes"}}
		seen := okE
		var oldest float64
		okOldest := false
		for _, t := range wl.lastScrapes {
			v, ok := lastV[t][s.k].vals[s.name]
			if ok {
				c.Delta += v
			}
			seen = seen || ok
			oldest, okOldest = v, ok
		}
		st, okS := startV[s.k].vals[s.name]
		if wl.fromStart && okS {
			if !okOldest || oldest < st {
				slow[ent] = true // ended or reset inside the oldest lifetime
				continue
			}
			c.Start, c.Delta = st, c.Delta-st
		}
		if !seen {
			slow[ent] = true // ended inside a lifetime
			continue
		}
		walkedOut = append(walkedOut, c)
	}
	for _, c := range walkedOut {
		if !slow[c.Labels[f.nameLabel]] {
			out = append(out, c)
		}
	}
	for s, ls := range all {
		if ent := ls[f.nameLabel]; slow[ent] || !stable[ent] {
			continue
		}
		e := endV[s.k].vals[s.name]
		c := counterIncrease{Labels: ls, Name: s.name, Counter: Counter{End: e, Delta: e}}
		if st, ok := startV[s.k].vals[s.name]; ok {
			c.Start, c.Delta = st, e-st
		} else {
			c.Note = "no sample at the month start while its entity had one: the series began inside the month at 0"
		}
		out = append(out, c)
	}
	if len(slow) == 0 {
		return out, nil
	}
	var refs []seriesRef
	for s, ls := range all {
		if slow[ls[f.nameLabel]] {
			refs = append(refs, seriesRef{key: s.k, name: s.name, labels: ls})
		}
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].key+refs[i].name < refs[j].key+refs[j].name })
	sums, sumLabels, err := r.counterSums(f, names, refs, startV, endV)
	if err != nil {
		return nil, err
	}
	for k, cs := range sums {
		ls := sumLabels[k]
		if !slow[ls[f.nameLabel]] {
			continue
		}
		for n, c := range cs {
			out = append(out, counterIncrease{Labels: ls, Name: n, Counter: c})
		}
	}
	return out, nil
}
