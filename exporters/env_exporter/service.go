package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/exporter"
	"github.com/jianguan/jianguan/internal/snmp"

	"github.com/jianguan/jianguan/internal/constmetric"
)

// service is env_exporter's exporter.Service and prometheus.Collector.
type service struct {
	log         *slog.Logger
	profilesDir string

	mu     sync.Mutex // Apply
	poller *snmp.Poller
	family *avail.Family
	rt     atomic.Pointer[runtime]
	stop   context.CancelFunc
	done   chan struct{}

	descs   map[string]*prometheus.Desc
	roomD   map[string]*prometheus.Desc
	thrD    map[string]*prometheus.Desc
	pollerC prometheus.Collector
}

type runtime struct {
	cfg     *Config
	devices map[string]*devState // key site/device
	order   []*devState
	rooms   []*roomState
}

type devState struct {
	key, site, room string
	dev             *Device
	thr             Thresholds
	fp              string

	mu      sync.Mutex
	polled  bool
	ok      bool
	lastErr string
	samples []sample
	at      time.Time
	conds   map[string]*avail.Tracker
}

type roomState struct {
	site    string
	room    *Room
	ups     []*devState
	cooling []*devState
	feeds   []*devState
	conds   map[string]*avail.Tracker
}

func newService(logger *slog.Logger, reg prometheus.Registerer, profilesDir string) (*service, error) {
	s := &service{log: logger, profilesDir: profilesDir,
		family: avail.NewFamily(avail.FamilyOpts{Namespace: "env_condition", Labels: []string{"site", "room", "device", "condition"},
			GoodName: "ok", BadName: "active", What: "condition"}),
		descs: map[string]*prometheus.Desc{}, roomD: map[string]*prometheus.Desc{}, thrD: map[string]*prometheus.Desc{}}
	base := []string{"site", "room", "device"}
	for name, def := range signalDefs {
		s.descs[name] = constmetric.NewDesc(def.metric, def.help, append(append([]string{}, base...), def.labels...))
	}
	room := []string{"site", "room"}
	for name, help := range map[string]string{
		"ups_redundancy_intact":  "1 if both UPS of the room's 2N pair are reachable and online (not on battery, not on bypass).",
		"cooling_units_running":  "Cooling (CRAC) units of the room running.",
		"cooling_units_required": "Cooling units required to run (N+1).",
		"feeds_up":               "Utility feeds of the room present.",
		"feeds_required":         "Utility feeds required (2).",
	} {
		s.roomD[name] = constmetric.NewDesc("env_"+name, help, room)
	}
	for name, help := range map[string]string{
		"temperature_low_celsius":   "Lower limit of the temperature band in degrees Celsius (contract: 21).",
		"temperature_high_celsius":  "Upper limit of the temperature band in degrees Celsius (contract: 27).",
		"humidity_high_ratio":       "Upper limit of relative humidity, 0..1 (contract: 0.60).",
		"ups_runtime_min_seconds":   "Minimum UPS battery runtime at full load in seconds (contract: 900).",
		"rack_power_warning_watts":  "Rack power warning threshold in watts (contract: 4000).",
		"rack_power_critical_watts": "Rack power critical threshold in watts (contract: 5000).",
	} {
		s.thrD[name] = constmetric.NewDesc("env_threshold_"+name, help, room)
	}
	if err := reg.Register(s); err != nil {
		return nil, err
	}
	if err := reg.Register(s.family); err != nil {
		return nil, err
	}
	return s, nil
}

// Load reads the profiles and the config; it does not touch running state.
func (s *service) Load(path string) (any, error) {
	profiles, err := loadProfiles(s.profilesDir)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return loadConfig(path, data, profiles)
}

// fingerprint identifies a device definition (a hash: it covers secrets).
func fingerprint(d *Device, a *snmp.Auth) string {
	return hashString(fmt.Sprintf("%s|%s|%v|%v|%v|%#v|%s|%s|%s|%s|%s|%s|%s", d.Profile, d.Address, d.Interval, d.Timeout, *d.Retries,
		d.specs, d.Rack, a.Version, a.Community.Value(), a.Username, a.AuthPassword.Value(), a.PrivPassword.Value(), a.AuthProtocol+a.PrivProtocol+a.SecurityLevel+a.ContextName))
}

