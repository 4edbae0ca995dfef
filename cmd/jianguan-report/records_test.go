package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// recordsDB is a SQLite records store with one alert (acknowledged) and one
// incident on 2026-10-02 (inside 2026年国庆节), written through the store's API.
func recordsDB(t *testing.T) (path string, incidentID int64) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "records.db")
	ctx := context.Background()
	st, err := records.Open(ctx, records.SQLite, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Date(2026, 10, 2, 1, 0, 0, 0, time.UTC) // 09:00 Beijing time
	res, err := st.Ingest(ctx, &records.Notification{Version: "4", GroupKey: "{}:{alertname=\"LineDown\"}", Status: "firing", Receiver: "recorder",
		Alerts: []records.WebhookAlert{{Status: "firing", Labels: map[string]string{"alertname": "LineDown", "severity": "critical", "line": "ct-1"},
			StartsAt: start, Fingerprint: "f1"}}, ReceivedAt: start.Add(10 * time.Second), ReceivedBy: "alertmanager"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Acknowledge(ctx, res.AlertIDs[0], "li", "工单 INC-7", start.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	end := start.Add(40 * time.Minute)
	in := records.Incident{NS: "line", Entity: "ct-1", Start: start, End: &end, Cause: "光缆中断", Handler: "李工", Status: records.IncidentOpen}
	if err := in.Validate(time.Now()); err != nil {
		t.Fatal(err)
	}
	r, err := st.CreateRecord(ctx, "li", records.IncidentRecord(in))
	if err != nil {
		t.Fatal(err)
	}
	return path, r.ID
}

func TestCLIRecordsDocuments(t *testing.T) {
	db, id := recordsDB(t)
	common := []string{"--records.db=" + db, "--reports.config=../../deploy/etc/jianguan/reports.yml", "--calendar.file=../../deploy/etc/jianguan/calendar.yml"}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--kind=duty-daily", "--day=2026-10-02"}, []string{"值班日志", "线路中断", "工单 INC-7", "JG-202610-ZB-002", "（重保时期：2026年国庆节）"}},
		{[]string{"--kind=duty-weekly", "--week=2026-W40"}, []string{"值班周报", "2026年第40周（2026年9月28日至10月4日）"}},
		{[]string{"--kind=duty-weekly", "--week=2026-10-02", "--format=json"}, []string{`"kind": "duty-weekly"`, `"month": "2026-W40"`}},
		{[]string{"--kind=incident", "--id=" + strconv.FormatInt(id, 10)}, []string{"故障处理情况报告", "光缆中断", "线路中断"}},
		{[]string{"--kind=guard", "--period=2026年国庆节"}, []string{"重保保障工作报告", "2026年国庆节", "线路中断"}},
		{[]string{"--kind=guard", "--period=2026年国庆节", "--lang=en"}, []string{"Guard-period report", "Alerts"}},
	} {
		out := filepath.Join(t.TempDir(), "doc")
		if err := run(append(append(c.args, common...), "-o", out)); err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		b, _ := os.ReadFile(out)
		for _, w := range c.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%v: output lacks %q", c.args, w)
			}
		}
	}
}

