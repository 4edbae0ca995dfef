package report_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/report/recdocs"
)

// TestMonthlyReportsRecordsSections builds the e2e month's monthly reports
// from a real Prometheus and adds the records sections from a SQLite store
// filled through its API: the line and machine-room reports get 巡检情况 and
// 整改跟踪情况 with the store's figures, the supervision report (hosts)
// 告警统计; without a store each says 未配置记录库 and no figure.
func TestMonthlyReportsRecordsSections(t *testing.T) {
	url, _ := startE2EPrometheus(t)
	ctx := context.Background()
	st, err := records.Open(ctx, records.SQLite, filepath.Join(t.TempDir(), "records.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	day := calendar.Date(2026, 10, 14)
	chk, err := records.LoadOnsiteChecklist("../../deploy/etc/jianguan/inspection-onsite.yml")
	if err != nil {
		t.Fatal(err)
	}
	on := records.OnsiteInspection{Date: "2026-10-14", Inspector: "张工", Reviewer: "duty-manager"}
	for _, it := range chk.Items {
		r := records.OnsiteResult{Name: it.Name, Result: records.ResultNormal}
		if it.Name == "cabling" {
			r.Result, r.Note = records.ResultAbnormal, "B3 机柜跳线松脱"
		}
		on.Items = append(on.Items, r)
	}
	slot, err := chk.Validate(&on, day.Add(20*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	rec, kids := records.OnsiteRecords(on, slot)
	if _, _, err := st.CreateRecords(ctx, "zhang", rec, kids); err != nil {
		t.Fatal(err)
	}
	s := day.Add(9 * time.Hour)
	if _, err := st.Ingest(ctx, &records.Notification{Version: "4", GroupKey: "{}:{alertname=\"HostDown\"}", Status: "firing", Receiver: "recorder",
		Alerts: []records.WebhookAlert{{Status: "firing", Labels: map[string]string{"alertname": "HostDown", "severity": "critical", "host": "vm-1"},
			StartsAt: s, Fingerprint: "h1"}}, ReceivedAt: s.Add(5 * time.Second), ReceivedBy: "alertmanager"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	cfg := report.DefaultConfig()
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return now }
	m, err := report.ParseMonth("2026-10", cfg.Location, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		kind      string
		store     bool
		want, not []string
	}{
		{report.KindLines, true, []string{"巡检情况", "远程巡检应 62 次，完成 0 次、未完成 0 次，发现异常项 0 项；现场巡检应 31 次，完成 1 次，发现异常项 1 项。",
			"线缆：B3 机柜跳线松脱", "整改跟踪情况", "本期新增整改 1 项，关闭 0 项，期末未关闭 1 项。"}, []string{"未配置记录库"}},
		{report.KindInfrastructure, true, []string{"巡检情况", "线缆：B3 机柜跳线松脱"}, []string{"未配置记录库"}},
		{report.KindHosts, true, []string{"北京市市级政务云综合监管月报", "告警统计", "本期共检测到告警 1 条，已确认 0 条、未确认 1 条", "主机不可达",
			"硬件巡检情况", "线缆：B3 机柜跳线松脱", "月度综合评估", "未配置评估指标体系", "安全态势", "本期无数据来源"}, []string{"未配置记录库"}},
		{report.KindLines, false, []string{"巡检情况", "整改跟踪情况", "未配置记录库"}, []string{"远程巡检应", "本期新增整改"}},
		{report.KindHosts, false, []string{"告警统计", "未配置记录库"}, []string{"本期共检测到告警"}},
	} {
		t.Run(c.kind+map[bool]string{true: "/store", false: "/no-store"}[c.store], func(t *testing.T) {
			d, err := report.Build(ctx, promapi.New(url), cfg, c.kind, m)
			if err != nil {
				t.Fatal(err)
			}
			var rs report.RecordSections
			if c.store {
				rs = recdocs.Monthly{Src: st}
			}
			if err := report.AddRecordSections(ctx, d, rs); err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := report.RenderHTML(&b, d); err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("report lacks %q", w)
				}
			}
			for _, w := range c.not {
				if strings.Contains(b.String(), w) {
					t.Errorf("report has %q", w)
				}
			}
		})
	}
}
