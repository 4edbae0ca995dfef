// Command report is the monthly-report benchmark (make bench-report), moved
// out of the production jianguan-report binary (issue 23) so that binary
// does not link the benchmark's history generator:
//
//	go run ./tools/bench/report --entities=1000 --step=15s --cache=DIR
//
// The history is at the production scrape interval (15 s; issue 24 item 4):
// ~7 × 10⁹ samples for 1 000 entities over the month and the one before it
// (64 days), written straight into
// TSDB blocks by internal/simhistory/tsdbwrite in a child process (its time,
// samples and peak RSS printed apart) and kept under --cache, keyed by the
// history's parameters, so a re-run skips it.
//
// --year times the year instead (issue 24 item 4): a history of the last
// complete calendar year (plus two days on each side) at --step, the
// service-period summary of that year for each kind (report.Build over a
// service period equal to the year, the period `service` of a contract
// signed on 1 January) and the annual rating (internal/eval.BuildAnnual)
// from its twelve monthly assessments, frozen first with
// internal/report/snapshot (untimed, kept in the cache):
//
//	go run ./tools/bench/report --year --entities=100 --cache=DIR
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/eval"
	"github.com/jianguan/jianguan/internal/metricnames"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/report/snapshot"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/simhistory/tsdbwrite"
	"github.com/jianguan/jianguan/tools/bench/internal/benchenv"
)

func main() {
	if err := bench(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench-report:", err)
		os.Exit(1)
	}
}

// genStats is what the generator child wrote (stats.json in the cache).
type genStats struct {
	tsdbwrite.Stats
	Seconds   float64 // wall-clock time of the generator child
	MaxRSSMiB float64 // its peak RSS
	Compacted int     // blocks after Prometheus compacted them (0: not yet)
	Block     string  // span of the generated blocks
}

