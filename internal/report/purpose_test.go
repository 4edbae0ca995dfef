package report

import (
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/jianguan/jianguan/internal/docfmt"
)

// identRE matches the identifiers a purpose may quote in any language:
// metric and recorded-series names (they hold _ or :), RFC 3339 times and
// the interval notation of the boundary probe.
var identRE = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*[_:][A-Za-z0-9_:]*|\d{4}-\d\d-\d\dT[0-9:]+(\.\d+)?Z|\[t−d, t\]|\(t−d, t\]`)

// PurposeProblems says what is wrong with purpose p worded for lang: ASCII
// words (beyond identifiers and the allowed units and names) in zh-CN, Han
// characters in English.
func PurposeProblems(lang docfmt.Lang, p string) []string {
	w := AuditPurpose(lang, p)
	if lang == docfmt.ZH {
		return docfmt.ASCIIWords(identRE.ReplaceAllString(w, " "), "bit/s", "d", "t", "m", "h")
	}
	for _, r := range w {
		if unicode.Is(unicode.Han, r) {
			return []string{w}
		}
	}
	return nil
}

// TestAuditPurpose: every purpose template the engine writes, in both
// languages (issue 16: the audit appendix's purpose column was English in
// zh-CN documents, the machine room's aggregates Chinese in English ones).
func TestAuditPurpose(t *testing.T) {
	for _, c := range []struct{ in, zhWant string }{
		{"entities: series with samples in the month (line_observed_seconds_total)", "对象：本期有样本的序列（line_observed_seconds_total）"},
		{"series with samples in the month (host_up, host_down_seconds_total)", "本期有样本的序列（host_up, host_down_seconds_total）"},
		{"series with samples in the month (line_icmp_probes_total) of the entities whose series may have begun and ended inside the period", "本期有样本的序列（line_icmp_probes_total），仅限序列可能在期内出现又消失的对象"},
		{"configuration loads of the exporters and of Prometheus (last sample at or before the edge): which entities' series may have begun and ended inside the period", "采集程序与 Prometheus 的配置加载时间"},
		{"counters and their start time at the month end (last sample at or before it)", "期末的计数器及其启动时间"},
		{"counters, start time and state at the month start (last sample at or before it)", "期初的计数器、启动时间和状态"},
		{"counters, start time and state at the month end (last sample at or before it)", "期末的计数器、启动时间和状态（期末时刻"},
		{"counters and their entity's start time at the month start (last sample at or before it)", "期初的计数器及其对象的启动时间（期初时刻"},
		{"counters and their entity's start time at the month end (last sample at or before it)", "期末的计数器及其对象的启动时间（期末时刻"},
		{"samples around a counter restart (last values before it)", "计数器重启前后的样本"},
		{"raw counter sums: samples per entity and day (sizes the raw reads)", "每个对象每天的样本数"},
		{"raw samples of the counters, one day at a time (a counter reset, a series that ended, or a scrape gap at the period start)", "逐日读取"},
		{"counters at the last scrape of a lifetime that ended in the month (found by the availability walk)", "最后一次采集时的计数器"},
		{"start-time changes from 24 h before the period start to its end (counter resets; line_start_time_seconds)", "启动时间变化（计数器重置；line_start_time_seconds）"},
		{"samples in the 24 h before the period start of series without a value at it (line_observed_seconds_total)", "期初前 24 小时内的样本数"},
		{"last value in the period of series that ended inside it (host_down_seconds_total)", "期内结束的序列在期内的最后值"},
		{"incident days: line_state_changes_total, line_up at a day edge and 20 min before it (changes, restarts, unknown spells between two edges)", "在日界及其前 20 分钟的值"},
		{"incident days: evaluations of the recording rules jianguan:report_rules:evaluated per day (where the recorded counts are complete)", "记录规则 jianguan:report_rules:evaluated 每日的求值次数"},
		{"incident days: evaluations of the recording rules jianguan:report_rules:evaluated in the period (where the recorded changes are complete)", "记录规则 jianguan:report_rules:evaluated 在本期的各次求值"},
		{"incident days and hours: hours in which line_up, line_unknown, line_last_change_timestamp_seconds, line_start_time_seconds changed, from the recorded line:line_state:changes1h", "由记录序列 line:line_state:changes1h 得出 line_up, line_unknown, line_last_change_timestamp_seconds, line_start_time_seconds 发生变化的小时"},
		{"incident days: samples of line_up per day from the recorded line:line_up:count1h (gaps, series that start or end)", "由记录序列 line:line_up:count1h 得出的 line_up 每日样本数"},
		{"incident days: samples of line_up per day (gaps, series that start or end; days without every evaluation of the recording rules)", "记录规则求值不完整的日期"},
		{"incident days: samples of host_up per day (gaps, series that start or end)", "host_up 每日样本数（采集中断"},
		{"incident days: changes of line_start_time_seconds (restarts)", "line_start_time_seconds 的变化（重启）"},
		{"incident days: changes of line_up", "line_up 的变化"},
		{"incident hours (in a day with a change): hours in which line_up, line_unknown changed", "line_up, line_unknown 发生变化的小时"},
		{"incident hours (in a day with a change): samples of line_up per hour (gaps, series that start or end)", "line_up 每小时样本数"},
		{"incident reconstruction: raw line_up, line_unknown of the hours with a change", "有变化的小时内 line_up, line_unknown 的原始样本"},
		{"range-selector boundary probe (3: closed [t−d, t], Prometheus 2; 2: left-open (t−d, t], Prometheus 3 / VictoriaMetrics)", "区间选择器边界探测"},
		{"period edge: raw samples around 2026-10-31T16:00:00Z (interpolation to the edge)", "期界：2026-10-31T16:00:00Z 前后的原始样本"},
		{"entities: series with samples in the month (host_observed_seconds_total) of the period's entities without a value at the month end", "仅限整个报告期的对象中月末时刻无值者"},
		{"period edge: raw samples from the lookback before 2026-10-31T16:00:00Z to 1 min after it, staleness markers included (the counters, start time and state at the edge: last sample at or before it; interpolation to the edge)", "期界：2026-10-31T16:00:00Z 前一个回溯窗口至其后 1 分钟的原始样本，含陈旧标记"},
		{"TLS leaf certificate expiry", "TLS 叶证书到期时间"},
		{"contracted capacity at the month end", "期末的合同带宽"},
		{"contracted capacity of lines without a sample at the month end (last in the month)", "期末无样本线路的合同带宽"},
		{"95th percentile receive rate (bit/s) from the recorded line:line_interface_bits:rate5m_step5m, for the lines whose every recorded series of this direction has a point for every 5 m step of the period (the rest: the raw path below); live, recorded points are up to one rule interval (60 s) after the 5 m step", "接收速率第 95 百分位数（bit/s），取自记录序列 line:line_interface_bits:rate5m_step5m，仅限该方向每条记录序列在本期每个 5 分钟步长均有一个点的线路"},
		{"95th percentile transmit rate (bit/s) from the raw interface counters (the expression of line:line_interface_bits:rate5m at 5 m steps)", "发送速率第 95 百分位数（bit/s），取自接口原始计数器"},
		{"95th percentile transmit rate (bit/s), recorded path: whether the rules group's marker jianguan:line_rules:evaluated has a point for every 60 s of the period (then the recorded line:line_interface_bits:rate5m_step5m covers every line)", "发送速率第 95 百分位数（bit/s）的记录路径：规则组标记 jianguan:line_rules:evaluated 是否在本期每 60 秒均有一个点"},
		{"95th percentile transmit rate (bit/s): the lines of the recorded line:line_interface_bits:rate5m_step5m, read through the remote-read API in batches of at most 4194304 points", "发送速率第 95 百分位数（bit/s）：记录序列 line:line_interface_bits:rate5m_step5m 的线路，经远程读取接口分批读出，每批至多 4194304 个点"},
		{"95th percentile receive rate (bit/s) of the recorded line:line_interface_bits:rate5m_step5m (400 series read), computed by the report from its points read through the remote-read API as quantile_over_time and max by (line) compute them, for every line (the marker is complete)", "（400 条序列）的点计算（每条序列按 quantile_over_time 的算法，每条线路取其序列的最大值），全部线路（标记完整）"},
		{"95th percentile receive rate (bit/s) of the recorded line:line_interface_bits:rate5m_step5m (3 series read), computed by the report from its points read through the remote-read API as quantile_over_time and max by (line) compute them, for the lines whose every recorded series of this direction has a point for every 5 m step of the period (the rest: the raw path below); live, recorded points are up to one rule interval (60 s) after the 5 m step", "仅限该方向每条记录序列在本期每个 5 分钟步长均有一个点的线路（其余线路见下条原始路径）；实时运行时，记录点最多晚于 5 分钟步长一个规则间隔（60 秒）"},
		{"95th percentile receive rate (bit/s) from the raw interface counters (the expression of line:line_interface_bits:rate5m at 5 m steps), for the lines the recorded series does not cover (3 covered)", "已覆盖 3 条"},
		{"daily lowest humidity per sensor group", "各传感器分组每日最低湿度"},
		{"daily highest temperature per sensor group", "各传感器分组每日最高温度"},
		{"room gauges: evaluations of the recording rules jianguan:gauge_rules:evaluated in the period (where the hourly aggregates cover it)", "机房量值：记录规则 jianguan:gauge_rules:evaluated 在本期的评估时刻"},
		{"机柜平均功率" + GaugePieceSep + "raw samples, sum [2026-09-30T16:00:00Z, 2026-09-30T17:20:00.001Z)", "机柜平均功率：原始样本的样本和 [2026-09-30T16:00:00Z, 2026-09-30T17:20:00.001Z)"},
		{"最高温度" + GaugePieceSep + "recorded hourly max of the evaluations (2026-09-30T17:20:00Z, 2026-10-31T15:20:00Z], samples [2026-09-30T17:19:00.001Z, 2026-10-31T15:19:00.001Z)", "最高温度：逐小时记录的最大值，评估时刻 (2026-09-30T17:20:00Z, 2026-10-31T15:20:00Z]，样本 [2026-09-30T17:19:00.001Z, 2026-10-31T15:19:00.001Z)"},
		{"平均湿度" + GaugePieceSep + "samples exactly at the evaluations [2026-09-30T17:00:00Z, 2026-10-31T15:00:00Z), count, counted in two closed windows", "平均湿度：恰在评估时刻的样本的样本数 [2026-09-30T17:00:00Z, 2026-10-31T15:00:00Z)（闭区间下计入相邻两小时，扣除一次）"},
		{"trend 2025-11: counters, start time and state at the month end (last sample at or before it)", "趋势 2025-11：期末的计数器、启动时间和状态"},
		{"previous period 2026-Q3: incident days: changes of line_up", "环比上期：事件检测（按日）：line_up 的变化"},
		{"95th percentile receive rate (bit/s) from the recorded line:line_interface_bits:rate5m_step5m for every line, if the rules group's marker jianguan:line_rules:evaluated has a point for every 60 s of the period", "全部线路；条件是该规则组的标记 jianguan:line_rules:evaluated 在本期每 60 秒均有一个点"},
		{"UPS 峰值负载", "UPS 峰值负载"},
	} {
		zh := AuditPurpose(docfmt.ZH, c.in)
		if !strings.Contains(zh, c.zhWant) {
			t.Errorf("zh-CN %q\n  = %q\n  want it to contain %q", c.in, zh, c.zhWant)
		}
		if p := PurposeProblems(docfmt.ZH, c.in); len(p) > 0 {
			t.Errorf("zh-CN %q = %q: ASCII words %q", c.in, zh, p)
		}
		if p := PurposeProblems(docfmt.EN, c.in); len(p) > 0 {
			t.Errorf("English %q: Han characters in %q", c.in, p)
		}
	}
	for zh, en := range purposeEN {
		for _, pre := range []string{"trend 2025-11: ", "previous period 2025-11: "} {
			if got := AuditPurpose(docfmt.EN, pre+zh); got != pre+en {
				t.Errorf("English purpose of %q = %q", pre+zh, got)
			}
		}
	}
	// An evaluation indicator's purpose: the fixed wording follows the
	// language, the configured name (Chinese in evaluation.yml) stays.
	for _, ind := range []struct{ name, id string }{{"运维响应及时率", "ops_response"}, {"基础设施（机房）可用率", "dc_avail"}} {
		p := IndicatorPurpose(ind.name, ind.id)
		if zh := AuditPurpose(docfmt.ZH, p); zh != p {
			t.Errorf("zh-CN indicator purpose %q changed to %q", p, zh)
		}
		en := AuditPurpose(docfmt.EN, p)
		if rest := strings.Replace(en, ind.name, "", 1); rest != "evaluation indicator:  ("+ind.id+")" {
			t.Errorf("English indicator purpose of %q = %q", p, en)
		}
	}
	if got := AuditPurpose(docfmt.ZH, "q7"); got != "q7" {
		t.Errorf("a purpose outside the glossary changed: %q", got)
	}
}

// TestAuditPromQL: a remote read's marker is worded in the document's
// language; the selector and every other query stay as they are.
func TestAuditPromQL(t *testing.T) {
	rr := RemoteReadPrefix + `{__name__=~"line_up|line_unknown",line=~"a"}[3600000ms] @ 1790784000`
	for _, c := range []struct {
		lang     docfmt.Lang
		in, want string
	}{
		{docfmt.ZH, rr, `经远程读取接口读出以下区间选择器的样本：{__name__=~"line_up|line_unknown",line=~"a"}[3600000ms] @ 1790784000`},
		{docfmt.EN, rr, rr},
		{docfmt.ZH, `sum(up)`, `sum(up)`},
	} {
		if got := AuditPromQL(c.lang, c.in); got != c.want {
			t.Errorf("%s %q: %q, want %q", c.lang, c.in, got, c.want)
		}
	}
}
