package recdocs

import (
	"testing"

	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/rules"
)

// TestAlertType_ByRule (issue 16): an alert's type cell is the summary of
// the rule it came from — told apart by the rule's static labels where one
// alert name has several rules (SLABudget*: one per family, by team) —
// and, without those labels, the wording the rules share; the deadman's
// alert has its name too; an unknown alert name is marked external; the
// English cell is the alert name.
func TestAlertType_ByRule(t *testing.T) {
	g, err := rules.Names()
	if err != nil {
		t.Fatal(err)
	}
	type tc struct {
		name   string
		alert  records.Alert
		zh, en string
	}
	var cases []tc
	for _, alert := range []string{"SLABudgetExhausted", "SLABudgetHalfUsed", "LineDown", rules.DeadmanAlert} {
		rs := g.Rules(alert)
		if len(rs) == 0 {
			t.Fatalf("%s: not in the glossary", alert)
		}
		for _, r := range rs {
			cases = append(cases, tc{alert + " " + r.Labels["team"], records.Alert{Alertname: alert, Labels: r.Labels}, r.Title, alert})
		}
		common, _ := g.Title(alert, nil)
		cases = append(cases, tc{alert + " without labels", records.Alert{Alertname: alert}, common, alert})
	}
	cases = append(cases,
		tc{"external", records.Alert{Alertname: "DiskFull", Labels: map[string]string{"severity": "warning"}}, "DiskFull（外部告警）", "DiskFull (external)"},
		tc{"no name", records.Alert{}, docfmt.Placeholder, docfmt.Placeholder})
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := alertType(c.alert, Options{Lang: docfmt.ZH}); got != c.zh {
				t.Errorf("zh-CN %q, want %q", got, c.zh)
			}
			if got := alertType(c.alert, Options{Lang: docfmt.EN}); got != c.en {
				t.Errorf("en %q, want %q", got, c.en)
			}
		})
		seen[c.zh] = true
	}
	// The three SLA families' rules have three names, and the label-less
	// name is none of them.
	for _, alert := range []string{"SLABudgetExhausted", "SLABudgetHalfUsed"} {
		common, _ := g.Title(alert, nil)
		for _, r := range g.Rules(alert) {
			if r.Title == common || !seen[r.Title] {
				t.Errorf("%s %v: %q (label-less %q)", alert, r.Labels, r.Title, common)
			}
		}
		if len(g.Rules(alert)) < 2 {
			t.Errorf("%s: %d rules, want one per family", alert, len(g.Rules(alert)))
		}
	}
}
