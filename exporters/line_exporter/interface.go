package main

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/snmp"
)

// IF-MIB columns (design.md §5).
const (
	oidIfInDiscards  = "1.3.6.1.2.1.2.2.1.13"
	oidIfInErrors    = "1.3.6.1.2.1.2.2.1.14"
	oidIfOutDiscards = "1.3.6.1.2.1.2.2.1.19"
	oidIfOutErrors   = "1.3.6.1.2.1.2.2.1.20"
	oidIfOperStatus  = "1.3.6.1.2.1.2.2.1.8"
	oidIfName        = "1.3.6.1.2.1.31.1.1.1.1"
	oidIfHCInOctets  = "1.3.6.1.2.1.31.1.1.1.6"
	oidIfHCOutOctets = "1.3.6.1.2.1.31.1.1.1.10"
	oidIfHighSpeed   = "1.3.6.1.2.1.31.1.1.1.15"
	oidIfAlias       = "1.3.6.1.2.1.31.1.1.1.18"
)

// ifColumns are walked on every router that carries an interface signal.
var ifColumns = []string{oidIfName, oidIfAlias, oidIfOperStatus, oidIfHCInOctets, oidIfHCOutOctets,
	oidIfInErrors, oidIfOutErrors, oidIfInDiscards, oidIfOutDiscards, oidIfHighSpeed}

var operNames = map[int]string{1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant", 6: "notPresent", 7: "lowerLayerDown"}

// ifaceSignal is the "interface" signal of a line: IF-MIB of its router port.
type ifaceSignal struct {
	sig      *signal
	ref      InterfaceRef
	router   string
	capacity float64
	m        *metrics
	lv       []string // line labels + interface

	mu                          sync.Mutex
	rx, tx                      snmp.Counter
	inErr, outErr, inDis, outDi snmp.Counter
	lastTime                    time.Time
	lastIndex                   int
}

func newIfaceSignal(sig *signal, l *Line, m *metrics, lv []string) *ifaceSignal {
	s := &ifaceSignal{sig: sig, ref: *l.Interface, router: l.Router, capacity: float64(l.Capacity), m: m, lv: lv}
	s.inErr.Bits, s.outErr.Bits, s.inDis.Bits, s.outDi.Bits = 32, 32, 32, 32
	return s
}

func (s *ifaceSignal) with(extra string) []string {
	return append(append([]string(nil), s.lv...), extra)
}

// findIndex resolves the configured interface in a poll result.
func findIndex(ref InterfaceRef, vals map[string]snmp.Value) (int, bool) {
	if ref.Index > 0 {
		_, ok := vals[oidIfOperStatus+"."+strconv.Itoa(ref.Index)]
		return ref.Index, ok
	}
	col, want := oidIfName, ref.Name
	if ref.Alias != "" {
		col, want = oidIfAlias, ref.Alias
	}
	best := 0
	for k, v := range vals {
		rest, ok := strings.CutPrefix(k, col+".")
		if !ok || v.String() != want {
			continue
		}
		if i, err := strconv.Atoi(rest); err == nil && (best == 0 || i < best) {
			best = i
		}
	}
	return best, best > 0
}

func (s *ifaceSignal) onPoll(r *snmp.Result) {
	if r.Err != nil {
		s.sig.observe(r.Time, avail.Unknown, "router_not_answering", fmt.Sprintf("router %s: %s: %v", s.router, r.Reason, r.Err))
		return
	}
	idx, ok := findIndex(s.ref, r.Values)
	if !ok {
		how := "ifName"
		if s.ref.Alias != "" {
			how = "ifAlias"
		} else if s.ref.Index > 0 {
			how = "ifIndex"
		}
		s.sig.observe(r.Time, avail.Unknown, "interface_not_found", fmt.Sprintf("no interface with %s %q on router %s", how, s.ref.String(), s.router))
		return
	}
	sfx := "." + strconv.Itoa(idx)
	num := func(col string) (uint64, bool) {
		v, ok := r.Values[col+sfx]
		if !ok {
			return 0, false
		}
		u, err := v.Uint64()
		return u, err == nil
	}
	s.mu.Lock()
	if s.lastIndex != 0 && s.lastIndex != idx {
		// The name moved to another ifIndex: counters restart from this reading.
		s.rx, s.tx = snmp.Counter{}, snmp.Counter{}
		s.inErr, s.outErr, s.inDis, s.outDi = snmp.Counter{Bits: 32}, snmp.Counter{Bits: 32}, snmp.Counter{Bits: 32}, snmp.Counter{Bits: 32}
		s.lastTime = time.Time{}
	}
	s.lastIndex = idx
	speed := 0.0
	if v, ok := num(oidIfHighSpeed); ok {
		speed = float64(v) * 1e6
		s.m.ifSpeed.WithLabelValues(s.lv...).Set(speed / 8)
	}
	base := s.capacity
	if base <= 0 {
		base = speed
	}
	dt := r.Time.Sub(s.lastTime).Seconds()
	first := s.lastTime.IsZero()
	for _, c := range []struct {
		col string
		ctr *snmp.Counter
		add func(float64)
		dir string
	}{
		{oidIfHCInOctets, &s.rx, s.m.ifRx.WithLabelValues(s.lv...).Add, "receive"},
		{oidIfHCOutOctets, &s.tx, s.m.ifTx.WithLabelValues(s.lv...).Add, "transmit"},
		{oidIfInErrors, &s.inErr, s.m.ifErrors.WithLabelValues(s.with("receive")...).Add, ""},
		{oidIfOutErrors, &s.outErr, s.m.ifErrors.WithLabelValues(s.with("transmit")...).Add, ""},
		{oidIfInDiscards, &s.inDis, s.m.ifDiscards.WithLabelValues(s.with("receive")...).Add, ""},
		{oidIfOutDiscards, &s.outDi, s.m.ifDiscards.WithLabelValues(s.with("transmit")...).Add, ""},
	} {
		raw, ok := num(c.col)
		if !ok {
			continue
		}
		d := c.ctr.Update(raw, r.Uptime, r.HasUptime)
		c.add(float64(d))
		if c.dir != "" && !first && dt > 0 && base > 0 {
			s.m.ifUtil.WithLabelValues(append(append([]string(nil), s.lv...), c.dir)...).Set(float64(d) * 8 / dt / base)
		}
	}
	s.lastTime = r.Time
	s.mu.Unlock()

	ov, ok := r.Values[oidIfOperStatus+sfx]
	if !ok {
		s.sig.observe(r.Time, avail.Unknown, "no_oper_status", "ifOperStatus"+sfx+" missing")
		return
	}
	f, err := ov.Float()
	if err != nil {
		s.sig.observe(r.Time, avail.Unknown, "wrong_type", "ifOperStatus"+sfx+": "+err.Error())
		return
	}
	oper := int(f)
	up := 0.0
	if oper == 1 {
		up = 1
	}
	s.m.ifOperUp.WithLabelValues(s.lv...).Set(up)
	if oper == 1 {
		s.sig.observe(r.Time, avail.Up, "", "")
		return
	}
	name := operNames[oper]
	if name == "" {
		name = strconv.Itoa(oper)
	}
	s.sig.observe(r.Time, avail.Down, "oper_"+name, fmt.Sprintf("ifOperStatus %s(%d) on router %s", name, oper, s.router))
}
