package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/exporter"
	"github.com/jianguan/jianguan/internal/icmp"
	"github.com/jianguan/jianguan/internal/metricnames"
)

// pinger is the part of *icmp.Pinger the exporter uses.
type pinger interface {
	Send(addr netip.Addr, timeout time.Duration, cb func(icmp.Result))
	Close() error
}

// options are the command-line settings of the service.
type options struct {
	shard      shard
	icmpMode   icmp.Mode
	icmpSource netip.Addr
	icmpEngine icmp.Engine
	// onChange is called (debounced) when a watched file changed; nil
	// reloads inside the service.
	onChange func()
	// noWatch disables the file watcher.
	noWatch bool
	// newPinger overrides the ICMP engine (tests).
	newPinger func() (pinger, error)
}

// service implements exporter.Service.
type service struct {
	log  *slog.Logger
	opts options

	// probeEnv is handed to every host and website (probes.go).
	*probeEnv
	cancel context.CancelFunc

	hostFam, webFam *avail.Family

	targets *prometheus.GaugeVec

	mu       sync.RWMutex
	cfg      *Config
	hosts    map[string]*host
	websites map[string]*website
	watcher  *watcher
	path     string
}

func newService(logger *slog.Logger, reg prometheus.Registerer, o options) (*service, error) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &service{
		log: logger, opts: o, cancel: cancel,
		probeEnv: &probeEnv{ctx: ctx, sched: newScheduler(), web: newWebProber(),
			skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "uptime_probes_skipped_total",
				Help: "Probes not started because the worker pool was saturated."}, []string{"kind"})},
		hostFam:  avail.NewFamily(avail.FamilyOpts{Namespace: metricnames.Host.Namespace, Labels: hostLabels, What: "host"}),
		webFam:   avail.NewFamily(avail.FamilyOpts{Namespace: metricnames.Website.Namespace, Labels: websiteLabels, What: "website"}),
		hosts:    map[string]*host{},
		websites: map[string]*website{},
		targets: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "uptime_targets",
			Help: "Targets probed by this instance (after sharding)."}, []string{"kind"}),
	}
	for _, k := range []string{"host", "website"} {
		s.skipped.WithLabelValues(k)
		s.targets.WithLabelValues(k)
	}
	if reg != nil {
		if err := registerAll(reg, s.hostFam, s.webFam, s.skipped, s.targets, &hostCollector{s}, &websiteCollector{s}); err != nil {
			cancel()
			return nil, err
		}
	}
	return s, nil
}

