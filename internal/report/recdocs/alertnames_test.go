package recdocs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/recdocs"
	"github.com/jianguan/jianguan/rules"
)

// fixtureData are the ASCII names the fixture's records carry (sites,
// devices, lines, rooms, hosts, people, tickets, the recorder's reason of
// the missed inspection): data, allowed in a zh-CN body as entity names are.
var fixtureData = []string{"bj-1", "ups-1", "ct-1", "A1", "vm-7", "INC-2026-0042", "UPS-1", "UPS-2", "zhang", "li", "wang", "duty-manager",
	"connection", "refused"}

// bodyText is what a reader reads in a document's body: summary, section
// titles, texts and tables (the audit appendix is the engine's method).
func bodyText(d *report.Document) string {
	var b strings.Builder
	w := func(s ...string) {
		for _, x := range s {
			b.WriteString(x)
			b.WriteString("\n")
		}
	}
	w(d.Title, d.PeriodText)
	for _, kv := range d.Summary {
		w(kv.Label, kv.Value)
	}
	for _, s := range d.Sections {
		w(s.Title)
		w(s.Text...)
		for _, t := range s.Tables {
			w(t.Title, t.Empty)
			for _, c := range t.Columns {
				w(c.Title)
			}
			for _, r := range t.Rows {
				w(r...)
			}
		}
	}
	return b.String()
}

// alertTypeCells are the type cells of a document's alert tables.
func alertTypeCells(d *report.Document) []string {
	var out []string
	for _, s := range d.Sections {
		for _, t := range s.Tables {
			switch t.ID {
			case "alert-types", "alert-list", "tickets", "linked-alerts":
			default:
				continue
			}
			i := -1
			for j, c := range t.Columns {
				if c.TitleEN == "Type" {
					i = j
				}
			}
			if i < 0 {
				continue
			}
			for _, r := range t.Rows {
				out = append(out, r[i])
			}
		}
	}
	return out
}

// TestAlertTypes_OfficialNames (issue 16): the records documents print an
// alert's type in zh-CN as its rule's official Chinese name (the rule
// files' summary, rules.Names) — never the rule name — and in English as
// the rule name; an alert no rule defines (DiskFull, an external one) is
// printed as received and marked external in both. The zh-CN body holds
// no ASCII word beyond docfmt.AllowedASCII, the fixture's data names and
// the marked external alert names: the rule names the old output printed
// (LineDown, EnvUPSOnBattery, …) fail it.
func TestAlertTypes_OfficialNames(t *testing.T) {
	g, err := rules.Names()
	if err != nil {
		t.Fatal(err)
	}
	st := openSQLite(t)
	fx := fill(t, st, busyDay)
	ctx := context.Background()
	week, _ := recdocs.ParseWeek("2026-W45", testNow)
	cal, err := calendar.Load("../../../deploy/etc/jianguan/calendar.yml")
	if err != nil {
		t.Fatal(err)
	}
	// The alerts each document lists, by name (fixture_test.go: fill).
	day := []string{"EnvUPSOnBattery", "LineDown", "EnvTemperatureOutOfBand"}
	all := append(append([]string{}, day...), "DiskFull")
	guardSt := openSQLite(t)
	fill(t, guardSt, calendar.Date(2026, 10, 2)) // inside 2026年国庆节
	nov := calendar.Month(2026, time.November)
	for _, c := range []struct {
		name   string
		build  func(o recdocs.Options) (*report.Document, error)
		alerts []string
	}{
		{"duty log", func(o recdocs.Options) (*report.Document, error) {
			return recdocs.BuildDutyDaily(ctx, st, calendar.Day(busyDay), o)
		}, day},
		{"weekly", func(o recdocs.Options) (*report.Document, error) { return recdocs.BuildDutyWeekly(ctx, st, week, o) }, all},
		{"incident report", func(o recdocs.Options) (*report.Document, error) {
			return recdocs.BuildIncidentReport(ctx, st, fx.IncidentID, o)
		}, []string{"LineDown"}},
		{"guard report", func(o recdocs.Options) (*report.Document, error) {
			o.Calendar = cal
			return recdocs.BuildGuardReport(ctx, guardSt, "2026年国庆节", o)
		}, all},
		{"monthly section", func(o recdocs.Options) (*report.Document, error) {
			d := &report.Document{Kind: report.KindHosts, Title: "月报", Lang: string(o.Lang),
				PeriodStart: nov.Start.Format(time.RFC3339), PeriodEnd: nov.End.Format(time.RFC3339)}
			return d, report.AddRecordSections(ctx, d, recdocs.Monthly{Src: st, Opts: o})
		}, all},
	} {
		for _, lang := range []docfmt.Lang{docfmt.ZH, docfmt.EN} {
			t.Run(c.name+"/"+string(lang), func(t *testing.T) {
				d, err := c.build(opts(lang))
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]bool{}
				var external []string
				for _, a := range c.alerts {
					title, ok := g.Title(a, nil)
					switch {
					case !ok:
						external = append(external, a)
						want[a+map[docfmt.Lang]string{docfmt.ZH: "（外部告警）", docfmt.EN: " (external)"}[lang]] = true
					case lang == docfmt.ZH:
						want[title] = true
					default:
						want[a] = true
					}
				}
				got := map[string]bool{}
				for _, cell := range alertTypeCells(d) {
					got[cell] = true
					if !want[cell] {
						t.Errorf("alert type %q, want one of %v", cell, want)
					}
				}
				for w := range want {
					if !got[w] {
						t.Errorf("no alert type %q (cells %v)", w, alertTypeCells(d))
					}
				}
				if lang != docfmt.ZH {
					return
				}
				body := bodyText(d)
				for _, a := range external {
					body = strings.ReplaceAll(body, a+"（外部告警）", "")
				}
				if w := docfmt.ASCIIWords(body, fixtureData...); len(w) > 0 {
					t.Errorf("zh-CN body has ASCII words %q", w)
				}
			})
		}
	}
}
