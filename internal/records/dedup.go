package records

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// DedupKey identifies one notification independently of the Alertmanager
// peer that delivered it. Both peers of an HA pair evaluate the same group
// with the same configuration, so the same notification has the same group
// key, receiver, group status and alert set; what differs between peers is
// the externalURL (each peer's own) and the delivery time (the second peer
// waits peer_timeout per position before it sends). So the key is:
//
//	groupKey, receiver, status, and for every alert (sorted by fingerprint):
//	fingerprint, status, startsAt, and endsAt for resolved alerts only.
//
// A firing alert's endsAt is left out on purpose: Prometheus re-sends firing
// alerts every evaluation with a new endsAt, and each peer may flush a
// different version of it. A resolved alert's endsAt is fixed.
// The externalURL is left out (it names the peer). The time bound is applied
// by the store: an identical key received within the dedup window is the same
// notification; outside it (repeat_interval re-sends) it is a new one.
func DedupKey(n *Notification) string {
	h := sha256.New()
	w := func(s string) { fmt.Fprintf(h, "%d:%s;", len(s), s) }
	w(n.GroupKey)
	w(n.Receiver)
	w(n.Status)
	as := make([]WebhookAlert, len(n.Alerts))
	copy(as, n.Alerts)
	sort.Slice(as, func(i, j int) bool {
		if as[i].Fingerprint != as[j].Fingerprint {
			return as[i].Fingerprint < as[j].Fingerprint
		}
		return as[i].StartsAt.Before(as[j].StartsAt)
	})
	for _, a := range as {
		w(a.Fingerprint)
		w(a.Status)
		w(a.StartsAt.UTC().Format(time.RFC3339Nano))
		if a.Status == "resolved" {
			w(a.EndsAt.UTC().Format(time.RFC3339Nano))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Validate checks a decoded webhook payload; the error names the field.
func (n *Notification) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	if n.Version != "4" {
		return bad("version %q: only Alertmanager webhook payload version \"4\" is understood", n.Version)
	}
	if n.GroupKey == "" {
		return bad("groupKey is empty")
	}
	if n.Status != "firing" && n.Status != "resolved" {
		return bad("status %q: want firing or resolved", n.Status)
	}
	if n.Receiver == "" {
		return bad("receiver is empty")
	}
	if len(n.Alerts) == 0 {
		return bad("alerts is empty")
	}
	if len(n.Alerts) > MaxAlertsPerNotification {
		return bad("%d alerts: at most %d per notification", len(n.Alerts), MaxAlertsPerNotification)
	}
	if n.TruncatedAlerts < 0 {
		return bad("truncatedAlerts %d is negative", n.TruncatedAlerts)
	}
	for _, s := range []string{n.GroupKey, n.Receiver, n.ExternalURL} {
		if err := checkText(s); err != nil {
			return bad("%v", err)
		}
	}
	for _, m := range []map[string]string{n.GroupLabels, n.CommonLabels, n.CommonAnnotations} {
		if err := checkMap(m); err != nil {
			return bad("%v", err)
		}
	}
	seen := map[string]bool{}
	for i, a := range n.Alerts {
		if a.Status != "firing" && a.Status != "resolved" {
			return bad("alerts[%d].status %q: want firing or resolved", i, a.Status)
		}
		if a.Fingerprint == "" || len(a.Fingerprint) > 64 || !utf8.ValidString(a.Fingerprint) {
			return bad("alerts[%d].fingerprint %q: want 1–64 characters", i, a.Fingerprint)
		}
		if a.StartsAt.IsZero() {
			return bad("alerts[%d].startsAt is missing", i)
		}
		if a.Status == "resolved" && a.EndsAt.IsZero() {
			return bad("alerts[%d]: resolved without endsAt", i)
		}
		k := a.Fingerprint + "@" + a.StartsAt.UTC().Format(time.RFC3339Nano)
		if seen[k] {
			return bad("alerts[%d]: fingerprint %s with startsAt %s appears twice", i, a.Fingerprint, a.StartsAt.UTC().Format(time.RFC3339))
		}
		seen[k] = true
		if err := checkText(a.GeneratorURL); err != nil {
			return bad("alerts[%d].generatorURL: %v", i, err)
		}
		for _, m := range []map[string]string{a.Labels, a.Annotations} {
			if err := checkMap(m); err != nil {
				return bad("alerts[%d]: %v", i, err)
			}
		}
	}
	return nil
}

func checkText(s string) error {
	if len(s) > MaxTextBytes {
		return fmt.Errorf("text of %d bytes: at most %d", len(s), MaxTextBytes)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("text is not valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("text contains a NUL byte")
	}
	return nil
}

func checkMap(m map[string]string) error {
	total := 0
	for k, v := range m {
		total += len(k) + len(v)
		if err := checkText(k); err != nil {
			return err
		}
		if err := checkText(v); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	if total > MaxTextBytes {
		return fmt.Errorf("label/annotation set of %d bytes: at most %d", total, MaxTextBytes)
	}
	return nil
}
