package main

import (
	"errors"
	"fmt"
	dto "github.com/prometheus/client_model/go"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/jianguan/jianguan/internal/snmp"
)

// sample is one normalised value of a device.
type sample struct {
	signal string
	labels []string // values of signalDefs[signal].labels, in order
	value  float64
	lp     []*dto.LabelPair // all label pairs (site, room, device, …), set by the service
}

// request builds the SNMP request of a device's specs.
func request(specs []SignalSpec) snmp.Request {
	var req snmp.Request
	var rowsFrom []string
	seenG, seenW := map[string]bool{}, map[string]bool{}
	for _, s := range specs {
		for _, g := range []string{s.OID, s.RowsFrom} {
			if g != "" && !seenG[g] {
				seenG[g] = true
				req.Get = append(req.Get, g)
			}
		}
		if s.RowsFrom != "" {
			rowsFrom = append(rowsFrom, s.RowsFrom)
		}
		if s.Fallback && s.OID != "" {
			rowsFrom = append(rowsFrom, s.OID) // a fallback's absence is normal too
		}
		for _, w := range []string{s.Table, s.LabelOID, s.RoleOID} {
			if w != "" && !seenW[w] {
				seenW[w] = true
				req.Walk = append(req.Walk, w)
			}
		}
	}
	// a card without upsInputNumLines is read without the bound, and a
	// fallback OID is only needed when the primary one is missing: their
	// absence is not an error
	for _, o := range rowsFrom {
		scalar := false
		for _, s := range specs {
			scalar = scalar || s.OID == o && !s.Fallback
		}
		if !scalar && !slices.Contains(req.Optional, o) {
			req.Optional = append(req.Optional, o)
		}
	}
	return req
}

// convert turns one raw value into the signal's value. invalid is the
// env_signal_invalid_total reason when the value is not data (a
// placeholder, out of the physical range, the wrong type); reason and err
// are the env_device_errors_total reason kept from before (wrongType,
// decode). fault is set for a leak_detected raw value in fault_values.
func convert(s *SignalSpec, v snmp.Value) (f float64, invalid string, reason snmp.Reason, err error) {
	key := v.String()
	if len(s.FaultValues) > 0 && slices.Contains(s.FaultValues, key) {
		return 0, invalidFault, "", nil
	}
	if len(s.Map) > 0 {
		if x, ok := s.Map[key]; ok {
			return x, "", "", nil
		}
		if s.ph[strings.TrimSpace(key)] {
			return 0, invalidPlaceholder, "", nil
		}
		if s.Default != nil {
			return *s.Default, "", "", nil
		}
		if !v.IsNumeric() && v.Type != 6 /* OBJECT IDENTIFIER */ {
			if _, err := v.Float(); err != nil {
				return 0, invalidWrongType, snmp.ReasonWrongType, fmt.Errorf("%s: %w", s.Signal, err)
			}
		}
		return 0, invalidOutOfRange, snmp.ReasonDecode, fmt.Errorf("%s: value %q not in map", s.Signal, truncate(key))
	}
	f, err = v.Float()
	if err != nil {
		if errors.Is(err, snmp.ErrWrongType) {
			return 0, invalidWrongType, snmp.ReasonWrongType, fmt.Errorf("%s: %w", s.Signal, err)
		}
		return 0, invalidWrongType, snmp.ReasonDecode, fmt.Errorf("%s: %w", s.Signal, err)
	}
	if s.ph[strconv.FormatFloat(f, 'f', -1, 64)] {
		return 0, invalidPlaceholder, "", nil
	}
	if s.Scale != nil {
		sc := *s.Scale
		// 41 × 0.01 is 0.41000000000000003; 41 / 100 is 0.41.
		if inv := 1 / sc; math.Abs(sc) < 1 && math.Abs(inv-math.Round(inv)) < 1e-9 {
			f /= math.Round(inv)
		} else {
			f *= sc
		}
	}
	f += s.Offset
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, invalidOutOfRange, snmp.ReasonDecode, fmt.Errorf("%s: value out of range", s.Signal)
	}
	if f < s.min || f > s.max {
		return 0, invalidOutOfRange, "", nil
	}
	return f, "", "", nil
}

