package report

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
)

// Any period, one engine (issue 16 item 4): Build takes a calendar.Period
// (month, quarter, year, the service period, a range). An unfinished period
// is measured up to the last full hour before now and marked 截至 … as a
// draft that cannot be frozen; a period longer than a month gets a
// per-month table (one sub-run per month: a bounded number of queries per
// month, never per entity); every report gets 环比, its headline figures
// beside the previous period's from the same engine.

// MaxPerMonthRows bounds the per-month table (and so its queries): ten
// years of months. A longer period is refused.
const MaxPerMonthRows = 120

// DraftError refuses to freeze (sign off) an unfinished period.
type DraftError struct {
	Period, AsOf string
}

func (e *DraftError) Error() string {
	return fmt.Sprintf("草稿不可冻结 / cannot freeze a draft: the period %s is not finished (measured up to %s); only a complete period can be signed off", e.Period, e.AsOf)
}

// NewDraftError is the refusal to freeze p, unfinished at now.
func NewDraftError(p calendar.Period, now time.Time) *DraftError {
	return &DraftError{Period: p.String(), AsOf: now.In(calendar.Zone).Truncate(time.Hour).Format(time.RFC3339)}
}

// measured is the part of p measured at now: [p.Start, p.End) when p is
// complete, else [p.Start, the last full hour at or before now) as a
// draft. A period that has not begun is an error.
func measured(p calendar.Period, now time.Time) (span calendar.Period, draft bool, err error) {
	if !p.End.After(p.Start) {
		return p, false, Errorf(ErrBadRequest, "period %s is empty", p)
	}
	if p.IsComplete(now) {
		return p, false, nil
	}
	asOf := now.In(calendar.Zone).Truncate(time.Hour) // the zone has a whole-hour offset and no DST
	if !asOf.After(p.Start) {
		return p, true, Errorf(ErrNoData, "本期无监测数据 / no monitoring data: the period %s has not begun or began less than an hour ago (it starts %s, Beijing time)", p, p.Start.In(calendar.Zone).Format("2006-01-02 15:04"))
	}
	return calendar.Period{Kind: p.Kind, Start: p.Start, End: asOf}, true, nil
}

// asOfText is 「截至 2026年12月4日 20时（北京时间）」.
func asOfText(t time.Time, lang docfmt.Lang) string {
	h := t.In(calendar.Zone).Hour()
	if lang == docfmt.EN {
		return fmt.Sprintf("as of %s %02d:00 (Beijing time)", docfmt.Date(t, lang), h)
	}
	return fmt.Sprintf("截至 %s %d时（北京时间）", docfmt.Date(t, lang), h)
}

// periodText is the document's 报告期: the dates (a month as before), a
// longer period with its name, a draft with 截至 and 草稿.
func periodText(p, span calendar.Period, draft bool, lang docfmt.Lang) string {
	s := docfmt.DateRange(p.Start, p.End, lang) + tr(lang, "（北京时间）", " (Beijing time)")
	switch p.Kind {
	case calendar.KindMonth, calendar.KindDay, calendar.KindRange:
	case calendar.KindService: // PeriodLabel would repeat the dates
		s = tr(lang, "服务期：", "Service period: ") + s
	default:
		s = docfmt.PeriodLabel(p, lang) + tr(lang, "：", ": ") + s
	}
	if draft {
		s += tr(lang, "；"+asOfText(span.End, lang)+"，草稿：本期尚未结束，不可签发", "; "+asOfText(span.End, lang)+", draft: the period is not finished and cannot be signed off")
	}
	return s
}

// periodTitle adapts a monthly title to the period's kind (月度 → 季度,
// 年度, 服务期; 月报 → 季报, 年报, 服务期报告); months keep theirs.
func periodTitle(zh, en string, k calendar.Kind) (string, string) {
	var w, r, e string
	switch k {
	case calendar.KindMonth:
		return zh, en
	case calendar.KindQuarter:
		w, r, e = "季度", "季报", "Quarterly"
	case calendar.KindYear:
		w, r, e = "年度", "年报", "Annual"
	case calendar.KindService:
		w, r, e = "服务期", "服务期报告", "Service-period"
	default:
		w, r, e = "", "报告", "Period"
	}
	zh = strings.Replace(strings.Replace(zh, "月度", w, 1), "月报", r, 1)
	en = strings.Replace(strings.Replace(en, "Monthly", e, 1), "monthly", strings.ToLower(e), 1)
	return zh, en
}