// bench: `go run ./tools/bench/report` (make bench-report). Generates N
// entities with D days of history at --step (a child process writes the
// TSDB blocks, cached under --cache), starts Prometheus 2.42 over them on
// 127.0.0.1 and times the reports of the last complete month covered, kind
// after kind, --repeat times each (default 5): build + HTML render (HTML),
// printing that HTML with one persistent Chromium (PDF; the browser's start
// is timed once, separately, as the CLI and the plugin pay it once per
// process). Each kind's line gives the month's raw samples, the median, every
// run and the peak RSS of this process (the report engine; VmHWM, reset
// before each kind) against the targets of issues 6 and 24: HTML ≤ 2 s,
// PDF ≤ 5 s, peak RSS ≤ 200 MiB. Prints the load average at start and end
// (the machine may be shared).
func bench(args []string) error {
	fs := flag.NewFlagSet("bench-report", flag.ContinueOnError)
	var (
		entities   = fs.Int("entities", 1000, "entities (40 % lines, 45 % hosts, 15 % websites)")
		days       = fs.Int("days", 0, "days of history before the end (the month's end + 2 days); 0: from a day before the previous month, whose figures the report sets beside the month's (环比), as a server that ran through it has them (64 days for November; 35 days leave October's recording-rule markers incomplete, and the previous period takes the raw-sample paths)")
		step       = fs.Duration("step", 15*time.Second, "sample interval of the generated history (Prometheus' production scrape interval)")
		block      = fs.Duration("block", 486*time.Hour, "span of one generated TSDB block, aligned to multiples of it since 1970 (default 486 h: the largest block Prometheus' compactor makes with a retention of 10 y, so it has nothing to compact; the direct writer's memory does not grow with it)")
		headW      = fs.Bool("head-writer", false, "generate with the old writer, tsdb.NewBlockWriter's head appender (memory: one block's samples per --parallel, ~1.7 GiB for 1 000 entities at 18 h × 15 s; use --block=18h)")
		yearF      = fs.Bool("year", false, "time the year instead of the month: the service-period summary of the last complete calendar year per kind and the annual rating from its 12 frozen monthly assessments (target ≤ 10 s each)")
		rawRepeat  = fs.Int("raw-repeat", 1, "builds per kind on the raw-sample path (report.Config RawCounters, RawDetectors and RawTraffic: every entity's counters from its raw samples instead of the instant queries at the period's edges, the incident detectors and the lines' P95 traffic from raw samples instead of the recorded series), timed beside the default path with the ratio; 0: skip")
		evalConfig = fs.String("evaluation.config", "deploy/etc/jianguan/evaluation.yml", "indicator system of the monthly assessments --year freezes (its applies_from is set to the bench year's January)")
		parallel   = fs.Int("parallel", 2, "blocks generated at once")
		cache      = fs.String("cache", envOr("BENCH_CACHE", filepath.Join(os.TempDir(), "jianguan-bench-report")), "directory keeping the generated TSDB between runs, one subdirectory per history (625 MB for 100 entities × 35 days at 15 s, ten times that for 1 000; $BENCH_CACHE, e.g. make bench-report BENCH_CACHE=DIR); empty: a temporary one, removed")
		prometheus = fs.String("prometheus", "/usr/bin/prometheus", "prometheus binary")
		promtool   = fs.String("promtool", "/usr/bin/promtool", "promtool binary (back-fills the recording rules the engine reads)")
		groupsF    = fs.String("recorded-groups", "jianguan.line,jianguan.report", "rules groups whose recorded series are back-filled (comma-separated; of jianguan.line only "+metricnames.LineInterfaceBitsRate5m+" and "+metricnames.LineRulesEvaluated+")")
		rulesF     = fs.String("rules", "rules/recording.yml", "recording rules back-filled into the cached history once each (jianguan.line's "+metricnames.LineInterfaceBitsRate5m+" and "+metricnames.LineRulesEvaluated+", all of jianguan.report, where present), as a server that ran them all along has them")
		chromium   = fs.String("chromium", "", "chromium binary (default: auto)")
		settleF    = fs.Duration("settle", 3*time.Second, "pause between two renders")
		repeat     = fs.Int("repeat", 5, "renders per kind (the median is the figure)")
		kindsF     = fs.String("kinds", strings.Join(report.Kinds, ","), "report kinds to time, comma-separated (empty: none; with --year, only the annual rating)")
		verbose    = fs.Bool("v", false, "print every render's start time and seconds as it finishes")
		memprof    = fs.String("memprofile", "", "write, per timed document, the heap profile taken after the garbage collection with the largest live heap over its runs to this file with the document's label appended (e.g. /tmp/heap.pprof → /tmp/heap-month-providers.pprof; go tool pprof -sample_index=inuse_space FILE)")
		cpuprof    = fs.String("cpuprofile", "", "write, per timed document, a CPU profile of this process over its runs (builds, HTML renders and the wait for the PDF) to this file with the document's label appended (go tool pprof FILE)")
		genOut     = fs.String("generate-into", "", "internal: be the generator child, writing blocks into this directory")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	settle := *settleF
	if *repeat < 1 {
		return fmt.Errorf("--repeat must be at least 1")
	}
	// The month: the last complete Asia/Shanghai month ending at least 1 day
	// before the end of the history; the history ends at that month's end + 2 d.
	now := time.Now().In(report.Shanghai)
	monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, report.Shanghai).AddDate(0, -1, 0)
	monthEnd := monthStart.AddDate(0, 1, 0)
	end := monthEnd.Add(48 * time.Hour).UTC()
	if *days == 0 {
		*days = int((end.Sub(monthStart.AddDate(0, -1, -1)) + 24*time.Hour - 1) / (24 * time.Hour))
	}
	from := end.Add(-time.Duration(*days) * 24 * time.Hour)
	key := fmt.Sprintf("e%d-d%d-s%v-%s", *entities, *days, *step, monthStart.Format("2006-01"))
	// The year: the last complete calendar year, as the service period of a
	// contract signed on its 1 January, and two days on each side.
	year := calendar.Year(now.Year() - 1)
	if *yearF {
		monthStart, monthEnd = year.Start, year.End
		from, end = year.Start.Add(-48*time.Hour).UTC(), year.End.Add(48*time.Hour).UTC()
		key = fmt.Sprintf("e%d-year%d-s%v", *entities, now.Year()-1, *step)
	}
	nl, nh := *entities*40/100, *entities*45/100
	nw := *entities - nl - nh
	if *genOut != "" {
		sp := simhistory.DemoScenario(from, end, *step, nl, nh, nw)
		st, err := tsdbwrite.Write(context.Background(), sp, *genOut, tsdbwrite.Options{Block: *block, Parallel: *parallel, Head: *headW, CountFrom: monthStart, CountTo: monthEnd})
		if err != nil {
			return err
		}
		return json.NewEncoder(os.Stdout).Encode(st)
	}
	dir := *cache
	if dir == "" {
		d, err := os.MkdirTemp("", "jianguan-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	dir = filepath.Join(dir, key)
	data, statsF := filepath.Join(dir, "data"), filepath.Join(dir, "stats.json")
	var gs genStats
	if b, err := os.ReadFile(statsF); err == nil && json.Unmarshal(b, &gs) == nil {
		fmt.Printf("history: cached in %s (generated in %.0f s, peak RSS %.0f MiB)\n", dir, gs.Seconds, gs.MaxRSSMiB)
	} else {
		if err := generate(dir, args, *block, &gs); err != nil {
			return err
		}
		fmt.Printf("history generated in %.1f s (not part of any figure below; child's peak RSS %.0f MiB) into %s\n", gs.Seconds, gs.MaxRSSMiB, dir)
	}
	if err := writeStats(statsF, gs); err != nil {
		return err
	}
	fmt.Printf("history: %d entities (%d lines, %d hosts, %d websites) + 4 room conditions, %s – %s at %v: %d series, %d samples in %d blocks of %s; %d samples in the %s\n",
		*entities, nl, nh, nw, from.Format(time.DateOnly), end.Format(time.DateOnly), *step, gs.Series, gs.Samples, gs.Blocks, gs.Block, gs.Counted, map[bool]string{false: "month", true: "year"}[*yearF])
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := l.Addr().String()
	l.Close()
	cfgf := filepath.Join(dir, "prometheus.yml")
	// Prometheus' query log (2.42: a JSON line per query with its execution
	// time and samples read), emptied before each path's runs and after
	// every build (and frozen month), so it holds at most one build's lines.
	qlog := queryLog(filepath.Join(dir, "query.log"))
	if err := os.WriteFile(cfgf, []byte(fmt.Sprintf("global:\n  query_log_file: %q\n", string(qlog))), 0o644); err != nil {
		return err
	}
	cmd := exec.Command(*prometheus, "--config.file="+cfgf, "--storage.tsdb.path="+data, "--web.listen-address="+addr,
		"--storage.tsdb.retention.time=10y", "--log.level=error", "--query.timeout=5m") // the client's limit (q.Timeout), not 2.42's 2 min
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	base := "http://" + addr
	for i := 0; ; i++ {
		if r, err := http.Get(base + "/-/ready"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				break
			}
		}
		if i > 600 {
			return fmt.Errorf("prometheus not ready")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n, err := waitCompacted(base, gs.Compacted); err != nil {
		return err
	} else if n != gs.Compacted {
		gs.Compacted = n
		if err := writeStats(statsF, gs); err != nil {
			return err
		}
	}
	if err := backfillRecorded(base, *promtool, *rulesF, strings.Split(*groupsF, ","), dir, data, from, end, &gs, statsF); err != nil {
		return err
	}
	q := promapi.New(base)
	q.Timeout = 5 * time.Minute
	cfg := report.DefaultConfig()
	fmt.Printf("Prometheus 2.42 on %s, %d CPUs, load average at start: %s\n", addr, runtime.NumCPU(), loadavg())
	ctx := context.Background()
	// One persistent browser for all PDFs, as in the CLI and the plugin; its
	// start-up is timed separately (a plugin or CLI run pays it once).
	pdfR := report.NewPDFRenderer(*chromium, 2)
	defer pdfR.Close()
	st := time.Now()
	if _, err := pdfR.HTMLToPDF(ctx, []byte("<!DOCTYPE html><html><body><p>数据 warm-up</p></body></html>")); err != nil {
		return err
	}
	fmt.Printf("browser start + first tiny PDF: %.2f s (once per process)\n", time.Since(st).Seconds())
	tm := &timer{pdf: pdfR, repeat: *repeat, rawRepeat: *rawRepeat, settle: settle, verbose: *verbose, samples: gs.Counted,
		html: 2, pdfT: 5, rss: 200, allMet: true, qlog: qlog, memprofile: *memprof, cpuprofile: *cpuprof, serverPID: cmd.Process.Pid}
	var kinds []string // --kinds= (empty): none, e.g. --year for the annual rating only
	for _, k := range strings.Split(*kindsF, ",") {
		if k = strings.TrimSpace(k); k != "" {
			kinds = append(kinds, k)
		}
	}
	if *yearF {
		tm.html, tm.pdfT = 10, 10
		if err := benchYear(ctx, tm, q, cfg, year, filepath.Join(dir, "snapshots"), kinds, *evalConfig); err != nil {
			return err
		}
	} else {
		month, err := report.ParseMonth(monthStart.Format("2006-01"), report.Shanghai, time.Now())
		if err != nil {
			return err
		}
		fmt.Printf("month %s\n", month)
		for _, k := range kinds {
			if err := tm.kind(ctx, q, cfg, "month", k, month); err != nil {
				return err
			}
			if err := tm.previousSigned(ctx, q, cfg, k, month, filepath.Join(dir, "snapshots")); err != nil {
				return err
			}
		}
	}
	// Stop the browser and Prometheus first so that their peak RSS is
	// counted among the waited-for children.
	pdfR.Close()
	cmd.Process.Kill()
	cmd.Wait()
	var kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	fmt.Printf("peak RSS of the largest direct child (prometheus or the chromium browser process): %.0f MiB\n", float64(kids.Maxrss)/1024)
	fmt.Printf("HTML = queries + document model + HTML render; PDF = the persistent Chromium printing that HTML; medians of %d runs per kind; peak RSS = VmHWM of this process (the report engine, in-process) over that kind's runs\n", *repeat)
	fmt.Printf("load average at end: %s\n", loadavg())
	verdict := "NOT all met"
	if tm.allMet {
		verdict = "all met"
	}
	fmt.Printf("targets HTML ≤ %.0f s, PDF ≤ %.0f s, peak RSS ≤ %.0f MiB (medians): %s (%s)\n", tm.html, tm.pdfT, tm.rss, verdict, strings.Join(tm.verdicts, "; "))
	return nil
}

// recordedGroups are the rules groups whose recorded series the report
// engine reads where they cover a period, and the records of each it needs
// (none: all of the group's).
//
// old is what a marker file written before markers listed their records
// stands for (nil: all of the group's): what the bench back-filled then.
var recordedGroups = []struct {
	group   string
	records []string
	old     []string
}{
	{"jianguan.line", []string{metricnames.LineInterfaceBitsRate5m, metricnames.LineRulesEvaluated}, []string{metricnames.LineInterfaceBitsRate5m}},
	{"jianguan.report", nil, reportRecordsBeforeChanges()},
}

// reportRecordsBeforeChanges are the records of jianguan.report before the
// recorded changes (NS:NS_state:changes1h): the marker and each family's
// NS:NS_up:count1h, what a marker file without a list stands for.
func reportRecordsBeforeChanges() []string {
	out := []string{metricnames.ReportRulesEvaluated}
	for _, f := range metricnames.Families {
		out = append(out, f.UpSamples1h())
	}
	return out
}

// backfillRecorded back-fills, once per cached history, the recorded series
// of recordedGroups over [from, end] (simhistory.BackfillRules: promtool
// against this Prometheus, evaluations on the minute) and loads them into
// its data directory, then waits for its compactor to merge them with the
// raw blocks they overlap (a server's history has them in the same blocks).
// A marker per group in the cache (recorded-<group>) lists the records
// back-filled; a re-run back-fills only the group's records it does not
// list (none: it skips the group), e.g. a rule added to the group since.
// A group or record missing from the rules file is skipped with a line
// saying so. Not timed.
func backfillRecorded(base, promtool, rulesFile string, groups []string, dir, data string, from, end time.Time, gs *genStats, statsF string) error {
	for _, g := range recordedGroups {
		if !slices.Contains(groups, g.group) {
			fmt.Printf("recorded series of %s: not back-filled (--recorded-groups)\n", g.group)
			continue
		}
		avail, err := groupRecords(rulesFile, g.group)
		if err != nil {
			fmt.Printf("recorded series of %s: not back-filled (%v): the engine takes the raw path\n", g.group, err)
			continue
		}
		want := avail
		if g.records != nil {
			want = nil
			for _, r := range g.records {
				if slices.Contains(avail, r) {
					want = append(want, r)
				} else {
					fmt.Printf("recorded series %s: not back-filled (not in group %s of %s)\n", r, g.group, rulesFile)
				}
			}
		}
		if len(want) == 0 {
			fmt.Printf("recorded series of %s: not back-filled (%s has none of its records): the engine takes the raw path\n", g.group, rulesFile)
			continue
		}
		marker := filepath.Join(dir, "recorded-"+g.group)
		var done []string
		if b, err := os.ReadFile(marker); err == nil {
			old := g.old
			if old == nil {
				old = avail
			}
			done = markerRecords(string(b), old)
		}
		missing := missingRecords(want, done)
		if len(missing) == 0 {
			fmt.Printf("recorded series of %s (%s): back-filled in the cache\n", g.group, strings.Join(want, ", "))
			continue
		}
		if len(done) > 0 {
			fmt.Printf("recorded series of %s: %s back-filled in the cache, not %s\n", g.group, strings.Join(done, ", "), strings.Join(missing, ", "))
		}
		rf := filepath.Join(dir, "rules-"+g.group+".yml")
		n, err := simhistory.SelectRules(rulesFile, []string{g.group}, missing, rf)
		if err != nil {
			fmt.Printf("recorded series of %s: not back-filled (%v): the engine takes the raw path\n", g.group, err)
			continue
		}
		st := time.Now()
		out := filepath.Join(dir, "rules-blocks")
		os.RemoveAll(out)
		ctx := context.Background()
		if err := simhistory.BackfillRules(ctx, promtool, base, []string{rf}, from, end, out); err != nil {
			return err
		}
		bf := time.Since(st).Seconds()
		lctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		moved, err := simhistory.LoadBlocks(lctx, base, out, data)
		cancel()
		if err != nil {
			return err
		}
		os.RemoveAll(out)
		fmt.Printf("recorded series of %s (%d rules: %s) back-filled with promtool in %.0f s (%d blocks), loaded in %.0f s; not timed\n", g.group, n, strings.Join(missing, ", "), bf, moved, time.Since(st).Seconds()-bf)
		if err := waitNoOverlap(data, time.Hour); err != nil {
			return err
		}
		n2, err := waitCompacted(base, -1)
		if err != nil {
			return err
		}
		gs.Compacted = n2
		if err := writeStats(statsF, *gs); err != nil {
			return err
		}
		if err := os.WriteFile(marker, []byte(markerText(append(done, missing...), from, end)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// waitNoOverlap waits until no two blocks in data overlap: Prometheus'
// compactor has merged the back-filled 2 h blocks of recorded series into
// the raw blocks they overlap (one vertical compaction per raw block, each
// minutes long at this size: the block count alone does not show it).
func waitNoOverlap(data string, limit time.Duration) error {
	type span struct{ lo, hi int64 }
	overlaps := func() (int, error) {
		ents, err := os.ReadDir(data)
		if err != nil {
			return 0, err
		}
		var ss []span
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(data, e.Name(), "meta.json"))
			if err != nil || strings.Contains(e.Name(), ".tmp") {
				continue
			}
			var m struct{ MinTime, MaxTime int64 }
			if json.Unmarshal(b, &m) == nil {
				ss = append(ss, span{m.MinTime, m.MaxTime})
			}
		}
		sort.Slice(ss, func(i, j int) bool { return ss[i].lo < ss[j].lo })
		n := 0
		for i := 1; i < len(ss); i++ {
			if ss[i].lo < ss[i-1].hi {
				n++
			}
		}
		return n, nil
	}
	st := time.Now()
	for {
		n, err := overlaps()
		if err != nil {
			return err
		}
		if n == 0 {
			fmt.Printf("Prometheus merged the recorded series' blocks into the raw ones in %.0f s; not timed\n", time.Since(st).Seconds())
			return nil
		}
		if time.Since(st) > limit {
			return fmt.Errorf("prometheus did not merge the overlapping blocks in %v (%d overlaps left)", limit, n)
		}
		time.Sleep(5 * time.Second)
	}
}

// generate runs this program as the generator child (so its memory is not
// the report engine's) writing the blocks into dir/data.
func generate(dir string, args []string, block time.Duration, gs *genStats) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(dir, "data.partial")
	os.RemoveAll(tmp)
	var out bytes.Buffer
	cmd := exec.CommandContext(context.Background(), self, append(append([]string{}, args...), "--generate-into="+tmp)...)
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	st := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("generator: %w", err)
	}
	gs.Seconds, gs.Block = time.Since(st).Seconds(), block.String()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		gs.MaxRSSMiB = float64(ru.Maxrss) / 1024
	}
	if err := json.Unmarshal(out.Bytes(), &gs.Stats); err != nil {
		return fmt.Errorf("generator output %q: %w", out.String(), err)
	}
	data := filepath.Join(dir, "data")
	os.RemoveAll(data)
	return os.Rename(tmp, data)
}

func writeStats(f string, gs genStats) error {
	b, err := json.MarshalIndent(gs, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(f, b, 0o644)
}

// envOr is $k, or def when it is unset or empty.
func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// median of v (v is not changed).
func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

// runs is v as [1.23 1.45 …] seconds.
func runs(v []float64) string {
	f := make([]string, len(v))
	for i, x := range v {
		f[i] = strconv.FormatFloat(x, 'f', 2, 64)
	}
	return "[" + strings.Join(f, " ") + "]"
}

// cpuSeconds is this process' user + system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return math.NaN()
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// procCPUSeconds is process pid's user + system CPU seconds (/proc/PID/stat,
// clock ticks of 1/100 s); NaN when unknown.
func procCPUSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return math.NaN()
	}
	// Fields after the command name's closing parenthesis: state is field 3,
	// utime 14, stime 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return math.NaN()
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return math.NaN()
	}
	u, err1 := strconv.ParseFloat(f[11], 64)
	s, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return math.NaN()
	}
	return (u + s) / 100
}

