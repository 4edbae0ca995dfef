package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/jianguan/jianguan/internal/metricnames"
)

// expr replaces $F (the dashboard's variable filter) in a PromQL template.
func expr(filter, tmpl string) string { return strings.ReplaceAll(tmpl, "$F", filter) }

// anyOf is a variable query over several metrics: {__name__=~"a|b"}.
func anyOf(names ...string) string { return `{__name__=~"` + strings.Join(names, "|") + `"}` }

func q(e, legend string) Q          { return Q{Expr: e, Legend: legend} }
func qi(e, legend string) Q         { return Q{Expr: e, Legend: legend, Instant: true} }
func qt(e string) Q                 { return Q{Expr: e, Instant: true, Table: true} }
func at(x, y uint32) (a, b *uint32) { return u32(x), u32(y) }

// Month-to-date figures come from the recording rules of rules/sla.yml (the
// same figures the SLABudget* alerts use): the Beijing calendar month whatever
// the time picker says, unknown time never counted as up.
const (
	mtdAvailDesc = "本自然月（北京时间）至今的可用率：(已观测 − 维护 − 停机) / (已观测 + 未知 − 维护)，未知时间不算可用（记录规则 line:line_availability:ratio_mtd，与预算告警同源）。 " +
		"Availability this Beijing calendar month: (observed − maintenance − down) / (observed + unknown − maintenance); unknown never counts as up (recording rule, same as the budget alerts). Target 99.99 %."
	mtdBudgetDesc = "本月 99.99 % 故障预算（月长 × 0.0001 秒）减去已用（停机 + 未知），负数即可用率低于目标（记录规则 line:line_error_budget_remaining:seconds_mtd）。 " +
		"This month's 99.99 % budget (month length × 0.0001) minus what is used (down + unknown); negative = availability below the target (recording rule)."
)

// availability over $__range, maintenance excluded from the denominator.
func availability(m metricnames.Family, by, f string) string {
	return fmt.Sprintf("1 - sum by (%[4]s) (increase(%[1]s{%[5]s}[$__range])) / clamp_min(sum by (%[4]s) (increase(%[2]s{%[5]s}[$__range])) - sum by (%[4]s) (increase(%[3]s{%[5]s}[$__range])), 1)",
		m.Down(), m.Observed(), m.Maintenance(), by, f)
}

func downtime(m metricnames.Family, by, f string) string {
	return fmt.Sprintf("sum by (%[2]s) (increase(%[1]s{%[3]s}[$__range]))", m.Down(), by, f)
}

// unknown = wall-clock seconds of the range − observed seconds (docs/metrics.md §1).
func unknown(m metricnames.Family, by, f string) string {
	return fmt.Sprintf("clamp_min($__range_s - sum by (%[2]s) (increase(%[1]s{%[3]s}[$__range])), 0)", m.Observed(), by, f)
}

func downNow(m metricnames.Family, key, f string) string {
	return fmt.Sprintf("(%[1]s{%[4]s} == 0) unless on(%[3]s) (%[2]s{%[4]s} == 1)", m.Up(), m.Unknown(), key, f)
}

func organize(rename map[string]string, hide ...string) dashboard.DataTransformerConfig {
	ex := map[string]bool{}
	for _, h := range hide {
		ex[h] = true
	}
	return dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{"excludeByName": ex, "renameByName": rename}}
}

var merge = dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}}

func byName(name string, props ...dashboard.DynamicConfigValue) dashboard.DashboardFieldConfigSourceOverrides {
	return dashboard.DashboardFieldConfigSourceOverrides{
		Matcher:    dashboard.MatcherConfig{Id: "byName", Options: name},
		Properties: props,
	}
}

func prop(id string, v any) dashboard.DynamicConfigValue {
	return dashboard.DynamicConfigValue{Id: id, Value: v}
}

var (
	availSteps  = steps("red", SLATarget, "green")
	budgetSteps = steps("red", 0, "orange", 86400*31*(1-SLATarget)/2, "green")
	alarm01     = valueMap("0", "正常 OK", "green", "1", "告警 ALARM", "red")
	// line_up + 2 × line_unknown: 0 down, 1 up, 2 unknown.
	lineState = valueMap("0", "故障 DOWN", "red", "1", "正常 UP", "green", "2", "未知 UNKNOWN", "purple")
)

const wallboardSiteHelp = "站点变量 $site 过滤全部查询。 Filtered by $site."

// ---------------------------------------------------------------- wallboard