// ---- per-month table ----

// KindFigures are one kind's (TargetKey) availability figures in a span.
type KindFigures struct {
	Key                string  `json:"key"`
	Entities           int     `json:"entities"`
	ObservedSeconds    float64 `json:"observedSeconds"`
	DownSeconds        float64 `json:"downSeconds"`
	MaintenanceSeconds float64 `json:"maintenanceSeconds"`
	UnknownSeconds     float64 `json:"unknownSeconds"`
	Availability       float64 `json:"availability"` // Σdown ÷ Σ(observed − maintenance when excluded); −1 without observed time
}

// PeriodFigures are the figures of one month of a longer period (the
// month clipped to the measured period).
type PeriodFigures struct {
	Period string        `json:"period"` // calendar.Period.String of the clipped month
	Label  string        `json:"label"`
	Kinds  []KindFigures `json:"kinds"`
}

// KindFiguresOf sums es per kind (TargetKey), keys in order.
func KindFiguresOf(es []EntityResult, policy string) []KindFigures { return kindFigures(es, policy) }

func kindFigures(es []EntityResult, policy string) []KindFigures {
	by := map[string][]EntityResult{}
	var keys []string
	for _, e := range es {
		k := TargetKey(e.NS, e.Labels)
		if by[k] == nil {
			keys = append(keys, k)
		}
		by[k] = append(by[k], e)
	}
	sort.Strings(keys)
	out := make([]KindFigures, 0, len(keys))
	for _, k := range keys {
		f := KindFigures{Key: k, Entities: len(by[k]), Availability: AggregateAvailability(by[k], policy)}
		for _, e := range by[k] {
			f.ObservedSeconds += e.ObservedSeconds
			f.DownSeconds += e.DownSeconds
			f.MaintenanceSeconds += e.MaintenanceSeconds
			f.UnknownSeconds += e.UnknownSeconds
		}
		out = append(out, f)
	}
	return out
}

// monthsOf are the months of span clipped to it, when span covers more
// than one month (else nil).
func monthsOf(span calendar.Period) ([]calendar.Period, error) {
	ms := span.Months()
	if len(ms) <= 1 {
		return nil, nil
	}
	if len(ms) > MaxPerMonthRows {
		return nil, Errorf(ErrBadRequest, "period %s has %d months; at most %d (MaxPerMonthRows)", span, len(ms), MaxPerMonthRows)
	}
	out := make([]calendar.Period, 0, len(ms))
	for _, m := range ms {
		c, _ := m.Intersect(span)
		out = append(out, c)
	}
	return out, nil
}

