// Package exporter is the common frame of jianguan's exporters: flags
// (exporter-toolkit web flags, promslog flags, --config.file), the HTTP
// server (TLS and basic auth through --web.config.file), /metrics,
// /-/healthy, /-/ready, /-/reload (POST) and SIGHUP reload keeping the old
// config when the new one is invalid, a landing page listing what is
// checked and its state, and a /config page with every secret masked.
// Every server is bounded (limits.go): --web.max-requests heavy requests
// at once, read/write/idle timeouts, and a write deadline per scrape.
package exporter

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/version"

	"github.com/jianguan/jianguan/internal/config"
)

// Service is what one exporter plugs into the frame; C is the exporter's
// loaded configuration (e.g. *Config), so no service starts with a type
// assertion.
type Service[C any] interface {
	// Load reads and validates the config file; it must not touch running
	// state. Errors should be *config.Error (file:line: field: message).
	Load(path string) (C, error)
	// Apply switches to a config returned by Load. Called once at start and
	// on every successful reload.
	Apply(ctx context.Context, cfg C) error
	// Status lists the checked things for the landing page.
	Status() []StatusRow
	// Stop ends background work at shutdown.
	Stop()
}

// StatusRow is one line of the landing page.
type StatusRow struct {
	Name   string // e.g. device or line name
	Kind   string // e.g. "ups", "bgp"
	Where  string // e.g. "dc1/room-a"
	State  string // "up", "down", "unknown", …
	Detail string // free text: last error, age, …
}

// App describes one exporter binary whose configuration is a C.
type App[C any] struct {
	Name           string // e.g. "env_exporter"
	Namespace      string // e.g. "env"
	Help           string
	DefaultAddress string // e.g. ":9810"
	DefaultConfig  string // e.g. "env.yml"
	// Flags may add exporter-specific flags before parsing.
	Flags func(*kingpin.Application)
	// New builds the service once flags are parsed; it registers its
	// collectors on reg.
	New func(logger *slog.Logger, reg prometheus.Registerer) (Service[C], error)
}

// Main parses args, runs the exporter until SIGINT/SIGTERM and returns the
// process exit code.
func (a *App[C]) Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return a.Run(ctx, args)
}

// Run is Main with an explicit context: the exporter stops when ctx ends.
func (a *App[C]) Run(parent context.Context, args []string) int {
	cmd := NewCommand(a.Name, a.Help, a.DefaultAddress)
	kp := cmd.App
	configFile := kp.Flag("config.file", "Path to the configuration file.").Default(a.DefaultConfig).String()
	metricsPath := kp.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").String()
	checkOnly := kp.Flag("config.check", "Only check the configuration file and exit.").Bool()
	maxRequests := AddLimitFlags(kp)
	stateFlags := AddStateFlags(kp)
	if a.Flags != nil {
		a.Flags(kp)
	}
	logger, code := cmd.Parse(args)
	if logger == nil {
		return code
	}

	reg := newRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		versioncollector.NewCollector(a.Namespace+"_exporter"))
	svc, err := a.New(logger, reg)
	if err != nil {
		logger.Error("cannot start", "err", err)
		return 1
	}
	cfg, err := svc.Load(*configFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: invalid configuration: %v\n", a.Name, err)
		logger.Error("invalid configuration", "err", err)
		return 1
	}
	if *checkOnly {
		fmt.Fprintf(os.Stdout, "%s: %s is valid\n", a.Name, *configFile)
		return 0
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	r := &reloader[C]{namespace: a.Namespace, svc: svc, path: *configFile, logger: logger}
	r.register(reg)
	// State across restarts (state.go): installed before the first Apply
	// creates the trackers; the file is rewritten as not clean at once, so
	// only the clean stop below can let counters continue.
	var state *stateStore
	fams := reg.persisted()
	if *stateFlags.File != "" && len(fams.fams) > 0 {
		state = newStateStore(*stateFlags.File, a.Name, logger)
		saved := state.load()
		state.restore(saved, fams)
		defer func() {
			for _, f := range fams.fams {
				f.EndRestore() // when Apply failed, or at exit within the grace
			}
		}()
		if err := svc.Apply(ctx, cfg); err != nil {
			logger.Error("cannot apply configuration", "err", err)
			return 1
		}
		state.applied(saved, fams)
		go func() {
			t := time.NewTimer(RestoreGrace)
			defer t.Stop()
			select {
			case <-t.C:
				state.endRestore(saved, fams)
			case <-ctx.Done(): // not created yet: kept in the file by the final save
			}
		}()
		if err := state.save(fams, false); err != nil {
			// A clean file left behind would let a later start continue
			// from counters older than what this process will export.
			rmErr := os.Remove(*stateFlags.File)
			if errors.Is(rmErr, fs.ErrNotExist) {
				rmErr = nil
			}
			logger.Error("cannot write the state file: the state will not survive a restart", "file", *stateFlags.File, "err", err, "remove_err", rmErr)
		}
	} else if err := svc.Apply(ctx, cfg); err != nil {
		logger.Error("cannot apply configuration", "err", err)
		return 1
	}
	r.set(cfg)
	saveStop, saveDone := make(chan struct{}), make(chan struct{})
	if state != nil {
		go state.saveLoop(fams, *stateFlags.Interval, saveStop, saveDone)
	} else {
		close(saveDone)
	}

	// /metrics, / and /config render bodies that grow with the number of
	// targets: one shared in-flight limit; health, ready and reload stay
	// outside it so that a flood does not fail liveness probes.
	lim := NewLimiter(*maxRequests, a.Namespace, reg)
	mux := http.NewServeMux()
	mux.Handle(*metricsPath, lim.Wrap(reg.handler(logger)))
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Healthy") })
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Ready") })
	mux.HandleFunc("/-/reload", func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost && req.Method != http.MethodPut {
			w.Header().Set("Allow", "POST, PUT")
			http.Error(w, "use POST to reload the configuration", http.StatusMethodNotAllowed)
			return
		}
		if err := r.reload(ctx); err != nil {
			http.Error(w, "reload failed, old configuration kept: "+err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "configuration reloaded")
	})
	mux.Handle("/config", lim.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, config.Masked(r.get()))
	})))
	mux.Handle("/", lim.Wrap(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/" {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = landing.Execute(w, map[string]any{
			"Name": a.Name, "Help": a.Help, "Version": version.Info(), "Metrics": *metricsPath,
			"Rows": svc.Status(), "ConfigFile": *configFile,
		})
	})))

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				_ = r.reload(ctx)
			case <-ctx.Done():
				return
			}
		}
	}()

	srv := NewServer(mux)
	logger.Info("started", "name", a.Name, "version", version.Info(), "config", *configFile)
	code = cmd.Serve(ctx, srv, logger, 5*time.Second)
	cancel()
	svc.Stop()
	close(saveStop)
	<-saveDone
	if state != nil {
		// After Stop: the last probe result is applied and no scrape is
		// served any more, so the saved counters are at least what any
		// scrape saw and may continue after the restart.
		if err := state.save(fams, true); err != nil {
			logger.Error("cannot write the state file at stop: the counters since the last save start again at 0", "file", *stateFlags.File, "err", err)
		} else {
			logger.Info("state saved", "file", *stateFlags.File)
		}
	}
	return code
}