func wallboard() D {
	f := `site=~"$site"`
	e := func(t string) string { return expr(f, t) }
	var ps []P
	add := func(x, y uint32, p P) { p.X, p.Y = at(x, y); ps = append(ps, p) }

	add(0, 0, P{Kind: kStat, W: 8, H: 5, Title: "线路状态 Line state", Unit: "none", ColorBg: true, Maps: lineState,
		Desc:    "每条线路当前确认状态：正常、故障或未知（未知从不算作正常）。 Confirmed state of every line: up, down or unknown (unknown never counts as up).",
		Queries: []Q{q(e(`line_up{$F} + 2 * line_unknown{$F}`), "{{line}}")}})
	add(8, 0, P{Kind: kStat, W: 8, H: 5, Title: "本月可用率 Line availability, month to date", Unit: "percentunit", Decimals: f64(4), ColorBg: true,
		Steps:   availSteps,
		Desc:    mtdAvailDesc,
		Queries: []Q{qi(e(`line:line_availability:ratio_mtd{$F}`), "{{line}}")}})
	add(16, 0, P{Kind: kStat, W: 8, H: 5, Title: "剩余故障预算 Budget left this month", Unit: "s", Decimals: f64(1), ColorBg: true,
		Steps:   budgetSteps,
		Desc:    mtdBudgetDesc,
		Queries: []Q{qi(e(`line:line_error_budget_remaining:seconds_mtd{$F}`), "{{line}}")}})

	add(0, 5, P{Kind: kStat, W: 6, H: 5, Title: "UPS 供电来源 UPS output source", Unit: "none", ColorBg: true,
		Maps: valueMap("0", "市电 MAINS", "green", "1", "电池 BATTERY", "red"), Steps: steps("green", 1, "red"),
		Desc:    "2N UPS 每台当前是否由电池供电（env_ups_on_battery）。 Whether each UPS of the 2N pair runs on battery.",
		Queries: []Q{q(e(`env_ups_on_battery{$F}`), "{{room}} {{device}}")}})
	add(6, 5, P{Kind: kStat, W: 6, H: 5, Title: "UPS 后备时间 UPS runtime", Unit: "s", ColorBg: true,
		Steps:   steps("red", 900, "orange", 1800, "green"),
		Desc:    "电池估计后备时间；低于 900 秒（默认阈值）为红。 Estimated battery runtime; red below the 900 s default minimum.",
		Queries: []Q{q(e(`env_ups_battery_runtime_seconds{$F}`), "{{room}} {{device}}")}})
	add(12, 5, P{Kind: kStat, W: 4, H: 5, Title: "UPS 冗余 UPS 2N redundancy", Unit: "none", ColorBg: true,
		Maps: valueMap("1", "完好 INTACT", "green", "0", "失去冗余 LOST", "red"), Steps: steps("red", 1, "green"),
		Desc:    "每个机房 2N UPS 是否都在线可用。 Whether both UPS of each room's 2N pair are online.",
		Queries: []Q{q(e(`env_ups_redundancy_intact{$F}`), "{{room}}")}})
	add(16, 5, P{Kind: kStat, W: 8, H: 5, Title: "漏水 / 烟感 / 门禁 Leak / smoke / door", Unit: "none", ColorBg: true,
		Steps: steps("green", 1, "red"),
		Desc:  "检测到漏水、烟雾的传感器数量与打开的门数量；非 0 即处理。 Sensors detecting water or smoke, and doors open; anything above 0 needs action.",
		Queries: []Q{
			q(e(`sum(env_leak_detected{$F}) or vector(0)`), "漏水 Leak"),
			q(e(`sum(env_smoke_detected{$F}) or vector(0)`), "烟感 Smoke"),
			q(e(`sum(env_door_open{$F}) or vector(0)`), "门开 Door open"),
		}})

	add(0, 10, P{Kind: kStat, W: 8, H: 6, Title: "机房温度 Room temperature vs band", Unit: "celsius", Decimals: f64(1), ColorBg: true,
		Steps:   steps("blue", 21, "green", 27, "red"),
		Desc:    "每个机房最高温度；21–27 °C 为绿（默认温度带）。 Hottest sensor per room; green inside the default 21–27 °C band.",
		Queries: []Q{q(e(`max by (room) (env_temperature_celsius{$F})`), "{{room}}")}})
	add(8, 10, P{Kind: kStat, W: 6, H: 6, Title: "机房湿度 Room humidity", Unit: "percentunit", Decimals: f64(0), ColorBg: true,
		Steps:   steps("green", 0.6, "red"),
		Desc:    "每个机房最高相对湿度；超过 60 % 为红。 Highest relative humidity per room; red above 60 %.",
		Queries: []Q{q(e(`max by (room) (env_humidity_ratio{$F})`), "{{room}}")}})
	add(14, 10, P{Kind: kStat, W: 4, H: 6, Title: "超出温湿度带 Sensors out of band", Unit: "none", ColorBg: true,
		Steps:   steps("green", 1, "red"),
		Desc:    "温度超出本机房阈值带或湿度高于阈值的传感器数（阈值来自 env_threshold_*）。 Sensors outside their room's configured band (env_threshold_*).",
		Queries: []Q{q(e(`count(env_temperature_celsius{$F} > on(site, room) group_left() env_threshold_temperature_high_celsius{$F} or env_temperature_celsius{$F} < on(site, room) group_left() env_threshold_temperature_low_celsius{$F} or env_humidity_ratio{$F} > on(site, room) group_left() env_threshold_humidity_high_ratio{$F}) or vector(0)`), "超出 Out of band")}})
	add(18, 10, P{Kind: kStat, W: 6, H: 6, Title: "故障主机 / 网站 Hosts / websites down", Unit: "none", ColorBg: true,
		Steps: steps("green", 1, "red"),
		Desc:  "确认故障（非未知）的云主机和网站数量。 Hosts and websites confirmed down (unknown not counted).",
		Queries: []Q{
			q(e(`count(`+downNow(metricnames.Host, "host, address", f)+`) or vector(0)`), "主机 Hosts"),
			q(e(`count(`+downNow(metricnames.Website, "url", f)+`) or vector(0)`), "网站 Websites"),
		}})

	add(0, 16, P{Kind: kBarGauge, W: 8, H: 6, Title: "本月停机最长主机 Worst hosts this month", Unit: "s", Horizontal: true,
		Steps:   steps("green", 129.6, "orange", 259.2, "red"),
		Desc:    "本自然月（北京时间）停机秒数最多的 5 台云主机（记录规则 host:host_down_seconds:increase_mtd）。 The five hosts with the most downtime this Beijing calendar month (recording rule).",
		Queries: []Q{qi(e(`topk(5, host:host_down_seconds:increase_mtd{$F})`), "{{host}} ({{unit}})")}})
	add(8, 16, P{Kind: kBarGauge, W: 8, H: 6, Title: "本月停机最长网站 Worst websites this month", Unit: "s", Horizontal: true,
		Steps:   steps("green", 129.6, "orange", 259.2, "red"),
		Desc:    "本自然月（北京时间）停机秒数最多的 5 个网站（记录规则 website:website_down_seconds:increase_mtd）。 The five websites with the most downtime this Beijing calendar month (recording rule).",
		Queries: []Q{qi(e(`topk(5, website:website_down_seconds:increase_mtd{$F})`), "{{url}} ({{unit}})")}})
	add(16, 16, P{Kind: kTable, W: 8, H: 6, Title: "当前故障 Down now", Unit: "none", MayBeEmpty: true,
		Desc:       "当前确认故障的主机与网站。 Hosts and websites confirmed down now.",
		Queries:    []Q{qt(downNow(metricnames.Host, "host, address", f) + " or " + downNow(metricnames.Website, "url", f))},
		Transforms: []dashboard.DataTransformerConfig{organize(map[string]string{"host": "主机 Host", "url": "网站 URL", "unit": "单位 Unit", "provider": "服务商 Provider"}, "Time", "Value", "__name__", "site", "instance", "job", "address", "system", "path")}})

	add(0, 22, P{Kind: kTable, W: 24, H: 5, Title: "严重告警 Firing critical alerts", Unit: "none", MayBeEmpty: true,
		Desc:       "Prometheus ALERTS 中正在触发的 critical 告警。 Critical alerts firing now (Prometheus ALERTS).",
		Queries:    []Q{qt(e(`ALERTS{alertstate="firing", severity="critical", $F}`))},
		Transforms: []dashboard.DataTransformerConfig{organize(map[string]string{"alertname": "告警 Alert"}, "Time", "Value", "__name__", "alertstate", "instance", "job")}})

	return D{UID: "jianguan-noc-wallboard", File: "noc-wallboard.json", Title: "NOC 值班大屏 NOC wallboard",
		Desc: "1920×1080 kiosk wallboard: lines, UPS, rooms, safety, hosts and websites, critical alerts. 值班大屏。",
		Tags: []string{"noc", "wallboard"}, Refresh: "30s", From: "now-6h", To: "now", Kiosk: true,
		Vars: []V{{Name: "site", Label: "站点 Site", Metric: anyOf(metricnames.EnvDeviceUp, metricnames.Line.Up(), metricnames.Host.Up(), metricnames.Website.Up()), LabelName: "site"}},
		Rows: []Row{{Panels: ps}}}
}