// vmHWM is this process' peak RSS in MiB (VmHWM of /proc/self/status).
func vmHWM() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return math.NaN()
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return math.NaN()
}

// waitCompacted waits until Prometheus has compacted the generated blocks,
// as a server's history is (blocks of up to 31 days; with many small blocks
// every query pays per block): until the block count has stayed unchanged
// for 70 s (the compactor runs every minute). want is the count a previous
// run ended with for this cached history (0: none): reached, it returns at
// once. Not timed.
func waitCompacted(base string, want int) (int, error) {
	blocks := func() (int, error) {
		r, err := http.Get(base + "/metrics")
		if err != nil {
			return 0, err
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "prometheus_tsdb_blocks_loaded "); ok {
				return strconv.Atoi(strings.TrimSpace(v))
			}
		}
		return 0, fmt.Errorf("prometheus_tsdb_blocks_loaded not in Prometheus' /metrics")
	}
	n0, err := blocks()
	if err != nil || n0 == want {
		return n0, err
	}
	st, last, n := time.Now(), time.Now(), n0
	for time.Since(last) < 70*time.Second {
		time.Sleep(2 * time.Second)
		m, err := blocks()
		if err != nil {
			return 0, err
		}
		if m != n {
			n, last = m, time.Now()
		}
		if time.Since(st) > 30*time.Minute {
			return 0, fmt.Errorf("prometheus did not finish compacting in 30 min (%d → %d blocks)", n0, n)
		}
	}
	fmt.Printf("Prometheus compacted the generated blocks (%d → %d) in %.0f s, as a server's history is; not timed\n", n0, n, time.Since(st).Seconds())
	return n, nil
}