func TestCLIRecordsBadInput(t *testing.T) {
	db, _ := recordsDB(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such.db")
	dsnFile := filepath.Join(dir, "dsn")
	// A DSN with a password to a port where nothing listens.
	if err := os.WriteFile(dsnFile, []byte("postgres://jg:pw-very-secret-456@127.0.0.1:1/records?connect_timeout=2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	calFlag := "--calendar.file=../../deploy/etc/jianguan/calendar.yml"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--kind=duty-daily", "--day=2026-13-01", "--records.db=" + db}, `--day: day "2026-13-01"`},
		{[]string{"--kind=duty-daily", "--day=2999-01-01", "--records.db=" + db}, "in the future"},
		{[]string{"--kind=duty-daily", "--day=2026-10-02"}, "give --records.db (SQLite) or --records.dsn-file (PostgreSQL)"},
		{[]string{"--kind=duty-daily", "--week=2026-W40", "--records.db=" + db}, "--week is not used by --kind duty-daily (it takes --day)"},
		{[]string{"--kind=duty-weekly", "--week=2026-W99", "--records.db=" + db}, "want an ISO week"},
		{[]string{"--kind=incident", "--records.db=" + db}, "--kind incident needs --id"},
		{[]string{"--kind=incident", "--id=4242", "--records.db=" + db}, "incident 4242: no such record"},
		{[]string{"--kind=guard", "--period=2026年圣诞节", "--records.db=" + db, calFlag}, `guard period "2026年圣诞节" is not in the calendar file`},
		{[]string{"--kind=guard", "--records.db=" + db, calFlag}, "--kind guard needs --period"},
		{[]string{"--kind=guard", "--period=2026年国庆节", "--records.db=" + db, "--calendar.file=" + missing}, "--calendar.file"},
		{[]string{"--kind=duty-daily", "--records.db=" + missing}, "--records.db: stat " + missing},
		{[]string{"--kind=duty-daily", "--records.db=" + dir}, "is a directory"},
		{[]string{"--kind=duty-daily", "--records.db=" + db, "--records.dsn-file=" + dsnFile}, "give one store"},
		{[]string{"--kind=duty-daily", "--records.dsn-file=" + dsnFile}, "--records.dsn-file " + dsnFile},
		{[]string{"--kind=duty-monthly", "--records.db=" + db}, "duty-daily, duty-weekly, incident, guard"},
	} {
		out := filepath.Join(dir, "out")
		err := run(append(c.args, "-o", out))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v (want %q)", c.args, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "pw-very-secret-456") {
			t.Errorf("%v: the DSN's password is in the error: %v", c.args, err)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: output written although the run failed", c.args)
		}
	}
	// A store path that does not exist is never created (an empty new store
	// would report zeros that were never counted).
	if _, err := os.Stat(missing); err == nil {
		t.Error("--records.db created a new store")
	}
}

// TestCLIRecordsFreezeAndFormats: a records document freezes once (a second
// freeze is refused), renders from its snapshot, and its CSV carries no
// PromQL or counter tables of the monthly reports' audit.
func TestCLIRecordsFreezeAndFormats(t *testing.T) {
	db, _ := recordsDB(t)
	dir := t.TempDir()
	snap := filepath.Join(dir, "duty-2026-10-02.json")
	args := []string{"--kind=duty-daily", "--day=2026-10-02", "--records.db=" + db, "--reports.config=../../deploy/etc/jianguan/reports.yml"}
	if err := run(append(args, "--freeze="+snap, "-o", filepath.Join(dir, "a.html"))); err != nil {
		t.Fatal(err)
	}
	if err := run(append(args, "--freeze="+snap, "-o", filepath.Join(dir, "b.html"))); err == nil {
		t.Error("a second freeze of the same document was accepted")
	}
	out := filepath.Join(dir, "frozen.html")
	if err := run([]string{"--snapshot=" + snap, "--format=html", "-o", out}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), "值班日志") || !strings.Contains(string(b), "已冻结") {
		t.Error("the frozen duty log does not render as frozen")
	}
	csv := filepath.Join(dir, "d.csv")
	if err := run(append(args, "--format=csv", "-o", csv)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(csv)
	for _, w := range []string{"告警明细", "线路中断", "数据来源：运维记录库"} {
		if !strings.Contains(string(b), w) {
			t.Errorf("CSV lacks %q", w)
		}
	}
	for _, w := range []string{"PromQL", "维护策略", "observed_seconds_total"} {
		if strings.Contains(string(b), w) {
			t.Errorf("CSV of a records document has %q", w)
		}
	}
}

// TestCLIRecordsPostgres reads the store from a real PostgreSQL through
// --records.dsn-file.
func TestCLIRecordsPostgres(t *testing.T) {
	srv := testenv.StartPostgres(t)
	dsn := srv.NewDB(t)
	ctx := context.Background()
	st, err := records.Open(ctx, records.Postgres, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Date(2026, 10, 2, 1, 0, 0, 0, time.UTC)
	end := start.Add(40 * time.Minute)
	in := records.Incident{NS: "line", Entity: "ct-1", Start: start, End: &end, Cause: "光缆中断", Handler: "李工", Status: records.IncidentClosed}
	if err := in.Validate(time.Now()); err != nil {
		t.Fatal(err)
	}
	r, err := st.CreateRecord(ctx, "li", records.IncidentRecord(in))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dsnFile := filepath.Join(dir, "dsn")
	if err := os.WriteFile(dsnFile, []byte(dsn+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "incident.html")
	if err := run([]string{"--kind=incident", "--id=" + strconv.FormatInt(r.ID, 10), "--records.dsn-file=" + dsnFile, "-o", out}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), "光缆中断") || !strings.Contains(string(b), "已关闭") {
		t.Error("the incident report from PostgreSQL lacks the incident")
	}
}
