package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/report"
)

// Measure is one figure of one provider for the month.
type Measure struct {
	Value   float64 `json:"value"`
	Unknown float64 `json:"unknownShare"` // share of the month without data (0 … 1), shown, never charged
	NoData  bool    `json:"noData,omitempty"`
	NA      bool    `json:"notApplicable,omitempty"` // e.g. machine-room figures of a party not running the room
	Text    string  `json:"text"`                    // 实测值 as printed
	Source  string  `json:"source"`                  // the query or record behind it
}

// providerData is what the figures of one provider read: the report engine's
// entities (never recomputed here), the machine-room conditions when the
// provider runs the room, and the records' summary.
type providerData struct {
	provider   string
	entities   []report.EntityResult
	conditions []report.EntityResult // nil unless the provider runs the machine room
	operator   bool
	monthSecs  float64
	policy     string
	rec        *RecordSummary
}

type figure struct {
	label string // zh-CN, shown in 评分标准
	unit  string
	fn    func(p *providerData) Measure
}

// figures are the named figures a measured indicator may use.
var figures = map[string]figure{
	"availability":           {"可用率（%，未知时间不计入）", "%", figAvailability},
	"availability_vs_target": {"可用率低于目标的预算倍数", "倍", figShortfall},
	"sla_met_ratio":          {"达标对象占可判定对象比例（%）", "%", figSLAMet},
	"incidents":              {"非维护故障次数", "次", figIncidents},
	"longest_outage_seconds": {"最长单次故障时长（秒）", "秒", figLongest},
	"mttr_seconds":           {"平均恢复时长（秒）", "秒", figMTTR},
	"alert_ack_seconds":      {"告警平均确认时长（秒）", "秒", figAck},
	"inspection_completion":  {"巡检完成率（%）", "%", figInspections},
	"rectification_closure":  {"整改闭环率（%）", "%", figClosure},
	"inspection_findings":    {"巡检发现问题数", "项", figFindings},
	"room_condition_seconds": {"机房环境与电力事件累计时长（秒）", "秒", condFigure(nil)},
	"redundancy_lost_seconds": {"冗余丧失累计时长（秒）", "秒", condFigure(func(c string) bool {
		return strings.HasSuffix(c, "_redundancy_lost") || c == "feed_lost"
	})},
	"out_of_band_seconds": {"温湿度超限累计时长（秒）", "秒", condFigure(func(c string) bool {
		return c == "temperature_out_of_band" || c == "humidity_high"
	})},
}