func registerAll(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Load implements exporter.Service.
func (s *service) Load(path string) (*Config, error) {
	cfg, err := loadConfig(path, s.opts.shard)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// Apply implements exporter.Service: targets whose identity is unchanged
// keep their trackers (counters), probe counters and schedule.
func (s *service) Apply(_ context.Context, cfg *Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.httpPool == nil {
		s.httpPool = newPool(cfg.HTTPWorkers, 4096)
		s.tcpPool = newPool(cfg.TCPWorkers, 65536)
	}
	needICMP := false
	for _, h := range cfg.hosts {
		needICMP = needICMP || h.icmp
	}
	if needICMP && s.currentPinger() == nil {
		p, err := s.openPinger()
		if err != nil {
			return err
		}
		s.setPinger(p)
	}
	now := time.Now()
	var hc, wc exporter.Changes
	s.hosts, hc = exporter.Reconcile(s.hosts, cfg.hosts, s.hostReconciler(cfg, now))
	s.hostFam.Retain(specLabels(cfg.hosts, func(h *hostSpec) []string { return h.labels }))
	s.websites, wc = exporter.Reconcile(s.websites, cfg.websites, s.websiteReconciler(cfg, now))
	s.webFam.Retain(specLabels(cfg.websites, func(w *websiteSpec) []string { return w.labels }))
	added, removed, changed := hc.Added+wc.Added, hc.Removed+wc.Removed, hc.Changed
	s.targets.WithLabelValues("host").Set(float64(len(s.hosts)))
	s.targets.WithLabelValues("website").Set(float64(len(s.websites)))
	s.cfg = cfg
	s.log.Info("targets applied", "hosts", len(s.hosts), "websites", len(s.websites), "added", added,
		"removed", removed, "changed", changed, "shard", fmt.Sprintf("%d/%d", cfg.shard.i, cfg.shard.n),
		"other_shards_hosts", cfg.skipped["host"], "other_shards_websites", cfg.skipped["website"])
	if len(s.hosts) > warnHosts || len(s.websites) > warnWebsites {
		s.log.Warn("more targets than the tested scale of one instance; watch the probe rate (uptime_probes_skipped_total) and the scrape duration, or split the list with --shard",
			"hosts", len(s.hosts), "tested_hosts", warnHosts, "websites", len(s.websites), "warn_above_websites", warnWebsites)
	}
	s.watch(cfg)
	return nil
}

func specLabels[S any](specs []S, labels func(S) []string) [][]string {
	keep := make([][]string, 0, len(specs))
	for _, sp := range specs {
		keep = append(keep, labels(sp))
	}
	return keep
}

// hostReconciler keeps a host whose checks are unchanged (a new interval
// reschedules it); a changed host starts again with the counters of the
// checks it still has.
func (s *service) hostReconciler(cfg *Config, now time.Time) exporter.Reconciler[*hostSpec, *host] {
	tracker := func(spec *hostSpec) *avail.Tracker { // also updates a kept tracker's rule and calendar
		return s.hostFam.Tracker(spec.rule, cfg.calendar(hostLabels, spec.labels), spec.labels...)
	}
	return exporter.Reconciler[*hostSpec, *host]{
		ID: func(spec *hostSpec) string { return spec.id },
		Keep: func(old *host, spec *hostSpec) bool {
			tracker(spec)
			old.mu.Lock()
			same := sameChecks(old.spec, spec)
			oldInterval := old.spec.interval
			if same {
				old.spec = spec
			}
			old.mu.Unlock()
			if same && oldInterval != spec.interval {
				s.sched.schedule(&old.ev, now.Add(offset(spec.id, spec.interval)))
			}
			return same
		},
		Stop: func(_ string, h *host, _ bool) { s.removeHost(h) },
		Start: func(spec *hostSpec, old *host, _ bool) *host {
			h := newHost(s.probeEnv, spec, tracker(spec), old)
			s.sched.schedule(&h.ev, now.Add(offset(spec.id, spec.interval)))
			return h
		},
	}
}

// websiteReconciler keeps every website whose id stays, updating its
// settings (a new client when they changed) and schedule in place.
func (s *service) websiteReconciler(cfg *Config, now time.Time) exporter.Reconciler[*websiteSpec, *website] {
	tracker := func(spec *websiteSpec) *avail.Tracker {
		return s.webFam.Tracker(spec.rule, cfg.calendar(websiteLabels, spec.labels), spec.labels...)
	}
	return exporter.Reconciler[*websiteSpec, *website]{
		ID: func(spec *websiteSpec) string { return spec.id },
		Keep: func(w *website, spec *websiteSpec) bool {
			tracker(spec)
			w.mu.Lock()
			oldInterval := w.spec.interval
			if w.spec.settingsKey != spec.settingsKey {
				w.client = s.web.newClient(spec)
			}
			w.spec = spec
			w.mu.Unlock()
			if oldInterval != spec.interval {
				s.sched.schedule(&w.ev, now.Add(offset(spec.id, spec.interval)))
			}
			return true
		},
		Stop: func(_ string, w *website, _ bool) {
			w.mu.Lock()
			w.removed = true
			w.mu.Unlock()
			s.sched.cancel(&w.ev)
			s.sched.cancel(&w.rc)
		},
		Start: func(spec *websiteSpec, _ *website, _ bool) *website {
			w := &website{env: s.probeEnv, spec: spec, tracker: tracker(spec), client: s.web.newClient(spec), ev: event{index: -1}, rc: event{index: -1}}
			w.ev.fire = w.fire
			w.rc.fire = w.fireRecheck
			s.sched.schedule(&w.ev, now.Add(offset(spec.id, spec.interval)))
			return w
		},
	}
}

func (s *service) removeHost(h *host) {
	h.mu.Lock()
	h.removed = true
	h.mu.Unlock()
	s.sched.cancel(&h.ev)
	s.sched.cancel(&h.burstEv)
}

// offset spreads the first probe of a target over its interval, stable
// for a given target.
func offset(id string, interval time.Duration) time.Duration {
	return time.Duration(shardHash("offset", id) % uint64(interval))
}

func (s *service) openPinger() (pinger, error) {
	if s.opts.newPinger != nil {
		return s.opts.newPinger()
	}
	p, err := icmp.New(icmp.Options{Mode: s.opts.icmpMode, Source: s.opts.icmpSource, Engine: s.opts.icmpEngine, Logger: s.log})
	if err != nil {
		return nil, fmt.Errorf("icmp: %w", err)
	}
	return p, nil
}

// Status implements exporter.Service: targets not up first, at most 2000
// rows.
func (s *service) Status() []exporter.StatusRow {
	var rows []exporter.StatusRow
	for _, it := range s.hostFam.Items() {
		l := it.Snapshot
		rows = append(rows, exporter.StatusRow{Name: it.Labels[0] + " (" + it.Labels[1] + ")", Kind: "host",
			Where: strings.Trim(it.Labels[5]+"/"+it.Labels[2]+"/"+it.Labels[3], "/"), State: l.State.String(), Detail: s.hostDetail(it.Labels)})
	}
	for _, it := range s.webFam.Items() {
		rows = append(rows, exporter.StatusRow{Name: it.Labels[0], Kind: "website",
			Where: strings.Trim(it.Labels[4]+"/"+it.Labels[2]+"/"+it.Labels[3], "/"), State: it.Snapshot.State.String(), Detail: s.webDetail(it.Labels)})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].State != "up" && rows[j].State == "up" })
	if len(rows) > 2000 {
		n := len(rows) - 2000
		rows = append(rows[:2000], exporter.StatusRow{Name: fmt.Sprintf("… %d more (all up)", n)})
	}
	return rows
}

