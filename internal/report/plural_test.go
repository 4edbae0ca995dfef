package report

import (
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
)

// TestEnglishPlurals_Counts012 (issue 16): the English sentences that
// count something — a topic's status, the infrastructure overview, the
// availability overview (entities, incidents, entities without a target)
// — write 0, 1 and 2 with the right number of their noun: never "1
// alarms", "1 lines", "1 entities have", and never "2 alarm".
func TestEnglishPlurals_Counts012(t *testing.T) {
	r := &run{cfg: Config{Lang: docfmt.EN, MaintenancePolicy: MaintenanceExcluded}}
	for _, c := range []struct {
		n    int
		want []string
	}{
		{0, []string{"Normal operation in this period; no alarms."}},
		{1, []string{"1 alarm in this period", "Power (UPS, generator): 1 alarm", "1 line monitored", ", 1 incident;", "1 entity has no target: its availability"}},
		{2, []string{"2 alarms in this period", "Power (UPS, generator): 2 alarms", "2 lines monitored", ", 2 incidents;", "2 entities have no target: their availability"}},
	} {
		var text []string
		text = append(text, r.topicStatus(true, c.n, float64(60*c.n), 0))
		counts := make([]int, len(infraTopics))
		counts[0] = c.n
		text = append(text, r.infraOverview(counts))
		if c.n > 0 {
			d := &Document{Kind: KindLines, MaintenancePolicy: MaintenanceExcluded}
			for i := range c.n {
				e := EntityResult{NS: "line", Name: "l" + string(rune('a'+i)), Labels: map[string]string{"kind": "leased"},
					ObservedSeconds: 86400, DownSeconds: 60, Availability: 1 - 60.0/86400, Status: StatusNoTarget}
				if i == 0 {
					e.Incidents = make([]Incident, c.n) // all of the kind's incidents on the first line
				}
				d.Entities = append(d.Entities, e)
			}
			r.availabilityOverview(d)
			for _, s := range d.Sections {
				text = append(text, s.Text...)
			}
		}
		all := strings.Join(text, "\n")
		for _, w := range c.want {
			if !strings.Contains(all, w) {
				t.Errorf("n=%d: no %q in\n%s", c.n, w, all)
			}
		}
		if errs := docfmt.PluralErrors(all); len(errs) > 0 {
			t.Errorf("n=%d: %q in\n%s", c.n, errs, all)
		}
		if c.n == 2 && strings.Contains(all, "2 alarm ") {
			t.Errorf("n=2: singular noun in\n%s", all)
		}
	}
}

// TestProvenanceCaveats_Counts12 (issue 16): the audit's caveats with
// counts of 1 and 2 — counter resets, confirmed state changes beyond the
// listed incidents, scrape gaps — in English have no "(s)" and the right
// number of their noun; in zh-CN no English word (the entity is named by its
// kind's wording, durations are written by docfmt), beyond its name.
func TestProvenanceCaveats_Counts12(t *testing.T) {
	oct := calendar.Month(2026, time.October)
	for _, lang := range []docfmt.Lang{docfmt.EN, docfmt.ZH} {
		for _, n := range []int{1, 2} {
			r := &run{cfg: Config{Lang: lang}, month: oct}
			r.backendOnce.Do(func() { r.backend = Backend{Kind: "Prometheus", Version: "2.42.0"} })
			r.rangeOnce.Do(func() { r.rangeSem = RangeClosed })
			// n gaps of 20 min between 5 min scrapes on 2 October.
			at := oct.Start.Add(24 * time.Hour)
			ss := []stateSample{{T: at}}
			for range n {
				at = at.Add(20 * time.Minute) // a gap
				ss = append(ss, stateSample{T: at})
				at = at.Add(5 * time.Minute) // one interval
				ss = append(ss, stateSample{T: at})
			}
			r.coverageCaveats(familyFor("line"), "ct-bgp-1", ss, 5*time.Minute)
			d := &Document{Entities: []EntityResult{{NS: "host", Name: "app-02", Counters: map[string]Counter{"host_down_seconds_total": {Resets: n}},
				StateChanges: float64(2*(n-1) + 1), Incidents: make([]Incident, n-1), StartsInside: true, EndsInside: true, EdgeBoundSeconds: 1.5}}}
			r.provenance(d)
			if len(d.Audit.Caveats) != 6 {
				t.Fatalf("%s n=%d: %d caveats, want 6 (gaps, resets, state changes, start, end, edge): %q", lang, n, len(d.Audit.Caveats), d.Audit.Caveats)
			}
			all := strings.Join(d.Audit.Caveats, "\n")
			if lang == docfmt.EN {
				for _, want := range []string{docfmt.Count(n, "scrape gap", "scrape gaps") + " longer", docfmt.Count(n, "counter reset", "counter resets") + " in the period",
					docfmt.Count(2*(n-1)+1, "confirmed state change", "confirmed state changes") + " in the period", "line ct-bgp-1:", "cloud host app-02:", "5 min 00 s"} {
					if !strings.Contains(all, want) {
						t.Errorf("English n=%d: no %q in\n%s", n, want, all)
					}
				}
				if p := NoteProblems(lang, all); len(p) > 0 {
					t.Errorf("English n=%d: %q", n, p)
				}
				continue
			}
			for _, want := range []string{"线路 ct-bgp-1：", "云主机 app-02：", "5分00秒"} {
				if !strings.Contains(all, want) {
					t.Errorf("zh-CN n=%d: no %q in\n%s", n, want, all)
				}
			}
			if p := NoteProblems(lang, all, "ct-bgp-1", "app-02"); len(p) > 0 {
				t.Errorf("zh-CN n=%d: English words %q in\n%s", n, p, all)
			}
		}
	}
}
