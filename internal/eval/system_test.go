package eval

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// minimal is a valid one-kind system; tests replace parts of it.
const minimal = `version: "t1"
applies_from: 2026-01
status: draft
kinds:
  cloud:
    capabilities:
      - name: 基础服务能力
        weight: 60
        indicators:
          - id: availability
            name: 可用率
            weight: 70
            rule: measured
            figure: availability
            scoring: {linear: {full: 99.99, zero: 99.9}}
          - id: sla
            name: 达标比例
            weight: 30
            rule: measured
            figure: sla_met_ratio
            scoring: {linear: {full: 100, zero: 50}}
      - name: 用户服务能力
        weight: 40
        indicators:
          - id: satisfaction
            name: 满意度
            weight: 100
            rule: manual
`

func TestEvalDefaultSystemLoads(t *testing.T) {
	s, err := Load("../../deploy/etc/jianguan/evaluation.yml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != "draft" || !strings.Contains(s.Note, "待与甲方确认") {
		t.Errorf("the default system must be a draft 待与甲方确认: status %q note %q", s.Status, s.Note)
	}
	for _, kind := range []string{KindCloud, KindCarrier} {
		got := map[string]bool{}
		for _, c := range s.Kinds[kind].Capabilities {
			got[c.Name] = true
		}
		for _, c := range Capabilities {
			if !got[c] {
				t.Errorf("kind %s: capability %s missing from the default system", kind, c)
			}
		}
	}
	if s.Find(KindCarrier, "room_conditions") == nil || s.Find(KindCloud, "tls_valid").Rule != RulePromQL {
		t.Error("default system: machine-room (level 3) or PromQL indicator missing")
	}
}

// TestEvalWeightsSumTo100: weights of one level that do not sum to 100 are
// an error naming file:line of that level.
func TestEvalWeightsSumTo100(t *testing.T) {
	cases := []struct {
		name, from, to, want string
	}{
		{"level 1", "weight: 60\n", "weight: 50\n", "eval.yml:6: kinds.cloud.capabilities: weights sum to 90, want 100 (基础服务能力 50 + 用户服务能力 40)"},
		{"level 2", "weight: 70\n", "weight: 75\n", "eval.yml:9: kinds.cloud.capabilities[0].indicators: weights sum to 105, want 100"},
		{"zero weight", "weight: 100\n", "weight: 0\n", "eval.yml:27: kinds.cloud.capabilities[1].indicators[0].weight: 0: want a weight > 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("eval.yml", []byte(strings.Replace(minimal, c.from, c.to, 1)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	if _, err := Parse("eval.yml", []byte(minimal)); err != nil {
		t.Fatalf("the valid system: %v", err)
	}
}

// TestEvalUnknownFigure: an unknown figure name is an error at its line
// that lists the known figures.
func TestEvalUnknownFigure(t *testing.T) {
	_, err := Parse("eval.yml", []byte(strings.Replace(minimal, "figure: availability", "figure: availabilty", 1)))
	if err == nil {
		t.Fatal("accepted an unknown figure")
	}
	for _, w := range []string{"eval.yml:14:", `unknown figure "availabilty"`, "known figures are ", "availability, availability_vs_target", "mttr_seconds", "room_condition_seconds"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}

// TestEvalPromQLParse: PromQL is parsed at load with the Prometheus parser.
func TestEvalPromQLParse(t *testing.T) {
	rule := func(q string) string {
		return strings.Replace(minimal, "rule: measured\n            figure: sla_met_ratio", "rule: promql\n            promql: '"+q+"'", 1)
	}
	cases := []struct {
		q, want string
	}{
		{`100 * avg by (provider) (min_over_time(website_tls_verify_ok[$range]))`, ""},
		{`avg by (provider) (avg_over_time(website_duration_seconds[$range])) > 0.5`, ""},
		{`avg by (provider (website_up[$range])`, "eval.yml:20: kinds.cloud.capabilities[0].indicators[1].promql: does not parse"},
		{`website_up[$range]`, "gives a matrix"},
		{`avg by (provider) (website_up)`, "use $range"},
		{`sum(rate(x[$range])) by (provider) +`, "does not parse"},
	}
	for _, c := range cases {
		s, err := Parse("eval.yml", []byte(rule(c.q)))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.q, err)
		case c.want == "" && s.Find(KindCloud, "sla").PromQL != c.q:
			t.Errorf("%s: not kept", c.q)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: got %v, want %q", c.q, err, c.want)
		}
	}
}

func TestEvalSystemErrors(t *testing.T) {
	cases := []struct{ from, to, want string }{
		{"status: draft", "status: agreed", "eval.yml:3: status: \"agreed\": want draft"},
		{"applies_from: 2026-01", "applies_from: 2026-13", "eval.yml:2: applies_from"},
		{"name: 用户服务能力", "name: 服务能力", "a level-1 capability is one of 基础服务能力"},
		{"  cloud:", "  isp:", "unknown provider kind \"isp\""},
		{"rule: manual", "rule: guess", "\"guess\": want measured, promql or manual"},
		{"scoring: {linear: {full: 100, zero: 50}}", "scoring: {}", "scoring: required: linear, bands or deductions"},
		{"id: sla", "id: availability", "\"availability\" is also kinds.cloud.capabilities[0].indicators[0]"},
		{"kinds:", "grades: [{grade: A, min: 90}, {grade: B, min: 95}, {grade: D, min: 0}]\nkinds:", "grades[1].min: 95: grades go from the highest band down"},
	}
	for _, c := range cases {
		_, err := Parse("eval.yml", []byte(strings.Replace(minimal, c.from, c.to, 1)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s → %s: got %v, want %q", c.from, c.to, err, c.want)
		}
	}
}

// TestHostile_EvalSystemFile: a system file that is too large, not UTF-8,
// holds two documents or misspells a field is refused with file and line.
func TestHostile_EvalSystemFile(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yml")
	if err := os.WriteFile(big, append([]byte(minimal), bytes.Repeat([]byte("# padding\n"), MaxSystemBytes/10)...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "big.yml: ") || !strings.Contains(err.Error(), "at most 1048576") {
		t.Errorf("oversized file: %v", err)
	}
	cases := []struct{ name, data, want string }{
		{"gbk", strings.Replace(minimal, "满意度", "\xc2\xfa\xd2\xe2", 1), "eval.yml:26: invalid UTF-8"},
		{"two documents", minimal + "---\nversion: x\n", "eval.yml:29: a second YAML document"},
		{"misspelt field", strings.Replace(minimal, "        weight: 40", "        wieght: 40", 1), "eval.yml:23: field wieght not found"},
		{"NaN weight", strings.Replace(minimal, "weight: 30\n", "weight: .nan\n", 1), "eval.yml:18: kinds.cloud.capabilities[0].indicators[1].weight: NaN: want a weight > 0"},
	}
	for _, c := range cases {
		if _, err := Parse("eval.yml", []byte(c.data)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}
