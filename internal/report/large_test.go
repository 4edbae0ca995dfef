package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/testutil"
)

// manyQuerier answers the availability family of ns for n entities of one
// month exactly (the month's start and end; any other instant has no data,
// as before the retained data): entity i is down (i mod 97)·3 s, fully
// observed, with unit u(i mod 40) and provider p(i mod 7). Everything else
// (certificates, range queries) has no data. Pure logic: the engine's
// aggregation and the document's body/annex split at 10 000 entities.
type manyQuerier struct {
	ns, nameLabel string
	n             int
	month         calendar.Period
	mu            sync.Mutex
	queries       int
}

var manyNames = regexp.MustCompile(`__name__=~"([^"]*)"`)

func (m *manyQuerier) name(i int) string { return fmt.Sprintf("%s-%d", m.ns, i+1) }

func (m *manyQuerier) labels(i int) map[string]string {
	return map[string]string{m.nameLabel: m.name(i), "unit": fmt.Sprintf("u%d", i%40), "provider": fmt.Sprintf("p%d", i%7), "system": "s"}
}

func (m *manyQuerier) Query(_ context.Context, expr string, t time.Time) ([]Series, error) {
	m.mu.Lock()
	m.queries++
	m.mu.Unlock()
	g := manyNames.FindStringSubmatch(expr)
	atStart, atEnd := t.Equal(m.month.Start), t.Equal(m.month.End)
	if g == nil || strings.Contains(expr, "ms] @") || (!atStart && !atEnd) {
		return nil, nil
	}
	secs := m.month.Seconds()
	var out []Series
	for i := 0; i < m.n; i++ {
		for _, name := range strings.Split(strings.ReplaceAll(g[1], `\\`, ""), "|") {
			v := 0.0
			switch strings.TrimPrefix(name, m.ns+"_") {
			case "observed_seconds_total":
				if atEnd {
					v = secs
				}
			case "down_seconds_total":
				if atEnd {
					v = float64(i%97) * 3
				}
			case "start_time_seconds":
				v = 1
			case "up":
				v = 1
			case "unknown", "maintenance_seconds_total", "maintenance_down_seconds_total", "state_changes_total":
			default:
				continue
			}
			l := m.labels(i)
			l["__name__"] = name
			out = append(out, Series{Labels: l, Points: []Point{{T: t, V: v}}})
		}
	}
	return out, nil
}

func (*manyQuerier) QueryRange(context.Context, string, time.Time, time.Time, time.Duration) ([]Series, error) {
	return nil, nil
}

func (m *manyQuerier) Series(_ context.Context, match string, start, _ time.Time) ([]map[string]string, error) {
	if !strings.HasPrefix(match, m.ns+"_") || !start.Equal(m.month.Start) {
		return nil, nil
	}
	out := make([]map[string]string, m.n)
	for i := range out {
		l := m.labels(i)
		l["__name__"] = m.ns + "_observed_seconds_total"
		out[i] = l
	}
	return out, nil
}

// tenThousandHosts builds the 综合监管月报 of October 2026 for 10 000 hosts.
func tenThousandHosts(t testing.TB) (*Document, *manyQuerier) { return manyHosts(t, 10000) }

// manyHosts builds the 综合监管月报 of October 2026 for n hosts.
func manyHosts(t testing.TB, n int) (*Document, *manyQuerier) {
	t.Helper()
	oct := calendar.Month(2026, time.October)
	cfg := DefaultConfig()
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return now }
	q := &manyQuerier{ns: "host", nameLabel: "host", n: n, month: oct}
	d, err := Build(context.Background(), q, cfg, KindHosts, oct)
	if err != nil {
		t.Fatal(err)
	}
	return d, q
}

