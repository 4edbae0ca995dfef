package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/internal/report"
)

// TestMarkerRecords: which of a group's records the bench back-fills into a
// cache whose marker file lists some (or, written before markers listed
// them, none: what the bench back-filled then).
func TestMarkerRecords(t *testing.T) {
	from, end := time.Date(2026, 10, 28, 16, 0, 0, 0, time.UTC), time.Date(2026, 12, 2, 16, 0, 0, 0, time.UTC)
	const rate, marker = "line:line_interface_bits:rate5m", "jianguan:line_rules:evaluated"
	tests := []struct {
		name    string
		text    string // the marker file ("": none)
		old     []string
		want    []string
		missing []string
	}{
		{name: "no marker", want: []string{rate, marker}, missing: []string{rate, marker}},
		{name: "old marker of jianguan.line", text: "1 rules, 2026-10-28T16:00:00Z – 2026-12-02T16:00:00Z\n", old: []string{rate}, want: []string{rate, marker}, missing: []string{marker}},
		{name: "old marker of jianguan.report: all its rules", text: "6 rules, 2026-10-28T16:00:00Z – 2026-12-02T16:00:00Z\n", old: []string{"a", "b"}, want: []string{"a", "b"}},
		{name: "old marker of jianguan.report, rules added since", text: "6 rules, 2026-10-28T16:00:00Z – 2026-12-02T16:00:00Z\n", old: reportRecordsBeforeChanges(),
			want: append(reportRecordsBeforeChanges(), "line:line_state:changes1h"), missing: []string{"line:line_state:changes1h"}},
		{name: "marker listing the rate only", text: markerText([]string{rate}, from, end), old: []string{rate}, want: []string{rate, marker}, missing: []string{marker}},
		{name: "marker listing both", text: markerText([]string{rate, marker}, from, end), old: []string{rate}, want: []string{rate, marker}},
		{name: "marker listing a rule the group no longer wants", text: markerText([]string{"gone", marker}, from, end), want: []string{rate, marker}, missing: []string{rate}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var done []string
			if tc.text != "" {
				done = markerRecords(tc.text, tc.old)
			}
			if got := missingRecords(tc.want, done); !slices.Equal(got, tc.missing) {
				t.Errorf("missing %q, want %q (marker lists %q)", got, tc.missing, done)
			}
			// Written back with the missing ones, the marker lists them all.
			if again := missingRecords(tc.want, markerRecords(markerText(append(done, missingRecords(tc.want, done)...), from, end), nil)); again != nil {
				t.Errorf("after back-filling, still missing %q", again)
			}
		})
	}
}

// TestWantedRecords: the records of a group the bench back-fills, for the
// month and for the year, of those the rules file has.
func TestWantedRecords(t *testing.T) {
	const step, marker, rate = "line:line_interface_bits:rate5m_step5m", "jianguan:line_rules:evaluated", "line:line_interface_bits:rate5m"
	line := recordedGroup{group: "jianguan.line", records: []string{step, marker, rate}, monthOnly: []string{rate}}
	report := recordedGroup{group: "jianguan.report"}
	tests := []struct {
		name  string
		g     recordedGroup
		avail []string
		year  bool
		want  []string
		notes int
	}{
		{"the month: all three, in the table's order", line, []string{rate, marker, step, "other"}, false, []string{step, marker, rate}, 0},
		{"the year: without the per-minute rate", line, []string{rate, marker, step}, true, []string{step, marker}, 1},
		{"a record the rules file lacks", line, []string{marker, rate}, false, []string{marker, rate}, 1},
		{"the year, the file has only the month's record", line, []string{rate}, true, nil, 3},
		{"no list: all of the group's", report, []string{"a", "b"}, true, []string{"a", "b"}, 0},
		{"no list, empty group", report, nil, false, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, notes := wantedRecords(tc.g, tc.avail, tc.year, "rules.yml")
			if !slices.Equal(got, tc.want) || len(notes) != tc.notes {
				t.Errorf("%q with notes %q, want %q with %d notes", got, notes, tc.want, tc.notes)
			}
		})
	}
	// The table itself: what only the month reads is one of the group's records.
	for _, g := range recordedGroups {
		for _, r := range g.monthOnly {
			if !slices.Contains(g.records, r) {
				t.Errorf("%s: month-only record %s is not among its records %q", g.group, r, g.records)
			}
		}
	}
}

