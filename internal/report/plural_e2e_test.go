package report_test

import (
	"bytes"
	"context"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
)

var (
	htmlTagRE = regexp.MustCompile(`(?s)<style.*?</style>|<[^>]*>`)
	hanRunRE  = regexp.MustCompile(`.{0,20}[\p{Han}（）；、：，。「」]+.{0,20}`)
	deltaRE   = regexp.MustCompile(`Δ[a-z]+`)
)

// TestEnglishPlurals_EveryKind (issue 16): every report kind — lines, the
// supervision report (hosts), providers, infrastructure — of the e2e
// scenario on a real Prometheus, for October and for the Q4 quarter (its
// per-month table and trend), with the cover of reports.yml, built in
// English and in zh-CN and rendered as HTML. One language per document:
//   - English: no count of one with a plural noun ("1 alarms", "1 entities
//     have"; TestEnglishPlurals_Counts012 sets the counts to 0, 1 and 2
//     sentence by sentence), no "(s)", and no Chinese outside the configured
//     names (cover, entity names and label values) — caveats, counter notes
//     and audit purposes included;
//   - zh-CN: no English word in the body outside docfmt.AllowedASCII and the
//     data (entity names, label values, the cover's numbers), and none in
//     the appendix's caveats and counter notes beyond metric names;
//   - every audit purpose each kind writes worded in both languages
//     (TestAuditPurpose: the glossary itself).
func TestEnglishPlurals_EveryKind(t *testing.T) {
	url, _ := startE2EPrometheus(t)
	q := promapi.New(url)
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	id, err := docfmt.LoadIdentification("../../deploy/etc/jianguan/reports.yml")
	if err != nil {
		t.Fatal(err)
	}
	q4, _ := calendar.Quarter(2026, 4)
	for _, p := range []calendar.Period{calendar.Month(2026, time.October), q4} {
		for _, kind := range report.Kinds {
			for _, lang := range []docfmt.Lang{docfmt.EN, docfmt.ZH} {
				t.Run(p.String()+"/"+kind+"/"+string(lang), func(t *testing.T) {
					cfg := report.DefaultConfig()
					cfg.Now = func() time.Time { return now }
					cfg.Lang = lang
					cfg.Ident = id
					d, err := report.Build(ctx, q, cfg, kind, p)
					if err != nil {
						t.Fatal(err)
					}
					var b bytes.Buffer
					if err := report.Render(&b, d, "html"); err != nil {
						t.Fatal(err)
					}
					html := b.String()
					text := htmlTagRE.ReplaceAllString(html, " ")
					if len(text) < 1000 {
						t.Fatalf("almost empty document: %q", text)
					}
					names := documentNames(d)
					if lang == docfmt.EN {
						if errs := docfmt.PluralErrors(text); len(errs) > 0 {
							t.Errorf("English plurals: %q", errs)
						}
						if i := strings.Index(text, "(s)"); i >= 0 {
							t.Errorf("English \"(s)\": %q", text[max(0, i-80):i+3])
						}
						if han := hanRunRE.FindAllString(without(text, names), -1); len(han) > 0 {
							t.Errorf("Chinese outside the configured names in the English document: %q", han)
						}
					} else {
						audit := strings.Index(html, `<section id="audit"`)
						if audit < 0 {
							t.Fatal("no audit appendix")
						}
						body := htmlTagRE.ReplaceAllString(html[:audit], " ")
						if w := docfmt.ASCIIWords(body, names...); len(w) > 0 {
							t.Errorf("zh-CN body has ASCII words outside the allow-list: %q", w)
						}
						// The method: formulas name counters (Δobserved), the
						// three-state signal its series (up, unknown), the
						// backend line its version.
						idents := append([]string{"up", "unknown", "increase", "Asia/Shanghai", "docs/metrics.md", "2.x", "3.x", "s/s"}, names...)
						if b := d.Audit.Backend; b != nil {
							idents = append(idents, b.Version, b.GoVersion)
						}
						for _, m := range d.Audit.Method {
							if w := report.NoteProblems(docfmt.ZH, deltaRE.ReplaceAllString(m, " "), idents...); len(w) > 0 {
								t.Errorf("zh-CN method %q: English words %q", m, w)
							}
						}
						for _, c := range d.Audit.Caveats {
							if w := report.NoteProblems(docfmt.ZH, c, names...); len(w) > 0 {
								t.Errorf("zh-CN caveat %q: English words %q", c, w)
							}
						}
						ct := report.CounterTable(d)
						for i, e := range d.Entities { // the entity column: 「ups-a UPS 电池供电」, not the code
							if c := e.Labels["condition"]; c != "" && strings.Contains(ct.Rows[i][0], c) {
								t.Errorf("zh-CN counter table names %q with the raw code %q", ct.Rows[i][0], c)
							}
						}
						for _, r := range ct.Rows {
							if n := r[len(r)-1]; len(report.NoteProblems(docfmt.ZH, n)) > 0 {
								t.Errorf("zh-CN counter note %q: English words %q", n, report.NoteProblems(docfmt.ZH, n))
							}
						}
					}
					bad := map[string]bool{}
					for _, a := range d.Audit.Queries {
						for _, lang := range []docfmt.Lang{docfmt.ZH, docfmt.EN} {
							if p := report.PurposeProblems(lang, a.Purpose); len(p) > 0 && !bad[a.Purpose] {
								bad[a.Purpose] = true
								t.Errorf("audit purpose %q in %s: %q", a.Purpose, lang, p)
							}
						}
					}
				})
			}
		}
	}
}

// documentNames are the data of d a document prints in any language: the
// cover's configured block, entity names and label values (a URL also in
// its parts, as the renderers break it after / and .), chart labels and the
// cells of name columns (sites, rooms, devices, providers…).
func documentNames(d *report.Document) []string {
	var names []string
	if c := d.Cover; c != nil {
		names = append(names, c.Project, c.ContractNo, c.Client, c.Submitter, c.Recipient, c.ReportNumber, c.Confidentiality,
			c.SignOff.Preparer, c.SignOff.Reviewer, c.SignOff.Approver)
	}
	add := func(v string) {
		names = append(names, v)
		if strings.Contains(v, "://") {
			for _, host := range strings.FieldsFunc(v, func(r rune) bool { return r == '/' || r == ':' }) {
				names = append(names, host)
				parts := strings.Split(host, ".")
				for i := range parts {
					for j := i + 1; j <= len(parts); j++ {
						names = append(names, strings.Join(parts[i:j], "."))
					}
				}
			}
		}
	}
	for _, e := range d.Entities {
		add(e.Name)
		for _, v := range e.Labels {
			add(v)
		}
	}
	for _, s := range d.Sections {
		for _, c := range s.Charts {
			names = append(names, c.Labels...)
		}
		for _, tb := range s.Tables {
			for ci, c := range tb.Columns {
				if nameColumns[c.Title] {
					for _, r := range tb.Rows {
						names = append(names, strings.Fields(r[ci])...)
					}
				}
			}
		}
	}
	return names
}

// without is text with every name blanked out, longest first.
func without(text string, names []string) string {
	ns := append([]string(nil), names...)
	sort.Slice(ns, func(i, j int) bool { return len(ns[i]) > len(ns[j]) })
	for _, n := range ns {
		if n != "" {
			text = strings.ReplaceAll(text, n, " ")
		}
	}
	return text
}
