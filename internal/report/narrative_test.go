package report

import (
	"strings"
	"testing"

	"github.com/jianguan/jianguan/internal/docfmt"
)

// TestNarrative_EditableSections: the three editable sections follow the
// topics in the contract's order; an empty one is 「（未填写）」 and listed by
// UnfilledSections (no sign-off); a filled one keeps its paragraphs; an
// oversized or non-UTF-8 section is refused with its name.
func TestNarrative_EditableSections(t *testing.T) {
	tests := []struct {
		name     string
		n        Narrative
		unfilled int
		wantErr  string
		first    string
	}{
		{"draft", Narrative{}, 3, "", Unfilled},
		{"partly", Narrative{Problems: "3号精密空调压缩机故障。\n\n已更换备件。"}, 2, "", "3号精密空调压缩机故障。"},
		{"complete", Narrative{Problems: "无", Remedies: "无", NextSteps: "继续巡检"}, 0, "", "无"},
		{"too long", Narrative{Remedies: strings.Repeat("字", MaxNarrativeRunes+1)}, 0, "整改措施及完成情况: 20001 characters; at most 20000", ""},
		{"not utf-8", Narrative{NextSteps: "\xff"}, 0, "下一步工作计划及建议: not UTF-8", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Narrative = tc.n
			r := &run{cfg: cfg}
			d := &Document{}
			err := r.narrate(d)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, s := range d.Sections {
				titles = append(titles, s.Title)
			}
			if got := strings.Join(titles, "|"); got != "主要问题及原因分析|整改措施及完成情况|下一步工作计划及建议" {
				t.Errorf("sections %s", got)
			}
			if got := UnfilledSections(d); len(got) != tc.unfilled {
				t.Errorf("unfilled %v, want %d", got, tc.unfilled)
			}
			if d.Sections[0].Text[0] != tc.first {
				t.Errorf("first paragraph %q, want %q", d.Sections[0].Text[0], tc.first)
			}
		})
	}
	// English locale: its own wording, never the Chinese placeholder.
	cfg := DefaultConfig()
	cfg.Lang = docfmt.EN
	d := &Document{}
	if err := (&run{cfg: cfg}).narrate(d); err != nil {
		t.Fatal(err)
	}
	if d.Sections[0].Title != "Main problems and their causes" || d.Sections[0].Text[0] != "(not filled in)" {
		t.Errorf("en: %+v", d.Sections[0])
	}
	if got := UnfilledSections(d); len(got) != 3 {
		t.Errorf("en: unfilled %v, want 3", got)
	}
}

// TestNarrative_DropNarrativeForEvaluation: the monthly assessment (kind
// evaluation) reuses the providers report built by Build; DropNarrative
// takes the providers report's 总体运行情况 and its three editable sections
// out (else its freeze was refused as 「（未填写）」), keeping every other
// section in order.
func TestNarrative_DropNarrativeForEvaluation(t *testing.T) {
	r := &run{cfg: DefaultConfig()}
	d := &Document{Sections: []Section{{ID: "overview"}, {ID: "comparison"}, {ID: "eval-method"}, {ID: "entities"}}}
	if err := r.narrate(d); err != nil {
		t.Fatal(err)
	}
	if len(UnfilledSections(d)) != 3 {
		t.Fatalf("draft: unfilled %v", UnfilledSections(d))
	}
	DropNarrative(d)
	var ids []string
	for _, s := range d.Sections {
		ids = append(ids, s.ID)
	}
	if got := strings.Join(ids, ","); got != "comparison,eval-method,entities" {
		t.Errorf("sections %s", got)
	}
	if u := UnfilledSections(d); len(u) != 0 {
		t.Errorf("still unfilled: %v", u)
	}
}
