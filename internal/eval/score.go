package eval

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/report"
)

// Inputs of one month's assessment. Entities and Conditions are the report
// engine's results (the providers and infrastructure reports' entities): the
// evaluation never recomputes availability another way.
type Inputs struct {
	Month      report.Month
	Policy     string                // the engine's maintenance policy
	Entities   []report.EntityResult // lines, hosts, websites with label provider
	Conditions []report.EntityResult // env_condition of the machine room
	Records    *RecordSummary        // nil: record figures are 无数据
	Querier    report.Querier        // for promql indicators; nil: 无数据
	Manual     []ManualScore         // the month's manual scores (latest per provider and indicator wins)
}

// Assessment is one month's evaluation by one system version; a frozen
// month keeps it (and so the version and scores it used).
type Assessment struct {
	Month         string  `json:"month"`
	SystemVersion string  `json:"systemVersion"`
	SystemStatus  string  `json:"systemStatus"`
	SystemSHA256  string  `json:"systemSha256"`
	AppliesFrom   string  `json:"appliesFrom"`
	Grades        []Grade `json:"grades"`
	UnknownMax    float64 `json:"maxUnknownShare"`
	MinEvaluable  float64 `json:"minEvaluableWeight"`
	// LicenceIndicator: the manual indicator of the licence review.
	LicenceIndicator string       `json:"licenceIndicator,omitempty"`
	Kinds            []KindResult `json:"kinds"`
	// Queries: the PromQL indicators' queries (audit appendix).
	Queries []report.AuditQuery `json:"queries,omitempty"`
}

// KindResult ranks the providers of one kind.
type KindResult struct {
	Kind      string           `json:"kind"`
	Providers []ProviderResult `json:"providers"`
}

// ProviderResult is one provider's scores.
type ProviderResult struct {
	Provider  string  `json:"provider"`
	Kind      string  `json:"kind"`
	Rank      int     `json:"rank,omitempty"` // 0: 无法评价
	Rated     bool    `json:"rated"`
	Score     float64 `json:"score"`
	Grade     string  `json:"grade,omitempty"`
	Reason    string  `json:"reason,omitempty"` // why 无法评价
	Evaluable float64 `json:"evaluableWeight"`  // percent of the total weight that could be evaluated
	Operator  bool    `json:"machineRoomOperator,omitempty"`
	Rows      []Row   `json:"rows"`
}

// Row is one node of the indicator tree with its result (depth-first).
type Row struct {
	ID         string  `json:"id"`
	Level      int     `json:"level"`
	Capability string  `json:"capability"`
	Name       string  `json:"name"`
	Weight     float64 `json:"weight"` // as configured (within its level)
	Criterion  string  `json:"criterion,omitempty"`
	Measured   string  `json:"measured,omitempty"`
	Value      float64 `json:"value"`
	Unknown    float64 `json:"unknownShare,omitempty"`
	Source     string  `json:"source,omitempty"`
	Rated      bool    `json:"rated"`
	State      string  `json:"state,omitempty"` // 无法评价 / 不适用 when not rated
	Score      float64 `json:"score"`
	Deduction  string  `json:"deduction,omitempty"`
}

// Not-rated states.
const (
	StateUnrated = "无法评价"
	StateNA      = "不适用"
)

// KindOf is a provider's kind: the system's providers map, else carrier when
// every entity of it is a line, else cloud.
func (s *System) KindOf(provider string, es []report.EntityResult) string {
	if k, ok := s.Providers[provider]; ok {
		return k
	}
	if len(es) == 0 {
		return KindCloud
	}
	for _, e := range es {
		if e.NS != "line" {
			return KindCloud
		}
	}
	return KindCarrier
}

