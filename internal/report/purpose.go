package report

import (
	"regexp"
	"strings"

	"github.com/jianguan/jianguan/internal/docfmt"
)

// The purpose column of the audit appendix in the document's language
// (issue 16: one language per document; the engine's purposes are English,
// those of the machine room's aggregates Chinese). The engine keeps one
// purpose per query in Document.Audit (tests and the XLSX/CSV cross-checks
// read them); AuditPurpose words it for the reader when a document is
// rendered. Metric names, PromQL and timestamps in a purpose stay as they
// are: they are identifiers. TestEnglishPlurals_EveryKind holds every purpose
// every report kind writes on a real Prometheus to this glossary.

// purposeRule words one English purpose template in Chinese.
type purposeRule struct {
	re *regexp.Regexp
	zh func(m []string) string
}

func rule(re string, zh func(m []string) string) purposeRule {
	return purposeRule{regexp.MustCompile(`^` + re + `$`), zh}
}

func fixed(zh string) func([]string) string { return func([]string) string { return zh } }

var (
	directionZH = map[string]string{"receive": "接收", "transmit": "发送"}
	extremeZH   = map[string]string{"lowest": "最低", "highest": "最高"}
	quantityZH  = map[string]string{"temperature": "温度", "humidity": "湿度"}
)

