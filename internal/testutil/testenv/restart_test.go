package testenv

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
)

// TestProcRestart: a real Prometheus keeps its port and the samples it
// scraped before Restart — restarted while running, or after a Terminate
// (an outage) — and is a new process afterwards.
func TestProcRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("real Prometheus skipped in -short mode")
	}
	bin := testutil.Need(t, "prometheus")
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "testenv_restart_probe 1")
	}))
	t.Cleanup(target.Close)
	config := fmt.Sprintf("global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: probe\n    static_configs: [{targets: [%q]}]\n",
		strings.TrimPrefix(target.URL, "http://"))
	for _, c := range []struct {
		name      string
		terminate bool // Terminate first: Restart a stopped process
	}{
		{"running", false},
		{"terminated", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := LaunchPrometheus(bin, config, filepath.Join(t.TempDir(), "data"))
			p = own(t, p, err)
			url := p.URL
			startTime := func() string {
				t.Helper()
				resp, err := get(p.URL + "/api/v1/status/runtimeinfo")
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var r struct {
					Data struct {
						StartTime string `json:"startTime"`
					} `json:"data"`
				}
				if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Data.StartTime == "" {
					t.Fatalf("runtimeinfo: %+v %v", r, err)
				}
				return r.Data.StartTime
			}
			WaitFor(t, 60*time.Second, "a scraped sample", func() bool {
				s, err := Query(p.URL, "testenv_restart_probe")
				return err == nil && len(s) == 1
			})
			before := time.Now()
			firstStart := startTime()

			if c.terminate {
				p.Terminate()
				if resp, err := get(p.URL + "/-/ready"); err == nil {
					resp.Body.Close()
					t.Fatalf("terminated Prometheus still answers: %s", resp.Status)
				}
			}
			p.Restart(t)

			if p.URL != url {
				t.Errorf("URL %s after Restart, want %s", p.URL, url)
			}
			if got := startTime(); got == firstStart {
				t.Errorf("start time %s unchanged: not restarted", got)
			}
			// The samples scraped before the restart are still there.
			s, err := QueryAt(p.URL, "count_over_time(testenv_restart_probe[1h])", before)
			if err != nil || len(s) != 1 || s[0].Value == "0" {
				t.Errorf("samples before the restart: %v %v, want some", s, err)
			}
			if !strings.Contains(p.Log(), "---- restarted") {
				t.Errorf("log has no restart mark:\n%s", p.Log())
			}
		})
	}
}