// Assess scores every provider of the month by the system.
func Assess(ctx context.Context, s *System, in Inputs) (*Assessment, error) {
	by := map[string][]report.EntityResult{}
	for _, e := range in.Entities {
		if p := e.Labels["provider"]; p != "" {
			by[p] = append(by[p], e)
		}
	}
	names := map[string]bool{}
	for p := range by {
		names[p] = true
	}
	for p := range s.Providers {
		names[p] = true
	}
	if op := s.MachineRoom.Operator; op != "" {
		names[op] = true
	}
	manual := map[string]ManualScore{}
	for _, m := range in.Manual {
		k := m.Provider + "\x00" + m.Kind + "\x00" + m.Indicator
		if old, ok := manual[k]; !ok || !m.At.Before(old.At) {
			manual[k] = m
		}
		names[m.Provider] = true
	}
	a := &Assessment{Month: in.Month.Label, SystemVersion: s.Version, SystemStatus: s.Status, SystemSHA256: s.SHA256,
		AppliesFrom: s.AppliesFrom, Grades: s.Grades, UnknownMax: s.UnknownMax(), MinEvaluable: s.MinEvaluable(), LicenceIndicator: s.LicenceIndicator}
	cache := map[string][]report.Series{}
	results := map[string][]ProviderResult{}
	sorted := make([]string, 0, len(names))
	for p := range names {
		sorted = append(sorted, p)
	}
	sort.Slice(sorted, func(i, j int) bool { return docfmt.NaturalLess(sorted[i], sorted[j]) })
	for _, p := range sorted {
		kind := s.KindOf(p, by[p])
		ks := s.Kinds[kind]
		if ks == nil {
			continue // no indicator set for this kind: not evaluated
		}
		pd := &providerData{provider: p, entities: by[p], monthSecs: in.Month.Seconds(), policy: in.Policy, rec: in.Records,
			operator: p == s.MachineRoom.Operator}
		if pd.operator {
			pd.conditions = in.Conditions
		}
		sc := &scorer{ctx: ctx, s: s, in: in, pd: pd, kind: kind, manual: manual, cache: cache, audit: &a.Queries}
		res := ProviderResult{Provider: p, Kind: kind, Operator: pd.operator}
		total, share, _, err := sc.level(ks.Capabilities, 1, "", &res.Rows)
		if err != nil {
			return nil, err
		}
		res.Evaluable = 100 * share
		switch {
		case share <= 0:
			res.Reason = "无数据：没有可评价的指标"
		case res.Evaluable < s.MinEvaluable()-1e-9:
			res.Reason = fmt.Sprintf("可评价指标占适用指标权重的 %.1f %%，低于 %s %%", res.Evaluable, trimNum(s.MinEvaluable()))
		default:
			res.Rated, res.Score = true, total
			res.Grade = s.GradeOf(total)
		}
		results[kind] = append(results[kind], res)
	}
	for _, kind := range []string{KindCloud, KindCarrier} {
		ps := results[kind]
		if len(ps) == 0 {
			continue
		}
		sort.SliceStable(ps, func(i, j int) bool {
			if ps[i].Rated != ps[j].Rated {
				return ps[i].Rated
			}
			return ps[i].Score > ps[j].Score+1e-9
		})
		for i := range ps {
			if ps[i].Rated {
				ps[i].Rank = i + 1
				if i > 0 && ps[i-1].Rated && math.Abs(ps[i-1].Score-ps[i].Score) < 1e-9 {
					ps[i].Rank = ps[i-1].Rank
				}
			}
		}
		a.Kinds = append(a.Kinds, KindResult{Kind: kind, Providers: ps})
	}
	return a, nil
}

type scorer struct {
	ctx    context.Context
	s      *System
	in     Inputs
	pd     *providerData
	kind   string
	manual map[string]ManualScore
	cache  map[string][]report.Series
	audit  *[]report.AuditQuery
}

// level scores nodes of one level: the weighted mean of the evaluable ones,
// their weights renormalised (a node that cannot be evaluated neither scores
// 0 nor drags the others down). share is the evaluable part of the level's
// applicable weight (0 … 1, multiplied down the tree); na is true when no
// node of the level applies to the provider (不适用 is left out of both).
func (sc *scorer) level(ns []*Indicator, depth int, capName string, rows *[]Row) (score, share float64, na bool, err error) {
	var wsum, wscore, wapp, wshare float64
	for _, n := range ns {
		cn := capName
		if depth == 1 {
			cn = n.Name
		}
		idx := len(*rows)
		*rows = append(*rows, Row{ID: n.ID, Level: depth, Capability: cn, Name: n.Name, Weight: n.Weight})
		frac := n.Weight / 100
		var (
			v, sh  float64
			nodeNA bool
		)
		if len(n.Indicators) > 0 {
			if v, sh, nodeNA, err = sc.level(n.Indicators, depth+1, cn, rows); err != nil {
				return 0, 0, false, err
			}
			r := &(*rows)[idx]
			switch {
			case nodeNA:
				r.State = StateNA
			case sh <= 0:
				r.State = StateUnrated
			default:
				r.Rated, r.Score = true, v
			}
		} else {
			r := &(*rows)[idx]
			if err := sc.leaf(n, r); err != nil {
				return 0, 0, false, err
			}
			v, nodeNA = r.Score, r.State == StateNA
			if r.Rated {
				sh = 1
			}
		}
		if nodeNA {
			continue
		}
		wapp += frac
		wshare += frac * sh
		if (*rows)[idx].Rated {
			wsum += frac
			wscore += frac * v
		}
	}
	if wapp <= 0 {
		return 0, 0, true, nil
	}
	if wsum <= 0 {
		return 0, 0, false, nil
	}
	return wscore / wsum, wshare / wapp, false, nil
}

