// Package eval is the provider evaluation by an indicator system
// (综合评估指标体系, issue 19): a versioned YAML file of capabilities and
// indicators with weights and scoring rules, the monthly assessment of every
// provider from the report engine's figures, PromQL and manual scores, and
// the annual rating read from the frozen monthly assessments.
//
// One engine: Assess turns Inputs (the month's engine entities, machine-room
// conditions, records, manual scores) into an Assessment; the monthly
// document, the section of the providers report and the annual rating all
// read an Assessment. See docs/evaluation.md.
package eval

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/jianguan/jianguan/internal/config"
)

// Bounds of an indicator-system file.
const (
	MaxSystemBytes     = 1 << 20 // the file
	MaxIndicators      = 200     // indicators (all levels) per provider kind
	MaxPromQLBytes     = 4 << 10
	MaxTextBytes       = 1024 // names, criteria, reasons
	MaxBands           = 20
	MaxDeductions      = 20
	WeightTolerance    = 1e-6
	DefaultUnknownMax  = 0.05
	DefaultMinEvalable = 50
)

// Provider kinds: evaluated with their own indicator sets and ranked apart.
const (
	KindCloud   = "cloud"
	KindCarrier = "carrier"
)

// Capabilities are the contract's five level-1 dimensions (a system may use
// a subset per provider kind, but no other name).
var Capabilities = []string{"基础服务能力", "安全保障能力", "运维管理能力", "数据支撑能力", "用户服务能力"}

// Rule types.
const (
	RuleMeasured = "measured"
	RulePromQL   = "promql"
	RuleManual   = "manual"
)

// System is one version of the indicator system.
type System struct {
	Version     string `yaml:"version" json:"version"`
	AppliesFrom string `yaml:"applies_from" json:"appliesFrom"` // YYYY-MM: the first month it scores
	Status      string `yaml:"status" json:"status"`            // draft | confirmed
	Note        string `yaml:"note" json:"note,omitempty"`
	// MaxUnknownShare: an indicator whose figure has more unknown time than
	// this share of the month is 无法评价 (never 0).
	MaxUnknownShare *float64 `yaml:"max_unknown_share" json:"maxUnknownShare"`
	// MinEvaluableWeight (percent): a provider whose evaluable indicators
	// carry less of the total weight is 无法评价.
	MinEvaluableWeight *float64 `yaml:"min_evaluable_weight" json:"minEvaluableWeight"`
	Grades             []Grade  `yaml:"grades" json:"grades"`
	MachineRoom        struct {
		Operator string `yaml:"operator" json:"operator"` // the provider label value of the party running the room
	} `yaml:"machine_room" json:"machineRoom"`
	// Providers maps a provider (label value) to its kind; others: a
	// provider with only lines is a carrier, any other a cloud provider.
	Providers map[string]string `yaml:"providers" json:"providers,omitempty"`
	// LicenceIndicator is the manual indicator holding the yearly review of
	// the operating licence (运营资质), shown in the annual rating.
	LicenceIndicator string                 `yaml:"licence_indicator" json:"licenceIndicator,omitempty"`
	Kinds            map[string]*KindSystem `yaml:"kinds" json:"kinds"`

	// SHA256 of the file's bytes (set by Parse).
	SHA256 string `yaml:"-" json:"sha256"`
}

// Grade is a band: score ≥ Min gets Grade.
type Grade struct {
	Grade string  `yaml:"grade" json:"grade"`
	Min   float64 `yaml:"min" json:"min"`
}

// KindSystem is the indicator set of one provider kind.
type KindSystem struct {
	Capabilities []*Indicator `yaml:"capabilities" json:"capabilities"`
}

// Indicator is a capability (level 1), an indicator (level 2) or a
// sub-indicator (level 3). A node with Indicators is scored by them; a leaf
// has a Rule.
type Indicator struct {
	ID         string       `yaml:"id" json:"id"`
	Name       string       `yaml:"name" json:"name"`
	Weight     float64      `yaml:"weight" json:"weight"`
	Indicators []*Indicator `yaml:"indicators" json:"indicators,omitempty"`

	Rule      string  `yaml:"rule" json:"rule,omitempty"`           // measured | promql | manual
	Figure    string  `yaml:"figure" json:"figure,omitempty"`       // measured
	PromQL    string  `yaml:"promql" json:"promql,omitempty"`       // promql: one value per provider (label provider)
	Criterion string  `yaml:"criterion" json:"criterion,omitempty"` // 评分标准 (generated when empty)
	Scoring   Scoring `yaml:"scoring" json:"scoring"`
	// Manual: the range of an entered score (default 0 … 100).
	ManualMax *float64 `yaml:"manual_max" json:"manualMax,omitempty"`
}

