package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/jianguan/jianguan/internal/records"
	tu "github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// startAlertmanager runs one clustered node (self: its cluster port, peer:
// the other node's) through testenv; its log is printed if the test fails.
func startAlertmanager(t *testing.T, cfg string, self, peer int) *testenv.Proc {
	t.Helper()
	bin := tu.Need(t, "prometheus-alertmanager")
	return testenv.StartAlertmanagerProc(t, bin, cfg,
		fmt.Sprintf("--cluster.listen-address=127.0.0.1:%d", self), fmt.Sprintf("--cluster.advertise-address=127.0.0.1:%d", self),
		fmt.Sprintf("--cluster.peer=127.0.0.1:%d", peer),
		// A peer timeout far below the gossip interval: the second node sends
		// before it hears that the first did, so the recorder really sees both
		// peers' copies and must deduplicate them itself.
		"--cluster.peer-timeout=10ms", "--cluster.gossip-interval=200ms", "--cluster.pushpull-interval=2s",
		"--cluster.settle-timeout=5s", "--log.level=debug")
}

// clusterReady: the node at url reports a ready cluster of two peers.
func clusterReady(url string) bool {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url+"/api/v2/status", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var st struct {
		Cluster struct {
			Status string `json:"status"`
			Peers  []any  `json:"peers"`
		} `json:"cluster"`
	}
	return json.NewDecoder(resp.Body).Decode(&st) == nil && st.Cluster.Status == "ready" && len(st.Cluster.Peers) == 2
}

func postAlerts(t *testing.T, url string, alerts []map[string]any) {
	t.Helper()
	b, _ := json.Marshal(alerts)
	resp, err := http.Post(url+"/api/v2/alerts", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s/api/v2/alerts: %s", url, resp.Status)
	}
}

// TestHAPairExactlyOnce: two real, clustered Alertmanagers deliver to the
// recorder; every notification (10 groups × firing, resolved) is stored
// exactly once although both peers deliver it.
func TestHAPairExactlyOnce(t *testing.T) {
	e := newEnv(t, testConfig(t), "", "")
	dir := t.TempDir()
	amCfg := filepath.Join(dir, "alertmanager.yml")
	yml := fmt.Sprintf(`route:
  receiver: recorder
  group_by: [alertname, ups]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: recorder
    webhook_configs:
      - url: %s/api/v1/alertmanager
        send_resolved: true
        http_config:
          basic_auth: {username: alertmanager, password: unused-in-process}
`, e.http.URL)
	if err := os.WriteFile(amCfg, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	p1, p2 := tu.FreePort(t), tu.FreePort(t)
	nodes := []*testenv.Proc{startAlertmanager(t, amCfg, p1, p2), startAlertmanager(t, amCfg, p2, p1)}
	testenv.WaitFor(t, 60*time.Second, "cluster of 2 ready", func() bool { return clusterReady(nodes[0].URL) && clusterReady(nodes[1].URL) })

	const groups = 10
	starts := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	alerts := func(resolved bool) []map[string]any {
		var as []map[string]any
		for i := range groups {
			a := map[string]any{"labels": map[string]string{"alertname": "UPSOnBattery", "ups": fmt.Sprintf("ups-%d", i)},
				"annotations": map[string]string{"summary": "市电中断"}, "startsAt": starts.Format(time.RFC3339)}
			if resolved {
				a["endsAt"] = time.Now().UTC().Format(time.RFC3339)
			}
			as = append(as, a)
		}
		return as
	}
	// As Prometheus does: the same alerts (same startsAt) to both peers.
	fire := alerts(false)
	for _, n := range nodes {
		postAlerts(t, n.URL, fire)
	}
	testenv.WaitFor(t, 60*time.Second, "10 firing notifications", func() bool { return count(t, e.store) >= groups })
	resolve := alerts(true)
	for _, n := range nodes {
		postAlerts(t, n.URL, resolve)
	}
	testenv.WaitFor(t, 60*time.Second, "10 resolved notifications", func() bool { return count(t, e.store) >= 2*groups })
	time.Sleep(4 * time.Second) // later copies from the second peer would arrive by now

	ns, err := e.store.ListNotifications(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, n := range ns {
		seen[n.GroupKey+" "+n.Status]++
	}
	if len(ns) != 2*groups || len(seen) != 2*groups {
		t.Errorf("%d notifications in %d (group, status) pairs, want %d each: %v", len(ns), len(seen), 2*groups, seen)
	}
	as, _ := e.store.ListAlerts(context.Background(), records.AlertFilter{})
	resolvedN := 0
	for _, a := range as {
		if a.Status == "resolved" && a.ResolvedAt != nil && a.NotifiedAt != nil {
			resolvedN++
		}
	}
	if len(as) != groups || resolvedN != groups {
		t.Errorf("%d alerts, %d resolved with times, want %d", len(as), resolvedN, groups)
	}
	stored := testutil.ToFloat64(e.srv.webhooks.WithLabelValues("stored"))
	dups := testutil.ToFloat64(e.srv.webhooks.WithLabelValues("duplicate"))
	t.Logf("deliveries: %v stored, %v duplicates from the second peer", stored, dups)
	if dups == 0 {
		t.Error("no duplicate delivery seen: the test did not exercise the recorder's deduplication")
	}
}