var loadavg = benchenv.LoadAvg // /proc/loadavg, the one copy in tools/bench/internal/benchenv

// timer times documents: build + HTML render, then the PDF print, --repeat
// times in a row, with the targets in seconds and MiB.
type timer struct {
	pdf             *report.PDFRenderer
	repeat          int
	rawRepeat       int // builds on the raw-sample path per kind (0: none)
	settle          time.Duration
	verbose, noPDF  bool
	samples         int64 // raw samples in the period
	html, pdfT, rss float64
	allMet          bool
	verdicts        []string
	qlog            queryLog                 // Prometheus' query log, emptied after each build
	first           func(d *report.Document) // called after the first build of time (nil: none)
	memprofile      string                   // --memprofile (empty: none)
	cpuprofile      string                   // --cpuprofile (empty: none)
	serverPID       int                      // the bench's Prometheus (its CPU per build in -v)
}

// kind times report kind k for period p on the default path (counters from
// instant queries at the period's edges), then, t.rawRepeat times, on the
// raw-sample path (report.Config.RawCounters) — build + HTML only, the PDF
// does not depend on the path — and prints the ratio of the medians (issue
// 24: "Print the ratio against the raw-sample path").
//
// After each path's line it prints what Prometheus' query log says of that
// path's first build (queries, samples read, server execution seconds, the
// audit purposes taking most of them), and after the ratio of the medians
// the ratio raw/default of the samples and of the execution seconds.
func (t *timer) kind(ctx context.Context, q report.Querier, cfg report.Config, what, k string, p calendar.Period) error {
	defer func() { t.first = nil }()
	var def, raw queryStats
	var defOK, rawOK bool
	logStats := t.logStats
	label := what + " " + k
	t.first = logStats(&def, &defOK)
	edge, err := t.time(label, func() (*report.Document, error) { return report.Build(ctx, q, cfg, k, p) })
	if err != nil {
		return err
	}
	if defOK {
		def.print(os.Stdout, label, t.verbose)
	}
	if t.rawRepeat < 1 {
		return nil
	}
	rt := *t
	rt.repeat, rt.noPDF, rt.verdicts = t.rawRepeat, true, nil
	rt.first = logStats(&raw, &rawOK)
	rc := cfg
	rc.RawCounters, rc.RawDetectors, rc.RawTraffic = true, true, true
	rm, err := rt.time(label+" raw", func() (*report.Document, error) { return report.Build(ctx, q, rc, k, p) })
	if err != nil {
		return err
	}
	if rawOK {
		raw.print(os.Stdout, label+" raw", t.verbose)
	}
	fmt.Printf("%-24s raw-sample path (RawCounters + RawDetectors + RawTraffic) %.2f s / recorded series and edge counters %.2f s (HTML medians) = %.2f ×\n", label+" ratio", rm, edge, rm/edge)
	if defOK && rawOK {
		fmt.Printf("%-24s Prometheus, first builds, raw / default: samples read %s, server execution %s\n", label+" ratio",
			ratio(float64(raw.Samples), float64(def.Samples)), ratio(raw.Seconds, def.Seconds))
	}
	return nil
}

