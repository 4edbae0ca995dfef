package metricnames

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// literalAllowed lists the non-test Go files (module-relative) that may
// still spell a contract name as a string literal, each with its reason.
// Everything else — the report engine, simhistory, the plugin, the
// dashboards' variables, the simulated producers (simsite, truthgen), the
// efficiency defaults, the demo's checks and fakeprom — takes the names from
// this package.
var literalAllowed = map[string]string{
	// The producers: what an exporter exposes is defined where it is exposed;
	// docs/metrics.md and the rules/ and dashboards/ lints hold it to the contract.
	"exporters/env_exporter/signals.go":     "producer: env_exporter's fixed signals",
	"exporters/line_exporter/metrics.go":    "producer: line_exporter's exposition",
	"exporters/uptime_exporter/metrics.go":  "producer: uptime_exporter's exposition",
	"exporters/line_exporter/bench/main.go": "producer-side bench reading its own exposition",
}

// promqlTemplates are the dashboards generator's PromQL template functions:
// their literal arguments are PromQL panels, which dashboards' lint holds to
// docs/metrics.md name by name.
var promqlTemplates = map[string]bool{"e": true, "expr": true}

// contractNameRE matches any name of this package as a whole word of a string.
func contractNameRE() *regexp.Regexp {
	var alts []string
	for _, f := range Families {
		for _, n := range f.All() {
			alts = append(alts, regexp.QuoteMeta(n))
		}
	}
	for _, n := range append(Others, LineICMPRTT) {
		alts = append(alts, regexp.QuoteMeta(n))
	}
	return regexp.MustCompile(`(?:^|[^a-zA-Z0-9_:])(` + strings.Join(alts, "|") + `)(?:$|[^a-zA-Z0-9_:])`)
}

// contractLiterals returns "file:line: name" for every string literal of a
// Go source that spells a contract name, outside Desc fields and, when
// skipPromQL is set, promqlTemplates' arguments.
func contractLiterals(t *testing.T, fset *token.FileSet, f *ast.File, re *regexp.Regexp, skipPromQL bool) []string {
	t.Helper()
	skip := map[*ast.BasicLit]bool{}
	var found []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.CallExpr:
			if id, ok := x.Fun.(*ast.Ident); ok && skipPromQL && promqlTemplates[id.Name] {
				for _, a := range x.Args {
					skipAll(skip, a)
				}
			}
		case *ast.KeyValueExpr:
			if id, ok := x.Key.(*ast.Ident); ok && id.Name == "Desc" {
				skipAll(skip, x.Value) // a description for people may name a metric
			}
		case *ast.BasicLit:
			if x.Kind != token.STRING || skip[x] {
				return true
			}
			s, err := strconv.Unquote(x.Value)
			if err != nil {
				t.Fatalf("%s: %v", fset.Position(x.Pos()), err)
			}
			if m := re.FindStringSubmatch(s); m != nil {
				found = append(found, fset.Position(x.Pos()).String()+": "+m[1])
			}
		}
		return true
	})
	return found
}

// skipAll marks every literal under n.
func skipAll(skip map[*ast.BasicLit]bool, n ast.Node) {
	ast.Inspect(n, func(n ast.Node) bool {
		if l, ok := n.(*ast.BasicLit); ok {
			skip[l] = true
		}
		return true
	})
}

// TestNoContractNameLiterals: outside this package, its tests and the
// allow-list above, no Go source spells a contract metric name as a string
// literal, so renaming a metric here renames it for every reader.
func TestNoContractNameLiterals(t *testing.T) {
	re := contractNameRE()
	const root = "../.."
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch {
			case d.Name() == "node_modules", d.Name() == "testdata", d.Name() == "vendor",
				strings.HasPrefix(d.Name(), ".") && rel != ".", rel == "internal/metricnames":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") || literalAllowed[rel] != "" {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, l := range contractLiterals(t, fset, f, re, strings.HasPrefix(rel, "dashboards/")) {
			t.Errorf("%s: a contract metric name spelled as a literal; use internal/metricnames (or add the file to literalAllowed with its reason)", l)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestContractLiterals_Detects: the scan finds a name in a plain literal, a
// selector and a raw string, skips longer names, descriptions and, in the
// dashboards, PromQL template arguments.
func TestContractLiterals_Detects(t *testing.T) {
	const src = `package x
var a = "line_up"
var b = ` + "`{__name__=~\"host_up|website_up\"}`" + `
var c = "line_upx"
var d = "line:line_up:ratio"
var e2 = e("sum(env_door_open{$F})")
var f = "env_temperature_celsius{"
var g = e("rate(" + "line_icmp_probes_total[5m])")
var h = P{Desc: "line_unknown: 1 = unknown"}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := contractLiterals(t, fset, f, contractNameRE(), true)
	want := []string{"x.go:2:9: line_up", "x.go:3:9: host_up", "x.go:7:9: env_temperature_celsius"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := contractLiterals(t, fset, f, contractNameRE(), false); len(got) != 5 {
		t.Errorf("without the PromQL skip: %d hits, want 5 (%v)", len(got), got)
	}
}