// ------------------------------------------------------------- machine room

func machineRoom() D {
	f := `site=~"$site", room=~"$room"`
	e := func(t string) string { return expr(f, t) }
	return D{UID: "jianguan-machine-room", File: "machine-room.json", Title: "机房环境 Machine room",
		Desc: "Per room and rack: temperature, humidity, UPS, feeds, generator, cooling, rack power, safety sensors.",
		Tags: []string{"environment"}, Refresh: "1m", From: "now-24h", To: "now",
		Vars: []V{
			{Name: "site", Label: "站点 Site", Metric: metricnames.EnvDeviceUp, LabelName: "site"},
			{Name: "room", Label: "机房 Room", Metric: metricnames.EnvDeviceUp, LabelName: "room", Parents: []string{"site"}},
		},
		Rows: []Row{
			{Title: "温湿度 Temperature & humidity", Panels: []P{
				{Kind: kTimeseries, W: 12, Title: "温度与温度带 Temperature vs band", Unit: "celsius",
					Desc: "各传感器温度与本机房阈值带（默认 21–27 °C）。 Sensor temperatures against the room's band (default 21–27 °C).",
					Queries: []Q{
						q(e(`env_temperature_celsius{$F}`), "{{room}} {{rack}} {{sensor}}"),
						q(e(`max by (site, room) (env_threshold_temperature_low_celsius{$F})`), "{{room}} 下限 low"),
						q(e(`max by (site, room) (env_threshold_temperature_high_celsius{$F})`), "{{room}} 上限 high"),
					}},
				{Kind: kTimeseries, W: 12, Title: "湿度与上限 Humidity vs limit", Unit: "percentunit",
					Desc: "各传感器相对湿度与本机房上限（默认 60 %）。 Relative humidity against the room's limit (default 60 %).",
					Queries: []Q{
						q(e(`env_humidity_ratio{$F}`), "{{room}} {{rack}} {{sensor}}"),
						q(e(`max by (site, room) (env_threshold_humidity_high_ratio{$F})`), "{{room}} 上限 limit"),
					}},
				{Kind: kStatus, W: 24, Title: "机柜温度热力图 Rack temperature heat map", Unit: "celsius",
					Steps:   steps("blue", 21, "green", 25, "orange", 27, "red"),
					Desc:    "每个机柜最高温度随时间变化，按机房、机柜排列。 Hottest sensor per rack over time, by room and rack row.",
					Queries: []Q{q(e(`max by (room, rack) (env_temperature_celsius{$F, rack!=""})`), "{{room}} {{rack}}")}},
			}},
			{Title: "UPS", Panels: []P{
				{Kind: kTimeline, W: 12, Title: "UPS 供电来源 UPS output source", Unit: "none",
					Maps: valueMap("0", "否 NO", "green", "1", "是 YES", "red"),
					Desc: "是否电池供电、是否旁路。 On battery / on bypass per UPS.",
					Queries: []Q{
						q(e(`env_ups_on_battery{$F}`), "{{device}} 电池 battery"),
						q(e(`env_ups_on_bypass{$F}`), "{{device}} 旁路 bypass"),
					}},
				{Kind: kTimeseries, W: 12, Title: "UPS 负载 UPS output load", Unit: "percentunit", Min: f64(0), Max: f64(1),
					Steps:   steps("green", 0.5, "orange", 0.8, "red"),
					Desc:    "各相输出负载；2N 配置下每台应低于 50 %。 Output load per phase; in 2N each UPS should stay below 50 %.",
					Queries: []Q{q(e(`env_ups_output_load_ratio{$F}`), "{{device}} {{phase}}")}},
				{Kind: kTimeseries, W: 8, Title: "UPS 后备时间 UPS runtime vs minimum", Unit: "s",
					Desc: "电池估计后备时间与最低要求（默认 900 秒）。 Estimated runtime against the required minimum (default 900 s).",
					Queries: []Q{
						q(e(`env_ups_battery_runtime_seconds{$F}`), "{{device}}"),
						q(e(`max by (site, room) (env_threshold_ups_runtime_min_seconds{$F})`), "{{room}} 最低 minimum"),
					}},
				{Kind: kTimeseries, W: 8, Title: "电池电量 Battery charge", Unit: "percentunit", Min: f64(0), Max: f64(1),
					Desc:    "电池剩余电量。 Battery charge remaining.",
					Queries: []Q{q(e(`env_ups_battery_charge_ratio{$F}`), "{{device}}")}},
				{Kind: kStat, W: 8, Title: "电池状态 Battery status", Unit: "none", ColorBg: true,
					Maps:    valueMap("1", "未知 UNKNOWN", "purple", "2", "正常 NORMAL", "green", "3", "电量低 LOW", "orange", "4", "耗尽 DEPLETED", "red"),
					Desc:    "RFC 1628 upsBatteryStatus：1 未知、2 正常、3 低、4 耗尽。 RFC 1628 battery status.",
					Queries: []Q{q(e(`env_ups_battery_status{$F}`), "{{device}}")}},
				{Kind: kTimeseries, W: 12, Title: "输入电压 Input voltage", Unit: "volt",
					Desc:    "UPS 各相输入电压。 UPS input voltage per phase.",
					Queries: []Q{q(e(`env_ups_input_voltage_volts{$F}`), "{{device}} {{phase}}")}},
				{Kind: kTimeseries, W: 12, Title: "电池温度 Battery temperature", Unit: "celsius",
					Desc:    "UPS 电池温度。 UPS battery temperature.",
					Queries: []Q{q(e(`env_ups_battery_temperature_celsius{$F}`), "{{device}}")}},
				{Kind: kTable, W: 24, H: 6, Title: "UPS 当前告警 Active UPS alarms", Unit: "none", MayBeEmpty: true,
					Desc:       "UPS 当前报告的告警（RFC 1628 upsAlarmTable）。 Alarms the UPS reports now.",
					Queries:    []Q{qt(e(`env_ups_alarm_active{$F} == 1`))},
					Transforms: []dashboard.DataTransformerConfig{organize(map[string]string{"alarm": "告警 Alarm", "device": "设备 Device", "room": "机房 Room"}, "Time", "Value", "__name__", "instance", "job")}},
			}},
			{Title: "供电、发电机、空调、机柜功率 Power, generator, cooling, racks", Panels: []P{
				{Kind: kTimeline, W: 12, Title: "市电 Utility feeds", Unit: "none",
					Maps:    valueMap("1", "有电 PRESENT", "green", "0", "失电 LOST", "red"),
					Desc:    "每路市电是否有电。 Whether each utility feed is present.",
					Queries: []Q{q(e(`env_feed_up{$F}`), "{{room}} {{device}} {{feed}}")}},
				{Kind: kStat, W: 6, Title: "市电路数 Feeds up vs required", Unit: "none",
					Desc: "在线市电路数与要求路数（2 路）。 Feeds present against the required two.",
					Queries: []Q{
						q(e(`env_feeds_up{$F}`), "{{room}} 在线 up"),
						q(e(`env_feeds_required{$F}`), "{{room}} 要求 required"),
					}},
				{Kind: kBarGauge, W: 6, Title: "发电机油量 Generator fuel", Unit: "percentunit", Min: f64(0), Max: f64(1),
					Steps:   steps("red", 0.25, "orange", 0.5, "green"),
					Desc:    "发电机油箱剩余油量。 Generator fuel level.",
					Queries: []Q{q(e(`env_generator_fuel_ratio{$F}`), "{{device}}")}},
				{Kind: kTimeline, W: 12, Title: "发电机运行 Generator running", Unit: "none",
					Maps:    valueMap("0", "停机 STOPPED", "green", "1", "运行 RUNNING", "orange"),
					Desc:    "发电机是否运行。 Whether the generator runs.",
					Queries: []Q{q(e(`env_generator_running{$F}`), "{{device}}")}},
				{Kind: kTimeseries, W: 12, Title: "空调 N+1 Cooling units vs N+1", Unit: "none",
					Desc: "运行中的空调台数与要求台数（N+1）。 CRAC units running against the N+1 requirement.",
					Queries: []Q{
						q(e(`env_cooling_units_running{$F}`), "{{room}} 运行 running"),
						q(e(`env_cooling_units_required{$F}`), "{{room}} 要求 required"),
					}},
				{Kind: kTimeline, W: 12, Title: "空调机组状态 Cooling unit state", Unit: "none",
					Maps:    valueMap("1", "运行 RUNNING", "green", "0", "停机 STOPPED", "red"),
					Desc:    "每台空调是否运行。 Whether each CRAC unit runs.",
					Queries: []Q{q(e(`env_cooling_unit_running{$F}`), "{{room}} {{device}}")}},
				{Kind: kBarGauge, W: 12, Title: "机柜功率 Rack power vs 4 / 5 kW", Unit: "watt", Min: f64(0), Max: f64(6000), Horizontal: true,
					Steps:   steps("green", 4000, "orange", 5000, "red"),
					Desc:    "每个机柜当前功率；4 kW 预警，5 kW 严重。 Rack power; warning at 4 kW, critical at 5 kW.",
					Queries: []Q{q(e(`env_rack_power_watts{$F}`), "{{room}} {{rack}}")}},
			}},
			{Title: "安全与采集 Safety and collection", Panels: []P{
				{Kind: kTimeline, W: 24, Title: "漏水 / 烟感 / 门禁 Leak, smoke, door", Unit: "none", Maps: alarm01,
					Desc: "漏水、烟感告警与门状态随时间变化。 Leak, smoke and door sensors over time.",
					Queries: []Q{
						q(e(`env_leak_detected{$F}`), "漏水 leak {{room}} {{sensor}}"),
						q(e(`env_smoke_detected{$F}`), "烟感 smoke {{room}} {{sensor}}"),
						q(e(`env_door_open{$F}`), "门 door {{room}} {{sensor}}"),
					}},
				{Kind: kTimeline, W: 12, Title: "设备采集状态 Device polling", Unit: "none", Maps: upDown,
					Desc:    "SNMP 采集是否成功。 Whether the last SNMP poll of each device succeeded.",
					Queries: []Q{q(e(`env_device_up{$F}`), "{{device}} ({{profile}})")}},
				{Kind: kTimeseries, W: 12, Title: "数据时效 Data age", Unit: "s",
					Desc:    "最后一次有效数据距今秒数。 Age of the last good values.",
					Queries: []Q{q(e(`env_device_data_age_seconds{$F}`), "{{device}}")}},
				{Kind: kTimeseries, W: 12, Title: "采集错误 Poll errors", Unit: "cps",
					Desc:    "每秒 SNMP 采集错误，按原因。 SNMP poll errors per second by reason.",
					Queries: []Q{q(e(`sum by (device, reason) (rate(env_device_errors_total{$F}[$__rate_interval]))`), "{{device}} {{reason}}")}},
				{Kind: kTimeseries, W: 12, Title: "采集耗时 p95 Poll duration p95", Unit: "s",
					Desc:    "SNMP 采集耗时 95 分位。 95th percentile SNMP poll duration.",
					Queries: []Q{q(e(`histogram_quantile(0.95, sum by (device, le) (rate(env_device_poll_duration_seconds_bucket{$F}[$__rate_interval])))`), "{{device}}")}},
			}},
		}}
}

