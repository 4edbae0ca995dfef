package report

import (
	"slices"
	"time"
)

// sampleStore holds one entity's raw state samples while incident
// reconstruction reads them (hour by hour, in any order, over every
// candidate entity; issue 24: at 1 000 entities and a 15 s scrape interval
// about a million scrapes are held until the derivation). A stateSample is
// 80 bytes (96 before its flags were put together; its time.Time alone
// 24) and the hour it was read in 8 more; a packedSample keeps what
// deriveIncidents and coverageCaveats read of it in 40: the timestamp in
// unix ms (scrape timestamps are ms), the three comparisons the derivation
// makes of NS_up, NS_unknown and NS_in_maintenance as flags, the
// transition time and the two counters exactly, and the hour.
type sampleStore struct {
	s []packedSample
}

// packedSample is a stateSample without Cont (set after sorting) and with
// Up, Unknown and Maint reduced to what stateSample.state and
// deriveIncidents compare them with (Up = 0, Unknown = 1, Maint = 1).
type packedSample struct {
	t             int64 // unix ms
	lastChange    float64
	changes, down float64
	unit          int32 // the hour (or other unit) the sample was read in
	flags         uint8
}

const (
	psHasUp       = 1 << iota // NS_up present
	psUpZero                  // NS_up = 0
	psUnknown                 // NS_unknown = 1
	psMaint                   // NS_in_maintenance = 1
	psHasCounters             // NS_state_changes_total and the down counters present
)

// add keeps x, read in unit.
func (st *sampleStore) add(unit int, x stateSample) {
	var fl uint8
	if x.HasUp {
		fl |= psHasUp
	}
	if x.Up == 0 {
		fl |= psUpZero
	}
	if x.Unknown == 1 {
		fl |= psUnknown
	}
	if x.Maint == 1 {
		fl |= psMaint
	}
	if x.HasCounters {
		fl |= psHasCounters
	}
	st.s = append(st.s, packedSample{t: x.T.UnixMilli(), lastChange: x.LastChange, changes: x.Changes, down: x.Down, unit: int32(unit), flags: fl})
}

// addScrape keeps the state sample of scrape x of family f, read in unit:
// NS_up (absent: unknown), NS_unknown, the transition time,
// NS_in_maintenance and, when NS_state_changes_total and NS_down_seconds
// are both present, the changes and the down plus maintenance-down seconds.
func (st *sampleStore) addScrape(unit int, f family, x scrape) {
	up, hasUp := x.vals[f.up]
	ch, okCh := x.vals[f.changes]
	_, okDn := x.vals[f.down]
	st.add(unit, stateSample{T: time.UnixMilli(x.t).UTC(), HasUp: hasUp, Up: up,
		Unknown: x.vals[f.unknownGauge], LastChange: x.vals[f.lastChange], Maint: x.vals[f.inMaintenance()],
		Changes: ch, Down: x.vals[f.down] + x.vals[f.maintDown], HasCounters: okCh && okDn})
}

// len is the number of samples kept.
func (st *sampleStore) len() int { return len(st.s) }

// sorted returns the samples oldest first, of several with one timestamp
// the first added, and the unit each was read in; Up, Unknown and Maint
// are 0 or 1 (what the derivation compares them with), Cont is false. The
// store is emptied (its memory released), so an entity's samples are held
// once, not twice, while it is derived.
func (st *sampleStore) sorted() ([]stateSample, []int) {
	s := st.s
	st.s = nil
	if len(s) == 0 {
		return nil, nil
	}
	slices.SortStableFunc(s, func(a, b packedSample) int {
		switch {
		case a.t < b.t:
			return -1
		case a.t > b.t:
			return 1
		}
		return 0
	})
	n := 1
	for i := 1; i < len(s); i++ {
		if s[i].t != s[i-1].t {
			n++
		}
	}
	ss, units := make([]stateSample, 0, n), make([]int, 0, n)
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	for i, p := range s {
		if i > 0 && p.t == s[i-1].t {
			continue
		}
		ss = append(ss, stateSample{T: time.UnixMilli(p.t).UTC(), HasUp: p.flags&psHasUp != 0, Up: b(p.flags&psUpZero == 0),
			Unknown: b(p.flags&psUnknown != 0), LastChange: p.lastChange, Maint: b(p.flags&psMaint != 0),
			HasCounters: p.flags&psHasCounters != 0, Changes: p.changes, Down: p.down})
		units = append(units, int(p.unit))
	}
	return ss, units
}