// FigureNames lists the known figures, sorted.
func FigureNames() []string {
	n := make([]string, 0, len(figures))
	for k := range figures {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

const engineSource = "报告引擎（计数器增量，查询见审计附录）"

func unknownShare(p *providerData, es []report.EntityResult) float64 {
	if len(es) == 0 || p.monthSecs <= 0 {
		return 0
	}
	var u float64
	for _, e := range es {
		u += e.UnknownSeconds
	}
	return u / (p.monthSecs * float64(len(es)))
}

func noData(src string) Measure { return Measure{NoData: true, Text: "无数据", Source: src} }

func countText(es []report.EntityResult) string {
	n := map[string]int{}
	for _, e := range es {
		n[e.NS]++
	}
	var parts []string
	for _, ns := range []string{"line", "host", "website", "env_condition"} {
		if n[ns] > 0 {
			w, _ := docfmt.Term(ns, docfmt.ZH)
			parts = append(parts, fmt.Sprintf("%s %d 个", w, n[ns]))
		}
	}
	return strings.Join(parts, "、")
}

// figAvailability is the engine's aggregate availability over the provider's
// entities (report.AggregateAvailability): unknown time is outside the
// denominator, never counted as down.
func figAvailability(p *providerData) Measure {
	src := engineSource + "：" + countText(p.entities)
	a := report.AggregateAvailability(p.entities, p.policy)
	if len(p.entities) == 0 || a < 0 {
		return noData(src)
	}
	return Measure{Value: 100 * a, Unknown: unknownShare(p, p.entities), Text: docfmt.Availability(a, 4), Source: src}
}

// figShortfall is max over targeted entities of (target − A)/(1 − target),
// ≥ 0: how many budgets below target the worst entity is.
func figShortfall(p *providerData) Measure {
	worst, n := 0.0, 0
	var es []report.EntityResult
	for _, e := range p.entities {
		if !(e.Target > 0) || math.IsNaN(e.Availability) || e.Availability < 0 {
			continue
		}
		n++
		es = append(es, e)
		worst = math.Max(worst, (e.Target-e.Availability)/(1-e.Target))
	}
	src := engineSource + "：设定目标的对象 " + fmt.Sprint(n) + " 个"
	if n == 0 {
		return Measure{NA: true, Text: "无设定目标的对象", Source: src}
	}
	return Measure{Value: worst, Unknown: unknownShare(p, es), Text: fmt.Sprintf("%.2f 倍", worst), Source: src}
}

// figSLAMet: met ÷ (met + breached). An indeterminate entity (too much
// unknown time to judge) is left out: the monitor's gap is not charged to
// the provider.
func figSLAMet(p *providerData) Measure {
	var met, br, ind int
	var es []report.EntityResult
	for _, e := range p.entities {
		switch e.Status {
		case report.StatusMet:
			met++
		case report.StatusBreached:
			br++
		case report.StatusIndeterminate:
			ind++
		default:
			continue
		}
		es = append(es, e)
	}
	src := engineSource + fmt.Sprintf("：达标 %d、未达标 %d、无法判定 %d（不计入）", met, br, ind)
	if met+br == 0 {
		if ind > 0 {
			return Measure{NoData: true, Unknown: unknownShare(p, es), Text: fmt.Sprintf("%d 个对象无法判定", ind), Source: src}
		}
		return Measure{NA: true, Text: "无设定目标的对象", Source: src}
	}
	v := 100 * float64(met) / float64(met+br)
	return Measure{Value: v, Unknown: unknownShare(p, es), Text: fmt.Sprintf("%d / %d（%.1f %%）", met, met+br, v), Source: src}
}

// outages are the non-maintenance incidents; their duration is the time the
// counters saw down (incident time less its unknown time).
func outages(es []report.EntityResult) []float64 {
	var d []float64
	for _, e := range es {
		for _, in := range e.Incidents {
			if !in.Maintenance {
				d = append(d, math.Max(0, in.Seconds-in.UnknownSeconds))
			}
		}
	}
	return d
}

func figIncidents(p *providerData) Measure {
	if len(p.entities) == 0 {
		return noData(engineSource)
	}
	n := len(outages(p.entities))
	return Measure{Value: float64(n), Unknown: unknownShare(p, p.entities), Text: fmt.Sprintf("%d 次", n), Source: engineSource + "：故障事件清单（维护窗口内不计）"}
}

func figLongest(p *providerData) Measure {
	if len(p.entities) == 0 {
		return noData(engineSource)
	}
	m := 0.0
	for _, d := range outages(p.entities) {
		m = math.Max(m, d)
	}
	return Measure{Value: m, Unknown: unknownShare(p, p.entities), Text: docfmt.Duration(m, docfmt.ZH), Source: engineSource + "：故障事件清单（不含未知时间）"}
}

func figMTTR(p *providerData) Measure {
	if len(p.entities) == 0 {
		return noData(engineSource)
	}
	d := outages(p.entities)
	if len(d) == 0 {
		return Measure{Value: 0, Unknown: unknownShare(p, p.entities), Text: "本月无故障", Source: engineSource}
	}
	var s float64
	for _, x := range d {
		s += x
	}
	m := s / float64(len(d))
	return Measure{Value: m, Unknown: unknownShare(p, p.entities), Text: docfmt.Duration(m, docfmt.ZH), Source: engineSource + fmt.Sprintf("：%d 次故障的平均时长", len(d))}
}

func condFigure(match func(string) bool) func(p *providerData) Measure {
	return func(p *providerData) Measure {
		if !p.operator {
			return Measure{NA: true, Text: "不运营机房", Source: "机房运营方由指标体系设定"}
		}
		var es []report.EntityResult
		var s float64
		for _, c := range p.conditions {
			if match == nil || match(c.Labels["condition"]) {
				es = append(es, c)
				s += c.DownSeconds
			}
		}
		src := engineSource + "：机房环境与电力事件计数器"
		if len(p.conditions) == 0 {
			return noData(src)
		}
		return Measure{Value: s, Unknown: unknownShare(p, es), Text: docfmt.Duration(s, docfmt.ZH), Source: src}
	}
}

// RecordSummary is what the records store says about a month.
type RecordSummary struct {
	AckSeconds          map[string][]float64 `json:"ackSeconds"` // provider label → time to acknowledge of its alerts
	InspectionsDone     int                  `json:"inspectionsDone"`
	InspectionsExpected int                  `json:"inspectionsExpected"`
	FindingsOpened      int                  `json:"findingsOpened"`
	FindingsClosed      int                  `json:"findingsClosed"`
	Truncated           string               `json:"truncated,omitempty"` // a list hit records.MaxListLimit
}

// SummariseRecords reads the month's alerts, inspections and findings from
// the records store. Each list reads at most records.MaxListLimit rows; a
// month with more is marked Truncated and its figures are 无数据.
func SummariseRecords(ctx context.Context, st Reader, m report.Month) (*RecordSummary, error) {
	s := &RecordSummary{AckSeconds: map[string][]float64{}}
	alerts, err := st.ListAlerts(ctx, records.AlertFilter{Since: m.Start, Until: m.End, Limit: records.MaxListLimit})
	if err != nil {
		return nil, fmt.Errorf("records: alerts: %w", err)
	}
	if len(alerts) >= records.MaxListLimit {
		s.Truncated = "告警"
	}
	for _, a := range alerts {
		if p := a.Labels["provider"]; p != "" && a.TimeToAck != nil {
			s.AckSeconds[p] = append(s.AckSeconds[p], *a.TimeToAck)
		}
	}
	days := int(math.Round(m.End.Sub(m.Start).Hours() / 24))
	s.InspectionsExpected = 3 * days // contract: one on-site and two remote inspections a day
	var parents []int64
	for _, k := range []string{records.KindRemoteInspection, records.KindOnsiteInspection} {
		rs, err := st.FindRecords(ctx, records.RecordFilter{Kind: k, SlotSince: m.Start, SlotUntil: m.End, Limit: records.MaxListLimit})
		if err != nil {
			return nil, fmt.Errorf("records: %s: %w", k, err)
		}
		for _, r := range rs {
			parents = append(parents, r.ID) // a missed inspection opens no finding; listing it is harmless
			if k == records.KindRemoteInspection {
				var b struct {
					Status string `json:"status"`
				}
				if json.Unmarshal(r.Body, &b) != nil || b.Status != records.InspectionCompleted {
					continue
				}
			}
			s.InspectionsDone++
		}
	}
	// The month's findings are the children of its inspections (at most
	// 3 × 31 inspections, each listing at most MaxListLimit findings).
	for _, id := range parents {
		fs, err := st.FindRecords(ctx, records.RecordFilter{Kind: records.KindFinding, ParentID: id, Limit: records.MaxListLimit})
		if err != nil {
			return nil, fmt.Errorf("records: findings: %w", err)
		}
		if len(fs) >= records.MaxListLimit {
			s.Truncated = "巡检发现问题"
		}
		for _, r := range fs {
			var f records.Finding
			if json.Unmarshal(r.Body, &f) != nil {
				continue
			}
			s.FindingsOpened++
			if f.Status == "closed" {
				s.FindingsClosed++
			}
		}
	}
	return s, nil
}

const recordsSource = "运维记录库"

func recordsMissing(p *providerData) (Measure, bool) {
	if p.rec == nil {
		return Measure{NoData: true, Text: "无数据", Source: recordsSource + "：未接入"}, true
	}
	if p.rec.Truncated != "" {
		return Measure{NoData: true, Text: "无数据", Source: recordsSource + fmt.Sprintf("：本月%s超过 %d 条上限", p.rec.Truncated, records.MaxListLimit)}, true
	}
	return Measure{}, false
}

func figAck(p *providerData) Measure {
	if m, bad := recordsMissing(p); bad {
		return m
	}
	acks := p.rec.AckSeconds[p.provider]
	src := recordsSource + "：告警发现至确认的时长，按服务商标签"
	if len(acks) == 0 {
		return Measure{NoData: true, Text: "本月无已确认告警", Source: src}
	}
	var s float64
	for _, a := range acks {
		s += a
	}
	v := s / float64(len(acks))
	return Measure{Value: v, Text: docfmt.Duration(v, docfmt.ZH) + fmt.Sprintf("（%d 条）", len(acks)), Source: src}
}

func operatorOnly(p *providerData) (Measure, bool) {
	if !p.operator {
		return Measure{NA: true, Text: "不运营机房", Source: "机房运营方由指标体系设定"}, true
	}
	return recordsMissing(p)
}

func figInspections(p *providerData) Measure {
	if m, bad := operatorOnly(p); bad {
		return m
	}
	r := p.rec
	v := 100 * math.Min(1, float64(r.InspectionsDone)/float64(max(1, r.InspectionsExpected)))
	return Measure{Value: v, Text: fmt.Sprintf("%d / %d（%.1f %%）", r.InspectionsDone, r.InspectionsExpected, v),
		Source: recordsSource + "：远程巡检（已完成）与现场巡检记录；应巡检数 = 天数 × 3"}
}

func figClosure(p *providerData) Measure {
	if m, bad := operatorOnly(p); bad {
		return m
	}
	r := p.rec
	src := recordsSource + "：本月巡检发现问题及其整改状态"
	if r.FindingsOpened == 0 {
		return Measure{Value: 100, Text: "本月无整改项", Source: src}
	}
	v := 100 * float64(r.FindingsClosed) / float64(r.FindingsOpened)
	return Measure{Value: v, Text: fmt.Sprintf("%d / %d（%.1f %%）", r.FindingsClosed, r.FindingsOpened, v), Source: src}
}

func figFindings(p *providerData) Measure {
	if m, bad := operatorOnly(p); bad {
		return m
	}
	return Measure{Value: float64(p.rec.FindingsOpened), Text: fmt.Sprintf("%d 项", p.rec.FindingsOpened), Source: recordsSource + "：本月巡检发现问题"}
}

// promqlMeasure evaluates an indicator's PromQL at the month end with
// $range = the month; the value of the provider is the element whose label
// provider equals it (a scalar applies to every provider).
// The query itself is listed in the audit appendix (a long PromQL does not
// fit a table cell); the cell names it.
func promqlMeasure(ctx context.Context, q report.Querier, ind *Indicator, m report.Month, cache map[string][]report.Series, audit *[]report.AuditQuery) (func(provider string) Measure, error) {
	e := strings.ReplaceAll(ind.PromQL, "$range", fmt.Sprintf("%ds", int64(m.Seconds())))
	at := m.End.Add(-time.Millisecond)
	src := fmt.Sprintf("PromQL，见审计附录「评估指标：%s」", ind.Name)
	res, ok := cache[e]
	if !ok {
		if q == nil {
			return func(string) Measure { return noData(src + "（未接入 Prometheus）") }, nil
		}
		var err error
		if res, err = q.Query(ctx, e, at); err != nil {
			return nil, err
		}
		cache[e] = res
		*audit = append(*audit, report.AuditQuery{Purpose: report.IndicatorPurpose(ind.Name, ind.ID), PromQL: e,
			EvalAt: at.UTC().Format(time.RFC3339Nano), Series: len(res)})
	}
	return func(provider string) Measure {
		for _, s := range res {
			if len(s.Points) == 0 {
				continue
			}
			if pv, has := s.Labels["provider"]; (has && pv == provider) || (!has && len(res) == 1) {
				v := s.Points[0].V
				if !finite(v) {
					return noData(src)
				}
				return Measure{Value: v, Text: trimNum(math.Round(v*1000) / 1000), Source: src}
			}
		}
		return noData(src)
	}, nil
}
