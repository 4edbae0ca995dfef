package alertmanager

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// HA timings for the test cluster. peerTimeout is what the second node waits (per position)
// for the first node's notification log entry before sending itself.
const (
	haPeerTimeout = 2 * time.Second
	haGroupWait   = 2 * time.Second
)

type clusterStatus struct {
	Cluster struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Peers  []struct {
			Name    string `json:"name"`
			Address string `json:"address"`
		} `json:"peers"`
	} `json:"cluster"`
}

func amStatus(p *amProc) (clusterStatus, error) {
	var st clusterStatus
	resp, err := http.Get(p.URL + "/api/v2/status")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&st)
	return st, err
}

// groupDelivery summarises the webhook deliveries of one notification group.
type groupDelivery struct {
	receiver, key string
	count         int
	first         time.Time
	senders       []string
}

func groupsAfter(s *sink, since time.Time) map[string]*groupDelivery {
	out := map[string]*groupDelivery{}
	for _, n := range s.all() {
		if n.Kind != "webhook" || n.At.Before(since) {
			continue
		}
		k := n.Receiver + " " + n.Webhook.GroupKey
		g := out[k]
		if g == nil {
			g = &groupDelivery{receiver: n.Receiver, key: n.Webhook.GroupKey, first: n.At}
			out[k] = g
		}
		g.count++
		g.senders = append(g.senders, n.Webhook.ExternalURL)
	}
	return out
}

