package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jianguan/jianguan/internal/docfmt"
)

// TestDefect16_AuditQueriesPrintedBounded: at 15 s data the incident
// reconstruction runs a query per hour with a change, and the demo month's
// 综合监管月报 printed 1 179 audit queries on 352 PDF pages. HTML and PDF
// list at most PrintQueries, then one row says how many there are and
// where all of them are; the XLSX/CSV table keeps every query.
func TestDefect16_AuditQueriesPrintedBounded(t *testing.T) {
	mk := func(n int) []AuditQuery {
		qs := make([]AuditQuery, n)
		for i := range qs {
			qs[i] = AuditQuery{Purpose: fmt.Sprintf("q%d", i), PromQL: "up"}
		}
		return qs
	}
	for _, c := range []struct {
		n, printed int
		note       bool
		lang       docfmt.Lang
		want       string
	}{
		{0, 0, false, docfmt.ZH, ""},
		{PrintQueries, PrintQueries, false, docfmt.ZH, ""},
		{PrintQueries + 1, PrintQueries + 1, true, docfmt.ZH, fmt.Sprintf("共 %d 条查询", PrintQueries+1)},
		{1179, PrintQueries + 1, true, docfmt.ZH, "共 1179 条查询；全部见同一报告的 XLSX 文件中标题为「审计：查询」的工作表"},
		{1179, PrintQueries + 1, true, docfmt.EN, "the first 100 of 1179 queries"},
	} {
		qs := mk(c.n)
		got := printedQueries(qs, c.lang)
		if len(got) != c.printed {
			t.Errorf("%d queries (%s): %d printed rows, want %d", c.n, c.lang, len(got), c.printed)
			continue
		}
		if c.note {
			last := got[len(got)-1]
			if !strings.Contains(last.Purpose, c.want) || last.PromQL != "" {
				t.Errorf("%d queries (%s): last row %+v, want the note %q", c.n, c.lang, last, c.want)
			}
			if got[PrintQueries-1].Purpose != qs[PrintQueries-1].Purpose {
				t.Errorf("%d queries: the printed rows are not the first ones", c.n)
			}
		}
		if len(qs) != c.n {
			t.Errorf("the document's own queries changed: %d, want %d", len(qs), c.n)
		}
	}
	// The XLSX/CSV table is built from the document, not the printed list.
	d := &Document{Kind: KindHosts, Lang: string(docfmt.ZH)}
	d.Audit.Queries = mk(1179)
	found := false
	for _, tb := range allTables(d) {
		if tb.ID == "audit-queries" {
			found = true
			if len(tb.Rows) != 1179 {
				t.Errorf("audit-queries table: %d rows, want all 1179", len(tb.Rows))
			}
		}
	}
	if !found {
		t.Error("no audit-queries table")
	}
}