func (s *service) hostDetail(labels []string) string {
	s.mu.RLock()
	h := s.hosts[strings.Join(labels, "\xff")]
	s.mu.RUnlock()
	if h == nil {
		return ""
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lastErr != "" {
		return h.lastErr
	}
	if h.lastRTT > 0 {
		return "rtt " + h.lastRTT.Round(time.Microsecond).String()
	}
	return ""
}

func (s *service) webDetail(labels []string) string {
	s.mu.RLock()
	w := s.websites[strings.Join(labels, "\xff")]
	s.mu.RUnlock()
	if w == nil {
		return ""
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.haveLast {
		return ""
	}
	if !w.last.ok {
		return reasonNames[w.last.reason] + ": " + w.last.err
	}
	return fmt.Sprintf("%d in %s", w.last.status, w.last.phases[phaseTotal].Round(time.Millisecond))
}

// Stop implements exporter.Service.
func (s *service) Stop() {
	s.mu.Lock()
	if s.watcher != nil {
		s.watcher.close()
		s.watcher = nil
	}
	s.mu.Unlock()
	s.sched.close()
	s.cancel()
	s.mu.Lock()
	hp, tp := s.httpPool, s.tcpPool
	s.mu.Unlock()
	p := s.currentPinger()
	if hp != nil {
		hp.close()
		tp.close()
	}
	if p != nil {
		p.Close()
	}
	s.web.close()
}

// watch (re)configures the file watcher (s.mu held).
func (s *service) watch(cfg *Config) {
	s.path = cfg.path
	if s.opts.noWatch {
		return
	}
	if s.watcher == nil {
		onChange := s.opts.onChange
		if onChange == nil {
			onChange = s.reloadSelf
		}
		w, err := newWatcher(s.log, onChange)
		if err != nil {
			s.log.Warn("cannot watch target files; reload with SIGHUP or POST /-/reload", "err", err)
			return
		}
		s.watcher = w
	}
	s.watcher.set(cfg)
}

// reloadSelf loads the files again; on error the running targets stay.
func (s *service) reloadSelf() {
	s.mu.RLock()
	path := s.path
	s.mu.RUnlock()
	cfg, err := s.Load(path)
	if err != nil {
		s.log.Error("target reload failed, previous targets kept", "err", err)
		return
	}
	if err := s.Apply(s.ctx, cfg); err != nil {
		s.log.Error("target reload failed, previous targets kept", "err", err)
	}
}
