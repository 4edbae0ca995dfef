package report

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/metricnames"
)

// Which entities' counter series must be discovered over the period.
//
// increases needs every series of its counters with samples in the period.
// The instant queries at the two edges give those there; a series that
// began and ended inside the period is at neither, and only the series
// API over the period finds it. That API decodes every selected series'
// index entry in every block the period touches: for the lines' quality
// counters (13 RTT buckets, +Inf, probes, replies, BGP flaps per target:
// 6 800 series at 400 lines) it was 0.7 of Prometheus 2.42's 2.4 CPU-s
// for a signed-off lines month, and 0.46 of its 2.12 s
// (tools/bench/report/README.md).
//
// A series appears in a scrape until its exporter deletes it or stops, or
// until Prometheus stops keeping it. line_exporter deletes a counter series
// only when it loads a configuration (a reload's forget and retainCounters;
// exporters/line_exporter/metrics.go), and a stop is followed by a start,
// which loads one too and (without a clean stop's saved state) changes
// NS_start_time_seconds; Prometheus drops or renames a target's series
// only through its own configuration (relabelling, limits) or the target's
// labels (one more label set of the entity in the period). So an entity
// whose series cannot have changed set in the period — none of its series
// can have begun and ended inside it — is one where:
//
//   - its start time is the same at both edges and not after the start
//     (no restart, no reset; the availability walk found none);
//   - the availability discovery found exactly one label set of it in the
//     period (its target's labels did not change);
//   - every configuration-load series of its exporter (configLoadName of
//     the family, its labels a subset of the entity's: job, instance and
//     any target label) is at both edges with the same value, not after the
//     start, and there is at least one;
//   - the same holds for Prometheus' own (metricnames.PrometheusConfigLoad:
//     every such series, at least one);
//   - every series of its counters at the start edge is at the end edge
//     too.
//
// Only the other entities' series go through the series API (by name
// label; all of them, unfiltered, when they are most). A backend or a
// scrape set-up without these series (no self-scrape of Prometheus, a
// VictoriaMetrics) proves nothing, and every entity is discovered as
// before: the figures never depend on the shortcut.

// configLoadName is the metric of the last successful configuration load
// (at its start and at every reload) of the exporter of family ns's
// entities; "" where the report knows none (every entity is discovered).
func configLoadName(ns string) string {
	if ns == metricnames.Line.Namespace {
		return metricnames.LineConfigLoad
	}
	return ""
}

// configLoad is one configuration-load series at an edge.
type configLoad struct {
	name   string
	labels map[string]string // without __name__
	v      float64
}

// readConfigLoads returns the configuration-load series of family f's
// exporters and of Prometheus at t (the last sample at or before it). The
// report's filter is not applied: these series carry no entity's labels.
func (r *run) readConfigLoads(f family, t time.Time) ([]configLoad, error) {
	names := []string{metricnames.PrometheusConfigLoad}
	if n := configLoadName(f.ns); n != "" {
		names = append(names, n)
	}
	res, err := r.query("configuration loads of the exporters and of Prometheus (last sample at or before the edge): which entities' series may have begun and ended inside the period",
		fmt.Sprintf("{__name__=~%s} %s", RegexAlternation(names), at(t)), t)
	if err != nil {
		return nil, err
	}
	out := make([]configLoad, 0, len(res))
	for _, s := range res {
		if len(s.Points) == 0 {
			continue
		}
		out = append(out, configLoad{name: s.Labels["__name__"], labels: stripName(s.Labels), v: s.Points[len(s.Points)-1].V})
	}
	return out, nil
}

// loadsSteady reports whether the configuration-load series named name whose
// labels match are at both edges with the same value, not after the
// period's start (unix seconds), and whether there is at least one.
func loadsSteady(start, end []configLoad, name string, match func(map[string]string) bool, periodStart float64) bool {
	at0 := map[string]float64{}
	for _, c := range start {
		if c.name == name && match(c.labels) {
			at0[labelKey(c.labels)] = c.v
		}
	}
	n := 0
	for _, c := range end {
		if c.name != name || !match(c.labels) {
			continue
		}
		v, ok := at0[labelKey(c.labels)]
		if !ok || v != c.v || c.v > periodStart {
			return false
		}
		n++
	}
	return n > 0 && n == len(at0)
}

// subsetOf reports whether every label of sub is in of with the same value.
func subsetOf(sub, of map[string]string) bool {
	for k, v := range sub {
		if of[k] != v {
			return false
		}
	}
	return true
}

// toDiscover returns the name-label values of the entities whose series of
// ce's counters must be discovered over the period (nil, all: every
// entity). keys are the label sets per entity the availability found in
// the period (availWalk.keys), entLabels the entities' labels (the
// start-time series' at the end edge), stStart and stEnd their start times
// at the edges.
func (r *run) toDiscover(f family, ce *counterEdges, keys map[string]int, stStart, stEnd map[string]float64, entLabels map[string]map[string]string) (names []string, all bool) {
	S := float64(r.start().UnixMilli()) / 1e3
	if r.cfg.RawCounters || r.cfg.DiscoverAll || configLoadName(f.ns) == "" || !loadsSteady(ce.loads[0], ce.loads[1], metricnames.PrometheusConfigLoad, func(map[string]string) bool { return true }, S) {
		return nil, true
	}
	ents := map[string]bool{}
	for _, m := range []map[string]float64{stStart, stEnd} {
		for ent := range m {
			ents[ent] = true
		}
	}
	for ent := range keys {
		ents[ent] = true
	}
	for _, l := range ce.labels {
		ents[l[f.nameLabel]] = true
	}
	need := map[string]bool{}
	for ent := range ents {
		t0, ok0 := stStart[ent]
		t1, ok1 := stEnd[ent]
		if !ok0 || !ok1 || t0 != t1 || t1 > S || keys[ent] != 1 ||
			!loadsSteady(ce.loads[0], ce.loads[1], configLoadName(f.ns), func(l map[string]string) bool { return subsetOf(l, entLabels[ent]) }, S) {
			need[ent] = true
		}
	}
	for k, sc := range ce.startV { // a series at the start edge but not at the end: deleted inside the period
		ent := ce.labels[k][f.nameLabel]
		for n := range sc.vals {
			if _, ok := ce.endV[k].vals[n]; !ok && n != f.started {
				need[ent] = true
			}
		}
	}
	for ent := range need {
		names = append(names, ent)
	}
	sort.Strings(names)
	if len(keys) == 0 || 2*len(names) > len(ents) { // most of them: all, unfiltered
		return nil, true
	}
	return names, false
}

// discover runs the series API for the series of names with samples in the
// period, of the entities toDiscover names (all: every entity; none: no
// query, and the audit's method says so).
func (r *run) discover(f family, names []string, ents []string, all bool) ([]map[string]string, error) {
	purpose := "series with samples in the month (" + strings.Join(names, ", ") + ")"
	ms := []string{"__name__=~" + RegexAlternation(names)}
	switch {
	case all:
	case len(ents) == 0:
		r.mu.Lock()
		r.discoverySkipped = true
		r.mu.Unlock()
		return nil, nil
	default:
		purpose += " of the entities whose series may have begun and ended inside the period"
		ms = append(ms, f.nameLabel+"=~"+RegexAlternation(ents))
	}
	return r.series(purpose, r.selector("", ms...))
}
