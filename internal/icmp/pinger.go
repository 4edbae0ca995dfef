package icmp

import (
	"container/heap"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	xicmp "golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Mode selects the kind of ICMP socket.
type Mode int

const (
	// ModeAuto tries an unprivileged datagram socket, then a raw socket.
	ModeAuto Mode = iota
	// ModeUnprivileged uses "udp4"/"udp6" ICMP datagram sockets
	// (sysctl net.ipv4.ping_group_range must include the process's group).
	ModeUnprivileged
	// ModePrivileged uses raw "ip4:icmp"/"ip6:ipv6-icmp" sockets
	// (CAP_NET_RAW or root).
	ModePrivileged
)

func (m Mode) String() string {
	switch m {
	case ModeUnprivileged:
		return "unprivileged"
	case ModePrivileged:
		return "privileged"
	default:
		return "auto"
	}
}

// ParseMode parses "auto", "unprivileged" (or "udp") and "privileged" (or "raw").
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return ModeAuto, nil
	case "unprivileged", "udp", "datagram":
		return ModeUnprivileged, nil
	case "privileged", "raw":
		return ModePrivileged, nil
	}
	return ModeAuto, fmt.Errorf("unknown ICMP mode %q (auto, unprivileged, privileged)", s)
}

// Reason says why a probe failed ("" when it succeeded).
type Reason string

const (
	ReasonOK          Reason = ""
	ReasonTimeout     Reason = "timeout"
	ReasonUnreachable Reason = "unreachable"
	ReasonSendError   Reason = "send_error"
	ReasonClosed      Reason = "closed"
	ReasonCanceled    Reason = "canceled"
)

// Result is the outcome of one probe.
type Result struct {
	Addr   netip.Addr
	Seq    uint16
	Sent   time.Time     // when the request was written (zero if never written)
	RTT    time.Duration // round-trip time when OK
	Reason Reason        // ReasonOK on success
	Err    error         // the underlying error for send_error / unreachable
}

// OK reports whether an echo reply arrived in time.
func (r Result) OK() bool { return r.Reason == ReasonOK }

// Options configure a Pinger.
type Options struct {
	Mode Mode
	// Source binds the sockets to a local address (zero: any). When it is
	// an IPv4 address only IPv4 is opened, and vice versa.
	Source netip.Addr
	// PayloadSize is the echo payload in bytes (minimum and default 16).
	PayloadSize int
	Logger      *slog.Logger
	// Netns is the path of a network namespace (e.g. /var/run/netns/core,
	// /proc/PID/ns/net) in which the sockets are opened; "" = the caller's.
	// The engine's goroutines need no namespace: a socket stays in the
	// namespace it was created in.
	Netns string
	// Engine is EngineOwn ("", the default) or EngineProBing (probing.go).
	Engine Engine
}

// ErrPermission is wrapped by New when no ICMP socket may be opened.
var ErrPermission = errors.New("no permission to open an ICMP socket")

// PermissionHelp explains both ways to allow ICMP probes.
const PermissionHelp = `allow ICMP probes in one of two ways: ` +
	`(1) unprivileged ICMP datagram sockets: sysctl -w net.ipv4.ping_group_range="0 2147483647" ` +
	`(persist it in /etc/sysctl.d/); or (2) privileged raw sockets: give the binary CAP_NET_RAW ` +
	`(setcap cap_net_raw+ep BINARY, or AmbientCapabilities=CAP_NET_RAW in the systemd unit) or run it as root`

// Stats are engine counters.
type Stats struct {
	Sent, Replies, Timeouts, Unreachable, SendErrors uint64
	InFlight                                         int
}

// Pinger is the multiplexed engine. It is safe for concurrent use.
type Pinger struct {
	opts   Options
	log    *slog.Logger
	token  uint64
	v4, v6 *family
	// v6err is why IPv6 is unavailable (nil when open).
	v6err, v4err error

	mu      sync.Mutex
	queue   []*probe
	heap    deadlineHeap
	closed  bool
	wake    chan struct{}
	done    chan struct{}
	wg      sync.WaitGroup
	st      struct{ sent, replies, timeouts, unreach, senderr atomic.Uint64 }
	closing sync.Once

	lib *libEngine // EngineProBing: every method goes to it
}

