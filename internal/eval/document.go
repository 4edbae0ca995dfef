package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/report"
)

// Document kinds of the evaluation (reports' document frame).
const (
	DocMonthly = "evaluation"
	DocAnnual  = "evaluation-annual"
)

// Evaluator is the report engine's report.ProviderEvaluator: it scores the
// month by the system that applies to it. With a records store the system
// is the stored version for the month (SaveSystem stores revisions) and
// manual scores and record figures come from the store; without one, File
// is used as is.
type Evaluator struct {
	File    *System // used when Store is nil (or holds no version for the month)
	Store   Reader  // optional
	Querier report.Querier
}

// Reader is what the assessment reads from the records store: a
// records.Store, or the recorder's API read by the Grafana plugin.
type Reader interface {
	ListAlerts(ctx context.Context, f records.AlertFilter) ([]records.Alert, error)
	ListRecords(ctx context.Context, kind string, limit int) ([]records.Record, error)
	FindRecords(ctx context.Context, f records.RecordFilter) ([]records.Record, error)
}

// SystemFor is the indicator system that applies to month (YYYY-MM).
func (e *Evaluator) SystemFor(ctx context.Context, month string) (*System, error) {
	if e.Store != nil {
		s, err := SystemFor(ctx, e.Store, month)
		if err == nil || e.File == nil {
			return s, err
		}
	}
	if e.File == nil {
		return nil, fmt.Errorf("no indicator system configured")
	}
	if e.File.AppliesFrom > month {
		return nil, fmt.Errorf("%w: %s applies from %s, not to %s", ErrNoSystem, e.File.Version, e.File.AppliesFrom, month)
	}
	return e.File, nil
}

// Assess evaluates one month.
func (e *Evaluator) Assess(ctx context.Context, m report.Month, policy string, entities, conds []report.EntityResult) (*Assessment, error) {
	// The version in force at the period's first month: a quarter, a
	// year or the service period is a label SystemFor cannot compare with
	// a month ("2025-Q4" sorts after "2025-12", "2025" before it).
	s, err := e.SystemFor(ctx, m.Start.In(calendar.Zone).Format("2006-01"))
	if err != nil {
		return nil, err
	}
	in := Inputs{Month: m, Policy: policy, Entities: entities, Conditions: conds, Querier: e.Querier}
	if e.Store != nil {
		if in.Records, err = SummariseRecords(ctx, e.Store, m); err != nil {
			return nil, err
		}
		if in.Manual, err = ManualScores(ctx, e.Store, m.Label); err != nil {
			return nil, err
		}
	}
	return Assess(ctx, s, in)
}

// Evaluate implements report.ProviderEvaluator.
func (e *Evaluator) Evaluate(ctx context.Context, m report.Month, policy string, entities, conds []report.EntityResult) (*report.Evaluation, error) {
	a, err := e.Assess(ctx, m, policy, entities, conds)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	return &report.Evaluation{Sections: MonthlySections(a), JSON: raw, Queries: a.Queries,
		Method: []string{fmt.Sprintf("综合评估：指标体系 %s 版（SHA-256 %s），方法见「评估方法」；指标得分由上列报告引擎数字、审计附录中的评估指标查询及记录库中的人工评分计算。", a.SystemVersion, a.SystemSHA256)}}, nil
}

var _ report.ProviderEvaluator = (*Evaluator)(nil)

func kindTitle(k string) string {
	if k == KindCarrier {
		return "电信运营商"
	}
	return "云服务商"
}

func statusText(s string) string {
	if s == "draft" {
		return "草案，待与甲方确认"
	}
	return "已与甲方确认"
}

func col(t string) report.Column  { return report.Column{Title: t} }
func ncol(t string) report.Column { return report.Column{Title: t, Numeric: true} }

func gradesText(gs []Grade) string {
	var parts []string
	for i, g := range gs {
		if i == len(gs)-1 {
			parts = append(parts, fmt.Sprintf("其余为 %s", g.Grade))
		} else {
			parts = append(parts, fmt.Sprintf("%s ≥ %s 分", g.Grade, trimNum(g.Min)))
		}
	}
	return strings.Join(parts, "，")
}

