// Command jianguan-recorder keeps the operations records the contract
// requires in a real database: every Alertmanager notification (exactly once
// from an HA pair), the alerts with their detected → notified → acknowledged
// → resolved times, acknowledgements and signed-off records, each change in
// an append-only history. See docs/records.md.
//
// It does not use internal/exporter's frame: that frame owns its mux (no
// API routes), answers /-/ready unconditionally and reloads configuration on
// SIGHUP, none of which fits a database service. It uses the same pieces:
// kingpin flags, exporter-toolkit web flags (TLS and basic auth through
// --web.config.file), promslog, /metrics, /-/healthy, /-/ready.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"

	"github.com/jianguan/jianguan/internal/exporter"
	"github.com/jianguan/jianguan/internal/records"
)

const name = "jianguan-recorder"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string) int {
	if len(args) > 0 && (args[0] == "export" || args[0] == "purge") { // export.go
		return runExportPurge(ctx, args[0], args[1:])
	}
	cmd := exporter.NewCommand(name, "Operations records: Alertmanager webhooks, acknowledgements, signed-off records.", ":9814")
	configFile := cmd.App.Flag("config.file", "Path to the configuration file.").Default("/etc/jianguan/recorder.yml").String()
	checkOnly := cmd.App.Flag("config.check", "Only check the configuration file and exit.").Bool()
	logger, code := cmd.Parse(args)
	if logger == nil {
		return code
	}
	cfg, err := loadConfig(*configFile, cmd.WebConfigFile())
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: invalid configuration: %v\n", name, err)
		return 1
	}
	if *checkOnly {
		fmt.Printf("%s: %s is valid\n", name, *configFile)
		return 0
	}
	target := cfg.Database.Path
	if cfg.Database.Backend == records.Postgres {
		target = cfg.Database.dsn.Value()
	}
	// The database may be unreachable at start (PostgreSQL after a site-wide
	// power cut): start anyway, spool webhooks, retry opening in replayLoop.
	st := &lazyStore{open: func(ctx context.Context) (records.Store, error) {
		ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		return records.Open(ctx, cfg.Database.Backend, target)
	}}
	if err := st.ensure(ctx); err != nil {
		if cfg.Database.Backend == records.SQLite { // a local file: a configuration or disk problem, say so now
			logger.Error("cannot open the records database", "path", cfg.Database.Path, "err", err)
			return 1
		}
		logger.Error("cannot open the records database yet; spooling webhooks and retrying", "backend", cfg.Database.Backend, "err", err)
	}
	defer st.Close()
	sp, err := openSpool(cfg.Spool.Dir, cfg.Spool.MaxBytes, cfg.Spool.MaxFiles)
	if err != nil {
		logger.Error("cannot open the spool", "dir", cfg.Spool.Dir, "err", err)
		return 1
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		versioncollector.NewCollector("jianguan_recorder"))
	s := newServer(cfg, st, sp, logger, reg)
	mux := http.NewServeMux()
	s.register(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slogAdapter{logger}}))
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Healthy") })
	mux.HandleFunc("GET /-/ready", s.ready)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	replayDone := make(chan struct{})
	go func() { s.replayLoop(ctx); close(replayDone) }()
	opsDone := make(chan struct{})
	go func() { s.opsLoop(ctx); close(opsDone) }()

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	logger.Info("started", "name", name, "version", version.Info(), "config", *configFile, "backend", cfg.Database.Backend)
	code = cmd.Serve(ctx, srv, logger, 10*time.Second)
	cancel()
	<-replayDone
	<-opsDone
	return code
}

type slogAdapter struct {
	l interface{ Error(string, ...any) }
}

func (a slogAdapter) Println(v ...any) { a.l.Error(fmt.Sprint(v...)) }
