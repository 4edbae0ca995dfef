// Package hostilesnmp is a hostile SNMP v1/v2c agent for tests: a UDP
// agent on loopback that answers like the broken or malicious firmware the
// poller must survive. Requests are decoded and responses encoded with
// gosnmp's BER codec (so that everything but the hostile part is valid SNMP).
//
// Modes:
//
//	Endless        walks never end: every GetNext/GetBulk under a root gets the next, increasing rows, forever
//	BigTable       a finite table of Rows rows (default 200 000) under each root (every mode but Endless serves Rows rows)
//	WrongTypes     every GET and walk value has a type the MIB does not allow (strings, OIDs, IpAddress, Null)
//	WrongRequestID valid responses carrying a request id that was never asked
//	GarbageBER     datagrams that are not BER: random bytes, truncated messages, lengths beyond the datagram
//	NonIncreasing  walks go back: rows out of order inside a response and the same row again in the next one
//	Flood          each request gets Flood copies of its response and as many with other request ids
//	Silent         requests are read and counted, never answered
//
// GETs of OIDs outside the roots are answered with INTEGER 1 (TimeTicks for
// sysUpTime.0) in every mode except WrongTypes, WrongRequestID, GarbageBER,
// Flood (answered, flooded) and Silent.
package hostilesnmp

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gosnmp/gosnmp"
)

// Mode is how the agent misbehaves.
type Mode int

const (
	Endless Mode = iota
	BigTable
	WrongTypes
	WrongRequestID
	GarbageBER
	NonIncreasing
	Flood
	Silent
)

func (m Mode) String() string {
	return [...]string{"endless", "big-table", "wrong-types", "wrong-request-id", "garbage-ber", "non-increasing", "flood", "silent"}[m]
}

// Options tune the agent; zero values take the defaults.
type Options struct {
	// Roots are the table columns (or subtrees) the agent serves rows
	// under: row i of root R is R.i. Default: ifDescr (1.3.6.1.2.1.2.2.1.2).
	Roots []string
	// Rows of BigTable (default 200 000).
	Rows int
	// ValueSize is the length of the OCTET STRING value of each row
	// (default 64 bytes).
	ValueSize int
	// Flood is the number of copies of each response in Flood mode
	// (default 200).
	Flood int
}

// Agent is a running hostile agent.
type Agent struct {
	Addr string // 127.0.0.1:port
	Mode Mode

	requests atomic.Int64
	sent     atomic.Int64
	maxRow   atomic.Int64
	conn     *net.UDPConn
	opts     Options
	done     chan struct{}
}

// Requests is the number of requests received so far.
func (a *Agent) Requests() int64 { return a.requests.Load() }

// Sent is the number of datagrams sent so far.
func (a *Agent) Sent() int64 { return a.sent.Load() }

// MaxRow is the highest row index served so far (walk modes).
func (a *Agent) MaxRow() int64 { return a.maxRow.Load() }

// Start runs an agent on a loopback UDP port until the test ends.
func Start(t testing.TB, mode Mode, o Options) *Agent {
	t.Helper()
	a, err := Listen(mode, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// Listen runs an agent on a loopback UDP port until Close.
func Listen(mode Mode, o Options) (*Agent, error) {
	if len(o.Roots) == 0 {
		o.Roots = []string{"1.3.6.1.2.1.2.2.1.2"}
	}
	for i, r := range o.Roots {
		o.Roots[i] = strings.TrimPrefix(r, ".")
	}
	if o.Rows <= 0 {
		o.Rows = 200000
	}
	if o.ValueSize <= 0 {
		o.ValueSize = 64
	}
	if o.Flood <= 0 {
		o.Flood = 200
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	a := &Agent{Addr: conn.LocalAddr().String(), Mode: mode, conn: conn, opts: o, done: make(chan struct{})}
	go a.serve()
	return a, nil
}

// Close stops the agent and waits for it.
func (a *Agent) Close() {
	a.conn.Close()
	<-a.done
}

func (a *Agent) serve() {
	defer close(a.done)
	buf := make([]byte, 65535)
	dec := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Logger: gosnmp.NewLogger(nil)}
	rng := rand.New(rand.NewPCG(1, 2))
	for {
		n, from, err := a.conn.ReadFromUDP(buf)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return // closed
		}
		a.requests.Add(1)
		if a.Mode == Silent {
			continue
		}
		req, err := dec.SnmpDecodePacket(append([]byte(nil), buf[:n]...))
		if err != nil || req.Version == gosnmp.Version3 {
			continue
		}
		for _, out := range a.answer(req, rng) {
			if _, err := a.conn.WriteToUDP(out, from); err == nil {
				a.sent.Add(1)
			}
		}
	}
}

// answer returns the datagrams to send for a request.
func (a *Agent) answer(req *gosnmp.SnmpPacket, rng *rand.Rand) [][]byte {
	resp := &gosnmp.SnmpPacket{Version: req.Version, Community: req.Community, PDUType: gosnmp.GetResponse,
		RequestID: req.RequestID}
	switch req.PDUType {
	case gosnmp.GetRequest:
		for _, v := range req.Variables {
			resp.Variables = append(resp.Variables, a.get(strings.TrimPrefix(v.Name, "."), len(resp.Variables)))
		}
	case gosnmp.GetNextRequest, gosnmp.GetBulkRequest:
		reps := 1
		if req.PDUType == gosnmp.GetBulkRequest {
			reps = max(1, int(req.MaxRepetitions))
		}
		// keep the response in one datagram
		reps = min(reps, max(1, 48000/(a.opts.ValueSize+40)))
		for _, v := range req.Variables {
			resp.Variables = append(resp.Variables, a.next(strings.TrimPrefix(v.Name, "."), reps)...)
		}
	default:
		return nil
	}
	switch a.Mode {
	case WrongRequestID:
		resp.RequestID = req.RequestID + 1 + uint32(rng.IntN(1000))
	case GarbageBER:
		return a.garbage(resp, rng)
	}
	b, err := resp.MarshalMsg()
	if err != nil {
		return nil
	}
	if a.Mode != Flood {
		return [][]byte{b}
	}
	out := make([][]byte, 0, 2*a.opts.Flood)
	for i := 0; i < a.opts.Flood; i++ {
		out = append(out, b)
		other := *resp
		other.RequestID = req.RequestID + 1000000 + uint32(i) // never one the client will use soon
		if ob, err := other.MarshalMsg(); err == nil {
			out = append(out, ob)
		}
	}
	return out
}

// garbage returns datagrams that are not valid SNMP.
func (a *Agent) garbage(resp *gosnmp.SnmpPacket, rng *rand.Rand) [][]byte {
	good, _ := resp.MarshalMsg()
	random := make([]byte, 1+rng.IntN(1400))
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	out := [][]byte{random}
	if len(good) > 4 {
		out = append(out, good[:len(good)/2]) // truncated
		huge := append([]byte{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff}, good[2:]...)
		out = append(out, huge) // length far beyond the datagram
		bad := append([]byte(nil), good...)
		bad[len(bad)-1] ^= 0xff
		bad[len(bad)/2] = 0x9f // an extension tag in the middle
		out = append(out, bad)
	}
	out = append(out, []byte{0x30, 0x03, 0x02, 0x01}) // inner length beyond its parent
	return out
}

const sysUpTime = "1.3.6.1.2.1.1.3.0"

// get answers one GET variable.
func (a *Agent) get(oid string, i int) gosnmp.SnmpPDU {
	if a.Mode == WrongTypes {
		return a.wrong(oid, i)
	}
	if oid == sysUpTime {
		return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.TimeTicks, Value: uint32(4242)}
	}
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.Integer, Value: 1}
}

