package docfmt

import (
	"fmt"
	"sort"
)

// Wording is a code's official wording in each language.
type Wording struct {
	ZH, EN string
}

// Glossary maps every code the reports, exporters and rules use to the
// words a document writes for it. Codes are the values found in labels and
// in the report model (internal/report, internal/avail,
// exporters/env_exporter conditions, exporters/line_exporter kinds, rules/
// severities, internal/calendar). TestGlossaryCoversReportModel and
// TestGlossaryCoversEnvConditions fail when a code is added there without
// an entry here.
var Glossary = map[string]Wording{
	// Line kinds (line_exporter kind label).
	"bgp":    {"互联网BGP线路", "BGP internet line"},
	"leased": {"专线", "leased line"},

	// Entity kinds / availability namespaces.
	"line":          {"线路", "line"},
	"host":          {"云主机", "cloud host"},
	"website":       {"网站", "website"},
	"env_condition": {"机房环境状况", "machine-room condition"},

	// Machine-room conditions (env_exporter, docs/metrics.md §2).
	"on_battery":              {"UPS 电池供电", "UPS on battery"},
	"temperature_out_of_band": {"温度超出范围", "temperature out of range"},
	"humidity_high":           {"湿度过高", "humidity too high"},
	"leak":                    {"漏水", "water leak"},
	"feed_lost":               {"市电中断", "utility feed lost"},
	"cooling_redundancy_lost": {"精密空调冗余丧失", "cooling redundancy lost"},
	"ups_redundancy_lost":     {"UPS 冗余丧失", "UPS redundancy lost"},
	"smoke":                   {"烟雾告警", "smoke detected"},
	"door_open":               {"门未关闭", "door open"},
	"generator_running":       {"柴油发电机运行", "generator running"},

	// States.
	"up":          {"正常", "up"},
	"down":        {"中断", "down"},
	"unknown":     {"未知", "unknown"},
	"maintenance": {"维护", "maintenance"},

	// Verdicts (internal/report Status*; not_met and no_target are the
	// wording of issue 16, breached the engine's current code).
	"met":           {"达标", "met"},
	"not_met":       {"未达标", "not met"},
	"breached":      {"未达标", "not met"},
	"indeterminate": {"无法判定", "indeterminate"},
	"no_target":     {"（无目标）", "(no target)"},

	// Report kinds (internal/report Kind*).
	"infrastructure": {"数据机房基础设施", "data-centre infrastructure"},
	"lines":          {"数据机房线路", "data-centre lines"},
	"hosts":          {"云主机与网站", "cloud hosts and websites"},
	"providers":      {"云服务商综合评估", "service-provider evaluation"},

	// Maintenance policies (internal/report Maintenance*).
	"excluded":          {"维护时间不计入考核", "maintenance excluded from the measurement"},
	"counted-as-uptime": {"维护时间计为可用", "maintenance counted as uptime"},

	// Provider kinds.
	"carrier": {"基础电信运营商", "telecom carrier"},
	"cloud":   {"云服务商", "cloud service provider"},

	// Alert severities (rules/).
	"critical": {"严重", "critical"},
	"warning":  {"警告", "warning"},
	"info":     {"提示", "info"},

	// Period kinds (internal/calendar).
	"day":     {"日", "day"},
	"week":    {"周", "week"},
	"month":   {"月", "month"},
	"quarter": {"季度", "quarter"},
	"year":    {"年度", "year"},
	"service": {"服务期", "service period"},
	"range":   {"时段", "period"},

	// Guard period kinds and holiday data status (internal/calendar).
	"holiday":     {"节假日", "public holiday"},
	"event":       {"重大活动", "major event"},
	"confirmed":   {"已公布", "published"},
	"provisional": {"暂定（估计）", "provisional (estimated)"},
}

// Term returns the wording of code in lang. An unknown code returns an
// error AND a visible marker (〔未定义术语：code〕 / [undefined term: code]),
// so that a caller ignoring the error still cannot leak a raw code silently.
func Term(code string, lang Lang) (string, error) {
	w, ok := Glossary[code]
	if !ok {
		if lang == EN {
			return "[undefined term: " + code + "]", fmt.Errorf("glossary: no wording for code %q", code)
		}
		return "〔未定义术语：" + code + "〕", fmt.Errorf("glossary: no wording for code %q", code)
	}
	if lang == EN {
		return w.EN, nil
	}
	return w.ZH, nil
}

// Codes lists the glossary's codes, sorted.
func Codes() []string {
	out := make([]string, 0, len(Glossary))
	for k := range Glossary {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
