package benchenv

import (
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
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

// TestProcCPUSeconds: this process's CPU seconds, a number that grows
// with work; NaN for a process that does not exist.
func TestProcCPUSeconds(t *testing.T) {
	a := ProcCPUSeconds(os.Getpid())
	deadline := time.Now().Add(300 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = strconv.Itoa(x)
	}
	b := ProcCPUSeconds(os.Getpid())
	if math.IsNaN(a) || math.IsNaN(b) || b <= a {
		t.Errorf("CPU seconds %v then %v after 0.3 s of work", a, b)
	}
	if v := ProcCPUSeconds(-1); !math.IsNaN(v) {
		t.Errorf("no process: %v, want NaN", v)
	}
}

// TestListenerPID: a real Prometheus is found by its URL's port, and
// nothing by a port no Prometheus listens on or by a URL without one.
func TestListenerPID(t *testing.T) {
	u := testenv.StartPrometheus(t, testutil.Need(t, "prometheus"), t.TempDir())
	pid := ListenerPID(u)
	if pid == 0 {
		t.Fatalf("no process found for %s", u)
	}
	comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if strings.TrimSpace(string(comm)) != "prometheus" || math.IsNaN(ProcCPUSeconds(pid)) {
		t.Errorf("process %d (%q) for %s", pid, comm, u)
	}
	for _, bad := range []string{"http://127.0.0.1:1", "http://127.0.0.1", "://"} {
		if p := ListenerPID(bad); p != 0 {
			t.Errorf("%s: process %d, want none", bad, p)
		}
	}
}
