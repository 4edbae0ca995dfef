package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestPluginAnnualRating: GET /evaluation/annual/{YYYY} (the 评估 page's
// annual rating) collates the frozen months only — before any freeze it has
// no provider; after an Admin freezes October's providers report (with the
// indicator system) the year rates October's providers with October's grade,
// the other months 未冻结 — and refuses a malformed or future year.
func TestPluginAnnualRating(t *testing.T) {
	bin := buildPlugin(t)
	url := testenv.StartTestScenario(t)
	g := startPlugin(t, bin)
	system, err := filepath.Abs("../../deploy/etc/jianguan/evaluation.yml")
	if err != nil {
		t.Fatal(err)
	}
	snap := t.TempDir()
	jd := map[string]any{"prometheusUrl": url, "snapshotDir": snap, "evaluationConfig": system}
	viewer, admin := pctxAs(1, "Viewer", jd), pctxAs(1, "Admin", jd)

	annual := func() annualAnswer {
		t.Helper()
		r := g.call(t, viewer, "GET", "/evaluation/annual/2026")
		var a annualAnswer
		if r.code != 200 || json.Unmarshal(r.body, &a) != nil {
			t.Fatalf("annual: %d %s", r.code, r.body)
		}
		return a
	}
	if a := annual(); len(a.Months) != 12 || len(a.Kinds) != 0 || a.Months[9].Frozen {
		t.Errorf("before any freeze: %+v", a)
	}
	fillNarrative(t, snap, "providers", "2026-10") // a freeze needs the editable sections
	if r := g.call(t, admin, "POST", "/reports/providers/2026-10/freeze"); r.code != 200 {
		t.Fatalf("freeze providers 2026-10: %d %s", r.code, r.body)
	}
	// October's own grades, from its frozen report.
	r := g.call(t, viewer, "GET", "/reports/providers/2026-10.json")
	var doc struct {
		Evaluation struct {
			Kinds []struct {
				Providers []struct{ Provider, Grade string }
			}
		}
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	grade := map[string]string{}
	for _, k := range doc.Evaluation.Kinds {
		for _, p := range k.Providers {
			grade[p.Provider] = p.Grade
		}
	}
	a := annual()
	if !a.Months[9].Frozen || a.Months[9].From != "providers" || a.Months[9].SHA256 == "" || a.Months[8].Frozen {
		t.Errorf("months: %+v", a.Months)
	}
	if len(a.Kinds["cloud"]) == 0 || len(a.Kinds["carrier"]) == 0 || len(a.Grades) == 0 {
		t.Fatalf("kinds %v grades %v", a.Kinds, a.Grades)
	}
	for _, ps := range a.Kinds {
		for _, p := range ps {
			if p.Months[8] != "未冻结" {
				t.Errorf("%s September: %q (want 未冻结)", p.Provider, p.Months[8])
			}
			if p.RatedCount == 1 && (p.Grade != grade[p.Provider] || !strings.HasSuffix(p.Months[9], " "+p.Grade)) {
				t.Errorf("%s: annual grade %q, October %q, October's report says %q", p.Provider, p.Grade, p.Months[9], grade[p.Provider])
			}
		}
	}
	for path, want := range map[string]string{
		"/evaluation/annual/2027": "want 2000 … 2026",
		"/evaluation/annual/26":   "want GET /evaluation/annual/{YYYY}",
		"/evaluation/other":       "want GET /evaluation/annual/{YYYY}",
	} {
		if r := g.call(t, viewer, "GET", path); r.code != 400 || !strings.Contains(string(r.body), want) {
			t.Errorf("%s: %d %s (want 400 %q)", path, r.code, r.body, want)
		}
	}
}
