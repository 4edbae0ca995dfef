package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/statushistory"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// ReportApp is the report plugin's id; SLA links point at its resources.
const ReportApp = "jianguan-report-app"

// ReportKinds are the report kinds the SLA dashboard links to
// (/api/plugins/jianguan-report-app/resources/reports/{kind}/{month}.html).
var ReportKinds = []struct{ Kind, Title string }{
	{"infrastructure", "机房基础设施月报 Infrastructure report"},
	{"lines", "线路月报 Lines report"},
	{"hosts", "云主机与网站月报 Hosts & websites report"},
	{"providers", "云服务商月度评估 Provider evaluation"},
}

// SLATarget is the availability target the dashboards draw budgets against.
const SLATarget = 0.9999

// Panel kinds.
const (
	kStat       = "stat"
	kTimeseries = "timeseries"
	kTable      = "table"
	kTimeline   = "state-timeline"
	kStatus     = "status-history"
	kBarGauge   = "bargauge"
)

// Q is one PromQL target.
type Q struct {
	Expr    string
	Legend  string
	Instant bool // instant query (tables, stats over $__range)
	Table   bool // format=table
}

// P describes one panel; it is turned into SDK builders by build().
type P struct {
	Kind       string
	Title      string // zh-CN + English
	Desc       string
	Unit       string
	W, H       uint32
	X, Y       *uint32 // explicit position (wallboard)
	Queries    []Q
	TimeFrom   string // e.g. "now/M" = month to date
	Steps      []step // thresholds; first value ignored (base)
	Maps       []dashboard.ValueMapping
	Min, Max   *float64
	Decimals   *float64
	Links      []link
	Transforms []dashboard.DataTransformerConfig
	Overrides  []dashboard.DashboardFieldConfigSourceOverrides
	MayBeEmpty bool // healthy systems legitimately return no series (e.g. "down now" lists)
	Horizontal bool
	ColorBg    bool // stat: colour the background
	Sort       string
}

type step struct {
	v     float64
	color string
}

type link struct{ title, url string }

func f64(v float64) *float64 { return &v }
func u32(v uint32) *uint32   { return &v }
func str(v string) *string   { return &v }

var dsRef = common.DataSourceRef{Type: str("prometheus"), Uid: str("${datasource}")}

// thresholds helpers
func steps(base string, rest ...any) []step {
	s := []step{{0, base}}
	for i := 0; i+1 < len(rest); i += 2 {
		s = append(s, step{toF(rest[i]), rest[i+1].(string)})
	}
	return s
}

func toF(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	panic(fmt.Sprintf("bad number %v", v))
}

// valueMap maps exact values to text and colour: "1", "正常 UP", "green", …
func valueMap(kv ...string) []dashboard.ValueMapping {
	opts := map[string]dashboard.ValueMappingResult{}
	for i := 0; i+2 < len(kv); i += 3 {
		idx := int32(i / 3)
		opts[kv[i]] = dashboard.ValueMappingResult{Text: str(kv[i+1]), Color: str(kv[i+2]), Index: &idx}
	}
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: opts}}}
}

var upDown = valueMap("1", "正常 UP", "green", "0", "故障 DOWN", "red")

type panelBuilder struct{ p dashboard.Panel }

func (b panelBuilder) Build() (dashboard.Panel, error) { return b.p, nil }

