package main

// The provider evaluation by the indicator system (internal/eval,
// docs/evaluation.md):
//
//	jianguan-report --kind=evaluation --month=2026-10 --records.db=records.db --freeze=snapshots/evaluation/2026-10.json --format=pdf -o eval-2026-10.pdf
//	jianguan-report --kind=evaluation-annual --year=2026 --evaluation.snapshots=snapshots --format=pdf -o rating-2026.pdf
//
// The indicator system is --evaluation.config (default
// deploy/etc/jianguan/evaluation.yml, then /etc/jianguan/evaluation.yml);
// with a records store it is stored there as a version (a changed file needs
// a new version) and each month is scored by the version that applies to it.
// The providers report shows the same assessment instead of the former score
// table whenever an indicator system is found.

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/eval"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/snapshot"
)

type evalFlags struct {
	file  *string
	year  *int
	snaps *string
}

var defaultEvaluationConfigs = []string{"deploy/etc/jianguan/evaluation.yml", "/etc/jianguan/evaluation.yml"}

func addEvalFlags(fs *flag.FlagSet) evalFlags {
	return evalFlags{
		file:  fs.String("evaluation.config", "", "indicator system (evaluation.yml) for --kind evaluation and the providers report; default: "+strings.Join(defaultEvaluationConfigs, " or ")+" when present"),
		year:  fs.Int("year", 0, "year of --kind evaluation-annual (default: last year)"),
		snaps: fs.String("evaluation.snapshots", "snapshots", "snapshot directory the annual rating reads (DIR/evaluation/YYYY-MM.json, as frozen with --freeze)"),
	}
}

func isEvalKind(k string) bool { return k == eval.DocMonthly || k == eval.DocAnnual }

// evaluator loads the indicator system for the kinds that use it
// (providers, the supervision report hosts with its 月度综合评估 section,
// evaluation, --all); nil when none is configured or found (the providers
// report then keeps the former score table).
func (f evalFlags) evaluator(ctx context.Context, store records.Store, q report.Querier, kind string, all bool) (*eval.Evaluator, error) {
	if !all && kind != report.KindProviders && kind != report.KindHosts && kind != eval.DocMonthly {
		return nil, nil
	}
	path := firstExisting(*f.file, defaultEvaluationConfigs)
	if path == "" {
		if kind == eval.DocMonthly {
			return nil, fmt.Errorf("--kind %s: no indicator system: give --evaluation.config (see deploy/etc/jianguan/evaluation.yml)", kind)
		}
		return nil, nil
	}
	s, err := eval.Load(path)
	if err != nil {
		return nil, fmt.Errorf("--evaluation.config: %w", err)
	}
	ev := &eval.Evaluator{File: s, Querier: q}
	if store != nil {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if _, err := eval.SaveSystem(ctx, store, "jianguan-report", path, b); err != nil {
			return nil, fmt.Errorf("--evaluation.config: %w", err)
		}
		ev.Store = store
	}
	return ev, nil
}

// build returns the builder of an evaluation document.
func (f evalFlags) build(kind string, q report.Querier, cfg report.Config, ev *eval.Evaluator, p calendar.Period, now time.Time) (func(context.Context) (*report.Document, error), error) {
	if kind == eval.DocMonthly {
		if p.Kind != calendar.KindMonth || !p.IsComplete(now) {
			// Month only (docs/evaluation.md): the indicator system's version,
			// the manual scores (the licence review…) and the freeze that the
			// annual rating reads are all per month; longer periods are made
			// of frozen months, never scored as one.
			return nil, fmt.Errorf("--kind %s: the indicator system scores one complete calendar month (--period YYYY-MM, e.g. %s), not %s: its version and manual scores are per month. For a year use --kind %s --year YYYY (it collates the frozen months); for a quarter's review (季评) the providers or hosts report of the quarter (--kind providers --period YYYY-Qn) with its per-month table", kind, calendar.MonthOf(now.AddDate(0, -1, 0)), p, eval.DocAnnual)
		}
		month := report.PeriodMonth(p)
		return func(ctx context.Context) (*report.Document, error) { return eval.BuildMonthly(ctx, q, cfg, ev, month) }, nil
	}
	y := *f.year
	if y == 0 {
		y = now.In(report.Shanghai).Year() - 1
	}
	st := snapshot.Store{Dir: *f.snaps}
	return func(context.Context) (*report.Document, error) { return eval.BuildAnnual(st, cfg, y) }, nil
}

// firstExisting is given when set, else the first of defaults that exists,
// else "" (the configuration files' lookup: --reports.config, --calendar.file,
// --efficiency.config and --evaluation.config all follow it).
func firstExisting(given string, defaults []string) string {
	if given != "" {
		return given
	}
	for _, p := range defaults {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}