// TestLargePopulation_TenThousandHostsBodyTopTen: 10 000 hosts (issue 16
// item 8): every per-entity list of the body has at most BodyRows rows and
// says where the rest is; the annex 「附件一：云主机可用性明细」 has all
// 10 000 in natural order (host-2 before host-10); the body's ten are the
// lowest availability; XLSX has the annex as its own sheet and HTML prints
// it after the sign-off.
func TestLargePopulation_TenThousandHostsBodyTopTen(t *testing.T) {
	d, q := tenThousandHosts(t)
	if len(d.Entities) != 10000 {
		t.Fatalf("%d entities", len(d.Entities))
	}
	t.Logf("10 000 hosts: %d queries", q.queries)
	perEntity := map[string]bool{"hosts": true, "websites": true, "units": true, "providers": true, "worst": true, "incidents": true, "certificates": true}
	var hostsSec *Section
	for i, s := range d.Sections {
		if s.ID == "hosts" {
			hostsSec = &d.Sections[i]
		}
		for _, tb := range s.Tables {
			if perEntity[tb.ID] && len(tb.Rows) > BodyRows {
				t.Errorf("body table %s has %d rows, want ≤ %d", tb.ID, len(tb.Rows), BodyRows)
			}
		}
	}
	if hostsSec == nil {
		t.Fatal("no hosts section")
	}
	if !strings.Contains(strings.Join(hostsSec.Text, ""), "共 10000 台云主机") || !strings.Contains(strings.Join(hostsSec.Text, ""), "附件一：云主机可用性明细") {
		t.Errorf("hosts section does not give the total and the annex: %q", hostsSec.Text)
	}
	// The body's ten: the lowest availability (96 × 3 s down: hosts 97, 194, …).
	body := hostsSec.Tables[0]
	for _, row := range body.Rows {
		var i int
		fmt.Sscanf(row[0], "host-%d", &i)
		if (i-1)%97 != 96 {
			t.Errorf("body lists %s (%d s down), not one of the lowest availability", row[0], ((i-1)%97)*3)
		}
	}
	var annex *Annex
	for i, a := range d.Annexes {
		if a.Table.ID == "annex-hosts" {
			annex = &d.Annexes[i]
		}
	}
	if annex == nil || annex.Title != "附件一：云主机可用性明细" {
		t.Fatalf("annex of the hosts: %+v", d.Annexes)
	}
	if len(annex.Table.Rows) != 10000 {
		t.Fatalf("annex has %d rows, want 10000", len(annex.Table.Rows))
	}
	for i := 1; i < len(annex.Table.Rows); i++ {
		if !docfmt.NaturalLess(annex.Table.Rows[i-1][0], annex.Table.Rows[i][0]) {
			t.Fatalf("annex not in natural order at %d: %s, %s", i, annex.Table.Rows[i-1][0], annex.Table.Rows[i][0])
		}
	}
	if annex.Table.Rows[1][0] != "host-2" || annex.Table.Rows[9][0] != "host-10" {
		t.Errorf("annex starts %s %s … %s", annex.Table.Rows[0][0], annex.Table.Rows[1][0], annex.Table.Rows[9][0])
	}
	// Units (40) are a growing list too: ten in the body, all in an annex.
	units := 0
	for _, a := range d.Annexes {
		if a.Table.ID == "annex-units" {
			units = len(a.Table.Rows)
		}
	}
	if units != 40 {
		t.Errorf("annex of units: %d rows, want 40", units)
	}
	// HTML: the annexes after the sign-off, before the audit appendix.
	var html bytes.Buffer
	if err := RenderHTML(&html, d); err != nil {
		t.Fatal(err)
	}
	s := html.String()
	sign, ann, audit := strings.Index(s, `id="signoff"`), strings.Index(s, `id="annex-1"`), strings.Index(s, `id="audit"`)
	if sign < 0 || sign >= ann || ann >= audit {
		t.Errorf("HTML order: sign-off %d, annex %d, audit %d", sign, ann, audit)
	}
	if n := strings.Count(s[:sign], "<tr><td class=\"name\">host-"); n > 2*BodyRows {
		t.Errorf("HTML body has %d host rows", n)
	}
	// The printable document (HTML, and PDF from it) lists no complete
	// list longer than PrintRows: the hosts' annex and the audit's counter
	// table say where every row is instead (TestLargePopulation_PrintedListsBounded).
	if n := strings.Count(s, "<tr><td class=\"name\">host-"); n > 3*BodyRows {
		t.Errorf("HTML prints %d host rows in all, want ≤ %d (body, worst ten, counters' ten)", n, 3*BodyRows)
	}
	for _, want := range []string{"本附件共 10000 项，超过打印上限 1000 项", "XLSX 文件中标题为「附件一：云主机可用性明细」的工作表",
		"共 10000 个对象，超过打印上限 1000 项", "全部 10000 个对象合计（增量）"} {
		if !strings.Contains(s, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// XLSX: the annex is its own sheet (one sheet per table).
	found, counters := false, 0
	for _, tb := range allTables(d) {
		if tb.Title == "附件一：云主机可用性明细" && len(tb.Rows) == 10000 {
			found = true
		}
		if tb.ID == "audit-counters" {
			counters = len(tb.Rows)
		}
	}
	if !found {
		t.Error("XLSX/CSV tables lack the annex 附件一：云主机可用性明细 with 10000 rows")
	}
	if counters != 10000 {
		t.Errorf("XLSX/CSV counter table has %d rows, want every one of the 10000 hosts", counters)
	}
}

// TestLargePopulation_ShortListStaysInBody: a list of at most BodyRows rows
// is printed whole in the body, without an annex or a sentence about one.
func TestLargePopulation_ShortListStaysInBody(t *testing.T) {
	oct := calendar.Month(2026, time.October)
	cfg := DefaultConfig()
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return now }
	for _, n := range []int{1, BodyRows} {
		d, err := Build(context.Background(), &manyQuerier{ns: "host", nameLabel: "host", n: n, month: oct}, cfg, KindHosts, oct)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Annexes) != 0 {
			t.Errorf("%d hosts: annexes %+v", n, d.Annexes)
		}
		for _, s := range d.Sections {
			if s.ID == "hosts" && len(s.Tables[0].Rows) != n {
				t.Errorf("%d hosts: body lists %d", n, len(s.Tables[0].Rows))
			}
		}
	}
}