func (p P) build() (cog.Builder[dashboard.Panel], error) {
	var base dashboard.Panel
	var err error
	switch p.Kind {
	case kStat:
		b := stat.NewPanelBuilder().
			GraphMode(common.BigValueGraphModeNone).
			JustifyMode(common.BigValueJustifyModeCenter).
			TextMode(common.BigValueTextModeValueAndName).
			ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false))
		if p.ColorBg {
			b.ColorMode(common.BigValueColorModeBackground)
		} else {
			b.ColorMode(common.BigValueColorModeValue)
		}
		if p.Horizontal {
			b.Orientation(common.VizOrientationHorizontal)
		} else {
			b.Orientation(common.VizOrientationAuto)
		}
		base, err = b.Build()
	case kTimeseries:
		base, err = timeseries.NewPanelBuilder().
			LineWidth(1).FillOpacity(10).
			Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeTable).Placement(common.LegendPlacementRight).Calcs([]string{"lastNotNull", "max"})).
			Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending)).
			ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeLine)).
			Build()
	case kTable:
		b := table.NewPanelBuilder().ShowHeader(true).
			Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{"sum"}).CountRows(false))
		if p.Sort != "" {
			b.SortBy([]cog.Builder[common.TableSortByFieldState]{common.NewTableSortByFieldStateBuilder().DisplayName(p.Sort).Desc(true)})
		}
		base, err = b.Build()
	case kTimeline:
		base, err = statetimeline.NewPanelBuilder().ShowValue(common.VisibilityModeNever).MergeValues(true).RowHeight(0.9).
			Legend(common.NewVizLegendOptionsBuilder().ShowLegend(false)).Build()
	case kStatus:
		base, err = statushistory.NewPanelBuilder().ShowValue(common.VisibilityModeNever).RowHeight(0.9).
			Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom)).Build()
	case kBarGauge:
		b := bargauge.NewPanelBuilder().DisplayMode(common.BarGaugeDisplayModeBasic).ShowUnfilled(true).
			ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false))
		if p.Horizontal {
			b.Orientation(common.VizOrientationHorizontal)
		}
		base, err = b.Build()
	default:
		return nil, fmt.Errorf("panel %q: unknown kind %q", p.Title, p.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("panel %q: %w", p.Title, err)
	}
	base.Title = str(p.Title)
	base.Description = str(p.Desc)
	base.Datasource = &dsRef
	w, h := p.W, p.H
	if w == 0 {
		w = 12
	}
	if h == 0 {
		h = 8
	}
	gp := dashboard.GridPos{W: w, H: h}
	if p.X != nil {
		gp.X = *p.X
	}
	if p.Y != nil {
		gp.Y = *p.Y
	}
	base.GridPos = &gp
	if p.TimeFrom != "" {
		base.TimeFrom = str(p.TimeFrom)
	}
	for i, q := range p.Queries {
		qb := prometheus.NewDataqueryBuilder().
			Expr(q.Expr).
			RefId(string(rune('A' + i))).
			Datasource(dsRef).
			EditorMode(prometheus.QueryEditorModeCode)
		if q.Legend != "" {
			qb.LegendFormat(q.Legend)
		}
		if q.Instant {
			qb.Instant()
		} else {
			qb.Range()
		}
		if q.Table {
			qb.Format(prometheus.PromQueryFormatTable)
		}
		dq, err := qb.Build()
		if err != nil {
			return nil, fmt.Errorf("panel %q query %d: %w", p.Title, i, err)
		}
		base.Targets = append(base.Targets, dq)
	}
	if base.FieldConfig == nil {
		base.FieldConfig = &dashboard.FieldConfigSource{}
	}
	d := &base.FieldConfig.Defaults
	d.Unit = str(p.Unit)
	d.Min, d.Max, d.Decimals = p.Min, p.Max, p.Decimals
	if len(p.Steps) > 0 {
		var ts []dashboard.Threshold
		for i, s := range p.Steps {
			t := dashboard.Threshold{Color: s.color}
			if i > 0 {
				t.Value = f64(s.v)
			}
			ts = append(ts, t)
		}
		d.Thresholds = &dashboard.ThresholdsConfig{Mode: dashboard.ThresholdsModeAbsolute, Steps: ts}
		d.Color = &dashboard.FieldColor{Mode: dashboard.FieldColorModeIdThresholds}
	} else if p.Kind == kTimeseries {
		d.Color = &dashboard.FieldColor{Mode: dashboard.FieldColorModeIdPaletteClassic}
	}
	d.Mappings = p.Maps
	for _, l := range p.Links {
		d.Links = append(d.Links, dashboard.DashboardLink{Title: l.title, Url: str(l.url), Type: dashboard.DashboardLinkTypeLink, TargetBlank: true, Icon: "doc", Tags: []string{}})
	}
	base.FieldConfig.Overrides = append(base.FieldConfig.Overrides, p.Overrides...)
	if base.FieldConfig.Overrides == nil {
		base.FieldConfig.Overrides = []dashboard.DashboardFieldConfigSourceOverrides{}
	}
	base.Transformations = p.Transforms
	return panelBuilder{base}, nil
}

// V is a query variable over a label.
type V struct {
	Name, Label, Metric, LabelName string
	Parents                        []string // variables that filter this one
}