// MethodText explains the system and the rules in the document.
func MethodText(a *Assessment) []string {
	return []string{
		fmt.Sprintf("评估依据：综合评估指标体系 %s 版（%s，自%s起适用，SHA-256 %s）。指标体系按合同在服务期内制定和修订；修订版只适用于其生效月份及以后，已冻结月份保留当时的版本和得分，不重新计算。",
			a.SystemVersion, statusText(a.SystemStatus), monthZH(a.AppliesFrom), shortHash(a.SystemSHA256)),
		"评估维度：基础服务能力、安全保障能力、运维管理能力、数据支撑能力、用户服务能力；每一层级的权重合计为 100。云服务商与电信运营商各用本类指标集，分别排名。",
		"评分方法：每个指标得分 0～100 分（按评分标准线性或分段计分，再按扣分规则扣分）；上一层级得分为可评价指标得分按权重加权平均，无法评价或不适用的指标不计 0 分，其权重按比例分配给同层可评价的指标。",
		fmt.Sprintf("未知时间（监测无数据）不计入服务商的扣分：可用率不含未知时间，无法判定的对象不计入达标比例；某项指标的未知时间占比超过 %.2f %% 时，该指标为「无法评价」。可评价指标的权重合计低于 %s %% 或没有任何数据的服务商为「无法评价」，不参与排名。",
			100*a.UnknownMax, trimNum(a.MinEvaluable)),
		"机房运行情况（环境与电力事件、冗余丧失、温湿度超限时长、巡检发现与整改）计入机房运营方的评估。",
		"等级：" + gradesText(a.Grades) + "。",
	}
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// MonthlySections are the assessment's sections: method, a ranking per
// provider kind, and per provider the indicator table.
func MonthlySections(a *Assessment) []report.Section {
	secs := []report.Section{{ID: "eval-method", Title: "评估方法", Text: MethodText(a)}}
	for _, k := range a.Kinds {
		t := report.Table{ID: "eval-rank-" + k.Kind, Title: kindTitle(k.Kind) + "排名", Empty: "本类无评估对象",
			Columns: []report.Column{ncol("排名"), col("服务商"), ncol("综合得分"), col("等级"), ncol("可评价权重 %"), col("说明")}}
		chart := report.Chart{Title: kindTitle(k.Kind) + "综合得分", Unit: "分"}
		for _, p := range k.Providers {
			rank, score, grade, note := "—", "—", StateUnrated, p.Reason
			if p.Rated {
				rank, score, grade = fmt.Sprint(p.Rank), fmt.Sprintf("%.2f", p.Score), p.Grade
				chart.Labels = append(chart.Labels, p.Provider)
				chart.Values = append(chart.Values, p.Score)
			}
			if p.Operator {
				note = strings.TrimPrefix(note+"；含机房运行情况", "；")
			}
			t.Rows = append(t.Rows, []string{rank, p.Provider, score, grade, fmt.Sprintf("%.1f", p.Evaluable), note})
		}
		sec := report.Section{ID: "eval-rank-" + k.Kind, Title: kindTitle(k.Kind) + "综合评估结果", Tables: []report.Table{t}}
		if len(chart.Values) > 0 {
			sec.Charts = []report.Chart{chart}
		}
		secs = append(secs, sec)
	}
	for _, k := range a.Kinds {
		for i, p := range k.Providers {
			secs = append(secs, report.Section{ID: fmt.Sprintf("eval-%s-%d", k.Kind, i+1), Title: "评分明细：" + p.Provider,
				Text: []string{providerLine(p)}, Tables: []report.Table{indicatorTable(p)}})
		}
	}
	return secs
}

func providerLine(p ProviderResult) string {
	if !p.Rated {
		return fmt.Sprintf("%s（%s）：无法评价（%s）。", p.Provider, kindTitle(p.Kind), p.Reason)
	}
	return fmt.Sprintf("%s（%s）：综合得分 %.2f 分，等级 %s，在%s中排名第 %d。", p.Provider, kindTitle(p.Kind), p.Score, p.Grade, kindTitle(p.Kind), p.Rank)
}

// indicatorTable is 维度 / 指标 / 权重 / 评分标准 / 实测值 / 得分 / 扣分说明 /
// 数据来源 (the query or evidence behind the value).
func indicatorTable(p ProviderResult) report.Table {
	t := report.Table{ID: "eval-indicators", Title: "指标得分：" + p.Provider,
		Columns: []report.Column{col("维度"), col("指标"), ncol("权重"), col("评分标准"), col("实测值"), col("得分"), col("扣分说明"), col("数据来源")}}
	for _, r := range p.Rows {
		score := r.State
		if r.Rated {
			score = fmt.Sprintf("%.2f", r.Score)
		}
		name := r.Name
		switch r.Level {
		case 1:
			t.Rows = append(t.Rows, []string{r.Name, "（维度小计）", trimNum(r.Weight), "", "", score, "", ""})
			continue
		case 3:
			name = "　└ " + r.Name
		}
		t.Rows = append(t.Rows, []string{r.Capability, name, trimNum(r.Weight), r.Criterion, r.Measured, score, r.Deduction, r.Source})
	}
	return t
}

// BuildMonthly is the monthly assessment document (kind evaluation): the
// providers report's figures (report.Build, never recomputed) scored by the
// evaluator, in the reports' document frame.
func BuildMonthly(ctx context.Context, q report.Querier, cfg report.Config, ev *Evaluator, m report.Month) (*report.Document, error) {
	cfg.Evaluator = ev
	cfg.Lang = docfmt.ZH
	id := cfg.Ident
	cfg.Ident = nil // the cover is of kind evaluation, below
	d, err := report.Build(ctx, q, cfg, report.KindProviders, calendarMonth(m))
	if err != nil {
		return nil, err
	}
	report.DropNarrative(d) // the providers report's 总体运行情况 and editable sections are not this document's
	var a Assessment
	if err := json.Unmarshal(d.Evaluation, &a); err != nil {
		return nil, fmt.Errorf("evaluation: %v", err)
	}
	d.Kind, d.Title, d.TitleEN = DocMonthly, "云服务商月度综合评估报告", "Monthly provider assessment"
	d.Providers = nil // the former four-part scores are not part of this document
	var rated, unrated int
	for _, k := range a.Kinds {
		for _, p := range k.Providers {
			if p.Rated {
				rated++
			} else {
				unrated++
			}
		}
	}
	d.Summary = append(d.Summary[:1:1],
		report.KV{Label: "评估指标体系", Value: fmt.Sprintf("%s 版（%s）", a.SystemVersion, statusText(a.SystemStatus))},
		report.KV{Label: "评估服务商 / 无法评价", Value: fmt.Sprintf("%d / %d", rated, unrated)})
	for _, k := range a.Kinds {
		for _, p := range k.Providers {
			if p.Rated && p.Rank == 1 {
				d.Summary = append(d.Summary, report.KV{Label: kindTitle(k.Kind) + "第一名", Value: fmt.Sprintf("%s（%.2f 分，%s）", p.Provider, p.Score, p.Grade)})
			}
		}
	}
	if id != nil {
		if d.Cover, err = report.CoverFor(id, DocMonthly, calendarMonth(m), 1, docfmt.ZH); err != nil {
			return nil, err
		}
	}
	return d, nil
}
