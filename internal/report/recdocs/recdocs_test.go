package recdocs_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/recdocs"
)

var (
	busyDay = calendar.Date(2026, time.November, 3) // a Tuesday of ISO week 2026-W45
	testNow = time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
)

func opts(lang docfmt.Lang) recdocs.Options {
	return recdocs.Options{Lang: lang, Now: func() time.Time { return testNow }}
}

func html(t *testing.T, d *report.Document) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.RenderHTML(&b, d); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// row is a summary line as RenderHTML writes it.
func row(label, value string) string { return "<td>" + label + "</td><td>" + value + "</td>" }

func checkHTML(t *testing.T, h string, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(h, w) {
			t.Errorf("document lacks %q", w)
		}
	}
	for _, w := range not {
		if strings.Contains(h, w) {
			t.Errorf("document has %q", w)
		}
	}
}

func table(t *testing.T, d *report.Document, id string) report.Table {
	t.Helper()
	for _, s := range d.Sections {
		for _, tb := range s.Tables {
			if tb.ID == id {
				return tb
			}
		}
	}
	t.Fatalf("no table %q", id)
	return report.Table{}
}

func TestDutyLogDaily(t *testing.T) {
	backends(t, func(t *testing.T, st records.Store) {
		fill(t, st, busyDay)
		ctx := context.Background()
		zh, en := docfmt.ZH, docfmt.EN
		cases := []struct {
			name string
			day  time.Time
			lang docfmt.Lang
			want []string
			not  []string
		}{
			{"busy day", busyDay, zh, []string{"值班日志", "2026年11月3日（北京时间）",
				"UPS 电池供电", "线路中断", "温度超出范围", "严重", "警告", "bj-1 / ups-1",
				row("告警总数", "3"), row("已确认 / 未确认", "2 / 1"),
				// delays 5 min and 2 min: median 3 min 30 s, max 5 min
				row("确认时延（中位数 / 最大）", "3分30秒 / 5分00秒"), row("已恢复 / 未恢复", "2 / 1"),
				"2026年11月3日 08:00:30", "2026年11月3日 08:05:30", "2026年11月3日 08:20:00", "zhang",
				"已派单 INC-2026-0042，现场确认市电切换",
				row("远程巡检（完成 / 应）", "1 / 2"), row("现场巡检（完成 / 应）", "1 / 1"),
				"UPS 负载率（0.92 正常条件 &lt;= 0.8）", "未完成", "Prometheus: connection refused",
				"张工", "消防器材：2 号灭火器压力低于绿区", "未签署",
				row("整改（新增 / 关闭 / 期末未关闭）", "2 / 1 / 1"), "迁移两台服务器至 UPS-2，负载降至 0.71", "王工",
				row("故障", "1"), "ct-1", "光缆在施工中被挖断", "整改中",
				"夜班 王五", "白班 张三", "UPS-1 告警已恢复，继续观察", "INC-2026-0042",
				"交接班与工单", "签署"},
				[]string{"DiskFull", "vm-7", "未配置记录库", "EnvUPSOnBattery", "LineDown", "EnvTemperatureOutOfBand"}},
			{"quiet day", busyDay.AddDate(0, 0, 2), zh, []string{"2026年11月5日", row("告警总数", "0"), row("确认时延（中位数 / 最大）", "— / —"),
				"本期无告警", "本期无远程巡检记录", "本期无现场巡检记录", "本期无交接班记录", "本期无故障记录",
				row("远程巡检（完成 / 应）", "0 / 2"), row("整改（新增 / 关闭 / 期末未关闭）", "0 / 0 / 1")},
				[]string{"UPS 电池供电", "光缆在施工中被挖断"}},
			{"English", busyDay, en, []string{"Daily duty log", "3 November 2026 (Beijing time)", row("Alerts", "3"),
				row("Acknowledgement delay (median / max)", docfmt.Duration(210, en)+" / "+docfmt.Duration(300, en)),
				"critical", "Remote inspections", "missed", "Handovers", "EnvUPSOnBattery", "LineDown", "EnvTemperatureOutOfBand"},
				[]string{"值班日志", "告警总数", "严重", "UPS 电池供电", "线路中断"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				d, err := recdocs.BuildDutyDaily(ctx, st, calendar.Day(c.day), opts(c.lang))
				if err != nil {
					t.Fatal(err)
				}
				checkHTML(t, html(t, d), c.want, c.not)
			})
		}
	})
}

