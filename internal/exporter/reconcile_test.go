package exporter

import (
	"reflect"
	"sort"
	"strings"
	"testing"
)

// TestReconcile: kept things stay the same object, changed ones are stopped
// then started with their predecessor, removed ones are stopped as removed.
func TestReconcile(t *testing.T) {
	type spec struct{ id, def string }
	type run struct{ id, def, from string }
	for _, tc := range []struct {
		name    string
		running []run
		want    []spec
		noKeep  bool
		ids     []string
		log     []string
		changes Changes
	}{
		{name: "empty", changes: Changes{}},
		{name: "all new", want: []spec{{"a", "1"}, {"b", "1"}}, ids: []string{"a=1<", "b=1<"},
			changes: Changes{Added: 2}},
		{name: "keep change remove", running: []run{{"a", "1", ""}, {"b", "1", ""}, {"c", "1", ""}},
			want: []spec{{"a", "1"}, {"b", "2"}}, ids: []string{"a=1<", "b=2<b=1"},
			log:     []string{"stop b replaced", "stop c removed"},
			changes: Changes{Kept: 1, Changed: 1, Removed: 1}},
		{name: "no Keep: every start inherits", running: []run{{"a", "1", ""}}, noKeep: true,
			want: []spec{{"a", "1"}}, ids: []string{"a=1<a=1"}, log: []string{"stop a replaced"},
			changes: Changes{Changed: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			running := map[string]*run{}
			for i := range tc.running {
				running[tc.running[i].id] = &tc.running[i]
			}
			var log []string
			r := Reconciler[spec, *run]{
				ID:   func(s spec) string { return s.id },
				Keep: func(r *run, s spec) bool { return r.def == s.def },
				Stop: func(id string, _ *run, removed bool) {
					log = append(log, "stop "+id+map[bool]string{true: " removed", false: " replaced"}[removed])
				},
				Start: func(s spec, old *run, had bool) *run {
					r := &run{id: s.id, def: s.def}
					if had {
						r.from = old.id + "=" + old.def
					}
					return r
				},
			}
			if tc.noKeep {
				r.Keep = nil
			}
			next, ch := Reconcile(running, tc.want, r)
			var ids []string
			for id, r := range next {
				if id != r.id {
					t.Errorf("next[%q] holds %q", id, r.id)
				}
				if old, ok := running[id]; ok && r.from == "" && old != r {
					t.Errorf("%s kept but not the same object", id)
				}
				ids = append(ids, r.id+"="+r.def+"<"+r.from)
			}
			sort.Strings(ids)
			sort.Strings(log)
			if strings.Join(ids, ",") != strings.Join(tc.ids, ",") {
				t.Errorf("running = %v, want %v", ids, tc.ids)
			}
			if strings.Join(log, ",") != strings.Join(tc.log, ",") {
				t.Errorf("stops = %v, want %v", log, tc.log)
			}
			if !reflect.DeepEqual(ch, tc.changes) {
				t.Errorf("changes = %+v, want %+v", ch, tc.changes)
			}
		})
	}
}
