package rules

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWording_NoBreachOfContract: the contract sets no penalty for missed
// availability (issue 16 item 5, ../shared/contract.md), so no alert,
// runbook entry, rule test or Alertmanager template calls a missed target
// 违约 (a legal term) or "SLA breached"; the wording is 「可用率低于目标」.
// The dashboards' panel descriptions (dashboards/, generated JSON included)
// are held to the same wording.
func TestWording_NoBreachOfContract(t *testing.T) {
	roots := []string{".", filepath.Join("..", "alertmanager", "templates"), filepath.Join("..", "dashboards")}
	var checked int
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			switch filepath.Ext(p) {
			case ".yml", ".yaml", ".md", ".tmpl", ".go", ".json":
			default:
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			checked++
			for i, line := range strings.Split(string(b), "\n") {
				for _, w := range []string{"违约", "SLA breach", "SLA 已"} {
					if strings.Contains(line, w) {
						t.Errorf("%s:%d: %q about availability (say 可用率低于目标): %s", p, i+1, w, strings.TrimSpace(line))
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 5 {
		t.Fatalf("only %d files checked: wrong directory?", checked)
	}
	b, err := os.ReadFile("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "可用率低于目标"); n < 3 {
		t.Errorf("alerts.yml says 可用率低于目标 %d times, want one per SLABudgetExhausted (line, host, website)", n)
	}
}
