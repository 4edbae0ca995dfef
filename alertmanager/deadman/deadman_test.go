package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/promslog"
)

type fakeNotifier struct {
	name   string
	mu     sync.Mutex
	fail   int // fail this many more attempts
	events []event
}

func (f *fakeNotifier) Name() string { return f.name }

func (f *fakeNotifier) Notify(_ context.Context, e event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		return errors.New("boom")
	}
	f.events = append(f.events, e)
	return nil
}

func (f *fakeNotifier) statuses() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s []string
	for _, e := range f.events {
		s = append(s, e.Status)
	}
	return strings.Join(s, ",")
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{t: time.Date(2026, 11, 28, 16, 0, 0, 0, time.UTC)} }
func counter(m *metrics, r string) float64 {
	return testutil.ToFloat64(m.notifications.WithLabelValues(r))
}

func newTestSwitch(c *clock, ns ...notifier) (*Switch, *metrics) {
	m := newMetrics(prometheus.NewRegistry())
	s := newSwitch(promslog.NewNopLogger(), m, ns, c.now)
	s.Timeout, s.NotifyTimeout, s.Name, s.Site = 5*time.Minute, time.Second, "test", "bj1"
	return s, m
}

func TestSwitchFiresResolvesAndRetries(t *testing.T) {
	c := newClock()
	wh := &fakeNotifier{name: "webhook"}
	wc := &fakeNotifier{name: "wecom", fail: 1}
	s, m := newTestSwitch(c, wh, wc)
	ctx := context.Background()

	// Never heard a heartbeat: the silence counts from the start.
	c.add(4 * time.Minute)
	s.Check(ctx)
	if wh.statuses() != "" || testutil.ToFloat64(m.alerting) != 0 {
		t.Fatal("fired before the timeout")
	}
	s.Heartbeat()
	c.add(5 * time.Minute) // exactly the timeout: not yet
	s.Check(ctx)
	if wh.statuses() != "" {
		t.Fatal("fired at exactly the timeout")
	}
	c.add(time.Second)
	s.Check(ctx)
	if wh.statuses() != "firing" || wc.statuses() != "" || testutil.ToFloat64(m.alerting) != 1 {
		t.Fatalf("after timeout: webhook=%q wecom=%q alerting=%v", wh.statuses(), wc.statuses(), testutil.ToFloat64(m.alerting))
	}
	if counter(m, "success") != 1 || counter(m, "failure") != 1 {
		t.Fatalf("notifications success=%v failure=%v", counter(m, "success"), counter(m, "failure"))
	}
	// The failed WeCom attempt is retried at the next check; the webhook is not re-sent.
	c.add(10 * time.Second)
	s.Check(ctx)
	if wh.statuses() != "firing" || wc.statuses() != "firing" {
		t.Fatalf("retry: webhook=%q wecom=%q", wh.statuses(), wc.statuses())
	}
	if e := wh.events[0]; !e.FiringSince.Equal(e.LastHeartbeat.Add(5*time.Minute)) || !strings.Contains(description(e), "2026-11-29 00:04:00") {
		t.Fatalf("firing event: since %v last %v description %q", e.FiringSince, e.LastHeartbeat, description(e))
	}
	// Heartbeats return: resolved once on every path.
	s.Heartbeat()
	s.Check(ctx)
	s.Check(ctx)
	if wh.statuses() != "firing,resolved" || wc.statuses() != "firing,resolved" || testutil.ToFloat64(m.alerting) != 0 {
		t.Fatalf("resolved: webhook=%q wecom=%q", wh.statuses(), wc.statuses())
	}
	if counter(m, "success") != 4 {
		t.Fatalf("success = %v, want 4", counter(m, "success"))
	}
}

func TestSwitchRepeat(t *testing.T) {
	c := newClock()
	wh := &fakeNotifier{name: "webhook"}
	s, _ := newTestSwitch(c, wh)
	s.RepeatInterval = time.Hour
	s.Heartbeat()
	c.add(6 * time.Minute)
	s.Check(context.Background())
	c.add(59 * time.Minute)
	s.Check(context.Background())
	if wh.statuses() != "firing" {
		t.Fatalf("before repeat: %q", wh.statuses())
	}
	c.add(time.Minute)
	s.Check(context.Background())
	if wh.statuses() != "firing,firing" {
		t.Fatalf("after repeat interval: %q", wh.statuses())
	}
}