var purposeRules = []purposeRule{
	rule(`entities: series with samples in the month \((.+)\)`, func(m []string) string { return "对象：本期有样本的序列（" + m[1] + "）" }),
	rule(`entities: series with samples in the month \((.+)\) of the period's entities without a value at the month end`, func(m []string) string {
		return "对象：本月有样本的序列（" + m[1] + "），仅限整个报告期的对象中月末时刻无值者"
	}),
	rule(`series with samples in the month \((.+)\)`, func(m []string) string { return "本期有样本的序列（" + m[1] + "）" }),
	rule(`series with samples in the month \((.+)\) of the entities whose series may have begun and ended inside the period`, func(m []string) string {
		return "本期有样本的序列（" + m[1] + "），仅限序列可能在期内出现又消失的对象"
	}),
	rule(`configuration loads of the exporters and of Prometheus \(last sample at or before the edge\): which entities' series may have begun and ended inside the period`,
		fixed("采集程序与 Prometheus 的配置加载时间（边界时刻或之前的最后一个样本）：判断哪些对象的序列可能在期内出现又消失")),
	rule(`counters and their start time at the month end \(last sample at or before it\)`, fixed("期末的计数器及其启动时间（期末时刻或之前的最后一个样本）")),
	rule(`counters, start time and state at the month start \(last sample at or before it\)`, fixed("期初的计数器、启动时间和状态（期初时刻或之前的最后一个样本）")),
	rule(`counters, start time and state at the month end \(last sample at or before it\)`, fixed("期末的计数器、启动时间和状态（期末时刻或之前的最后一个样本）")),
	rule(`counters and their entity's start time at the month (start|end) \(last sample at or before it\)`, func(m []string) string {
		e := map[string]string{"start": "期初", "end": "期末"}[m[1]]
		return e + "的计数器及其对象的启动时间（" + e + "时刻或之前的最后一个样本）"
	}),
	rule(`samples around a counter restart \(last values before it\)`, fixed("计数器重启前后的样本（重启前的最后值）")),
	rule(`raw counter sums: samples per entity and day \(sizes the raw reads\)`, fixed("原始计数器累计：每个对象每天的样本数（确定原始读取的规模）")),
	rule(`raw samples of the counters, one day at a time \(a counter reset, a series that ended, or a scrape gap at the period start\)`,
		fixed("计数器的原始样本，逐日读取（计数器重置、序列结束或期初采集中断）")),
	rule(`counters at the last scrape of a lifetime that ended in the month \(found by the availability walk\)`, fixed("本期内结束的序列最后一次采集时的计数器（由可用性遍历发现）")),
	rule(`start-time changes from 24 h before the period start to its end \(counter resets; (.+)\)`, func(m []string) string {
		return "期初前 24 小时至期末的启动时间变化（计数器重置；" + m[1] + "）"
	}),
	rule(`samples in the 24 h before the period start of series without a value at it \((.+)\)`, func(m []string) string {
		return "期初时刻无值的序列在期初前 24 小时内的样本数（" + m[1] + "）"
	}),
	rule(`last value in the period of series that ended inside it \((.+)\)`, func(m []string) string { return "期内结束的序列在期内的最后值（" + m[1] + "）" }),
	rule(`incident days: (.+) at a day edge and (\d+) min before it \(changes, restarts, unknown spells between two edges\)`, func(m []string) string {
		return "事件检测（按日）：" + m[1] + " 在日界及其前 " + m[2] + " 分钟的值（两次读数之间的状态变化、重启、未知时段）"
	}),
	rule(`incident days: evaluations of the recording rules (\S+) per day \(where the recorded counts are complete\)`, func(m []string) string {
		return "事件检测（按日）：记录规则 " + m[1] + " 每日的求值次数（判断记录的样本数是否完整）"
	}),
	rule(`incident days: evaluations of the recording rules (\S+) in the period \(where the recorded changes are complete\)`, func(m []string) string {
		return "事件检测（按日）：记录规则 " + m[1] + " 在本期的各次求值（判断记录的变化是否完整）"
	}),
	rule(`incident days and hours: hours in which (.+) changed, from the recorded (\S+)`, func(m []string) string {
		return "事件检测（按日、按小时）：由记录序列 " + m[2] + " 得出 " + m[1] + " 发生变化的小时"
	}),
	rule(`incident days: samples of (\S+) per day from the recorded (\S+) \(gaps, series that start or end\)`, func(m []string) string {
		return "事件检测（按日）：由记录序列 " + m[2] + " 得出的 " + m[1] + " 每日样本数（采集中断、序列开始或结束）"
	}),
	rule(`incident days: samples of (\S+) per day \(gaps, series that start or end; days without every evaluation of the recording rules\)`, func(m []string) string {
		return "事件检测（按日）：" + m[1] + " 每日样本数（采集中断、序列开始或结束；记录规则求值不完整的日期）"
	}),
	rule(`incident days: samples of (\S+) per day \(gaps, series that start or end\)`, func(m []string) string {
		return "事件检测（按日）：" + m[1] + " 每日样本数（采集中断、序列开始或结束）"
	}),
	rule(`incident days: changes of (\S+) \(restarts\)`, func(m []string) string { return "事件检测（按日）：" + m[1] + " 的变化（重启）" }),
	rule(`incident days: changes of (\S+)`, func(m []string) string { return "事件检测（按日）：" + m[1] + " 的变化" }),
	rule(`incident hours \(in a day with a change\): hours in which (.+) changed`, func(m []string) string {
		return "事件检测（按小时，仅限有变化的日期）：" + m[1] + " 发生变化的小时"
	}),
	rule(`incident hours \(in a day with a change\): samples of (\S+) per hour \(gaps, series that start or end\)`, func(m []string) string {
		return "事件检测（按小时，仅限有变化的日期）：" + m[1] + " 每小时样本数（采集中断、序列开始或结束）"
	}),
	rule(`incident reconstruction: raw (.+) of the hours with a change`, func(m []string) string { return "事件还原：有变化的小时内 " + m[1] + " 的原始样本" }),
	rule(`range-selector boundary probe \(3: closed \[t−d, t\], Prometheus 2; 2: left-open \(t−d, t\], Prometheus 3 / VictoriaMetrics\)`,
		fixed("区间选择器边界探测（3：闭区间 [t−d, t]，Prometheus 2；2：左开区间 (t−d, t]，Prometheus 3 / VictoriaMetrics）")),
	rule(`period edge: raw samples around (\S+) \(interpolation to the edge\)`, func(m []string) string { return "期界：" + m[1] + " 前后的原始样本（插值到期界）" }),
	rule(`period edge: raw samples from the lookback before (\S+) to 1 min after it, staleness markers included \(the counters, start time and state at the edge: last sample at or before it; interpolation to the edge\)`, func(m []string) string {
		return "期界：" + m[1] + " 前一个回溯窗口至其后 1 分钟的原始样本，含陈旧标记（期界时刻的计数器、启动时间和状态：期界时刻或之前的最后一个样本；插值到期界）"
	}),
	rule(`TLS leaf certificate expiry`, fixed("TLS 叶证书到期时间")),
	rule(`contracted capacity at the month end`, fixed("期末的合同带宽")),
	rule(`contracted capacity of lines without a sample at the month end \(last in the month\)`, fixed("期末无样本线路的合同带宽（期内最后值）")),
	rule(`95th percentile (receive|transmit) rate \(bit/s\) from the recorded (\S+) for every line, if the rules group's marker (\S+) has a point for every (\d+) s of the period`, func(m []string) string {
		return directionZH[m[1]] + "速率第 95 百分位数（bit/s），取自记录序列 " + m[2] + "，全部线路；条件是该规则组的标记 " + m[3] + " 在本期每 " + m[4] + " 秒均有一个点"
	}),
	rule(`95th percentile (receive|transmit) rate \(bit/s\) from the recorded (\S+), for the lines whose every recorded series of this direction has a point for every 5 m step of the period \(the rest: the raw path below\); live, recorded points are up to one rule interval \((\d+) s\) after the 5 m step`, func(m []string) string {
		return directionZH[m[1]] + "速率第 95 百分位数（bit/s），取自记录序列 " + m[2] + "，仅限该方向每条记录序列在本期每个 5 分钟步长均有一个点的线路（其余线路见下条原始路径）；实时运行时，记录点最多晚于 5 分钟步长一个规则间隔（" + m[3] + " 秒）"
	}),
	rule(`95th percentile (receive|transmit) rate \(bit/s\), recorded path: whether the rules group's marker (\S+) has a point for every (\d+) s of the period \(then the recorded (\S+) covers every line\)`, func(m []string) string {
		return directionZH[m[1]] + "速率第 95 百分位数（bit/s）的记录路径：规则组标记 " + m[2] + " 是否在本期每 " + m[3] + " 秒均有一个点（若是，记录序列 " + m[4] + " 覆盖全部线路）"
	}),
	rule(`95th percentile (receive|transmit) rate \(bit/s\): the lines of the recorded (\S+), read through the remote-read API in batches of at most (\d+) points`, func(m []string) string {
		return directionZH[m[1]] + "速率第 95 百分位数（bit/s）：记录序列 " + m[2] + " 的线路，经远程读取接口分批读出，每批至多 " + m[3] + " 个点"
	}),
	rule(`95th percentile (receive|transmit) rate \(bit/s\) of the recorded (\S+) \((\d+) series read\), computed by the report from its points read through the remote-read API as quantile_over_time and max by \(line\) compute them, for (every line \(the marker is complete\)|the lines whose every recorded series of this direction has a point for every 5 m step of the period \(the rest: the raw path below\); live, recorded points are up to one rule interval \((\d+) s\) after the 5 m step)`, func(m []string) string {
		s := directionZH[m[1]] + "速率第 95 百分位数（bit/s），由报告程序从经远程读取接口读出的记录序列 " + m[2] + "（" + m[3] + " 条序列）的点计算（每条序列按 quantile_over_time 的算法，每条线路取其序列的最大值），"
		if m[5] == "" {
			return s + "全部线路（标记完整）"
		}
		return s + "仅限该方向每条记录序列在本期每个 5 分钟步长均有一个点的线路（其余线路见下条原始路径）；实时运行时，记录点最多晚于 5 分钟步长一个规则间隔（" + m[5] + " 秒）"
	}),
	rule(`95th percentile (receive|transmit) rate \(bit/s\) from the raw interface counters \(the expression of (\S+) at 5 m steps\)(?:, for the lines the recorded series does not cover \((\d+) covered\))?`, func(m []string) string {
		s := directionZH[m[1]] + "速率第 95 百分位数（bit/s），取自接口原始计数器（按 5 分钟步长计算 " + m[2] + " 的表达式）"
		if m[3] != "" {
			s += "，仅限记录序列未覆盖的线路（已覆盖 " + m[3] + " 条）"
		}
		return s
	}),
	rule(`daily (lowest|highest) (temperature|humidity) per sensor group`, func(m []string) string {
		return "各传感器分组每日" + extremeZH[m[1]] + quantityZH[m[2]]
	}),
	// The room gauges' pieces (gauges.go): the half after GaugePieceSep.
	rule(`room gauges: evaluations of the recording rules (\S+) in the period \(where the hourly aggregates cover it\)`, func(m []string) string {
		return "机房量值：记录规则 " + m[1] + " 在本期的评估时刻（逐小时汇总覆盖的时段）"
	}),
	rule(`raw samples, (min|max|sum|count) (\[.+\))`, func(m []string) string { return "原始样本的" + aggZH[m[1]] + " " + m[2] }),
	rule(`recorded hourly (min|max|sum|count) of the evaluations (\(.+\]), samples (\[.+\))`, func(m []string) string {
		return "逐小时记录的" + aggZH[m[1]] + "，评估时刻 " + m[2] + "，样本 " + m[3]
	}),
	rule(`samples exactly at the evaluations (\[.+\)), (sum|count), counted in two closed windows`, func(m []string) string {
		return "恰在评估时刻的样本的" + aggZH[m[2]] + " " + m[1] + "（闭区间下计入相邻两小时，扣除一次）"
	}),
}