type family struct {
	v6         bool
	privileged bool
	conn       net.PacketConn
	id         uint16
	nextSeq    uint16
	pending    map[uint16]*probe
}

type probe struct {
	addr     netip.Addr
	timeout  time.Duration
	cb       func(Result)
	fam      *family
	seq      uint16
	sent     time.Time
	deadline time.Time
	done     bool
	idx      int
}

// New opens the sockets and starts the engine.
func New(o Options) (*Pinger, error) {
	if o.PayloadSize < 16 {
		o.PayloadSize = 16
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch o.Engine {
	case "", EngineOwn:
	case EngineProBing:
		return newLib(o)
	default:
		return nil, fmt.Errorf("unknown ICMP engine %q (%s, %s)", o.Engine, EngineOwn, EngineProBing)
	}
	p := &Pinger{opts: o, log: o.Logger, wake: make(chan struct{}, 1), done: make(chan struct{})}
	var b [8]byte
	_, _ = rand.Read(b[:])
	p.token = binary.BigEndian.Uint64(b[:])
	src := o.Source.Unmap()
	openAll := func() {
		if !src.IsValid() || src.Is4() {
			p.v4, p.v4err = open(o.Mode, false, src)
		} else {
			p.v4err = errors.New("pinger bound to an IPv6 source")
		}
		if !src.IsValid() || !src.Is4() {
			p.v6, p.v6err = open(o.Mode, true, src)
		} else {
			p.v6err = errors.New("pinger bound to an IPv4 source")
		}
	}
	if o.Netns != "" {
		if err := inNetns(o.Netns, openAll); err != nil {
			return nil, err
		}
	} else {
		openAll()
	}
	if p.v4 == nil && p.v6 == nil {
		return nil, p.v4err
	}
	if src.IsValid() && src.Is4() && p.v4 == nil || !src.IsValid() && p.v4 == nil {
		if p.v6 != nil {
			p.v6.conn.Close()
		}
		return nil, p.v4err
	}
	for _, f := range []*family{p.v4, p.v6} {
		if f == nil {
			continue
		}
		f.pending = map[uint16]*probe{}
		_, _ = rand.Read(b[:4])
		f.id = binary.BigEndian.Uint16(b[:2])
		f.nextSeq = binary.BigEndian.Uint16(b[2:4])
		p.wg.Add(1)
		go p.receive(f)
	}
	p.wg.Add(1)
	go p.loop()
	p.log.Debug("icmp pinger started", "mode", p.Mode(), "source", src, "ipv6", p.v6 != nil)
	return p, nil
}

func open(mode Mode, v6 bool, src netip.Addr) (*family, error) {
	laddr := "0.0.0.0"
	udp, raw := "udp4", "ip4:icmp"
	if v6 {
		laddr, udp, raw = "::", "udp6", "ip6:ipv6-icmp"
	}
	if src.IsValid() {
		laddr = src.String()
	}
	var errU, errR error
	if mode == ModeAuto || mode == ModeUnprivileged {
		c, err := listenDatagram(v6, laddr)
		if err == nil {
			tune(c, false, v6)
			return &family{v6: v6, conn: c}, nil
		}
		errU = err
	}
	if mode == ModeAuto || mode == ModePrivileged {
		c, err := net.ListenPacket(raw, laddr)
		if err == nil {
			tune(c, true, v6)
			return &family{v6: v6, privileged: true, conn: c}, nil
		}
		errR = err
	}
	perm := func(e error) bool {
		return e != nil && (errors.Is(e, os.ErrPermission) || errors.Is(e, syscall.EACCES) || errors.Is(e, syscall.EPERM))
	}
	var parts []string
	if errU != nil {
		parts = append(parts, "unprivileged ("+udp+"): "+errU.Error())
	}
	if errR != nil {
		parts = append(parts, "privileged ("+raw+"): "+errR.Error())
	}
	msg := strings.Join(parts, "; ")
	if (errU == nil || perm(errU)) && (errR == nil || perm(errR)) {
		return nil, fmt.Errorf("icmp: %w: %s; %s", ErrPermission, msg, PermissionHelp)
	}
	// Some socket kind was permitted but failed otherwise (e.g. a source
	// address not on this host): report that, not permissions.
	if errR != nil && !perm(errR) {
		msg = "privileged (" + raw + "): " + errR.Error()
	} else if errU != nil && !perm(errU) {
		msg = "unprivileged (" + udp + "): " + errU.Error()
	}
	return nil, fmt.Errorf("icmp: cannot open ICMP socket: %s", msg)
}

// listenDatagram opens an unprivileged ICMP datagram socket.
func listenDatagram(v6 bool, laddr string) (net.PacketConn, error) {
	family, proto := syscall.AF_INET, 1
	if v6 {
		family, proto = syscall.AF_INET6, 58
	}
	ip, err := netip.ParseAddr(laddr)
	if err != nil {
		return nil, fmt.Errorf("source address %q: %v", laddr, err)
	}
	s, err := syscall.Socket(family, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, proto)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	var sa syscall.Sockaddr
	if v6 {
		sa = &syscall.SockaddrInet6{Addr: ip.As16()}
	} else {
		sa = &syscall.SockaddrInet4{Addr: ip.As4()}
	}
	if err := syscall.Bind(s, sa); err != nil {
		syscall.Close(s)
		return nil, os.NewSyscallError("bind", err)
	}
	f := os.NewFile(uintptr(s), "icmp-datagram")
	defer f.Close()
	return net.FilePacketConn(f)
}

// rcvBuf is the socket receive buffer: 10 000 replies arriving in one burst
// must not be dropped by the kernel.
const rcvBuf = 8 << 20

// tune enlarges the receive buffer and, on raw sockets, installs a kernel
// ICMP filter passing only echo replies and destination-unreachable.
func tune(c net.PacketConn, raw, v6 bool) {
	if sc, ok := c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			_ = rc.Control(func(fd uintptr) {
				if syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, rcvBuf) != nil {
					_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvBuf)
				}
				if syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUFFORCE, rcvBuf) != nil {
					_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, rcvBuf)
				}
			})
		}
	}
	if !raw {
		return
	}
	if v6 {
		var f ipv6.ICMPFilter
		f.SetAll(true)
		f.Accept(ipv6.ICMPTypeEchoReply)
		f.Accept(ipv6.ICMPTypeDestinationUnreachable)
		_ = ipv6.NewPacketConn(c).SetICMPFilter(&f)
		return
	}
	var f ipv4.ICMPFilter
	f.SetAll(true)
	f.Accept(ipv4.ICMPTypeEchoReply)
	f.Accept(ipv4.ICMPTypeDestinationUnreachable)
	_ = ipv4.NewPacketConn(c).SetICMPFilter(&f)
}

