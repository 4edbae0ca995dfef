// Command jianguan-report renders the reports from Prometheus with the same
// engine as the Grafana plugin (for cron and e-mail), for any period:
//
//	jianguan-report --prometheus.url=http://127.0.0.1:9090 --period=2026-10 --kind=lines --format=pdf -o lines.pdf
//	jianguan-report ... --period=2026-Q4        # a quarter (2026Q4 too), with its per-month table
//	jianguan-report ... --period=2026           # a year; --period=service: the 服务期 (reports.yml service_start)
//	jianguan-report ... --period=2026-11-03..2026-11-17   # whole days, last day inclusive
//
// --period takes what calendar.ParsePeriod accepts (--month is its alias);
// the default is the last complete month. The current, unfinished period is
// reported as a draft marked 截至 … (the last full hour) and cannot be
// frozen; a period that has not begun is an error. Every report carries 环比
// (the previous period, from the same engine, or with --snapshots from its
// frozen snapshot when it is signed off).
//
//	jianguan-report ... --freeze=snapshots/lines-2026-10.json     # write a frozen snapshot
//	jianguan-report --snapshot=snapshots/lines-2026-10.json --format=html -o lines.html
//	jianguan-report --kind=lines --month=2026-11 --snapshots=snapshots  # 环比 and the trend read snapshots/lines/2026-10.json …
//	jianguan-report --all --period=2026-10 --out-dir=out/         # four kinds × html, pdf, csv, xlsx, json
//
// The benchmark (make bench-report) is tools/bench/report.
//
// Documents from the operations records (jianguan-recorder's store, read
// with --records.db FILE for SQLite or --records.dsn-file FILE for
// PostgreSQL; no Prometheus needed):
//
//	jianguan-report --kind=duty-daily --day=2026-11-03 --records.db=/var/lib/jianguan/records.db --format=pdf -o duty-2026-11-03.pdf
//	jianguan-report --kind=duty-weekly --week=2026-W45 --records.db=... -o week.html
//	jianguan-report --kind=incident --id=17 --records.db=... -o incident-17.pdf --format=pdf
//	jianguan-report --kind=guard --period=2026年国庆节 --calendar.file=/etc/jianguan/calendar.yml --records.db=... -o guard.pdf --format=pdf
//
// With a records store the monthly reports' 巡检 and 整改 sections (lines,
// infrastructure) and 告警统计 (hosts) read it; without one they say
// 未配置记录库. An unknown day, incident id or guard period is an error.
//
// Documents: zh-CN by default, one language per document (--lang en for an
// English one); the cover and sign-off block come from the reports
// configuration (--reports.config; default deploy/etc/jianguan/reports.yml,
// then /etc/jianguan/reports.yml, whichever exists first). A configuration
// with a missing required field is an error naming file and line.
//
// Credentials: --prometheus.user with the password in $JIANGUAN_PROMETHEUS_PASSWORD,
// or a bearer token in $JIANGUAN_PROMETHEUS_TOKEN (never on the command line).
//
// Bounds: --prometheus.max-answer-mib (64) per answer, --prometheus.max-concurrent
// (4) queries in flight, --prometheus.timeout (60s, > 0) per query; --sla must be
// strictly between 0 and 1. --freeze goes through the plugin's snapshot store
// (internal/report/snapshot): once, atomically; an existing snapshot is never
// overwritten and the refusal gives its SHA-256. A month without any series of
// the report fails with 本期无监测数据 and exit status 1.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/efficiency"
	"github.com/jianguan/jianguan/internal/eval"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/report/recdocs"
	"github.com/jianguan/jianguan/internal/report/snapshot"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "jianguan-report:", err)
		os.Exit(1)
	}
}

type filterFlag map[string]string

func (f filterFlag) String() string { return "" }
func (f filterFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want label=value")
	}
	f[k] = v
	return nil
}

