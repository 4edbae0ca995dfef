package snapshot

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/report"
)

// TestHostile_SignOffWithUnfilledSections (issue 16 item 6): a draft whose
// editable sections are 「（未填写）」 cannot be frozen (signed off) and
// nothing is written; once the sections are saved beside the period and
// built into the document, the freeze succeeds and the snapshot carries
// them; after the freeze they can no longer change; a narrative file that
// is oversized or has unknown fields is refused naming the file.
func TestHostile_SignOffWithUnfilledSections(t *testing.T) {
	st := Store{Dir: t.TempDir()}
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	withNarrative := func(n report.Narrative) func(context.Context) (*report.Document, error) {
		return func(context.Context) (*report.Document, error) {
			d := doc("2026-10")
			for _, s := range []struct{ id, text string }{{"problems", n.Problems}, {"remedies", n.Remedies}, {"next-steps", n.NextSteps}} {
				if s.text == "" {
					s.text = report.Unfilled
				}
				d.Sections = append(d.Sections, report.Section{ID: s.id, Title: s.id, Text: []string{s.text}})
			}
			return d, nil
		}
	}
	n, err := st.LoadNarrative("infrastructure", "2026-10")
	if err != nil || n != (report.Narrative{}) {
		t.Fatalf("no file yet: %+v %v", n, err)
	}
	_, err = st.Freeze(ctx, "infrastructure", "2026-10", withNarrative(n), now)
	var ue *UnfilledError
	if !errors.As(err, &ue) || len(ue.Sections) != 3 || !strings.Contains(err.Error(), "主要问题及原因分析") {
		t.Fatalf("freeze of a draft with unfilled sections: %v", err)
	}
	if st.Exists("infrastructure", "2026-10") {
		t.Fatal("refused freeze wrote a snapshot")
	}
	want := report.Narrative{Problems: "2号 UPS 电池老化。", Remedies: "已更换电池组。", NextSteps: "每月核对电池内阻。"}
	if err := st.SaveNarrative("infrastructure", "2026-10", want); err != nil {
		t.Fatal(err)
	}
	got, err := st.LoadNarrative("infrastructure", "2026-10")
	if err != nil || got != want {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if _, err := st.Freeze(ctx, "infrastructure", "2026-10", withNarrative(got), now); err != nil {
		t.Fatal(err)
	}
	fd, err := st.Load("infrastructure", "2026-10")
	if err != nil || len(fd.Sections) != 3 || fd.Sections[0].Text[0] != want.Problems {
		t.Fatalf("snapshot lacks the sections: %v %+v", err, fd)
	}
	var fe *FrozenError
	if err := st.SaveNarrative("infrastructure", "2026-10", report.Narrative{Problems: "改"}); !errors.As(err, &fe) {
		t.Errorf("edit after sign-off: %v", err)
	}
	for name, body := range map[string]string{
		"unknown field": `{"problems":"x","author":"y"}`,
		"oversized":     `{"problems":"` + strings.Repeat("x", maxNarrativeBytes) + `"}`,
		"too long":      `{"problems":"` + strings.Repeat("字", report.MaxNarrativeRunes+1) + `"}`,
	} {
		if err := os.WriteFile(st.NarrativePath("infrastructure", "2026-09"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := st.LoadNarrative("infrastructure", "2026-09"); err == nil || !strings.Contains(err.Error(), "2026-09.narrative.json") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