// TestHACluster: two Alertmanagers gossiping on loopback receive the same alerts (as from two
// Prometheus servers or one Prometheus sending to both). Each notification group is delivered
// exactly once. Then the node that has been sending is SIGKILLed right after the next batch was
// posted to both (before its group_wait ends): the survivor delivers that batch, once.
func TestHACluster(t *testing.T) {
	t.Parallel()
	s := newSink(t)
	cfg := writeVariant(t, variant{sink: s, groupWait: haGroupWait.String(), groupInterval: "2s", repeat: "1h"})
	p1, p2 := testutil.FreePort(t), testutil.FreePort(t)
	clusterArgs := func(self, peer int) []string {
		return []string{
			fmt.Sprintf("--cluster.listen-address=127.0.0.1:%d", self),
			fmt.Sprintf("--cluster.advertise-address=127.0.0.1:%d", self),
			fmt.Sprintf("--cluster.peer=127.0.0.1:%d", peer),
			"--cluster.peer-timeout=" + haPeerTimeout.String(),
			"--cluster.gossip-interval=100ms", // faster settle (10 × gossip interval per check)
			// probe and suspicion at Alertmanager's defaults (1s, 500ms): the
			// survivor still counts the killed node when it flushes, so it shows the real
			// fail-over path: wait one peer-timeout, find no nflog entry, send.
			"--cluster.pushpull-interval=2s",
			"--cluster.reconnect-interval=1s",
			"--cluster.settle-timeout=10s",
		}
	}
	nodes := []*amProc{
		startAM(t, "am-a", cfg, clusterArgs(p1, p2)...),
		startAM(t, "am-b", cfg, clusterArgs(p2, p1)...),
	}
	byURL := map[string]*amProc{nodes[0].URL: nodes[0], nodes[1].URL: nodes[1]}
	start := time.Now()
	testenv.WaitFor(t, 30*time.Second, "cluster of 2 ready", func() bool {
		for _, n := range nodes {
			st, err := amStatus(n)
			if err != nil || st.Cluster.Status != "ready" || len(st.Cluster.Peers) != 2 {
				return false
			}
		}
		return true
	})
	t.Logf("cluster of 2 formed and settled in %s", time.Since(start).Round(time.Millisecond))

	postBoth := func(alerts []apiAlert, to []*amProc) time.Time {
		at := time.Now()
		for _, n := range to {
			if err := postAlerts(n.URL, alerts); err != nil {
				t.Logf("post to %s: %v", n.name, err)
			}
		}
		return at
	}
	// checkOnce waits for want groups to be delivered after since, listens a while longer and
	// requires exactly one delivery per group.
	checkOnce := func(phase string, since time.Time, want int) (map[string]*groupDelivery, time.Duration) {
		t.Helper()
		testenv.WaitFor(t, 30*time.Second, phase+": all groups delivered", func() bool { return len(groupsAfter(s, since)) >= want })
		// A duplicate would come from the second node one peer-timeout after the first.
		time.Sleep(2*haPeerTimeout + 3*time.Second)
		groups := groupsAfter(s, since)
		var worst time.Duration
		keys := make([]string, 0, len(groups))
		for k := range groups {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			g := groups[k]
			lat := g.first.Sub(since)
			if lat > worst {
				worst = lat
			}
			t.Logf("%s: %-14s group %s delivered %d× after %s by %s", phase, g.receiver, g.key, g.count, lat.Round(time.Millisecond), strings.Join(g.senders, ","))
			if g.count != 1 {
				t.Errorf("%s: group %s %s delivered %d times, want exactly 1", phase, g.receiver, g.key, g.count)
			}
		}
		if len(groups) != want {
			t.Errorf("%s: %d groups delivered, want %d", phase, len(groups), want)
		}
		return groups, worst
	}

	// Phase 1: three groups (two lines, one unit's hosts), each sent to both nodes.
	batch1 := []apiAlert{
		alert("id", "ha-line-1", "alertname", "LineDown", "severity", "critical", "team", "network", "site", "bj1", "line", "L1"),
		alert("id", "ha-line-2", "alertname", "LineDown", "severity", "critical", "team", "network", "site", "bj1", "line", "L2"),
		alert("id", "ha-host-1", "alertname", "HostDown", "severity", "critical", "team", "hosts", "site", "bj1", "host", "web01", "unit", "财政局"),
		alert("id", "ha-host-2", "alertname", "HostDown", "severity", "critical", "team", "hosts", "site", "bj1", "host", "web02", "unit", "财政局"),
	}
	t1 := postBoth(batch1, nodes)
	// 3 pager groups + 4 recorder groups (route 0 groups by every label: one per alert).
	g1, worst1 := checkOnce("phase 1 (2 nodes)", t1, 3+4)
	wecom1 := len(s.wecomFor("oncall-network")) + len(s.wecomFor("oncall-hosts"))
	if wecom1 != 3 {
		t.Errorf("phase 1: %d WeCom messages, want 3 (one per group)", wecom1)
	}

	// The node that sent phase 1 is first in the cluster's notification order: kill it.
	sent := map[string]int{}
	for _, g := range g1 {
		for _, u := range g.senders {
			sent[u]++
		}
	}
	var leader, survivor *amProc
	for u, n := range sent {
		if leader == nil || n > sent[leader.URL] {
			leader = byURL[u]
		}
	}
	if leader == nil {
		t.Fatal("no sender identified")
	}
	for _, n := range nodes {
		if n != leader {
			survivor = n
		}
	}

	// Phase 2: the next groups reach both nodes, then the sending node dies before its
	// group_wait is over.
	batch2 := []apiAlert{
		alert("id", "ha-line-3", "alertname", "LineDown", "severity", "critical", "team", "network", "site", "bj1", "line", "L3"),
		alert("id", "ha-host-3", "alertname", "HostDown", "severity", "critical", "team", "hosts", "site", "bj1", "host", "db01", "unit", "公安局"),
	}
	t2 := postBoth(batch2, nodes)
	leader.Kill()
	killedAt := time.Now()
	killedAfter := killedAt.Sub(t2)
	// Measure when the survivor's memberlist declares the dead node gone (it then holds
	// position 0 and sends without waiting a peer-timeout).
	peerGone := make(chan time.Duration, 1)
	go func() {
		for time.Since(killedAt) < 20*time.Second {
			if st, err := amStatus(survivor); err == nil && len(st.Cluster.Peers) == 1 {
				peerGone <- time.Since(killedAt)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		peerGone <- -1
	}()
	if killedAfter >= haGroupWait {
		t.Fatalf("kill took %s, not before group_wait %s: test would not show fail-over", killedAfter, haGroupWait)
	}
	g2, worst2 := checkOnce("phase 2 ("+leader.name+" killed)", t2, 2+2) // pager + recorder
	for _, g := range g2 {
		for _, u := range g.senders {
			if u != survivor.URL {
				t.Errorf("phase 2: group %s sent by %s, want survivor %s", g.key, u, survivor.URL)
			}
		}
	}
	wecom2 := len(s.wecomFor("oncall-network")) + len(s.wecomFor("oncall-hosts")) - wecom1
	if wecom2 != 2 {
		t.Errorf("phase 2: %d WeCom messages, want 2", wecom2)
	}
	// Phase 1 groups must not be re-sent by the survivor (its nflog has them from gossip).
	again := 0
	for _, g := range groupsAfter(s, t2) {
		for _, g1g := range g1 {
			if g.key == g1g.key {
				again++
			}
		}
	}
	if again != 0 {
		t.Errorf("survivor re-sent %d phase-1 groups", again)
	}
	gone := <-peerGone
	t.Logf("HA summary: 2 nodes, peer-timeout %s, group_wait %s | phase 1: %d groups posted to both nodes → %d webhook + %d WeCom deliveries (exactly once per group), slowest %s after posting, all sent by %s | phase 2: %s SIGKILLed %s after posting → %d groups delivered once each by %s, slowest %s after posting | survivor dropped the dead peer %s after the kill (-1s = never)",
		haPeerTimeout, haGroupWait, len(g1), countAll(g1), wecom1, worst1.Round(time.Millisecond), leader.name,
		leader.name, killedAfter.Round(time.Millisecond), len(g2), survivor.name, worst2.Round(time.Millisecond), gone.Round(time.Millisecond))
}

func countAll(m map[string]*groupDelivery) int {
	n := 0
	for _, g := range m {
		n += g.count
	}
	return n
}