func TestSwitchNoResolvedWithoutFiring(t *testing.T) {
	c := newClock()
	wh := &fakeNotifier{name: "webhook", fail: 100}
	s, m := newTestSwitch(c, wh)
	c.add(6 * time.Minute)
	s.Check(context.Background()) // firing attempt fails
	wh.fail = 0
	s.Heartbeat()
	s.Check(context.Background())
	if wh.statuses() != "" || counter(m, "failure") != 1 {
		t.Fatalf("a resolved was sent for a firing nobody got: %q", wh.statuses())
	}
}

func TestHeartbeatHandler(t *testing.T) {
	c := newClock()
	s, m := newTestSwitch(c, &fakeNotifier{name: "webhook"})
	h := heartbeatHandler(s, promslog.NewNopLogger())
	do := func(method, body string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, "/heartbeat", strings.NewReader(body)))
		return rec.Code
	}
	if code := do(http.MethodGet, ""); code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", code)
	}
	if code := do(http.MethodPost, "{not json"); code != http.StatusBadRequest {
		t.Errorf("bad JSON: %d", code)
	}
	if code := do(http.MethodPost, `{"version":"4","status":"resolved","alerts":[{"status":"resolved","labels":{"alertname":"Watchdog"}}]}`); code != 200 {
		t.Errorf("resolved: %d", code)
	}
	if n := testutil.ToFloat64(m.heartbeats); n != 0 {
		t.Fatalf("non-firing notification counted as heartbeat (%v)", n)
	}
	if code := do(http.MethodPost, `{"version":"4","status":"firing","receiver":"heartbeat","alerts":[{"status":"firing","labels":{"alertname":"Watchdog"}}]}`); code != 200 {
		t.Errorf("firing: %d", code)
	}
	if n := testutil.ToFloat64(m.heartbeats); n != 1 {
		t.Fatalf("heartbeats_total = %v", n)
	}
	if ts := testutil.ToFloat64(m.lastHeartbeat); ts != float64(c.t.Unix()) {
		t.Fatalf("last heartbeat timestamp %v, want %v", ts, c.t.Unix())
	}
}

func TestMessagesChinese(t *testing.T) {
	e := event{Status: "firing", Name: "bj1 Prometheus→Alertmanager", Site: "bj1", Timeout: 5 * time.Minute,
		LastHeartbeat: time.Date(2026, 11, 28, 16, 0, 0, 0, time.UTC), FiringSince: time.Date(2026, 11, 28, 16, 5, 0, 0, time.UTC)}
	md := markdown(e)
	for _, w := range []string{"监控链路心跳中断", "bj1 Prometheus→Alertmanager", "2026-11-29 00:00:00", "站点：bj1", "[紧急]"} {
		if !strings.Contains(md, w) {
			t.Errorf("firing markdown lacks %q:\n%s", w, md)
		}
	}
	e.Status, e.ResolvedAt = "resolved", time.Date(2026, 11, 28, 16, 7, 30, 0, time.UTC)
	p := payload(e)
	if p.Status != "resolved" || p.Alerts[0].Labels["alertname"] != alertName || !strings.Contains(p.Alerts[0].Annotations["description"], "2026-11-29 00:07:30") {
		t.Errorf("resolved payload: %+v", p)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	for _, args := range [][]string{
		{"--web.listen-address=127.0.0.1:0"},                                                                      // no notification path
		{"--web.listen-address=127.0.0.1:0", "--deadman.wecom.corp-id=c"},                                         // WeCom without secret/agent
		{"--web.listen-address=127.0.0.1:0", "--deadman.webhook.url=http://127.0.0.1:1/", "--deadman.timeout=0s"}, // no timeout
		{"--no-such-flag"},
	} {
		if code := run(args); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
	}
}

// FuzzHeartbeatHandler: any body gets 200 or 400, never a panic, and only a payload with a
// firing alert counts as a heartbeat.
func FuzzHeartbeatHandler(f *testing.F) {
	f.Add(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Watchdog"}}]}`)
	f.Add(`{"alerts":[{"status":"resolved"}]}`)
	f.Add(`{`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, body string) {
		c := newClock()
		s, m := newTestSwitch(c, &fakeNotifier{name: "webhook"})
		h := heartbeatHandler(s, promslog.NewNopLogger())
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/heartbeat", strings.NewReader(body)))
		if rec.Code != 200 && rec.Code != 400 {
			t.Fatalf("status %d", rec.Code)
		}
		if rec.Code == 400 && testutil.ToFloat64(m.heartbeats) != 0 {
			t.Fatal("rejected payload counted as heartbeat")
		}
	})
}
