package recdocs

import (
	"fmt"

	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/rules"
)

// glossary is the official zh-CN names of the stack's alerts, read from the
// rule files themselves (rules.Names: each rule's summary annotation).
func glossary() (*rules.Glossary, error) {
	g, err := rules.Names()
	if err != nil {
		return nil, fmt.Errorf("alert names from the rule files: %w", err)
	}
	return g, nil
}

// alertType is an alert's type as a document prints it: in zh-CN the
// official name of its rule (「线路中断」 for LineDown), in English the
// rule name (alertname). An alert no rule of the stack defines (an external
// one: another Prometheus's, e.g. DiskFull) is printed as it is and marked
// 「（外部告警）」 / " (external)", so a reader sees a foreign code, not a
// name of ours. The XLSX/CSV annex carries the same cells.
func alertType(a records.Alert, o Options) string {
	if a.Alertname == "" {
		return docfmt.Placeholder
	}
	if g, err := glossary(); err == nil {
		if title, ok := g.Title(a.Alertname, a.Labels); ok {
			return o.tr(title, a.Alertname)
		}
	}
	return a.Alertname + o.tr("（外部告警）", " (external)")
}

// alertNamesMethod says in the audit where the alert types come from.
func alertNamesMethod(o Options) string {
	return o.tr("告警类型以本系统告警规则的正式中文名称列出；本系统告警规则未定义的告警（如其他监控系统发出的告警）按原告警名列出，并标注「（外部告警）」。",
		"Alert types are the alert rules' names (alertname); an alert no rule of this system defines (e.g. one sent by another monitoring system) is printed as received and marked \"(external)\".")
}
