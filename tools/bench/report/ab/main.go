// Command ab times two builds of jianguan-report side by side on one
// running Prometheus: it alternates them (A, B, A, B, …) on the same
// report, so a change is measured against its anchor under the same
// machine load, page cache and Prometheus, and checks that both give the
// same document. The bench (make bench-report) times one engine at a time
// against the targets; this is how a change to the engine is measured.
//
//	go run ./tools/bench/report/ab --kind providers --period 2025 --runs 5 \
//	    --prometheus.url http://127.0.0.1:19090 fea24ee HEAD
//
// A and B are jianguan-report binaries or git revisions (built in a
// temporary worktree). Per run it prints the wall time, the engine's CPU
// time and peak RSS (from the child's rusage) and the CPU time Prometheus
// spent meanwhile (/proc/PID/stat of the process listening at the URL's
// port, or --prometheus.pid); then the medians and B's ratio to A. The
// documents (JSON, without generatedAt and the audit) must be equal: a
// difference is printed and the exit status is 1.
//
// Start Prometheus on the bench's history first, e.g. the year at 1 000
// entities the bench cached (make bench-report BENCH_ARGS=--year):
//
//	cd /tmp/benchcache/e1000-year2025-s15s-h3 && prometheus \
//	    --config.file=prometheus.yml --storage.tsdb.path=data \
//	    --storage.tsdb.retention.time=10y --web.listen-address=127.0.0.1:19090
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jianguan/jianguan/tools/bench/internal/benchenv"
)

type sample struct{ wall, engine, prom, rssMiB float64 }

func main() {
	os.Exit(abMain())
}

// abMain runs the comparison and returns the exit status: 0, 1 where the
// documents differ or a run failed, 2 on bad usage.
func abMain() int {
	kind := flag.String("kind", "providers", "report kind (jianguan-report --kind)")
	period := flag.String("period", "", "period (jianguan-report --period), e.g. 2025 or 2025-06")
	runs := flag.Int("runs", 5, "runs of each build, alternating")
	promURL := flag.String("prometheus.url", "http://127.0.0.1:19090", "the running Prometheus")
	promPID := flag.Int("prometheus.pid", 0, "its process id (default: the process listening at the URL's port)")
	extra := flag.String("args", "", "more jianguan-report flags, space-separated")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: ab [flags] A B   (A, B: jianguan-report binaries or git revisions)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 || *period == "" || *runs < 1 {
		flag.Usage()
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	work, err := os.MkdirTemp("", "ab-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(work)
	bins := make([]string, 2)
	for i, a := range flag.Args() {
		if bins[i], err = binary(ctx, a, work, i); err != nil {
			return fail(err)
		}
	}
	pid := *promPID
	if pid == 0 {
		pid = benchenv.ListenerPID(*promURL)
	}
	res := [2][]sample{}
	docs := [2]string{filepath.Join(work, "a.json"), filepath.Join(work, "b.json")}
	for r := 0; r < *runs; r++ {
		for i, b := range bins {
			s, err := run(ctx, b, work, docs[i], *kind, *period, *promURL, *extra, pid)
			if err != nil {
				return fail(err)
			}
			res[i] = append(res[i], s)
			fmt.Printf("run %d %s: wall %.2f s, engine %.2f CPU-s, peak RSS %.0f MiB, Prometheus %s\n", r+1, "AB"[i:i+1], s.wall, s.engine, s.rssMiB, cpuText(s.prom))
		}
	}
	med := [2]sample{median(res[0]), median(res[1])}
	for i, a := range flag.Args() {
		m := med[i]
		fmt.Printf("%s %s: median wall %.2f s, engine %.2f CPU-s, peak RSS %.0f MiB, Prometheus %s (%d runs)\n", "AB"[i:i+1], a, m.wall, m.engine, m.rssMiB, cpuText(m.prom), *runs)
	}
	fmt.Printf("B / A: wall %.3f, engine CPU %.3f", med[1].wall/med[0].wall, med[1].engine/med[0].engine)
	if med[0].prom > 0 { // false for NaN
		fmt.Printf(", Prometheus CPU %.3f", med[1].prom/med[0].prom)
	}
	fmt.Println()
	d, err := compare(docs[0], docs[1])
	switch {
	case err != nil:
		return fail(err)
	case d != "":
		fmt.Println("documents differ:", d)
		return 1
	}
	fmt.Println("documents equal (without generatedAt and the audit)")
	return 0
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "ab:", err)
	return 1
}

// binary is a as a runnable jianguan-report: the file itself, or the
// revision built in a temporary worktree.
func binary(ctx context.Context, a, work string, i int) (string, error) {
	if st, err := os.Stat(a); err == nil && !st.IsDir() {
		return filepath.Abs(a)
	}
	wt := filepath.Join(work, fmt.Sprintf("wt%d", i))
	if out, err := exec.CommandContext(ctx, "git", "worktree", "add", "--detach", wt, a).CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s is neither a file nor a revision: %w: %s", a, err, out)
	}
	defer func() {
		if out, err := exec.CommandContext(context.WithoutCancel(ctx), "git", "worktree", "remove", "--force", wt).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "ab: removing the worktree %s: %v: %s\n", wt, err, out)
		}
	}()
	bin := filepath.Join(work, fmt.Sprintf("jianguan-report-%d", i))
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/jianguan-report")
	cmd.Dir = wt
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building %s: %w: %s", a, err, out)
	}
	return bin, nil
}