func run(args []string) error {
	fs := flag.NewFlagSet("jianguan-report", flag.ContinueOnError)
	var (
		url      = fs.String("prometheus.url", "http://127.0.0.1:9090", "Prometheus base URL")
		user     = fs.String("prometheus.user", "", "basic-auth user (password from $JIANGUAN_PROMETHEUS_PASSWORD)")
		timeout  = fs.Duration("prometheus.timeout", 60*time.Second, "query timeout (> 0)")
		maxMiB   = fs.Int64("prometheus.max-answer-mib", promapi.DefaultMaxAnswerBytes>>20, "largest Prometheus answer read, MiB (1 … 1024); a larger one fails with 查询结果过大")
		maxConc  = fs.Int("prometheus.max-concurrent", promapi.DefaultMaxConcurrent, "Prometheus queries in flight at once (1 … 32)")
		jsonDec  = fs.String("prometheus.json-decoder", promapi.JSONFast, "decoder of Prometheus answers: fast (the own vector/matrix decoder) or std (encoding/json alone: the same series, ~3× the CPU; docs/fastpaths.md)")
		monthS   = fs.String("month", "", "alias of --period (kept for systemd units and scripts)")
		kind     = fs.String("kind", "lines", "infrastructure | lines | hosts | providers (monthly, from Prometheus); evaluation | evaluation-annual (indicator system, docs/evaluation.md); duty-daily | duty-weekly | incident | guard (from the records store)")
		format   = fs.String("format", "html", "html | pdf | csv | xlsx | json")
		out      = fs.String("o", "-", "output file (- = stdout)")
		freeze   = fs.String("freeze", "", "also write a frozen snapshot (JSON + SHA-256) to this file")
		snapsDir = fs.String("snapshots", "", "the snapshot store (DIR/{kind}/{period}.json, the plugin's layout): 环比 and the 12-month trend read the figures of a period frozen there, as handed in, instead of recomputing them; empty: recomputed")
		snapFile = fs.String("snapshot", "", "render a frozen snapshot instead of querying Prometheus")
		sla      = fs.Float64("sla", 0.9999, "SLA target")
		policy   = fs.String("maintenance", report.MaintenanceExcluded, "maintenance policy: excluded | counted-as-uptime")
		org      = fs.String("org", "", "organisation name printed in the header")
		chromium = fs.String("chromium", "", "chromium binary for PDF (default: auto)")
		all      = fs.Bool("all", false, "render all four kinds in all formats into --out-dir")
		outDir   = fs.String("out-dir", "out", "output directory for --all")
		langS    = fs.String("lang", "zh-CN", "document language: zh-CN | en (one language per document)")
		narrF    = fs.String("narrative", "", "the editable sections (主要问题及原因分析、整改措施及完成情况、下一步工作计划及建议) as JSON {problems, remedies, nextSteps}; default with --freeze: X.narrative.json beside the snapshot X.json. A freeze with one unfilled is refused")
		repCfg   = fs.String("reports.config", "", "reports configuration (cover and sign-off: reports.yml); default: "+strings.Join(defaultReportsConfigs, " or ")+" when present")
	)
	filter := filterFlag{}
	fs.Var(filter, "filter", "label filter label=value (repeatable; values are escaped)")
	effF := addEfficiencyFlags(fs) // --kind efficiency (efficiency.go)
	rf := addRecordsFlags(fs)
	evf := addEvalFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only; see --help)", fs.Arg(0))
	}
	if math.IsNaN(*sla) || *sla <= 0 || *sla >= 1 {
		return fmt.Errorf("--sla=%v: the SLA target must be a fraction strictly between 0 and 1, e.g. 0.9999 for 99.99 %%", *sla)
	}
	if *timeout <= 0 {
		return fmt.Errorf("--prometheus.timeout=%v: must be > 0 (e.g. 60s); 0 would disable every timeout", *timeout)
	}
	if *maxMiB < 1 || *maxMiB > promapi.MaxMaxAnswerBytes>>20 {
		return fmt.Errorf("--prometheus.max-answer-mib=%d: want 1 … %d", *maxMiB, promapi.MaxMaxAnswerBytes>>20)
	}
	if *maxConc < 1 || *maxConc > promapi.MaxMaxConcurrent {
		return fmt.Errorf("--prometheus.max-concurrent=%d: want 1 … %d", *maxConc, promapi.MaxMaxConcurrent)
	}
	dec, err := promapi.ParseJSONDecoder(*jsonDec)
	if err != nil {
		return fmt.Errorf("--prometheus.json-decoder=%q: want %s or %s", *jsonDec, promapi.JSONFast, promapi.JSONStd)
	}
	lang, err := docfmt.ParseLang(*langS)
	if err != nil {
		return fmt.Errorf("--lang: %v", err)
	}
	ident, err := loadReportsConfig(*repCfg)
	if err != nil {
		return err
	}
	now := time.Now()
	periodS, err := periodFlag(*kind, *rf.period, *monthS, now)
	if err != nil {
		return err
	}
	cfg := report.DefaultConfig()
	cfg.SLATarget, cfg.MaintenancePolicy, cfg.Organisation, cfg.Filter = *sla, *policy, *org, filter
	cfg.Lang, cfg.Ident = lang, ident
	if *snapsDir != "" {
		if st, err := os.Stat(*snapsDir); err != nil || !st.IsDir() {
			return fmt.Errorf("--snapshots=%s: not a directory", *snapsDir)
		}
		cfg.Frozen = snapshot.Store{Dir: *snapsDir}
	}
	if nf := *narrF; nf != "" || *freeze != "" {
		if nf == "" {
			nf = snapshot.NarrativeFileFor(*freeze)
		} else if _, err := os.Stat(nf); err != nil {
			return fmt.Errorf("--narrative: %w", err)
		}
		if cfg.Narrative, err = snapshot.LoadNarrativeFile(nf); err != nil {
			return err
		}
	}
	q := promapi.New(*url)
	q.Username, q.Password, q.BearerToken, q.Timeout = *user, os.Getenv("JIANGUAN_PROMETHEUS_PASSWORD"), os.Getenv("JIANGUAN_PROMETHEUS_TOKEN"), *timeout
	q.MaxAnswerBytes, q.MaxConcurrent, q.JSON = *maxMiB<<20, *maxConc, dec
	if err := q.CheckLimits(); err != nil {
		return err
	}
	ctx := context.Background()
	store, err := rf.openRecords(ctx)
	if err != nil {
		return err
	}
	// The monthly reports' 巡检, 整改 and 告警统计 sections read the store
	// (without one they say 未配置记录库).
	var recSections report.RecordSections
	if store != nil {
		defer store.Close()
		recSections = recdocs.Monthly{Src: store}
	}
	// The indicator system: the providers report's evaluation sections and
	// the evaluation kinds (evaluation.go).
	ev, err := evf.evaluator(ctx, store, q, *kind, *all)
	if err != nil {
		return err
	}
	if ev != nil {
		cfg.Evaluator = ev
	}
	buildMonthly := func(ctx context.Context, kind string, p calendar.Period) (*report.Document, error) {
		d, err := report.Build(ctx, q, cfg, kind, p)
		if err != nil {
			return nil, err
		}
		return d, report.AddRecordSections(ctx, d, recSections)
	}
	recordsKind := isRecordsKind(*kind) && !*all
	var cal *calendar.Calendar
	if recordsKind {
		if cal, err = rf.loadCalendar(); err != nil {
			return err
		}
	}
	// One browser for every PDF of this run, started on the first PDF and
	// killed (with its temporary profile) when run returns.
	pdf := report.NewPDFRenderer(*chromium, 2)
	defer pdf.Close()
	if *kind == efficiency.Kind { // with --all: every format into --out-dir
		return runEfficiency(ctx, q, pdf, effF, efficiencyRun{month: periodS, format: *format, out: *out, freeze: *freeze, snapshot: *snapFile,
			now: now, lang: lang, ident: ident, filter: filter, all: *all, outDir: *outDir})
	}
	if *all {
		month, err := parsePeriod(periodS, ident, now)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return err
		}
		for _, k := range report.Kinds {
			d, err := buildMonthly(ctx, k, month)
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			for _, f := range report.Formats {
				b, err := render(ctx, d, f, pdf)
				if err != nil {
					return fmt.Errorf("%s.%s: %w", k, f, err)
				}
				p := filepath.Join(*outDir, fmt.Sprintf("%s-%s.%s", k, snapshot.Name(month), f))
				if err := os.WriteFile(p, b, 0o644); err != nil {
					return err
				}
				fmt.Fprintln(os.Stderr, "wrote", p)
			}
		}
		return nil
	}
	if err := report.ValidKind(*kind); err != nil && !recordsKind && !isEvalKind(*kind) {
		return fmt.Errorf("%w; or one of %s (from the records store)", err, strings.Join(recdocs.Kinds, ", "))
	}
	if err := report.ValidFormat(*format); err != nil {
		return err
	}
	var d *report.Document
	if *snapFile != "" {
		var err error
		if d, err = snapshot.Load(*snapFile); err != nil {
			return err
		}
	} else {
		var month calendar.Period
		if !recordsKind && *kind != eval.DocAnnual {
			if month, err = parsePeriod(periodS, ident, now); err != nil {
				return err
			}
			if *freeze != "" && !month.IsComplete(now) { // refused before anything is queried
				return report.NewDraftError(month, now)
			}
		}
		build := func(ctx context.Context) (*report.Document, error) { return buildMonthly(ctx, *kind, month) }
		if recordsKind {
			var src recdocs.Source
			if store != nil {
				src = store
			}
			o := recordsOptions(lang, ident, cal)
			build = func(ctx context.Context) (*report.Document, error) {
				return rf.buildRecordsDoc(ctx, *kind, src, o, now)
			}
		}
		if isEvalKind(*kind) {
			if build, err = evf.build(*kind, q, cfg, ev, month, now); err != nil {
				return err
			}
		}
		if d, err = freezeOrBuild(ctx, *freeze, build, now); err != nil {
			return err
		}
	}
	b, err := render(ctx, d, *format, pdf)
	if err != nil {
		return err
	}
	if *out == "-" {
		_, err = os.Stdout.Write(b)
		return err
	}
	return os.WriteFile(*out, b, 0o644)
}