// logStats empties the query log and returns a timer.first that reads
// the first build's statistics into st (ok: read).
func (t *timer) logStats(st *queryStats, ok *bool) func(*report.Document) {
	if err := t.qlog.reset(); err != nil {
		fmt.Printf("query log: %v\n", err)
		return nil
	}
	return func(d *report.Document) {
		var err error
		if *st, err = t.qlog.read(d); err != nil {
			fmt.Printf("query log: %v\n", err)
			return
		}
		*ok = true
	}
}

// time renders the document build returns t.repeat times and prints its
// line: medians, every run, peak RSS (this process's VmHWM, reset first);
// it returns the HTML median.
func (t *timer) time(label string, build func() (*report.Document, error)) (float64, error) {
	ctx := context.Background()
	// The peak RSS of this document on its own: collect, return memory
	// to the OS and reset VmHWM to the current RSS (clear_refs 5).
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	if t.memprofile != "" {
		pp := startPeakProfiler()
		defer func() {
			if err := pp.write(labelFile(t.memprofile, label)); err != nil {
				fmt.Println(err)
			}
		}()
	}
	if t.cpuprofile != "" {
		stop, err := startCPUProfile(labelFile(t.cpuprofile, label))
		if err != nil {
			return 0, err
		}
		defer stop()
	}
	var htmlS, pdfS []float64
	var htmlKB, pdfKB, ents, queries int
	for r := 0; r < t.repeat; r++ {
		// Chromium's clean-up after the previous print (tab teardown,
		// garbage collection) would otherwise run during this render's
		// queries.
		time.Sleep(t.settle)
		st, c0, s0 := time.Now(), cpuSeconds(), procCPUSeconds(t.serverPID)
		d, err := build()
		if err != nil {
			return 0, fmt.Errorf("%s: %w", label, err)
		}
		pause, c1 := time.Now(), cpuSeconds()
		if r == 0 && t.first != nil {
			t.first(d) // reads the query log and empties it
		} else if err := t.qlog.reset(); err != nil { // keeps it one build long
			fmt.Printf("query log: %v\n", err)
		}
		st = st.Add(time.Since(pause)) // not part of the timed figure
		c2 := cpuSeconds()
		var html bytes.Buffer
		if err := report.RenderHTML(&html, d); err != nil {
			return 0, err
		}
		h := time.Since(st).Seconds()
		cpu := c1 - c0 + cpuSeconds() - c2       // this process' CPU for build + render: the engine's, whatever the load
		scpu := procCPUSeconds(t.serverPID) - s0 // Prometheus' CPU over the build (with the query log's reading, a few ms)
		htmlS = append(htmlS, h)
		htmlKB, ents, queries = html.Len()/1024, len(d.Entities), len(d.Audit.Queries)
		if t.noPDF {
			if t.verbose {
				fmt.Printf("  %s run %d %-22s html %.2f s (%d queries, engine CPU %.2f s, Prometheus CPU %.2f s), load average %s\n", time.Now().Format("15:04:05.0"), r+1, label, h, queries, cpu, scpu, loadavg())
			}
			continue
		}
		st = time.Now()
		// With the document frame (running header, 第 N 页 共 M 页), as RenderPDF prints it.
		pdf, err := t.pdf.HTMLToPDFWith(ctx, html.Bytes(), report.PrintFrame(d))
		if err != nil {
			return 0, err
		}
		p := time.Since(st).Seconds()
		pdfS = append(pdfS, p)
		pdfKB = len(pdf) / 1024
		if t.verbose {
			fmt.Printf("  %s run %d %-22s html %.2f s (%d queries, engine CPU %.2f s, Prometheus CPU %.2f s) pdf %.2f s, load average %s\n", time.Now().Format("15:04:05.0"), r+1, label, h, queries, cpu, scpu, p, loadavg())
		}
	}
	rss := vmHWM()
	hm := median(htmlS)
	if t.noPDF {
		fmt.Printf("%-24s %4d entities: HTML median %.2f s runs %s (%d kB, %d queries); peak RSS %.0f MiB\n", label, ents, hm, runs(htmlS), htmlKB, queries, rss)
		return hm, nil
	}
	pm := median(pdfS)
	fmt.Printf("%-24s %4d entities, %d raw samples in the period: HTML median %.2f s runs %s (%d kB, %d queries); PDF median %.2f s runs %s (%d kB); peak RSS %.0f MiB\n",
		label, ents, t.samples, hm, runs(htmlS), htmlKB, queries, pm, runs(pdfS), pdfKB, rss)
	ok := func(v, lim float64) string {
		if v <= lim {
			return "met"
		}
		t.allMet = false
		return "MISSED"
	}
	t.verdicts = append(t.verdicts, fmt.Sprintf("%s HTML %s, PDF %s, RSS %s", label, ok(hm, t.html), ok(pm, t.pdfT), ok(rss, t.rss)))
	return hm, nil
}

