package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/snapshot"
)

func calendarMonth(m report.Month) calendar.Period { return calendar.MonthOf(m.Start) }

// monthZH writes a YYYY-MM label as a zh-CN document does: 2026年10月.
func monthZH(label string) string {
	t, err := time.Parse("2006-01", label)
	if err != nil {
		return label
	}
	return fmt.Sprintf("%d年%d月", t.Year(), int(t.Month()))
}

func frozenAtZH(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return docfmt.DateTime(t, docfmt.ZH)
}

// MonthState of one month in the annual rating.
const (
	MonthNotFrozen = "未冻结"
)

// FrozenMonth is one month as the annual rating read it.
type FrozenMonth struct {
	Month    string `json:"month"`
	Frozen   bool   `json:"frozen"`
	From     string `json:"from,omitempty"` // the snapshot's kind: DocMonthly or report.KindProviders
	SHA256   string `json:"sha256,omitempty"`
	FrozenAt string `json:"frozenAt,omitempty"`
	// Assessment of the month; nil when it is not frozen.
	Assessment *Assessment `json:"assessment,omitempty"`
}

// ReadYear reads the twelve monthly assessments of year from the snapshot
// store: the one every annual rating reads (jianguan-report --kind
// evaluation-annual and the plugin's 评估 page). A month counts when it is
// frozen as the monthly assessment (kind evaluation, jianguan-report --kind
// evaluation --freeze) or, failing that, as a providers report that carries
// the assessment (frozen with an indicator system configured: the same
// assessment the evaluation document shows). A month frozen neither way is
// 未冻结 and is never computed; a snapshot that does not verify is an error.
func ReadYear(st snapshot.Store, year int) ([]FrozenMonth, error) {
	out := make([]FrozenMonth, 0, 12)
	for mo := 1; mo <= 12; mo++ {
		label := fmt.Sprintf("%04d-%02d", year, mo)
		fm, err := readFrozen(st, label)
		if err != nil {
			return nil, err
		}
		out = append(out, fm)
	}
	return out, nil
}

// readFrozen is one month of ReadYear: its evaluation snapshot, else its
// providers snapshot when that carries an assessment.
func readFrozen(st snapshot.Store, label string) (FrozenMonth, error) {
	fm := FrozenMonth{Month: label}
	for _, kind := range []string{DocMonthly, report.KindProviders} {
		d, err := st.Load(kind, label)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return fm, fmt.Errorf("frozen %s %s: %w", kind, label, err)
		}
		if len(d.Evaluation) == 0 {
			if kind == DocMonthly {
				return fm, fmt.Errorf("frozen assessment %s: the snapshot carries no evaluation", label)
			}
			continue // a providers report frozen without an indicator system
		}
		var a Assessment
		if err := json.Unmarshal(d.Evaluation, &a); err != nil {
			return fm, fmt.Errorf("frozen %s %s: %w", kind, label, err)
		}
		fm.Frozen, fm.From, fm.Assessment, fm.SHA256, fm.FrozenAt = true, kind, &a, d.Frozen.SHA256, d.Frozen.FrozenAt
		return fm, nil
	}
	return fm, nil
}

// AnnualProvider is one provider's year.
type AnnualProvider struct {
	Provider   string   `json:"provider"`
	Kind       string   `json:"kind"`
	Months     []string `json:"months"` // per month: score and grade, 无法评价 or 未冻结
	RatedCount int      `json:"ratedMonths"`
	Score      float64  `json:"score"` // mean of the rated months
	Grade      string   `json:"grade,omitempty"`
	Trend      string   `json:"trend"`
	Strengths  []string `json:"strengths"`
	Weaknesses []string `json:"weaknesses"`
	Licence    string   `json:"licence"`
}

type indicatorYear struct {
	name        string
	scores      []float64 // rated months, in order
	first, last string    // months
}

