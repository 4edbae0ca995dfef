package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Narrative is the editable text of a period's report, written by the
// supervisor: the three sections the contract asks for after the topics.
// It becomes part of the document (and so of its frozen snapshot).
type Narrative struct {
	Problems  string `json:"problems,omitempty" yaml:"problems"`    // 主要问题及原因分析
	Remedies  string `json:"remedies,omitempty" yaml:"remedies"`    // 整改措施及完成情况
	NextSteps string `json:"nextSteps,omitempty" yaml:"next_steps"` // 下一步工作计划及建议
}

// MaxNarrativeRunes bounds each editable section (a page or two of text).
const MaxNarrativeRunes = 20000

// Unfilled is written in a draft where a required section is empty.
const Unfilled = "（未填写）"

const unfilledEN = "(not filled in)"

// narrativeSections are the editable sections in the contract's order.
var narrativeSections = []struct {
	id, zh, en string
	get        func(Narrative) string
}{
	{"problems", "主要问题及原因分析", "Main problems and their causes", func(n Narrative) string { return n.Problems }},
	{"remedies", "整改措施及完成情况", "Remedial measures and their completion", func(n Narrative) string { return n.Remedies }},
	{"next-steps", "下一步工作计划及建议", "Plan and recommendations", func(n Narrative) string { return n.NextSteps }},
}

// Check bounds the sections' length and refuses invalid UTF-8.
func (n Narrative) Check() error {
	for _, s := range narrativeSections {
		v := s.get(n)
		if !utf8.ValidString(v) {
			return Errorf(ErrBadRequest, "%s: not UTF-8", s.zh)
		}
		if c := utf8.RuneCountInString(v); c > MaxNarrativeRunes {
			return Errorf(ErrBadRequest, "%s: %d characters; at most %d", s.zh, c, MaxNarrativeRunes)
		}
	}
	return nil
}

// UnfilledSections are the titles of the editable sections of d still
// 「（未填写）」: a document with any cannot be signed off.
func UnfilledSections(d *Document) []string {
	var out []string
	for _, sec := range d.Sections {
		for _, ns := range narrativeSections {
			if sec.ID == ns.id && len(sec.Text) == 1 && (sec.Text[0] == Unfilled || sec.Text[0] == unfilledEN) {
				out = append(out, ns.zh)
			}
		}
	}
	return out
}

// narrate appends the editable sections (Unfilled where empty); in an
// English document an empty one reads "(not filled in)".
func (r *run) narrate(d *Document) error {
	if err := r.cfg.Narrative.Check(); err != nil {
		return err
	}
	for _, ns := range narrativeSections {
		v := strings.TrimSpace(ns.get(r.cfg.Narrative))
		var text []string
		for _, p := range strings.Split(v, "\n") {
			if p = strings.TrimSpace(p); p != "" {
				text = append(text, p)
			}
		}
		if len(text) == 0 {
			text = []string{r.tr(Unfilled, unfilledEN)}
		}
		d.Sections = append(d.Sections, Section{ID: ns.id, Title: r.tr(ns.zh, ns.en), TitleEN: ns.en, Text: text})
	}
	return nil
}

// infraOverview is the 总体运行情况 paragraph of the infrastructure report,
// template sentences from the per-topic alarm counts; every number in it
// is a figure of the summary table.
func (r *run) infraOverview(counts []int) string {
	var alarmed, normal []string
	for i, tp := range infraTopics {
		name := r.tr(strings.SplitN(tp.zh, "（", 2)[0], tp.en)
		if counts[i] > 0 {
			alarmed = append(alarmed, r.tr(fmt.Sprintf("%s告警 %d 次", name, counts[i]), fmt.Sprintf("%s: %d alarms", name, counts[i])))
		} else {
			normal = append(normal, name)
		}
	}
	sep := r.tr("、", ", ")
	var parts []string
	if len(alarmed) > 0 {
		parts = append(parts, r.tr("本期", "In this period: ")+strings.Join(alarmed, sep))
	}
	if len(normal) > 0 {
		parts = append(parts, strings.Join(normal, sep)+r.tr("运行正常，未发生告警", " operated normally without alarms"))
	}
	return r.tr("机房基础设施按电力、空调、消防、安防、环境五个方面监测。", "The machine room is monitored in five topics: power, air conditioning, fire protection, security and environment. ") +
		strings.Join(parts, r.tr("；", "; ")) + r.tr("。详见以下各节。", ". See the sections below.")
}