// -------------------------------------------------------------------- lines

func lines() D {
	f := `site=~"$site", provider=~"$provider", line=~"$line"`
	e := func(t string) string { return expr(f, t) }
	rtt := func(p string) Q {
		return q(e(`histogram_quantile(`+p+`, sum by (line, le) (rate(line_icmp_rtt_seconds_bucket{$F}[$__rate_interval])))`), "{{line}} p"+strings.TrimPrefix(p, "0.")+"")
	}
	return D{UID: "jianguan-lines", File: "lines.json", Title: "线路 Lines",
		Desc: "BGP internet and leased lines: state, loss, RTT, jitter, utilisation, BGP, downtime this month.",
		Tags: []string{"lines"}, Refresh: "30s", From: "now-24h", To: "now",
		Vars: []V{
			{Name: "site", Label: "站点 Site", Metric: metricnames.Line.Up(), LabelName: "site"},
			{Name: "provider", Label: "运营商 Provider", Metric: metricnames.Line.Up(), LabelName: "provider", Parents: []string{"site"}},
			{Name: "line", Label: "线路 Line", Metric: metricnames.Line.Up(), LabelName: "line", Parents: []string{"site", "provider"}},
		},
		Rows: []Row{
			{Title: "状态 State", Panels: []P{
				{Kind: kTimeline, W: 24, H: 6, Title: "线路状态 Line state", Unit: "none", Maps: lineState,
					Desc:    "线路确认状态；2 = 未知（line_unknown）。 Confirmed line state; 2 = unknown.",
					Queries: []Q{q(e(`line_up{$F} + 2 * line_unknown{$F}`), "{{line}} ({{kind}}, {{provider}})")}},
				{Kind: kTimeline, W: 24, H: 8, Title: "信号状态 Signals (ICMP / interface / BGP)", Unit: "none", Maps: upDown,
					Desc:    "线路的各个判定信号：ICMP、接口、BGP。 Each signal a line's state is decided from.",
					Queries: []Q{q(e(`line_signal_up{$F}`), "{{line}} {{signal}} {{target}}")}},
				{Kind: kStat, W: 8, H: 5, Title: "本月停机秒数 Downtime this month", Unit: "s", ColorBg: true,
					Steps:   steps("green", 129.6, "orange", 259.2, "red"),
					Desc:    "本自然月（北京时间）至今确认停机秒数（维护期外；记录规则 line:line_down_seconds:increase_mtd）。 Confirmed downtime this Beijing calendar month, outside maintenance (recording rule).",
					Queries: []Q{qi(e(`line:line_down_seconds:increase_mtd{$F}`), "{{line}}")}},
				{Kind: kStat, W: 8, H: 5, Title: "本月可用率 Availability this month", Unit: "percentunit", Decimals: f64(4), ColorBg: true,
					Steps:   availSteps,
					Desc:    mtdAvailDesc,
					Queries: []Q{qi(e(`line:line_availability:ratio_mtd{$F}`), "{{line}}")}},
				{Kind: kStat, W: 8, H: 5, Title: "剩余故障预算 Budget left this month", Unit: "s", Decimals: f64(1), ColorBg: true,
					Steps:   budgetSteps,
					Desc:    mtdBudgetDesc,
					Queries: []Q{qi(e(`line:line_error_budget_remaining:seconds_mtd{$F}`), "{{line}}")}},
			}},
			{Title: "质量 Quality", Panels: []P{
				{Kind: kTimeseries, W: 12, Title: "丢包率 Packet loss", Unit: "percentunit", Min: f64(0),
					Desc:    "ICMP 丢包率，由探测与回复计数器计算。 ICMP loss from the probe and reply counters.",
					Queries: []Q{q(e(`1 - sum by (line, target) (rate(line_icmp_replies_total{$F}[$__rate_interval])) / sum by (line, target) (rate(line_icmp_probes_total{$F}[$__rate_interval]))`), "{{line}} {{target}}")}},
				{Kind: kTimeseries, W: 12, Title: "往返时延分位 RTT percentiles", Unit: "s",
					Desc:    "ICMP 往返时延 50/95/99 分位。 ICMP round-trip time percentiles.",
					Queries: []Q{rtt("0.5"), rtt("0.95"), rtt("0.99")}},
				{Kind: kTimeseries, W: 12, Title: "抖动 Jitter", Unit: "s",
					Desc:    "ICMP 时延抖动。 ICMP jitter.",
					Queries: []Q{q(e(`line_icmp_jitter_seconds{$F}`), "{{line}} {{target}}")}},
				{Kind: kTimeseries, W: 12, Title: "近期丢包 Recent loss window", Unit: "percentunit", Min: f64(0),
					Desc:    "导出器近期窗口内的丢包率。 Loss over the exporter's recent window.",
					Queries: []Q{q(e(`line_icmp_loss_ratio{$F}`), "{{line}} {{target}}")}},
			}},
			{Title: "流量 Traffic", Panels: []P{
				{Kind: kTimeseries, W: 12, Title: "利用率 Utilisation vs contracted capacity", Unit: "percentunit", Min: f64(0),
					Steps: steps("green", 0.8, "orange", 0.95, "red"),
					Desc:  "接口流量除以合同带宽。 Interface traffic divided by the contracted capacity.",
					Queries: []Q{
						q(e(`sum by (line) (rate(line_interface_receive_bytes_total{$F}[$__rate_interval])) / on(line) sum by (line) (line_capacity_bytes_per_second{$F})`), "{{line}} 入 in"),
						q(e(`sum by (line) (rate(line_interface_transmit_bytes_total{$F}[$__rate_interval])) / on(line) sum by (line) (line_capacity_bytes_per_second{$F})`), "{{line}} 出 out"),
					}},
				{Kind: kTimeseries, W: 12, Title: "流量 Throughput", Unit: "bps",
					Desc: "接口收发速率与合同带宽。 Receive and transmit rate against the contracted capacity.",
					Queries: []Q{
						q(e(`sum by (line) (rate(line_interface_receive_bytes_total{$F}[$__rate_interval])) * 8`), "{{line}} 入 in"),
						q(e(`sum by (line) (rate(line_interface_transmit_bytes_total{$F}[$__rate_interval])) * 8`), "{{line}} 出 out"),
						q(e(`sum by (line) (line_capacity_bytes_per_second{$F}) * 8`), "{{line}} 合同 contracted"),
					}},
				{Kind: kTimeseries, W: 12, Title: "接口错误与丢弃 Interface errors & discards", Unit: "cps",
					Desc: "接口每秒错误与丢弃。 Interface errors and discards per second.",
					Queries: []Q{
						q(e(`sum by (line, interface, direction) (rate(line_interface_errors_total{$F}[$__rate_interval]))`), "{{line}} {{interface}} 错误 errors {{direction}}"),
						q(e(`sum by (line, interface, direction) (rate(line_interface_discards_total{$F}[$__rate_interval]))`), "{{line}} {{interface}} 丢弃 discards {{direction}}"),
					}},
				{Kind: kTimeline, W: 12, Title: "接口状态 Interface oper status", Unit: "none", Maps: upDown,
					Desc:    "IF-MIB ifOperStatus 是否 up。 Whether the interface is operationally up.",
					Queries: []Q{q(e(`line_interface_oper_up{$F}`), "{{line}} {{interface}}")}},
			}},
			{Title: "BGP", Panels: []P{
				{Kind: kTimeline, W: 12, Title: "BGP 会话状态 BGP session state", Unit: "none",
					Maps:    valueMap("1", "Idle", "red", "2", "Connect", "orange", "3", "Active", "orange", "4", "OpenSent", "orange", "5", "OpenConfirm", "orange", "6", "Established", "green"),
					Desc:    "BGP4-MIB bgpPeerState：6 = Established。 BGP peer FSM state; 6 = established.",
					Queries: []Q{q(e(`line_bgp_peer_state{$F}`), "{{line}} {{peer}}")}},
				{Kind: kStat, W: 6, Title: "BGP 振荡次数 BGP flaps in range", Unit: "none", Decimals: f64(0),
					Steps:   steps("green", 1, "orange", 3, "red"),
					Desc:    "所选时间范围内会话进入 Established 的次数。 Times each session re-established within the range.",
					Queries: []Q{qi(e(`sum by (line, peer) (increase(line_bgp_established_transitions_total{$F}[$__range]))`), "{{line}} {{peer}}")}},
				{Kind: kStat, W: 6, Title: "BGP 已建立时长 Established for", Unit: "s",
					Desc:    "会话已保持 Established 的时间。 How long each session has been established.",
					Queries: []Q{q(e(`line_bgp_established_seconds{$F}`), "{{line}} {{peer}}")}},
			}},
		}}
}

