package report

import (
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
)

// FuzzMatchersNoInjection: whatever a parameter holds, the selector built
// from it parses as exactly one equality matcher with that very value.
func FuzzMatchersNoInjection(f *testing.F) {
	for _, s := range []string{`dc1`, `dc1"} or vector(1) #`, "a\\\"b", "市财政局", "\x00\n`'", `\u0041`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		m, err := Matchers(map[string]string{"site": v})
		if err != nil {
			t.Fatal(err)
		}
		ms, err := parser.NewParser(parser.Options{}).ParseMetricSelector("x{" + m + "}")
		if err != nil {
			// Invalid UTF-8 cannot be a Prometheus label value anyway.
			return
		}
		site := 0
		for _, x := range ms {
			switch x.Name {
			case "site":
				site++
				if x.Value != v || x.Type.String() != "=" {
					t.Fatalf("%q → %s → %v", v, m, ms)
				}
			case "__name__":
			default:
				t.Fatalf("%q injected matcher %v", v, x)
			}
		}
		if len(ms) != 2 || site != 1 {
			t.Fatalf("%q → %s → %v", v, m, ms)
		}
	})
}

// FuzzParseMonth never panics and only accepts finished YYYY-MM months.
func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"2026-10", "2026-13", "9999-12", "", "2026-1x"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMonth(s, Shanghai, now)
		if err == nil && (m.End.After(now) || m.String() != s || m.Seconds() < 28*86400) {
			t.Fatalf("%q accepted as %+v", s, m)
		}
	})
}