// periodFlag is the period string of a report kind: --period (--month is
// its alias; --kind guard takes --period as a guard period's name), by
// default the last complete month.
func periodFlag(kind, period, month string, now time.Time) (string, error) {
	if kind == recdocs.KindGuard {
		return period, nil
	}
	switch {
	case period != "" && month != "" && period != month:
		return "", fmt.Errorf("--period=%s and --month=%s: give one (--month is an alias of --period)", period, month)
	case period == "":
		period = month
	}
	if period == "" {
		p, _ := calendar.LastComplete(calendar.KindMonth, now)
		period = p.String()
	}
	return period, nil
}

// parsePeriod parses --period (calendar.ParsePeriod); "service" is the
// service period of the reports configuration (service_start).
func parsePeriod(s string, ident *docfmt.Identification, now time.Time) (calendar.Period, error) {
	var svc *calendar.Service
	if ident != nil {
		if v, err := ident.Service(); err == nil {
			svc = &v
		}
	}
	p, err := report.ParsePeriod(s, svc, now)
	if err != nil {
		return p, fmt.Errorf("--period: %w", err)
	}
	return p, nil
}

// defaultReportsConfigs are tried in order when --reports.config is not given.
var defaultReportsConfigs = []string{"deploy/etc/jianguan/reports.yml", "/etc/jianguan/reports.yml"}

