package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/redact"
)

// beijing is calendar.Zone (Asia/Shanghai, tzdata embedded), so the message does not depend
// on the host's tzdata or TZ.
var beijing = calendar.Zone

// event is what a notifier is asked to deliver.
type event struct {
	Status        string // "firing" | "resolved"
	Name          string // what is watched, e.g. "bj1 Prometheus→Alertmanager"
	Site          string // site label of the notification
	RunbookURL    string // optional
	Timeout       time.Duration
	LastHeartbeat time.Time // zero: none since start
	StartedAt     time.Time // deadman process start (used when no heartbeat was ever seen)
	FiringSince   time.Time // when the heartbeat was declared missing
	ResolvedAt    time.Time // resolved only
	ExternalURL   string
}

// notifier delivers an event through one independent path.
type notifier interface {
	Name() string
	Notify(ctx context.Context, e event) error
}

type metrics struct {
	lastHeartbeat prometheus.Gauge
	heartbeats    prometheus.Counter
	alerting      prometheus.Gauge
	notifications *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		lastHeartbeat: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "deadman_heartbeat_last_timestamp_seconds",
			Help: "Unix time of the last Watchdog heartbeat received (0 = none since start).",
		}),
		heartbeats: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "deadman_heartbeats_total",
			Help: "Watchdog heartbeats received from Alertmanager.",
		}),
		alerting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "deadman_alerting",
			Help: "1 = heartbeats missing for longer than the timeout (the dead man's switch has fired).",
		}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "deadman_notifications_total",
			Help: "Notifications sent by the dead man's switch, by result (success, failure).",
		}, []string{"result"}),
	}
	m.notifications.WithLabelValues("success")
	m.notifications.WithLabelValues("failure")
	reg.MustRegister(m.lastHeartbeat, m.heartbeats, m.alerting, m.notifications)
	return m
}

// sendState is what one notifier has successfully delivered so far.
type sendState struct {
	sent     string // "", "firing", "resolved"
	lastSent time.Time
}

// Switch is the dead man's switch: heartbeats reset it; Check fires it when the last
// heartbeat is older than the timeout and resolves it when heartbeats come back. Each
// notifier is tracked separately and retried on every check until it has delivered the
// current state.
type Switch struct {
	Timeout        time.Duration
	RepeatInterval time.Duration // re-send firing this often while still missing; 0 = never
	NotifyTimeout  time.Duration
	Name, Site     string
	RunbookURL     string
	ExternalURL    string

	logger    *slog.Logger
	m         *metrics
	notifiers []notifier
	now       func() time.Time

	mu          sync.Mutex
	started     time.Time
	last        time.Time // last heartbeat; zero = none yet
	alerting    bool
	firingSince time.Time
	resolvedAt  time.Time
	state       map[string]*sendState

	checkMu sync.Mutex // one Check at a time (notifications are sent outside mu)
	kick    chan struct{}
}

func newSwitch(logger *slog.Logger, m *metrics, notifiers []notifier, now func() time.Time) *Switch {
	s := &Switch{logger: logger, m: m, notifiers: notifiers, now: now, state: map[string]*sendState{}, kick: make(chan struct{}, 1)}
	s.started = now()
	for _, n := range notifiers {
		s.state[n.Name()] = &sendState{}
	}
	return s
}