// invalidFault marks a leak cable fault (counted as placeholder: the raw
// value says "no reading").
const invalidFault = "fault"

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// pollStats is the three-answer account of one poll: every signal the
// device is expected to deliver was read, is missing or is invalid.
type pollStats struct {
	expected, read, missing, invalidN int
	invalid                           map[string]int // reason → count
	missingOIDs                       []string       // sorted, at most maxMissingNamed
	missingMore                       int            // missing OIDs beyond maxMissingNamed
	unknown                           map[string]int // unknownKey → expected values not read (missing or invalid)
}

// maxMissingNamed bounds the missing OIDs kept per device (landing page, log).
const maxMissingNamed = 20

// unknownKey groups expected-but-unread values by what they decide:
// the signal, and for temperature and humidity also the sensor role.
func unknownKey(signal, role string) string {
	if signal == "temperature_celsius" || signal == "humidity_ratio" {
		return signal + "/" + role
	}
	return signal
}

// roleOf returns the role of a temperature or humidity spec.
func roleOf(d *Device, s *SignalSpec) string {
	if r := s.Labels["role"]; r != "" {
		return r
	}
	if d.Role != "" {
		return d.Role
	}
	return roleRoom
}

// rowRole returns the role of one table row: from the spec's role_oid
// column through role_map when the row's value is mapped, else roleOf.
func rowRole(d *Device, s *SignalSpec, values map[string]snmp.Value, index string) string {
	if r, ok := mappedRole(s, values, index); ok {
		return r
	}
	return roleOf(d, s)
}

// mappedRole is the role_map entry of a row's role column, if any.
func mappedRole(s *SignalSpec, values map[string]snmp.Value, index string) (string, bool) {
	if s.RoleOID == "" || index == "" {
		return "", false
	}
	v, ok := values[s.RoleOID+"."+index]
	if !ok {
		return "", false
	}
	key := v.String()
	if o, err := v.OID(); err == nil {
		key = strings.TrimPrefix(o, ".")
	}
	r, ok := s.RoleMap[key]
	return r, ok
}