// aggZH words the hourly aggregates of the room gauges.
var aggZH = map[string]string{"min": "最小值", "max": "最大值", "sum": "样本和", "count": "样本数"}

// purposeEN words the machine room's aggregates (infra.go) in English.
var purposeEN = map[string]string{
	"UPS 最低后备时间":    "lowest UPS battery runtime",
	"UPS 峰值负载":      "peak UPS load",
	"最低温度":          "lowest temperature",
	"平均温度":          "mean temperature",
	"最高温度":          "highest temperature",
	"最低湿度":          "lowest humidity",
	"平均湿度":          "mean humidity",
	"最高湿度":          "highest humidity",
	"油机运行时间占比":      "share of time the generator ran",
	"油机最低油位":        "lowest generator fuel level",
	"油机最高油位":        "highest generator fuel level",
	"机柜峰值功率":        "peak rack power",
	"机柜平均功率":        "mean rack power",
	"精密空调运行时间占比":    "share of time each precision air-conditioning unit ran",
	"精密空调最少运行台数":    "fewest precision air-conditioning units running",
	"精密空调所需台数（N+1）": "precision air-conditioning units required (N+1)",
	"烟感告警":          "smoke alarms",
	"门开启时间占比":       "share of time doors were open",
	"漏水检测":          "leak detection",
}