// benchNarrative fills the editable sections of a month the bench signs
// off (a freeze with one unfilled is refused).
var benchNarrative = report.Narrative{Problems: "基准测试（make bench-report）：模拟历史。", Remedies: "基准测试：无。", NextSteps: "基准测试：无。"}

// previousSigned times kind k for p as it is built once the previous
// month is signed off: its snapshot is frozen into snaps first (untimed,
// kept in the cache; the build that freezes it is an ordinary one), and 环比
// reads it (report.Config.Frozen) instead of rebuilding the previous month.
func (t *timer) previousSigned(ctx context.Context, q report.Querier, cfg report.Config, k string, p calendar.Period, snaps string) error {
	st := snapshot.Store{Dir: snaps}
	prev := p.Previous()
	if !st.Exists(k, snapshot.Name(prev)) {
		fc := cfg
		fc.Narrative = benchNarrative
		t0 := time.Now()
		if _, err := st.Freeze(ctx, k, snapshot.Name(prev), func(ctx context.Context) (*report.Document, error) {
			return report.Build(ctx, q, fc, k, prev)
		}, time.Now()); err != nil {
			return fmt.Errorf("signing off %s %s: %w", k, prev, err)
		}
		fmt.Printf("froze %s %s in %.1f s (not timed as a figure)\n", k, prev, time.Since(t0).Seconds())
		if err := t.qlog.reset(); err != nil {
			return err
		}
	}
	fc := cfg
	fc.Frozen = st
	label := "month " + k + " prev signed"
	var qs queryStats
	var ok bool
	t.first = t.logStats(&qs, &ok)
	defer func() { t.first = nil }()
	if _, err := t.time(label, func() (*report.Document, error) {
		d, err := report.Build(ctx, q, fc, k, p)
		if err == nil && d.PreviousFrozen == nil {
			err = fmt.Errorf("环比 did not read the snapshot of %s in %s", prev, snaps)
		}
		return d, err
	}); err != nil {
		return err
	}
	if ok {
		qs.print(os.Stdout, label, t.verbose)
	}
	return nil
}