// Heartbeat records one heartbeat and asks the loop for an immediate check (so that a
// resolved notification goes out at once).
func (s *Switch) Heartbeat() {
	now := s.now()
	s.mu.Lock()
	s.last = now
	s.mu.Unlock()
	s.m.heartbeats.Inc()
	s.m.lastHeartbeat.Set(float64(now.UnixNano()) / 1e9)
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// reference is the time the silence is measured from: the last heartbeat or, before the
// first one, the start of the process (a switch that never heard anything must fire too).
func (s *Switch) reference() time.Time {
	if s.last.IsZero() {
		return s.started
	}
	return s.last
}

// Check evaluates the switch and sends what is due.
func (s *Switch) Check(ctx context.Context) {
	s.checkMu.Lock()
	defer s.checkMu.Unlock()
	now := s.now()
	s.mu.Lock()
	ref := s.reference()
	missing := now.Sub(ref) > s.Timeout
	switch {
	case missing && !s.alerting:
		s.alerting = true
		s.firingSince = ref.Add(s.Timeout)
		s.logger.Warn("heartbeats missing: firing", "last_heartbeat", s.last, "timeout", s.Timeout)
	case !missing && s.alerting:
		s.alerting = false
		s.resolvedAt = now
		s.logger.Info("heartbeats back: resolving", "last_heartbeat", s.last, "firing_since", s.firingSince)
	}
	if s.alerting {
		s.m.alerting.Set(1)
	} else {
		s.m.alerting.Set(0)
	}
	e := event{Name: s.Name, Site: s.Site, RunbookURL: s.RunbookURL, Timeout: s.Timeout, LastHeartbeat: s.last,
		StartedAt: s.started, FiringSince: s.firingSince, ResolvedAt: s.resolvedAt, ExternalURL: s.ExternalURL}
	type job struct {
		n  notifier
		st *sendState
	}
	var due []job
	for _, n := range s.notifiers {
		st := s.state[n.Name()]
		switch {
		case s.alerting && st.sent != "firing":
			due = append(due, job{n, st})
		case s.alerting && s.RepeatInterval > 0 && now.Sub(st.lastSent) >= s.RepeatInterval:
			due = append(due, job{n, st})
		case !s.alerting && st.sent == "firing":
			due = append(due, job{n, st})
		}
	}
	if s.alerting {
		e.Status = "firing"
	} else {
		e.Status = "resolved"
	}
	s.mu.Unlock()

	for _, j := range due {
		cctx, cancel := context.WithTimeout(ctx, s.NotifyTimeout)
		err := j.n.Notify(cctx, e)
		cancel()
		if err != nil {
			s.m.notifications.WithLabelValues("failure").Inc()
			// The notifiers' client already redacts; this is the last line of
			// defence for any URL a server or library put into the text.
			s.logger.Error("notification failed, will retry at the next check", "notifier", j.n.Name(), "status", e.Status, "err", redact.Error(err))
			continue
		}
		s.m.notifications.WithLabelValues("success").Inc()
		s.logger.Info("notification sent", "notifier", j.n.Name(), "status", e.Status)
		s.mu.Lock()
		j.st.sent, j.st.lastSent = e.Status, s.now()
		s.mu.Unlock()
	}
}

// Run checks every interval (and right after each heartbeat) until ctx ends.
func (s *Switch) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.Check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
	}
}

// amWebhook is the part of Alertmanager's webhook payload (version 4) we look at.
type amWebhook struct {
	Version  string `json:"version"`
	Status   string `json:"status"`
	Receiver string `json:"receiver"`
	Alerts   []struct {
		Status string            `json:"status"`
		Labels map[string]string `json:"labels"`
	} `json:"alerts"`
}

// heartbeatHandler accepts Alertmanager webhook notifications. A notification counts as a
// heartbeat when it carries at least one firing alert (the Watchdog); anything else is
// acknowledged (so Alertmanager does not retry) but not counted.
func heartbeatHandler(s *Switch, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST an Alertmanager webhook notification", http.StatusMethodNotAllowed)
			return
		}
		var p amWebhook
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&p); err != nil {
			logger.Warn("heartbeat: bad payload", "remote", r.RemoteAddr, "err", err)
			http.Error(w, "bad Alertmanager webhook payload: "+err.Error(), http.StatusBadRequest)
			return
		}
		firing := 0
		for _, a := range p.Alerts {
			if a.Status == "firing" {
				firing++
			}
		}
		if firing == 0 {
			logger.Warn("heartbeat: notification without a firing alert ignored", "status", p.Status, "receiver", p.Receiver)
			fmt.Fprintln(w, "ignored: no firing alert")
			return
		}
		s.Heartbeat()
		logger.Debug("heartbeat", "receiver", p.Receiver, "alerts", firing)
		fmt.Fprintln(w, "ok")
	})
}