// Scoring maps a value to 0 … 100: Linear or Bands, then Deductions from
// the result (or from 100 when neither is set).
type Scoring struct {
	Linear     *Linear     `yaml:"linear" json:"linear,omitempty"`
	Bands      []Band      `yaml:"bands" json:"bands,omitempty"`
	Deductions []Deduction `yaml:"deductions" json:"deductions,omitempty"`
}

// Linear scores 100 at Full, 0 at Zero, linearly between, clamped (Full
// may be above or below Zero).
type Linear struct {
	Full float64 `yaml:"full" json:"full"`
	Zero float64 `yaml:"zero" json:"zero"`
}

// Band gives Score to a value in [Min, Max) (a missing bound is open).
type Band struct {
	Min   *float64 `yaml:"min" json:"min,omitempty"`
	Max   *float64 `yaml:"max" json:"max,omitempty"`
	Score float64  `yaml:"score" json:"score"`
}

// Deduction takes Points for every Per of the value above Above (at least
// one Per once above), at most Max points, and prints Reason.
type Deduction struct {
	Above  float64 `yaml:"above" json:"above"`
	Per    float64 `yaml:"per" json:"per"`
	Points float64 `yaml:"points" json:"points"`
	Max    float64 `yaml:"max" json:"max"`
	Reason string  `yaml:"reason" json:"reason"`
}

// UnknownMax is the configured unknown share (default 5 %).
func (s *System) UnknownMax() float64 {
	if s.MaxUnknownShare == nil {
		return DefaultUnknownMax
	}
	return *s.MaxUnknownShare
}

// MinEvaluable is the configured minimum evaluable weight in percent.
func (s *System) MinEvaluable() float64 {
	if s.MinEvaluableWeight == nil {
		return DefaultMinEvalable
	}
	return *s.MinEvaluableWeight
}

// GradeOf is the grade band of a score.
func (s *System) GradeOf(score float64) string {
	for _, g := range s.Grades {
		if score >= g.Min-1e-9 {
			return g.Grade
		}
	}
	return s.Grades[len(s.Grades)-1].Grade
}

// Find returns the indicator of a kind by id (any level).
func (s *System) Find(kind, id string) *Indicator {
	k := s.Kinds[kind]
	if k == nil {
		return nil
	}
	var walk func([]*Indicator) *Indicator
	walk = func(ns []*Indicator) *Indicator {
		for _, n := range ns {
			if n.ID == id {
				return n
			}
			if f := walk(n.Indicators); f != nil {
				return f
			}
		}
		return nil
	}
	return walk(k.Capabilities)
}

// Load reads and validates an indicator-system file (errors name file:line).
func Load(path string) (*System, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &config.Error{File: path, Msg: err.Error()}
	}
	if fi.Size() > MaxSystemBytes {
		return nil, &config.Error{File: path, Msg: fmt.Sprintf("%d bytes: an indicator-system file is at most %d", fi.Size(), MaxSystemBytes)}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &config.Error{File: path, Msg: err.Error()}
	}
	return Parse(path, b)
}

var (
	periodRE = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)
	idRE     = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
)