// IndicatorPurpose is the purpose of an evaluation indicator's PromQL
// (internal/eval): 评估指标：<name>（<id>）. The evaluation is written in
// zh-CN; AuditPurpose words it in English as "evaluation indicator: <name>
// (<id>)" (the name is the indicator system's, as configured).
func IndicatorPurpose(name, id string) string { return "评估指标：" + name + "（" + id + "）" }

var indicatorPurposeRE = regexp.MustCompile(`^评估指标：(.+)（([^（）]+)）$`)

// AuditPromQL words an audit entry's query column in the document's
// language: the remote reads' marker (RemoteReadPrefix) in Chinese for
// zh-CN; the PromQL itself stays as it is.
func AuditPromQL(lang docfmt.Lang, q string) string {
	if rest, ok := strings.CutPrefix(q, RemoteReadPrefix); ok && lang == docfmt.ZH {
		return "经远程读取接口读出以下区间选择器的样本：" + rest
	}
	return q
}

// AuditPurpose is an audit query's purpose as a document in lang prints it.
// A purpose outside the glossary is printed as the engine wrote it.
func AuditPurpose(lang docfmt.Lang, p string) string {
	// "trend 2025-11: …" → 趋势 2025-11：…; "previous period 2026-Q3: …" →
	// 环比上期：… (the one previous period of the document; its code, e.g.
	// 2026-Q3, is not zh-CN wording).
	for _, pre := range []struct {
		en, zh     string
		periodInZH bool
	}{{TrendAuditPrefix, "趋势 ", true}, {PreviousAuditPrefix, "环比上期", false}} {
		if rest, ok := strings.CutPrefix(p, pre.en); ok {
			if period, what, ok := strings.Cut(rest, ": "); ok {
				if lang != docfmt.ZH {
					return pre.en + period + ": " + AuditPurpose(lang, what)
				}
				if pre.periodInZH {
					return pre.zh + period + "：" + AuditPurpose(lang, what)
				}
				return pre.zh + "：" + AuditPurpose(lang, what)
			}
		}
	}
	// 机柜平均功率 — raw samples, sum [a, b): each half in lang.
	if base, piece, ok := strings.Cut(p, GaugePieceSep); ok {
		if lang == docfmt.ZH {
			return AuditPurpose(lang, base) + "：" + AuditPurpose(lang, piece)
		}
		return AuditPurpose(lang, base) + ": " + AuditPurpose(lang, piece)
	}
	if lang != docfmt.ZH {
		if en, ok := purposeEN[p]; ok {
			return en
		}
		if m := indicatorPurposeRE.FindStringSubmatch(p); m != nil {
			return "evaluation indicator: " + m[1] + " (" + m[2] + ")"
		}
		return p
	}
	for _, r := range purposeRules {
		if m := r.re.FindStringSubmatch(p); m != nil {
			return r.zh(m)
		}
	}
	return p
}
