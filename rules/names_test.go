package rules

import (
	"os"
	"regexp"
	"slices"
	"sort"
	"testing"

	"github.com/jianguan/jianguan/internal/docfmt"
)

// runbookNames are the runbook's headings: 「## Alert — 中文名 / English」.
func runbookNames(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("runbook.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^## (\S+) — (.+?) / `).FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = m[2]
	}
	return out
}

// TestAlertNames_EveryAlertHasAChineseName (issue 16): every alert rule of
// every rule file has an official zh-CN name the records documents print
// instead of the rule name (Names, read from the embedded rule files): its
// own summary, found by its alert name and static labels; a name a zh-CN
// document may print (no ASCII word beyond docfmt.AllowedASCII); and,
// without labels, the name of the runbook's heading (the SLABudget* rules,
// one per family, share its wording: 「主机本月可用率低于目标」 →
// 「本月可用率低于目标」). The glossary knows no alert the rule files and
// the deadman do not define.
func TestAlertNames_EveryAlertHasAChineseName(t *testing.T) {
	g, err := Names()
	if err != nil {
		t.Fatal(err)
	}
	runbook := runbookNames(t)
	want := []string{DeadmanAlert}
	for _, r := range allRules(t) {
		if r.Alert == "" {
			continue
		}
		if !slices.Contains(want, r.Alert) {
			want = append(want, r.Alert)
		}
		t.Run(r.Alert+"/"+r.Labels["team"], func(t *testing.T) {
			title, ok := g.Title(r.Alert, r.Labels)
			if !ok || title != r.Annotations["summary"] {
				t.Errorf("name %q (known %v), want its summary %q", title, ok, r.Annotations["summary"])
			}
			if !han.MatchString(title) {
				t.Errorf("name %q is not Chinese", title)
			}
			if w := docfmt.ASCIIWords(title); len(w) > 0 {
				t.Errorf("name %q: ASCII words %q a zh-CN document may not print", title, w)
			}
			common, ok := g.Title(r.Alert, nil)
			if !ok || common != runbook[r.Alert] {
				t.Errorf("name without labels %q, runbook heading %q", common, runbook[r.Alert])
			}
		})
	}
	sort.Strings(want)
	if got := g.Alerts(); !slices.Equal(got, want) {
		t.Errorf("glossary knows %v,\nthe rule files and the deadman define %v", got, want)
	}
	for _, c := range []struct {
		alert string
		ok    bool
	}{{DeadmanAlert, true}, {"DiskFull", false}, {"linedown", false}, {"", false}} {
		title, ok := g.Title(c.alert, nil)
		if ok != c.ok || ok != han.MatchString(title) {
			t.Errorf("%q: %q, known %v, want known %v", c.alert, title, ok, c.ok)
		}
	}
}

// TestAlertNames_ReadErrors: a rule file whose alert has no static summary
// is an error naming the file and the alert, never a document with a
// missing name.
func TestAlertNames_ReadErrors(t *testing.T) {
	for _, c := range []struct{ name, yml, want string }{
		{"no summary", "groups:\n- name: g\n  rules:\n  - alert: X\n    expr: up\n", "rules/a.yml: alert X: no static summary"},
		{"templated summary", "groups:\n- name: g\n  rules:\n  - alert: X\n    expr: up\n    annotations: {summary: '{{ $labels.x }} 中断'}\n", "rules/a.yml: alert X: no static summary"},
		{"no alert", "groups:\n- name: g\n  rules:\n  - record: x\n    expr: up\n", "rules: no alert"},
		{"not YAML", "groups: [", "rules/a.yml:"},
		{"deadman's name", "groups:\n- name: g\n  rules:\n  - alert: " + DeadmanAlert + "\n    expr: up\n    annotations: {summary: 心跳}\n", "is the deadman's alert"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(dir+"/a.yml", []byte(c.yml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := readNames(os.DirFS(dir))
			if err == nil || !regexp.MustCompile(regexp.QuoteMeta(c.want)).MatchString(err.Error()) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}
