package report

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
)

// Maintenance policies.
const (
	MaintenanceExcluded = "excluded"          // maintenance time leaves the denominator
	MaintenanceUptime   = "counted-as-uptime" // maintenance time counts as up
)

// Report kinds.
const (
	KindInfrastructure = "infrastructure"
	KindLines          = "lines"
	KindHosts          = "hosts"
	KindProviders      = "providers"
)

// Kinds lists the report kinds in display order.
var Kinds = []string{KindInfrastructure, KindLines, KindHosts, KindProviders}

// Formats lists the output formats.
var Formats = []string{"html", "pdf", "csv", "xlsx", "json"}

// Weights are the provider-score weights (they are normalised to sum 1).
type Weights struct {
	Availability float64 `json:"availability"`
	SLA          float64 `json:"sla"`
	Incidents    float64 `json:"incidents"`
	Recovery     float64 `json:"recovery"`
}

// Target is an availability target of one kind of entity. Contract targets
// come from the contract (99.99 % for the BGP internet line); Internal ones
// are the operator's own and are labelled 内部目标 in every document.
type Target struct {
	Ratio    float64 `json:"ratio"`
	Internal bool    `json:"internal,omitempty"`
}

// TargetKey is the key of an entity in Config.Targets: a line's kind label
// (bgp, leased), otherwise its namespace (host, website, env_condition).
func TargetKey(ns string, labels map[string]string) string {
	if ns == "line" && labels["kind"] != "" {
		return labels["kind"]
	}
	return ns
}

// Config configures the engine.
type Config struct {
	// SLATarget is the contract's target for the BGP internet line
	// (kind bgp) when Targets is nil.
	SLATarget float64 `json:"slaTarget"` // 0.9999
	// Targets are the per-kind targets (TargetKey); nil means the
	// contract's: SLATarget for kind bgp and no target for any other kind.
	Targets map[string]Target `json:"targets,omitempty"`
	// Lang is the document language (zh-CN by default; en is a separate
	// locale, never mixed into a zh-CN document).
	Lang docfmt.Lang `json:"lang,omitempty"`
	// Ident is the identification block of the cover and sign-off
	// (reports.yml); nil leaves the identification fields off the cover.
	Ident *docfmt.Identification `json:"-"`
	// Narrative is the period's editable text (主要问题及原因分析,
	// 整改措施及完成情况, 下一步工作计划及建议; narrative.go); an empty
	// section shows as 「（未填写）」 and blocks the sign-off.
	Narrative Narrative `json:"-"`

	MaintenancePolicy string            `json:"maintenancePolicy"` // excluded | counted-as-uptime
	Weights           Weights           `json:"weights"`
	Location          *time.Location    `json:"-"`
	Filter            map[string]string `json:"filter,omitempty"` // label filters (escaped)
	Organisation      string            `json:"organisation,omitempty"`
	// Evaluator scores the providers by the indicator system
	// (internal/eval); when set, the providers report shows its sections
	// instead of the former four-part score table (zh-CN documents).
	Evaluator ProviderEvaluator `json:"-"`
	// Frozen gives the signed-off snapshots (snapshot.Store): 环比 reads
	// the previous period from its snapshot when there is one; nil
	// rebuilds it.
	Frozen FrozenSource `json:"-"`
	// Now is the clock (tests); nil = time.Now.
	Now func() time.Time `json:"-"`
	// MaxRangePoints bounds query_range resolution (Prometheus: 11 000).
	MaxRangePoints int `json:"-"`
	// RawCounters computes every entity's counters from its raw samples
	// (counters.go counterSums' chunked path) instead of the instant
	// queries at the period's edges: the same figures, for comparing the
	// two paths (tests, make bench-report's ratio); never needed otherwise.
	RawCounters bool `json:"-"`
	// RawDetectors runs the incident detectors on raw samples even where
	// the recorded series (metricnames.Family.UpSamples1h, rules/recording.yml
	// group jianguan.report) cover the period: the comparison path (tests,
	// make bench-report's ratio).
	RawDetectors bool `json:"-"`
	// RawTraffic computes the lines' P95 traffic from the raw interface
	// counters even where metricnames.LineInterfaceBitsRate5m covers the
	// period: the comparison path.
	RawTraffic bool `json:"-"`
	// RawGauges reads the room gauges' minimum, maximum and mean over the
	// period from the raw samples even where the recorded hourly
	// aggregates (metricnames.GaugeHourly) cover it: the comparison path.
	RawGauges bool `json:"-"`
	// DiscoverAll looks every entity's counter series up over the period
	// (the series API) even where the configuration loads prove their set
	// unchanged (discovery.go): the comparison path.
	DiscoverAll bool `json:"-"`
}

// ProviderEvaluator turns the month's engine results into the evaluation
// of a document. entities are the lines, hosts and websites; conditions the
// machine room's env_condition entities.
type ProviderEvaluator interface {
	Evaluate(ctx context.Context, month Month, policy string, entities, conditions []EntityResult) (*Evaluation, error)
}

// ErrNoIndicatorSystem is a ProviderEvaluator's error for a period that
// begins before the first month of every indicator system it has: the
// document is built without an assessment and says so.
var ErrNoIndicatorSystem = errors.New("no indicator system")

// Evaluation is what a ProviderEvaluator adds to a document: its sections,
// the assessment kept with the document (JSON: a frozen month keeps the
// scores it used) and the queries and method for the audit appendix.
type Evaluation struct {
	Sections []Section
	JSON     json.RawMessage
	Queries  []AuditQuery
	Method   []string
}

