package report

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/jianguan/jianguan/internal/docfmt"
)

// The note column of the audit's raw counter table (CounterTable) in the
// document's language (issue 16: one language per document). The engine
// keeps one English note per counter in Document.Entities[].Counters (the
// JSON and the tests read it, as Document.Audit keeps the engine's query
// purposes); CounterNote words it for the reader when a document is
// rendered. A note is one or more parts joined by "; ". Metric names in a
// note stay as they are: they are identifiers.

// noteRule words one part of a counter note in both languages; m are the
// submatches of re (m[1] a count where the part has one).
type noteRule struct {
	re     *regexp.Regexp
	zh, en func(m []string) string
}

// resetsEN is "1 counter reset" / "2 counter resets" from the digits n.
func resetsEN(n string) string {
	v, _ := strconv.Atoi(n)
	return docfmt.Count(v, "counter reset", "counter resets")
}

var noteRules = []noteRule{
	// "(?:s|\(s\))?": notes of documents frozen before the counts were
	// written with docfmt.Count ("1 counter reset(s)") are worded too.
	{regexp.MustCompile(`^(\d+) counter reset(?:s|\(s\))? found from (\S+): increase summed over the lifetimes$`),
		func(m []string) string {
			return "由 " + m[2] + " 发现计数器重置 " + m[1] + " 次：增量按各生命周期求和"
		},
		func(m []string) string {
			return resetsEN(m[1]) + " found from " + m[2] + ": increase summed over the lifetimes"
		}},
	{regexp.MustCompile(`^(\d+) counter reset(?:s|\(s\))?: increase summed piecewise from raw samples$`),
		func(m []string) string { return "计数器重置 " + m[1] + " 次：增量由原始样本分段求和" },
		func(m []string) string { return resetsEN(m[1]) + ": increase summed piecewise from raw samples" }},
	{regexp.MustCompile(`^no sample at the month start: the series began inside the month at 0$`),
		func([]string) string { return "期初无样本：序列在期内从 0 开始" }, nil},
	{regexp.MustCompile(`^no sample at the month start while its entity had one: the series began inside the month at 0$`),
		func([]string) string {
			return "期初无样本（其对象期初有样本）：序列在期内从 0 开始"
		}, nil},
	{regexp.MustCompile(`^the last sample before the month start is (\d+) s older than it \(no scrape then\): the increase across that gap counts in this month$`),
		func(m []string) string {
			return "期初前最后一个样本早于期初 " + m[1] + " 秒（其间无采集）：跨越该空缺的增量计入本期"
		}, nil},
}

// CounterNote is a counter's note as a document in lang prints it. A part
// outside the rules is printed as the engine wrote it.
func CounterNote(lang docfmt.Lang, note string) string {
	if note == "" {
		return ""
	}
	parts := strings.Split(note, "; ")
	for i, p := range parts {
		for _, r := range noteRules {
			m := r.re.FindStringSubmatch(p)
			if m == nil {
				continue
			}
			switch {
			case lang != docfmt.EN:
				parts[i] = r.zh(m)
			case r.en != nil:
				parts[i] = r.en(m)
			}
			break
		}
	}
	if lang != docfmt.EN {
		return strings.Join(parts, "；")
	}
	return strings.Join(parts, "; ")
}