// Mode returns the socket kind in use ("privileged" or "unprivileged").
func (p *Pinger) Mode() Mode {
	if p.lib != nil {
		if p.lib.privileged {
			return ModePrivileged
		}
		return ModeUnprivileged
	}
	f := p.v4
	if f == nil {
		f = p.v6
	}
	if f.privileged {
		return ModePrivileged
	}
	return ModeUnprivileged
}

// IPv6 reports whether IPv6 probes are possible, and why not.
func (p *Pinger) IPv6() (bool, error) {
	if p.lib != nil {
		return p.lib.v6, p.lib.v6err
	}
	return p.v6 != nil, p.v6err
}

// Stats returns engine counters.
func (p *Pinger) Stats() Stats {
	if p.lib != nil {
		return p.lib.stats()
	}
	p.mu.Lock()
	n := 0
	for _, f := range []*family{p.v4, p.v6} {
		if f != nil {
			n += len(f.pending)
		}
	}
	p.mu.Unlock()
	return Stats{Sent: p.st.sent.Load(), Replies: p.st.replies.Load(), Timeouts: p.st.timeouts.Load(),
		Unreachable: p.st.unreach.Load(), SendErrors: p.st.senderr.Load(), InFlight: n}
}

// Send starts one probe of addr and returns at once. cb is called exactly
// once, from an engine goroutine, with the result; it must not block.
func (p *Pinger) Send(addr netip.Addr, timeout time.Duration, cb func(Result)) {
	addr = addr.Unmap()
	if timeout <= 0 {
		timeout = time.Second
	}
	pr := &probe{addr: addr, timeout: timeout, cb: cb, idx: -1}
	if p.lib != nil {
		p.lib.send(pr)
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		cb(Result{Addr: addr, Reason: ReasonClosed, Err: errors.New("pinger closed")})
		return
	}
	p.queue = append(p.queue, pr)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Ping sends one probe and waits for its result or for ctx.
func (p *Pinger) Ping(ctx context.Context, addr netip.Addr, timeout time.Duration) Result {
	ch := make(chan Result, 1)
	p.Send(addr, timeout, func(r Result) { ch <- r })
	select {
	case r := <-ch:
		return r
	case <-ctx.Done():
		return Result{Addr: addr, Reason: ReasonCanceled, Err: ctx.Err()}
	}
}

// Close stops the engine; probes in flight complete with ReasonClosed.
func (p *Pinger) Close() error {
	if p.lib != nil {
		p.lib.close()
		return nil
	}
	p.closing.Do(func() {
		p.mu.Lock()
		p.closed = true
		q := p.queue
		p.queue = nil
		var inflight []*probe
		for _, f := range []*family{p.v4, p.v6} {
			if f == nil {
				continue
			}
			for _, pr := range f.pending {
				pr.done = true
				inflight = append(inflight, pr)
			}
			f.pending = map[uint16]*probe{}
		}
		p.heap = nil
		p.mu.Unlock()
		close(p.done)
		for _, f := range []*family{p.v4, p.v6} {
			if f != nil {
				f.conn.Close()
			}
		}
		p.wg.Wait()
		for _, pr := range append(q, inflight...) {
			pr.cb(Result{Addr: pr.addr, Seq: pr.seq, Sent: pr.sent, Reason: ReasonClosed, Err: errors.New("pinger closed")})
		}
	})
	return nil
}

// loop writes queued probes and expires timeouts.
func (p *Pinger) loop() {
	defer p.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	buf := make([]byte, 0, 64+p.opts.PayloadSize)
	var fail []Result
	var cbs []func(Result)
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return
		}
		q := p.queue
		p.queue = nil
		p.mu.Unlock()

		for _, pr := range q {
			if r, bad := p.write(pr, &buf); bad {
				fail = append(fail, r)
				cbs = append(cbs, pr.cb)
			}
		}
		// Expire.
		now := time.Now()
		p.mu.Lock()
		for len(p.heap) > 0 && !p.heap[0].deadline.After(now) {
			pr := heap.Pop(&p.heap).(*probe)
			if pr.done {
				continue
			}
			pr.done = true
			delete(pr.fam.pending, pr.seq)
			p.st.timeouts.Add(1)
			fail = append(fail, Result{Addr: pr.addr, Seq: pr.seq, Sent: pr.sent, Reason: ReasonTimeout})
			cbs = append(cbs, pr.cb)
		}
		next := time.Hour
		if len(p.heap) > 0 {
			next = time.Until(p.heap[0].deadline)
		}
		p.mu.Unlock()
		for i, r := range fail {
			cbs[i](r)
		}
		fail, cbs = fail[:0], cbs[:0]

		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		if next < 0 {
			next = 0
		}
		timer.Reset(next)
		select {
		case <-p.wake:
		case <-timer.C:
		case <-p.done:
			return
		}
	}
}