// Parse validates data as an indicator system named file.
func Parse(file string, data []byte) (*System, error) {
	if len(data) > MaxSystemBytes {
		return nil, &config.Error{File: file, Msg: fmt.Sprintf("%d bytes: an indicator-system file is at most %d", len(data), MaxSystemBytes)}
	}
	var s System
	doc, err := config.Parse(file, data, &s)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	s.SHA256 = hex.EncodeToString(sum[:])
	if strings.TrimSpace(s.Version) == "" || len(s.Version) > 64 {
		return nil, doc.Errorf("version", "required, at most 64 bytes (e.g. \"2026.1\")")
	}
	if !periodRE.MatchString(s.AppliesFrom) {
		return nil, doc.Errorf("applies_from", "%q: want the first month it scores, YYYY-MM", s.AppliesFrom)
	}
	if s.Status != "draft" && s.Status != "confirmed" {
		return nil, doc.Errorf("status", "%q: want draft (待与甲方确认) or confirmed", s.Status)
	}
	if u := s.MaxUnknownShare; u != nil && !(*u >= 0 && *u <= 1) {
		return nil, doc.Errorf("max_unknown_share", "%v: want a share 0 … 1 (e.g. 0.05)", *u)
	}
	if m := s.MinEvaluableWeight; m != nil && !(*m > 0 && *m <= 100) {
		return nil, doc.Errorf("min_evaluable_weight", "%v: want a percentage > 0 and ≤ 100", *m)
	}
	if len(s.Grades) == 0 {
		s.Grades = []Grade{{"A", 90}, {"B", 80}, {"C", 70}, {"D", 0}}
	} else {
		for i, g := range s.Grades {
			at := fmt.Sprintf("grades[%d]", i)
			if strings.TrimSpace(g.Grade) == "" || len(g.Grade) > 16 {
				return nil, doc.Errorf(at+".grade", "required, at most 16 bytes")
			}
			if !(g.Min >= 0 && g.Min <= 100) {
				return nil, doc.Errorf(at+".min", "%v: want 0 … 100", g.Min)
			}
			if i > 0 && g.Min >= s.Grades[i-1].Min {
				return nil, doc.Errorf(at+".min", "%v: grades go from the highest band down (min strictly decreasing)", g.Min)
			}
		}
		if last := s.Grades[len(s.Grades)-1]; last.Min != 0 {
			return nil, doc.Errorf(fmt.Sprintf("grades[%d].min", len(s.Grades)-1), "the last band must start at 0 (every score gets a grade)")
		}
	}
	for p, k := range s.Providers {
		if k != KindCloud && k != KindCarrier {
			return nil, doc.Errorf("providers."+p, "%q: want cloud or carrier", k)
		}
	}
	if len(s.Kinds) == 0 {
		return nil, doc.Errorf("kinds", "required: the indicator set of each provider kind (cloud, carrier)")
	}
	kinds := make([]string, 0, len(s.Kinds))
	for k := range s.Kinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		ks := s.Kinds[kind]
		at := "kinds." + kind
		if kind != KindCloud && kind != KindCarrier {
			return nil, doc.Errorf(at, "unknown provider kind %q: want cloud or carrier", kind)
		}
		if ks == nil || len(ks.Capabilities) == 0 {
			return nil, doc.Errorf(at, "no capabilities")
		}
		v := validator{doc: doc, ids: map[string]string{}}
		if err := v.level(at+".capabilities", ks.Capabilities, 1); err != nil {
			return nil, err
		}
		if v.n > MaxIndicators {
			return nil, doc.Errorf(at, "%d indicators: at most %d", v.n, MaxIndicators)
		}
		if s.LicenceIndicator != "" {
			if ind := s.Find(kind, s.LicenceIndicator); ind == nil || ind.Rule != RuleManual {
				return nil, doc.Errorf("licence_indicator", "%q is not a manual indicator of kind %s", s.LicenceIndicator, kind)
			}
		}
	}
	return &s, nil
}

type validator struct {
	doc *config.Doc
	ids map[string]string
	n   int
}

func (v *validator) level(at string, ns []*Indicator, depth int) error {
	var sum float64
	for i, n := range ns {
		p := fmt.Sprintf("%s[%d]", at, i)
		v.n++
		if n == nil {
			return v.doc.Errorf(p, "empty entry")
		}
		if depth == 1 {
			ok := false
			for _, c := range Capabilities {
				ok = ok || n.Name == c
			}
			if !ok {
				return v.doc.Errorf(p+".name", "%q: a level-1 capability is one of %s", n.Name, strings.Join(Capabilities, "、"))
			}
		} else if strings.TrimSpace(n.Name) == "" || len(n.Name) > MaxTextBytes {
			return v.doc.Errorf(p+".name", "required, at most %d bytes", MaxTextBytes)
		}
		if n.ID == "" && depth == 1 {
			n.ID = fmt.Sprintf("cap%d", i+1)
		} else if !idRE.MatchString(n.ID) {
			return v.doc.Errorf(p+".id", "%q: required, a-z then a-z0-9_ (at most 64)", n.ID)
		}
		if prev, dup := v.ids[n.ID]; dup {
			return v.doc.Errorf(p+".id", "%q is also %s", n.ID, prev)
		}
		v.ids[n.ID] = p
		if !(n.Weight > 0 && n.Weight <= 100) {
			return v.doc.Errorf(p+".weight", "%v: want a weight > 0 and ≤ 100 (the weights of one level sum to 100)", n.Weight)
		}
		sum += n.Weight
		if len(n.Indicators) > 0 {
			if depth == 3 {
				return v.doc.Errorf(p+".indicators", "at most three levels (capability, indicator, sub-indicator)")
			}
			if n.Rule != "" {
				return v.doc.Errorf(p+".rule", "an indicator with sub-indicators is scored by them: no rule")
			}
			if err := v.level(p+".indicators", n.Indicators, depth+1); err != nil {
				return err
			}
			continue
		}
		if depth == 1 {
			return v.doc.Errorf(p+".indicators", "a capability needs level-2 indicators")
		}
		if err := v.rule(p, n); err != nil {
			return err
		}
	}
	if math.Abs(sum-100) > WeightTolerance {
		return v.doc.Errorf(at, "weights sum to %s, want 100 (%s)", trimNum(sum), weightList(ns))
	}
	return nil
}

