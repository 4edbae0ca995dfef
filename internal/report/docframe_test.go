package report

import (
	"bytes"
	"context"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
)

// lineFake is one line of kind with 300 s down in October 2026, fully
// observed (budget at 99.99 %: 267.84 s).
func lineFake(m calendar.Period, kind string) *fakeQuerier {
	ms := m.Seconds()
	fq := &fakeQuerier{
		labels: map[string]string{"line": "line-" + kind, "provider": "p", "site": "s", "kind": kind},
		start: map[string]float64{"line_observed_seconds_total": 1000, "line_down_seconds_total": 50, "line_up": 1, "line_unknown": 0,
			"line_maintenance_seconds_total": 0, "line_maintenance_down_seconds_total": 0, "line_state_changes_total": 0, "line_start_time_seconds": 1},
		end: map[string]float64{"line_observed_seconds_total": 1000 + ms, "line_down_seconds_total": 350,
			"line_maintenance_seconds_total": 0, "line_maintenance_down_seconds_total": 0, "line_state_changes_total": 0, "line_start_time_seconds": 1},
		answers: map[string]float64{"line_capacity_bytes_per_second": 125e6},
	}
	fq.endUnix = m.End.Unix()
	return fq
}

func october(t *testing.T) (calendar.Period, Config) {
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	m, err := ParseMonth("2026-10", Shanghai, now)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Now = func() time.Time { return now }
	return m, cfg
}

func rowOf(t *testing.T, d *Document, table, name string) map[string]string {
	t.Helper()
	for _, s := range d.Sections {
		for _, tb := range s.Tables {
			if tb.ID != table {
				continue
			}
			for _, r := range tb.Rows {
				if r[0] == name {
					out := map[string]string{}
					for i, c := range tb.Columns {
						out[c.Title] = r[i]
					}
					return out
				}
			}
		}
	}
	t.Fatalf("table %s has no row %s", table, name)
	return nil
}

// TestDefect16_TargetPerKind: the same 300 s of downtime are 未达标 for the
// BGP internet line (the contract's 99.99 %) and carry no verdict for a
// leased line, for which the contract sets no target; a configured internal
// target is labelled 内部目标.
func TestDefect16_TargetPerKind(t *testing.T) {
	m, cfg := october(t)
	cases := []struct {
		kind, targets           string
		status                  string
		verdict, target, budget string
	}{
		{"bgp", "", StatusBreached, "未达标", "99.99 %", "4分28秒"},
		{"leased", "", StatusNoTarget, "—", "未设定目标", "—"},
		{"leased", "internal", StatusBreached, "未达标", "99.99 %（内部目标）", "4分28秒"},
	}
	for _, c := range cases {
		t.Run(c.kind+c.targets, func(t *testing.T) {
			cfg := cfg
			if c.targets == "internal" {
				cfg.Targets = map[string]Target{"bgp": {Ratio: 0.9999}, "leased": {Ratio: 0.9999, Internal: true}}
			}
			d, err := Build(context.Background(), lineFake(m, c.kind), cfg, KindLines, m)
			if err != nil {
				t.Fatal(err)
			}
			e := d.Entities[0]
			if e.DownSeconds != 300 || e.Status != c.status {
				t.Fatalf("%s: down %v status %s, want 300 %s", c.kind, e.DownSeconds, e.Status, c.status)
			}
			row := rowOf(t, d, "lines", "line-"+c.kind)
			if row["结论"] != c.verdict || row["目标"] != c.target || row["停机预算"] != c.budget || row["停机时长"] != "5分00秒" {
				t.Errorf("%s row: %v", c.kind, row)
			}
			var html bytes.Buffer
			if err := RenderHTML(&html, d); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(html.String(), "违约") {
				t.Error("违约 about availability")
			}
		})
	}
}

// TestDefect16_P95UtilisationWithoutTrafficIsNoData: a line with a capacity
// but no traffic figures printed P95 utilisation 0.00 (a missing key read
// as 0 in buildLines); it must print 无数据.
func TestDefect16_P95UtilisationWithoutTrafficIsNoData(t *testing.T) {
	m, cfg := october(t)
	d, err := Build(context.Background(), lineFake(m, "bgp"), cfg, KindLines, m)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Entities[0].Extra["capacity"]; !ok {
		t.Fatal("the capacity answer did not arrive: the test does not test the defect")
	}
	row := rowOf(t, d, "quality", "line-bgp")
	if row["P95 利用率 %"] != "无数据" || row["入向 P95 Mbit/s"] != "无数据" || row["签约带宽 Mbit/s"] != "125" {
		t.Errorf("quality row: %v", row)
	}
	cfg.Lang = docfmt.EN
	d, err = Build(context.Background(), lineFake(m, "bgp"), cfg, KindLines, m)
	if err != nil {
		t.Fatal(err)
	}
	if row := rowOf(t, d, "quality", "line-bgp"); row["P95 利用率 %"] != "no data" {
		t.Errorf("English quality row: %v", row)
	}
}

