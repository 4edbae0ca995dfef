package report

import (
	"strings"
	"testing"
	"unicode"

	"github.com/jianguan/jianguan/internal/docfmt"
)

// TestCounterNote (issue 16): the notes the engine writes for a counter —
// taken from lifetimeSum and walkedCounters themselves, with 1 and 2 resets
// — are worded in the document's language: in zh-CN no English word beyond
// the metric names, in English no Chinese, no "(s)" and no "1 … resets".
// Notes of documents frozen before the counts were written with
// docfmt.Count ("1 counter reset(s)") are worded too.
func TestCounterNote(t *testing.T) {
	const S = 1_000_000_000
	sc := func(t int64, v, started float64) scrape {
		return scrape{t: t, vals: map[string]float64{"c": v, "line_start_time_seconds": started}}
	}
	base := sc(S, 100, 1)
	gap := sc(S-3600e3, 100, 1)
	walked := func(resets int, okS bool) string {
		w := &lifetime{acc: map[string]float64{"c": 1}, end: map[string]float64{"c": 2}, resets: resets}
		return walkedCounters([]string{"c"}, "line_start_time_seconds", w, sc(S, 0, 1), okS, nil)["c"].Note
	}
	for _, c := range []struct {
		name   string
		note   string
		zhWant string
	}{
		{"one reset", lifetimeSum("c", "line_start_time_seconds", &base, []scrape{sc(S+300e3, 50, 2)}, S).Note, "计数器重置 1 次"},
		{"two resets", lifetimeSum("c", "line_start_time_seconds", &base, []scrape{sc(S+1e3, 1, 2), sc(S+2e3, 0, 3)}, S).Note, "计数器重置 2 次"},
		{"began inside", lifetimeSum("c", "line_start_time_seconds", nil, []scrape{sc(S+300e3, 20, 5), sc(S+600e3, 1, 6)}, S).Note, "期初无样本"},
		{"gap at the start", lifetimeSum("c", "line_start_time_seconds", &gap, []scrape{sc(S+300e3, 4000, 1)}, S).Note, "早于期初 3600 秒"},
		{"walked, one reset", walked(1, true), "由 line_start_time_seconds 发现计数器重置 1 次"},
		{"walked, two resets, began inside", walked(2, false), "期初无样本：序列在期内从 0 开始；由 line_start_time_seconds 发现计数器重置 2 次"},
		{"frozen before docfmt.Count", "1 counter reset(s) found from NS_start_time_seconds: increase summed over the lifetimes", "发现计数器重置 1 次"},
		{"frozen, piecewise", "no sample at the month start: the series began inside the month at 0; 1 counter reset(s): increase summed piecewise from raw samples", "；计数器重置 1 次"},
	} {
		if c.note == "" {
			t.Errorf("%s: the engine wrote no note", c.name)
			continue
		}
		zh := CounterNote(docfmt.ZH, c.note)
		if !strings.Contains(zh, c.zhWant) {
			t.Errorf("%s: zh-CN %q\n  = %q, want it to contain %q", c.name, c.note, zh, c.zhWant)
		}
		if w := NoteProblems(docfmt.ZH, zh); len(w) > 0 {
			t.Errorf("%s: zh-CN %q has the English words %q", c.name, zh, w)
		}
		if p := NoteProblems(docfmt.EN, CounterNote(docfmt.EN, c.note)); len(p) > 0 {
			t.Errorf("%s: English %q", c.name, p)
		}
	}
	if got := CounterNote(docfmt.ZH, "q7"); got != "q7" {
		t.Errorf("a note outside the rules changed: %q", got)
	}
}

// NoteProblems says what is wrong with a caveat or counter note printed in
// lang: ASCII words in zh-CN beyond metric names, times and the data names,
// Han characters, "(s)" or a plural after a count of one in English.
func NoteProblems(lang docfmt.Lang, text string, names ...string) []string {
	if lang == docfmt.ZH {
		return docfmt.ASCIIWords(identRE.ReplaceAllString(text, " "), names...)
	}
	var out []string
	if strings.ContainsFunc(text, func(r rune) bool { return unicode.Is(unicode.Han, r) }) || strings.Contains(text, "(s)") {
		out = append(out, text)
	}
	return append(out, docfmt.PluralErrors(text)...)
}