// -------------------------------------------------------- hosts & websites

func hostsWebsites() D {
	f := `site=~"$site", unit=~"$unit", provider=~"$provider"`
	e := func(t string) string { return expr(f, t) }
	availBoth := func(by string) string {
		sum := func(name func(metricnames.Family) string) string {
			return fmt.Sprintf("sum by (%[1]s) (increase(%[2]s{%[4]s}[$__range]) or increase(%[3]s{%[4]s}[$__range]))", by, name(metricnames.Host), name(metricnames.Website), f)
		}
		return "1 - " + sum(metricnames.Family.Down) + " / clamp_min(" + sum(metricnames.Family.Observed) + " - " + sum(metricnames.Family.Maintenance) + ", 1)"
	}
	return D{UID: "jianguan-hosts-websites", File: "hosts-websites.json", Title: "云主机与网站 Hosts & websites",
		Desc: "Cloud hosts and websites: down now, availability by unit and provider, response phases, certificates.",
		Tags: []string{"hosts", "websites"}, Refresh: "1m", From: "now-24h", To: "now",
		Vars: []V{
			{Name: "site", Label: "站点 Site", Metric: anyOf(metricnames.Host.Up(), metricnames.Website.Up()), LabelName: "site"},
			{Name: "unit", Label: "单位 Unit", Metric: anyOf(metricnames.Host.Up(), metricnames.Website.Up()), LabelName: "unit", Parents: []string{"site"}},
			{Name: "provider", Label: "服务商 Provider", Metric: anyOf(metricnames.Host.Up(), metricnames.Website.Up()), LabelName: "provider", Parents: []string{"site", "unit"}},
		},
		Rows: []Row{
			{Title: "现在 Now", Panels: []P{
				{Kind: kStat, W: 6, H: 5, Title: "故障主机 Hosts down", Unit: "none", ColorBg: true, Steps: steps("green", 1, "red"),
					Desc:    "确认故障的云主机数（不含未知）。 Hosts confirmed down (unknown excluded).",
					Queries: []Q{q(`count(`+downNow(metricnames.Host, "host, address", f)+`) or vector(0)`, "主机 Hosts")}},
				{Kind: kStat, W: 6, H: 5, Title: "故障网站 Websites down", Unit: "none", ColorBg: true, Steps: steps("green", 1, "red"),
					Desc:    "确认故障的网站数（不含未知）。 Websites confirmed down (unknown excluded).",
					Queries: []Q{q(`count(`+downNow(metricnames.Website, "url", f)+`) or vector(0)`, "网站 Websites")}},
				{Kind: kStat, W: 6, H: 5, Title: "状态未知 Unknown state", Unit: "none", ColorBg: true, Steps: steps("green", 1, "purple"),
					Desc:    "探测器无法判定状态的主机与网站数。 Hosts and websites whose state is unknown.",
					Queries: []Q{q(e(`(sum(host_unknown{$F}) or vector(0)) + (sum(website_unknown{$F}) or vector(0))`), "未知 Unknown")}},
				{Kind: kStat, W: 6, H: 5, Title: "证书 30 天内到期 Certificates expiring < 30 d", Unit: "none", ColorBg: true, Steps: steps("green", 1, "orange"),
					Desc:    "证书链最早到期时间在 30 天内的网站数。 Websites whose certificate chain expires within 30 days.",
					Queries: []Q{q(e(`count(website_tls_chain_expiry_timestamp_seconds{$F} - time() < 30 * 86400) or vector(0)`), "30 d")}},
				{Kind: kTable, W: 24, H: 7, Title: "当前故障列表 Down now", Unit: "none", MayBeEmpty: true,
					Desc:       "当前确认故障的主机与网站，含单位与服务商。 Hosts and websites confirmed down now, with unit and provider.",
					Queries:    []Q{qt(downNow(metricnames.Host, "host, address", f) + " or " + downNow(metricnames.Website, "url", f))},
					Transforms: []dashboard.DataTransformerConfig{organize(map[string]string{"host": "主机 Host", "url": "网站 URL", "unit": "单位 Unit", "provider": "服务商 Provider", "system": "系统 System", "path": "线路 Path"}, "Time", "Value", "__name__", "instance", "job")}},
			}},
			{Title: "可用率 Availability (selected range)", Panels: []P{
				{Kind: kBarGauge, W: 12, Title: "按单位可用率 Availability by unit", Unit: "percentunit", Decimals: f64(4), Min: f64(0.99), Max: f64(1), Horizontal: true,
					Steps:   availSteps,
					Desc:    "所选时间范围内各单位主机与网站合计可用率，维护不计入分母。 Availability of each unit's hosts and websites over the range, maintenance excluded.",
					Queries: []Q{qi(availBoth("unit"), "{{unit}}")}},
				{Kind: kBarGauge, W: 12, Title: "按服务商可用率 Availability by provider", Unit: "percentunit", Decimals: f64(4), Min: f64(0.99), Max: f64(1), Horizontal: true,
					Steps:   availSteps,
					Desc:    "所选时间范围内各云服务商合计可用率。 Availability per cloud provider over the range.",
					Queries: []Q{qi(availBoth("provider"), "{{provider}}")}},
				{Kind: kBarGauge, W: 12, Title: "停机最长主机 Worst hosts", Unit: "s", Horizontal: true,
					Steps:   steps("green", 129.6, "orange", 259.2, "red"),
					Desc:    "所选时间范围内停机秒数最多的 10 台主机。 The ten hosts with the most downtime in the range.",
					Queries: []Q{qi(`topk(10, `+downtime(metricnames.Host, "host, unit", f)+`)`, "{{host}} ({{unit}})")}},
				{Kind: kBarGauge, W: 12, Title: "停机最长网站 Worst websites", Unit: "s", Horizontal: true,
					Steps:   steps("green", 129.6, "orange", 259.2, "red"),
					Desc:    "所选时间范围内停机秒数最多的 10 个网站。 The ten websites with the most downtime in the range.",
					Queries: []Q{qi(`topk(10, `+downtime(metricnames.Website, "url, unit", f)+`)`, "{{url}} ({{unit}})")}},
			}},
			{Title: "性能与证书 Performance and certificates", Panels: []P{
				{Kind: kTimeseries, W: 12, Title: "网站响应阶段 Website response phases", Unit: "s",
					Desc:    "最近一次探测各阶段耗时（DNS、连接、TLS、首字节）平均。 Last probe's phase durations, averaged over websites.",
					Queries: []Q{q(e(`avg by (phase) (website_duration_seconds{$F, phase!="total"})`), "{{phase}}")}},
				{Kind: kTimeseries, W: 12, Title: "网站总响应时间 Website total response time", Unit: "s",
					Desc:    "每个网站最近一次探测总耗时。 Total duration of each website's last probe.",
					Queries: []Q{q(e(`max by (url) (website_duration_seconds{$F, phase="total"})`), "{{url}}")}},
				{Kind: kTimeseries, W: 12, Title: "网站探测失败原因 Website probe failures by reason", Unit: "cps",
					Desc:    "每秒探测失败次数，按原因。 Website probe failures per second by reason.",
					Queries: []Q{q(e(`sum by (reason) (rate(website_probe_failures_total{$F}[$__rate_interval]))`), "{{reason}}")}},
				{Kind: kTimeseries, W: 12, Title: "主机 RTT p95 Host RTT p95 by unit", Unit: "s",
					Desc:    "各单位主机探测往返时延 95 分位。 95th percentile host probe RTT per unit.",
					Queries: []Q{q(e(`histogram_quantile(0.95, sum by (unit, le) (rate(host_rtt_seconds_bucket{$F}[$__rate_interval])))`), "{{unit}}")}},
				{Kind: kTimeseries, W: 12, Title: "主机探测失败率 Host probe failure ratio", Unit: "percentunit",
					Desc:    "主机探测失败比例，按检查类型。 Share of failed host probes by check.",
					Queries: []Q{q(e(`sum by (check) (rate(host_probe_failures_total{$F}[$__rate_interval])) / sum by (check) (rate(host_probes_total{$F}[$__rate_interval]))`), "{{check}}")}},
				{Kind: kTable, W: 12, Title: "证书到期 Certificate expiry", Unit: "s", Sort: "",
					Desc:       "每个网站证书链最早到期剩余时间，最短在前。 Time left before each website's certificate chain expires, soonest first.",
					Queries:    []Q{qt(e(`sort(website_tls_chain_expiry_timestamp_seconds{$F} - time())`))},
					Transforms: []dashboard.DataTransformerConfig{organize(map[string]string{"url": "网站 URL", "unit": "单位 Unit", "Value": "剩余 Time left"}, "Time", "__name__", "instance", "job", "site", "path", "system")}},
				{Kind: kStat, W: 6, Title: "证书校验失败 TLS verify failures", Unit: "none", ColorBg: true, Steps: steps("green", 1, "red"),
					Desc:    "证书链校验失败的网站数。 Websites whose certificate chain fails verification.",
					Queries: []Q{q(e(`count(website_tls_verify_ok{$F} == 0) or vector(0)`), "失败 Failing")}},
				{Kind: kStat, W: 6, Title: "非 2xx 网站 Non-2xx websites", Unit: "none", ColorBg: true, Steps: steps("green", 1, "red"),
					Desc:    "最近一次 HTTP 状态码不是 2xx 的网站数。 Websites whose last HTTP status was not 2xx.",
					Queries: []Q{q(e(`count(website_http_status_code{$F} < 200 or website_http_status_code{$F} >= 300) or vector(0)`), "非 2xx Non-2xx")}},
			}},
		}}
}

