package exporter

// Reconciler says how one kind of checked thing follows a new config: every
// exporter's Apply brings its running set (keyed by a stable id) to the
// wanted specs with Reconcile, so that unchanged things keep their loop,
// counters and schedule across a reload.
type Reconciler[S, R any] struct {
	// ID is the stable identity of a spec (e.g. "site/device").
	ID func(spec S) string
	// Keep reports whether the running r continues for spec (it may update
	// r in place). Nil: never (Start always runs and may inherit from old).
	Keep func(r R, spec S) bool
	// Stop ends a running thing: replaced (its id stays, Start follows) or
	// removed (its id is gone from the config). Nil: nothing to stop.
	Stop func(id string, r R, removed bool)
	// Start builds the running thing for spec. had reports whether one ran
	// under this id (old, already Stopped), e.g. to inherit its last values.
	Start func(spec S, old R, had bool) R
}

// Changes counts what a Reconcile did (for the "configuration applied" log).
type Changes struct{ Kept, Added, Changed, Removed int }

// Reconcile returns the running set for want: kept, replaced or new, in a
// new map; what is no longer wanted is stopped. Specs with the same id:
// the last wins (configs reject duplicates before this).
func Reconcile[S, R any](running map[string]R, want []S, r Reconciler[S, R]) (map[string]R, Changes) {
	next := make(map[string]R, len(want))
	var ch Changes
	for _, spec := range want {
		id := r.ID(spec)
		old, had := running[id]
		if had && r.Keep != nil && r.Keep(old, spec) {
			next[id] = old
			ch.Kept++
			continue
		}
		if had {
			ch.Changed++
			if r.Stop != nil {
				r.Stop(id, old, false)
			}
		} else {
			ch.Added++
		}
		next[id] = r.Start(spec, old, had)
	}
	for id, old := range running {
		if _, ok := next[id]; !ok {
			ch.Removed++
			if r.Stop != nil {
				r.Stop(id, old, true)
			}
		}
	}
	return next, ch
}