func hashString(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Apply switches to a loaded config; unchanged devices keep their loop,
// last-good values and counters.
func (s *service) Apply(_ context.Context, c any) error {
	cfg := c.(*Config)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.poller == nil {
		s.poller = snmp.New(snmp.Options{Namespace: "env", Labels: []string{"site", "room", "device"}, UpLabels: []string{"profile"},
			Concurrency: cfg.Defaults.Concurrency, Logger: s.log, OnPoll: s.onPoll})
	}
	old := s.rt.Load()
	rt := &runtime{cfg: cfg, devices: map[string]*devState{}}
	var targets []snmp.Target
	var keep [][]string
	for si := range cfg.Sites {
		site := &cfg.Sites[si]
		for ri := range site.Rooms {
			room := &site.Rooms[ri]
			for di := range room.Devices {
				d := &room.Devices[di]
				key := site.Name + "/" + d.Name
				a := cfg.snmpAuth(d)
				ds := &devState{key: key, site: site.Name, room: room.Name, dev: d, thr: room.thr, fp: fingerprint(d, &a), conds: map[string]*avail.Tracker{}}
				if old != nil {
					if o := old.devices[key]; o != nil && o.fp == ds.fp && o.room == ds.room {
						o.mu.Lock()
						ds.polled, ds.ok, ds.lastErr, ds.samples, ds.at = o.polled, o.ok, o.lastErr, o.samples, o.at
						o.mu.Unlock()
					}
				}
				rule := avail.Rule{DownAfter: 1, UpAfter: 1, MaxGap: 3*d.Interval + d.Timeout*time.Duration(*d.Retries+1)}
				conds := map[string]bool{}
				for _, sp := range d.specs {
					if c, ok := deviceConditions[sp.Signal]; ok {
						conds[c] = true
					}
				}
				for c := range conds {
					ds.conds[c] = s.family.Tracker(rule, cfg.windows, site.Name, room.Name, d.Name, c)
					keep = append(keep, []string{site.Name, room.Name, d.Name, c})
				}
				rt.devices[key] = ds
				rt.order = append(rt.order, ds)
				targets = append(targets, snmp.Target{Name: key, Address: d.Address, Auth: a, Interval: d.Interval,
					Timeout: d.Timeout, Retries: *d.Retries, MaxOIDs: cfg.Defaults.MaxOIDs,
					MaxRows: cfg.Defaults.WalkMaxRows, Deadline: cfg.Defaults.PollDeadline,
					Labels:  map[string]string{"site": site.Name, "room": room.Name, "device": d.Name, "profile": d.Profile},
					Request: request(d.specs)})
			}
		}
		for ri := range site.Rooms {
			room := &site.Rooms[ri]
			rs := &roomState{site: site.Name, room: room, conds: map[string]*avail.Tracker{}}
			get := func(names []string) []*devState {
				out := make([]*devState, 0, len(names))
				for _, n := range names {
					out = append(out, rt.devices[site.Name+"/"+n])
				}
				return out
			}
			rs.ups, rs.cooling, rs.feeds = get(room.Redundancy.UPSPair), get(room.Redundancy.CoolingUnits), get(room.Redundancy.FeedDevices)
			rule := avail.Rule{DownAfter: 1, UpAfter: 1, MaxGap: 3*cfg.Defaults.Interval + cfg.Defaults.Timeout*time.Duration(*cfg.Defaults.Retries+1)}
			add := func(c string, on bool) {
				if on {
					rs.conds[c] = s.family.Tracker(rule, cfg.windows, site.Name, room.Name, "", c)
					keep = append(keep, []string{site.Name, room.Name, "", c})
				}
			}
			add(condUPSRedundancy, len(rs.ups) == 2)
			add(condCoolingLost, len(rs.cooling) > 0)
			add(condFeedLost, len(rs.feeds) > 0)
			rt.rooms = append(rt.rooms, rs)
		}
	}
	sort.Slice(rt.order, func(i, j int) bool { return rt.order[i].key < rt.order[j].key })
	s.rt.Store(rt)
	if err := s.poller.SetTargets(targets); err != nil {
		if old != nil {
			s.rt.Store(old)
		}
		return err
	}
	s.family.Retain(keep)
	if old != nil && old.cfg.Defaults.Concurrency != cfg.Defaults.Concurrency {
		s.log.Warn("defaults.concurrency changes take effect at restart")
	}
	if s.stop != nil {
		s.stop()
		<-s.done
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.done = cancel, make(chan struct{})
	go s.roomLoop(ctx, cfg.Defaults.Interval)
	s.log.Info("configuration applied", "devices", len(targets), "rooms", len(rt.rooms))
	return nil
}

// Stop ends polling.
func (s *service) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil {
		s.stop()
		<-s.done
		s.stop = nil
	}
	if s.poller != nil {
		s.poller.Stop()
	}
}

// onPoll decodes a poll and feeds the device's condition trackers.
func (s *service) onPoll(r *snmp.Result) {
	rt := s.rt.Load()
	if rt == nil {
		return
	}
	d := rt.devices[r.Target]
	if d == nil {
		return
	}
	if r.Err != nil {
		d.mu.Lock()
		d.polled, d.ok, d.lastErr = true, false, r.Err.Error()
		d.mu.Unlock()
		for _, t := range d.conds {
			t.Observe(r.Time, avail.Unknown)
		}
		return
	}
	samples, errs := decode(d.dev, r.Values)
	for reason, n := range errs {
		s.poller.AddError(r.Target, reason, n)
	}
	d.mu.Lock()
	prev := d.samples
	d.mu.Unlock()
	for i := range samples { // label pairs: reuse the previous poll's when unchanged
		sm := &samples[i]
		if i < len(prev) && prev[i].signal == sm.signal && equal(prev[i].labels, sm.labels) {
			sm.lp = prev[i].lp
			continue
		}
		names := append([]string{"site", "room", "device"}, signalDefs[sm.signal].labels...)
		sm.lp = constmetric.LabelPairs(names, append([]string{d.site, d.room, d.dev.Name}, sm.labels...))
	}
	d.mu.Lock()
	d.polled, d.ok, d.lastErr, d.samples, d.at = true, true, "", samples, r.Time
	d.mu.Unlock()
	for c, t := range d.conds {
		t.Observe(r.Time, deviceCondition(c, samples, d.thr))
	}
}

// deviceCondition decides a device-level condition from its samples:
// avail.Down = condition active, avail.Up = not active, Unknown = no data.
func deviceCondition(cond string, samples []sample, thr Thresholds) avail.State {
	known, active := false, false
	for _, sm := range samples {
		switch {
		case cond == condOnBattery && sm.signal == "ups_on_battery",
			cond == condLeak && sm.signal == "leak_detected",
			cond == condSmoke && sm.signal == "smoke_detected",
			cond == condDoorOpen && sm.signal == "door_open",
			cond == condGeneratorRuns && sm.signal == "generator_running":
			known = true
			active = active || sm.value >= 0.5
		case cond == condTempBand && sm.signal == "temperature_celsius":
			known = true
			active = active || sm.value < *thr.TemperatureLow || sm.value > *thr.TemperatureHigh
		case cond == condHumidityHigh && sm.signal == "humidity_ratio":
			known = true
			active = active || sm.value > *thr.HumidityHigh
		}
	}
	switch {
	case !known:
		return avail.Unknown
	case active:
		return avail.Down
	}
	return avail.Up
}

func (d *devState) snapshot() (polled, ok bool, samples []sample, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.polled, d.ok, d.samples, d.at
}

func value(samples []sample, signal string) (float64, bool) {
	for _, s := range samples {
		if s.signal == signal {
			return s.value, true
		}
	}
	return 0, false
}

// roomStatus evaluates the redundancy of a room from its devices' last polls.
type roomStatus struct {
	upsIntact, upsKnown             bool
	coolingRunning, coolingRequired int
	coolingKnown                    bool
	feedsUp, feedsRequired          int
	feedsKnown                      bool
}

func (rs *roomState) status() roomStatus {
	st := roomStatus{coolingRequired: rs.room.Redundancy.CoolingRequired, feedsRequired: rs.room.Redundancy.FeedsRequired}
	if len(rs.ups) == 2 {
		st.upsIntact, st.upsKnown = true, true
		for _, u := range rs.ups {
			polled, ok, samples, _ := u.snapshot()
			if !polled {
				st.upsKnown = false
			}
			onBat, _ := value(samples, "ups_on_battery")
			onBypass, _ := value(samples, "ups_on_bypass")
			if !ok || onBat >= 0.5 || onBypass >= 0.5 {
				st.upsIntact = false
			}
		}
	}
	for _, c := range rs.cooling {
		polled, ok, samples, _ := c.snapshot()
		if polled {
			st.coolingKnown = true
		}
		if v, has := value(samples, "cooling_unit_running"); ok && has && v >= 0.5 {
			st.coolingRunning++
		}
	}
	for _, f := range rs.feeds {
		_, ok, samples, _ := f.snapshot()
		if !ok {
			continue
		}
		st.feedsKnown = true
		for _, sm := range samples {
			if sm.signal == "feed_up" && sm.value >= 0.5 {
				st.feedsUp++
			}
		}
	}
	return st
}

func (s *service) roomLoop(ctx context.Context, every time.Duration) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		rt := s.rt.Load()
		now := time.Now()
		for _, rs := range rt.rooms {
			st := rs.status()
			obs := func(c string, known, active bool) {
				tr := rs.conds[c]
				if tr == nil {
					return
				}
				switch {
				case !known:
					tr.Observe(now, avail.Unknown)
				case active:
					tr.Observe(now, avail.Down)
				default:
					tr.Observe(now, avail.Up)
				}
			}
			obs(condUPSRedundancy, st.upsKnown, !st.upsIntact)
			obs(condCoolingLost, st.coolingKnown, st.coolingRunning < st.coolingRequired)
			obs(condFeedLost, st.feedsKnown, st.feedsUp < st.feedsRequired)
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// Describe implements prometheus.Collector (unchecked: the poller's
// descriptors depend on the configuration).
func (s *service) Describe(chan<- *prometheus.Desc) {}

// ConstMetricsOnly marks the service as a constmetric.Texter.
func (s *service) ConstMetricsOnly() {}

// Collect implements prometheus.Collector.
func (s *service) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	p := s.poller
	s.mu.Unlock()
	if p != nil {
		p.Collect(ch)
	}
	rt := s.rt.Load()
	if rt == nil {
		return
	}
	now := time.Now()
	stale := rt.cfg.Defaults.StaleAfter
	for _, d := range rt.order {
		_, _, samples, at := d.snapshot()
		if samples == nil || now.Sub(at) > stale {
			continue
		}
		for _, sm := range samples {
			ch <- &constmetric.Metric{D: s.descs[sm.signal], Labels: sm.lp, Value: sm.value}
		}
	}
	for _, rs := range rt.rooms {
		lp := constmetric.LabelPairs([]string{"site", "room"}, []string{rs.site, rs.room.Name})
		g := func(d *prometheus.Desc, v float64) { ch <- &constmetric.Metric{D: d, Labels: lp, Value: v} }
		st := rs.status()
		if len(rs.ups) == 2 {
			g(s.roomD["ups_redundancy_intact"], b2f(st.upsIntact))
		}
		if len(rs.cooling) > 0 {
			g(s.roomD["cooling_units_running"], float64(st.coolingRunning))
			g(s.roomD["cooling_units_required"], float64(st.coolingRequired))
		}
		if len(rs.feeds) > 0 {
			g(s.roomD["feeds_up"], float64(st.feedsUp))
			g(s.roomD["feeds_required"], float64(st.feedsRequired))
		}
		t := rs.room.thr
		g(s.thrD["temperature_low_celsius"], *t.TemperatureLow)
		g(s.thrD["temperature_high_celsius"], *t.TemperatureHigh)
		g(s.thrD["humidity_high_ratio"], *t.HumidityHigh)
		g(s.thrD["ups_runtime_min_seconds"], *t.UPSRuntimeMin)
		g(s.thrD["rack_power_warning_watts"], *t.RackPowerWarning)
		g(s.thrD["rack_power_critical_watts"], *t.RackPowerCritical)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Status lists the devices for the landing page.
func (s *service) Status() []exporter.StatusRow {
	rt := s.rt.Load()
	if rt == nil {
		return nil
	}
	rows := make([]exporter.StatusRow, 0, len(rt.order))
	for _, d := range rt.order {
		d.mu.Lock()
		polled, ok, lastErr, at := d.polled, d.ok, d.lastErr, d.at
		d.mu.Unlock()
		st, detail := "unknown", "not polled yet"
		if polled {
			if ok {
				st, detail = "up", ""
			} else {
				st, detail = "down", lastErr
			}
		}
		if !at.IsZero() {
			detail = strings.TrimSpace(detail + fmt.Sprintf(" data age %.0fs", time.Since(at).Seconds()))
		}
		var active []string
		for c, t := range d.conds {
			if t.State() == avail.Down {
				active = append(active, c)
			}
		}
		sort.Strings(active)
		if len(active) > 0 {
			detail += " · " + strings.Join(active, ", ")
		}
		rows = append(rows, exporter.StatusRow{Name: d.dev.Name, Kind: d.dev.kind + " (" + d.dev.Profile + ")",
			Where: d.site + "/" + d.room, State: st, Detail: detail})
	}
	return rows
}
