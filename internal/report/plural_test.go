package report

import (
	"strings"
	"testing"

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
