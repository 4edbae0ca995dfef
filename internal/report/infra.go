package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/metricnames"
)

// ---- infrastructure (deliverable 1) ----

// infraTopic is one of the five topics deliverable 1 names, in the
// contract's order (附件5 item 1: 电力（UPS、油机）、空调、消防（烟感系统、报警系统）、
// 安防系统（门禁、门窗）、环境（机房清洁度、温度、湿度）), with the env_condition
// conditions that are its alarms. A topic is always present: when nothing
// happened it says so (「本月运行正常，未发生告警。」).
type infraTopic struct {
	id, zh, en string
	alarms     []string // env_condition{condition} values counted as this topic's alarms
}

var infraTopics = []infraTopic{
	{"power", "电力（UPS、油机）", "Power (UPS, generator)", []string{"on_battery", "feed_lost", "ups_redundancy_lost"}},
	{"cooling", "空调", "Air conditioning", []string{"cooling_redundancy_lost"}},
	{"fire", "消防（烟感系统、报警系统）", "Fire protection (smoke detection, alarm system)", []string{"smoke"}},
	{"security", "安防系统（门禁、门窗）", "Security (access control, doors and windows)", []string{"door_open"}},
	{"environment", "环境（机房清洁度、温度、湿度）", "Environment (cleanliness, temperature, humidity)", []string{"temperature_out_of_band", "humidity_high", "leak"}},
}

// InfraTopicTitles are the five topic headings of the infrastructure
// report in the contract's order (zh-CN), for tests and readers.
func InfraTopicTitles() []string {
	t := make([]string, len(infraTopics))
	for i, x := range infraTopics {
		t[i] = x.zh
	}
	return t
}

// roomBandRoles are the sensor roles (env_temperature_celsius{role}) judged
// against the room band 21–27 °C, ≤ 60 %RH: room, inlet, cold aisle, and ""
// (series from before the role label). Supply air, return air and hot
// aisle are reported only (env_exporter README, sensor roles).
var roomBandRoles = map[string]bool{"": true, "room": true, "inlet": true, "cold_aisle": true}

// infraGauges are the gauge aggregates of the infrastructure report, each
// one instant query over the period (half-open, gaugeWindow).
type infraGauges struct {
	rt, load, tmin, tavg, tmax, hmin, havg, hmax map[string]Series
	genRun, fuelMin, fuelMax                     map[string]Series
	rackMax, rackAvg, crac, smoke, doorAvg, leak map[string]Series
	coolMinRunning, coolRequired                 map[string]Series
}

