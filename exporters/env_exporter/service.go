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
	dto "github.com/prometheus/client_model/go"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/exporter"
	"github.com/jianguan/jianguan/internal/metricnames"
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

	signalsD, invalidD, infoD, knownD *prometheus.Desc
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
	conds   map[string]*avail.Tracker // replaced (under mu) when profile auto identifies the device

	// identification and the three-answer account (under mu)
	profile     *Profile     // nil: profile auto, not identified (yet)
	specs       []SignalSpec // what the device is asked for
	unrecog     bool         // answered, but no profile matches
	sysObjectID string
	sysDescr    string
	ident       [4]string // vendor, model, firmware, serial
	stats       pollStats
	invalidTot  map[string]uint64
	lastMissing string // missing OIDs last logged
	switched    bool   // profile auto: the poller asks for the profile's OIDs
	cfgProfiles map[string]*Profile

	rule    avail.Rule // of the condition trackers
	windows *calendar.Windows
}

// sysObjectID.0 and sysDescr.0 (SNMPv2-MIB), read at every poll.
const (
	oidSysObjectID = "1.3.6.1.2.1.1.2.0"
	oidSysDescr    = "1.3.6.1.2.1.1.1.0"
)

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
		family: avail.NewFamily(avail.FamilyOpts{Namespace: metricnames.EnvCondition.Namespace, Labels: []string{"site", "room", "device", "condition"},
			What: "condition"}),
		descs: map[string]*prometheus.Desc{}, roomD: map[string]*prometheus.Desc{}, thrD: map[string]*prometheus.Desc{}}
	base := []string{"site", "room", "device"}
	for name, def := range signalDefs {
		s.descs[name] = prometheus.NewDesc(def.metric, def.help, append(append([]string{}, base...), def.labels...), nil)
	}
	room := []string{"site", "room"}
	for name, help := range map[string]string{
		"ups_redundancy_intact":  "1 if both UPS of the room's 2N pair are reachable and online (not on battery, not on bypass).",
		"cooling_units_running":  "Cooling (CRAC) units of the room running.",
		"cooling_units_required": "Cooling units required to run (N+1).",
		"feeds_up":               "Utility feeds of the room present.",
		"feeds_required":         "Utility feeds required (2).",
	} {
		s.roomD[name] = prometheus.NewDesc("env_"+name, help, room, nil)
	}
	for name, help := range map[string]string{
		"temperature_low_celsius":   "Lower limit of the temperature band in degrees Celsius (contract: 21).",
		"temperature_high_celsius":  "Upper limit of the temperature band in degrees Celsius (contract: 27).",
		"humidity_high_ratio":       "Upper limit of relative humidity, 0..1 (contract: 0.60).",
		"ups_runtime_min_seconds":   "Minimum UPS battery runtime at full load in seconds (contract: 900).",
		"rack_power_warning_watts":  "Rack power warning threshold in watts (contract: 4000).",
		"rack_power_critical_watts": "Rack power critical threshold in watts (contract: 5000).",
	} {
		s.thrD[name] = prometheus.NewDesc("env_threshold_"+name, help, room, nil)
	}
	s.signalsD = prometheus.NewDesc("env_device_signals", "Signals of the device at its last poll by state: expected (by its profile and signals), read (a value), missing (not on the device: noSuchObject, empty table), invalid (a placeholder, out of range or of the wrong type).", []string{"site", "room", "device", "state"}, nil)
	s.invalidD = prometheus.NewDesc("env_signal_invalid_total", "Values read but not exported as data, by reason: placeholder, out_of_range, wrong_type.", []string{"site", "room", "device", "reason"}, nil)
	s.infoD = prometheus.NewDesc("env_device_info", "Identity of the device (value 1): the profile in use (auto: the detected one, unrecognised if none matches) and vendor, model, firmware and serial from the profile's identity OIDs.", []string{"site", "room", "device", "profile", "vendor", "model", "firmware", "serial", "sys_object_id"}, nil)
	s.knownD = prometheus.NewDesc("env_redundancy_known", "1 if the room's redundancy (ups, cooling, feeds) is decided by known inputs; 0 if an input is missing (unreachable device, signal missing or invalid): the state is unknown, never intact.", []string{"site", "room", "redundancy"}, nil)
	if err := reg.Register(s); err != nil {
		return nil, err
	}
	if err := reg.Register(s.family); err != nil {
		return nil, err
	}
	return s, nil
}

