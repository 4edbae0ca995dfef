package report

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/metricnames"
)

// Daily temperature and humidity bands per sensor group (issue 16 item 7):
// for each Beijing day of the period, the lowest and highest temperature
// and humidity of each sensor group (env_temperature_celsius{role}, the
// groups the env_exporter gives: room, inlet, cold_aisle — the roles judged
// against the contract's room band, 21–27 °C and ≤ 60 %RH). Four range
// queries (min/max of temperature/humidity, by role) with a 1-day step at
// Beijing midnights; supply air, return air and hot aisle are not judged
// by the room band and are left to the per-sensor table.

// MaxBandDays bounds the daily table and its queries' steps: a year and a
// day. A longer period shows its last MaxBandDays days and says so.
const MaxBandDays = 366

// Room band of the contract (数据机房环境: 21–27 °C, relative humidity ≤ 60 %).
const (
	bandTempLow, bandTempHigh = 21.0, 27.0
	bandHumidityHigh          = 0.60
)

// bandGroups are the judged sensor groups in display order, with their
// wording ("": series from before the role label).
var bandGroups = []struct{ role, zh, en string }{
	{"room", "机房环境", "Room"},
	{"inlet", "进风口", "Inlet"},
	{"cold_aisle", "冷通道", "Cold aisle"},
	{"", "未分组传感器", "Sensors without a group"},
}

// dayBand is one group's figures of one day (NaN: no data).
type dayBand struct{ tmin, tmax, hmin, hmax float64 }

// bands adds the daily table and the two band charts to the 环境 topic.
func (r *run) bands(d *Document) error {
	first := r.month.Start
	days := int(r.month.End.Sub(first) / (24 * time.Hour)) // whole days measured (a draft's partial day is left out)
	clipped := false
	if days > MaxBandDays {
		first = first.AddDate(0, 0, days-MaxBandDays)
		days, clipped = MaxBandDays, true
	}
	if days < 1 {
		return nil
	}
	ms := int64(86400000)
	if r.rangeSemantics() == RangeClosed {
		ms-- // half-open (previous midnight, midnight]: a sample at midnight belongs to its own day
	}
	from, to := first.Add(24*time.Hour-time.Millisecond), first.Add(time.Duration(days)*24*time.Hour-time.Millisecond)
	type q struct {
		dst                *map[string][]Point
		purpose, fn, group string
		metric             string
	}
	var tmin, tmax, hmin, hmax map[string][]Point
	qs := []q{
		{&tmin, "daily lowest temperature per sensor group", "min", "min_over_time", metricnames.EnvTemperatureCelsius},
		{&tmax, "daily highest temperature per sensor group", "max", "max_over_time", metricnames.EnvTemperatureCelsius},
		{&hmin, "daily lowest humidity per sensor group", "min", "min_over_time", metricnames.EnvHumidityRatio},
		{&hmax, "daily highest humidity per sensor group", "max", "max_over_time", metricnames.EnvHumidityRatio},
	}
	var fns []func() error
	for _, x := range qs {
		fns = append(fns, func() error {
			res, err := r.queryRange(x.purpose, fmt.Sprintf("%s by (role) (%s(%s[%dms]))", x.fn, x.group, r.selector(x.metric), ms), from, to, 24*time.Hour)
			if err != nil {
				return err
			}
			m := map[string][]Point{}
			for _, s := range res {
				m[s.Labels["role"]] = append(m[s.Labels["role"]], s.Points...)
			}
			*x.dst = m
			return nil
		})
	}
	if err := r.parallel(fns...); err != nil {
		return err
	}
	// day index of an evaluation time (the end of its day, less 1 ms)
	dayOf := func(t time.Time) int { return int(t.Add(time.Millisecond).Sub(first)/(24*time.Hour)) - 1 }
	data := map[string][]dayBand{}
	fill := func(m map[string][]Point, set func(b *dayBand, v float64)) {
		for role, ps := range m {
			if data[role] == nil {
				data[role] = make([]dayBand, days)
				for i := range data[role] {
					data[role][i] = dayBand{math.NaN(), math.NaN(), math.NaN(), math.NaN()}
				}
			}
			for _, p := range ps {
				if i := dayOf(p.T); i >= 0 && i < days {
					set(&data[role][i], p.V)
				}
			}
		}
	}
	fill(tmin, func(b *dayBand, v float64) { b.tmin = v })
	fill(tmax, func(b *dayBand, v float64) { b.tmax = v })
	fill(hmin, func(b *dayBand, v float64) { b.hmin = v })
	fill(hmax, func(b *dayBand, v float64) { b.hmax = v })
	t, charts := r.bandTable(first, days, data)
	for i := range d.Sections {
		s := &d.Sections[i]
		if s.ID != "environment" {
			continue
		}
		text := r.tr(fmt.Sprintf("每日温湿度按北京时间自然日统计，按传感器分组（%s）取最低与最高值，对照合同机房环境要求 21～27 °C、相对湿度不高于 60 %%；超出的日期在“判定”列标出。", r.groupNames()),
			fmt.Sprintf("Daily temperature and humidity per Beijing calendar day and sensor group (%s), lowest and highest, against the contract's room band 21–27 °C and ≤ 60 %%RH; days out of band are marked in the verdict column.", r.groupNames()))
		if clipped {
			text += r.tr(fmt.Sprintf("本期超过 %d 天，只列最后 %d 天。", MaxBandDays, MaxBandDays), fmt.Sprintf(" The period is longer than %d days: the last %d are listed.", MaxBandDays, MaxBandDays))
		}
		s.Text = append(s.Text, text)
		s.SeriesCharts = append(s.SeriesCharts, charts...)
		s.Tables = append(s.Tables, t)
	}
	return nil
}