// TestLargePopulation_PrintedListsBounded (issue 16 item 8: the audit
// appendix printed a counter row per entity and the annex every host, so a
// 10 000-host PDF was still hundreds of pages and did not print within 15
// minutes) prints the 10 000-host 综合监管月报 through Chromium (the
// production printer) and reads it back with pdftotext: the whole PDF is a
// few dozen pages — body (cover to the sign-off), annexes and audit — and
// the hosts' annex and the counters say where the complete lists are (the
// XLSX sheet of the same title). The numbers are logged.
// JIANGUAN_REPORT_LARGE_PDF=N prints N hosts instead.
func TestLargePopulation_PrintedListsBounded(t *testing.T) {
	n := 10000
	if v, _ := strconv.Atoi(os.Getenv("JIANGUAN_REPORT_LARGE_PDF")); v > 0 {
		n = v
	}
	testutil.Need(t, "chromium")
	pdftotext := testutil.Need(t, "pdftotext")
	d, _ := manyHosts(t, n)
	p := NewPDFRenderer("", 1)
	defer p.Close()
	st := time.Now()
	pdf, err := p.RenderPDF(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	printed := time.Since(st)
	pages := PDFPages(t, pdftotext, pdf)
	seal, annex, audit := -1, -1, -1
	for i, pg := range pages {
		switch {
		case seal < 0 && strings.Contains(pg, "（盖章）"):
			seal = i
		case seal >= 0 && annex < 0 && strings.Contains(pg, "附件一：云主机可用性明细"):
			annex = i
		case annex >= 0 && audit < 0 && strings.Contains(pg, "附录：审计信息"):
			audit = i
		}
	}
	if seal < 0 || annex <= seal || audit <= annex {
		t.Fatalf("pages: sign-off %d, first annex %d, audit %d of %d", seal, annex, audit, len(pages))
	}
	body, annexes, appendix := seal+1, audit-seal-1, len(pages)-audit
	t.Logf("%d hosts: PDF %d bytes printed in %v: %d pages — body %d, annexes %d, audit appendix %d", n, len(pdf), printed.Round(time.Millisecond), len(pages), body, annexes, appendix)
	if body > 30 {
		t.Errorf("the body of a %d-host report has %d pages, want ≤ 30", n, body)
	}
	if n > PrintRows {
		if len(pages) > 60 {
			t.Errorf("a %d-host PDF has %d pages, want ≤ 60", n, len(pages))
		}
		flat := strings.Join(strings.Fields(strings.Join(pages[annex:], "")), "")
		for _, want := range []string{fmt.Sprintf("本附件共%d项", n), "完整清单见同一报告的XLSX文件", fmt.Sprintf("全部%d个对象合计", n)} {
			if !strings.Contains(flat, want) {
				t.Errorf("the printed annexes and audit lack %q", want)
			}
		}
	}
}

// PDFPages is the text of each page of pdf (pdftotext -layout), for the
// tests that read a printed document back (also report_test's).
func PDFPages(t testing.TB, pdftotext string, pdf []byte) []string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(f, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(context.Background(), pdftotext, "-layout", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
}