// write sends one probe; it returns a failure result when the probe is
// finished already.
func (p *Pinger) write(pr *probe, buf *[]byte) (Result, bool) {
	f := p.v4
	if pr.addr.Is6() {
		f = p.v6
	}
	if f == nil || !pr.addr.IsValid() {
		err := p.v4err
		if pr.addr.Is6() {
			err = p.v6err
		}
		if !pr.addr.IsValid() {
			err = errors.New("invalid address")
		}
		p.st.senderr.Add(1)
		return Result{Addr: pr.addr, Reason: ReasonSendError, Err: err}, true
	}
	p.mu.Lock()
	seq, ok := f.allocSeq()
	if !ok {
		p.mu.Unlock()
		p.st.senderr.Add(1)
		return Result{Addr: pr.addr, Reason: ReasonSendError, Err: errors.New("too many probes in flight")}, true
	}
	pr.fam, pr.seq = f, seq
	pr.sent = time.Now()
	pr.deadline = pr.sent.Add(pr.timeout)
	f.pending[seq] = pr
	heap.Push(&p.heap, pr)
	p.mu.Unlock()

	b := p.marshal(f, seq, pr.sent, (*buf)[:0])
	var dst net.Addr
	if f.privileged {
		dst = &net.IPAddr{IP: pr.addr.AsSlice(), Zone: pr.addr.Zone()}
	} else {
		dst = &net.UDPAddr{IP: pr.addr.AsSlice(), Zone: pr.addr.Zone()}
	}
	// Never let one full send buffer stall every other probe: a write
	// that cannot complete at once fails this probe only.
	_ = f.conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	// Counted before the write: the reply (and its callback) can come
	// before WriteTo returns, and Stats must never show more replies than
	// requests sent.
	p.st.sent.Add(1)
	_, err := f.conn.WriteTo(b, dst)
	if err == nil {
		return Result{}, false
	}
	p.mu.Lock()
	already := pr.done
	pr.done = true
	if !already {
		delete(f.pending, seq)
	}
	p.mu.Unlock()
	if already {
		return Result{}, false
	}
	r := Result{Addr: pr.addr, Seq: seq, Sent: pr.sent, Err: err}
	if IsUnreachable(err) {
		r.Reason = ReasonUnreachable
		p.st.unreach.Add(1)
	} else {
		r.Reason = ReasonSendError
		p.st.senderr.Add(1)
	}
	return r, true
}

