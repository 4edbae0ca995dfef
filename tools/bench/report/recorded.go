package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/internal/simhistory"
)

// groupRecords lists the recording rules (record names) of group in the
// rules file, in file order; an absent group has none.
func groupRecords(rulesFile, group string) ([]string, error) {
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Record string `yaml:"record"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", rulesFile, err)
	}
	var out []string
	for _, g := range doc.Groups {
		if g.Name != group {
			continue
		}
		for _, r := range g.Rules {
			if r.Record != "" && !slices.Contains(out, r.Record) {
				out = append(out, r.Record)
			}
		}
	}
	return out, nil
}

// wantedRecords are the records of g to back-fill, of those the rules file
// has (avail, in file order): g.records (all of avail if nil) in the
// table's order, without g.monthOnly for the year; notes are the lines
// saying what is left out and why.
func wantedRecords(g recordedGroup, avail []string, year bool, rulesFile string) (want, notes []string) {
	want = avail
	if g.records != nil {
		want = nil
		for _, r := range g.records {
			if slices.Contains(avail, r) {
				want = append(want, r)
			} else {
				notes = append(notes, fmt.Sprintf("recorded series %s: not back-filled (not in group %s of %s)", r, g.group, rulesFile))
			}
		}
	}
	if !year {
		return want, notes
	}
	var kept []string
	for _, r := range want {
		if slices.Contains(g.monthOnly, r) {
			notes = append(notes, fmt.Sprintf("recorded series %s: not back-filled for the year (only the month reads it)", r))
			continue
		}
		kept = append(kept, r)
	}
	return kept, notes
}

// groupRuleFiles writes into dir the rule files of the records of g to
// back-fill from the rules file (simhistory.SelectRules): one at the group's
// interval (rules-<group>.yml), and one per coarser interval of g.every
// (rules-<group>.every<interval>.yml, simhistory.SetInterval) that from, the
// back-fill's start, is on (promtool evaluates from it); n is the number of
// rules written.
func groupRuleFiles(rulesFile string, g recordedGroup, records []string, dir string, from time.Time) (files []string, n int, err error) {
	by := map[time.Duration][]string{}
	for _, r := range records {
		e := g.every[r]
		if e > 0 && from.UnixNano()%int64(e) != 0 {
			e = 0 // off its grid: evaluated at the group's interval
		}
		by[e] = append(by[e], r)
	}
	ivs := slices.Sorted(maps.Keys(by))
	for _, iv := range ivs {
		f := filepath.Join(dir, "rules-"+g.group+".yml")
		if iv > 0 {
			f = filepath.Join(dir, "rules-"+g.group+".every"+iv.String()+".yml")
		}
		k, err := simhistory.SelectRules(rulesFile, []string{g.group}, by[iv], f)
		if err != nil {
			return nil, 0, err
		}
		if iv > 0 {
			if err := simhistory.SetInterval(f, iv); err != nil {
				return nil, 0, err
			}
		}
		files = append(files, f)
		n += k
	}
	return files, n, nil
}

// markerRecords reads the records a group's marker file lists as
// back-filled: the lines after its first ("N rules, from – end"). A marker
// written before it listed them (one line) stands for old: what the bench
// back-filled then.
func markerRecords(text string, old []string) []string {
	var names []string
	for i, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); i > 0 && l != "" && !slices.Contains(names, l) {
			names = append(names, l)
		}
	}
	if names == nil {
		return slices.Clone(old)
	}
	return names
}

// markerText is the marker file of a group whose records names are
// back-filled over [from, end].
func markerText(names []string, from, end time.Time) string {
	return fmt.Sprintf("%d rules, %s – %s\n%s\n", len(names), from.Format(time.RFC3339), end.Format(time.RFC3339), strings.Join(names, "\n"))
}

// missingRecords is want without the records done.
func missingRecords(want, done []string) []string {
	var out []string
	for _, r := range want {
		if !slices.Contains(done, r) {
			out = append(out, r)
		}
	}
	return out
}