// perMonth adds the per-month table: each month's availability per kind,
// from the same counters as the whole period (per month: one sub-run per
// namespace, its few queries; never per entity) — or, for a month signed
// off with the same measure (frozenMonth: kind, span, filter, policy), the
// figures of its snapshot as handed in, not queried again. The months are
// then checked against the whole period: their downtime and observed time
// still sum to the period's unless the data changed after the sign-off, and
// the section says which holds.
func (r *run) perMonth(d *Document) error {
	ms, err := monthsOf(r.month)
	if err != nil || ms == nil {
		return err
	}
	var nss []string
	seen := map[string]bool{}
	for _, e := range d.Entities {
		if !seen[e.NS] {
			seen[e.NS] = true
			nss = append(nss, e.NS)
		}
	}
	sort.Strings(nss)
	subs := make([]*run, len(ms))
	res := make([][]EntityResult, len(ms)*len(nss))
	var fns []func() error
	var frozen []string // the months read from their snapshots
	for i, m := range ms {
		sub, f, err := r.monthAvailability(d.Kind, m, nss, res[i*len(nss):(i+1)*len(nss)])
		if err != nil {
			return err
		}
		if sub == nil {
			frozen = append(frozen, docfmt.PeriodLabel(calendar.MonthOf(m.Start), r.cfg.Lang))
		}
		subs[i], fns = sub, append(fns, f...)
	}
	if err := r.parallel(fns...); err != nil {
		return err
	}
	keys := kindFigures(d.Entities, r.cfg.MaintenancePolicy)
	// One row per month and kind (the kinds below each other, never beside:
	// four kinds × three columns do not fit a portrait page).
	t := Table{ID: "per-month", Title: r.tr("分月可用率", "Availability per month"), TitleEN: "Availability per month", Empty: r.noData(),
		Columns: append([]Column{col("月份", "Month"), col("对象类别", "Kind")}, r.periodColumns("")...)}
	rows := func(label string, fs []KindFigures) [][]string {
		by := map[string]KindFigures{}
		for _, f := range fs {
			by[f.Key] = f
		}
		var out [][]string
		for _, k := range keys {
			f, ok := by[k.Key]
			out = append(out, append([]string{label, r.term(k.Key)}, r.periodCells(f, ok)...))
		}
		return out
	}
	for i, m := range ms {
		var es []EntityResult
		for j := range nss {
			es = append(es, res[i*len(nss)+j]...)
		}
		if subs[i] != nil {
			r.mu.Lock()
			r.audit = append(r.audit, subs[i].audit...)
			r.mu.Unlock()
		}
		label := docfmt.PeriodLabel(calendar.MonthOf(m.Start), r.cfg.Lang)
		if m.Kind == calendar.KindRange {
			label = docfmt.DateRange(m.Start, m.End, r.cfg.Lang)
		}
		f := PeriodFigures{Period: m.String(), Label: label, Kinds: kindFigures(es, r.cfg.MaintenancePolicy)}
		d.PerMonth = append(d.PerMonth, f)
		t.Rows = append(t.Rows, rows(label, f.Kinds)...)
	}
	t.Rows = append(t.Rows, rows(r.tr("全期合计", "Whole period"), keys)...)
	text := r.tr("各月数据与全期数据取自同一组计数器，各月停机时长之和等于全期停机时长。", "The months and the whole period come from the same counters: the months' downtime sums to the period's.")
	if len(frozen) > 0 {
		list := strings.Join(frozen, r.tr("、", ", "))
		if off := r.monthsOff(d.PerMonth, keys); off == "" {
			text = r.tr(list+"的数据取自各月已冻结的报告（见审计方法），其余月份与全期数据取自同一组计数器；各月停机时长与观测时长之和等于全期。",
				"The figures of "+list+" are those of the months' frozen reports (see the audit's method), the other months and the whole period come from the same counters; the months' downtime and observed time sum to the period's.")
		} else {
			text = r.tr(list+"的数据取自各月已冻结的报告（见审计方法），与全期计数器不一致（"+off+"）：冻结后数据有变化，全期数据以计数器为准。",
				"The figures of "+list+" are those of the months' frozen reports (see the audit's method) and differ from the whole period's counters ("+off+"): the data changed after the sign-off; the whole period's figures are the counters'.")
		}
	}
	sec := Section{ID: "per-month", Title: r.tr("分月情况", "Per month"), TitleEN: "Per month",
		Text:   []string{text},
		Tables: []Table{t}}
	d.Sections = insertAfterOverview(d.Sections, sec)
	return nil
}

// monthAvailability fills out[j] with the availability of namespace nss[j]
// in month m: from m's snapshot when it was signed off with the same
// measure (frozenMonth; sub nil), else it returns the sub-run of m and the
// queries to run in parallel that fill out (figures only).
func (r *run) monthAvailability(kind string, m calendar.Period, nss []string, out [][]EntityResult) (sub *run, fns []func() error, err error) {
	fd, err := r.frozenMonth(kind, m)
	if err != nil {
		return nil, nil, err
	}
	if fd != nil {
		for j, ns := range nss {
			out[j] = entitiesOf(fd.Entities, ns)
		}
		return nil, nil, nil
	}
	sub = r.sub(m)
	sub.figuresOnly, sub.reads = true, r.subReads
	for j, ns := range nss {
		fns = append(fns, func() (err error) { out[j], err = sub.fetchAvailability(ns); return })
	}
	return sub, fns, nil
}

// sub is a run of m on r's querier, configuration, selection and
// cancellation, with nothing else of r's: its audit is its own.
func (r *run) sub(m calendar.Period) *run {
	return &run{ctx: r.ctx, cancel: r.cancel, q: r.q, cfg: r.cfg, month: m, sel: r.sel}
}