// loadReportsConfig loads the identification block: the given file (which
// must exist and be valid), else the first default that exists, else none
// (the cover then carries the title and the period only).
func loadReportsConfig(path string) (*docfmt.Identification, error) {
	if path = firstExisting(path, defaultReportsConfigs); path == "" {
		return nil, nil
	}
	id, err := docfmt.LoadIdentification(path)
	if err != nil {
		return nil, fmt.Errorf("--reports.config: %w", err)
	}
	return id, nil
}

// freezeOrBuild builds the document, or with a freeze path freezes it
// through the plugin's snapshot store (once, atomically; a frozen period is
// refused with its SHA-256) and returns the frozen document.
func freezeOrBuild(ctx context.Context, freeze string, build func(context.Context) (*report.Document, error), now time.Time) (*report.Document, error) {
	if freeze == "" {
		return build(ctx)
	}
	res, err := snapshot.FreezeFile(ctx, freeze, build, now)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "froze %s (SHA-256 %s)\n", res.Path, res.SHA256)
	return snapshot.Load(res.Path)
}

func render(ctx context.Context, d *report.Document, format string, pdf *report.PDFRenderer) ([]byte, error) {
	if format == "pdf" {
		return pdf.RenderPDF(ctx, d)
	}
	var b bytes.Buffer
	err := report.Render(&b, d, format)
	return b.Bytes(), err
}
