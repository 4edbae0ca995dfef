package report

import (
	"encoding/json"
	"math"

	"github.com/jianguan/jianguan/internal/docfmt"
)

// Document is the report model every renderer reads. It is plain data so a
// frozen month is just its JSON.
type Document struct {
	Kind         string `json:"kind"`
	Lang         string `json:"lang,omitempty"` // zh-CN (default) or en: one language per document
	Cover        *Cover `json:"cover,omitempty"`
	PeriodText   string `json:"periodText,omitempty"` // 2026年10月1日至10月31日（北京时间）
	Title        string `json:"title"`
	TitleEN      string `json:"titleEN"`
	Organisation string `json:"organisation,omitempty"`
	Month        string `json:"month"`                // the period: calendar.Period.String (2026-10, 2026-Q4, service, …)
	PeriodKind   string `json:"periodKind,omitempty"` // calendar.Kind ("" in documents from before issue 16 item 4: month)
	// Draft: the period was not finished when the document was built; it
	// is measured up to AsOf (PeriodEnd) and cannot be frozen.
	Draft             bool            `json:"draft,omitempty"`
	AsOf              string          `json:"asOf,omitempty"`
	PeriodStart       string          `json:"periodStart"` // RFC 3339 in the report zone
	PeriodEnd         string          `json:"periodEnd"`
	TimeZone          string          `json:"timeZone"`
	MonthSeconds      float64         `json:"monthSeconds"`
	GeneratedAt       string          `json:"generatedAt"`
	SLATarget         float64         `json:"slaTarget"`
	MaintenancePolicy string          `json:"maintenancePolicy"`
	Filter            string          `json:"filter,omitempty"`
	Summary           []KV            `json:"summary"`
	Sections          []Section       `json:"sections"`
	Entities          []EntityResult  `json:"entities,omitempty"`
	Providers         []ProviderScore `json:"providers,omitempty"`
	// Annexes are the complete per-entity lists of lists longer than
	// BodyRows (annex.go), printed after the body.
	Annexes []Annex `json:"annexes,omitempty"`
	// Trend: the availability of the last TrendMonths months per kind
	// (trend.go; lines and hosts reports).
	Trend []PeriodFigures `json:"trend,omitempty"`
	// Evaluation is the indicator-system assessment (internal/eval's
	// Assessment as JSON) when the document carries one: a frozen month
	// keeps the system version and the scores it used.
	Evaluation json.RawMessage `json:"evaluation,omitempty"`
	// PerMonth: the months of a period longer than one (the per-month
	// table's figures).
	PerMonth []PeriodFigures `json:"perMonth,omitempty"`
	// Comparison: the headline figures beside the previous period's (环比).
	Comparison     []Compared `json:"comparison,omitempty"`
	PreviousPeriod string     `json:"previousPeriod,omitempty"`
	// PreviousFrozen: 环比 read the previous period's snapshot (its
	// SHA-256 and time) instead of rebuilding it (Config.Frozen).
	PreviousFrozen *Frozen `json:"previousFrozen,omitempty"`
	Audit          Audit   `json:"audit"`
	Frozen         *Frozen `json:"frozen,omitempty"`
}

// Cover is the identification block of the cover and the sign-off block
// (from reports.yml, docfmt.Identification). The sign-off names are shown
// only on a frozen (signed-off) document; a draft has empty lines.
type Cover struct {
	Project         string         `json:"project"`
	ContractNo      string         `json:"contractNo"`
	Client          string         `json:"client"`
	Submitter       string         `json:"submitter"`
	Recipient       string         `json:"recipient"`
	ReportNumber    string         `json:"reportNumber"`
	ServicePeriod   string         `json:"servicePeriod"`
	Confidentiality string         `json:"confidentiality"`
	SignOff         docfmt.SignOff `json:"signOff"`
}

// Frozen marks a document rendered from a snapshot.
type Frozen struct {
	FrozenAt string `json:"frozenAt"`
	SHA256   string `json:"sha256"`
}

