package main

import (
	"encoding/json"
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
	// The store layout (DIR/{kind}/{period}.json): with September signed
	// off, October's 环比 reads it with --snapshots instead of rebuilding.
	sep := filepath.Join(dir, "infrastructure", "2026-09.json")
	if err := os.WriteFile(snapshot.NarrativeFileFor(sep), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"--prometheus.url=" + url, "--kind=infrastructure", "--format=json", "--reports.config=../../deploy/etc/jianguan/reports.yml"}
	if err := run(append(base, "--month=2026-09", "-o", os.DevNull, "--freeze="+sep)); err != nil {
		t.Fatal(err)
	}
	sd, err := snapshot.Load(sep)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "oct.json")
	if err := run(append(base, "--month=2026-10", "-o", out, "--snapshots="+dir)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var oct struct {
		PreviousFrozen *struct{ SHA256 string } `json:"previousFrozen"`
	}
	if err := json.Unmarshal(b, &oct); err != nil {
		t.Fatal(err)
	}
	if oct.PreviousFrozen == nil || oct.PreviousFrozen.SHA256 != sd.Frozen.SHA256 {
		t.Errorf("--snapshots: October's previousFrozen = %+v, want September's snapshot %s", oct.PreviousFrozen, sd.Frozen.SHA256)
	}
	if err := run(append(args, "--snapshots="+sep)); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("--snapshots naming a file: %v", err)
	}
}
