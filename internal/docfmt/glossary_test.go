package docfmt

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// stringConsts returns the string constants of the non-test Go files in
// dir whose names satisfy keep, read from the source (so the test follows
// the code without importing it).
func stringConsts(t *testing.T, dir string, keep func(name string) bool) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, decl := range af.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i >= len(vs.Values) || !keep(n.Name) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						out[n.Name] = v
					}
				}
			}
		}
	}
	return out
}

func checkCodes(t *testing.T, where string, codes map[string]string) {
	t.Helper()
	if len(codes) == 0 {
		t.Fatalf("%s: found no codes (did the code move?)", where)
	}
	for name, code := range codes {
		w, ok := Glossary[code]
		if !ok {
			t.Errorf("%s: %s = %q has no glossary entry", where, name, code)
			continue
		}
		if strings.TrimSpace(w.ZH) == "" || strings.TrimSpace(w.EN) == "" {
			t.Errorf("%s: %q lacks a wording in one language: %+v", where, code, w)
		}
	}
}

// TestGlossaryCoversReportModel: every status, report kind and maintenance
// policy constant of internal/report has wording in both languages.
func TestGlossaryCoversReportModel(t *testing.T) {
	codes := stringConsts(t, "../report", func(n string) bool {
		return strings.HasPrefix(n, "Status") || strings.HasPrefix(n, "Kind") || strings.HasPrefix(n, "Maintenance")
	})
	for _, want := range []string{"StatusMet", "StatusBreached", "StatusIndeterminate", "KindInfrastructure", "KindLines", "KindHosts", "KindProviders", "MaintenanceExcluded"} {
		if _, ok := codes[want]; !ok {
			t.Errorf("internal/report has no constant %s any more: update this test and the glossary", want)
		}
	}
	checkCodes(t, "internal/report", codes)

	// Namespaces: the case labels of familyFor in internal/report/fetch.go.
	fset := token.NewFileSet()
	af, err := parser.ParseFile(fset, "../report/fetch.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ns := map[string]string{}
	ast.Inspect(af, func(n ast.Node) bool {
		fd, ok := n.(*ast.FuncDecl)
		if !ok || fd.Name.Name != "familyFor" {
			return true
		}
		ast.Inspect(fd, func(n ast.Node) bool {
			if cc, ok := n.(*ast.CaseClause); ok {
				for _, e := range cc.List {
					if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						ns["familyFor case "+v] = v
					}
				}
			}
			return true
		})
		return false
	})
	checkCodes(t, "internal/report familyFor", ns)
}

// TestGlossaryCoversEnvConditions: every machine-room condition of
// env_exporter has wording.
func TestGlossaryCoversEnvConditions(t *testing.T) {
	codes := stringConsts(t, "../../exporters/env_exporter", func(n string) bool { return strings.HasPrefix(n, "cond") })
	checkCodes(t, "exporters/env_exporter", codes)
}

// TestGlossaryCoversCalendar: period kinds, guard kinds and data statuses.
func TestGlossaryCoversCalendar(t *testing.T) {
	codes := stringConsts(t, "../calendar", func(n string) bool {
		return strings.HasPrefix(n, "Kind") || strings.HasPrefix(n, "Guard") || strings.HasPrefix(n, "Status")
	})
	checkCodes(t, "internal/calendar", codes)
}

func TestGlossaryFixedCodes(t *testing.T) {
	codes := map[string]string{}
	for _, c := range []string{"bgp", "leased", "line", "host", "website", "up", "down", "unknown", "maintenance",
		"met", "not_met", "indeterminate", "no_target", "carrier", "cloud", "critical", "warning", "info"} {
		codes[c] = c
	}
	checkCodes(t, "issue 16 list", codes)
	golden := []struct{ code, zh, en string }{
		{"bgp", "互联网BGP线路", "BGP internet line"},
		{"leased", "专线", "leased line"},
		{"on_battery", "UPS 电池供电", "UPS on battery"},
		{"temperature_out_of_band", "温度超出范围", "temperature out of range"},
		{"leak", "漏水", "water leak"},
		{"down", "中断", "down"},
		{"not_met", "未达标", "not met"},
		{"no_target", "（无目标）", "(no target)"},
		{"carrier", "基础电信运营商", "telecom carrier"},
	}
	for _, g := range golden {
		zh, err1 := Term(g.code, ZH)
		en, err2 := Term(g.code, EN)
		if zh != g.zh || en != g.en || err1 != nil || err2 != nil {
			t.Errorf("Term(%s) = %q/%q (%v %v), want %q/%q", g.code, zh, en, err1, err2, g.zh, g.en)
		}
	}
}

// TestTerm_UnknownCodeIsLoud: an unknown code gives an error and a marker,
// never the bare code.
func TestTerm_UnknownCodeIsLoud(t *testing.T) {
	zh, err := Term("ups_on_fire", ZH)
	if err == nil || zh != "〔未定义术语：ups_on_fire〕" {
		t.Errorf("zh %q %v", zh, err)
	}
	en, err := Term("ups_on_fire", EN)
	if err == nil || en != "[undefined term: ups_on_fire]" {
		t.Errorf("en %q %v", en, err)
	}
	// The wording of zh-CN terms passes the English check, apart from allowed abbreviations.
	for _, c := range Codes() {
		w, _ := Term(c, ZH)
		if words := ASCIIWords(w); len(words) > 0 {
			t.Errorf("zh wording of %q contains English %v", c, words)
		}
	}
}