type reloader[C any] struct {
	namespace string
	svc       Service[C]
	path      string
	logger    *slog.Logger

	mu      sync.Mutex
	cfg     C
	ok      prometheus.Gauge
	okTime  prometheus.Gauge
	reloads *prometheus.CounterVec
}

func (r *reloader[C]) register(reg prometheus.Registerer) {
	ns := r.namespace
	r.ok = prometheus.NewGauge(prometheus.GaugeOpts{Name: ns + "_config_last_reload_successful", Help: "1 if the last configuration load succeeded."})
	r.okTime = prometheus.NewGauge(prometheus.GaugeOpts{Name: ns + "_config_last_reload_success_timestamp_seconds", Help: "Unix time of the last successful configuration load."})
	r.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "_config_reloads_total", Help: "Configuration reloads by result."}, []string{"result"})
	reg.MustRegister(r.ok, r.okTime, r.reloads)
}

func (r *reloader[C]) set(cfg C) {
	r.mu.Lock()
	r.cfg = cfg
	r.mu.Unlock()
	r.ok.Set(1)
	r.okTime.SetToCurrentTime()
}

func (r *reloader[C]) get() C {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg
}

// reload loads the file again; on any error the running config stays.
func (r *reloader[C]) reload(ctx context.Context) error {
	cfg, err := r.svc.Load(r.path)
	if err == nil {
		err = r.svc.Apply(ctx, cfg)
	}
	if err != nil {
		r.ok.Set(0)
		r.reloads.WithLabelValues("failure").Inc()
		r.logger.Error("configuration reload failed, old configuration kept", "err", err)
		return err
	}
	r.set(cfg)
	r.reloads.WithLabelValues("success").Inc()
	r.logger.Info("configuration reloaded", "file", r.path)
	return nil
}

var landing = template.Must(template.New("landing").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Name}}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
.up{background:#d4f7d4}.down{background:#f7d4d4}.unknown{background:#eee}</style></head>
<body><h1>{{.Name}}</h1><p>{{.Help}}</p><p>{{.Version}}</p>
<p><a href="{{.Metrics}}">Metrics 指标</a> · <a href="/config">Configuration 配置</a> ({{.ConfigFile}}) · <a href="/-/healthy">Health</a></p>
<h2>状态 / State</h2>
<table><tr><th>名称 Name</th><th>类型 Kind</th><th>位置 Where</th><th>状态 State</th><th>详情 Detail</th></tr>
{{range .Rows}}<tr class="{{.State}}"><td>{{.Name}}</td><td>{{.Kind}}</td><td>{{.Where}}</td><td>{{.State}}</td><td>{{.Detail}}</td></tr>
{{else}}<tr><td colspan="5">nothing configured</td></tr>{{end}}
</table></body></html>
`))
