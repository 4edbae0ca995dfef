package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
)

// TestStartAlertmanager: a real Alertmanager routes a posted alert to a
// loopback webhook, naming its base URL as externalURL; it runs single
// (cluster disabled) unless told otherwise; Kill stops it at once.
func TestStartAlertmanager(t *testing.T) {
	if testing.Short() {
		t.Skip("real Alertmanager skipped in -short mode")
	}
	bin := testutil.Need(t, "prometheus-alertmanager")
	type delivery struct {
		ExternalURL string `json:"externalURL"`
		Alerts      []struct {
			Labels map[string]string `json:"labels"`
		} `json:"alerts"`
	}
	var mu sync.Mutex
	var got []delivery
	hook := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		var d delivery
		if err := json.NewDecoder(r.Body).Decode(&d); err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, d)
	}))
	t.Cleanup(hook.Close)
	cfg := filepath.Join(t.TempDir(), "alertmanager.yml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, `route: {receiver: hook, group_wait: 0s}
receivers:
  - name: hook
    webhook_configs: [{url: %q}]
`, hook.URL+"/hook"), 0o644); err != nil {
		t.Fatal(err)
	}
	am := StartAlertmanagerProc(t, bin, cfg)

	var status struct {
		Cluster struct {
			Status string `json:"status"`
		} `json:"cluster"`
	}
	resp, err := get(am.URL + "/api/v2/status")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&status)
	resp.Body.Close()
	if err != nil || status.Cluster.Status != "disabled" {
		t.Errorf("cluster status %q (%v), want disabled", status.Cluster.Status, err)
	}

	post, err := postBody(am.URL+"/api/v2/alerts", "application/json", `[{"labels":{"alertname":"TestenvProbe","id":"1"}}]`)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(post.Body)
	post.Body.Close()
	if post.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: %s %s", post.Status, body)
	}
	WaitFor(t, 30*time.Second, "the webhook delivery", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) > 0
	})
	mu.Lock()
	d := got[0]
	mu.Unlock()
	if d.ExternalURL != am.URL || len(d.Alerts) != 1 || d.Alerts[0].Labels["alertname"] != "TestenvProbe" {
		t.Errorf("delivery %+v, want TestenvProbe from %s", d, am.URL)
	}

	am.Kill()
	if resp, err := get(am.URL + "/-/ready"); err == nil {
		resp.Body.Close()
		t.Errorf("killed Alertmanager still answers: %s", resp.Status)
	}
}

// TestLaunchExited: a component that exits at once (a bad configuration)
// is reported without waiting out the readiness timeout, its log in the
// error.
func TestLaunchExited(t *testing.T) {
	bin := testutil.Need(t, "prometheus-alertmanager")
	cfg := filepath.Join(t.TempDir(), "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte("route: {receiver: nowhere}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = launch(procSpec{name: "alertmanager", bin: bin, base: fmt.Sprintf("http://127.0.0.1:%d", port), ready: "/-/ready",
		args: []string{"--config.file=" + cfg, "--storage.path=" + t.TempDir(), fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--cluster.listen-address="}})
	if err == nil || !strings.Contains(err.Error(), "the process exited") || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("launch error %v, want the exit and the log naming the undefined receiver", err)
	}
	if d := time.Since(start); d >= readyTimeout {
		t.Errorf("the exit took %v to notice", d)
	}
}

// TestWithDefaults: a flag given in extraArgs replaces the default of the
// same name, in either dash style; other defaults stay, in order.
func TestWithDefaults(t *testing.T) {
	for _, c := range []struct {
		name            string
		defaults, extra []string
		want            string
	}{
		{"none", []string{"--a=1", "--b=2"}, nil, "--a=1 --b=2"},
		{"replace", []string{"--a=1", "--b=2"}, []string{"--b=3"}, "--a=1 --b=3"},
		{"single dash", []string{"-retentionPeriod=100y", "-x"}, []string{"-retentionPeriod=1"}, "-x -retentionPeriod=1"},
		{"empty value", []string{"--cluster.listen-address=", "--log.level=info"}, []string{"--cluster.listen-address=127.0.0.1:9094"},
			"--log.level=info --cluster.listen-address=127.0.0.1:9094"},
		{"added", []string{"--a=1"}, []string{"--query.lookback-delta=15m"}, "--a=1 --query.lookback-delta=15m"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := strings.Join(withDefaults(c.defaults, c.extra), " "); got != c.want {
				t.Errorf("withDefaults(%q, %q) = %q, want %q", c.defaults, c.extra, got, c.want)
			}
		})
	}
}

// postBody is one POST of body within requestTimeout; the caller closes the
// response body.
func postBody(u, contentType, body string) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = cancelOnClose{resp.Body, cancel}
	return resp, nil
}