func weightList(ns []*Indicator) string {
	var parts []string
	for _, n := range ns {
		if n != nil {
			parts = append(parts, fmt.Sprintf("%s %s", n.Name, trimNum(n.Weight)))
		}
	}
	return strings.Join(parts, " + ")
}

func trimNum(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.6f", v), "0"), ".")
}

func (v *validator) rule(p string, n *Indicator) error {
	if len(n.Criterion) > MaxTextBytes {
		return v.doc.Errorf(p+".criterion", "at most %d bytes", MaxTextBytes)
	}
	switch n.Rule {
	case RuleMeasured:
		if _, ok := figures[n.Figure]; !ok {
			return v.doc.Errorf(p+".figure", "unknown figure %q: known figures are %s", n.Figure, strings.Join(FigureNames(), ", "))
		}
		if n.PromQL != "" {
			return v.doc.Errorf(p+".promql", "a measured indicator names a figure, not a query")
		}
	case RulePromQL:
		if strings.TrimSpace(n.PromQL) == "" || len(n.PromQL) > MaxPromQLBytes {
			return v.doc.Errorf(p+".promql", "required, at most %d bytes", MaxPromQLBytes)
		}
		if !strings.Contains(n.PromQL, "$range") {
			return v.doc.Errorf(p+".promql", "use $range for the month's range (e.g. avg_over_time(x[$range])); it is evaluated at the month end")
		}
		expr, err := parser.NewParser(parser.Options{}).ParseExpr(strings.ReplaceAll(n.PromQL, "$range", "30d"))
		if err != nil {
			return v.doc.Errorf(p+".promql", "does not parse: %v", err)
		}
		if t := expr.Type(); t != parser.ValueTypeVector && t != parser.ValueTypeScalar {
			return v.doc.Errorf(p+".promql", "gives a %s: want an instant vector with one value per provider (label provider)", t)
		}
		if n.Figure != "" {
			return v.doc.Errorf(p+".figure", "a promql indicator has a query, not a figure")
		}
	case RuleManual:
		if n.Figure != "" || n.PromQL != "" {
			return v.doc.Errorf(p+".rule", "a manual indicator has neither figure nor promql")
		}
		if m := n.ManualMax; m != nil && !(*m > 0 && *m <= 1000) {
			return v.doc.Errorf(p+".manual_max", "%v: want > 0 and ≤ 1000", *m)
		}
		return nil // entered as a score: no scoring
	default:
		return v.doc.Errorf(p+".rule", "%q: want measured, promql or manual", n.Rule)
	}
	sc := n.Scoring
	if sc.Linear != nil && len(sc.Bands) > 0 {
		return v.doc.Errorf(p+".scoring", "linear or bands, not both")
	}
	if sc.Linear == nil && len(sc.Bands) == 0 && len(sc.Deductions) == 0 {
		return v.doc.Errorf(p+".scoring", "required: linear, bands or deductions")
	}
	if l := sc.Linear; l != nil && (l.Full == l.Zero || !finite(l.Full) || !finite(l.Zero)) {
		return v.doc.Errorf(p+".scoring.linear", "full and zero must be different finite numbers")
	}
	if len(sc.Bands) > MaxBands || len(sc.Deductions) > MaxDeductions {
		return v.doc.Errorf(p+".scoring", "at most %d bands and %d deductions", MaxBands, MaxDeductions)
	}
	for i, b := range sc.Bands {
		bp := fmt.Sprintf("%s.scoring.bands[%d]", p, i)
		if !(b.Score >= 0 && b.Score <= 100) {
			return v.doc.Errorf(bp+".score", "%v: want 0 … 100", b.Score)
		}
		if b.Min != nil && b.Max != nil && !(*b.Min < *b.Max) {
			return v.doc.Errorf(bp, "min %v must be below max %v", *b.Min, *b.Max)
		}
	}
	for i, d := range sc.Deductions {
		dp := fmt.Sprintf("%s.scoring.deductions[%d]", p, i)
		if !(d.Per > 0) || !(d.Points > 0 && d.Points <= 100) || !(d.Max > 0 && d.Max <= 100) || !finite(d.Above) {
			return v.doc.Errorf(dp, "want per > 0, points 0 … 100, max 0 … 100 and a finite above")
		}
		if strings.TrimSpace(d.Reason) == "" || len(d.Reason) > MaxTextBytes {
			return v.doc.Errorf(dp+".reason", "required (printed in 扣分说明), at most %d bytes", MaxTextBytes)
		}
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
