package alertmanager

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestLiveWatchdogDeadman: the whole chain. A real Alertmanager routes the Watchdog alert to
// the heartbeat receiver → the deadman binary. Alertmanager is then SIGKILLed: the deadman
// notifies through its own webhook within its timeout. A new Alertmanager brings the
// heartbeat back and the deadman sends resolved.
func TestLiveWatchdogDeadman(t *testing.T) {
	testutil.Need(t, "prometheus-alertmanager")
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "deadman")
	if out, err := exec.Command(goBin, "build", "-o", bin, "./deadman").CombinedOutput(); err != nil {
		t.Fatalf("go build ./deadman: %v\n%s", err, out)
	}
	s := newSink(t)
	const timeout = 3 * time.Second
	port := testutil.FreePort(t)
	dm := exec.Command(bin, fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
		"--deadman.timeout="+timeout.String(), "--deadman.check-interval=100ms",
		"--deadman.webhook.url="+s.URL+"/webhook/deadman", "--deadman.site=bj1")
	logs := &syncBuffer{}
	dm.Stdout, dm.Stderr = logs, logs
	if err := dm.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = dm.Process.Kill()
		_ = dm.Wait()
		if t.Failed() {
			t.Logf("deadman log:\n%s", logs.String())
		}
	})
	dmURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	heartbeats := func() float64 {
		resp, err := http.Get(dmURL + "/metrics")
		if err != nil {
			return -1
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "deadman_heartbeats_total ") {
				v, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
				return v
			}
		}
		return -1
	}
	testenv.WaitFor(t, 10*time.Second, "deadman up", func() bool { return heartbeats() >= 0 })

	cfg := writeVariant(t, variant{sink: s, heartbeatURL: dmURL + "/heartbeat"})
	watchdog := alert("alertname", "Watchdog", "severity", "info", "team", "meta", "id", "watchdog")
	watchdog.EndsAt = time.Now().Add(time.Hour) // firing until Alertmanager dies
	am := startAM(t, "am-1", cfg)
	mustPost(t, am, []apiAlert{watchdog})
	testenv.WaitFor(t, 15*time.Second, "3 heartbeats at the deadman", func() bool { return heartbeats() >= 3 })
	if n := len(s.delivered()["deadman"]); n != 0 {
		t.Fatalf("deadman fired while heartbeats flowed")
	}

	am.Kill()
	killed := time.Now()
	testenv.WaitFor(t, timeout+5*time.Second, "deadman firing notification", func() bool { return len(s.delivered()["deadman"]) > 0 })
	lag := time.Since(killed)
	t.Logf("Alertmanager SIGKILLed → deadman notification after %s (timeout %s, Watchdog re-sent every ~1s in this variant)", lag.Round(time.Millisecond), timeout)
	if lag > timeout+2*time.Second {
		t.Errorf("deadman took %s, want ≤ timeout + heartbeat period + check interval", lag)
	}

	am2 := startAM(t, "am-2", cfg)
	restarted := time.Now()
	mustPost(t, am2, []apiAlert{watchdog})
	testenv.WaitFor(t, 15*time.Second, "deadman resolved notification", func() bool {
		for _, n := range s.all() {
			if n.Receiver == "deadman" && n.Webhook.Status == "resolved" {
				return true
			}
		}
		return false
	})
	t.Logf("new Alertmanager → deadman resolved %s after it was ready", time.Since(restarted).Round(time.Millisecond))
}
