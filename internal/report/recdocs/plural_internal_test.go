package recdocs

import (
	"strings"
	"testing"

	"github.com/jianguan/jianguan/internal/docfmt"
)

// TestEnglishPlurals_AlertText (issue 16): the English alert paragraph of
// the duty documents counts 0, 1 and 2 alerts with the noun's number.
func TestEnglishPlurals_AlertText(t *testing.T) {
	o := Options{Lang: docfmt.EN}
	for _, c := range []struct {
		n    int
		want string
	}{
		{0, "The store holds no alerts"},
		{1, "1 alert was detected: 1 acknowledged"},
		{2, "2 alerts were detected: 2 acknowledged"},
	} {
		s := alertStats{Total: c.n, Acked: c.n, Resolved: c.n}
		for i := range c.n {
			s.Delays = append(s.Delays, float64(60*(i+1)))
		}
		got := alertText(s, o)
		if !strings.Contains(got, c.want) {
			t.Errorf("n=%d: %q, want %q", c.n, got, c.want)
		}
		if errs := docfmt.PluralErrors(got); len(errs) > 0 {
			t.Errorf("n=%d: %q in %q", c.n, errs, got)
		}
	}
}
