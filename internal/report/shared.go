package report

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"
)

// sharedReads are the reads at a period edge that two sub-runs of one
// build make alike: where two months of the per-month table or of the
// trend meet, both read every entity's counters at that instant and the
// raw samples around it, the same query at the same time. The first run to
// ask makes the read, the other waits for it and takes the same answer;
// the entry is dropped once sharedUsers runs have taken it, so a build
// holds only the answers of the months in flight (and of the first and
// last). The whole period's own run shares its edges with its first and
// last month, which read them after it: the answers it leaves are the
// compact ones of edgeread.go (an entity's values at the edge and its two
// scrapes around it), or the instant query's and the pairs elsewhere. The
// previous period's build for 环比 shares the build's reads too: a month's
// start, which only its own run has read, is the previous month's end;
// the previous period's start is the end of the trend's month before it.
// (Where two runs have taken an edge already, as a quarter's start, the
// third reads it again.) Answers are only read, never changed, by their
// users.
//
// Each user lists the read in its own audit under its own purpose: its
// figures come from that evaluation, whichever run sent it.
type sharedReads struct {
	mu sync.Mutex
	m  map[string]*sharedRead
	// series: the entities the own runs found, by family: the period's,
	// and its previous period's for 环比 (ownSeries).
	series map[string][]periodSeries
	// lookback: the backend's instant-query lookback, asked once for the
	// edge reads of all the runs (lookbackDelta).
	lbOnce sync.Once
	lb     time.Duration
	lbErr  error
}

// sharedUsers: an edge belongs to the two periods that meet there.
const sharedUsers = 2

// shareEdges can be turned off by a test, to compare.
var shareEdges = true

type sharedRead struct {
	done    chan struct{}
	val     any
	purpose string       // the first user's
	audit   []AuditQuery // what the read listed
	err     error
	users   int
}

func newSharedReads() *sharedReads { return &sharedReads{m: map[string]*sharedRead{}} }

// shared returns read's answer for key, made once for the sub-runs that
// ask for it (r.reads; without, as for a build's own run, read is simply
// run).
// read runs on a run of its own that only collects the audit entries, so
// each user can list them under its purpose (an entry listed under the
// first user's purpose is relisted under the caller's).
func shared[T any](r *run, key, purpose string, read func(*run) (T, error)) (T, error) {
	s := r.reads
	if s == nil || !shareEdges {
		return read(r)
	}
	s.mu.Lock()
	e, found := s.m[key]
	if !found {
		e = &sharedRead{done: make(chan struct{}), purpose: purpose}
		s.m[key] = e
	}
	if e.users++; e.users >= sharedUsers {
		delete(s.m, key)
	}
	s.mu.Unlock()
	if !found {
		rec := r.sub(r.month)
		v, err := read(rec)
		e.val, e.err, e.audit = v, err, rec.audit
		close(e.done)
	} else {
		select {
		case <-e.done:
		case <-r.ctx.Done():
			var zero T
			return zero, context.Cause(r.ctx)
		}
	}
	if e.err != nil {
		var zero T
		return zero, e.err
	}
	r.mu.Lock()
	for _, a := range e.audit {
		if a.Purpose == e.purpose {
			a.Purpose = purpose
		}
		r.audit = append(r.audit, a)
	}
	r.mu.Unlock()
	return e.val.(T), nil
}

// periodSeries are the series the period's own run found with samples in
// the period, by family (availability: its entities).
type periodSeries struct {
	from, to time.Time
	series   []map[string]string
}

// setSeries keeps the own run's entities of family ns over [from, to].
func (s *sharedReads) setSeries(ns string, from, to time.Time, series []map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.series == nil {
		s.series = map[string][]periodSeries{}
	}
	s.series[ns] = append(s.series[ns], periodSeries{from, to, series})
}

// monthsFromOwn can be turned off by a test, to compare (ownSeries).
var monthsFromOwn = true

// ownSeries returns, for a sub-run (a month of the per-month table or of
// the trend) whose [from, to] lies in its build's period or in the
// previous period built for 环比, the series of family f that period's own
// run found with samples in it: every
// entity with samples in the month is among them, so the month asks the
// series API only about those without a value at its end (notAtEnd)
// instead of about every series of the family — each series' index entry
// in each block of the month, for the months of a year about as much of
// Prometheus' work as the period's own question.
func (r *run) ownSeries(f family, from, to time.Time) ([]map[string]string, bool) {
	if r.reads == nil || r.reads == r.subReads || !monthsFromOwn {
		return nil, false
	}
	r.reads.mu.Lock()
	defer r.reads.mu.Unlock()
	for _, p := range r.reads.series[f.ns] {
		if !from.Before(p.from) && !to.After(p.to) {
			return p.series, true
		}
	}
	return nil, false
}

// notAtEnd returns the series of family f's observed counter with samples
// in the run's month among own (ownSeries) that have no value at its end
// (endV): an entity observed at the end has a sample within the lookback
// before it, so in the month, and is an entity of the month by its value
// there; only the others are asked of the series API, by name (none: no
// question).
func (r *run) notAtEnd(f family, own []map[string]string, endV map[string]scrape) ([]map[string]string, error) {
	var rest []string
	seen := map[string]bool{}
	for _, l := range own {
		if _, ok := endV[labelKey(l)].vals[f.observed]; ok {
			continue
		}
		if n := l[f.nameLabel]; !seen[n] {
			seen[n] = true
			rest = append(rest, n)
		}
	}
	if len(rest) == 0 {
		return nil, nil
	}
	return r.series("entities: series with samples in the month ("+f.observed+") of the period's entities without a value at the month end",
		r.selector(f.observed, f.nameLabel+"=~"+RegexAlternation(rest)))
}

// edgeKey is the key of a read at an edge: what is read (names, the
// entities' name label and values, in any order) and when.
func edgeKey(what string, names []string, nameLabel string, vals []string, from, to time.Time) string {
	vs := append([]string{}, vals...)
	sort.Strings(vs)
	return strings.Join([]string{what, strings.Join(names, "|"), nameLabel, strings.Join(vs, "|"),
		from.UTC().Format(time.RFC3339Nano), to.UTC().Format(time.RFC3339Nano)}, "\x00")
}