// TestScoreWithoutTargets: a provider none of whose entities has a target
// has no S_sla; the other weights are renormalised (not a 0 for S_sla).
func TestScoreWithoutTargets(t *testing.T) {
	w := Weights{Availability: 0.5, SLA: 0.2, Incidents: 0.15, Recovery: 0.15}
	p := ProviderScore{Entities: 3, NoTarget: 3, Availability: 1}
	Score(&p, 0.9999, w)
	if math.Abs(p.Score-100) > 1e-9 || p.SSLA != 0 {
		t.Errorf("%+v", p)
	}
	// Two of four with a target, one met: S_sla 50.
	p = ProviderScore{Entities: 4, NoTarget: 2, Met: 1, Availability: 1}
	Score(&p, 0.9999, w)
	if math.Abs(p.SSLA-50) > 1e-9 || math.Abs(p.Score-(0.5*100+0.2*50+0.15*100+0.15*100)) > 1e-9 {
		t.Errorf("%+v", p)
	}
}

var hanRE = regexp.MustCompile(`\p{Han}`)

// TestEnglishLocale: --lang en gives an English document with no Chinese
// label or wording anywhere (entity names here are ASCII), and a zh-CN
// document of the same data has no English label in its body.
func TestEnglishLocale(t *testing.T) {
	m, cfg := october(t)
	cfg.Lang = docfmt.EN
	d, err := Build(context.Background(), lineFake(m, "bgp"), cfg, KindLines, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"html", "csv"} {
		var b bytes.Buffer
		if err := Render(&b, d, f); err != nil {
			t.Fatal(err)
		}
		if h := hanRE.FindAllString(b.String(), 5); h != nil {
			i := strings.Index(b.String(), h[0])
			t.Errorf("English %s has Chinese: %q", f, b.String()[max(0, i-80):min(b.Len(), i+40)])
		}
		for _, want := range []string{"Monthly report on data-centre lines", "not met", "5 min 00 s", "BGP internet line", "1 October 2026 – 31 October 2026"} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("English %s lacks %q", f, want)
			}
		}
	}
	cfg.Lang = docfmt.ZH
	d, err = Build(context.Background(), lineFake(m, "bgp"), cfg, KindLines, m)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := RenderHTML(&b, d); err != nil {
		t.Fatal(err)
	}
	body := htmlText(b.String()[:strings.Index(b.String(), `<section id="audit"`)])
	if w := docfmt.ASCIIWords(body, "line-bgp", "p", "s"); len(w) > 0 {
		t.Errorf("zh-CN body has ASCII words %q", w)
	}
	for _, want := range []string{"2026年10月1日至10月31日（北京时间）", "互联网BGP线路", "未达标", "目录", "一、总体情况", "编制人"} {
		if !strings.Contains(body, want) {
			t.Errorf("zh-CN body lacks %q", want)
		}
	}
}

var tagRE = regexp.MustCompile(`(?s)<style.*?</style>|<[^>]*>`)

// htmlText is the text of an HTML fragment (tags and styles removed).
func htmlText(s string) string { return tagRE.ReplaceAllString(s, " ") }

// TestSignOffFilledWhenFrozen: a draft has empty sign-off lines; the frozen
// (signed-off) document shows the names from reports.yml and the date it
// was frozen, and the cover carries the identification block.
func TestSignOffFilledWhenFrozen(t *testing.T) {
	m, cfg := october(t)
	id, err := docfmt.ParseIdentification("reports.yml", []byte(`project: 项目甲
contract_no: DSJ-2025-034
client: 甲方单位
recipient: 报送对象单位
submitter: 乙方单位
report_number: 'JG-{{.Year}}{{.Month}}-{{.Kind}}-{{printf "%03d" .Seq}}'
number_kinds: {lines: XL}
service_start: 2025-12-01
confidentiality: 内部资料
sign_off: {preparer: 张编制, reviewer: 李审核, approver: 王批准}
`))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Ident = id
	d, err := Build(context.Background(), lineFake(m, "bgp"), cfg, KindLines, m)
	if err != nil {
		t.Fatal(err)
	}
	var draft bytes.Buffer
	if err := RenderHTML(&draft, d); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"JG-202610-XL-001", "2025年12月1日至2026年11月30日", "报送对象单位", "乙方单位", "内部资料", "草稿"} {
		if !strings.Contains(draft.String(), want) {
			t.Errorf("draft lacks %q", want)
		}
	}
	for _, name := range []string{"张编制", "李审核", "王批准"} {
		if strings.Contains(draft.String(), name) {
			t.Errorf("draft shows the name %s", name)
		}
	}
	snap, err := Freeze(d, time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	fd, err := Thaw(snap)
	if err != nil {
		t.Fatal(err)
	}
	var frozen bytes.Buffer
	if err := RenderHTML(&frozen, fd); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"张编制", "李审核", "王批准", "2026年11月3日", "已冻结"} {
		if !strings.Contains(frozen.String(), want) {
			t.Errorf("frozen document lacks %q", want)
		}
	}
	if strings.Contains(frozen.String(), "草稿") {
		t.Error("the frozen document is marked as a draft")
	}
}