// DefaultConfig is 99.99 %, maintenance excluded, Asia/Shanghai.
func DefaultConfig() Config {
	return Config{
		SLATarget:         0.9999,
		MaintenancePolicy: MaintenanceExcluded,
		Weights:           Weights{Availability: 0.5, SLA: 0.2, Incidents: 0.15, Recovery: 0.15},
		Location:          Shanghai,
	}
}

// Shanghai is calendar.Zone (Asia/Shanghai, tzdata embedded).
var Shanghai = calendar.Zone

// TargetFor is the target of an entity (Ratio 0: none).
func (c *Config) TargetFor(ns string, labels map[string]string) Target {
	if c.Targets == nil {
		if TargetKey(ns, labels) == "bgp" {
			return Target{Ratio: c.SLATarget}
		}
		return Target{}
	}
	return c.Targets[TargetKey(ns, labels)]
}

func (c *Config) normalise() error {
	if c.SLATarget == 0 {
		c.SLATarget = 0.9999
	}
	if !(c.SLATarget > 0 && c.SLATarget < 1) { // also NaN
		return Errorf(ErrBadRequest, "SLA target %v must be between 0 and 1 (e.g. 0.9999)", c.SLATarget)
	}
	for k, t := range c.Targets {
		if !(t.Ratio > 0 && t.Ratio < 1) || math.IsNaN(t.Ratio) {
			return Errorf(ErrBadRequest, "target for %q: %v must be between 0 and 1 (e.g. 0.9999); leave the kind out for no target", k, t.Ratio)
		}
	}
	if c.Lang == "" {
		c.Lang = docfmt.ZH
	}
	if _, err := docfmt.ParseLang(string(c.Lang)); err != nil {
		return Errorf(ErrBadRequest, "%v", err)
	}
	switch c.MaintenancePolicy {
	case "":
		c.MaintenancePolicy = MaintenanceExcluded
	case MaintenanceExcluded, MaintenanceUptime:
	default:
		return Errorf(ErrBadRequest, "maintenance policy %q: want %q or %q", c.MaintenancePolicy, MaintenanceExcluded, MaintenanceUptime)
	}
	w := c.Weights
	if w.Availability < 0 || w.SLA < 0 || w.Incidents < 0 || w.Recovery < 0 {
		return Errorf(ErrBadRequest, "provider weights must not be negative")
	}
	if s := w.Availability + w.SLA + w.Incidents + w.Recovery; s == 0 {
		c.Weights = DefaultConfig().Weights
	} else {
		c.Weights = Weights{w.Availability / s, w.SLA / s, w.Incidents / s, w.Recovery / s}
	}
	if c.Location == nil {
		c.Location = Shanghai
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.MaxRangePoints == 0 {
		c.MaxRangePoints = 10000
	}
	if _, err := Matchers(c.Filter); err != nil {
		return err
	}
	return nil
}

// Month is the span handed to a ProviderEvaluator and to
// internal/efficiency and internal/eval, which still take it: a report
// period as Label (calendar.Period.String: 2026-10, 2026-Q4, …) and
// [Start, End). The engine itself works on calendar.Period (Build);
// PeriodMonth converts.
type Month struct {
	Label      string // 2026-10
	Start, End time.Time
}

// Seconds is the wall-clock length.
func (m Month) Seconds() float64 { return m.End.Sub(m.Start).Seconds() }

// PeriodMonth is p as a Month (Label p.String()).
func PeriodMonth(p calendar.Period) Month {
	return Month{Label: p.String(), Start: p.Start, End: p.End}
}

// ParsePeriod parses a report period with calendar.ParsePeriod (the one
// parser: 2026-11, 2026-Q4, 2026, service, 2026-11-03..2026-11-17, …); svc
// is the configured service period (nil: "service" is an error). A period
// that has not begun at now is refused: it has no data. An unfinished
// period is accepted; Build reports it as a 截至 draft.
func ParsePeriod(s string, svc *calendar.Service, now time.Time) (calendar.Period, error) {
	p, err := calendar.ParsePeriod(s, svc)
	if err != nil {
		return calendar.Period{}, Errorf(ErrBadRequest, "%v", err)
	}
	if !now.After(p.Start) {
		return calendar.Period{}, Errorf(ErrBadRequest, "period %s has not begun: it starts %s (Beijing time); a period entirely in the future has no data", s, p.Start.In(Shanghai).Format("2006-01-02 15:04"))
	}
	return p, nil
}

// ParseMonth parses a complete calendar month YYYY-MM with
// calendar.ParsePeriod, for the kinds that are only made for a finished
// month (efficiency, the narrative of a month, the bench); every other caller
// uses ParsePeriod (any period; an unfinished one is a draft).
func ParseMonth(s string, _ *time.Location, now time.Time) (calendar.Period, error) {
	p, err := calendar.ParsePeriod(s, nil)
	if err != nil {
		return calendar.Period{}, Errorf(ErrBadRequest, "%v", err)
	}
	if p.Kind != calendar.KindMonth {
		return calendar.Period{}, Errorf(ErrBadRequest, "month %q: want YYYY-MM, e.g. 2026-10", s)
	}
	if !p.IsComplete(now) {
		return calendar.Period{}, Errorf(ErrBadRequest, "month %s is not finished yet (it ends %s); only complete months can be reported", s, p.End.Format("2006-01-02 15:04 MST"))
	}
	return p, nil
}

// ValidKind checks a report kind.
func ValidKind(k string) error {
	for _, x := range Kinds {
		if x == k {
			return nil
		}
	}
	return Errorf(ErrBadRequest, "unknown report kind %q: want one of infrastructure, lines, hosts, providers", k)
}

// ValidFormat checks an output format.
func ValidFormat(f string) error {
	for _, x := range Formats {
		if x == f {
			return nil
		}
	}
	return Errorf(ErrBadRequest, "unsupported format %q: want one of html, pdf, csv, xlsx, json", f)
}
