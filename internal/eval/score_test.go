package eval

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/report"
)

var oct = report.Month{Label: "2026-10", Start: time.Date(2026, 10, 1, 0, 0, 0, 0, report.Shanghai), End: time.Date(2026, 11, 1, 0, 0, 0, 0, report.Shanghai)}

// entity is an engine result computed with the engine's own arithmetic
// (report.Evaluate) from counter increases.
func entity(ns, name, provider string, observed, down, target float64, incidents ...float64) report.EntityResult {
	ms := oct.Seconds()
	ev := report.Evaluate(ms, observed, down, 0, target, report.MaintenanceExcluded)
	e := report.EntityResult{NS: ns, Name: name, Labels: map[string]string{"provider": provider}, ObservedSeconds: observed, DownSeconds: down,
		UnknownSeconds: ev.Unknown, Availability: ev.Availability, Status: ev.Status, Target: target, BudgetSeconds: ev.Budget, RemainingSeconds: ev.Remaining}
	for _, d := range incidents {
		e.Incidents = append(e.Incidents, report.Incident{Seconds: d})
	}
	return e
}

func mustParse(t *testing.T, y string) *System {
	t.Helper()
	s, err := Parse("eval.yml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func provider(t *testing.T, a *Assessment, name string) ProviderResult {
	t.Helper()
	for _, k := range a.Kinds {
		for _, p := range k.Providers {
			if p.Provider == name {
				return p
			}
		}
	}
	t.Fatalf("provider %s not in the assessment", name)
	return ProviderResult{}
}

func row(t *testing.T, p ProviderResult, id string) Row {
	t.Helper()
	for _, r := range p.Rows {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("%s: no row %s", p.Provider, id)
	return Row{}
}

func TestEvalGrades(t *testing.T) {
	def := mustParse(t, minimal)
	custom := mustParse(t, strings.Replace(minimal, "kinds:", "grades: [{grade: 优, min: 95}, {grade: 良, min: 85}, {grade: 中, min: 60}, {grade: 差, min: 0}]\nkinds:", 1))
	cases := []struct {
		score     float64
		def, cust string
	}{
		{100, "A", "优"}, {90, "A", "良"}, {89.999, "B", "良"}, {80, "B", "中"}, {79.99, "C", "中"}, {70, "C", "中"}, {69.99, "D", "中"}, {0, "D", "差"}, {59, "D", "差"},
	}
	for _, c := range cases {
		if g := def.GradeOf(c.score); g != c.def {
			t.Errorf("default bands: %v → %s, want %s", c.score, g, c.def)
		}
		if g := custom.GradeOf(c.score); g != c.cust {
			t.Errorf("configured bands: %v → %s, want %s", c.score, g, c.cust)
		}
	}
	f := func(v float64) *float64 { return &v }
	scoring := []struct {
		name  string
		sc    Scoring
		v     float64
		score float64
		why   string
	}{
		{"linear at full", Scoring{Linear: &Linear{Full: 99.99, Zero: 99.9}}, 99.995, 100, ""},
		{"linear half", Scoring{Linear: &Linear{Full: 99.99, Zero: 99.9}}, 99.945, 50, "线性扣 50 分"},
		{"linear falling", Scoring{Linear: &Linear{Full: 0, Zero: 3600}}, 900, 75, ""},
		{"bands", Scoring{Bands: []Band{{Min: f(99.99), Score: 100}, {Min: f(99.9), Max: f(99.99), Score: 80}}}, 99.95, 80, "所在区间得 80 分"},
		{"no band", Scoring{Bands: []Band{{Min: f(99.99), Score: 100}}}, 99, 0, "不在任何评分区间内"},
		{"deduction", Scoring{Deductions: []Deduction{{Above: 0, Per: 1, Points: 10, Max: 30, Reason: "每起故障扣 10 分"}}}, 2, 80, "每起故障扣 10 分：扣 20 分"},
		{"deduction capped", Scoring{Deductions: []Deduction{{Above: 0, Per: 1, Points: 10, Max: 30, Reason: "每起故障扣 10 分"}}}, 7, 70, "扣 30 分"},
		{"no deduction", Scoring{Deductions: []Deduction{{Above: 0, Per: 1, Points: 10, Max: 30, Reason: "x"}}}, 0, 100, ""},
	}
	for _, c := range scoring {
		s, why := apply(c.sc, c.v)
		if math.Abs(s-c.score) > 1e-6 || !strings.Contains(why, c.why) || (c.why == "" && why != "" && c.score == 100) {
			t.Errorf("%s: %v → %v %q, want %v %q", c.name, c.v, s, why, c.score, c.why)
		}
	}
}

const twoKinds = `version: "t2"
applies_from: 2026-01
status: confirmed
providers: {中国移动: carrier}
kinds:
  cloud:
    capabilities:
      - name: 基础服务能力
        weight: 100
        indicators:
          - {id: availability, name: 可用率, weight: 50, rule: measured, figure: availability, scoring: {linear: {full: 99.99, zero: 99.9}}}
          - {id: sla, name: 达标比例, weight: 50, rule: measured, figure: sla_met_ratio, scoring: {linear: {full: 100, zero: 0}}}
  carrier:
    capabilities:
      - name: 基础服务能力
        weight: 100
        indicators:
          - {id: availability, name: 线路可用率, weight: 60, rule: measured, figure: availability, scoring: {linear: {full: 99.99, zero: 99.9}}}
          - {id: incidents, name: 故障次数, weight: 40, rule: measured, figure: incidents, scoring: {deductions: [{above: 0, per: 1, points: 25, max: 100, reason: 每次故障扣 25 分}]}}
`

// TestEvalCarriersRankedApart: carriers and cloud providers are ranked in
// separate tables with their own indicator sets.
func TestEvalCarriersRankedApart(t *testing.T) {
	s := mustParse(t, twoKinds)
	ms := oct.Seconds()
	es := []report.EntityResult{
		entity("host", "h1", "阿里云", ms, 0, 0.9999),
		entity("host", "h2", "华为云", ms, 400, 0.9999),
		entity("website", "w2", "华为云", ms, 0, 0.9999),
		entity("line", "bgp-1", "中国电信", ms, 0, 0.9999),
		entity("line", "leased-1", "中国联通", ms, 600, 0, 600),
		entity("line", "leased-2", "中国联通", ms, 0, 0),
	}
	a, err := Assess(context.Background(), s, Inputs{Month: oct, Policy: report.MaintenanceExcluded, Entities: es})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Kinds) != 2 || a.Kinds[0].Kind != KindCloud || a.Kinds[1].Kind != KindCarrier {
		t.Fatalf("want two rankings, cloud then carrier: %+v", a.Kinds)
	}
	want := map[string][]string{KindCloud: {"阿里云", "华为云"}, KindCarrier: {"中国电信", "中国联通", "中国移动"}}
	for _, k := range a.Kinds {
		var got []string
		for i, p := range k.Providers {
			got = append(got, p.Provider)
			if p.Kind != k.Kind {
				t.Errorf("%s ranked with %s", p.Provider, k.Kind)
			}
			if p.Rated && p.Rank != i+1 {
				t.Errorf("%s: rank %d at position %d", p.Provider, p.Rank, i+1)
			}
		}
		if strings.Join(got, ",") != strings.Join(want[k.Kind], ",") {
			t.Errorf("%s ranking %v, want %v", k.Kind, got, want[k.Kind])
		}
	}
	// The carrier indicator set (incidents) scores 中国联通, the cloud set
	// (sla) the cloud providers.
	cu := provider(t, a, "中国联通")
	if r := row(t, cu, "incidents"); !r.Rated || r.Score != 75 || !strings.Contains(r.Deduction, "每次故障扣 25 分：扣 25 分") {
		t.Errorf("中国联通 incidents row %+v", r)
	}
	if hw := provider(t, a, "华为云"); row(t, hw, "sla").Score != 50 || hw.Rank != 2 {
		t.Errorf("华为云: %+v", hw)
	}
	if cm := provider(t, a, "中国移动"); cm.Rated || cm.Rank != 0 {
		t.Errorf("中国移动 has no data and must be 无法评价: %+v", cm)
	}
}

// TestEvalUnknownNotPenalised is the example: a website with 1 444 s
// of unknown time (monitor gap) made its provider lose the SLA component
// (the engine rates it 无法判定, and the former score counted that as not
// met). The indicator system leaves it out and shows the unknown time.
func TestEvalUnknownNotPenalised(t *testing.T) {
	s := mustParse(t, twoKinds)
	ms := oct.Seconds()
	gap := entity("website", "www.example.gov.cn", "阿里云", ms-1444, 0, 0.9999)
	if gap.Status != report.StatusIndeterminate || gap.UnknownSeconds != 1444 {
		t.Fatalf("the engine's verdict for 1 444 s unknown: %s, %v s", gap.Status, gap.UnknownSeconds)
	}
	es := []report.EntityResult{gap, entity("website", "b.gov.cn", "阿里云", ms, 0, 0.9999)}
	// The former score: S_sla = 50 (one of two targeted entities met).
	old := report.ProviderScore{Entities: 2, Met: 1, Availability: 1}
	report.Score(&old, 0.9999, report.DefaultConfig().Weights)
	if old.SSLA != 50 {
		t.Fatalf("former S_sla %v", old.SSLA)
	}
	a, err := Assess(context.Background(), s, Inputs{Month: oct, Policy: report.MaintenanceExcluded, Entities: es})
	if err != nil {
		t.Fatal(err)
	}
	p := provider(t, a, "阿里云")
	sla, av := row(t, p, "sla"), row(t, p, "availability")
	if !sla.Rated || sla.Score != 100 || sla.Deduction != "" {
		t.Errorf("SLA row %+v: the monitor's gap must not cost SLA points", sla)
	}
	if !av.Rated || av.Score != 100 || !strings.Contains(av.Measured, "未知时间占 0.03 %，不计入扣分") {
		t.Errorf("availability row %+v: 100 points and the unknown time shown", av)
	}
	if !p.Rated || p.Score != 100 || p.Grade != "A" {
		t.Errorf("provider %+v", p)
	}
	// Above max_unknown_share (5 %) the indicator is 无法评价, not 0, and
	// the weights renormalise over the evaluable ones.
	big := entity("website", "c.gov.cn", "阿里云", ms*0.9, 0, 0.9999)
	a, err = Assess(context.Background(), s, Inputs{Month: oct, Policy: report.MaintenanceExcluded, Entities: []report.EntityResult{big}})
	if err != nil {
		t.Fatal(err)
	}
	p = provider(t, a, "阿里云")
	av = row(t, p, "availability")
	if av.Rated || av.State != StateUnrated || !strings.Contains(av.Deduction, "未知时间占比 10.00 % 超过 5.00 %") {
		t.Errorf("availability with 10 %% unknown: %+v", av)
	}
	if p.Rated || p.Score != 0 || !strings.Contains(p.Reason, "无数据") {
		// both indicators unevaluable (sla: the only site is 无法判定)
		t.Errorf("provider with nothing evaluable: %+v", p)
	}
}

// TestEvalNoDataUnrated: a provider without any data is 无法评价, not 0,
// and is not ranked; a partly evaluable one is rated on what it has.
func TestEvalNoDataUnrated(t *testing.T) {
	s := mustParse(t, twoKinds)
	ms := oct.Seconds()
	es := []report.EntityResult{
		entity("line", "cu-1", "中国联通", 0, 0, 0), // exporter never ran: no observed time
		entity("line", "ct-1", "中国电信", ms, 0, 0),
	}
	a, err := Assess(context.Background(), s, Inputs{Month: oct, Policy: report.MaintenanceExcluded, Entities: es})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"中国移动", "中国联通"} {
		p := provider(t, a, name)
		if p.Rated || p.Rank != 0 || p.Grade != "" || p.Reason == "" {
			t.Errorf("%s: %+v, want 无法评价 with a reason", name, p)
		}
		for _, r := range p.Rows {
			if r.Rated {
				t.Errorf("%s: row %s rated %v without data", name, r.ID, r.Score)
			}
		}
	}
	ct := provider(t, a, "中国电信")
	if !ct.Rated || ct.Rank != 1 || ct.Score != 100 {
		t.Errorf("中国电信 %+v", ct)
	}
	secs := MonthlySections(a)
	var text []string
	for _, s := range secs {
		for _, tb := range s.Tables {
			for _, r := range tb.Rows {
				text = append(text, strings.Join(r, "|"))
			}
		}
	}
	all := strings.Join(text, "\n")
	if !strings.Contains(all, "—|中国联通|—|无法评价|") || strings.Contains(all, "中国联通|0.00") {
		t.Errorf("ranking table must show 中国联通 as 无法评价 without a score:\n%s", all)
	}
}

