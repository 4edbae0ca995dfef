package main

import (
	"errors"
	"fmt"
	dto "github.com/prometheus/client_model/go"
	"math"
	"sort"
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
	seenG, seenW := map[string]bool{}, map[string]bool{}
	for _, s := range specs {
		if s.OID != "" && !seenG[s.OID] {
			seenG[s.OID] = true
			req.Get = append(req.Get, s.OID)
		}
		for _, w := range []string{s.Table, s.LabelOID} {
			if w != "" && !seenW[w] {
				seenW[w] = true
				req.Walk = append(req.Walk, w)
			}
		}
	}
	return req
}

// convert turns one raw value into the signal's value.
func convert(s *SignalSpec, v snmp.Value) (float64, snmp.Reason, error) {
	if len(s.Map) > 0 {
		key := v.String()
		if x, ok := s.Map[key]; ok {
			return x, "", nil
		}
		if s.Default != nil {
			return *s.Default, "", nil
		}
		if !v.IsNumeric() && v.Type != 6 /* OBJECT IDENTIFIER */ {
			if _, err := v.Float(); err != nil {
				return 0, snmp.ReasonWrongType, fmt.Errorf("%s: %w", s.Signal, err)
			}
		}
		return 0, snmp.ReasonDecode, fmt.Errorf("%s: value %q not in map", s.Signal, truncate(key))
	}
	f, err := v.Float()
	if err != nil {
		if errors.Is(err, snmp.ErrWrongType) {
			return 0, snmp.ReasonWrongType, fmt.Errorf("%s: %w", s.Signal, err)
		}
		return 0, snmp.ReasonDecode, fmt.Errorf("%s: %w", s.Signal, err)
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
		return 0, snmp.ReasonDecode, fmt.Errorf("%s: value out of range", s.Signal)
	}
	return f, "", nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// decode turns a poll result into samples. Values that cannot be decoded
// are counted by reason and skipped; duplicate series keep the first.
func decode(d *Device, values map[string]snmp.Value) ([]sample, map[snmp.Reason]int) {
	out := make([]sample, 0, len(d.specs))
	var errs map[snmp.Reason]int
	fail := func(r snmp.Reason) {
		if errs == nil {
			errs = map[snmp.Reason]int{}
		}
		errs[r]++
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
		}
		for i := range out { // duplicate series: the first wins (few samples: no map)
			if out[i].signal == s.Signal && equal(out[i].labels, lv) {
				return
			}
		}
		out = append(out, sample{signal: s.Signal, labels: lv, value: v})
	}
	var rows map[string][]string // table → sorted OIDs under it
	for i := range d.specs {
		s := &d.specs[i]
		if s.OID != "" {
			v, ok := values[s.OID]
			if !ok {
				continue // missing: counted as noSuchObject by the poller
			}
			x, reason, err := convert(s, v)
			if err != nil {
				fail(reason)
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
		for _, o := range oids {
			index := o[len(s.Table)+1:]
			v := values[o]
			if s.Signal == "ups_alarm_active" && len(s.Map) == 0 && s.IndexLabel == "" && s.LabelOID == "" {
				// alarm table: the row's value is the alarm's OID
				id, err := v.OID()
				if err != nil {
					fail(snmp.ReasonWrongType)
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
			x, reason, err := convert(s, v)
			if err != nil {
				fail(reason)
				continue
			}
			emit(s, index, x)
		}
	}
	return out, errs
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