func TestDutyLogBadInput(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"2026-13-01", "day \"2026-13-01\""},
		{"2026-02-30", "day \"2026-02-30\""},
		{"yesterday", "want YYYY-MM-DD"},
		{"2026-12-05", "in the future"},
	} {
		if _, err := recdocs.ParseDay(c.in, testNow); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseDay(%q) = %v, want an error with %q", c.in, err, c.want)
		} else if report.KindOf(err) != report.ErrBadRequest {
			t.Errorf("ParseDay(%q): kind %v, want bad request", c.in, report.KindOf(err))
		}
	}
	st := openSQLite(t)
	if _, err := recdocs.BuildDutyDaily(context.Background(), st, calendar.Week(busyDay), opts(docfmt.ZH)); err == nil {
		t.Error("a week accepted as a duty day")
	}
}

func TestWeeklyReport(t *testing.T) {
	st := openSQLite(t)
	fill(t, st, busyDay)
	ctx := context.Background()
	for _, c := range []struct {
		in      string
		start   time.Time
		wantErr string
	}{
		{"2026-W45", calendar.Date(2026, 11, 2), ""},
		{"2026-11-08", calendar.Date(2026, 11, 2), ""}, // the Sunday belongs to the week of Monday 2 November
		{"2026-11-09", calendar.Date(2026, 11, 9), ""},
		{"2026-W54", time.Time{}, "want an ISO week"},
		{"W45", time.Time{}, "want an ISO week"},
		{"2026-W50", time.Time{}, "has not begun"},
	} {
		p, err := recdocs.ParseWeek(c.in, testNow)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ParseWeek(%q) = %v, want %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || !p.Start.Equal(c.start) || p.Days() != 7 {
			t.Errorf("ParseWeek(%q) = %v %v, want the week from %s", c.in, p, err, c.start)
		}
	}
	p, _ := recdocs.ParseWeek("2026-W45", testNow)
	d, err := recdocs.BuildDutyWeekly(ctx, st, p, opts(docfmt.ZH))
	if err != nil {
		t.Fatal(err)
	}
	days := table(t, d, "days")
	if len(days.Rows) != 7 {
		t.Fatalf("%d day rows, want 7 (Monday to Sunday)", len(days.Rows))
	}
	for i, want := range map[int][]string{
		0: {"2026年11月2日", "0", "0", "—", "—", "0 / 2", "0 / 1", "0", "0", "0", "0"},
		1: {"2026年11月3日", "3", "1", "3分30秒", "5分00秒", "1 / 2", "1 / 1", "2", "2", "1", "1"},
		2: {"2026年11月4日", "1", "1", "—", "—", "0 / 2", "0 / 1", "0", "0", "0", "0"},
		6: {"2026年11月8日", "0", "0", "—", "—", "0 / 2", "0 / 1", "0", "0", "0", "0"},
	} {
		if got := strings.Join(days.Rows[i], "|"); got != strings.Join(want, "|") {
			t.Errorf("day row %d:\n got %s\nwant %s", i, got, strings.Join(want, "|"))
		}
	}
	checkHTML(t, html(t, d), []string{"值班周报", "2026年第45周（2026年11月2日至11月8日）", row("告警总数", "4"), row("已确认 / 未确认", "2 / 2"),
		row("远程巡检（完成 / 应）", "1 / 14"), row("现场巡检（完成 / 应）", "1 / 7"), "DiskFull（外部告警）", "每日情况", "远程巡检应 14 次，完成 1 次、未完成 1 次"}, nil)
	// The next week has only the open on-site finding left.
	p2, _ := recdocs.ParseWeek("2026-W46", testNow)
	d2, err := recdocs.BuildDutyWeekly(ctx, st, p2, opts(docfmt.ZH))
	if err != nil {
		t.Fatal(err)
	}
	checkHTML(t, html(t, d2), []string{row("告警总数", "0"), row("整改（新增 / 关闭 / 期末未关闭）", "0 / 0 / 1")}, []string{"UPS 电池供电"})
}