// monthsOff says where the months' downtime or observed time does not sum
// to the whole period's (kind and seconds; "" where every kind sums to
// within a millisecond per month, the engine's own rounding).
func (r *run) monthsOff(months []PeriodFigures, whole []KindFigures) string {
	var off []string
	for _, w := range whole {
		var down, obs float64
		for _, m := range months {
			for _, f := range m.Kinds {
				if f.Key == w.Key {
					down += f.DownSeconds
					obs += f.ObservedSeconds
				}
			}
		}
		tol := 1e-3 * float64(len(months))
		if math.Abs(down-w.DownSeconds) > tol || math.Abs(obs-w.ObservedSeconds) > tol {
			off = append(off, r.tr(fmt.Sprintf("%s停机时长相差 %+.3f 秒、观测时长相差 %+.3f 秒", r.term(w.Key), down-w.DownSeconds, obs-w.ObservedSeconds),
				fmt.Sprintf("%s: downtime %+.3f s, observed time %+.3f s", r.term(w.Key), down-w.DownSeconds, obs-w.ObservedSeconds)))
		}
	}
	return strings.Join(off, r.tr("；", "; "))
}

// insertAfterOverview puts s after the 总体运行情况 section (first when
// there is none).
func insertAfterOverview(ss []Section, s Section) []Section {
	at := 0
	for i, x := range ss {
		if x.ID == "overview" || x.ID == "comparison" {
			at = i + 1
		}
	}
	return append(ss[:at], append([]Section{s}, ss[at:]...)...)
}

// ---- 环比 ----

// Compared is one headline figure of the period beside the previous
// period's (环比).
type Compared struct {
	Label       string  `json:"label"`
	LabelEN     string  `json:"labelEN"`
	Current     string  `json:"current"`
	Previous    string  `json:"previous"` // 无上期数据 when the previous period has none
	Change      string  `json:"change"`
	Value       float64 `json:"value"`
	PrevValue   float64 `json:"prevValue"`
	HasPrevious bool    `json:"hasPrevious"`
}

type figureFmt int

const (
	fmtCount figureFmt = iota
	fmtPct
	fmtDur
)

type figure struct {
	label, labelEN string
	v              float64
	f              figureFmt
}

// headline are the figures compared with the previous period: per kind
// its availability, downtime and incidents, then every whole-number figure
// of the summary (counts, alarms).
func headline(d *Document, lang docfmt.Lang) []figure {
	var out []figure
	for _, k := range kindFigures(d.Entities, d.MaintenancePolicy) {
		t, _ := docfmt.Term(k.Key, lang)
		n := 0
		for _, e := range d.Entities {
			if TargetKey(e.NS, e.Labels) != k.Key {
				continue
			}
			for _, in := range e.Incidents {
				if !in.Maintenance {
					n++
				}
			}
		}
		out = append(out,
			figure{t + tr(lang, "可用率 %", " availability %"), k.Key + " availability %", k.Availability, fmtPct},
			figure{t + tr(lang, "停机时长", " downtime"), k.Key + " downtime", k.DownSeconds, fmtDur},
			figure{t + tr(lang, "故障事件数", " incidents"), k.Key + " incidents", float64(n), fmtCount})
	}
	for _, kv := range d.Summary {
		if n, err := strconv.Atoi(kv.Value); err == nil {
			out = append(out, figure{pick(lang, kv.Label, kv.LabelEN), kv.LabelEN, float64(n), fmtCount})
		}
	}
	return out
}

func (f figure) text(lang docfmt.Lang) string {
	switch f.f {
	case fmtPct:
		return pct(f.v)
	case fmtDur:
		return docfmt.Duration(f.v, lang)
	}
	return strconv.FormatFloat(f.v, 'f', 0, 64)
}

// change is cur − prev in the figure's unit (percentage points for an
// availability).
func change(cur, prev figure, lang docfmt.Lang) string {
	if cur.f == fmtPct && (cur.v < 0 || prev.v < 0) {
		return docfmt.Placeholder
	}
	d := cur.v - prev.v
	sign := "+"
	if d < 0 {
		sign = "-"
	}
	switch cur.f {
	case fmtPct:
		pp := math.Abs(d) * 100
		if pp < 0.00005 {
			return tr(lang, "持平", "unchanged")
		}
		return sign + strconv.FormatFloat(pp, 'f', 4, 64) + tr(lang, " 个百分点", " pp")
	case fmtDur:
		if math.Abs(d) < 0.5 {
			return tr(lang, "持平", "unchanged")
		}
		return sign + docfmt.Duration(math.Abs(d), lang)
	}
	if d == 0 {
		return tr(lang, "持平", "unchanged")
	}
	return sign + strconv.FormatFloat(math.Abs(d), 'f', 0, 64)
}

