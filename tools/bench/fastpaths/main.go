// Command fastpaths is issue 23's side-by-side benchmark of the home-grown
// fast paths and the libraries they stand beside (make bench-fastpaths):
//
//	go run ./tools/bench/fastpaths --rounds=5
//
// It builds the test binaries of the packages holding a BenchmarkFastpath
// (each has sub-benchmarks <path>/<case>/own and …/lib on the same data),
// then runs them round after round, own and library side by side in every
// round, so both see the same load on a shared machine. It prints every
// round's figures with -v and a table of medians: ns/op (or, where the
// benchmark reports one, CPU ns per operation: the SNMP polls wait for
// snmpsimd, whose time is not the client's), allocs/op, B/op and the ratio
// own/library, with the load average at start and end. The fixtures that
// are expensive to build (the 1 000-entity month) are kept in --cache
// between rounds and runs.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jianguan/jianguan/tools/bench/internal/benchenv"
)

// packages holding a BenchmarkFastpath. Removed paths are measured at the
// commit before their removal: internal/snmp's lean client against gosnmp
// at 803241b, internal/constmetric's text writer against the registry at
// eecb606 (docs/fastpaths.md).
var packages = []string{
	"./internal/report/promapi",
	"./internal/icmp",
	"./internal/report",
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench-fastpaths:", err)
		os.Exit(1)
	}
}

type key struct{ pkg, path, side string }

type sample struct{ ns, cpu, bytes, allocs float64 }

func run(args []string) error {
	fs := flag.NewFlagSet("bench-fastpaths", flag.ContinueOnError)
	rounds := fs.Int("rounds", 5, "rounds (own and library run side by side in each; the median is reported)")
	benchtime := fs.String("benchtime", "3x", "go test -benchtime of each sub-benchmark in a round")
	cache := fs.String("cache", filepath.Join(os.TempDir(), "jianguan-fastpaths-cache"), "directory keeping expensive fixtures between rounds and runs")
	only := fs.String("only", "", "regexp: only packages whose path matches")
	verbose := fs.Bool("v", false, "print every round's figures")
	short := fs.Bool("short", false, "go test -short: the small fixtures only (promapi: the tests' scenario, not the 1 000-entity month whose history promtool builds in most of an hour)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rounds < 1 || *rounds > 100 {
		return fmt.Errorf("--rounds=%d: want 1 … 100", *rounds)
	}
	if err := os.MkdirAll(*cache, 0o755); err != nil {
		return err
	}
	var sel *regexp.Regexp
	if *only != "" {
		var err error
		if sel, err = regexp.Compile(*only); err != nil {
			return fmt.Errorf("--only: %w", err)
		}
	}
	bin, err := os.MkdirTemp("", "jianguan-fastpaths-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bin)
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	type pkgBin struct{ pkg, exe string }
	var bins []pkgBin
	for _, p := range packages {
		if sel != nil && !sel.MatchString(p) {
			continue
		}
		exe := filepath.Join(bin, strings.ReplaceAll(strings.TrimPrefix(p, "./"), "/", "_")+".test")
		cmd := exec.CommandContext(context.Background(), "go", "test", "-c", "-o", exe, p)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building %s: %w", p, err)
		}
		bins = append(bins, pkgBin{p, exe})
	}
	fmt.Printf("%s, %d rounds of -benchtime %s, load average at start: %s\n", time.Now().UTC().Format(time.RFC3339), *rounds, *benchtime, loadavg())
	samples := map[key][]sample{}
	var order []key
	line := regexp.MustCompile(`^BenchmarkFastpath/(\S+)/(own|lib)(?:-\d+)?\s+\d+\s+(.*)$`)
	for r := 1; r <= *rounds; r++ {
		for _, b := range bins {
			cmd := exec.CommandContext(context.Background(), b.exe, "-test.run", "^$", "-test.bench", "^BenchmarkFastpath$", "-test.benchmem",
				"-test.benchtime", *benchtime, "-test.count", "1", "-test.timeout", "90m", "-test.short="+strconv.FormatBool(*short))
			cmd.Dir = filepath.Join(root, b.pkg)
			cmd.Env = append(os.Environ(), "JIANGUAN_FASTPATH_CACHE="+*cache)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s round %d: %w\n%s", b.pkg, r, err, out.String())
			}
			if strings.Contains(out.String(), "--- SKIP") {
				fmt.Printf("%s: skipped\n%s", b.pkg, out.String())
			}
			sc := bufio.NewScanner(&out)
			for sc.Scan() {
				m := line.FindStringSubmatch(sc.Text())
				if m == nil {
					continue
				}
				k := key{b.pkg, m[1], m[2]}
				if _, ok := samples[k]; !ok {
					order = append(order, k)
				}
				samples[k] = append(samples[k], parse(m[3]))
				if *verbose {
					fmt.Printf("round %d %s %s/%s: %s\n", r, b.pkg, m[1], m[2], m[3])
				}
			}
		}
	}
	fmt.Printf("load average at end: %s\n\n", loadavg())
	fmt.Printf("%-48s %14s %14s %7s %11s %11s %12s %12s\n", "fast path / case", "lib", "own", "own/lib", "lib allocs", "own allocs", "lib B", "own B")
	seen := map[string]bool{}
	for _, k := range order {
		if seen[k.pkg+k.path] {
			continue
		}
		seen[k.pkg+k.path] = true
		own, lib := samples[key{k.pkg, k.path, "own"}], samples[key{k.pkg, k.path, "lib"}]
		if len(own) == 0 || len(lib) == 0 {
			continue
		}
		field, unit := func(s sample) float64 { return s.ns }, "ns/op"
		if own[0].cpu > 0 {
			field, unit = func(s sample) float64 { return s.cpu }, "cpu-ns"
		}
		o, l := median(own, field), median(lib, field)
		fmt.Printf("%-48s %11.0f %-2s %11.0f %-2s %7.2f %11.0f %11.0f %12.0f %12.0f\n", k.path, l, unit[:2], o, unit[:2], o/l,
			median(lib, func(s sample) float64 { return s.allocs }), median(own, func(s sample) float64 { return s.allocs }),
			median(lib, func(s sample) float64 { return s.bytes }), median(own, func(s sample) float64 { return s.bytes }))
	}
	fmt.Println("\n(ns = wall ns/op; cp = CPU ns of this process per poll; medians over the rounds; allocs and B per op)")
	return nil
}

// parse reads "123 ns/op  4 B/op  5 allocs/op  6 cpu-ns/poll …".
func parse(s string) sample {
	f := strings.Fields(s)
	var out sample
	for i := 0; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			continue
		}
		switch f[i+1] {
		case "ns/op":
			out.ns = v
		case "B/op":
			out.bytes = v
		case "allocs/op":
			out.allocs = v
		case "cpu-ns/poll":
			out.cpu = v
		}
	}
	return out
}

func median(ss []sample, f func(sample) float64) float64 {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	sort.Float64s(v)
	if len(v)%2 == 0 {
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return v[len(v)/2]
}

var loadavg = benchenv.LoadAvg // /proc/loadavg, the one copy in tools/bench/internal/benchenv
