package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// backends runs fn once per backend on a fresh, migrated store: SQLite in
// t.TempDir() and a real PostgreSQL (one server, one database per subtest).
func backends(t *testing.T, fn func(t *testing.T, open func() Store)) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "records.db")
		fn(t, func() Store {
			s, err := Open(context.Background(), SQLite, path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
	t.Run("postgres", func(t *testing.T) {
		srv := testenv.StartPostgres(t)
		dsn := srv.NewDB(t)
		fn(t, func() Store {
			s, err := Open(context.Background(), Postgres, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
}

var t0 = time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC)

func notif(status string, at time.Time, peer string, alerts ...WebhookAlert) *Notification {
	return &Notification{
		Version: "4", GroupKey: `{}/{severity="critical"}:{alertname="UPSOnBattery"}`, Status: status, Receiver: "noc-critical",
		GroupLabels: map[string]string{"alertname": "UPSOnBattery"}, ExternalURL: peer, Alerts: alerts,
		ReceivedAt: at, ReceivedBy: "alertmanager",
	}
}

func alert(fp, status string, starts, ends time.Time) WebhookAlert {
	return WebhookAlert{Status: status, Fingerprint: fp, StartsAt: starts, EndsAt: ends,
		Labels:      map[string]string{"alertname": "UPSOnBattery", "ups": fp},
		Annotations: map[string]string{"summary": "UPS " + fp + " 电池供电"}}
}

func TestStore(t *testing.T) {
	backends(t, func(t *testing.T, open func() Store) {
		ctx := context.Background()
		s := open()
		win := time.Minute

		// Firing from peer A, then the same from peer B 15 s later: one notification.
		a1 := alert("aaa1", "firing", t0, time.Time{})
		r1, err := s.Ingest(ctx, notif("firing", t0.Add(30*time.Second), "http://am-a:9093", a1), win)
		if err != nil || r1.Duplicate || len(r1.AlertIDs) != 1 {
			t.Fatalf("first: %+v %v", r1, err)
		}
		a1b := a1
		a1b.EndsAt = t0.Add(10 * time.Minute) // a peer may carry another firing endsAt: ignored
		r2, err := s.Ingest(ctx, notif("firing", t0.Add(45*time.Second), "http://am-b:9093", a1b), win)
		if err != nil || !r2.Duplicate || r2.NotificationID != r1.NotificationID {
			t.Fatalf("peer duplicate: %+v %v", r2, err)
		}
		// The repeat after repeat_interval is a new notification.
		r3, err := s.Ingest(ctx, notif("firing", t0.Add(10*time.Minute), "http://am-a:9093", a1), win)
		if err != nil || r3.Duplicate {
			t.Fatalf("repeat: %+v %v", r3, err)
		}
		if n, _ := s.CountNotifications(ctx); n != 2 {
			t.Fatalf("notifications = %d, want 2", n)
		}
		id := r1.AlertIDs[0]
		if _, err := s.Acknowledge(ctx, id, "张工", "到场检查 UPS", t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Acknowledge(ctx, id, "李工", "second note", t0.Add(3*time.Minute)); err != nil {
			t.Fatal(err)
		}
		resolved := alert("aaa1", "resolved", t0, t0.Add(20*time.Minute))
		if _, err := s.Ingest(ctx, notif("resolved", t0.Add(21*time.Minute), "http://am-b:9093", resolved), win); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetAlert(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			got  *float64
			want float64
		}{{"notify", got.TimeToNotify, 30}, {"ack", got.TimeToAck, 120}, {"resolve", got.TimeToResolve, 1200}} {
			if c.got == nil || *c.got != c.want {
				t.Errorf("time to %s = %v, want %v", c.name, c.got, c.want)
			}
		}
		if got.Status != "resolved" || len(got.Acks) != 2 || got.Acks[0].Who != "张工" || !got.AcknowledgedAt.Equal(t0.Add(2*time.Minute)) {
			t.Errorf("alert: %+v", got)
		}
		list, err := s.ListAlerts(ctx, AlertFilter{Status: "resolved"})
		if err != nil || len(list) != 1 || list[0].ID != id {
			t.Fatalf("list: %+v %v", list, err)
		}
		if l, _ := s.ListAlerts(ctx, AlertFilter{Status: "firing"}); len(l) != 0 {
			t.Errorf("firing list: %+v", l)
		}
		ns, err := s.ListNotifications(ctx, 10)
		if err != nil || len(ns) != 3 || ns[0].Status != "resolved" || len(ns[0].Alerts) != 1 || ns[0].Alerts[0].Fingerprint != "aaa1" {
			t.Fatalf("notifications: %+v %v", ns, err)
		}
		// History: create, duplicate noted, acknowledge with before/after.
		h, err := s.History(ctx, "notification", r1.NotificationID)
		if err != nil || len(h) != 2 || h[0].Action != "create" || h[1].Action != "duplicate" || !strings.Contains(string(h[1].After), "am-b") {
			t.Fatalf("notification history: %+v %v", h, err)
		}
		h, err = s.History(ctx, "alert", id)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range h {
			actions = append(actions, e.Action+"/"+e.Actor)
		}
		if strings.Join(actions, ",") != "create/alertmanager,notify/alertmanager,acknowledge/张工,notify/alertmanager" {
			t.Errorf("alert history: %v", actions)
		}
		if h[2].Before == nil || !strings.Contains(string(h[2].Before), `"acknowledgedAt":null`) || !strings.Contains(string(h[2].After), "2026-11-03T02:02:00Z") {
			t.Errorf("ack before/after: %s → %s", h[2].Before, h[2].After)
		}
		// Reopening the store keeps everything (and migrating twice is a no-op).
		s2 := open()
		if n, _ := s2.CountNotifications(ctx); n != 3 {
			t.Errorf("after reopen: %d notifications", n)
		}
	})
}

func TestSignOffAndAmend(t *testing.T) {
	backends(t, func(t *testing.T, open func() Store) {
		ctx := context.Background()
		s := open()
		r, err := s.CreateRecord(ctx, "editor", Record{Kind: "alert_handling", Title: "UPS-A 放电", Body: json.RawMessage(`{"steps":["检查"]}`)})
		if err != nil {
			t.Fatal(err)
		}
		if r, err = s.UpdateRecord(ctx, "editor2", r.ID, "UPS-A 放电处理", json.RawMessage(`{"steps":["检查","复电"]}`)); err != nil || r.UpdatedBy != "editor2" {
			t.Fatalf("update: %+v %v", r, err)
		}
		if _, err := s.Amend(ctx, "editor", r.ID, Record{Title: "x", Body: json.RawMessage(`{}`)}); !errors.Is(err, ErrInvalid) {
			t.Errorf("amend of an unsigned record: %v, want ErrInvalid", err)
		}
		signed, err := s.SignOff(ctx, "admin", r.ID, t0)
		if err != nil || signed.SignedOffBy == nil || *signed.SignedOffBy != "admin" {
			t.Fatalf("sign-off: %+v %v", signed, err)
		}
		if _, err := s.UpdateRecord(ctx, "editor", r.ID, "changed", json.RawMessage(`{}`)); !errors.Is(err, ErrSignedOff) {
			t.Errorf("edit after sign-off: %v, want ErrSignedOff", err)
		}
		if _, err := s.SignOff(ctx, "admin", r.ID, t0); !errors.Is(err, ErrSignedOff) {
			t.Errorf("second sign-off: %v, want ErrSignedOff", err)
		}
		am, err := s.Amend(ctx, "editor", r.ID, Record{Title: "更正", Body: json.RawMessage(`{"correction":"复电时间 10:05"}`)})
		if err != nil || am.AmendsID == nil || *am.AmendsID != r.ID || am.Kind != "alert_handling" || am.SignedOffAt != nil {
			t.Fatalf("amend: %+v %v", am, err)
		}
		again, _ := s.GetRecord(ctx, r.ID)
		if again.Title != "UPS-A 放电处理" || string(again.Body) != `{"steps":["检查","复电"]}` {
			t.Errorf("signed record changed: %+v", again)
		}
		h, _ := s.History(ctx, "record", r.ID)
		if len(h) != 3 || h[1].Action != "update" || !strings.Contains(string(h[1].Before), `"title":"UPS-A 放电"`) || h[2].Action != "sign-off" {
			t.Errorf("history: %+v", h)
		}
		if l, err := s.ListRecords(ctx, "alert_handling", 10); err != nil || len(l) != 2 {
			t.Errorf("list: %d %v", len(l), err)
		}
		if _, err := s.GetRecord(ctx, 999); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing record: %v", err)
		}
	})
}

// TestSignedOffImmutableInDatabase: the database itself (trigger) refuses to
// change a signed-off row, whatever client writes it; history is append-only.
func TestSignedOffImmutableInDatabase(t *testing.T) {
	backends(t, func(t *testing.T, open func() Store) {
		ctx := context.Background()
		s := open()
		r, err := s.CreateRecord(ctx, "e", Record{Kind: "duty", Title: "t", Body: json.RawMessage(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SignOff(ctx, "a", r.ID, t0); err != nil {
			t.Fatal(err)
		}
		ss := s.(*sqlStore)
		if _, err := ss.db.Exec(ss.q(`UPDATE records SET title = 'forged' WHERE id = ?`), r.ID); err == nil || !strings.Contains(err.Error(), "signed off") {
			t.Errorf("raw UPDATE of a signed-off record: %v", err)
		}
		if _, err := ss.db.Exec(`UPDATE history SET actor = 'forged'`); err == nil {
			t.Error("raw UPDATE of history succeeded")
		}
		if _, err := ss.db.Exec(`DELETE FROM history`); err == nil {
			t.Error("raw DELETE of history succeeded")
		}
	})
}

// TestConcurrentPeerDeliveries: both peers (and retries) deliver the same
// notification at once; exactly one is stored on both backends.
func TestConcurrentPeerDeliveries(t *testing.T) {
	backends(t, func(t *testing.T, open func() Store) {
		ctx := context.Background()
		s := open()
		const groups, copies = 10, 6
		var wg sync.WaitGroup
		errs := make(chan error, groups*copies)
		for g := range groups {
			for c := range copies {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n := notif("firing", t0.Add(time.Duration(c)*time.Second), fmt.Sprintf("http://am-%d", c%2),
						alert(fmt.Sprintf("fp%02d", g), "firing", t0, time.Time{}), alert(fmt.Sprintf("fq%02d", g), "firing", t0, time.Time{}))
					n.GroupKey = fmt.Sprintf("group-%d", g)
					if _, err := s.Ingest(ctx, n, time.Minute); err != nil {
						errs <- err
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n, _ := s.CountNotifications(ctx); n != groups {
			t.Errorf("notifications = %d, want %d", n, groups)
		}
		if l, _ := s.ListAlerts(ctx, AlertFilter{}); len(l) != 2*groups {
			t.Errorf("alerts = %d, want %d", len(l), 2*groups)
		}
	})
}

func TestAcknowledgeErrors(t *testing.T) {
	backends(t, func(t *testing.T, open func() Store) {
		s := open()
		ctx := context.Background()
		if _, err := s.Acknowledge(ctx, 42, "who", "", t0); !errors.Is(err, ErrNotFound) {
			t.Errorf("ack of a missing alert: %v", err)
		}
		if _, err := s.Acknowledge(ctx, 1, "", "", t0); !errors.Is(err, ErrInvalid) {
			t.Errorf("ack without who: %v", err)
		}
	})
}

// TestHostile_NULByteInLabel: PostgreSQL text cannot hold NUL; such a
// notification is rejected as invalid (HTTP 400), never half-stored, on both.
func TestHostile_NULByteInLabel(t *testing.T) {
	backends(t, func(t *testing.T, open func() Store) {
		s := open()
		a := alert("f1", "firing", t0, time.Time{})
		a.Labels["x"] = "a\x00b"
		if _, err := s.Ingest(context.Background(), notif("firing", t0, "u", a), time.Minute); !errors.Is(err, ErrInvalid) {
			t.Errorf("NUL label: %v, want ErrInvalid", err)
		}
		if n, _ := s.CountNotifications(context.Background()); n != 0 {
			t.Errorf("%d stored", n)
		}
	})
}

func TestValidate(t *testing.T) {
	ok := func() *Notification { return notif("firing", t0, "u", alert("f", "firing", t0, time.Time{})) }
	for _, c := range []struct {
		name string
		mod  func(n *Notification)
		want string
	}{
		{"version", func(n *Notification) { n.Version = "3" }, "version"},
		{"status", func(n *Notification) { n.Status = "pending" }, "status"},
		{"groupKey", func(n *Notification) { n.GroupKey = "" }, "groupKey"},
		{"receiver", func(n *Notification) { n.Receiver = "" }, "receiver"},
		{"no alerts", func(n *Notification) { n.Alerts = nil }, "alerts is empty"},
		{"too many", func(n *Notification) {
			for i := range MaxAlertsPerNotification {
				n.Alerts = append(n.Alerts, alert(fmt.Sprint(i), "firing", t0, time.Time{}))
			}
		}, "at most"},
		{"fingerprint", func(n *Notification) { n.Alerts[0].Fingerprint = "" }, "fingerprint"},
		{"startsAt", func(n *Notification) { n.Alerts[0].StartsAt = time.Time{} }, "startsAt"},
		{"resolved no endsAt", func(n *Notification) { n.Alerts[0].Status = "resolved" }, "endsAt"},
		{"twice", func(n *Notification) { n.Alerts = append(n.Alerts, n.Alerts[0]) }, "twice"},
		{"non-UTF-8", func(n *Notification) { n.Alerts[0].Annotations["s"] = "\xff" }, "UTF-8"},
		{"huge", func(n *Notification) {
			n.CommonAnnotations = map[string]string{"d": strings.Repeat("x", MaxTextBytes+1)}
		}, "at most"},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := ok()
			c.mod(n)
			err := n.Validate()
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
	if err := ok().Validate(); err != nil {
		t.Errorf("valid: %v", err)
	}
}

// TestDedupKey pins what identifies a notification across peers.
func TestDedupKey(t *testing.T) {
	base := notif("firing", t0, "http://a", alert("f1", "firing", t0, time.Time{}), alert("f2", "firing", t0, time.Time{}))
	k := DedupKey(base)
	same := []func(n *Notification){
		func(n *Notification) { n.ExternalURL = "http://b" },
		func(n *Notification) { n.Alerts[0], n.Alerts[1] = n.Alerts[1], n.Alerts[0] },
		func(n *Notification) { n.Alerts[0].EndsAt = t0.Add(time.Hour) },
		func(n *Notification) { n.ReceivedAt = t0.Add(time.Minute) },
	}
	differ := []func(n *Notification){
		func(n *Notification) { n.GroupKey = "other" },
		func(n *Notification) { n.Receiver = "other" },
		func(n *Notification) { n.Status = "resolved" },
		func(n *Notification) { n.Alerts = n.Alerts[:1] },
		func(n *Notification) { n.Alerts[0].StartsAt = t0.Add(time.Second) },
		func(n *Notification) { n.Alerts[0].Status = "resolved"; n.Alerts[0].EndsAt = t0.Add(time.Hour) },
	}
	clone := func() *Notification {
		c := *base
		c.Alerts = append([]WebhookAlert(nil), base.Alerts...)
		return &c
	}
	for i, m := range same {
		n := clone()
		m(n)
		if DedupKey(n) != k {
			t.Errorf("same[%d]: key changed", i)
		}
	}
	for i, m := range differ {
		n := clone()
		m(n)
		if DedupKey(n) == k {
			t.Errorf("differ[%d]: key unchanged", i)
		}
	}
	r1 := clone()
	r1.Alerts[0].Status, r1.Alerts[0].EndsAt = "resolved", t0.Add(time.Hour)
	r2 := clone()
	r2.Alerts[0].Status, r2.Alerts[0].EndsAt = "resolved", t0.Add(2*time.Hour)
	if DedupKey(r1) == DedupKey(r2) {
		t.Error("resolved endsAt ignored")
	}
}

// TestOutOfOrderNotifications: a firing notification replayed from the spool
// after the resolved one (received later in wall time, but older) must not
// re-open the alert; it only fills in the first-notified time.
func TestOutOfOrderNotifications(t *testing.T) {
	backends(t, func(t *testing.T, open func() Store) {
		ctx := context.Background()
		s := open()
		res := alert("f1", "resolved", t0, t0.Add(5*time.Minute))
		r, err := s.Ingest(ctx, notif("resolved", t0.Add(6*time.Minute), "a", res), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Ingest(ctx, notif("firing", t0.Add(30*time.Second), "a", alert("f1", "firing", t0, time.Time{})), time.Minute); err != nil {
			t.Fatal(err)
		}
		a, err := s.GetAlert(ctx, r.AlertIDs[0])
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != "resolved" || a.NotifiedAt == nil || !a.NotifiedAt.Equal(t0.Add(30*time.Second)) || a.ResolvedAt == nil || !a.ResolvedAt.Equal(t0.Add(5*time.Minute)) {
			t.Errorf("alert after out-of-order firing: %+v", a)
		}
	})
}

// TestDuplicateArrivedFirstKeepsFirstSeen: peer A's copy waited in the spool
// while peer B's later copy was stored directly; when A's copy is replayed
// it is a duplicate, but its earlier receive time becomes the alert's
// notified time (the first notification really received).
func TestDuplicateArrivedFirstKeepsFirstSeen(t *testing.T) {
	backends(t, func(t *testing.T, open func() Store) {
		ctx := context.Background()
		s := open()
		a := alert("f1", "firing", t0, time.Time{})
		r, err := s.Ingest(ctx, notif("firing", t0.Add(45*time.Second), "http://am-b", a), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		d, err := s.Ingest(ctx, notif("firing", t0.Add(30*time.Second), "http://am-a", a), time.Minute)
		if err != nil || !d.Duplicate {
			t.Fatalf("replayed copy: %+v %v", d, err)
		}
		got, err := s.GetAlert(ctx, r.AlertIDs[0])
		if err != nil {
			t.Fatal(err)
		}
		if got.NotifiedAt == nil || !got.NotifiedAt.Equal(t0.Add(30*time.Second)) || !got.LastNotifiedAt.Equal(t0.Add(45*time.Second)) {
			t.Errorf("notified %v, last %v; want first-seen %v, last %v", got.NotifiedAt, got.LastNotifiedAt, t0.Add(30*time.Second), t0.Add(45*time.Second))
		}
		// A later duplicate changes no alert row (no history noise).
		before, _ := s.History(ctx, "alert", got.ID)
		if _, err := s.Ingest(ctx, notif("firing", t0.Add(50*time.Second), "http://am-a", a), time.Minute); err != nil {
			t.Fatal(err)
		}
		after, _ := s.History(ctx, "alert", got.ID)
		if len(after) != len(before) {
			t.Errorf("later duplicate wrote %d alert history rows", len(after)-len(before))
		}
	})
}