// ---------------------------------------------------------------------- SLA

func reportURL(kind string) string {
	// __to is the last millisecond of the month: its YYYY-MM is the month in
	// UTC and in Asia/Shanghai alike (__from would be the previous day in UTC).
	return "/api/plugins/" + ReportApp + "/resources/reports/" + kind + "/${__to:date:YYYY-MM}.html"
}

func slaTable(title string, m metricnames.Family, by, kind string, f string, legendKeys map[string]string) P {
	d := downtime(m, by, f)
	u := unknown(m, by, f)
	b := fmt.Sprintf("$__range_s * %g", 1-SLATarget)
	status := fmt.Sprintf("(%[1]s <= bool %[3]s) * (1 + ((%[1]s + %[2]s) > bool %[3]s))", d, u, b)
	budget := fmt.Sprintf("sum by (%[1]s) (increase(%[2]s{%[3]s}[$__range])) * 0 + %[4]s", by, m.Observed(), f, b)
	rename := map[string]string{
		"Value #A": "可用率 Availability", "Value #B": "停机 Downtime", "Value #C": "未知 Unknown",
		"Value #D": "预算 Budget", "Value #E": "结论 Verdict",
	}
	for k, v := range legendKeys {
		rename[k] = v
	}
	return P{Kind: kTable, W: 24, H: 8, Title: title, Unit: "percentunit", Decimals: f64(4),
		Desc: "所选自然月（Asia/Shanghai）：可用率（维护不计入分母）、停机秒数、未知秒数（墙钟减已观测）、99.99 % 预算与结论；未知时间超出剩余预算时为“不确定”。 " +
			"Calendar month in Asia/Shanghai: availability (maintenance excluded), downtime, unknown (wall clock − observed), 99.99 % budget and verdict; indeterminate when unknown time exceeds the remaining budget. Figures of record are in the report (link).",
		Queries: []Q{qt(availability(m, by, f)), qt(d), qt(u), qt(budget), qt(status)},
		Links:   []link{{"月报 Monthly report (" + kind + ")", reportURL(kind)}},
		Transforms: []dashboard.DataTransformerConfig{merge,
			organize(rename, "Time")},
		Overrides: []dashboard.DashboardFieldConfigSourceOverrides{
			byName("停机 Downtime", prop("unit", "s"), prop("decimals", 1)),
			byName("未知 Unknown", prop("unit", "s"), prop("decimals", 1)),
			byName("预算 Budget", prop("unit", "s"), prop("decimals", 1)),
			byName("结论 Verdict", prop("unit", "none"), prop("mappings", valueMap("0", "未达标 BREACHED", "red", "1", "达标 MET", "green", "2", "不确定 INDETERMINATE", "orange")),
				prop("custom.cellOptions", map[string]any{"type": "color-background"})),
		},
		Sort: "停机 Downtime",
	}
}

