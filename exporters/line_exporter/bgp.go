package main

import (
	"fmt"
	"sync"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/snmp"
)

// BGP4-MIB bgpPeerTable columns (design.md §5), indexed by the peer's IPv4 address.
const (
	oidBgpPeerState          = "1.3.6.1.2.1.15.3.1.2"
	oidBgpPeerAdminStatus    = "1.3.6.1.2.1.15.3.1.3"
	oidBgpPeerLastError      = "1.3.6.1.2.1.15.3.1.14"
	oidBgpPeerTransitions    = "1.3.6.1.2.1.15.3.1.15"
	oidBgpPeerEstablishedFor = "1.3.6.1.2.1.15.3.1.16"
)

var bgpStateNames = map[int]string{1: "idle", 2: "connect", 3: "active", 4: "opensent", 5: "openconfirm", 6: "established"}

// bgpSignal is the "bgp" signal of a line for one peer.
type bgpSignal struct {
	sig    *signal
	peer   string
	router string
	m      *metrics
	lv     []string // line labels + peer

	mu          sync.Mutex
	transitions snmp.Counter
}

func newBGPSignal(sig *signal, router, peer string, m *metrics, lv []string) *bgpSignal {
	s := &bgpSignal{sig: sig, peer: peer, router: router, m: m, lv: lv}
	s.transitions.Bits = 32
	return s
}

func bgpOIDs(peer string) []string {
	return []string{oidBgpPeerState + "." + peer, oidBgpPeerAdminStatus + "." + peer, oidBgpPeerLastError + "." + peer,
		oidBgpPeerTransitions + "." + peer, oidBgpPeerEstablishedFor + "." + peer}
}

func (s *bgpSignal) onPoll(r *snmp.Result) {
	if r.Err != nil {
		s.sig.observe(r.Time, avail.Unknown, "router_not_answering", fmt.Sprintf("router %s: %s: %v", s.router, r.Reason, r.Err))
		return
	}
	v, ok := r.Values[oidBgpPeerState+"."+s.peer]
	if !ok {
		s.sig.observe(r.Time, avail.Unknown, "peer_not_found", fmt.Sprintf("peer %s not in bgpPeerTable of router %s", s.peer, s.router))
		return
	}
	f, err := v.Float()
	if err != nil || f < 1 || f > 6 {
		s.sig.observe(r.Time, avail.Unknown, "wrong_type", fmt.Sprintf("bgpPeerState.%s = %v", s.peer, v))
		return
	}
	state := int(f)
	s.m.bgpState.WithLabelValues(s.lv...).Set(f)
	est := 0.0
	if state == 6 {
		est = 1
	}
	s.m.bgpEstablished.WithLabelValues(s.lv...).Set(est)
	if tv, ok := r.Values[oidBgpPeerEstablishedFor+"."+s.peer]; ok {
		if x, err := tv.Float(); err == nil {
			s.m.bgpEstSeconds.WithLabelValues(s.lv...).Set(x)
		}
	}
	if tv, ok := r.Values[oidBgpPeerTransitions+"."+s.peer]; ok {
		if x, err := tv.Uint64(); err == nil {
			s.mu.Lock()
			d := s.transitions.Update(x, r.Uptime, r.HasUptime)
			s.mu.Unlock()
			s.m.bgpTransitions.WithLabelValues(s.lv...).Add(float64(d))
		}
	}
	if state == 6 {
		s.sig.observe(r.Time, avail.Up, "", "")
		return
	}
	detail := fmt.Sprintf("bgpPeerState %s(%d) on router %s", bgpStateNames[state], state, s.router)
	if av, ok := r.Values[oidBgpPeerAdminStatus+"."+s.peer]; ok {
		if a, err := av.Float(); err == nil && a == 1 {
			detail += ", admin stop"
		}
	}
	if ev, ok := r.Values[oidBgpPeerLastError+"."+s.peer]; ok {
		if b, ok := ev.V.([]byte); ok && len(b) == 2 && (b[0] != 0 || b[1] != 0) {
			detail += fmt.Sprintf(", last error %s", notificationText(b[0], b[1]))
		}
	}
	s.sig.observe(r.Time, avail.Down, "bgp_"+bgpStateNames[state], detail)
}

// notificationText names a BGP NOTIFICATION error code/subcode (RFC 4271 §4.5).
func notificationText(code, sub byte) string {
	names := map[byte]string{1: "Message Header Error", 2: "OPEN Message Error", 3: "UPDATE Message Error",
		4: "Hold Timer Expired", 5: "Finite State Machine Error", 6: "Cease"}
	n := names[code]
	if n == "" {
		n = "code"
	}
	return fmt.Sprintf("%s (%d/%d)", n, code, sub)
}
