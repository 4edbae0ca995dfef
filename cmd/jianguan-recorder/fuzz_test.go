package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/records"
)

// FuzzWebhook: any body either fails to decode with an error (→ 400) or
// yields a notification that validates, whose dedup key survives the spool's
// JSON round trip (so a replayed notification is recognised), and that
// re-validates after the round trip.
func FuzzWebhook(f *testing.F) {
	for _, p := range []map[string]any{
		payload("g", "firing", "http://a", "f1"),
		payload("g", "resolved", "http://b", "f1", "f2"),
	} {
		b, _ := json.Marshal(p)
		f.Add(b)
	}
	f.Add([]byte(`{"version":"4","groupKey":"k","status":"firing","receiver":"r","alerts":[{"status":"firing","fingerprint":"x","startsAt":"2026-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"version":"4","alerts":[{"labels":{"a":"\u0000"}}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte("\xff"))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := decodeWebhook(body)
		if err != nil {
			if n != nil {
				t.Fatal("error with a notification")
			}
			return
		}
		if err := n.Validate(); err != nil {
			t.Fatalf("decoded but invalid: %v", err)
		}
		n.ReceivedAt, n.ReceivedBy = time.Unix(1700000000, 123000000).UTC(), "alertmanager"
		key := records.DedupKey(n)
		b, err := json.Marshal(n)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var back records.Notification
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("spool round trip: %v", err)
		}
		if err := back.Validate(); err != nil {
			t.Fatalf("invalid after round trip: %v", err)
		}
		if records.DedupKey(&back) != key {
			t.Fatalf("dedup key changed by the spool round trip")
		}
		if !back.ReceivedAt.Equal(n.ReceivedAt) {
			t.Fatalf("receivedAt changed")
		}
	})
}