// benchYear times the year: the service-period summary per kind (the
// service period of a contract signed on the year's 1 January: the year),
// then the annual rating of the year from its twelve monthly assessments,
// each frozen into snaps first (untimed; a month already frozen there by an
// earlier run is kept).
func benchYear(ctx context.Context, t *timer, q report.Querier, cfg report.Config, year calendar.Period, snaps string, kinds []string, evalConfig string) error {
	svc, err := calendar.NewService(year.Start, time.Time{})
	if err != nil {
		return err
	}
	fmt.Printf("service period %s – %s (the year %s)\n", svc.Start.In(report.Shanghai).Format(time.DateOnly), svc.End.In(report.Shanghai).AddDate(0, 0, -1).Format(time.DateOnly), year)
	for _, k := range kinds {
		if err := t.kind(ctx, q, cfg, "service", k, svc.Period()); err != nil {
			return err
		}
	}
	sys, err := eval.Load(evalConfig)
	if err != nil {
		return fmt.Errorf("--evaluation.config: %w", err)
	}
	// The shipped system applies from the contract's first month; the
	// bench's year is the last complete calendar year, so it scores that
	// year's months with the same indicators from its January.
	sys.AppliesFrom = year.Start.In(report.Shanghai).Format("2006-01")
	ev := &eval.Evaluator{File: sys, Querier: q}
	// A month is signed off (frozen) only with its editable sections filled.
	fc := cfg
	fc.Narrative = benchNarrative
	st := snapshot.Store{Dir: snaps}
	for _, m := range year.Months() {
		label := m.String()
		if st.Exists(eval.DocMonthly, label) {
			continue
		}
		t0 := time.Now()
		if _, err := st.Freeze(ctx, eval.DocMonthly, label, func(ctx context.Context) (*report.Document, error) {
			return eval.BuildMonthly(ctx, q, fc, ev, report.PeriodMonth(m))
		}, time.Now()); err != nil {
			return fmt.Errorf("freezing the assessment of %s: %w", label, err)
		}
		fmt.Printf("froze the monthly assessment %s in %.1f s (not timed as a figure)\n", label, time.Since(t0).Seconds())
		if err := t.qlog.reset(); err != nil { // its queries are not reported
			return err
		}
	}
	y := year.Start.In(report.Shanghai).Year()
	_, err = t.time(fmt.Sprintf("annual rating %d", y), func() (*report.Document, error) { return eval.BuildAnnual(st, cfg, y) })
	return err
}