// IsUnreachable reports whether a send error means "no way to the target"
// (network/host unreachable, no route): a down observation.
func IsUnreachable(err error) bool {
	return errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETDOWN) || errors.Is(err, syscall.EHOSTDOWN) ||
		errors.Is(err, syscall.EADDRNOTAVAIL)
}

func (f *family) allocSeq() (uint16, bool) {
	for i := 0; i < 65536; i++ {
		s := f.nextSeq
		f.nextSeq++
		if _, busy := f.pending[s]; !busy {
			return s, true
		}
	}
	return 0, false
}

func (p *Pinger) marshal(f *family, seq uint16, sent time.Time, buf []byte) []byte {
	data := make([]byte, p.opts.PayloadSize)
	binary.BigEndian.PutUint64(data[0:8], p.token)
	binary.BigEndian.PutUint64(data[8:16], uint64(sent.UnixNano()))
	var typ xicmp.Type = ipv4.ICMPTypeEcho
	if f.v6 {
		typ = ipv6.ICMPTypeEchoRequest
	}
	m := xicmp.Message{Type: typ, Body: &xicmp.Echo{ID: int(f.id), Seq: int(seq), Data: data}}
	b, err := m.Marshal(nil)
	if err != nil { // cannot happen for echo
		return buf
	}
	return append(buf, b...)
}

