package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jianguan/jianguan/internal/docfmt"
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

// HasNarrative reports whether documents of kind carry the editable
// sections and a 总体运行情况 paragraph: every report built by Build
// (infrastructure, lines, the supervision report hosts, providers).
func HasNarrative(kind string) bool { return ValidKind(kind) == nil }

// isNarrativeSection reports whether s is one of the editable sections.
func isNarrativeSection(s Section) bool {
	for _, ns := range narrativeSections {
		if s.ID == ns.id {
			return true
		}
	}
	return false
}

// insertBeforeNarrative puts ss before the editable sections (at the end
// when there are none): the contract's order is the summary, the topics,
// then 主要问题及原因分析、整改措施及完成情况、下一步工作计划及建议, so sections
// added after Build (the records store's 巡检, 整改跟踪) are topics.
func insertBeforeNarrative(sections []Section, ss ...Section) []Section {
	at := len(sections)
	for i, s := range sections {
		if isNarrativeSection(s) {
			at = i
			break
		}
	}
	out := make([]Section, 0, len(sections)+len(ss))
	out = append(append(append(out, sections[:at]...), ss...), sections[at:]...)
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
			alarmed = append(alarmed, r.tr(fmt.Sprintf("%s告警 %d 次", name, counts[i]), name+": "+docfmt.Count(counts[i], "alarm", "alarms")))
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

// availabilityOverview is the 总体运行情况 paragraph of the lines report,
// the supervision report (kind hosts) and the providers report (issue 16
// item 6): template sentences from the summary, the headline figures of
// the 环比 table (headline: per kind availability, downtime, incidents) and
// the entities' verdicts. Every number in it is a figure of one of the
// document's tables (TestOverview_EveryNumberInATable); it is inserted
// first, before the comparison.
func (r *run) availabilityOverview(d *Document) {
	what, whatEN, whatOneEN, unit := "线路", "lines", "line", "条"
	switch d.Kind {
	case KindHosts:
		what, whatEN, whatOneEN, unit = "云主机和网站", "hosts and websites", "host or website", "个"
	case KindProviders:
		what, whatEN, whatOneEN, unit = "线路、云主机和网站", "lines, hosts and websites", "line, host or website", "个"
	}
	n := strconv.Itoa(len(d.Entities))
	down := 0.0
	for _, e := range d.Entities {
		down += e.DownSeconds
	}
	var sents []string
	sents = append(sents, r.tr(fmt.Sprintf("本期共监测%s %s %s，合计停机时长 %s", what, n, unit, r.dur(down)),
		fmt.Sprintf("%s %s monitored in this period, %s of downtime in total", n, docfmt.Noun(len(d.Entities), whatOneEN, whatEN), r.dur(down))))
	hl := headline(d, r.cfg.Lang)
	var perKind []string
	for i := 0; i < 3*len(kindFigures(d.Entities, d.MaintenancePolicy)) && i+2 < len(hl); i += 3 {
		name := strings.TrimSuffix(hl[i].label, r.tr("可用率 %", " availability %"))
		a := r.tr("可用率 "+hl[i].text(r.cfg.Lang)+" %", "availability "+hl[i].text(r.cfg.Lang)+" %")
		if hl[i].v < 0 {
			a = r.tr("可用率无数据", "availability: no data")
		}
		perKind = append(perKind, r.tr(fmt.Sprintf("%s%s，停机 %s，故障事件 %s 起", name, a, hl[i+1].text(r.cfg.Lang), hl[i+2].text(r.cfg.Lang)),
			fmt.Sprintf("%s: %s, downtime %s, %s %s", name, a, hl[i+1].text(r.cfg.Lang), hl[i+2].text(r.cfg.Lang), docfmt.Noun(int(hl[i+2].v), "incident", "incidents"))))
	}
	if len(perKind) > 0 {
		sents = append(sents, strings.Join(perKind, r.tr("；", "; ")))
	}
	met, br, ind, none := statusCounts(d.Entities)
	if met+br+ind > 0 {
		sents = append(sents, r.tr(fmt.Sprintf("设定可用率目标的%s中，达标 %d %s、未达标 %d %s、无法判定 %d %s", what, met, unit, br, unit, ind, unit),
			fmt.Sprintf("of the entities with a target, %d met it, %d did not and %d %s indeterminate", met, br, ind, docfmt.Noun(ind, "is", "are"))))
	}
	if none > 0 {
		sents = append(sents, r.tr(fmt.Sprintf("%d %s%s未设定目标，只列可用率，不作达标判定", none, unit, what),
			docfmt.Count(none, "entity has", "entities have")+" no target: "+docfmt.Noun(none, "its", "their")+" availability is shown without a verdict"))
	}
	if br > 0 {
		var worst []EntityResult
		for _, e := range d.Entities {
			if e.Status == StatusBreached {
				worst = append(worst, e)
			}
		}
		sort.SliceStable(worst, func(i, j int) bool { return worseAvailability(worst[i], worst[j]) })
		var names []string
		for _, e := range worst[:min(3, len(worst))] {
			names = append(names, r.tr(fmt.Sprintf("%s（%s %%）", e.Name, pct(e.Availability)), fmt.Sprintf("%s (%s %%)", e.Name, pct(e.Availability))))
		}
		s := r.tr("未达标的对象按可用率由低到高为 ", "not meeting their target, lowest availability first: ") + strings.Join(names, r.tr("、", ", "))
		if len(worst) > len(names) {
			s += r.tr("等", " and others")
		}
		sents = append(sents, s)
	}
	if len(d.Providers) > 0 && hasTable(d, "scores") {
		hi, lo := d.Providers[0], d.Providers[len(d.Providers)-1]
		sents = append(sents, r.tr(fmt.Sprintf("综合得分最高的服务商为 %s（%s 分），最低的为 %s（%s 分）", hi.Provider, num(hi.Score, 2), lo.Provider, num(lo.Score, 2)),
			fmt.Sprintf("the highest provider score is %s (%s points), the lowest %s (%s points)", hi.Provider, num(hi.Score, 2), lo.Provider, num(lo.Score, 2))))
	}
	text := strings.Join(sents, r.tr("；", "; ")) + r.tr("。详见以下各节。", ". See the sections below.")
	if r.cfg.Lang == docfmt.EN {
		text = strings.ToUpper(text[:1]) + text[1:]
	}
	ov := Section{ID: "overview", Title: r.tr("总体运行情况", "Overall operation"), TitleEN: "Overall operation", Text: []string{text}}
	d.Sections = append([]Section{ov}, d.Sections...)
}

// hasTable reports whether a section of d has the table id.
func hasTable(d *Document, id string) bool {
	for _, s := range d.Sections {
		for _, t := range s.Tables {
			if t.ID == id {
				return true
			}
		}
	}
	return false
}

// DropNarrative removes the 总体运行情况 paragraph and the editable sections
// from d, a document built by Build for another document's use: the monthly
// assessment (kind evaluation) is the providers report's figures in its own
// frame with its own summary, so the providers report's paragraph would
// speak of figures it does not show, and its editable sections (which
// belong to the providers report, stored under that kind) would block its
// freeze as 「（未填写）」.
func DropNarrative(d *Document) {
	out := d.Sections[:0]
	for _, s := range d.Sections {
		if s.ID != "overview" && !isNarrativeSection(s) {
			out = append(out, s)
		}
	}
	d.Sections = out
}
