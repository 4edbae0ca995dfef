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
	st.s = append(st.s, packedSample{t: x.T.UnixMilli(), lastChange: x.LastChange, changes: x.Changes, down: x.Down, unit: int32(unit),
		flags: packFlags(x.HasUp, x.Up, x.Unknown, x.Maint, x.HasCounters)})
}

// packFlags reduces NS_up, NS_unknown and NS_in_maintenance to what the
// derivation compares them with, and the presence of NS_up and the
// counters.
func packFlags(hasUp bool, up, unknown, maint float64, hasCounters bool) uint8 {
	var fl uint8
	if hasUp {
		fl |= psHasUp
	}
	if up == 0 {
		fl |= psUpZero
	}
	if unknown == 1 {
		fl |= psUnknown
	}
	if maint == 1 {
		fl |= psMaint
	}
	if hasCounters {
		fl |= psHasCounters
	}
	return fl
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

// stateRows groups a raw read of a family's state signals (stateSignals)
// by entity and timestamp as the answer streams in, into one fixed row per
// scrape instead of a map of values per scrape (scrapeBuilder): the
// incident reconstruction's raw reads are most of the samples a report
// decodes (issue 24: at 1 000 entities the per-scrape maps were a fifth of
// the engine's CPU).
type stateRows struct {
	col  map[string]int // signal name → column
	keep func(t int64) bool
	by   map[string]*entityRows // label key → rows
	// rowsHint: the scrapes one entity most likely has in the read (its
	// window at the fullest scrape rate), the first capacity of its rows,
	// so they are not grown and copied scrape by scrape; 0: no hint.
	rowsHint int
}

// stateRow is one scrape of an entity's state signals: the values in the
// columns of stateSignals, has the columns present.
type stateRow struct {
	t   int64
	v   [nStateCols]float64
	has uint8
}

// The columns of a stateRow.
const (
	colUp = iota
	colUnknown
	colLastChange
	colMaint
	colChanges
	colDown
	colMaintDown
	nStateCols
)

type entityRows struct {
	rows []stateRow
	// A family's series of one entity come one after another, mostly
	// with the same timestamps in the same order: next is where the
	// current series' next sample most likely goes, and at (timestamp →
	// index in rows) is built only when one does not.
	next int
	at   map[int64]int32
}

// stateSignals are the signals of a stateRow's columns, in order.
func (f family) stateSignals() []string {
	var s [nStateCols]string
	s[colUp], s[colUnknown], s[colLastChange], s[colMaint] = f.up, f.unknownGauge, f.lastChange, f.inMaintenance()
	s[colChanges], s[colDown], s[colMaintDown] = f.changes, f.down, f.maintDown
	return s[:]
}

func newStateRows(f family, keep func(int64) bool, rowsHint int) *stateRows {
	col := map[string]int{}
	for i, n := range f.stateSignals() {
		col[n] = i
	}
	return &stateRows{col: col, keep: keep, by: map[string]*entityRows{}, rowsHint: max(rowsHint, 0)}
}

// series registers one series (labels with __name__) and returns where its
// samples go; samples of other names are dropped.
func (b *stateRows) series(l map[string]string) func(t int64, v float64) {
	c, ok := b.col[l["__name__"]]
	if !ok {
		return func(int64, float64) {}
	}
	k := labelKey(l)
	e := b.by[k]
	if e == nil {
		e = &entityRows{rows: make([]stateRow, 0, b.rowsHint)}
		b.by[k] = e
	}
	e.next = 0
	bit := uint8(1) << c
	return func(t int64, v float64) {
		if b.keep != nil && !b.keep(t) {
			return
		}
		r := e.row(t)
		r.v[c], r.has = v, r.has|bit
	}
}

// row is the row of timestamp t, added if new.
func (e *entityRows) row(t int64) *stateRow {
	i := e.next
	switch {
	case i < len(e.rows) && e.rows[i].t == t:
	case e.at == nil && i == len(e.rows) && (i == 0 || e.rows[i-1].t < t):
		// Rows in timestamp order so far, and t after them: no index needed.
		e.rows = append(e.rows, stateRow{t: t})
	default:
		if e.at == nil {
			e.at = make(map[int64]int32, len(e.rows))
			for j, r := range e.rows {
				e.at[r.t] = int32(j)
			}
		}
		j, ok := e.at[t]
		if !ok {
			j = int32(len(e.rows))
			e.at[t] = j
			e.rows = append(e.rows, stateRow{t: t})
		}
		i = int(j)
	}
	e.next = i + 1
	return &e.rows[i]
}

// stateRowOf is the row of scrape x of family f (its state signals that
// x holds).
func stateRowOf(f family, x scrape) stateRow {
	row := stateRow{t: x.t}
	for c, n := range f.stateSignals() {
		if v, ok := x.vals[n]; ok {
			row.v[c], row.has = v, row.has|1<<c
		}
	}
	return row
}

// grow makes room for n more samples.
func (st *sampleStore) grow(n int) { st.s = slices.Grow(st.s, n) }

// addRow keeps row x, read in unit: NS_up
// (absent: unknown), NS_unknown, the transition time, NS_in_maintenance
// and, when NS_state_changes_total and NS_down_seconds are both present,
// the changes and the down plus maintenance-down seconds.
func (st *sampleStore) addRow(unit int, x stateRow) {
	present := func(c int) bool { return x.has&(1<<c) != 0 }
	st.s = append(st.s, packedSample{t: x.t, lastChange: x.v[colLastChange], changes: x.v[colChanges], down: x.v[colDown] + x.v[colMaintDown], unit: int32(unit),
		flags: packFlags(present(colUp), x.v[colUp], x.v[colUnknown], x.v[colMaint], present(colChanges) && present(colDown))})
}