// KV is a labelled figure.
type KV struct {
	Label   string `json:"label"`
	LabelEN string `json:"labelEN"`
	Value   string `json:"value"`
}

// Section is a titled part of a report.
type Section struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	TitleEN string   `json:"titleEN"`
	Text    []string `json:"text,omitempty"`
	Charts  []Chart  `json:"charts,omitempty"`
	// SeriesCharts: line and band charts over time (trend, daily
	// temperature and humidity; chart.go).
	SeriesCharts []SeriesChart `json:"seriesCharts,omitempty"`
	Tables       []Table       `json:"tables,omitempty"`
}

// Column of a table; Numeric columns become numbers in XLSX.
type Column struct {
	Title   string `json:"title"`
	TitleEN string `json:"titleEN"`
	Numeric bool   `json:"numeric,omitempty"`
}

// Table is rows of display strings.
type Table struct {
	ID      string     `json:"id"`
	Title   string     `json:"title"`
	TitleEN string     `json:"titleEN"`
	Columns []Column   `json:"columns"`
	Rows    [][]string `json:"rows"`
	Empty   string     `json:"empty,omitempty"`
}

// Chart is a horizontal bar chart (rendered as inline SVG).
type Chart struct {
	Title          string    `json:"title"`
	TitleEN        string    `json:"titleEN"`
	Labels         []string  `json:"labels"`
	Values         []float64 `json:"values"`
	Unit           string    `json:"unit"`
	Threshold      float64   `json:"threshold,omitempty"` // drawn as a red line when > 0
	ThresholdLabel string    `json:"thresholdLabel,omitempty"`
}

// Incident is one confirmed outage overlapping the month.
type Incident struct {
	Start       string  `json:"start"` // RFC 3339, report zone; may precede the month
	End         string  `json:"end"`   // may be the month end when ongoing
	StartUnix   int64   `json:"startUnix"`
	EndUnix     int64   `json:"endUnix"`
	Seconds     float64 `json:"seconds"`     // duration inside the month
	Maintenance bool    `json:"maintenance"` // inside a maintenance window
	Ongoing     bool    `json:"ongoing"`     // still down at month end
	Note        string  `json:"note,omitempty"`
	// UnknownSeconds: unknown time inside the incident and the month
	// (unknown scrapes, scrape gaps, exporter not running); Seconds −
	// UnknownSeconds is the down time the counters saw.
	UnknownSeconds float64 `json:"unknownSeconds,omitempty"`
	// Interrupted (监测中断): the series ended while down (target removed,
	// monitoring stopped); End is its last sample.
	Interrupted bool `json:"interrupted,omitempty"`
}

// Counter is one counter's raw values for the audit.
type Counter struct {
	Start  float64 `json:"start"`
	End    float64 `json:"end"`
	Resets int     `json:"resets"`
	Delta  float64 `json:"delta"`
	Note   string  `json:"note,omitempty"`
	// EdgeInterpolated: the growth interpolated between the samples around
	// the period edges (added at the end, removed at the start; included in
	// Start, End and Delta). See docs/metrics.md, "Period edges".
	EdgeInterpolated float64 `json:"edgeInterpolated,omitempty"`
}