// Annual collates the frozen months into the providers' year.
func Annual(months []FrozenMonth) (kinds map[string][]AnnualProvider, grades []Grade) {
	type acc struct {
		AnnualProvider
		scores []float64
		firstM string
		lastM  string
		ind    map[string]*indicatorYear
		order  []string
	}
	by := map[string]*acc{}
	var names []string
	for _, fm := range months {
		if fm.Assessment == nil {
			continue
		}
		grades = fm.Assessment.Grades // the latest frozen month's bands
		for _, k := range fm.Assessment.Kinds {
			for _, p := range k.Providers {
				key := k.Kind + "\x00" + p.Provider
				a := by[key]
				if a == nil {
					a = &acc{AnnualProvider: AnnualProvider{Provider: p.Provider, Kind: k.Kind}, ind: map[string]*indicatorYear{}}
					by[key] = a
					names = append(names, key)
				}
				for _, r := range p.Rows { // the licence review counts whether or not the month was rated
					if r.Rated && fm.Assessment.licence(r.ID) {
						a.Licence = fmt.Sprintf("%s（%s录入；%s）", r.Measured, monthZH(fm.Month), r.Source)
					}
				}
				if !p.Rated {
					continue
				}
				a.scores = append(a.scores, p.Score)
				if a.firstM == "" {
					a.firstM = fm.Month
				}
				a.lastM = fm.Month
				for _, r := range p.Rows {
					if r.Level == 1 || !r.Rated {
						continue
					}
					iy := a.ind[r.ID]
					if iy == nil {
						iy = &indicatorYear{name: r.Name, first: fm.Month}
						a.ind[r.ID] = iy
						a.order = append(a.order, r.ID)
					}
					iy.scores = append(iy.scores, r.Score)
					iy.last = fm.Month
				}
			}
		}
	}
	if grades == nil {
		grades = []Grade{{"A", 90}, {"B", 80}, {"C", 70}, {"D", 0}}
	}
	gs := &System{Grades: grades}
	kinds = map[string][]AnnualProvider{}
	sort.SliceStable(names, func(i, j int) bool { return docfmt.NaturalLess(names[i], names[j]) })
	for _, key := range names {
		a := by[key]
		for _, fm := range months {
			a.Months = append(a.Months, monthCell(fm, a.Kind, a.Provider))
		}
		a.RatedCount = len(a.scores)
		if a.Licence == "" {
			a.Licence = "本年度未录入"
		}
		if len(a.scores) > 0 {
			a.Score = mean(a.scores)
			a.Grade = gs.GradeOf(a.Score)
			a.Trend = trend(a.scores, a.firstM, a.lastM)
			a.Strengths, a.Weaknesses = strengths(a.ind, a.order)
		} else {
			a.Trend = "全年无可评价月份"
		}
		kinds[a.Kind] = append(kinds[a.Kind], a.AnnualProvider)
	}
	for k, ps := range kinds {
		sort.SliceStable(ps, func(i, j int) bool {
			if (ps[i].RatedCount > 0) != (ps[j].RatedCount > 0) {
				return ps[i].RatedCount > 0
			}
			return ps[i].Score > ps[j].Score
		})
		kinds[k] = ps
	}
	return kinds, grades
}

func (a *Assessment) licence(id string) bool {
	return a.LicenceIndicator != "" && a.LicenceIndicator == id
}