// wrong returns a value of a type no numeric MIB object has.
func (a *Agent) wrong(oid string, i int) gosnmp.SnmpPDU {
	switch i % 4 {
	case 0:
		return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.OctetString, Value: []byte("not a number \xff\xfe")}
	case 1:
		return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.ObjectIdentifier, Value: ".1.3.6.1.4.1.99999.666"}
	case 2:
		return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.IPAddress, Value: "192.0.2.66"}
	}
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.OctetString, Value: []byte{}}
}

// root returns the root oid is under (or is), and the row index after it
// (0 for the root itself).
func (a *Agent) root(oid string) (string, int, bool) {
	for _, r := range a.opts.Roots {
		if oid == r {
			return r, 0, true
		}
		if rest, ok := strings.CutPrefix(oid, r+"."); ok {
			first, _, _ := strings.Cut(rest, ".")
			n, err := strconv.Atoi(first)
			if err != nil {
				return r, 0, true
			}
			return r, n, true
		}
	}
	// before a root: the walk starts at its first row
	return "", 0, false
}

// next answers one GetNext/GetBulk variable with up to reps rows.
func (a *Agent) next(oid string, reps int) []gosnmp.SnmpPDU {
	r, row, ok := a.root(oid)
	if !ok {
		return []gosnmp.SnmpPDU{{Name: oid, Type: gosnmp.EndOfMibView}}
	}
	var out []gosnmp.SnmpPDU
	switch a.Mode {
	case NonIncreasing:
		if reps == 1 { // GetNext: the first row, again and again
			return []gosnmp.SnmpPDU{a.row(r, 1)}
		}
		return []gosnmp.SnmpPDU{a.row(r, 2), a.row(r, 1)} // backwards inside one response
	case WrongTypes:
		for i := row + 1; i <= min(row+reps, 3); i++ {
			p := a.wrong(r+"."+strconv.Itoa(i), i)
			out = append(out, p)
		}
		if len(out) == 0 {
			out = append(out, gosnmp.SnmpPDU{Name: oid, Type: gosnmp.EndOfMibView})
		}
		return out
	}
	for i := row + 1; i <= row+reps; i++ {
		if a.Mode != Endless && i > a.opts.Rows {
			out = append(out, gosnmp.SnmpPDU{Name: nextRoot(r), Type: gosnmp.Integer, Value: 0}) // past the table
			break
		}
		out = append(out, a.row(r, i))
	}
	return out
}

func (a *Agent) row(root string, i int) gosnmp.SnmpPDU {
	for {
		m := a.maxRow.Load()
		if int64(i) <= m || a.maxRow.CompareAndSwap(m, int64(i)) {
			break
		}
	}
	v := []byte(fmt.Sprintf("row-%d-", i))
	for len(v) < a.opts.ValueSize {
		v = append(v, 'x')
	}
	return gosnmp.SnmpPDU{Name: root + "." + strconv.Itoa(i), Type: gosnmp.OctetString, Value: v[:a.opts.ValueSize]}
}

// nextRoot is the OID right after the subtree of root (its last arc + 1).
func nextRoot(root string) string {
	i := strings.LastIndexByte(root, '.')
	n, _ := strconv.Atoi(root[i+1:])
	return root[:i+1] + strconv.Itoa(n+1)
}