// D describes a dashboard.
type D struct {
	UID, File, Title, Desc string
	Tags                   []string
	Refresh                string
	From, To               string
	Vars                   []V
	Rows                   []Row
	Links                  []link
	Kiosk                  bool // wallboard: no rows, fixed positions
}

// Row groups panels under a (non-collapsed) row header.
type Row struct {
	Title  string
	Panels []P
}

func (v V) query() string {
	var sel []string
	for _, p := range v.Parents {
		sel = append(sel, fmt.Sprintf(`%s=~"$%s"`, p, p))
	}
	m := v.Metric
	if len(sel) > 0 {
		if strings.HasSuffix(m, "}") {
			m = strings.TrimSuffix(m, "}") + "," + join(sel, ",") + "}"
		} else {
			m += "{" + join(sel, ",") + "}"
		}
	}
	return fmt.Sprintf("label_values(%s, %s)", m, v.LabelName)
}

func join(s []string, sep string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(x)
	}
	return b.String()
}

func (d D) build() (dashboard.Dashboard, error) {
	b := dashboard.NewDashboardBuilder(d.Title).
		Uid(d.UID).
		Description(d.Desc).
		Tags(append([]string{"jianguan"}, d.Tags...)).
		Timezone("Asia/Shanghai").
		WeekStart("monday").
		Refresh(d.Refresh).
		Time(d.From, d.To).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Readonly()
	b.Timepicker(dashboard.NewTimePickerBuilder().RefreshIntervals([]string{"30s", "1m", "5m", "15m"}))
	b.WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").
		Label("数据源 Data source").
		Type("prometheus"))
	for _, v := range d.Vars {
		q := v.query()
		b.WithVariable(dashboard.NewQueryVariableBuilder(v.Name).
			Label(v.Label).
			Query(dashboard.StringOrMap{String: str(q)}).
			Definition(q).
			Datasource(dsRef).
			Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
			Sort(dashboard.VariableSortAlphabeticalAsc).
			Multi(true).
			IncludeAll(true).
			AllValue(".*").
			Current(dashboard.VariableOption{
				Selected: cog.ToPtr(true),
				Text:     dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
				Value:    dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
			}))
	}
	for _, l := range d.Links {
		b.Link(dashboard.NewDashboardLinkBuilder(l.title).Type(dashboard.DashboardLinkTypeLink).Url(l.url).TargetBlank(true).Icon("doc").Tooltip(l.title))
	}
	if len(d.Vars) > 0 || d.Kiosk {
		b.Link(dashboard.NewDashboardLinkBuilder("jianguan").Type(dashboard.DashboardLinkTypeDashboards).Tags([]string{"jianguan"}).AsDropdown(true).IncludeVars(true).KeepTime(true))
	}
	id := uint32(1)
	for _, r := range d.Rows {
		if r.Title != "" {
			b.WithRow(dashboard.NewRowBuilder(r.Title).Id(id))
			id++
		}
		for _, p := range r.Panels {
			pb, err := p.build()
			if err != nil {
				return dashboard.Dashboard{}, fmt.Errorf("%s: %w", d.UID, err)
			}
			built, _ := pb.Build()
			built.Id = u32(id)
			id++
			b.WithPanel(panelBuilder{built})
		}
	}
	return b.Build()
}

// Dashboards returns the dashboard descriptions, in file order.
func Dashboards() []D {
	return []D{wallboard(), machineRoom(), lines(), hostsWebsites(), sla()}
}

// Render builds every dashboard and returns file name → JSON.
func Render() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, d := range Dashboards() {
		db, err := d.build()
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(db); err != nil {
			return nil, err
		}
		out[d.File] = buf.Bytes()
	}
	return out, nil
}

// FileNames returns the keys of Render's result, sorted.
func FileNames(m map[string][]byte) []string {
	var n []string
	for k := range m {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// MayBeEmpty returns "uid/panel title" for panels that legitimately return no
// series on a healthy system (lists of what is down, firing alerts, …); the
// end-to-end test does not require data from them.
func MayBeEmpty() map[string]bool {
	m := map[string]bool{}
	for _, d := range Dashboards() {
		for _, r := range d.Rows {
			for _, p := range r.Panels {
				if p.MayBeEmpty {
					m[d.UID+"/"+p.Title] = true
				}
			}
		}
	}
	return m
}
