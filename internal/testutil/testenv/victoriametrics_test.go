package testenv

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
)

// TestStartVictoriaMetrics: a real VictoriaMetrics takes samples through
// its import API and QueryAt reads each back at its own instant, history
// a year old included (the 100-year retention); Query at now sees none of
// it (older than the lookback).
func TestStartVictoriaMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("real VictoriaMetrics skipped in -short mode")
	}
	vm := testutil.Need(t, "victoria-metrics")
	base := StartVictoriaMetrics(t, vm, filepath.Join(t.TempDir(), "vm"))
	now := time.Now().Truncate(time.Second)
	samples := []struct {
		name  string
		at    time.Time
		value string
	}{
		{"recent", now.Add(-time.Hour), "42"},
		{"a year old", now.AddDate(-1, 0, 0), "7.5"},
	}
	var body strings.Builder
	for _, s := range samples {
		body.WriteString(`testenv_vm{age="` + s.name + `"} ` + s.value + " " + strconv.FormatInt(s.at.UnixMilli(), 10) + "\n")
	}
	resp, err := postBody(base+"/api/v1/import/prometheus", "text/plain", body.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("import: %s", resp.Status)
	}
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			var got []Sample
			WaitFor(t, 30*time.Second, "the imported "+s.name+" sample", func() bool {
				got, _ = QueryAt(base, `testenv_vm{age="`+s.name+`"}`, s.at)
				return len(got) == 1
			})
			if got[0].Value != s.value || got[0].Labels["__name__"] != "testenv_vm" {
				t.Errorf("%+v, want testenv_vm %s", got[0], s.value)
			}
		})
	}
	if got, err := Query(base, `testenv_vm`); err != nil || len(got) != 0 {
		t.Errorf("Query at now: %+v %v, want no sample (the newest is an hour old)", got, err)
	}
}