// EntityResult is one availability entity (line, host, website, condition).
type EntityResult struct {
	NS                     string             `json:"ns"`
	Name                   string             `json:"name"`
	Labels                 map[string]string  `json:"labels"`
	ObservedSeconds        float64            `json:"observedSeconds"`
	DownSeconds            float64            `json:"downSeconds"`
	MaintenanceSeconds     float64            `json:"maintenanceSeconds"`
	MaintenanceDownSeconds float64            `json:"maintenanceDownSeconds"`
	UnknownSeconds         float64            `json:"unknownSeconds"`
	StateChanges           float64            `json:"stateChanges"`
	Availability           float64            `json:"availability"`           // NaN → -1 in JSON
	AvailabilityLowerBound float64            `json:"availabilityLowerBound"` // unknown counted as down
	BudgetSeconds          float64            `json:"budgetSeconds"`
	RemainingSeconds       float64            `json:"remainingSeconds"`
	Status                 string             `json:"status"`                   // met | breached | indeterminate | no_target
	Target                 float64            `json:"target,omitempty"`         // 0: no target for this kind
	TargetInternal         bool               `json:"targetInternal,omitempty"` // a configured internal target (内部目标), not the contract's
	Incidents              []Incident         `json:"incidents"`
	Counters               map[string]Counter `json:"counters"`
	Extra                  map[string]float64 `json:"extra,omitempty"`
	// EdgeBoundSeconds: the error bound of the observed and down time at
	// the period edges where the state changed inside the scrape straddling an edge
	// (0: exact to ≤ 1 s).
	EdgeBoundSeconds float64 `json:"edgeBoundSeconds,omitempty"`
	// StartsInside / EndsInside: no sample in the 5 min before the period
	// start / end: the series starts or ends inside the period.
	StartsInside bool `json:"startsInside,omitempty"`
	EndsInside   bool `json:"endsInside,omitempty"`
}

// ProviderScore is one provider's availability summary with the former
// four-part score (S_avail, S_sla, S_inc, S_rec). The documents show the
// indicator-system assessment instead when Config.Evaluator is set
// (internal/eval, docs/evaluation.md); these fields stay in the JSON.
type ProviderScore struct {
	Provider      string  `json:"provider"`
	Entities      int     `json:"entities"`
	Availability  float64 `json:"availability"`
	Met           int     `json:"met"`
	NoTarget      int     `json:"noTarget,omitempty"` // entities without a target (not counted in S_sla)
	Incidents     int     `json:"incidents"`
	MTTRSeconds   float64 `json:"mttrSeconds"`
	SAvailability float64 `json:"scoreAvailability"`
	SSLA          float64 `json:"scoreSLA"`
	SIncidents    float64 `json:"scoreIncidents"`
	SRecovery     float64 `json:"scoreRecovery"`
	Score         float64 `json:"score"`
}

// Audit is the appendix.
type Audit struct {
	Policy  string       `json:"policy"`
	Method  []string     `json:"method"`
	Queries []AuditQuery `json:"queries"`
	// Caveats: where figures may disagree (e.g. incidents vs the down
	// counters beyond the stated bound).
	Caveats []string `json:"caveats,omitempty"`
	// Backend: which backend answered, its version and its measured
	// range-selector semantics (nil in documents from before issue 17).
	Backend *Backend `json:"backend,omitempty"`
}

// AuditQuery is one PromQL evaluation the figures come from.
type AuditQuery struct {
	Purpose string `json:"purpose"`
	PromQL  string `json:"promql"`
	EvalAt  string `json:"evalAt"` // RFC 3339 UTC, or a range description
	Series  int    `json:"series"`
}

// Status values.
const (
	StatusMet           = "met"
	StatusBreached      = "breached"
	StatusIndeterminate = "indeterminate"
	// StatusNoTarget: the contract sets no availability target for the
	// entity's kind and none is configured; its availability is shown with
	// no verdict.
	StatusNoTarget = "no_target"
)

// Eval is the pure availability arithmetic for one entity.
type Eval struct {
	Availability, LowerBound, Budget, Remaining, Unknown float64
	Status                                               string
}