// run builds the report once with bin, in an empty directory (no
// configuration picked up from the working directory).
func run(ctx context.Context, bin, dir, out, kind, period, promURL, extra string, pid int) (sample, error) {
	args := []string{"--kind", kind, "--period", period, "--format", "json", "--prometheus.url", promURL, "-o", out}
	args = append(args, strings.Fields(extra)...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	c0 := benchenv.ProcCPUSeconds(pid)
	t0 := time.Now()
	outb, err := cmd.CombinedOutput()
	wall := time.Since(t0).Seconds()
	if err != nil {
		return sample{}, fmt.Errorf("%s %s: %w: %s", bin, strings.Join(args, " "), err, outb)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	prom := benchenv.ProcCPUSeconds(pid) - c0 // NaN: unknown
	return sample{wall: wall, engine: cpu, prom: prom, rssMiB: float64(ru.Maxrss) / 1024}, nil
}

func median(s []sample) sample {
	m := func(f func(sample) float64) float64 {
		v := make([]float64, len(s))
		for i, x := range s {
			v[i] = f(x)
		}
		if slices.ContainsFunc(v, math.IsNaN) {
			return math.NaN()
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return sample{wall: m(func(x sample) float64 { return x.wall }), engine: m(func(x sample) float64 { return x.engine }),
		prom: m(func(x sample) float64 { return x.prom }), rssMiB: m(func(x sample) float64 { return x.rssMiB })}
}

func cpuText(v float64) string {
	if math.IsNaN(v) {
		return "CPU unknown (no process found: --prometheus.pid)"
	}
	return fmt.Sprintf("%.2f CPU-s", v)
}

// compare says where the documents a and b differ ("" where they do not),
// leaving out generatedAt and the audit (the queries sent are what a
// change may alter).
func compare(a, b string) (string, error) {
	var x, y map[string]any
	for _, d := range []struct {
		f string
		v *map[string]any
	}{{a, &x}, {b, &y}} {
		raw, err := os.ReadFile(d.f)
		if err != nil {
			return "", err
		}
		if err := json.Unmarshal(raw, d.v); err != nil {
			return "", fmt.Errorf("%s: %w", d.f, err)
		}
		delete(*d.v, "generatedAt")
		delete(*d.v, "audit")
	}
	return diff(x, y, ""), nil
}

func diff(x, y any, path string) string {
	switch xv := x.(type) {
	case map[string]any:
		yv, ok := y.(map[string]any)
		if !ok {
			return path + ": not both objects"
		}
		keys := map[string]bool{}
		for k := range xv {
			keys[k] = true
		}
		for k := range yv {
			keys[k] = true
		}
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			if d := diff(xv[k], yv[k], path+"/"+k); d != "" {
				return d
			}
		}
		return ""
	case []any:
		yv, ok := y.([]any)
		if !ok || len(xv) != len(yv) {
			return path + ": not arrays of one length"
		}
		for i := range xv {
			if d := diff(xv[i], yv[i], fmt.Sprintf("%s/%d", path, i)); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(x, y) {
		return fmt.Sprintf("%s: %v against %v", path, x, y)
	}
	return ""
}