// Load reads the profiles and the config; it does not touch running state.
func (s *service) Load(path string) (*Config, error) {
	profiles, err := loadProfiles(s.profilesDir)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return loadConfig(path, data, profiles)
}

// fingerprint identifies a device definition (a hash: it covers secrets).
func fingerprint(d *Device, a *snmp.Auth) string {
	return hashString(fmt.Sprintf("%s|%s|%v|%v|%v|%#v|%s/%s|%s|%s|%s|%s|%s|%s", d.Profile, d.Address, d.Interval, d.Timeout, *d.Retries,
		d.specs, d.Rack, d.Role, a.Version, a.Community.Value(), a.Username, a.AuthPassword.Value(), a.PrivPassword.Value(), a.AuthProtocol+a.PrivProtocol+a.SecurityLevel+a.ContextName))
}

func hashString(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Apply switches to a loaded config; unchanged devices keep their loop,
// last-good values and counters.
func (s *service) Apply(_ context.Context, cfg *Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.poller == nil {
		s.poller = snmp.New(snmp.Options{Namespace: "env", Labels: []string{"site", "room", "device"}, UpLabels: []string{"profile"},
			Concurrency: cfg.Defaults.Concurrency, Logger: s.log, OnPoll: s.onPoll, NextRequest: s.nextRequest})
	}
	old := s.rt.Load()
	var running map[string]*devState
	if old != nil {
		running = old.devices
	}
	rt := &runtime{cfg: cfg}
	var keep [][]string
	refs := cfg.deviceRefs()
	rt.devices, _ = exporter.Reconcile(running, refs, s.deviceReconciler(cfg, &keep))
	targets := make([]snmp.Target, 0, len(refs))
	for _, ref := range refs {
		ds := rt.devices[ref.key()]
		rt.order = append(rt.order, ds)
		targets = append(targets, deviceTarget(cfg, ds))
	}
	keep = s.buildRooms(cfg, rt, keep)
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
	s.restartRoomLoop(cfg.Defaults.Interval.D())
	s.log.Info("configuration applied", "devices", len(targets), "rooms", len(rt.rooms))
	return nil
}

// deviceRef is one configured device with its site and room.
type deviceRef struct {
	site *Site
	room *Room
	d    *Device
}

func (r deviceRef) key() string { return r.site.Name + "/" + r.d.Name }

// deviceRefs lists the configured devices in config order.
func (c *Config) deviceRefs() []deviceRef {
	var refs []deviceRef
	for si := range c.Sites {
		site := &c.Sites[si]
		for ri := range site.Rooms {
			room := &site.Rooms[ri]
			for di := range room.Devices {
				refs = append(refs, deviceRef{site, room, &room.Devices[di]})
			}
		}
	}
	return refs
}

// deviceReconciler builds every device's state anew; one whose definition
// (fingerprint) and room are unchanged inherits its last poll, identified
// profile and counters. The condition label sets go to keep.
func (s *service) deviceReconciler(cfg *Config, keep *[][]string) exporter.Reconciler[deviceRef, *devState] {
	return exporter.Reconciler[deviceRef, *devState]{
		ID: deviceRef.key,
		Start: func(ref deviceRef, o *devState, had bool) *devState {
			site, room, d := ref.site, ref.room, ref.d
			a := cfg.snmpAuth(d)
			rule := avail.Rule{DownAfter: 1, UpAfter: 1, MaxGap: 3*d.Interval.D() + d.Timeout.D()*time.Duration(*d.Retries+1)}
			ds := &devState{key: ref.key(), site: site.Name, room: room.Name, dev: d, thr: room.thr, fp: fingerprint(d, &a), conds: map[string]*avail.Tracker{},
				profile: d.profile, specs: d.specs, invalidTot: map[string]uint64{}, rule: rule, windows: cfg.windows, cfgProfiles: cfg.profiles}
			if had && o.fp == ds.fp && o.room == ds.room {
				o.mu.Lock()
				ds.polled, ds.ok, ds.lastErr, ds.samples, ds.at = o.polled, o.ok, o.lastErr, o.samples, o.at
				ds.profile, ds.specs, ds.unrecog, ds.sysObjectID, ds.sysDescr, ds.ident = o.profile, o.specs, o.unrecog, o.sysObjectID, o.sysDescr, o.ident
				ds.stats, ds.invalidTot, ds.lastMissing = o.stats, o.invalidTot, o.lastMissing
				if ds.profile != nil && d.auto() { // identified before: keep the trackers' conditions
					ds.switched = true
				}
				o.mu.Unlock()
			}
			for c := range specConditions(d, ds.specs, room.thr) {
				ds.conds[c] = s.family.Tracker(rule, cfg.windows, site.Name, room.Name, d.Name, c)
				*keep = append(*keep, []string{site.Name, room.Name, d.Name, c})
			}
			return ds
		},
	}
}

// deviceTarget is the SNMP poller's target for a device.
func deviceTarget(cfg *Config, ds *devState) snmp.Target {
	d := ds.dev
	return snmp.Target{Name: ds.key, Address: d.Address, Auth: cfg.snmpAuth(d), Interval: d.Interval.D(),
		Timeout: d.Timeout.D(), Retries: *d.Retries, MaxOIDs: cfg.Defaults.MaxOIDs,
		MaxRows: cfg.Defaults.WalkMaxRows, Deadline: cfg.Defaults.PollDeadline.D(),
		Labels:  map[string]string{"site": ds.site, "room": ds.room, "device": d.Name, "profile": d.Profile},
		Request: requestFor(ds)}
}

// buildRooms adds each room's redundancy state to rt and its condition
// label sets to keep.
func (s *service) buildRooms(cfg *Config, rt *runtime, keep [][]string) [][]string {
	rule := avail.Rule{DownAfter: 1, UpAfter: 1, MaxGap: 3*cfg.Defaults.Interval.D() + cfg.Defaults.Timeout.D()*time.Duration(*cfg.Defaults.Retries+1)}
	for si := range cfg.Sites {
		site := &cfg.Sites[si]
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
	return keep
}

// restartRoomLoop (re)starts the loop that evaluates the rooms.
func (s *service) restartRoomLoop(every time.Duration) {
	if s.stop != nil {
		s.stop()
		<-s.done
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.done = cancel, make(chan struct{})
	go s.roomLoop(ctx, every)
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

// requestFor returns what a device is asked for: sysObjectID and sysDescr,
// its profile's identity OIDs and signals, or, while profile auto has not
// identified the device, the probe OIDs of every profile.
func requestFor(d *devState) snmp.Request {
	req := request(d.specs)
	extra := []string{oidSysObjectID, oidSysDescr}
	if d.profile != nil {
		extra = append(extra, d.profile.Identity.oids()...)
	} else if d.dev.auto() {
		extra = append(extra, probeOIDs(d.cfgProfiles)...)
	}
	seen := map[string]bool{}
	for _, o := range req.Get {
		seen[o] = true
	}
	for _, o := range extra {
		if !seen[o] {
			seen[o] = true
			req.Get = append(req.Get, o)
			req.Optional = append(req.Optional, o)
		}
	}
	return req
}

// probeOIDs lists the probe OIDs of the profiles, sorted and unique.
func probeOIDs(ps map[string]*Profile) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range ps {
		for _, o := range p.Match.Probe {
			if !seen[o] {
				seen[o] = true
				out = append(out, o)
			}
		}
	}
	sort.Strings(out)
	return out
}

// identify picks the profile of a device from its sysObjectID (the longest
// matching prefix of the profiles' match.sysobjectid), else from the probe
// OIDs that answered (a profile with an enterprise-subtree probe wins over
// one probing a standard MIB; ties by name). nil: unrecognised.
func identify(ps map[string]*Profile, sysObjectID string, values map[string]snmp.Value) *Profile {
	var best *Profile
	bestLen := -1
	names := make([]string, 0, len(ps))
	for n := range ps {
		names = append(names, n)
	}
	sort.Strings(names)
	if sysObjectID != "" {
		for _, n := range names {
			for _, pre := range ps[n].Match.SysObjectID {
				if (sysObjectID == pre || strings.HasPrefix(sysObjectID, pre+".")) && len(pre) > bestLen {
					best, bestLen = ps[n], len(pre)
				}
			}
		}
		if best != nil {
			return best
		}
	}
	bestRank := -1
	for _, n := range names {
		for _, o := range ps[n].Match.Probe {
			if _, ok := values[o]; !ok {
				continue
			}
			rank := 1
			if strings.HasPrefix(o, "1.3.6.1.4.1.") {
				rank = 2
			}
			if rank > bestRank {
				best, bestRank = ps[n], rank
			}
		}
	}
	return best
}

// nextRequest switches a profile-auto device to its profile's OIDs once it
// has been identified (called by the poller after onPoll).
func (s *service) nextRequest(r *snmp.Result) (snmp.Request, bool) {
	rt := s.rt.Load()
	if rt == nil || r.Err != nil {
		return snmp.Request{}, false
	}
	d := rt.devices[r.Target]
	if d == nil || !d.dev.auto() {
		return snmp.Request{}, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.profile == nil || d.switched {
		return snmp.Request{}, false
	}
	d.switched = true
	return requestFor(d), true
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
	d.mu.Lock()
	conds := d.conds
	d.mu.Unlock()
	if r.Err != nil {
		d.mu.Lock()
		d.polled, d.ok, d.lastErr = true, false, r.Err.Error()
		d.mu.Unlock()
		for _, t := range conds {
			t.Observe(r.Time, avail.Unknown)
		}
		return
	}
	str := func(oid string) string {
		if v, ok := r.Values[oid]; ok {
			return strings.ToValidUTF8(truncateN(v.String(), 128), "?")
		}
		return ""
	}
	d.mu.Lock()
	d.sysObjectID, d.sysDescr = str(oidSysObjectID), str(oidSysDescr)
	specs, prof := d.specs, d.profile
	identifyNow := d.dev.auto() && prof == nil
	d.mu.Unlock()
	if identifyNow {
		if p := identify(rt.cfg.profiles, str(oidSysObjectID), r.Values); p != nil {
			newSpecs := append(append([]SignalSpec(nil), p.Signals...), d.dev.Signals...)
			newConds := map[string]*avail.Tracker{}
			for c := range specConditions(d.dev, newSpecs, d.thr) {
				newConds[c] = s.family.Tracker(d.rule, d.windows, d.site, d.room, d.dev.Name, c)
			}
			d.mu.Lock()
			d.profile, d.specs, d.unrecog, d.conds = p, newSpecs, false, newConds
			d.mu.Unlock()
			s.log.Info("device identified", "device", d.key, "profile", p.Name, "sysObjectID", str(oidSysObjectID))
			// this poll asked for the probes only: the profile's signals come with the next one
			d.mu.Lock()
			d.polled, d.ok, d.lastErr, d.at = true, true, "", r.Time
			d.mu.Unlock()
			return
		}
		d.mu.Lock()
		first := !d.unrecog
		d.unrecog = true
		d.mu.Unlock()
		if first {
			s.log.Warn("device not recognised: no profile matches its sysObjectID or answers a probe; set profile: in the configuration or add its sysObjectID to a profile's match.sysobjectid",
				"device", d.key, "sysObjectID", str(oidSysObjectID), "sysDescr", str(oidSysDescr))
		}
	}
	if prof != nil {
		var id [4]string
		if prof.Identity.Vendor != "" {
			id[0] = prof.Identity.Vendor
		}
		for i, o := range []string{prof.Identity.VendorOID, prof.Identity.ModelOID, prof.Identity.FirmwareOID, prof.Identity.SerialOID} {
			if v := str(o); o != "" && v != "" {
				id[i] = strings.TrimSpace(v)
			}
		}
		d.mu.Lock()
		d.ident = id
		d.mu.Unlock()
	}
	samples, errs, st := decode(d.dev, specs, r.Values)
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
	missing := strings.Join(st.missingOIDs, " ")
	d.mu.Lock()
	d.polled, d.ok, d.lastErr, d.samples, d.at, d.stats = true, true, "", samples, r.Time, st
	for reason, n := range st.invalid {
		d.invalidTot[reason] += uint64(n)
	}
	logMissing := missing != d.lastMissing
	d.lastMissing = missing
	d.mu.Unlock()
	if logMissing && missing != "" {
		// logged when the set changes: the missing OIDs are named, a wrong
		// profile is told apart from a device that is fine
		s.log.Debug("signals missing on device", "device", d.key, "expected", st.expected, "read", st.read, "missing", st.missing, "oids", missing)
		if st.read == 0 && st.expected > 0 {
			s.log.Warn("device answers but none of its expected signals: wrong profile or unsupported card?", "device", d.key, "profile", d.dev.Profile, "expected", st.expected, "missing", st.missing, "invalid", st.invalidN)
		}
	}
	for c, t := range conds {
		t.Observe(r.Time, deviceCondition(c, samples, st.unknown, d.thr))
	}
}

// specConditions returns the device conditions its specs drive; a
// temperature or humidity sensor drives its condition only if its role is
// judged (room, inlet, cold_aisle, or a role with its own band): supply air
// is reported, not "out of band" and not "unknown".
func specConditions(d *Device, specs []SignalSpec, thr Thresholds) map[string]bool {
	out := map[string]bool{}
	for i := range specs {
		sp := &specs[i]
		c, ok := deviceConditions[sp.Signal]
		if !ok {
			continue
		}
		if sp.Signal == "temperature_celsius" || sp.Signal == "humidity_ratio" {
			judged := false
			for _, r := range specRoles(d, sp) {
				judged = judged || thr.judges(r, sp.Signal == "humidity_ratio")
			}
			if !judged {
				continue
			}
		}
		out[c] = true
	}
	return out
}

func truncateN(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// deviceCondition decides a device-level condition from its samples and
// the expected values it could not read (unknown, by unknownKey):
// avail.Down = condition active, avail.Up = not active (every input
// known), Unknown = no data, or an input missing and none active.
func deviceCondition(cond string, samples []sample, unknown map[string]int, thr Thresholds) avail.State {
	known, active, missing := false, false, false
	for k, n := range unknown {
		if n == 0 {
			continue
		}
		sig, role, _ := strings.Cut(k, "/")
		switch {
		case cond == condOnBattery && sig == "ups_on_battery",
			cond == condLeak && sig == "leak_detected",
			cond == condSmoke && sig == "smoke_detected",
			cond == condDoorOpen && sig == "door_open",
			cond == condGeneratorRuns && sig == "generator_running":
			missing = true
		case cond == condTempBand && sig == "temperature_celsius" && thr.judges(role, false):
			missing = true
		case cond == condHumidityHigh && sig == "humidity_ratio" && thr.judges(role, true):
			missing = true
		}
	}
	for _, sm := range samples {
		switch {
		case cond == condOnBattery && sm.signal == "ups_on_battery",
			cond == condLeak && sm.signal == "leak_detected",
			cond == condSmoke && sm.signal == "smoke_detected",
			cond == condDoorOpen && sm.signal == "door_open",
			cond == condGeneratorRuns && sm.signal == "generator_running":
			known = true
			active = active || sm.value >= 0.5
		case cond == condLeak && sm.signal == "leak_cable_fault":
			missing = missing || sm.value >= 0.5
		case cond == condTempBand && sm.signal == "temperature_celsius":
			role := sm.labels[2]
			lo, hi, ok := thr.tempBand(role)
			if !ok {
				continue
			}
			known = true
			active = active || (lo != nil && sm.value < *lo) || (hi != nil && sm.value > *hi)
		case cond == condHumidityHigh && sm.signal == "humidity_ratio":
			hi := thr.humidityHigh(sm.labels[2])
			if hi == nil {
				continue
			}
			known = true
			active = active || sm.value > *hi
		}
	}
	switch {
	case active:
		return avail.Down
	case missing, !known:
		return avail.Unknown
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

// roomStatus evaluates the redundancy of a room from its devices' last
// polls. Each state is decided from known inputs only: a UPS that has not
// answered, or whose on-battery (or, if its profile reads it, on-bypass)
// value is missing or invalid, is unknown, never "online".
type roomStatus struct {
	upsIntact, upsKnown             bool
	coolingRunning, coolingRequired int
	coolingUnknown                  int
	coolingKnown                    bool
	feedsUp, feedsRequired          int
	feedsUnknown                    int
	feedsKnown                      bool
}

// upState is one UPS of a 2N pair: bad (on battery, on bypass), unknown, good.
func upsState(u *devState, stale time.Duration, now time.Time) (bad, unknown bool) {
	u.mu.Lock()
	polled, ok, samples, at, st := u.polled, u.ok, u.samples, u.at, u.stats
	hasBypass := false
	for _, sp := range u.specs {
		hasBypass = hasBypass || sp.Signal == "ups_on_bypass"
	}
	u.mu.Unlock()
	if !polled || !ok || at.IsZero() || now.Sub(at) > stale {
		return false, true
	}
	onBat, hasBat := value(samples, "ups_on_battery")
	onBypass, hasByp := value(samples, "ups_on_bypass")
	if (hasBat && onBat >= 0.5) || (hasByp && onBypass >= 0.5) {
		return true, false
	}
	if !hasBat || st.unknown["ups_on_battery"] > 0 || (hasBypass && (!hasByp || st.unknown["ups_on_bypass"] > 0)) {
		return false, true
	}
	return false, false
}

func (rs *roomState) status(stale time.Duration, now time.Time) roomStatus {
	st := roomStatus{coolingRequired: rs.room.Redundancy.CoolingRequired, feedsRequired: rs.room.Redundancy.FeedsRequired}
	if len(rs.ups) == 2 {
		bad, unknown := false, false
		for _, u := range rs.ups {
			b, un := upsState(u, stale, now)
			bad, unknown = bad || b, unknown || un
		}
		// lost as soon as one UPS is known bad; intact only if both are known good
		st.upsKnown = bad || !unknown
		st.upsIntact = !bad && !unknown
	}
	fresh := func(d *devState) (ok bool, samples []sample, stats pollStats, specs []SignalSpec) {
		d.mu.Lock()
		defer d.mu.Unlock()
		ok = d.polled && d.ok && !d.at.IsZero() && now.Sub(d.at) <= stale
		return ok, d.samples, d.stats, d.specs
	}
	for _, c := range rs.cooling {
		ok, samples, stats, _ := fresh(c)
		v, has := value(samples, "cooling_unit_running")
		switch {
		case !ok || !has || stats.unknown["cooling_unit_running"] > 0:
			st.coolingUnknown++
		case v >= 0.5:
			st.coolingRunning++
		}
	}
	// N+1 decided when the known running units suffice, or when even the
	// unknown ones could not make up the difference
	st.coolingKnown = len(rs.cooling) > 0 && (st.coolingRunning >= st.coolingRequired || st.coolingRunning+st.coolingUnknown < st.coolingRequired)
	for _, f := range rs.feeds {
		ok, samples, stats, specs := fresh(f)
		if !ok {
			n := 0
			for _, sp := range specs {
				if sp.Signal == "feed_up" {
					n++
				}
			}
			st.feedsUnknown += max(n, 1)
			continue
		}
		st.feedsUnknown += stats.unknown["feed_up"]
		for _, sm := range samples {
			if sm.signal == "feed_up" && sm.value >= 0.5 {
				st.feedsUp++
			}
		}
	}
	st.feedsKnown = len(rs.feeds) > 0 && (st.feedsUp >= st.feedsRequired || st.feedsUp+st.feedsUnknown < st.feedsRequired)
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
			st := rs.status(rt.cfg.Defaults.StaleAfter.D(), now)
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
	stale := rt.cfg.Defaults.StaleAfter.D()
	for _, d := range rt.order {
		d.mu.Lock()
		polled, ok, samples, at, st, inv := d.polled, d.ok, d.samples, d.at, d.stats, d.invalidTot
		invCopy := make([]float64, len(invalidReasons))
		for i, r := range invalidReasons {
			invCopy[i] = float64(inv[r])
		}
		profName, ident, oid := d.dev.Profile, d.ident, d.sysObjectID
		if d.profile != nil {
			profName = d.profile.Name
		} else if d.unrecog {
			profName = "unrecognised"
		}
		d.mu.Unlock()
		dl := func(name, v string) []*dto.LabelPair {
			return constmetric.LabelPairs([]string{"site", "room", "device", name}, []string{d.site, d.room, d.dev.Name, v})
		}
		for i, r := range invalidReasons {
			ch <- &constmetric.Metric{D: s.invalidD, Labels: dl("reason", r), Counter: true, Value: invCopy[i]}
		}
		if polled && (ok || !at.IsZero()) {
			ch <- &constmetric.Metric{D: s.infoD, Value: 1, Labels: constmetric.LabelPairs(
				[]string{"site", "room", "device", "profile", "vendor", "model", "firmware", "serial", "sys_object_id"},
				[]string{d.site, d.room, d.dev.Name, profName, ident[0], ident[1], ident[2], ident[3], oid})}
		}
		if samples == nil && at.IsZero() || now.Sub(at) > stale {
			continue
		}
		for _, c := range []struct {
			state string
			n     int
		}{{"expected", st.expected}, {"read", st.read}, {"missing", st.missing}, {"invalid", st.invalidN}} {
			ch <- &constmetric.Metric{D: s.signalsD, Labels: dl("state", c.state), Value: float64(c.n)}
		}
		for _, sm := range samples {
			ch <- &constmetric.Metric{D: s.descs[sm.signal], Labels: sm.lp, Value: sm.value}
		}
	}
	for _, rs := range rt.rooms {
		lp := constmetric.LabelPairs([]string{"site", "room"}, []string{rs.site, rs.room.Name})
		g := func(d *prometheus.Desc, v float64) { ch <- &constmetric.Metric{D: d, Labels: lp, Value: v} }
		st := rs.status(rt.cfg.Defaults.StaleAfter.D(), now)
		known := func(what string, k bool) {
			ch <- &constmetric.Metric{D: s.knownD, Value: b2f(k),
				Labels: constmetric.LabelPairs([]string{"site", "room", "redundancy"}, []string{rs.site, rs.room.Name, what})}
		}
		if len(rs.ups) == 2 {
			known("ups", st.upsKnown)
			if st.upsKnown { // unknown is not "intact" (nor "lost"): absent, with env_redundancy_known 0
				g(s.roomD["ups_redundancy_intact"], b2f(st.upsIntact))
			}
		}
		if len(rs.cooling) > 0 {
			known("cooling", st.coolingKnown)
		}
		if len(rs.feeds) > 0 {
			known("feeds", st.feedsKnown)
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
		polled, ok, lastErr, at, stats := d.polled, d.ok, d.lastErr, d.at, d.stats
		prof, unrecog, oid, descr, kind, conds := d.profile, d.unrecog, d.sysObjectID, d.sysDescr, d.dev.kind, d.conds
		d.mu.Unlock()
		profName := d.dev.Profile
		if prof != nil {
			profName = prof.Name
			if d.dev.auto() {
				profName = "auto: " + prof.Name
				kind = prof.Kind
			}
		}
		var parts []string
		st := "unknown"
		switch {
		case !polled:
			parts = append(parts, "not polled yet")
		case !ok:
			st = "down"
			parts = append(parts, lastErr)
		case unrecog:
			// answers, but no profile matches: say what it is and what to do
			st = "unrecognised"
			parts = append(parts, fmt.Sprintf("sysObjectID %s (%s) matches no profile: set profile: in the configuration, or add the sysObjectID to a profile's match.sysobjectid", orNone(oid), truncateN(orNone(descr), 60)))
		case d.dev.auto() && prof != nil && stats.expected == 0 && stats.read == 0:
			st = "identifying"
			parts = append(parts, "detected "+prof.Name+" from "+orNone(oid))
		case stats.expected > 0 && stats.read == 0:
			// answers SNMP, but none of the expected signals: a wrong profile
			// or an unsupported card is not "up"
			st = "no data"
		default:
			st = "up"
		}
		if polled && ok && stats.expected > 0 {
			parts = append(parts, fmt.Sprintf("signals %d/%d read, %d missing, %d invalid", stats.read, stats.expected, stats.missing, stats.invalidN))
			if len(stats.missingOIDs) > 0 {
				m := "missing " + strings.Join(stats.missingOIDs, " ")
				if stats.missingMore > 0 {
					m += fmt.Sprintf(" … and %d more", stats.missingMore)
				}
				parts = append(parts, m)
			}
		}
		if !at.IsZero() {
			parts = append(parts, fmt.Sprintf("data age %.0fs", time.Since(at).Seconds()))
		}
		var active []string
		for c, t := range conds {
			if t.State() == avail.Down {
				active = append(active, c)
			}
		}
		sort.Strings(active)
		if len(active) > 0 {
			parts = append(parts, strings.Join(active, ", "))
		}
		rows = append(rows, exporter.StatusRow{Name: d.dev.Name, Kind: kind + " (" + profName + ")",
			Where: d.site + "/" + d.room, State: st, Detail: strings.Join(parts, " · ")})
	}
	return rows
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