func sla() D {
	f := `site=~"$site", provider=~"$provider"`
	var links []link
	for _, k := range ReportKinds {
		links = append(links, link{k.Title, reportURL(k.Kind)})
	}
	// Provider roll-up: lines, hosts and websites of a provider together.
	// Their label sets differ, so `or` keeps all series and sum by (provider) adds them.
	prov := func(name func(metricnames.Family) string) string {
		return fmt.Sprintf("sum by (provider) (increase(%[1]s{%[4]s}[$__range]) or increase(%[2]s{%[4]s}[$__range]) or increase(%[3]s{%[4]s}[$__range]))",
			name(metricnames.Line), name(metricnames.Host), name(metricnames.Website), f)
	}
	provAvail := "1 - " + prov(metricnames.Family.Down) + " / clamp_min(" + prov(metricnames.Family.Observed) + " - " + prov(metricnames.Family.Maintenance) + ", 1)"
	return D{UID: "jianguan-sla", File: "sla.json", Title: "SLA 月度可用率 SLA by calendar month",
		Desc: "Calendar-month SLA per line, host, website and provider (pick a month in the time picker; default: last month), with links to the report plugin.",
		Tags: []string{"sla"}, Refresh: "", From: "now-1M/M", To: "now-1M/M",
		Vars: []V{
			{Name: "site", Label: "站点 Site", Metric: anyOf(metricnames.Line.Up(), metricnames.Host.Up(), metricnames.Website.Up()), LabelName: "site"},
			{Name: "provider", Label: "服务商 Provider", Metric: anyOf(metricnames.Line.Up(), metricnames.Host.Up(), metricnames.Website.Up()), LabelName: "provider", Parents: []string{"site"}},
		},
		Links: links,
		Rows: []Row{
			{Title: "线路 Lines", Panels: []P{slaTable("线路月度 SLA Lines, calendar month", metricnames.Line, "line, kind, provider", "lines", f,
				map[string]string{"line": "线路 Line", "kind": "类型 Kind", "provider": "运营商 Provider"})}},
			{Title: "云主机 Hosts", Panels: []P{slaTable("云主机月度 SLA Hosts, calendar month", metricnames.Host, "host, unit, provider", "hosts", f,
				map[string]string{"host": "主机 Host", "unit": "单位 Unit", "provider": "服务商 Provider"})}},
			{Title: "网站 Websites", Panels: []P{slaTable("网站月度 SLA Websites, calendar month", metricnames.Website, "url, unit, provider", "hosts", f,
				map[string]string{"url": "网站 URL", "unit": "单位 Unit", "provider": "服务商 Provider"})}},
			{Title: "服务商 Providers", Panels: []P{{Kind: kTable, W: 24, H: 7, Title: "服务商月度可用率 Providers, calendar month", Unit: "percentunit", Decimals: f64(4),
				Desc:  "每个服务商（运营商、云服务商）的线路、主机、网站合计可用率与停机秒数；评分见月度评估报告。 Combined availability and downtime of each provider's lines, hosts and websites; the weighted score is in the provider report (link).",
				Links: []link{{"服务商月度评估 Provider evaluation", reportURL("providers")}},
				Queries: []Q{
					qt(provAvail),
					qt(prov(metricnames.Family.Down)),
				},
				Transforms: []dashboard.DataTransformerConfig{merge,
					organize(map[string]string{"provider": "服务商 Provider", "Value #A": "可用率 Availability", "Value #B": "停机 Downtime"}, "Time")},
				Overrides: []dashboard.DashboardFieldConfigSourceOverrides{byName("停机 Downtime", prop("unit", "s"), prop("decimals", 1))},
				Sort:      "停机 Downtime",
			}}},
		}}
}