func (r *run) groupNames() string {
	var n []string
	for _, g := range bandGroups[:3] {
		n = append(n, r.tr(g.zh, g.en))
	}
	return strings.Join(n, r.tr("、", ", "))
}

// bandTable is the daily table (day; per judged group its temperature and
// humidity range; the verdict) and the temperature and humidity band
// charts.
func (r *run) bandTable(first time.Time, days int, data map[string][]dayBand) (Table, []SeriesChart) {
	t := Table{ID: "daily-bands", Title: "每日温湿度", TitleEN: "Daily temperature and humidity", Empty: r.tr("无温湿度数据", "no temperature or humidity data"),
		Columns: []Column{col("日期", "Day")}}
	tc := SeriesChart{Title: r.tr("每日温度范围", "Daily temperature range"), TitleEN: "Daily temperature range", Unit: "°C",
		Refs: []ChartRef{{bandTempLow, "21 °C"}, {bandTempHigh, "27 °C"}}}
	hc := SeriesChart{Title: r.tr("每日相对湿度范围", "Daily relative humidity range"), TitleEN: "Daily relative humidity range", Unit: "%RH",
		Refs: []ChartRef{{bandHumidityHigh * 100, "60 %RH"}}}
	type grp struct {
		name string
		b    []dayBand
	}
	var gs []grp
	for _, g := range bandGroups {
		if b, ok := data[g.role]; ok {
			gs = append(gs, grp{r.tr(g.zh, g.en), b})
		}
	}
	if len(gs) == 0 {
		return t, nil
	}
	for _, g := range gs {
		t.Columns = append(t.Columns, col(g.name+r.tr("温度 °C", " °C"), g.name+" °C"), col(g.name+r.tr("湿度 %RH", " %RH"), g.name+" %RH"))
		tl, hl := ChartLine{Name: g.name}, ChartLine{Name: g.name}
		for _, x := range g.b {
			tl.Low, tl.High = append(tl.Low, opt(x.tmin, 1)), append(tl.High, opt(x.tmax, 1))
			hl.Low, hl.High = append(hl.Low, opt(x.hmin, 100)), append(hl.High, opt(x.hmax, 100))
		}
		tc.Lines, hc.Lines = append(tc.Lines, tl), append(hc.Lines, hl)
	}
	t.Columns = append(t.Columns, col("判定", "Verdict"))
	rng := func(lo, hi, scale float64) string {
		if math.IsNaN(lo) || math.IsNaN(hi) {
			return r.noData()
		}
		return num(lo*scale, 1) + "～" + num(hi*scale, 1)
	}
	for i := 0; i < days; i++ {
		day := first.AddDate(0, 0, i)
		tc.X = append(tc.X, dayLabel(day, r.cfg.Lang))
		hc.X = append(hc.X, dayLabel(day, r.cfg.Lang))
		row := []string{docfmt.Date(day, r.cfg.Lang)}
		var out []string
		for _, g := range gs {
			x := g.b[i]
			row = append(row, rng(x.tmin, x.tmax, 1), rng(x.hmin, x.hmax, 100))
			if x.tmin < bandTempLow {
				out = append(out, g.name+r.tr("低于 21 °C", " below 21 °C"))
			}
			if x.tmax > bandTempHigh {
				out = append(out, g.name+r.tr("高于 27 °C", " above 27 °C"))
			}
			if x.hmax > bandHumidityHigh {
				out = append(out, g.name+r.tr("湿度高于 60 %RH", " above 60 %RH"))
			}
		}
		verdict := r.tr("正常", "within band")
		if len(out) > 0 {
			verdict = r.tr("超出：", "out of band: ") + strings.Join(out, r.tr("；", "; "))
		}
		t.Rows = append(t.Rows, append(row, verdict))
	}
	return t, []SeriesChart{tc, hc}
}

// opt is v·scale as a chart point (nil without data).
func opt(v, scale float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return fp(v * scale)
}

// dayLabel is a day on a chart's axis: 「10/31」.
func dayLabel(t time.Time, _ docfmt.Lang) string {
	s := t.In(calendar.Zone)
	return fmt.Sprintf("%d/%d", int(s.Month()), s.Day())
}