// TestEvalMachineRoomFeedsOperator: the machine room's conditions count for
// the party running it only; for another carrier they are 不适用 and their
// weight is shared out.
func TestEvalMachineRoomFeedsOperator(t *testing.T) {
	s, err := Load("../../deploy/etc/jianguan/evaluation.yml")
	if err != nil {
		t.Fatal(err)
	}
	ms := oct.Seconds()
	cond := func(c string, active float64) report.EntityResult {
		e := entity("env_condition", c, "", ms, active, 0)
		e.Labels = map[string]string{"condition": c, "room": "room-a"}
		return e
	}
	es := []report.EntityResult{entity("line", "bgp-1", "中国电信", ms, 0, 0.9999), entity("line", "cu-1", "中国联通", ms, 0, 0)}
	conds := []report.EntityResult{cond("on_battery", 1200), cond("cooling_redundancy_lost", 43200), cond("temperature_out_of_band", 0)}
	a, err := Assess(context.Background(), s, Inputs{Month: oct, Policy: report.MaintenanceExcluded, Entities: es, Conditions: conds})
	if err != nil {
		t.Fatal(err)
	}
	ct, cu := provider(t, a, "中国电信"), provider(t, a, "中国联通")
	if r := row(t, ct, "room_conditions"); !r.Rated || r.Score != 0 || !strings.Contains(r.Deduction, "机房环境与电力事件每累计 10 分钟扣 5 分：扣 100 分") {
		t.Errorf("operator's room_conditions %+v", r)
	}
	if r := row(t, ct, "redundancy_lost"); !r.Rated || r.Score != 50 {
		t.Errorf("operator's redundancy_lost %+v (12 h of 24 h → 50)", r)
	}
	if r := row(t, cu, "machine_room"); r.Rated || r.State != StateNA {
		t.Errorf("中国联通 does not run the room: %+v", r)
	}
	if r := row(t, cu, "redundancy_lost"); r.State != StateNA {
		t.Errorf("中国联通 redundancy_lost %+v, want 不适用", r)
	}
	if !ct.Operator || cu.Operator {
		t.Error("operator flag")
	}
}

// BenchmarkEvalAssess: 2 000 entities of 40 providers scored by the default
// system (go test -run XXX -bench EvalAssess ./internal/eval).
func BenchmarkEvalAssess(b *testing.B) {
	s, err := Load("../../deploy/etc/jianguan/evaluation.yml")
	if err != nil {
		b.Fatal(err)
	}
	ms := oct.Seconds()
	var es []report.EntityResult
	for i := 0; i < 2000; i++ {
		ns, p := "host", "云"+string(rune('A'+i%30))
		if i%40 >= 30 {
			ns, p = "line", "运营商"+string(rune('A'+i%10))
		}
		es = append(es, entity(ns, ns+string(rune(i)), p, ms-float64(i%7), float64(i%300), 0.9999, float64(i%50)))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Assess(context.Background(), s, Inputs{Month: oct, Policy: report.MaintenanceExcluded, Entities: es}); err != nil {
			b.Fatal(err)
		}
	}
}