// NoPrevious is written where the previous period has no data.
const NoPrevious = "无上期数据"

// compare adds 环比 to d: prev is the previous period's document from the
// same engine (nil: it has no data), or its snapshot (frozen); otherMeasure:
// a snapshot exists that measured otherwise.
func compare(d, prev *Document, prevPeriod calendar.Period, frozen *Frozen, otherMeasure bool, lang docfmt.Lang) {
	none := tr(lang, NoPrevious, "no data for the previous period")
	pf := map[string]figure{}
	if prev != nil {
		for _, f := range headline(prev, lang) {
			pf[f.labelEN] = f
		}
	}
	t := Table{ID: "comparison", Title: tr(lang, "主要指标环比", "Headline figures against the previous period"), TitleEN: "Headline figures against the previous period",
		Columns: []Column{col("指标", "Figure"), col("本期", "This period"), col("上期", "Previous period"), col("变化", "Change")}, Empty: none}
	for _, f := range headline(d, lang) {
		c := Compared{Label: f.label, LabelEN: f.labelEN, Current: f.text(lang), Previous: none, Change: docfmt.Placeholder, Value: f.v}
		if p, ok := pf[f.labelEN]; ok {
			c.Previous, c.Change, c.PrevValue, c.HasPrevious = p.text(lang), change(f, p, lang), p.v, true
		}
		d.Comparison = append(d.Comparison, c)
		t.Rows = append(t.Rows, []string{c.Label, c.Current, c.Previous, c.Change})
	}
	d.PreviousPeriod = prevPeriod.String()
	if prevPeriod.Kind == calendar.KindService { // the service period before this one: its dates
		d.PreviousPeriod = calendar.Period{Kind: calendar.KindRange, Start: prevPeriod.Start, End: prevPeriod.End}.String()
	}
	text := tr(lang, "上期：", "Previous period: ") + docfmt.PeriodLabel(prevPeriod, lang)
	switch prevPeriod.Kind {
	case calendar.KindMonth, calendar.KindQuarter, calendar.KindYear: // the label has no dates
		text += tr(lang, "（", " (") + docfmt.DateRange(prevPeriod.Start, prevPeriod.End, lang) + tr(lang, "）", ")")
	}
	text += tr(lang, "。", ".")
	if frozen != nil {
		d.PreviousFrozen = frozen
		text += frozenText(frozen, lang)
	} else if otherMeasure {
		text += tr(lang, "上期已冻结的报告统计口径不同（筛选条件或维护策略），上期数据为按本期口径重新计算。",
			" The previous period's frozen report was measured otherwise (filter or maintenance policy); its figures were recomputed as this period's are.")
	}
	if prev == nil {
		text += tr(lang, "上期无监测数据，各项均为「"+NoPrevious+"」。", " The previous period has no monitoring data.")
	}
	d.Sections = insertAfterOverview(d.Sections, Section{ID: "comparison", Title: tr(lang, "与上期比较（环比）", "Comparison with the previous period"),
		TitleEN: "Comparison with the previous period", Text: []string{text}, Tables: []Table{t}})
}

// FrozenSource gives the frozen (signed-off) documents. With one in
// Config.Frozen, 环比 reads the previous period's figures from its
// snapshot — the figures that were handed in — instead of rebuilding them.
type FrozenSource interface {
	// FrozenDocument is kind's verified snapshot of p; nil, nil when p is
	// not frozen.
	FrozenDocument(kind string, p calendar.Period) (*Document, error)
}

// previous is the previous period's document for 环比: its snapshot when
// cfg.Frozen holds one that measured the same thing (frozen is then its
// SHA-256 and time), else the engine's build (nil when the period has no
// data). A snapshot that cannot be read or verified fails the report: a
// signed-off record that does not verify is never passed over in silence.
// otherMeasure is set when a snapshot exists but measured otherwise (the
// 环比 section says why its figures are not those handed in).
func previous(ctx context.Context, q Querier, cfg Config, kind string, prev calendar.Period, sel string, reads *sharedReads) (d *Document, frozen *Frozen, otherMeasure bool, err error) {
	fd, otherMeasure, err := frozenFor(cfg, kind, prev, sel)
	if err != nil {
		return nil, nil, false, fmt.Errorf("环比：上期（%s）的冻结报告无法读取 / the previous period's snapshot cannot be read: %w", prev, err)
	}
	if fd != nil {
		return fd, fd.Frozen, false, nil
	}
	d, err = buildPrevious(ctx, q, cfg, kind, prev, reads)
	return d, nil, otherMeasure, err
}