func (p *Pinger) receive(f *family) {
	defer p.wg.Done()
	proto := 1
	if f.v6 {
		proto = 58
	}
	b := make([]byte, 1500)
	for {
		n, from, err := f.conn.ReadFrom(b)
		now := time.Now()
		if err != nil {
			select {
			case <-p.done:
				return
			default:
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			p.log.Debug("icmp read error", "err", err)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		m, err := xicmp.ParseMessage(proto, b[:n])
		if err != nil {
			continue
		}
		src := addrOf(from)
		switch body := m.Body.(type) {
		case *xicmp.Echo:
			if m.Type != ipv4.ICMPTypeEchoReply && m.Type != ipv6.ICMPTypeEchoReply {
				continue
			}
			if f.privileged && uint16(body.ID) != f.id {
				continue
			}
			if len(body.Data) < 16 || binary.BigEndian.Uint64(body.Data[0:8]) != p.token {
				continue
			}
			p.finish(f, uint16(body.Seq), src, now, ReasonOK, nil)
		case *xicmp.DstUnreach:
			if !f.privileged {
				continue
			}
			id, seq, dst, ok := embeddedEcho(f.v6, body.Data)
			if !ok || id != f.id {
				continue
			}
			p.finishUnreach(f, seq, dst, now, fmt.Errorf("destination unreachable (type %v code %d) from %v", m.Type, m.Code, src))
		}
	}
}

func addrOf(a net.Addr) netip.Addr {
	var ip net.IP
	switch v := a.(type) {
	case *net.IPAddr:
		ip = v.IP
	case *net.UDPAddr:
		ip = v.IP
	}
	x, _ := netip.AddrFromSlice(ip)
	return x.Unmap()
}

// embeddedEcho parses the original datagram quoted in an ICMP error.
func embeddedEcho(v6 bool, d []byte) (id, seq uint16, dst netip.Addr, ok bool) {
	var hl int
	if v6 {
		if len(d) < 40+8 || d[6] != 58 {
			return
		}
		hl = 40
		dst, _ = netip.AddrFromSlice(d[24:40])
	} else {
		if len(d) < 20 {
			return
		}
		hl = int(d[0]&0x0f) * 4
		if len(d) < hl+8 || d[9] != 1 {
			return
		}
		dst, _ = netip.AddrFromSlice(d[16:20])
	}
	icmpb := d[hl:]
	if !(icmpb[0] == 8 || icmpb[0] == 128) {
		return
	}
	return binary.BigEndian.Uint16(icmpb[4:6]), binary.BigEndian.Uint16(icmpb[6:8]), dst, true
}

func (p *Pinger) finish(f *family, seq uint16, src netip.Addr, now time.Time, reason Reason, err error) {
	p.mu.Lock()
	pr, ok := f.pending[seq]
	if !ok || pr.done || (src.IsValid() && src != pr.addr) {
		p.mu.Unlock()
		return
	}
	pr.done = true
	delete(f.pending, seq)
	p.mu.Unlock()
	p.st.replies.Add(1)
	pr.cb(Result{Addr: pr.addr, Seq: seq, Sent: pr.sent, RTT: now.Sub(pr.sent), Reason: reason, Err: err})
}

func (p *Pinger) finishUnreach(f *family, seq uint16, dst netip.Addr, now time.Time, err error) {
	p.mu.Lock()
	pr, ok := f.pending[seq]
	if !ok || pr.done || (dst.IsValid() && dst.Unmap() != pr.addr) {
		p.mu.Unlock()
		return
	}
	pr.done = true
	delete(f.pending, seq)
	p.mu.Unlock()
	p.st.unreach.Add(1)
	pr.cb(Result{Addr: pr.addr, Seq: seq, Sent: pr.sent, Reason: ReasonUnreachable, Err: err})
}

// deadlineHeap is a min-heap of probes by deadline (lazy deletion: probes
// finished by a reply stay in it until their deadline pops them).
type deadlineHeap []*probe

func (h deadlineHeap) Len() int           { return len(h) }
func (h deadlineHeap) Less(i, j int) bool { return h[i].deadline.Before(h[j].deadline) }
func (h deadlineHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i]; h[i].idx = i; h[j].idx = j }
func (h *deadlineHeap) Push(x any)        { pr := x.(*probe); pr.idx = len(*h); *h = append(*h, pr) }
func (h *deadlineHeap) Pop() any {
	old := *h
	n := len(old)
	pr := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	pr.idx = -1
	return pr
}