func monthCell(fm FrozenMonth, kind, provider string) string {
	if fm.Assessment == nil {
		return MonthNotFrozen
	}
	for _, k := range fm.Assessment.Kinds {
		if k.Kind != kind {
			continue
		}
		for _, p := range k.Providers {
			if p.Provider == provider {
				if p.Rated {
					return fmt.Sprintf("%.2f %s", p.Score, p.Grade)
				}
				return StateUnrated
			}
		}
	}
	return "未评估"
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// trend compares the first and the last rated month.
func trend(s []float64, first, last string) string {
	if len(s) < 2 {
		return fmt.Sprintf("仅%s一个月可评价，无趋势", monthZH(first))
	}
	d := s[len(s)-1] - s[0]
	lo, hi := s[0], s[0]
	for _, x := range s {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	dir := "基本持平"
	switch {
	case d >= 1:
		dir = fmt.Sprintf("上升 %.2f 分", d)
	case d <= -1:
		dir = fmt.Sprintf("下降 %.2f 分", -d)
	}
	return fmt.Sprintf("%s至%s由 %.2f 分到 %.2f 分，%s（最低 %.2f，最高 %.2f）", monthZH(first), monthZH(last), s[0], s[len(s)-1], dir, lo, hi)
}

// strengths: indicators averaging ≥ 90 (best first, at most 3);
// weaknesses: indicators averaging < 80 (worst first) and indicators that
// fell by 10 points or more from their first to their last rated month.
func strengths(ind map[string]*indicatorYear, order []string) (st, wk []string) {
	type m struct {
		id   string
		mean float64
		d    float64
	}
	var ms []m
	for _, id := range order {
		iy := ind[id]
		ms = append(ms, m{id, mean(iy.scores), iy.scores[len(iy.scores)-1] - iy.scores[0]})
	}
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].mean > ms[j].mean })
	for _, x := range ms {
		if x.mean >= 90 && len(st) < 3 {
			st = append(st, fmt.Sprintf("%s（年均 %.2f 分）", ind[x.id].name, x.mean))
		}
	}
	seen := map[string]bool{}
	for i := len(ms) - 1; i >= 0; i-- {
		x := ms[i]
		if x.mean < 80 && len(wk) < 3 {
			wk = append(wk, fmt.Sprintf("%s（年均 %.2f 分）", ind[x.id].name, x.mean))
			seen[x.id] = true
		}
	}
	for _, x := range ms {
		if x.d <= -10 && !seen[x.id] {
			iy := ind[x.id]
			wk = append(wk, fmt.Sprintf("%s（%s至%s下降 %.2f 分）", iy.name, monthZH(iy.first), monthZH(iy.last), -x.d))
		}
	}
	if len(st) == 0 {
		st = []string{"无年均 90 分以上的指标"}
	}
	if len(wk) == 0 {
		wk = []string{"无年均低于 80 分或明显下降的指标"}
	}
	return st, wk
}

