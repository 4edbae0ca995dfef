package main

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/exporter"
	"github.com/jianguan/jianguan/internal/icmp"
	"github.com/jianguan/jianguan/internal/metricnames"
	"github.com/jianguan/jianguan/internal/snmp"
)

// service is line_exporter's exporter.Service.
type service struct {
	log     *slog.Logger
	m       *metrics
	lines   *avail.Family
	signals *avail.Family
	poller  *snmp.Poller
	pingers *pingers

	mu       sync.Mutex
	cfg      *Config
	running  map[string]*lineRun // by line name
	dispatch map[string][]func(*snmp.Result)
	stopEval chan struct{}
	evalDone chan struct{}
}

// lineRun is the running state of one line.
type lineRun struct {
	key    string // config fingerprint: unchanged lines keep running on reload
	line   *line
	icmp   []*icmpTarget
	snmp   map[string][]func(*snmp.Result) // router → handlers
	labels [][]string                      // signal label sets (for Retain)
}

func newService(logger *slog.Logger, reg prometheus.Registerer, io icmp.Options) (*service, error) {
	s := &service{
		log:     logger,
		lines:   avail.NewFamily(avail.FamilyOpts{Namespace: metricnames.Line.Namespace, Labels: lineLabels, What: "line"}),
		signals: avail.NewFamily(avail.FamilyOpts{Namespace: metricnames.LineSignal.Namespace, Labels: withLabels("signal", "target"), What: "signal of a line"}),
		running: map[string]*lineRun{},
	}
	s.m = newMetrics(reg, s.lines)
	s.pingers = newPingers(io)
	s.poller = snmp.New(snmp.Options{Namespace: "line", Labels: []string{"site", "device"}, Logger: logger, OnPoll: s.onPoll})
	reg.MustRegister(s.lines, s.signals, s.poller)
	return s, nil
}

// Load implements exporter.Service.
func (*service) Load(path string) (*Config, error) { return LoadConfig(path) }

// Apply implements exporter.Service: unchanged lines keep running.
func (s *service) Apply(_ context.Context, cfg *Config) error {
	// Fail at start-up when no ICMP socket can be opened at all: the error
	// explains both fixes.
	for _, l := range cfg.Lines {
		if len(l.ICMP) > 0 {
			if _, err := s.pingers.get(""); err != nil {
				return err
			}
			break
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var starts []*icmpTarget
	next, _ := exporter.Reconcile(s.running, cfg.lines(), s.reconciler(cfg, time.Now(), &starts))
	var keepLines, keepSignals [][]string
	for _, l := range cfg.Lines {
		keepLines = append(keepLines, next[l.Name].line.labels)
		keepSignals = append(keepSignals, next[l.Name].labels...)
	}
	s.lines.Retain(keepLines)
	s.signals.Retain(keepSignals)
	s.running, s.cfg = next, cfg
	targets, err := s.setRouters(cfg, next)
	if err != nil {
		return err
	}
	for _, t := range starts {
		t.start(stagger(t))
	}
	if s.stopEval == nil {
		s.stopEval, s.evalDone = make(chan struct{}), make(chan struct{})
		go s.evalLoop()
	}
	s.log.Info("configuration applied", "lines", len(cfg.Lines), "routers", targets)
	return nil
}

// stagger spreads the first probes of ICMP targets across the interval,
// stable per target.
func stagger(t *icmpTarget) time.Duration {
	h := fnv.New32a()
	h.Write([]byte(t.sig.line.cfg.Name + "\xff" + t.cfg.Address))
	return time.Duration(uint64(h.Sum32()) % uint64(time.Duration(t.cfg.Interval)))
}

// lines lists the configured lines by reference (for exporter.Reconcile).
func (c *Config) lines() []*Line {
	ls := make([]*Line, len(c.Lines))
	for i := range c.Lines {
		ls[i] = &c.Lines[i]
	}
	return ls
}

// reconciler keeps a line whose fingerprint is unchanged; a changed line
// is rebuilt keeping the counters of the signals it still has. The ICMP
// targets of new lines are collected in starts.
func (s *service) reconciler(cfg *Config, now time.Time, starts *[]*icmpTarget) exporter.Reconciler[*Line, *lineRun] {
	return exporter.Reconciler[*Line, *lineRun]{
		ID:   func(l *Line) string { return l.Name },
		Keep: func(old *lineRun, l *Line) bool { return old.key == fingerprint(cfg, l) },
		Stop: func(name string, old *lineRun, removed bool) {
			old.stop()
			if removed {
				s.m.forget(name)
			} else {
				s.m.forgetGauges(name)
			}
		},
		Start: func(l *Line, _ *lineRun, replaced bool) *lineRun {
			lr := s.build(cfg, l, fingerprint(cfg, l), now)
			if replaced {
				keep := map[string]bool{}
				for _, sl := range lr.labels {
					keep[sl[len(sl)-1]] = true // target, interface or peer
				}
				s.m.retainCounters(lr.line.labels, keep)
			}
			*starts = append(*starts, lr.icmp...)
			return lr
		},
	}
}

// setRouters gives the SNMP poller one target per router in use and
// returns how many.
func (s *service) setRouters(cfg *Config, running map[string]*lineRun) (int, error) {
	dispatch := map[string][]func(*snmp.Result){}
	for _, lr := range running {
		for r, hs := range lr.snmp {
			dispatch[r] = append(dispatch[r], hs...)
		}
	}
	s.dispatch = dispatch
	var targets []snmp.Target
	for _, r := range cfg.Routers {
		if _, used := dispatch[r.Name]; !used {
			continue
		}
		req := snmp.Request{Uptime: true}
		walkIF := false
		for _, l := range cfg.Lines {
			if l.Router != r.Name {
				continue
			}
			if l.Interface != nil {
				walkIF = true
			}
			for _, p := range l.BGPPeers {
				req.Get = append(req.Get, bgpOIDs(p)...)
			}
		}
		if walkIF {
			req.Walk = ifColumns
		}
		targets = append(targets, snmp.Target{Name: r.Name, Address: r.Address, Auth: r.Auth,
			Interval: time.Duration(r.Interval), Timeout: time.Duration(r.Timeout), Retries: r.Retries,
			MaxRows: r.WalkMaxRows, Deadline: time.Duration(r.PollDeadline),
			Labels: map[string]string{"site": r.Site, "device": r.Name}, Request: req})
	}
	return len(targets), s.poller.SetTargets(targets)
}

// evalLoop advances lines whose signals are quiet (polled signals are held
// until now while their last poll is fresh).
func (s *service) evalLoop() {
	defer close(s.evalDone)
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.stopEval:
			return
		case now := <-t.C:
			s.mu.Lock()
			rs := make([]*lineRun, 0, len(s.running))
			for _, lr := range s.running {
				rs = append(rs, lr)
			}
			s.mu.Unlock()
			for _, lr := range rs {
				for _, sig := range lr.line.signals {
					sig.checkStale(now)
				}
				lr.line.evaluate(now)
			}
		}
	}
}