func (r *run) buildInfra(d *Document) error {
	conds, err := r.fetchAvailability(metricnames.EnvCondition.Namespace)
	if err != nil {
		return err
	}
	d.Entities = conds
	sort.SliceStable(conds, func(i, j int) bool {
		a, b := conds[i].Labels, conds[j].Labels
		return docfmt.NaturalLess(a["site"]+"\x00"+a["room"]+"\x00"+a["condition"]+"\x00"+a["device"], b["site"]+"\x00"+b["room"]+"\x00"+b["condition"]+"\x00"+b["device"])
	})
	var g infraGauges
	agg := func(dst *map[string]Series, purpose, fn, metric string) func() error {
		return func() (err error) {
			*dst, err = r.gaugeOver(purpose, fn, metric) // the samples of [start, end) on every backend
			return
		}
	}
	err = r.parallel(
		agg(&g.rt, "UPS 最低后备时间", "min_over_time", metricnames.EnvUPSBatteryRuntimeSeconds),
		agg(&g.load, "UPS 峰值负载", "max_over_time", metricnames.EnvUPSOutputLoadRatio),
		agg(&g.tmin, "最低温度", "min_over_time", metricnames.EnvTemperatureCelsius),
		agg(&g.tavg, "平均温度", "avg_over_time", metricnames.EnvTemperatureCelsius),
		agg(&g.tmax, "最高温度", "max_over_time", metricnames.EnvTemperatureCelsius),
		agg(&g.hmin, "最低湿度", "min_over_time", metricnames.EnvHumidityRatio),
		agg(&g.havg, "平均湿度", "avg_over_time", metricnames.EnvHumidityRatio),
		agg(&g.hmax, "最高湿度", "max_over_time", metricnames.EnvHumidityRatio),
		agg(&g.genRun, "油机运行时间占比", "avg_over_time", metricnames.EnvGeneratorRunning),
		agg(&g.fuelMin, "油机最低油位", "min_over_time", metricnames.EnvGeneratorFuelRatio),
		agg(&g.fuelMax, "油机最高油位", "max_over_time", metricnames.EnvGeneratorFuelRatio),
		agg(&g.rackMax, "机柜峰值功率", "max_over_time", metricnames.EnvRackPowerWatts),
		agg(&g.rackAvg, "机柜平均功率", "avg_over_time", metricnames.EnvRackPowerWatts),
		agg(&g.crac, "精密空调运行时间占比", "avg_over_time", metricnames.EnvCoolingUnitRunning),
		agg(&g.coolMinRunning, "精密空调最少运行台数", "min_over_time", metricnames.EnvCoolingUnitsRunning),
		agg(&g.coolRequired, "精密空调所需台数（N+1）", "max_over_time", metricnames.EnvCoolingUnitsRequired),
		agg(&g.smoke, "烟感告警", "max_over_time", metricnames.EnvSmokeDetected),
		agg(&g.doorAvg, "门开启时间占比", "avg_over_time", metricnames.EnvDoorOpen),
		agg(&g.leak, "漏水检测", "max_over_time", metricnames.EnvLeakDetected),
	)
	if err != nil {
		return err
	}
	period := r.month.Seconds()
	d.Summary = append(d.Summary,
		KV{"统计周期", "Period", d.PeriodText},
		KV{"维护策略", "Maintenance policy", r.policyText(r.cfg.MaintenancePolicy)},
	)
	counts := make([]int, len(infraTopics))
	first := len(d.Sections)
	for ti, tp := range infraTopics {
		es := condsOf(conds, tp.alarms...)
		var tables []Table
		var charts []Chart
		var notes []string // where a long list continues (annex.go)
		hasData := len(es) > 0
		switch tp.id {
		case "power":
			ups := r.upsTable(g)
			gen := r.generatorTable(g, condsOf(conds, "generator_running"), period)
			racks, inv := r.rackTables(g)
			racks, note := r.splitLarge(d, largeList{full: racks, annexZH: "机柜用电明细", annexEN: "Rack power in full", unitZH: "个机柜", unitEN: "racks",
				rankZH: "峰值功率最高的", rankEN: "with the highest peak power", worse: byNumberDesc(racks.Rows, 2), keyCols: []int{0, 1}})
			notes = sectionNote(notes, note)
			tables = append(tables, ups, gen, racks, inv)
			hasData = hasData || len(ups.Rows)+len(gen.Rows)+len(racks.Rows) > 0
		case "cooling":
			t := r.cracTable(g, es, period)
			tables = append(tables, t)
			hasData = hasData || len(t.Rows) > 0
		case "fire":
			t := r.signalTable("smoke", "烟感探测器", "Smoke detectors", g.smoke, false, period)
			tables = append(tables, t)
			hasData = hasData || len(t.Rows) > 0
		case "security":
			t := r.signalTable("doors", "门禁与门窗", "Doors", g.doorAvg, true, period)
			tables = append(tables, t)
			hasData = hasData || len(t.Rows) > 0
		case "environment":
			sens, chart := r.sensorTable(g, conds)
			sens, note := r.splitLarge(d, largeList{full: sens, annexZH: "温湿度传感器明细", annexEN: "Temperature and humidity sensors in full", unitZH: "个温湿度传感器", unitEN: "sensors",
				rankZH: "最高温度最高的", rankEN: "with the highest maximum temperature", worse: byNumberDesc(sens.Rows, 4), keyCols: []int{0, 1}})
			notes = sectionNote(notes, note)
			leak := r.signalTable("leak", "漏水检测", "Water-leak detection", g.leak, false, period)
			tables = append(tables, sens, leak)
			charts = append(charts, chart)
			hasData = hasData || len(sens.Rows)+len(leak.Rows) > 0
		}
		alarms, secs, maint := 0, 0.0, 0.0
		for _, e := range es {
			alarms += len(e.Incidents)
			secs += e.DownSeconds
			maint += e.MaintenanceDownSeconds
		}
		text := []string{r.topicStatus(hasData, alarms, secs, maint)}
		if tp.id == "environment" {
			text = append(text, r.tr("机房清洁度无自动监测数据来源，以现场巡检记录为准。", "Room cleanliness has no automatic monitoring; the on-site inspection records are authoritative."))
		}
		text = append(text, notes...)
		ct := r.conditionTable("conditions-"+tp.id, es)
		tables = append([]Table{ct}, tables...)
		it, note := r.incidentList(d, r.incidentTable("incidents-"+tp.id, es, "设备", "Device"), es, tp.zh+"告警事件明细", tp.en+": alarm events in full")
		text = sectionNote(text, note)
		tables = append(tables, it)
		d.Sections = append(d.Sections, Section{ID: tp.id, Title: r.tr(tp.zh, tp.en), TitleEN: tp.en, Text: text, Charts: charts, Tables: tables})
		d.Summary = append(d.Summary, KV{tp.zh + "告警次数", tp.en + " alarms", strconv.Itoa(alarms)})
		counts[ti] = alarms
	}
	overview := Section{ID: "overview", Title: r.tr("总体运行情况", "Overall operation"), TitleEN: "Overall operation", Text: []string{r.infraOverview(counts)}}
	d.Sections = append(d.Sections[:first], append([]Section{overview}, d.Sections[first:]...)...)
	return nil // the editable sections: build, after 环比 (narrative.go)
}