func (sc *scorer) leaf(n *Indicator, r *Row) error {
	r.Criterion = criterion(n)
	var m Measure
	switch n.Rule {
	case RuleManual:
		ms, ok := sc.manual[sc.pd.provider+"\x00"+sc.kind+"\x00"+n.ID]
		if !ok {
			r.State, r.Measured, r.Source = StateUnrated, "未录入", "人工评分（记录库）"
			return nil
		}
		r.Rated, r.Score, r.Value = true, 100*ms.Score/n.manualMax(), ms.Score
		r.Measured = trimNum(ms.Score) + " / " + trimNum(n.manualMax())
		r.Source = fmt.Sprintf("证据：%s；评分人：%s；%s", ms.Evidence, ms.Author, docfmt.DateTime(ms.At, docfmt.ZH))
		if ms.Note != "" {
			r.Deduction = ms.Note
		}
		return nil
	case RuleMeasured:
		m = figures[n.Figure].fn(sc.pd)
	case RulePromQL:
		f, err := promqlMeasure(sc.ctx, sc.in.Querier, n, sc.in.Month, sc.cache, sc.audit)
		if err != nil {
			return fmt.Errorf("indicator %s: %w", n.ID, err)
		}
		m = f(sc.pd.provider)
	}
	r.Measured, r.Source, r.Value, r.Unknown = m.Text, m.Source, m.Value, m.Unknown
	if m.Unknown > 0 {
		r.Measured += fmt.Sprintf("（未知时间占 %.2f %%，不计入扣分）", 100*m.Unknown)
	}
	switch {
	case m.NA:
		r.State = StateNA
		return nil
	case m.NoData:
		r.State = StateUnrated
		return nil
	case m.Unknown > sc.s.UnknownMax()+1e-12:
		r.State = StateUnrated
		r.Deduction = fmt.Sprintf("未知时间占比 %.2f %% 超过 %.2f %%，本指标无法评价（不计 0 分）", 100*m.Unknown, 100*sc.s.UnknownMax())
		return nil
	}
	r.Rated = true
	r.Score, r.Deduction = apply(n.Scoring, m.Value)
	return nil
}

func (n *Indicator) manualMax() float64 {
	if n.ManualMax != nil {
		return *n.ManualMax
	}
	return 100
}

// apply maps a value to a score 0 … 100 and the deduction text.
func apply(sc Scoring, v float64) (float64, string) {
	score := 100.0
	var why []string
	switch {
	case sc.Linear != nil:
		l := sc.Linear
		score = 100 * math.Max(0, math.Min(1, (v-l.Zero)/(l.Full-l.Zero)))
		if score < 100 {
			why = append(why, fmt.Sprintf("实测 %s，未达满分值 %s（%s 时 0 分），线性扣 %s 分", trimNum(round3(v)), trimNum(l.Full), trimNum(l.Zero), trimNum(round2(100-score))))
		}
	case len(sc.Bands) > 0:
		score = 0
		matched := false
		for _, b := range sc.Bands {
			if (b.Min == nil || v >= *b.Min) && (b.Max == nil || v < *b.Max) {
				score, matched = b.Score, true
				break
			}
		}
		if !matched {
			why = append(why, fmt.Sprintf("实测 %s 不在任何评分区间内，得 0 分", trimNum(round3(v))))
		} else if score < 100 {
			why = append(why, fmt.Sprintf("实测 %s 所在区间得 %s 分", trimNum(round3(v)), trimNum(score)))
		}
	}
	for _, d := range sc.Deductions {
		if v > d.Above {
			k := math.Ceil((v - d.Above) / d.Per)
			pts := math.Min(d.Max, k*d.Points)
			score -= pts
			why = append(why, fmt.Sprintf("%s：扣 %s 分", d.Reason, trimNum(round2(pts))))
		}
	}
	return math.Max(0, score), strings.Join(why, "；")
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// criterion is the 评分标准 text: the configured one, else generated.
func criterion(n *Indicator) string {
	if n.Criterion != "" {
		return n.Criterion
	}
	var what string
	switch n.Rule {
	case RuleManual:
		return fmt.Sprintf("人工评分 0～%s 分，须附证据", trimNum(n.manualMax()))
	case RuleMeasured:
		what = figures[n.Figure].label
	case RulePromQL:
		what = "查询值"
	}
	var parts []string
	if l := n.Scoring.Linear; l != nil {
		parts = append(parts, fmt.Sprintf("%s为 %s 得 100 分、%s 得 0 分，其间线性", what, trimNum(l.Full), trimNum(l.Zero)))
	}
	for _, b := range n.Scoring.Bands {
		lo, hi := "−∞", "+∞"
		if b.Min != nil {
			lo = trimNum(*b.Min)
		}
		if b.Max != nil {
			hi = trimNum(*b.Max)
		}
		parts = append(parts, fmt.Sprintf("%s∈[%s, %s) 得 %s 分", what, lo, hi, trimNum(b.Score)))
	}
	if n.Scoring.Linear == nil && len(n.Scoring.Bands) == 0 {
		parts = append(parts, "满分 100 分")
	}
	for _, d := range n.Scoring.Deductions {
		parts = append(parts, fmt.Sprintf("%s超过 %s 后每 %s 扣 %s 分，最多扣 %s 分", what, trimNum(d.Above), trimNum(d.Per), trimNum(d.Points), trimNum(d.Max)))
	}
	return strings.Join(parts, "；")
}
