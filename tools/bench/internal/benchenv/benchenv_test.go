package benchenv

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestLoadAvg: three non-negative numbers where /proc/loadavg exists,
// "unknown" where it does not.
func TestLoadAvg(t *testing.T) {
	got := LoadAvg()
	if _, err := os.Stat("/proc/loadavg"); err != nil {
		if got != "unknown" {
			t.Fatalf("no /proc/loadavg, got %q", got)
		}
		return
	}
	f := strings.Fields(got)
	if len(f) != 3 {
		t.Fatalf("%q: want three load averages", got)
	}
	for _, s := range f {
		if v, err := strconv.ParseFloat(s, 64); err != nil || v < 0 {
			t.Errorf("%q in %q is not a load average", s, got)
		}
	}
}