func TestIncidentHandlingReport(t *testing.T) {
	backends(t, func(t *testing.T, st records.Store) {
		fx := fill(t, st, busyDay)
		ctx := context.Background()
		d, err := recdocs.BuildIncidentReport(ctx, st, fx.IncidentID, opts(docfmt.ZH))
		if err != nil {
			t.Fatal(err)
		}
		checkHTML(t, html(t, d), []string{"故障处理情况报告", row("故障对象", "ct-1（线路）"), row("开始时间", "2026年11月3日 09:00:00"),
			row("恢复时间", "2026年11月3日 09:40:00"), row("持续时间", "40分00秒"), row("处理人", "李工"), row("状态", "整改中"),
			row("整改责任人 / 期限", "赵经理 / 2026年11月17日"), row("整改逾期", "是"),
			"故障经过", "值班员确认告警并通知运营商", "运营商熔接完成，线路恢复", "原因分析", "光缆在施工中被挖断",
			"影响范围", "互联网BGP线路中断 40 分钟", "整改措施及完成情况", "与施工方建立路由报备机制", "相关告警", "线路中断", "2026年11月3日 09:02:10"},
			[]string{"UPS 电池供电", "温度超出范围", "DiskFull", "LineDown"})

		// Signed off, then amended: the report follows the amendment.
		if _, err := st.SignOff(ctx, "admin", fx.IncidentID, time.Now()); err != nil {
			t.Fatal(err)
		}
		orig, _ := st.GetRecord(ctx, fx.IncidentID)
		body := strings.Replace(string(orig.Body), `"status":"rectifying"`, `"status":"closed"`, 1)
		am, err := st.Amend(ctx, "li", fx.IncidentID, records.Record{Kind: records.KindIncident, Title: orig.Title, Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		d, err = recdocs.BuildIncidentReport(ctx, st, fx.IncidentID, opts(docfmt.ZH))
		if err != nil {
			t.Fatal(err)
		}
		checkHTML(t, html(t, d), []string{row("状态", "已关闭"), row("整改逾期", "否"), "已由记录"}, nil)
		_ = am

		for _, c := range []struct {
			id   int64
			want string
		}{
			{99999, "incident 99999: no such record"},
			{fx.FindingIDs[0], "is a finding record, not an incident"},
			{0, "want the id of an incident record"},
			{-3, "want the id of an incident record"},
		} {
			_, err := recdocs.BuildIncidentReport(ctx, st, c.id, opts(docfmt.ZH))
			if err == nil || !strings.Contains(err.Error(), c.want) || report.KindOf(err) != report.ErrBadRequest {
				t.Errorf("id %d: %v, want a bad-request error with %q", c.id, err, c.want)
			}
		}
	})
}

func TestGuardPeriodReport(t *testing.T) {
	cal, err := calendar.Load("../../../deploy/etc/jianguan/calendar.yml")
	if err != nil {
		t.Fatal(err)
	}
	st := openSQLite(t)
	fill(t, st, calendar.Date(2026, 10, 2)) // inside 2026年国庆节 (30 September – 7 October)
	ctx := context.Background()
	o := opts(docfmt.ZH)
	o.Calendar = cal
	d, err := recdocs.BuildGuardReport(ctx, st, "2026年国庆节", o)
	if err != nil {
		t.Fatal(err)
	}
	checkHTML(t, html(t, d), []string{"重保保障工作报告", row("重保时期", "2026年国庆节"), row("类别", "节假日"),
		row("时段", "2026年9月30日至10月7日（北京时间）"), row("告警总数", "4"), row("远程巡检（完成 / 应）", "1 / 16"),
		"值班情况", "夜班 王五", "线路中断", "光缆在施工中被挖断", "UPS 负载率", "2026年10月2日"}, []string{"未配置记录库"})
	if got := len(table(t, d, "days").Rows); got != 8 {
		t.Errorf("%d day rows, want 8", got)
	}
	// The duty log of a guard day says so.
	dl, err := recdocs.BuildDutyDaily(ctx, st, calendar.Day(calendar.Date(2026, 10, 2)), o)
	if err != nil {
		t.Fatal(err)
	}
	checkHTML(t, html(t, dl), []string{"（重保时期：2026年国庆节）"}, nil)

	for _, c := range []struct {
		name string
		cal  *calendar.Calendar
		want string
	}{
		{"2026年圣诞节", cal, "is not in the calendar file; known: 2025年元旦"},
		{"2027年国庆节", cal, "its report does not exist yet"},
		{"2026年国庆节", nil, "no calendar file"},
	} {
		o := opts(docfmt.ZH)
		o.Calendar = c.cal
		_, err := recdocs.BuildGuardReport(ctx, st, c.name, o)
		if err == nil || !strings.Contains(err.Error(), c.want) || report.KindOf(err) != report.ErrBadRequest {
			t.Errorf("%s: %v, want a bad-request error with %q", c.name, err, c.want)
		}
	}
}

func TestMonthlySectionsReadStore(t *testing.T) {
	st := openSQLite(t)
	fill(t, st, busyDay)
	ctx := context.Background()
	nov := calendar.Month(2026, time.November)
	doc := func(kind string) *report.Document {
		return &report.Document{Kind: kind, Title: "月报", PeriodStart: nov.Start.Format(time.RFC3339), PeriodEnd: nov.End.Format(time.RFC3339)}
	}
	for _, c := range []struct {
		kind  string
		store bool
		ids   []string
		want  []string
		not   []string
	}{
		{report.KindLines, true, []string{"inspections", "rectification"}, []string{"巡检情况", "远程巡检应 60 次，完成 1 次、未完成 1 次，发现异常项 1 项；现场巡检应 30 次，完成 1 次，发现异常项 1 项。",
			"UPS 负载率", "整改跟踪情况", "本期新增整改 2 项，关闭 1 项，期末未关闭 1 项。", "与施工方建立路由报备机制", "故障整改"}, []string{"未配置记录库"}},
		{report.KindInfrastructure, true, []string{"inspections", "rectification"}, []string{"消防器材：2 号灭火器压力低于绿区"}, []string{"未配置记录库"}},
		{report.KindHosts, true, []string{"alerts", "inspections"}, []string{"告警统计", "本期共检测到告警 4 条，已确认 2 条、未确认 2 条", "DiskFull（外部告警）",
			"硬件巡检情况", "消防器材：2 号灭火器压力低于绿区"}, []string{"未配置记录库"}},
		{report.KindProviders, true, nil, nil, []string{"巡检情况", "告警统计"}},
		{report.KindLines, false, []string{"inspections", "rectification"}, []string{"未配置记录库：本节内容取自运维记录库"}, []string{"远程巡检应", "0 次"}},
		{report.KindHosts, false, []string{"alerts", "inspections"}, []string{"未配置记录库"}, []string{"告警 0 条", "远程巡检应"}},
	} {
		t.Run(c.kind+map[bool]string{true: "/store", false: "/no-store"}[c.store], func(t *testing.T) {
			d := doc(c.kind)
			var rs report.RecordSections
			if c.store {
				rs = recdocs.Monthly{Src: st}
			}
			if err := report.AddRecordSections(ctx, d, rs); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, s := range d.Sections {
				ids = append(ids, s.ID)
			}
			if strings.Join(ids, ",") != strings.Join(c.ids, ",") {
				t.Errorf("sections %v, want %v", ids, c.ids)
			}
			checkHTML(t, html(t, d), c.want, c.not)
		})
	}
}

// TestRecordsDocumentsEnglish: an English document of each records kind has
// no Chinese outside the data (names, notes and labels entered in Chinese,
// the calendar's guard-period names, the recorder's finding details).
func TestRecordsDocumentsEnglish(t *testing.T) {
	cal, err := calendar.Load("../../../deploy/etc/jianguan/calendar.yml")
	if err != nil {
		t.Fatal(err)
	}
	st := openSQLite(t)
	fx := fill(t, st, calendar.Date(2026, 10, 2))
	ctx := context.Background()
	o := opts(docfmt.EN)
	o.Calendar = cal
	week, _ := recdocs.ParseWeek("2026-10-02", testNow)
	data := []string{"已派单 INC-2026-0042，现场确认市电切换", "UPS 负载率", "漏水", "张工", "消防器材", "2 号灭火器压力低于绿区", "王工",
		"迁移两台服务器至 UPS-2，负载降至 0.71", "光缆在施工中被挖断", "互联网BGP线路中断 40 分钟，对外网站不可访问", "李工",
		"值班员确认告警并通知运营商", "运营商熔接完成，线路恢复", "与施工方建立路由报备机制", "赵经理", "夜班 王五", "白班 张三",
		"UPS-1 告警已恢复，继续观察", "1 项异常（正常条件：值 &lt;= 0.8）", "2026年国庆节", "2026年中秋节"}
	for _, c := range []struct {
		kind  string
		build func() (*report.Document, error)
		want  []string
	}{
		{recdocs.KindDutyDaily, func() (*report.Document, error) {
			return recdocs.BuildDutyDaily(ctx, st, calendar.Day(calendar.Date(2026, 10, 2)), o)
		},
			[]string{"Daily duty log", "2 October 2026 (Beijing time)", "UPS 负载率 (0.92 normal if &lt;= 0.8)", "消防器材: 2 号灭火器压力低于绿区", " (guard period: 2026年国庆节)"}},
		{recdocs.KindDutyWeekly, func() (*report.Document, error) { return recdocs.BuildDutyWeekly(ctx, st, week, o) }, []string{"Weekly duty report", "Per day"}},
		{recdocs.KindIncident, func() (*report.Document, error) { return recdocs.BuildIncidentReport(ctx, st, fx.IncidentID, o) },
			[]string{"Incident handling report", row("Entity", "ct-1 (line)"), row("Rectification owner / deadline", "赵经理 / 16 October 2026")}},
		{recdocs.KindGuard, func() (*report.Document, error) { return recdocs.BuildGuardReport(ctx, st, "2026年国庆节", o) },
			[]string{"Guard-period report", row("Kind", "public holiday")}},
	} {
		t.Run(c.kind, func(t *testing.T) {
			d, err := c.build()
			if err != nil {
				t.Fatal(err)
			}
			h := html(t, d)
			checkHTML(t, h, c.want, nil)
			if errs := docfmt.PluralErrors(h); len(errs) > 0 { // "1 alerts": docfmt.Count
				t.Errorf("English plurals: %q", errs)
			}
			if i := strings.Index(h, "(s)"); i >= 0 { // "inspection(s)": docfmt.Count
				t.Errorf("English \"(s)\": %q", h[max(0, i-80):i+3])
			}
			for _, s := range data {
				h = strings.ReplaceAll(h, s, "")
			}
			for i, r := range h {
				if unicode.Is(unicode.Han, r) || strings.ContainsRune("（）；、：，。", r) {
					lo := max(0, i-80)
					t.Fatalf("Chinese outside the data in an English document: %q", h[lo:min(len(h), i+80)])
				}
			}
		})
	}
}
