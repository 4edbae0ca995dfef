package docfmt

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestHostile_HugeDuration: a corrupt counter delta (1e300 s) must not
// overflow int64 into a plausible negative duration.
func TestHostile_HugeDuration(t *testing.T) {
	for _, s := range []float64{1e300, -1e300, MaxDurationSeconds * 2, math.MaxFloat64} {
		if got := Duration(s, ZH); got != Placeholder {
			t.Errorf("Duration(%g) = %q, want %q", s, got, Placeholder)
		}
		if got := DurationPrecise(s, 3, EN); got != Placeholder {
			t.Errorf("DurationPrecise(%g) = %q", s, got)
		}
	}
	// The bound itself is still written exactly.
	if got := Duration(MaxDurationSeconds, ZH); got != "11574074天01小时46分40秒" {
		t.Errorf("Duration(max) = %q", got)
	}
}

// TestHostile_ReportNumberTemplateLoop: a report-number template cannot
// loop or branch (Go templates range over integers since Go 1.22).
func TestHostile_ReportNumberTemplateLoop(t *testing.T) {
	tests := []struct{ tmpl, want string }{
		{`{{range 1000000000}}{{end}}{{.Seq}}`, "no range, if, with"},
		{`{{if .Seq}}x{{end}}{{.Seq}}`, "no range, if, with"},
		{`{{$x := .Seq}}{{.Seq}}`, "only {{.Year}}"},
		{`{{.Seq | printf "%d"}}`, "only {{.Year}}"},
		{`{{len .Kind}}{{.Seq}}`, "function len is not allowed"},
		{`{{printf "%s" (printf "%d" .Seq)}}`, "only fields, strings and printf"},
		{strings.Repeat("x", 201) + `{{.Seq}}`, "at most 200"},
	}
	for _, tc := range tests {
		yaml := strings.Replace(goodIdent, `'JG-{{.Year}}-{{.Kind}}-{{.Seq}}'`, "'"+tc.tmpl+"'", 1)
		start := time.Now()
		_, err := ParseIdentification("reports.yml", []byte(yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "reports.yml:6: report_number") {
			t.Errorf("%s: %v, want %q at reports.yml:6", tc.tmpl, err, tc.want)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: took %v", tc.tmpl, d)
		}
	}
	// What is allowed still works.
	ok := strings.Replace(goodIdent, `'JG-{{.Year}}-{{.Kind}}-{{.Seq}}'`, `'JG-{{.Year}}{{.Month}}-{{.Kind}}-{{printf "%03d" .Seq}}'`, 1)
	if _, err := ParseIdentification("reports.yml", []byte(ok)); err != nil {
		t.Error(err)
	}
}

// TestHostile_ASCIIWordsLargeInput: linear in the input (1 MB in well
// under a second), no catastrophic backtracking on long runs.
func TestHostile_ASCIIWordsLargeInput(t *testing.T) {
	text := strings.Repeat("机房"+strings.Repeat("a-", 1000)+"b ", 200) + strings.Repeat("1.", 100000) + "https://" + strings.Repeat("x", 100000)
	start := time.Now()
	words := ASCIIWords(text)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	if len(words) != 1 {
		t.Errorf("%d distinct words", len(words))
	}
}
