package dashboards

import (
	"testing"

	"github.com/jianguan/jianguan/internal/report"
)

// TestReportKindsMatchEngine: the SLA dashboard links to exactly the report
// engine's kinds, so no link points at a kind the plugin rejects with 400.
func TestReportKindsMatchEngine(t *testing.T) {
	if len(ReportKinds) != len(report.Kinds) {
		t.Fatalf("dashboard kinds %v, engine kinds %v", ReportKinds, report.Kinds)
	}
	for i, k := range ReportKinds {
		if k.Kind != report.Kinds[i] {
			t.Errorf("kind %d: dashboard %q, engine %q", i, k.Kind, report.Kinds[i])
		}
	}
}