// condsOf are the condition entities of the given conditions.
func condsOf(conds []EntityResult, names ...string) []EntityResult {
	var out []EntityResult
	for _, c := range conds {
		for _, n := range names {
			if c.Labels["condition"] == n {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// topicStatus is a topic's status sentence.
func (r *run) topicStatus(hasData bool, alarms int, secs, maint float64) string {
	switch {
	case !hasData:
		return r.tr("本期无监测数据。", "No monitoring data in this period.")
	case alarms == 0 && secs == 0:
		return r.tr("本期运行正常，未发生告警。", "Normal operation in this period; no alarms.")
	}
	s := r.tr(fmt.Sprintf("本期发生告警 %d 次，累计 %s", alarms, r.dur(secs)), docfmt.Count(alarms, "alarm", "alarms")+" in this period, "+r.dur(secs)+" in total")
	if maint > 0 {
		s += r.tr(fmt.Sprintf("（另有维护窗口内 %s）", r.dur(maint)), fmt.Sprintf(" (plus %s inside maintenance)", r.dur(maint)))
	}
	return s + r.tr("，明细见下表。", "; details below.")
}

func (r *run) conditionTable(id string, es []EntityResult) Table {
	ct := Table{ID: id, Title: "告警统计", TitleEN: "Alarms", Empty: r.tr("本期无告警", "no alarms in this period"),
		Columns: []Column{col("站点", "Site"), col("机房", "Room"), col("设备", "Device"), col("告警类型", "Condition"), ncol("次数", "Events"),
			col("累计时长", "Duration"), col("维护内时长", "In maintenance"), col("未知时长", "Unknown")}}
	for _, c := range es {
		if len(c.Incidents) == 0 && c.DownSeconds == 0 && c.MaintenanceDownSeconds == 0 && c.UnknownSeconds == 0 {
			continue
		}
		ct.Rows = append(ct.Rows, []string{c.Labels["site"], c.Labels["room"], c.Labels["device"], r.term(c.Labels["condition"]),
			strconv.Itoa(len(c.Incidents)), r.dur(c.DownSeconds), r.dur(c.MaintenanceDownSeconds), r.dur(c.UnknownSeconds)})
	}
	return ct
}

func val(m map[string]Series, k string) (float64, bool) {
	if s, ok := m[k]; ok && len(s.Points) > 0 && !math.IsNaN(s.Points[0].V) {
		return s.Points[0].V, true
	}
	return 0, false
}

func fmtVal(m map[string]Series, k string, scale float64, prec int) string {
	if v, ok := val(m, k); ok {
		return num(v*scale, prec)
	}
	return docfmt.Placeholder
}

func sameDevice(a, b map[string]string) bool {
	return a["device"] == b["device"] && a["room"] == b["room"] && a["site"] == b["site"]
}

func (r *run) upsTable(g infraGauges) Table {
	ups := Table{ID: "ups", Title: "UPS 运行", TitleEN: "UPS", Empty: r.tr("无 UPS 数据", "no UPS data"),
		Columns: []Column{col("站点", "Site"), col("机房", "Room"), col("设备", "Device"), col("最低后备时间", "Lowest runtime"), ncol("峰值负载 %", "Peak load %")}}
	for _, k := range sortedKeys(g.rt) {
		s := g.rt[k]
		peak := -1.0
		for _, l := range g.load {
			if sameDevice(l.Labels, s.Labels) && l.Points[0].V > peak {
				peak = l.Points[0].V
			}
		}
		pk := docfmt.Placeholder
		if peak >= 0 {
			pk = num(peak*100, 1)
		}
		ups.Rows = append(ups.Rows, []string{s.Labels["site"], s.Labels["room"], s.Labels["device"], r.dur(s.Points[0].V), pk})
	}
	return ups
}

// generatorTable: per generator, its runs (generator_running events), run
// time, test runs (runs inside a declared maintenance window) and the fuel
// level range.
func (r *run) generatorTable(g infraGauges, runs []EntityResult, period float64) Table {
	t := Table{ID: "generator", Title: "柴油发电机（油机）", TitleEN: "Standby generator", Empty: r.tr("无油机数据", "no generator data"),
		Columns: []Column{col("站点", "Site"), col("机房", "Room"), col("设备", "Device"), ncol("运行次数", "Runs"), ncol("其中试运行", "Test runs"),
			col("运行时长", "Run time"), ncol("最低油位 %", "Lowest fuel %"), ncol("最高油位 %", "Highest fuel %")}}
	for _, k := range sortedKeys(g.genRun) {
		s := g.genRun[k]
		n, tests := 0, 0
		for _, e := range runs {
			if sameDevice(e.Labels, s.Labels) {
				for _, in := range e.Incidents {
					n++
					if in.Maintenance {
						tests++
					}
				}
			}
		}
		fk := labelKey(s.Labels)
		t.Rows = append(t.Rows, []string{s.Labels["site"], s.Labels["room"], s.Labels["device"], strconv.Itoa(n), strconv.Itoa(tests),
			r.dur(s.Points[0].V * period), fmtVal(g.fuelMin, fk, 100, 1), fmtVal(g.fuelMax, fk, 100, 1)})
	}
	return t
}

// rackTables: per rack, peak and mean power against the contract's 4 kW
// per rack (5 kW for one rack at most), and the racks in use against the
// contracted racks plus reserve (reports.yml machine_room).
func (r *run) rackTables(g infraGauges) (Table, Table) {
	mr := docfmt.DefaultMachineRoom()
	if r.cfg.Ident != nil {
		mr = r.cfg.Ident.Room()
	}
	t := Table{ID: "racks", Title: "机柜用电", TitleEN: "Rack power", Empty: r.tr("无机柜功率数据", "no rack power data"),
		Columns: []Column{col("机房", "Room"), col("机柜", "Rack"), ncol("峰值 kW", "Peak kW"), ncol("平均 kW", "Mean kW"), col("判定", "Verdict")}}
	inUse, over, overMax := 0, 0, 0
	for _, k := range sortedKeys(g.rackMax) {
		s := g.rackMax[k]
		peak := s.Points[0].V / 1000
		mean, ok := val(g.rackAvg, k)
		if ok && mean > 0 {
			inUse++
		}
		verdict := r.tr("正常", "within")
		switch {
		case peak > mr.RackMaxKW:
			verdict = r.tr(fmt.Sprintf("超过单柜上限 %s kW", num(mr.RackMaxKW, 1)), fmt.Sprintf("above the %s kW maximum", num(mr.RackMaxKW, 1)))
			overMax++
		case peak > mr.RackKW:
			verdict = r.tr(fmt.Sprintf("超过 %s kW", num(mr.RackKW, 1)), fmt.Sprintf("above %s kW", num(mr.RackKW, 1)))
			over++
		}
		t.Rows = append(t.Rows, []string{s.Labels["room"], s.Labels["rack"], num(peak, 2), num(mean/1000, 2), verdict})
	}
	capacity := int(math.Floor(float64(mr.Racks) * (1 + mr.ReservePercent/100)))
	inv := Table{ID: "rack-inventory", Title: "机柜使用情况", TitleEN: "Racks in use", Columns: []Column{col("项目", "Item"), col("数值", "Value")},
		Rows: [][]string{
			{r.tr("合同机柜数", "Contracted racks"), strconv.Itoa(mr.Racks)},
			{r.tr("预留比例", "Reserve"), num(mr.ReservePercent, 0) + " %"},
			{r.tr("机柜容量（含预留）", "Capacity incl. reserve"), strconv.Itoa(capacity)},
			{r.tr("在用机柜（本期平均功率大于 0）", "Racks in use (mean power above 0)"), strconv.Itoa(inUse)},
			{r.tr(fmt.Sprintf("峰值超过 %s kW 的机柜", num(mr.RackKW, 1)), fmt.Sprintf("Racks peaking above %s kW", num(mr.RackKW, 1))), strconv.Itoa(over + overMax)},
			{r.tr(fmt.Sprintf("峰值超过 %s kW 的机柜", num(mr.RackMaxKW, 1)), fmt.Sprintf("Racks peaking above %s kW", num(mr.RackMaxKW, 1))), strconv.Itoa(overMax)},
		}}
	if len(g.rackMax) == 0 {
		inv.Rows[3][1] = docfmt.Placeholder
		inv.Rows[4][1], inv.Rows[5][1] = docfmt.Placeholder, docfmt.Placeholder
	}
	return t, inv
}

// cracTable: each air-conditioning unit's running time, and per room the
// N+1 state (fewest units running against the units required, and the
// time without redundancy from cooling_redundancy_lost).
func (r *run) cracTable(g infraGauges, lost []EntityResult, period float64) Table {
	t := Table{ID: "crac", Title: "精密空调运行", TitleEN: "Air-conditioning units", Empty: r.tr("无精密空调数据", "no air-conditioning data"),
		Columns: []Column{col("站点", "Site"), col("机房", "Room"), col("设备", "Unit"), col("运行时长", "Running time"), ncol("运行率 %", "Running %")}}
	for _, k := range sortedKeys(g.crac) {
		s := g.crac[k]
		t.Rows = append(t.Rows, []string{s.Labels["site"], s.Labels["room"], s.Labels["device"], r.dur(s.Points[0].V * period), num(s.Points[0].V*100, 1)})
	}
	for _, k := range sortedKeys(g.coolRequired) {
		s := g.coolRequired[k]
		state := r.tr("N+1 冗余保持", "N+1 kept")
		for _, e := range lost {
			if e.Labels["room"] == s.Labels["room"] && e.Labels["site"] == s.Labels["site"] && (e.DownSeconds > 0 || e.UnknownSeconds > 0) {
				state = r.tr("失去 N+1 冗余 ", "N+1 lost for ") + r.dur(e.DownSeconds)
				if e.UnknownSeconds > 0 {
					state += r.tr("，未知 ", ", unknown ") + r.dur(e.UnknownSeconds)
				}
			}
		}
		minRun := fmtVal(g.coolMinRunning, k, 1, 0)
		t.Rows = append(t.Rows, []string{s.Labels["site"], s.Labels["room"], r.tr("N+1 状态", "N+1 state"),
			state + r.tr(fmt.Sprintf("（最少运行 %s 台，需 %s 台）", minRun, num(s.Points[0].V, 0)), fmt.Sprintf(" (fewest running %s, required %s)", minRun, num(s.Points[0].V, 0))), docfmt.Placeholder})
	}
	return t
}

// signalTable: per sensor of a binary signal (smoke, door, leak) whether
// it was ever active, its alarm count and (timeAvg set) its active time.
func (r *run) signalTable(id, title, titleEN string, m map[string]Series, withTime bool, period float64) Table {
	cols := []Column{col("站点", "Site"), col("机房", "Room"), col("传感器", "Sensor"), col("本期是否触发", "Triggered")}
	if withTime {
		cols = append(cols, col("开启时长", "Open time"))
	}
	t := Table{ID: id, Title: title, TitleEN: titleEN, Empty: r.tr("无"+title+"数据", "no data"), Columns: cols}
	for _, k := range sortedKeys(m) {
		s := m[k]
		row := []string{s.Labels["site"], s.Labels["room"], s.Labels["sensor"], r.yesNo(s.Points[0].V > 0)}
		if withTime {
			row = append(row, r.dur(s.Points[0].V*period))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func (r *run) sensorTable(g infraGauges, conds []EntityResult) (Table, Chart) {
	sens := Table{ID: "sensors", Title: "温湿度", TitleEN: "Temperature and humidity", Empty: r.tr("无传感器数据", "no sensor data"),
		Columns: []Column{col("机房", "Room"), col("传感器", "Sensor"), ncol("最低 °C", "Min °C"), ncol("平均 °C", "Mean °C"), ncol("最高 °C", "Max °C"),
			ncol("最低 %RH", "Min %RH"), ncol("平均 %RH", "Mean %RH"), ncol("最高 %RH", "Max %RH"), col("超出 21–27 °C 时长", "Out of 21–27 °C"), col("高于 60 %RH 时长", "Above 60 %RH")}}
	condSecs := func(dev, cond string) string {
		for _, c := range conds {
			if c.Labels["device"] == dev && c.Labels["condition"] == cond {
				return r.dur(c.DownSeconds)
			}
		}
		return docfmt.Placeholder
	}
	chart := Chart{Title: "最高温度", TitleEN: "Maximum temperature per sensor", Unit: "°C", Threshold: 27, ThresholdLabel: "27 °C"}
	for _, k := range sortedKeys(g.tmax) {
		s := g.tmax[k]
		outT, outH := condSecs(s.Labels["device"], "temperature_out_of_band"), condSecs(s.Labels["device"], "humidity_high")
		if !roomBandRoles[s.Labels["role"]] { // supply/return air, hot aisle: reported, not judged by 21–27 °C, 60 %RH (issue 21)
			outT, outH = r.tr("不评判", "not judged"), r.tr("不评判", "not judged")
		}
		sens.Rows = append(sens.Rows, []string{s.Labels["room"], s.Labels["sensor"], fmtVal(g.tmin, k, 1, 1), fmtVal(g.tavg, k, 1, 1), fmtVal(g.tmax, k, 1, 1),
			fmtVal(g.hmin, k, 100, 1), fmtVal(g.havg, k, 100, 1), fmtVal(g.hmax, k, 100, 1), outT, outH})
		if roomBandRoles[s.Labels["role"]] {
			chart.Labels = append(chart.Labels, s.Labels["room"]+"/"+s.Labels["sensor"])
			chart.Values = append(chart.Values, s.Points[0].V)
		}
	}
	return sens, chart
}