// BuildAnnual is the annual rating report (deliverable 25) of year from the
// frozen monthly assessments in st; nothing is recomputed.
func BuildAnnual(st snapshot.Store, cfg report.Config, year int) (*report.Document, error) {
	if year < 2000 || year > 9999 {
		return nil, fmt.Errorf("year %d: want a four-digit year", year)
	}
	months, err := ReadYear(st, year)
	if err != nil {
		return nil, err
	}
	loc := cfg.Location
	if loc == nil {
		loc = report.Shanghai
	}
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	p := calendar.Year(year)
	d := &report.Document{Kind: DocAnnual, Lang: string(docfmt.ZH), Title: "云服务商综合评估年度评级报告", TitleEN: "Annual provider rating",
		Organisation: cfg.Organisation, Month: fmt.Sprint(year), PeriodStart: p.Start.In(loc).Format(time.RFC3339), PeriodEnd: p.End.In(loc).Format(time.RFC3339),
		TimeZone: loc.String(), MonthSeconds: p.Seconds(), GeneratedAt: now().In(loc).Format(time.RFC3339),
		PeriodText: docfmt.DateRange(p.Start, p.End, docfmt.ZH) + "（北京时间）"}
	var frozen, missing []string
	var method []string
	for _, fm := range months {
		if fm.Frozen {
			frozen = append(frozen, fm.Month)
			from := ""
			if fm.From == report.KindProviders {
				from = "（取自冻结的云服务商月度综合评估报告）"
			}
			method = append(method, fmt.Sprintf("%s：冻结于%s%s，SHA-256 %s，指标体系 %s 版", monthZH(fm.Month), frozenAtZH(fm.FrozenAt), from, fm.SHA256, fm.Assessment.SystemVersion))
		} else {
			missing = append(missing, monthZH(fm.Month))
		}
	}
	if len(frozen) == 0 {
		return nil, report.Errorf(report.ErrNoData, "%d 年没有已冻结的月度评估 / no frozen monthly assessment in %d: freeze the months first (jianguan-report --kind evaluation --freeze, or the providers report with an indicator system)", year, year)
	}
	kinds, grades := Annual(months)
	d.Summary = []report.KV{
		{Label: "评级周期", Value: d.PeriodText},
		{Label: "已冻结月份", Value: fmt.Sprintf("%d 个月", len(frozen))},
		{Label: "未冻结月份", Value: orNone(missing)},
		{Label: "等级划分", Value: gradesText(grades)},
	}
	d.Sections = append(d.Sections, report.Section{ID: "annual-method", Title: "评级方法", Text: []string{
		"年度评级只读取各月已冻结的月度综合评估结果（综合评估文档，或载有评估结果的云服务商月度综合评估报告；校验 SHA-256），从不重新计算；未冻结的月份列为「未冻结」，不参与评级。",
		"年度得分为全年可评价月份综合得分的算术平均值，等级按最近一个已冻结月份所用指标体系的等级划分；各月使用当月生效的指标体系版本。",
		"优势与不足由各指标全年得分生成：年均 90 分以上为优势；年均低于 80 分，或由首个可评价月份至最后一个下降 10 分以上为不足。",
		"运营资质年度审查结果为人工评分指标，取全年最近一次录入的结果及其证据。",
	}})
	mcols := []report.Column{col("服务商")}
	for mo := 1; mo <= 12; mo++ {
		mcols = append(mcols, col(fmt.Sprintf("%d月", mo)))
	}
	for _, kind := range []string{KindCloud, KindCarrier} {
		ps := kinds[kind]
		if len(ps) == 0 {
			continue
		}
		rank := report.Table{ID: "annual-rank-" + kind, Title: kindTitle(kind) + "年度评级",
			Columns: []report.Column{ncol("排名"), col("服务商"), ncol("年度得分"), col("等级"), ncol("可评价月数"), col("运营资质审查")}}
		trendT := report.Table{ID: "annual-trend-" + kind, Title: kindTitle(kind) + "各月得分", Columns: mcols}
		chart := report.Chart{Title: kindTitle(kind) + "年度得分", Unit: "分"}
		n := 0
		for _, ap := range ps {
			r, score, grade := "—", "—", StateUnrated
			if ap.RatedCount > 0 {
				n++
				r, score, grade = fmt.Sprint(n), fmt.Sprintf("%.2f", ap.Score), ap.Grade
				chart.Labels = append(chart.Labels, ap.Provider)
				chart.Values = append(chart.Values, ap.Score)
			}
			rank.Rows = append(rank.Rows, []string{r, ap.Provider, score, grade, fmt.Sprint(ap.RatedCount), ap.Licence})
			trendT.Rows = append(trendT.Rows, append([]string{ap.Provider}, ap.Months...))
		}
		sec := report.Section{ID: "annual-" + kind, Title: kindTitle(kind) + "年度评级结果", Tables: []report.Table{rank, trendT}}
		if len(chart.Values) > 0 {
			sec.Charts = []report.Chart{chart}
		}
		d.Sections = append(d.Sections, sec)
	}
	for _, kind := range []string{KindCloud, KindCarrier} {
		for i, ap := range kinds[kind] {
			d.Sections = append(d.Sections, report.Section{ID: fmt.Sprintf("annual-%s-%d", kind, i+1), Title: "评级分析：" + ap.Provider, Text: []string{
				"趋势：" + ap.Trend + "。",
				"优势：" + strings.Join(ap.Strengths, "；") + "。",
				"不足：" + strings.Join(ap.Weaknesses, "；") + "。",
				"运营资质审查：" + ap.Licence + "。",
			}})
		}
	}
	d.Audit = report.Audit{Method: append([]string{"本报告读取的已冻结月度评估："}, method...)}
	if cfg.Ident != nil {
		if d.Cover, err = report.CoverFor(cfg.Ident, DocAnnual, p, 1, docfmt.ZH); err != nil {
			return nil, err
		}
	}
	raw, err := json.Marshal(struct {
		Year   int                         `json:"year"`
		Months []FrozenMonth               `json:"months"`
		Kinds  map[string][]AnnualProvider `json:"kinds"`
	}{year, monthsIndex(months), kinds})
	if err != nil {
		return nil, err
	}
	d.Evaluation = raw
	return d, nil
}

// monthsIndex drops the assessments (the annual JSON names the snapshots,
// it does not copy them).
func monthsIndex(ms []FrozenMonth) []FrozenMonth {
	out := make([]FrozenMonth, len(ms))
	for i, m := range ms {
		m.Assessment = nil
		out[i] = m
	}
	return out
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "无"
	}
	return strings.Join(s, "、")
}
