package report

import (
	"bytes"
	"encoding/csv"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// TestHostile_NonUTF8CSV: cells with bytes that are not UTF-8 and cells a
// spreadsheet would evaluate come out of CSV as valid UTF-8 text with a
// quote prefix, and out of XLSX as readable string cells.
func TestHostile_NonUTF8CSV(t *testing.T) {
	cases := []struct{ in, csv string }{
		{"=1+1", "'=1+1"},
		{"+1+1", "'+1+1"},
		{"-1+1", "'-1+1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"-1", "-1"},
		{"-0.25", "-0.25"},
		{"+3e5", "+3e5"},
		{"-", "'-"},
		{"ok\xff\xfe=1", "ok\uFFFD=1"},
		{"=\xc3(", "'=\uFFFD("},
		{"普通", "普通"},
	}
	d := &Document{Title: "t", TitleEN: "t", Month: "2026-10"}
	tb := Table{ID: "x", Title: "表", TitleEN: "T", Columns: []Column{col("值", "Value")}}
	for _, c := range cases {
		tb.Rows = append(tb.Rows, []string{c.in})
	}
	d.Sections = []Section{{ID: "s", Tables: []Table{tb}}}
	var b bytes.Buffer
	if err := RenderCSV(&b, d); err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(b.Bytes()) {
		t.Error("CSV is not valid UTF-8")
	}
	r := csv.NewReader(bytes.NewReader(b.Bytes()))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, rec := range recs {
		for _, c := range rec {
			got[c] = true
		}
	}
	for _, c := range cases {
		if !got[c.csv] {
			t.Errorf("%q: CSV lacks %q", c.in, c.csv)
		}
	}
	b.Reset()
	if err := RenderXLSX(&b, d); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i, c := range cases {
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		v, _ := f.GetCellValue("表", cell)
		typ, _ := f.GetCellType("表", cell)
		fm, _ := f.GetCellFormula("表", cell)
		if v != string([]rune(c.in)) && v != stringsToValid(c.in) || fm != "" || (typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString) {
			t.Errorf("%q: XLSX %s = %q type %v formula %q", c.in, cell, v, typ, fm)
		}
	}
}

func stringsToValid(s string) string { return string(bytes.ToValidUTF8([]byte(s), []byte("\uFFFD"))) }
