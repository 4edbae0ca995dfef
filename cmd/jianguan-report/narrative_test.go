package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jianguan/jianguan/internal/report/snapshot"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestCLINarrativeSignOff (issue 16 item 6): freezing (signing off) the
// infrastructure report of a real Prometheus month is refused while its
// editable sections are 「（未填写）」 and writes no snapshot; with the
// sections in X.narrative.json beside the snapshot the freeze succeeds and
// the snapshot carries them; an explicit --narrative that does not exist is
// an error.
func TestCLINarrativeSignOff(t *testing.T) {
	url := testenv.StartTestScenario(t)
	dir := t.TempDir()
	snap := filepath.Join(dir, "infrastructure", "2026-10.json")
	args := []string{"--prometheus.url=" + url, "--kind=infrastructure", "--month=2026-10", "--format=json", "-o", os.DevNull,
		"--reports.config=../../deploy/etc/jianguan/reports.yml"}
	if err := run(append(args, "--freeze="+snap)); err == nil || !strings.Contains(err.Error(), "未填写") || !strings.Contains(err.Error(), "下一步工作计划及建议") {
		t.Fatalf("sign-off of a draft with unfilled sections: %v", err)
	}
	if _, err := os.Stat(snap); err == nil {
		t.Fatal("the refused sign-off wrote a snapshot")
	}
	if err := run(append(args, "--narrative="+filepath.Join(dir, "missing.json"))); err == nil || !strings.Contains(err.Error(), "--narrative") {
		t.Errorf("missing --narrative file: %v", err)
	}
	body := `{"problems":"10月无重大问题。","remedies":"无。","nextSteps":"继续每日巡检。"}`
	if err := os.WriteFile(snapshot.NarrativeFileFor(snap), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(append(args, "--freeze="+snap)); err != nil {
		t.Fatal(err)
	}
	d, err := snapshot.Load(snap)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, s := range d.Sections {
		if s.ID == "next-steps" && len(s.Text) == 1 && s.Text[0] == "继续每日巡检。" {
			found = true
		}
	}
	if !found {
		t.Errorf("snapshot lacks the editable sections: %+v", d.Sections)
	}
}