func fingerprint(cfg *Config, l *Line) string {
	b, _ := json.Marshal(struct {
		L Line
		R KindRules
		D Defaults
		C string
	}{*l, cfg.rules(l), cfg.Defaults, fmt.Sprint(cfg.Maintenance, cfg.Timezone)})
	return string(b)
}

func (s *service) build(cfg *Config, l *Line, key string, now time.Time) *lineRun {
	lv := []string{l.Name, l.Kind, l.Provider, l.Site}
	cal := cfg.cals[l.Name]
	rules := cfg.rules(l)
	ln := &line{cfg: *l, labels: lv, tracker: s.lines.Tracker(avail.Rule{DownAfter: 1, UpAfter: 1}, cal, lv...)}
	lr := &lineRun{key: key, line: ln, snmp: map[string][]func(*snmp.Result){}}
	s.m.capacity.WithLabelValues(lv...).Set(float64(l.Capacity) / 8)
	newSig := func(kind, target string, rule avail.Rule, fresh time.Duration) *signal {
		sl := withLabels("signal", "target")[:0]
		sl = append(append(sl, lv...), kind, target)
		sig := &signal{kind: kind, target: target, line: ln, problem: s.m.problem, labels: sl, fresh: fresh,
			tracker: s.signals.Tracker(rule, cal, sl...)}
		sig.tracker.RecordTransitions(now)
		// A tracker kept by a reload or restored from the state file
		// (--state.file) starts the line from its state, not from unknown.
		sig.cur = sig.tracker.State()
		ln.signals = append(ln.signals, sig)
		lr.labels = append(lr.labels, sl)
		return sig
	}
	for _, t := range l.ICMP {
		sig := newSig("icmp", t.Address, *rules.ICMP, 0)
		lr.icmp = append(lr.icmp, newICMPTarget(sig, t, cfg.Defaults, s.pingers, s.m, append(append([]string(nil), lv...), t.Address)))
	}
	var router *Router
	for i := range cfg.Routers {
		if cfg.Routers[i].Name == l.Router {
			router = &cfg.Routers[i]
		}
	}
	if router != nil {
		fresh := 2*time.Duration(router.Interval) + time.Duration(router.Timeout)*time.Duration(router.Retries+1) + time.Second
		if l.Interface != nil {
			ref := l.Interface.String()
			sig := newSig("interface", ref, *rules.Interface, fresh)
			is := newIfaceSignal(sig, l, s.m, append(append([]string(nil), lv...), ref))
			lr.snmp[router.Name] = append(lr.snmp[router.Name], is.onPoll)
		}
		for _, p := range l.BGPPeers {
			sig := newSig("bgp", p, *rules.BGP, fresh)
			bs := newBGPSignal(sig, router.Name, p, s.m, append(append([]string(nil), lv...), p))
			lr.snmp[router.Name] = append(lr.snmp[router.Name], bs.onPoll)
		}
	}
	return lr
}

func (lr *lineRun) stop() {
	for _, t := range lr.icmp {
		t.stop()
	}
}

func (s *service) onPoll(r *snmp.Result) {
	s.mu.Lock()
	hs := s.dispatch[r.Target]
	s.mu.Unlock()
	for _, h := range hs {
		h(r)
	}
}

// Status implements exporter.Service.
func (s *service) Status() []exporter.StatusRow {
	s.mu.Lock()
	rs := make([]*lineRun, 0, len(s.running))
	for _, lr := range s.running {
		rs = append(rs, lr)
	}
	s.mu.Unlock()
	sort.Slice(rs, func(i, j int) bool { return rs[i].line.cfg.Name < rs[j].line.cfg.Name })
	out := make([]exporter.StatusRow, 0, len(rs))
	for _, lr := range rs {
		st, detail := lr.line.status()
		c := lr.line.cfg
		out = append(out, exporter.StatusRow{Name: c.Name, Kind: c.Kind, Where: c.Site + " / " + c.Provider, State: st.String(), Detail: detail})
	}
	return out
}

// Stop implements exporter.Service.
func (s *service) Stop() {
	s.mu.Lock()
	for _, lr := range s.running {
		lr.stop()
	}
	if s.stopEval != nil {
		close(s.stopEval)
		<-s.evalDone
		s.stopEval = nil
	}
	s.mu.Unlock()
	s.poller.Stop()
	s.pingers.close()
}