// Evaluate computes availability, budget and status from counter deltas.
//
//   - unknown = monthSeconds − Δobserved (never negative)
//   - excluded:          A = 1 − Δdown / (Δobserved − Δmaintenance), budget = (1−target)·(month − Δmaintenance)
//   - counted-as-uptime: A = 1 − Δdown / Δobserved,                  budget = (1−target)·month
//   - breached if Δdown > budget; else indeterminate if unknown > budget − Δdown; else met.
//   - target ≤ 0 (no target for the kind): no budget and no verdict (no_target).
func Evaluate(monthSeconds, observed, down, maint float64, target float64, policy string) Eval {
	var e Eval
	e.Unknown = math.Max(0, monthSeconds-observed)
	denom, base := observed, monthSeconds
	if policy == MaintenanceExcluded {
		denom -= maint
		base -= maint
	}
	if denom > 0 {
		e.Availability = 1 - down/denom
	} else {
		e.Availability = math.NaN()
	}
	if base > 0 {
		e.LowerBound = 1 - (down+e.Unknown)/base
	} else {
		e.LowerBound = math.NaN()
	}
	if !(target > 0) {
		e.Status = StatusNoTarget
		return e
	}
	e.Budget = (1 - target) * base
	e.Remaining = e.Budget - down
	switch {
	case down > e.Budget+1e-6:
		e.Status = StatusBreached
	case observed <= 0 || e.Unknown > e.Remaining+1e-6:
		e.Status = StatusIndeterminate
	default:
		e.Status = StatusMet
	}
	return e
}

// Score arithmetic (published in every provider report):
//
//	S_avail = 100 · clamp(1 − (target − A) / (10·(1 − target)), 0, 1)   (100 at or above target, 0 at ten budgets)
//	S_sla   = 100 · met / entities
//	S_inc   = 100 · clamp(1 − incidents / (5·entities), 0, 1)
//	S_rec   = 100 · clamp(1 − MTTR / 3600 s, 0, 1)                       (100 without incidents)
//	score   = w_a·S_avail + w_s·S_sla + w_i·S_inc + w_r·S_rec             (weights normalised to sum 1)
func Score(p *ProviderScore, target float64, w Weights) {
	clamp := func(x float64) float64 { return math.Max(0, math.Min(1, x)) }
	if math.IsNaN(p.Availability) {
		p.SAvailability = 0
	} else {
		p.SAvailability = 100 * clamp(1-(target-p.Availability)/(10*(1-target)))
	}
	targeted := p.Entities - p.NoTarget
	if targeted > 0 {
		p.SSLA = 100 * float64(p.Met) / float64(targeted)
	}
	if p.Entities > 0 {
		p.SIncidents = 100 * clamp(1-float64(p.Incidents)/(5*float64(p.Entities)))
	}
	if p.Incidents == 0 {
		p.SRecovery = 100
	} else {
		p.SRecovery = 100 * clamp(1-p.MTTRSeconds/3600)
	}
	if targeted <= 0 && p.Entities > 0 && w.SLA < 1 {
		// No entity with a target: S_sla does not exist, and the other
		// weights are renormalised rather than scoring 0 for it.
		p.Score = (w.Availability*p.SAvailability + w.Incidents*p.SIncidents + w.Recovery*p.SRecovery) / (1 - w.SLA)
		return
	}
	p.Score = w.Availability*p.SAvailability + w.SLA*p.SSLA + w.Incidents*p.SIncidents + w.Recovery*p.SRecovery
}

// ScoreFormulaZH is ScoreFormula in a zh-CN document.
const ScoreFormulaZH = "可用性得分 = 100 ×（1 − (目标 − 可用率) ÷ (10 × (1 − 目标))），限于 0～100；达标得分 = 100 × 达标对象数 ÷ 设定目标的对象数；" +
	"事件得分 = 100 ×（1 − 事件数 ÷ (5 × 对象数)），限于 0～100；恢复得分 = 100 ×（1 − 平均恢复时长 ÷ 1小时），限于 0～100（无事件时为 100）；" +
	"综合得分 = 各得分按权重加权之和（无设定目标的对象时，达标得分不计，其余权重按比例放大）"

// ScoreFormula is printed in the report.
const ScoreFormula = "S_avail = 100·clamp(1 − (target − A)/(10·(1 − target)), 0, 1); S_sla = 100·met/entities; " +
	"S_inc = 100·clamp(1 − incidents/(5·entities), 0, 1); S_rec = 100·clamp(1 − MTTR/3600 s, 0, 1) (100 without incidents); " +
	"score = w_a·S_avail + w_s·S_sla + w_i·S_inc + w_r·S_rec"