// writeRulesFixture writes a rules file of two groups like
// rules/recording.yml's (an alerting rule among them) and returns its path.
func writeRulesFixture(t *testing.T) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(f, []byte(`groups:
  - name: jianguan.line
    interval: 1m
    rules:
      - record: jianguan:line_rules:evaluated
        expr: vector(1)
      - record: line:line_interface_bits:rate5m
        expr: rate(x[5m])
      - record: line:line_interface_bits:rate5m_step5m
        expr: rate(x[5m]) and on() (minute() % 5 == 0)
  - name: jianguan.report
    rules:
      - record: line:line_up:count1h
        expr: count_over_time(line_up[1h])
      - alert: X
        expr: vector(1)
`), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestGroupRuleFiles: the rule files the bench back-fills a group's records
// from: the group's interval, and a coarser one for the records that keep
// only its grid when the back-fill starts on it.
func TestGroupRuleFiles(t *testing.T) {
	const step, marker, rate = "line:line_interface_bits:rate5m_step5m", "jianguan:line_rules:evaluated", "line:line_interface_bits:rate5m"
	src := writeRulesFixture(t)
	g := recordedGroup{group: "jianguan.line", every: map[string]time.Duration{step: 5 * time.Minute}}
	onGrid := time.Date(2024, 12, 29, 16, 0, 0, 0, time.UTC)
	type file struct {
		interval string
		records  []string
	}
	tests := []struct {
		name    string
		records []string
		from    time.Time
		want    []file
	}{
		{"all three", []string{marker, rate, step}, onGrid, []file{{"1m", []string{marker, rate}}, {"5m", []string{step}}}},
		{"the 5-minute record alone", []string{step}, onGrid, []file{{"5m", []string{step}}}},
		{"a start off the 5-minute grid: at the group's interval", []string{marker, step}, onGrid.Add(time.Minute), []file{{"1m", []string{marker, step}}}},
		{"none coarser", []string{marker}, onGrid, []file{{"1m", []string{marker}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files, n, err := groupRuleFiles(src, g, tc.records, t.TempDir(), tc.from)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(tc.records) || len(files) != len(tc.want) {
				t.Fatalf("%d rules in %d files %q, want %d in %d", n, len(files), files, len(tc.records), len(tc.want))
			}
			for i, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				var doc struct {
					Groups []struct {
						Name, Interval string
						Rules          []struct{ Record string }
					}
				}
				if err := yaml.Unmarshal(b, &doc); err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range doc.Groups[0].Rules {
					got = append(got, r.Record)
				}
				if len(doc.Groups) != 1 || doc.Groups[0].Name != g.group || doc.Groups[0].Interval != tc.want[i].interval || !slices.Equal(got, tc.want[i].records) {
					t.Errorf("%s: %+v, want group %s every %s with %q", filepath.Base(f), doc.Groups, g.group, tc.want[i].interval, tc.want[i].records)
				}
			}
		})
	}
}

// TestGroupRecords: the record names of one group of a rules file, in file
// order, alerting rules left out.
func TestGroupRecords(t *testing.T) {
	f := writeRulesFixture(t)
	tests := []struct {
		group string
		want  []string
	}{
		{"jianguan.line", []string{"jianguan:line_rules:evaluated", "line:line_interface_bits:rate5m", "line:line_interface_bits:rate5m_step5m"}},
		{"jianguan.report", []string{"line:line_up:count1h"}},
		{"absent", nil},
	}
	for _, tc := range tests {
		got, err := groupRecords(f, tc.group)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.group, got, tc.want)
		}
	}
}

// TestCounterLookup: the series the lines' counter-series lookups returned,
// summed over the document's audit; other series API calls do not count.
func TestCounterLookup(t *testing.T) {
	d := &report.Document{Audit: report.Audit{Queries: []report.AuditQuery{
		{PromQL: "series API: line_observed_seconds_total{}", Series: 400},
		{PromQL: `series API: {__name__=~"line_bgp_established_transitions_total|line_icmp_probes_total",line=~"line-1|line-2"}`, Series: 34},
		{PromQL: `{__name__=~"line_icmp_probes_total"} @ 1`, Series: 400},
	}}}
	if n := counterLookup(d); n != 34 {
		t.Errorf("counterLookup = %d, want 34", n)
	}
	if n := counterLookup(&report.Document{}); n != 0 {
		t.Errorf("no lookup: %d", n)
	}
}
