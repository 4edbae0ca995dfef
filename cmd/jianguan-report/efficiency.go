package main

// The efficiency kind (deliverable 24 《使用单位云资源使用绩效评估分析结果》):
//
//	jianguan-report --kind efficiency --month 2026-10 --format pdf -o efficiency-2026-10.pdf
//	jianguan-report --kind efficiency --month 2026-10 --efficiency.config /etc/jianguan/efficiency.yml --filter unit=市公安局
//	jianguan-report --kind efficiency --period 2026-Q4 ...   # any complete period the reports accept (not a 截至 draft)
//
// The mapping comes from --efficiency.config (default
// deploy/etc/jianguan/efficiency.yml, then /etc/jianguan/efficiency.yml,
// whichever exists first; else the built-in node_exporter mapping);
// --efficiency.rate-window and --efficiency.max-series override the file.
// Not among --all's kinds (a deployment without node_exporter has no such
// data); --all --kind efficiency writes it in every format into --out-dir
// from one evaluation:
//
//	jianguan-report --all --kind efficiency --month 2026-10 --out-dir out/   # out/efficiency-2026-10.{html,pdf,csv,xlsx,json}

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/efficiency"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/snapshot"
)

var defaultEfficiencyConfigs = []string{"deploy/etc/jianguan/efficiency.yml", "/etc/jianguan/efficiency.yml"}

type efficiencyFlags struct {
	config     *string
	rateWindow *time.Duration
	maxSeries  *int
}

func addEfficiencyFlags(fs *flag.FlagSet) *efficiencyFlags {
	return &efficiencyFlags{
		config:     fs.String("efficiency.config", "", "--kind efficiency: the mapping (efficiency.yml); default: "+strings.Join(defaultEfficiencyConfigs, " or ")+" when present, else node_exporter's names"),
		rateWindow: fs.Duration("efficiency.rate-window", 0, "--kind efficiency: rate() window and subquery step, overriding the file's rate_window (≥ 2 scrape intervals; 30s … 6h)"),
		maxSeries:  fs.Int("efficiency.max-series", 0, "--kind efficiency: most series one query may return, overriding max_series_per_query (more is an error, never truncated)"),
	}
}

func (f *efficiencyFlags) load(filter map[string]string) (*efficiency.Config, error) {
	o := efficiency.Options{RateWindow: *f.rateWindow, MaxSeries: *f.maxSeries, Filter: filter}
	path := firstExisting(*f.config, defaultEfficiencyConfigs)
	if path == "" {
		c, err := efficiency.Default(o)
		if err != nil {
			return nil, fmt.Errorf("efficiency (built-in mapping, no efficiency.yml found): %w", err)
		}
		return c, nil
	}
	c, err := efficiency.Load(path, o)
	if err != nil {
		return nil, fmt.Errorf("--efficiency.config: %w", err)
	}
	return c, nil
}

// efficiencyRun is what runEfficiency needs of the command line.
type efficiencyRun struct {
	month, format, out, freeze, snapshot string
	now                                  time.Time
	lang                                 docfmt.Lang
	ident                                *docfmt.Identification
	filter                               map[string]string
	all                                  bool // every format into outDir
	outDir                               string
}

// runEfficiency writes one efficiency document (or freezes it, or renders
// a frozen one) in the format asked for.
func runEfficiency(ctx context.Context, q report.Querier, pdf *report.PDFRenderer, f *efficiencyFlags, a efficiencyRun) error {
	formats := []string{a.format}
	if a.all {
		formats = report.Formats
		if err := os.MkdirAll(a.outDir, 0o755); err != nil {
			return err
		}
	}
	for _, fm := range formats {
		if err := report.ValidFormat(fm); err != nil {
			return err
		}
	}
	var d *report.Document
	var err error
	if a.snapshot != "" {
		if d, err = snapshot.Load(a.snapshot); err != nil {
			return err
		}
	} else {
		c, err := f.load(a.filter)
		if err != nil {
			return err
		}
		// Any complete period the reports accept (deliverable 24 is the
		// month; a quarter, year, the service period or a range summarise
		// it); an unfinished one has no 截至 draft here: its utilisation
		// would change until the period ends.
		p, err := parsePeriod(a.month, a.ident, a.now)
		if err != nil {
			return err
		}
		if !p.IsComplete(a.now) {
			return report.Errorf(report.ErrBadRequest, "--kind %s: the period %s is not finished (it ends %s, Beijing time); efficiency is reported for a complete month, quarter, year, service period or range", efficiency.Kind, p, p.End.In(report.Shanghai).Format("2006-01-02 15:04"))
		}
		month := report.PeriodMonth(p)
		sel, err := report.Matchers(a.filter)
		if err != nil {
			return err
		}
		build := func(ctx context.Context) (*report.Document, error) {
			r, err := efficiency.Evaluate(ctx, q, c, month)
			if err != nil {
				return nil, err
			}
			return efficiency.Document(r, c, month, efficiency.DocOptions{Lang: a.lang, Ident: a.ident, Now: a.now, Filter: sel, Period: p})
		}
		if d, err = freezeOrBuild(ctx, a.freeze, build, a.now); err != nil {
			return err
		}
	}
	for _, format := range formats {
		b, err := render(ctx, d, format, pdf)
		if err != nil {
			return err
		}
		switch {
		case a.all:
			p := filepath.Join(a.outDir, fmt.Sprintf("%s-%s.%s", efficiency.Kind, strings.ReplaceAll(d.Month, "..", "--"), format)) // as snapshot.Name
			if err := os.WriteFile(p, b, 0o644); err != nil {
				return err
			}
			fmt.Fprintln(os.Stderr, "wrote", p)
		case a.out == "-":
			if _, err := os.Stdout.Write(b); err != nil {
				return err
			}
		default:
			if err := os.WriteFile(a.out, b, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
