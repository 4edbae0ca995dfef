package recdocs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/report/recdocs"
)

// TestDutyLogAlertRowsBounded: a day with more alerts than MaxAlertRows
// lists the first MaxAlertRows one by one and says so, while the
// statistics count them all (read in pages of records.MaxListLimit); it
// logs how long the daily log takes to build and render.
func TestDutyLogAlertRowsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 1 200 alerts")
	}
	st := openSQLite(t)
	ctx := context.Background()
	const n = recdocs.MaxAlertRows + 200
	start := at(busyDay, "00:00:00")
	for i := 0; i < n; i++ {
		s := start.Add(time.Duration(i) * time.Minute) // 1 200 minutes: all on the day
		id := ingest(t, st, "firing", fmt.Sprintf("Alert%02d", i%40), "warning", map[string]string{"instance": fmt.Sprintf("vm-%d", i)}, s, time.Time{}, s.Add(10*time.Second))
		if i%2 == 0 {
			if _, err := st.Acknowledge(ctx, id, "zhang", "", s.Add(70*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
	}
	began := time.Now()
	d, err := recdocs.BuildDutyDaily(ctx, st, calendar.Day(busyDay), opts(docfmt.ZH))
	if err != nil {
		t.Fatal(err)
	}
	built := time.Since(began)
	h := html(t, d)
	t.Logf("daily log with %d alerts (%d acknowledged): built in %v, HTML %d bytes in %v", n, n/2, built, len(h), time.Since(began)-built)
	if got := len(table(t, d, "alert-list").Rows); got != recdocs.MaxAlertRows {
		t.Errorf("%d alert rows, want %d", got, recdocs.MaxAlertRows)
	}
	checkHTML(t, h, []string{row("告警总数", fmt.Sprint(n)), row("已确认 / 未确认", fmt.Sprintf("%d / %d", n/2, n/2)),
		row("确认时延（中位数 / 最大）", "1分00秒 / 1分00秒"), "告警明细仅列出最早的 1000 条"}, nil)
	var sum int
	for _, r := range table(t, d, "alert-types").Rows {
		var c int
		fmt.Sscan(r[2], &c)
		sum += c
	}
	if sum != n || !strings.Contains(h, "Alert39") {
		t.Errorf("types count %d alerts, want %d", sum, n)
	}
}

// TestRecordsAtReadBoundSaySo: when a kind holds as many records as one read
// returns (records.MaxListLimit), older ones may be missing: the document
// says so in a 说明 section instead of counting silently.
func TestRecordsAtReadBoundSaySo(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 1 000 records")
	}
	st := openSQLite(t)
	ctx := context.Background()
	for i := 0; i < records.MaxListLimit; i++ {
		at := busyDay.Add(time.Duration(i) * time.Minute).UTC().Format(time.RFC3339)
		b, err := records.HandoverBody([]byte(`{"at":"`+at+`","from":"a","to":"b","notes":"n"}`), testNow)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateRecord(ctx, "x", records.Record{Kind: records.KindHandover, Title: "交接班", Body: b}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := recdocs.BuildDutyDaily(ctx, st, calendar.Day(busyDay), opts(docfmt.ZH))
	if err != nil {
		t.Fatal(err)
	}
	checkHTML(t, html(t, d), []string{"说明", "记录库中交接班记录已达单次读取上限 1000 条，仅统计最近的 1000 条，更早的记录未计入。"}, []string{"记录库中整改记录已达"})
	if len(d.Audit.Caveats) != 1 {
		t.Errorf("caveats %q, want one", d.Audit.Caveats)
	}
}