// specRoles returns every role a temperature or humidity spec can give
// its rows (its role_map values and its default role).
func specRoles(d *Device, s *SignalSpec) []string {
	var out []string
	if !s.RoleMapOnly {
		out = append(out, roleOf(d, s))
	}
	for _, r := range s.RoleMap {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// decode turns a poll result into samples. Values that cannot be decoded
// are counted by reason and skipped; duplicate series keep the first.
// Fallback specs of a signal replace its other specs when those read
// nothing and the fallback reads something.
func decode(d *Device, specs []SignalSpec, values map[string]snmp.Value) ([]sample, map[snmp.Reason]int, pollStats) {
	var fbSignals []string
	for i := range specs {
		if specs[i].Fallback && !slices.Contains(fbSignals, specs[i].Signal) {
			fbSignals = append(fbSignals, specs[i].Signal)
		}
	}
	if len(fbSignals) == 0 {
		return decodeSpecs(d, specs, values)
	}
	use := make([]SignalSpec, 0, len(specs))
	for _, s := range specs {
		if !s.Fallback {
			use = append(use, s)
		}
	}
	out, errs, st := decodeSpecs(d, use, values)
	changed := false
	for _, sig := range fbSignals {
		if slices.ContainsFunc(out, func(sm sample) bool { return sm.signal == sig }) {
			continue // the primary specs deliver
		}
		var fb []SignalSpec
		for _, s := range specs {
			if s.Fallback && s.Signal == sig {
				s.Fallback = false
				fb = append(fb, s)
			}
		}
		if o2, _, _ := decodeSpecs(d, fb, values); !slices.ContainsFunc(o2, func(sm sample) bool { return sm.signal == sig }) {
			continue // neither: the primary specs stay expected (and missing)
		}
		use = slices.DeleteFunc(use, func(s SignalSpec) bool { return s.Signal == sig })
		use = append(use, fb...)
		changed = true
	}
	if changed {
		return decodeSpecs(d, use, values)
	}
	return out, errs, st
}

func decodeSpecs(d *Device, specs []SignalSpec, values map[string]snmp.Value) ([]sample, map[snmp.Reason]int, pollStats) {
	out := make([]sample, 0, len(specs))
	var errs map[snmp.Reason]int
	st := pollStats{}
	fail := func(r snmp.Reason) {
		if r == "" {
			return
		}
		if errs == nil {
			errs = map[snmp.Reason]int{}
		}
		errs[r]++
	}
	unread := func(s *SignalSpec) {
		if st.unknown == nil {
			st.unknown = map[string]int{}
		}
		st.unknown[unknownKey(s.Signal, roleOf(d, s))]++
	}
	miss := func(s *SignalSpec, oid string) {
		st.missing++
		unread(s)
		if len(st.missingOIDs) < maxMissingNamed {
			st.missingOIDs = append(st.missingOIDs, oid)
		} else {
			st.missingMore++
		}
	}
	var leakFault, leakOK map[string]bool // sensor → cable fault / valid reading
	bad := func(s *SignalSpec, why string, sensor string) {
		if why == invalidFault || s.Signal == "leak_detected" {
			if leakFault == nil {
				leakFault = map[string]bool{}
			}
			leakFault[sensor] = true
		}
		if why == invalidFault {
			why = invalidPlaceholder
		}
		if st.invalid == nil {
			st.invalid = map[string]int{}
		}
		st.invalid[why]++
		st.invalidN++
		unread(s)
	}
	emit := func(s *SignalSpec, index string, v float64) {
		def := signalDefs[s.Signal]
		lv := make([]string, len(def.labels))
		for i, l := range def.labels {
			lv[i] = s.Labels[l]
			if l == s.IndexLabel && index != "" {
				lv[i] = index
			}
			if l == s.LabelFrom && s.LabelOID != "" {
				if nv, ok := values[s.LabelOID+"."+index]; ok && nv.String() != "" {
					lv[i] = nv.String()
				} else {
					lv[i] = index
				}
			}
			if l == "rack" && lv[i] == "" {
				lv[i] = d.Rack
			}
			if l == "role" {
				lv[i] = rowRole(d, s, values, index)
			}
		}
		st.read++
		if s.Signal == "leak_detected" {
			if leakOK == nil {
				leakOK = map[string]bool{}
			}
			leakOK[lv[0]] = true
		}
		for i := range out { // duplicate series: the first wins (few samples: no map)
			if out[i].signal == s.Signal && equal(out[i].labels, lv) {
				return
			}
		}
		out = append(out, sample{signal: s.Signal, labels: lv, value: v})
	}
	// sensorOf is the sensor label a leak spec's row would get.
	sensorOf := func(s *SignalSpec, index string) string {
		if s.LabelOID != "" {
			if nv, ok := values[s.LabelOID+"."+index]; ok && nv.String() != "" {
				return nv.String()
			}
			return index
		}
		if s.IndexLabel == "sensor" && index != "" {
			return index
		}
		return s.Labels["sensor"]
	}
	var rows map[string][]string // table → sorted OIDs under it
	for i := range specs {
		s := &specs[i]
		if s.OID != "" {
			st.expected++
			v, ok := values[s.OID]
			if !ok {
				miss(s, s.OID)
				continue
			}
			x, why, reason, _ := convert(s, v)
			fail(reason)
			if why != "" {
				bad(s, why, sensorOf(s, ""))
				continue
			}
			emit(s, "", x)
			continue
		}
		if rows == nil {
			rows = map[string][]string{}
		}
		oids, ok := rows[s.Table]
		if !ok {
			prefix := s.Table + "."
			for o := range values {
				if strings.HasPrefix(o, prefix) {
					oids = append(oids, o)
				}
			}
			sort.Strings(oids)
			rows[s.Table] = oids
		}
		if s.RoleMapOnly { // rows the role column does not name are not this signal's
			kept := make([]string, 0, len(oids))
			for _, o := range oids {
				if _, ok := mappedRole(s, values, o[len(s.Table)+1:]); ok {
					kept = append(kept, o)
				}
			}
			oids = kept
		}
		alarmTable := s.Signal == "ups_alarm_active" && len(s.Map) == 0 && s.IndexLabel == "" && s.LabelOID == ""
		limit := -1 // rows_from: number of valid rows, -1 unknown
		if s.RowsFrom != "" {
			if nv, ok := values[s.RowsFrom]; ok {
				if n, err := nv.Float(); err == nil && n >= 0 && n <= 1e6 {
					limit = int(n)
				}
			}
		}
		switch {
		case alarmTable:
			if limit == 0 { // upsAlarmsPresent 0: stale rows are not alarms
				continue
			}
			st.expected += len(oids)
		case limit >= 0:
			st.expected += limit
			present := map[string]bool{}
			for _, o := range oids {
				present[o[len(s.Table)+1:]] = true
			}
			for n := 1; n <= limit; n++ {
				if idx := strconv.Itoa(n); !present[idx] {
					miss(s, s.Table+"."+idx)
				}
			}
		case len(oids) == 0 && s.Optional:
			continue // e.g. no remote probe plugged in: nothing expected
		case len(oids) == 0:
			st.expected++
			miss(s, s.Table)
			continue
		default:
			st.expected += len(oids)
		}
		for _, o := range oids {
			index := o[len(s.Table)+1:]
			if limit >= 0 && !alarmTable {
				first := index
				if k := strings.IndexByte(index, '.'); k >= 0 {
					first = index[:k]
				}
				if n, err := strconv.Atoi(first); err != nil || n < 1 || n > limit {
					continue // a line the device does not have (e.g. phases 2 and 3 of a single-phase UPS)
				}
			}
			v := values[o]
			if alarmTable {
				// alarm table: the row's value is the alarm's OID
				id, err := v.OID()
				if err != nil {
					fail(snmp.ReasonWrongType)
					bad(s, invalidWrongType, "")
					continue
				}
				if id == "0.0" || strings.HasSuffix(id, ".0") || id == "0" {
					bad(s, invalidPlaceholder, "") // zeroDotZero: no alarm named
					continue
				}
				name := s.AlarmNames[id]
				if name == "" {
					name = "alarm_" + id[strings.LastIndexByte(id, '.')+1:]
				}
				s2 := *s
				s2.Labels = map[string]string{"alarm": name}
				emit(&s2, index, 1)
				continue
			}
			x, why, reason, _ := convert(s, v)
			fail(reason)
			if why != "" {
				bad(s, why, sensorOf(s, index))
				continue
			}
			emit(s, index, x)
		}
	}
	// leak state: leak / no leak / cable fault (a faulty or disconnected
	// rope is never "no leak" and never disappears).
	if leakFault != nil || leakOK != nil {
		fs := &SignalSpec{Signal: "leak_cable_fault"}
		names := make([]string, 0, len(leakFault)+len(leakOK))
		for n := range leakFault {
			names = append(names, n)
		}
		for n := range leakOK {
			if !leakFault[n] {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			fs.Labels = map[string]string{"sensor": n}
			st.read-- // derived, not a signal of the profile
			emit(fs, "", b2f(leakFault[n]))
		}
	}
	sort.Strings(st.missingOIDs)
	return out, errs, st
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
