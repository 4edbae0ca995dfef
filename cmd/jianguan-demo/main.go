// Command jianguan-demo runs the whole jianguan stack on loopback on an
// embedded default: a simulated machine room (snmpsim), simulated lines
// (network namespaces when root, loopback otherwise), a few hundred hosts
// and a dozen websites, the three exporters, Prometheus with ~35 days of
// backfilled history, Alertmanager with a local webhook sink, the dead man's
// switch, jianguan-recorder (route 0) with a week of operations records, and
// last month's reports in out/. It is what `make demo` runs;
// `--smoke` (make demo-smoke) runs it non-interactively, checks that data
// flows end to end and tears everything down.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	var d demo
	flag.StringVar(&d.root, "root", ".", "repository root")
	flag.StringVar(&d.bin, "bin", "bin", "directory with the built binaries (make build)")
	flag.StringVar(&d.out, "out", "out", "where reports and the demo's state go")
	flag.StringVar(&d.scenario, "scenario", os.Getenv("SCENARIO"), "scripted scenario: outage (cut power to a room and a line)")
	flag.BoolVar(&d.smoke, "smoke", false, "non-interactive: bring the stack up, check every component, tear down")
	flag.DurationVar(&d.smokeTimeout, "smoke.timeout", 6*time.Minute, "how long the smoke run may take")
	flag.Parse()
	os.Exit(d.main())
}

type demo struct {
	root, bin, out, scenario string
	smoke                    bool
	smokeTimeout             time.Duration

	work           string
	p              *procs
	sink           *sink
	urls           []string
	undo           []func()
	week           week        // the demo's week of records (records.go)
	recorderSecret string      // the recorder's trusted-header secret (demo users)
	envConfig      string      // env_exporter's config of the site's room (live.go)
	live           []liveValue // the room's values that follow the model (live.go)
	promStarted    time.Time   // when Prometheus was ready (smokeAlertsExplained)
}

func (d *demo) logf(format string, args ...any) {
	fmt.Printf("[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func (d *demo) main() int {
	var err error
	if d.root, err = filepath.Abs(d.root); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(d.root, p)
	}
	d.bin, d.out = abs(d.bin), abs(d.out)
	d.work = filepath.Join(d.out, "demo")
	_ = os.RemoveAll(d.work)
	if err := os.MkdirAll(filepath.Join(d.work, "logs"), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	d.p = &procs{logDir: filepath.Join(d.work, "logs")}

	if err := ensurePackages(d.root); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := 0
	if err := d.up(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "demo: start-up failed:", err)
		code = 1
	} else if d.smoke {
		sctx, cancel := context.WithTimeout(ctx, d.smokeTimeout)
		if err := d.smokeChecks(sctx); err != nil {
			fmt.Fprintln(os.Stderr, "demo-smoke: FAILED:", err)
			code = 1
		}
		cancel()
	} else {
		d.printURLs()
		if d.scenario != "" {
			go d.runScenario(ctx)
		}
		d.statusLoop(ctx)
	}
	if alive := d.down(); len(alive) > 0 && d.smoke {
		fmt.Fprintln(os.Stderr, "demo-smoke: FAILED: processes left running:", strings.Join(alive, ", "))
		code = 1
	}
	if d.smoke && code == 0 {
		fmt.Println("demo-smoke: every component answered, data flowed end to end, nothing left running")
	}
	return code
}

func (d *demo) down() []string {
	d.logf("stopping everything …")
	alive := d.p.stopAll(8 * time.Second)
	for i := len(d.undo) - 1; i >= 0; i-- {
		d.undo[i]()
	}
	if d.sink != nil {
		d.sink.close()
	}
	if len(alive) > 0 {
		d.logf("still running after stop: %s", strings.Join(alive, ", "))
	} else {
		d.logf("all demo processes stopped; logs in %s", filepath.Join(d.work, "logs"))
	}
	return alive
}

func (d *demo) printURLs() {
	fmt.Println()
	fmt.Println("jianguan demo is running (Ctrl-C stops everything):")
	for _, u := range d.urls {
		fmt.Println("  " + u)
	}
	fmt.Printf("  reports:            %s\n", filepath.Join(d.out, "reports"))
	fmt.Printf("  logs:               %s\n", filepath.Join(d.work, "logs"))
	fmt.Println()
}