// frozenFor is kind's snapshot of p in cfg.Frozen when it measured what
// this report's own build of p would (sameMeasure); otherMeasure: there
// is one, measured otherwise. Both nil, false without a store or a
// snapshot.
func frozenFor(cfg Config, kind string, p calendar.Period, sel string) (fd *Document, otherMeasure bool, err error) {
	if cfg.Frozen == nil {
		return nil, false, nil
	}
	fd, err = cfg.Frozen.FrozenDocument(kind, p)
	if err != nil || fd == nil || fd.Frozen == nil {
		return nil, false, err
	}
	if !sameMeasure(fd, kind, p, sel, cfg.MaintenancePolicy) {
		return nil, true, nil
	}
	return fd, false, nil
}

// frozenMemo remembers the snapshots one build read (the previous month
// is read for 环比 and for the trend).
type frozenMemo struct {
	src  FrozenSource
	mu   sync.Mutex
	docs map[string]*Document
}

func (m *frozenMemo) FrozenDocument(kind string, p calendar.Period) (*Document, error) {
	key := kind + " " + p.Start.String() + " " + p.End.String()
	m.mu.Lock()
	defer m.mu.Unlock()
	if d, ok := m.docs[key]; ok {
		return d, nil
	}
	d, err := m.src.FrozenDocument(kind, p)
	if err == nil {
		m.docs[key] = d
	}
	return d, err
}

// sameMeasure: the frozen document d measured what this report's own
// build of prev would — the kind, the span (not the name: every service
// period is named "service"), the filter and the maintenance policy — and
// is complete. Otherwise its figures are not comparable and prev is built.
func sameMeasure(d *Document, kind string, prev calendar.Period, sel, policy string) bool {
	start, err1 := time.Parse(time.RFC3339, d.PeriodStart)
	end, err2 := time.Parse(time.RFC3339, d.PeriodEnd)
	return err1 == nil && err2 == nil && d.Kind == kind && !d.Draft && start.Equal(prev.Start) && end.Equal(prev.End) &&
		d.Filter == sel && d.MaintenancePolicy == policy
}

// frozenText says where the previous period's figures come from when they
// are its snapshot's (the 环比 section).
func frozenText(f *Frozen, lang docfmt.Lang) string {
	return tr(lang, "上期数据取自"+frozenNote(f, lang)+"，即报送时的数字，未重新计算。",
		" The previous period's figures are those of its "+frozenNote(f, lang)+", as handed in; they were not recomputed.")
}

// frozenMethod is the audit's method line for a period read from its
// snapshot.
func frozenMethod(u frozenUse, lang docfmt.Lang) string {
	l := docfmt.PeriodLabel(u.period, lang)
	return tr(lang, l+"的数字取自其"+frozenNote(u.f, lang)+"，未重新查询。",
		"The figures of "+l+" are those of its "+frozenNote(u.f, lang)+"; not queried again.")
}

// frozenNote names a snapshot: 已冻结的报告（冻结于 …，SHA-256 前 16 位…）.
func frozenNote(f *Frozen, lang docfmt.Lang) string {
	sha := f.SHA256
	if len(sha) > 16 {
		sha = sha[:16]
	}
	at := f.FrozenAt
	if t, err := time.Parse(time.RFC3339, f.FrozenAt); err == nil {
		at = docfmt.DateTime(t, lang)
	}
	return tr(lang, "已冻结的报告（冻结于 "+at+"，SHA-256 "+sha+"…）", "frozen report (frozen on "+at+", SHA-256 "+sha+"…)")
}

// buildPrevious is the previous period's document for 环比 (nil when it
// has no data); any other failure fails the report.
func buildPrevious(ctx context.Context, q Querier, cfg Config, kind string, prev calendar.Period, reads *sharedReads) (*Document, error) {
	cfg.Evaluator, cfg.Ident, cfg.Narrative = nil, nil, Narrative{}
	d, err := build(ctx, q, cfg, kind, prev, false, reads)
	if KindOf(err) == ErrNoData {
		return nil, nil
	}
	return d, err
}
