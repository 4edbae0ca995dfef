package rules

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// ymlFiles are the rule files themselves: the official zh-CN name of an
// alert is read from them (Names), never copied.
//
//go:embed *.yml
var ymlFiles embed.FS

// DeadmanAlert is the one alert of the stack that no rule file defines:
// the deadman switch (alertmanager/deadman) raises it when the Watchdog's
// heartbeat stops. Its name is the deadman's summary up to 「：」 (the
// deadman's tests hold its summary to DeadmanTitle).
const (
	DeadmanAlert = "DeadmanHeartbeatMissing"
	DeadmanTitle = "监控链路心跳中断"
)

// AlertName is one alert rule's official zh-CN name: the static summary
// annotation every alert carries (TestAlertsHygiene), and the rule's
// static labels, which tell apart the rules that share an alert name (the
// SLABudget* alerts, one rule per family, told apart by team).
type AlertName struct {
	Alert  string            // alertname
	Title  string            // summary annotation, zh-CN
	Labels map[string]string // static labels (templated values left out)
}

// Glossary maps alert names to their official zh-CN names.
type Glossary struct{ byAlert map[string][]AlertName }

// Names reads the glossary of every alert the rule files (*.yml of this
// directory, embedded) and the deadman define.
var Names = sync.OnceValues(func() (*Glossary, error) { return readNames(ymlFiles) })

func readNames(fsys fs.FS) (*Glossary, error) {
	files, err := fs.Glob(fsys, "*.yml")
	if err != nil {
		return nil, err
	}
	g := &Glossary{byAlert: map[string][]AlertName{}}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var doc struct {
			Groups []struct {
				Rules []struct {
					Alert       string            `yaml:"alert"`
					Labels      map[string]string `yaml:"labels"`
					Annotations map[string]string `yaml:"annotations"`
				} `yaml:"rules"`
			} `yaml:"groups"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("rules/%s: %w", f, err)
		}
		for _, gr := range doc.Groups {
			for _, r := range gr.Rules {
				if r.Alert == "" {
					continue
				}
				title := strings.TrimSpace(r.Annotations["summary"])
				if title == "" || strings.Contains(title, "{{") {
					return nil, fmt.Errorf("rules/%s: alert %s: no static summary (its official name)", f, r.Alert)
				}
				static := map[string]string{}
				for k, v := range r.Labels {
					if !strings.Contains(v, "{{") {
						static[k] = v
					}
				}
				g.byAlert[r.Alert] = append(g.byAlert[r.Alert], AlertName{Alert: r.Alert, Title: title, Labels: static})
			}
		}
	}
	if len(g.byAlert) == 0 {
		return nil, fmt.Errorf("rules: no alert in %v", files)
	}
	if _, ok := g.byAlert[DeadmanAlert]; ok {
		return nil, fmt.Errorf("rules: %s is the deadman's alert, not a rule's", DeadmanAlert)
	}
	g.byAlert[DeadmanAlert] = []AlertName{{Alert: DeadmanAlert, Title: DeadmanTitle, Labels: map[string]string{"team": "meta"}}}
	return g, nil
}

// Alerts are the alert names the glossary knows, sorted.
func (g *Glossary) Alerts() []string {
	out := make([]string, 0, len(g.byAlert))
	for a := range g.byAlert {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Rules are the rules (one or more) of an alert name.
func (g *Glossary) Rules(alert string) []AlertName { return g.byAlert[alert] }

// Title is the official zh-CN name of an alert with these labels: the
// summary of its rule whose static labels it carries; with no such rule
// (or several that disagree), the wording its rules share — the end their
// summaries have in common (「线路本月可用率低于目标」 and 「主机本月可用率
// 低于目标」 → 「本月可用率低于目标」, the runbook's heading). ok is false for
// an alert name no rule file defines (an external alert, e.g. from another
// Prometheus).
func (g *Glossary) Title(alert string, labels map[string]string) (string, bool) {
	rs := g.byAlert[alert]
	if len(rs) == 0 {
		return "", false
	}
	var match []string
	for _, r := range rs {
		if carries(labels, r.Labels) && !slices.Contains(match, r.Title) {
			match = append(match, r.Title)
		}
	}
	if len(match) == 1 {
		return match[0], true
	}
	titles := make([]string, len(rs))
	for i, r := range rs {
		titles[i] = r.Title
	}
	if c := commonSuffix(titles); c != "" {
		return c, true
	}
	return titles[0], true
}

func carries(labels, static map[string]string) bool {
	for k, v := range static {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// commonSuffix is the longest end (whole runes, leading spaces trimmed)
// all of ss share.
func commonSuffix(ss []string) string {
	suf := []rune(ss[0])
	for _, s := range ss[1:] {
		r := []rune(s)
		n := 0
		for n < len(suf) && n < len(r) && suf[len(suf)-1-n] == r[len(r)-1-n] {
			n++
		}
		suf = suf[len(suf)-n:]
	}
	return strings.TrimSpace(string(suf))
}
