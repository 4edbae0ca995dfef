package main

import (
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/rules"
)

// TestAlertName_Glossary (issue 16): the deadman's alert is the one the
// records documents' glossary (rules.Names) knows as the deadman's, and
// its firing summary starts with that official name, so a zh-CN document
// prints the name the notification carried.
func TestAlertName_Glossary(t *testing.T) {
	if alertName != rules.DeadmanAlert {
		t.Fatalf("alertname %q, the glossary's %q", alertName, rules.DeadmanAlert)
	}
	g, err := rules.Names()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []event{
		{Status: "firing", Name: "bj1 Prometheus→Alertmanager", Site: "bj-1", Timeout: 3 * time.Minute},
		{Status: "firing", Name: "noc", Site: "noc", Timeout: time.Minute, LastHeartbeat: time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC)},
	} {
		a := payload(e).Alerts[0]
		title, ok := g.Title(a.Labels["alertname"], a.Labels)
		if !ok || !strings.HasPrefix(a.Annotations["summary"], title+"：") {
			t.Errorf("summary %q, want it to start with the glossary's name %q (known %v)", a.Annotations["summary"], title, ok)
		}
	}
}
