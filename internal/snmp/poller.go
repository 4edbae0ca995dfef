package snmp

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/jianguan/jianguan/internal/config"

	"github.com/jianguan/jianguan/internal/constmetric"
)

// Reason classifies poll errors (label "reason" of <ns>_device_errors_total).
type Reason string

const (
	ReasonTimeout      Reason = "timeout"
	ReasonAuth         Reason = "auth"
	ReasonNoSuchObject Reason = "noSuchObject"
	ReasonWrongType    Reason = "wrongType"
	ReasonDecode       Reason = "decode"
	ReasonOther        Reason = "other"
	// ReasonRowLimit: a walk returned more than Target.MaxRows rows, or a
	// poll more than Target.MaxBytes bytes of OIDs and values.
	ReasonRowLimit Reason = "row_limit"
	// ReasonDeadline: the poll ran longer than Target.Deadline.
	ReasonDeadline Reason = "deadline"
	// ReasonNotIncreasing: a walk returned an OID not after the previous one.
	ReasonNotIncreasing Reason = "not_increasing"
)

// Reasons lists every reason, in export order.
var Reasons = []Reason{ReasonTimeout, ReasonAuth, ReasonNoSuchObject, ReasonWrongType, ReasonDecode, ReasonOther,
	ReasonRowLimit, ReasonDeadline, ReasonNotIncreasing}

// Bounds of one poll (see Target). A hostile or broken agent that answers a
// walk forever, or sends huge values, ends the poll with an error of reason
// row_limit or deadline instead of growing the process.
const (
	DefaultMaxRows  = 10000   // rows per walked subtree
	MaxMaxRows      = 1000000 // largest MaxRows accepted by configurations
	DefaultMaxBytes = 8 << 20 // OID and value bytes kept per poll
)

// DefaultDeadline is the poll deadline of a target that sets none: the
// larger of the interval and (retries + 2) × timeout, so that a poll never
// holds its concurrency slot much beyond its interval, yet a request that
// times out after its retries is still reported as a timeout.
func DefaultDeadline(interval, timeout time.Duration, retries int) time.Duration {
	return max(interval, time.Duration(retries+2)*timeout)
}

// Errors of bounded polls (wrapped in Result.Err).
var (
	ErrRowLimit      = errors.New("row limit exceeded")
	ErrByteLimit     = errors.New("byte limit exceeded")
	ErrDeadline      = errors.New("poll deadline exceeded")
	ErrNotIncreasing = errors.New("OID not increasing")
)

const numReasons = 9

// Auth holds SNMP credentials. Secrets never print.
type Auth struct {
	Version       string        `yaml:"version"`                  // "1", "2c" (default), "3"
	Community     config.Secret `yaml:"community,omitempty"`      // v1/v2c
	Username      string        `yaml:"username,omitempty"`       // v3
	SecurityLevel string        `yaml:"security_level,omitempty"` // noAuthNoPriv|authNoPriv|authPriv (v3, default authPriv)
	AuthProtocol  string        `yaml:"auth_protocol,omitempty"`  // MD5|SHA|SHA224|SHA256|SHA384|SHA512
	AuthPassword  config.Secret `yaml:"auth_password,omitempty"`
	PrivProtocol  string        `yaml:"priv_protocol,omitempty"` // DES|AES|AES192|AES256|AES192C|AES256C
	PrivPassword  config.Secret `yaml:"priv_password,omitempty"`
	ContextName   string        `yaml:"context_name,omitempty"`
}

var authProtos = map[string]gosnmp.SnmpV3AuthProtocol{"MD5": gosnmp.MD5, "SHA": gosnmp.SHA, "SHA1": gosnmp.SHA,
	"SHA224": gosnmp.SHA224, "SHA256": gosnmp.SHA256, "SHA384": gosnmp.SHA384, "SHA512": gosnmp.SHA512}
var privProtos = map[string]gosnmp.SnmpV3PrivProtocol{"DES": gosnmp.DES, "AES": gosnmp.AES, "AES128": gosnmp.AES,
	"AES192": gosnmp.AES192, "AES256": gosnmp.AES256, "AES192C": gosnmp.AES192C, "AES256C": gosnmp.AES256C}

// Validate checks the credentials; messages never contain secrets.
func (a *Auth) Validate() error {
	switch a.Version {
	case "", "2c", "2", "1":
		if a.Community == "" {
			return errors.New("community is required for SNMP v1/v2c")
		}
		return nil
	case "3":
	default:
		return fmt.Errorf("version must be 1, 2c or 3, not %q", a.Version)
	}
	if a.Username == "" {
		return errors.New("username is required for SNMP v3")
	}
	lvl := a.SecurityLevel
	if lvl == "" {
		lvl = "authPriv"
	}
	switch lvl {
	case "noAuthNoPriv":
		return nil
	case "authNoPriv", "authPriv":
	default:
		return fmt.Errorf("security_level must be noAuthNoPriv, authNoPriv or authPriv, not %q", a.SecurityLevel)
	}
	if _, ok := authProtos[strings.ToUpper(a.AuthProtocol)]; !ok {
		return fmt.Errorf("auth_protocol must be one of MD5, SHA, SHA224, SHA256, SHA384, SHA512, not %q", a.AuthProtocol)
	}
	if len(a.AuthPassword) < 8 {
		return errors.New("auth_password must have at least 8 characters")
	}
	if lvl == "authPriv" {
		if _, ok := privProtos[strings.ToUpper(a.PrivProtocol)]; !ok {
			return fmt.Errorf("priv_protocol must be one of DES, AES, AES192, AES256, AES192C, AES256C, not %q", a.PrivProtocol)
		}
		if len(a.PrivPassword) < 8 {
			return errors.New("priv_password must have at least 8 characters")
		}
	}
	return nil
}

// Request is what one poll asks for.
type Request struct {
	Get    []string // scalar instance OIDs, several per GET PDU
	Walk   []string // subtrees (table columns), walked with GetBulk
	Uptime bool     // also GET sysUpTime.0 into Result.Uptime
	// Optional are GET OIDs (also listed in Get) whose absence is normal,
	// e.g. identification probes: they are left out of Result.Missing and
	// not counted as noSuchObject.
	Optional []string
}

// Target is one device.
type Target struct {
	Name     string // unique key
	Address  string // host or host:port (default port 161)
	Auth     Auth
	Interval time.Duration // default 10 s
	Timeout  time.Duration // per request, default 2 s
	Retries  int           // per request
	MaxOIDs  int           // OIDs per GET PDU, default 20
	MaxReps  uint32        // GetBulk max-repetitions, default 25
	// MaxRows bounds the rows of each walked subtree (default
	// DefaultMaxRows); more fails the poll with reason row_limit.
	MaxRows int
	// MaxBytes bounds the OID and value bytes of one poll (default
	// DefaultMaxBytes); more fails the poll with reason row_limit.
	MaxBytes int
	// Deadline bounds the wall-clock time of one poll, all requests and
	// retries included (default: DefaultDeadline); past it the poll fails
	// with reason deadline and frees its concurrency slot.
	Deadline time.Duration
	Labels   map[string]string
	Request  Request
}

// Result is the outcome of one poll.
type Result struct {
	Target    string
	Time      time.Time // end of the poll
	Duration  time.Duration
	Err       error // nil = every PDU answered
	Reason    Reason
	Values    map[string]Value // OID without leading dot → value (missing OIDs absent)
	Missing   []string         // GET OIDs answered noSuchObject/noSuchInstance/endOfMibView
	Empty     []string         // walked subtrees without rows (an empty table is normal, not an error)
	Uptime    uint32           // sysUpTime (TimeTicks) if Request.Uptime
	HasUptime bool
}

// Options configure a Poller.
type Options struct {
	Namespace   string   // e.g. "env" → env_device_up
	Labels      []string // label names on every health metric, values from Target.Labels
	UpLabels    []string // extra label names only on <ns>_device_up
	Concurrency int      // global limit of polls in flight, default 64
	Buckets     []float64
	Logger      *slog.Logger
	OnPoll      func(*Result) // after each poll, in the device's goroutine
	// NextRequest, if set, is called after OnPoll; when it returns true the
	// target's following polls ask for the returned request instead (e.g.
	// the device was identified from its sysObjectID and its profile's
	// OIDs are now known). The configured Target is unchanged: SetTargets
	// with the same target keeps the loop and the switched request.
	NextRequest func(*Result) (Request, bool)
}

// Poller polls targets in the background. It is a prometheus.Collector.
type Poller struct {
	opts Options
	sem  chan struct{}
	// semDown is a smaller pool for devices whose last poll timed out, so
	// that many dead devices (each holding a slot for timeout × tries)
	// never starve the healthy ones.
	semDown chan struct{}
	log     *slog.Logger

	mu      sync.Mutex
	devices map[string]*device
	stopped bool

	up, lastOK, dur, errs, age *prometheus.Desc
}

type device struct {
	t      Target
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	polled   bool
	ok       bool
	last     *Result // last good
	lastErr  string
	lastWhy  Reason
	errs     [numReasons]uint64
	hCount   uint64
	hSum     float64
	hBuckets []uint64

	// label pairs, built once per target
	lp, upLP []*dto.LabelPair
	errLP    [numReasons][]*dto.LabelPair
}

// New creates a poller without targets.
func New(o Options) *Poller {
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.Buckets == nil {
		o.Buckets = []float64{0.01, 0.05, 0.1, 0.5, 1, 5}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	n := func(s string) string { return o.Namespace + "_device_" + s }
	upL := append(append([]string{}, o.Labels...), o.UpLabels...)
	errL := append(append([]string{}, o.Labels...), "reason")
	return &Poller{
		opts: o, sem: make(chan struct{}, o.Concurrency), semDown: make(chan struct{}, max(2, o.Concurrency/4)),
		log: o.Logger, devices: map[string]*device{},
		up:     prometheus.NewDesc(n("up"), "1 if the last SNMP poll of the device succeeded.", upL, nil),
		lastOK: prometheus.NewDesc(n("last_success_timestamp_seconds"), "Unix time of the last successful SNMP poll (0: none yet).", o.Labels, nil),
		dur:    prometheus.NewDesc(n("poll_duration_seconds"), "Duration of SNMP polls of the device.", o.Labels, nil),
		errs:   prometheus.NewDesc(n("errors_total"), "SNMP poll errors by reason.", errL, nil),
		age:    prometheus.NewDesc(n("data_age_seconds"), "Age of the last good values of the device (absent before the first success).", o.Labels, nil),
	}
}

// SetTargets replaces the set of targets. Targets whose definition is
// unchanged keep their polling loop, counters and last good values; changed
// ones restart; missing ones stop.
func (p *Poller) SetTargets(ts []Target) error {
	seen := map[string]bool{}
	for i := range ts {
		if ts[i].Name == "" {
			return errors.New("snmp: target without name")
		}
		if seen[ts[i].Name] {
			return fmt.Errorf("snmp: duplicate target %q", ts[i].Name)
		}
		seen[ts[i].Name] = true
		if err := ts[i].Auth.Validate(); err != nil {
			return fmt.Errorf("snmp: target %q: %w", ts[i].Name, err)
		}
		fill(&ts[i])
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return errors.New("snmp: poller stopped")
	}
	var toStop []*device
	for name, d := range p.devices {
		if !seen[name] {
			toStop = append(toStop, d)
			delete(p.devices, name)
		}
	}
	for _, t := range ts {
		if d, ok := p.devices[t.Name]; ok {
			if reflect.DeepEqual(d.t, t) {
				continue
			}
			toStop = append(toStop, d)
		}
		d := &device{t: t, hBuckets: make([]uint64, len(p.opts.Buckets))}
		p.labelPairs(d)
		if old, ok := p.devices[t.Name]; ok {
			old.mu.Lock()
			d.errs, d.hCount, d.hSum = old.errs, old.hCount, old.hSum
			copy(d.hBuckets, old.hBuckets)
			old.mu.Unlock()
		}
		p.devices[t.Name] = d
		p.start(d)
	}
	for _, d := range toStop {
		d.cancel()
	}
	return nil
}

func fill(t *Target) {
	if t.Interval <= 0 {
		t.Interval = 10 * time.Second
	}
	if t.Timeout <= 0 {
		t.Timeout = 2 * time.Second
	}
	if t.Retries < 0 {
		t.Retries = 0
	}
	if t.MaxOIDs <= 0 {
		t.MaxOIDs = 20
	}
	if t.MaxReps == 0 {
		t.MaxReps = 25
	}
	if t.MaxRows <= 0 {
		t.MaxRows = DefaultMaxRows
	}
	if t.MaxBytes <= 0 {
		t.MaxBytes = DefaultMaxBytes
	}
	if t.Deadline <= 0 {
		t.Deadline = DefaultDeadline(t.Interval, t.Timeout, t.Retries)
	}
	if t.Auth.Version == "" || t.Auth.Version == "2" {
		t.Auth.Version = "2c"
	}
}

func (p *Poller) start(d *device) {
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel, d.done = cancel, make(chan struct{})
	go p.loop(ctx, d)
}

// Stop ends every polling loop and waits for them.
func (p *Poller) Stop() {
	p.mu.Lock()
	p.stopped = true
	ds := make([]*device, 0, len(p.devices))
	for _, d := range p.devices {
		ds = append(ds, d)
	}
	p.mu.Unlock()
	for _, d := range ds {
		d.cancel()
	}
	for _, d := range ds {
		<-d.done
	}
}

func (p *Poller) loop(ctx context.Context, d *device) {
	defer close(d.done)
	t := d.t
	c := &conns{ctx: ctx, t: t, oids: dotted(t.Request)}
	defer c.close()
	// Stop and SetTargets cancel ctx: close the sockets at once so that a
	// read blocked on a silent agent returns now, not after its timeout.
	defer context.AfterFunc(ctx, c.abort)()
	// Spread the devices over the interval, like Prometheus spreads its
	// targets: each device gets a stable phase from its name, on a coarse
	// grid (see phase) so that devices due together are polled in one
	// wake-up of the process.
	if wait := phase(t.Name, t.Interval, time.Now()); wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
	}
	tick := time.NewTicker(t.Interval)
	defer tick.Stop()
	var last Reason
	for {
		sem := p.sem
		if last == ReasonTimeout {
			sem = p.semDown
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		r := p.pollOnce(c)
		<-sem
		if len(c.t.Request.Optional) > 0 && len(r.Missing) > 0 {
			r.Missing = slices.DeleteFunc(r.Missing, func(o string) bool { return slices.Contains(c.t.Request.Optional, o) })
		}
		last = r.Reason
		if r.Reason == ReasonAuth || r.Reason == ReasonOther || r.Reason == ReasonDeadline {
			// Start again from discovery / a fresh socket next time.
			c.close()
		}
		if ctx.Err() != nil {
			return
		}
		p.record(d, r)
		if p.opts.OnPoll != nil {
			p.opts.OnPoll(r)
		}
		if p.opts.NextRequest != nil {
			if req, ok := p.opts.NextRequest(r); ok {
				c.setRequest(req)
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// phase returns how long to wait from now until the device's slot in the
// interval: the slot is hash(name) mod the number of slots.
//
// The grid is interval/60, clamped to 10 ms … 250 ms: 60 slots at 15 s
// (250 ms apart), 240 at 60 s. Devices sharing a slot are
// polled together: the process wakes a few times a second instead of once
// per device, and the responses of a slot are read in one burst. With
// 1 000 devices at 15 s, make bench-snmp went from R = 0.449 (10 ms grid,
// one wake-up per device) to 0.274 with this alone. Agents still
// see one request per interval, at a stable time; the concurrency limit
// still bounds the polls in flight.
func phase(name string, interval time.Duration, now time.Time) time.Duration {
	grid := slotGrid(interval)
	if interval < 2*grid {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	slots := uint64(interval / grid)
	off := time.Duration(h.Sum64()%slots) * grid
	cur := time.Duration(now.UnixNano() % int64(interval))
	wait := off - cur
	if wait < 0 {
		wait += interval
	}
	return wait
}

// slotGrid is the phase grid for an interval.
func slotGrid(interval time.Duration) time.Duration {
	return min(max(interval/60, 10*time.Millisecond), 250*time.Millisecond)
}

// conns are a device's socket: one gosnmp client for GETs and walks of
// every version (issue 23 retired the lean BER GET client: it saved 1.5×
// of the client's CPU, below the 2× bar; docs/fastpaths.md), opened on
// first use. It belongs to the device's goroutine, except abort, which may
// run in another one (hence mu, held while the socket is opened or closed).
type conns struct {
	ctx      context.Context // the device loop's
	pctx     context.Context // the current poll's (ctx with the poll deadline)
	deadline time.Time       // of the current poll
	t        Target
	oids     []string // dotted GET OIDs

	mu      sync.Mutex
	aborted bool
	g       *gosnmp.GoSNMP
}

// setRequest switches the OIDs of the following polls.
func (c *conns) setRequest(req Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t.Request = req
	c.oids = dotted(req)
}

func (c *conns) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.g != nil && c.g.Conn != nil {
		c.g.Conn.Close()
	}
	c.g = nil
}

// abort closes the sockets for good (the device loop is cancelled): a
// blocked read fails at once and no socket is opened again.
func (c *conns) abort() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.aborted = true
	if c.g != nil && c.g.Conn != nil {
		c.g.Conn.Close()
	}
}

func (c *conns) gosnmp() (*gosnmp.GoSNMP, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted {
		return nil, context.Canceled
	}
	if c.g == nil {
		c.g = newClient(c.ctx, c.t)
	}
	if c.g.Conn == nil {
		if err := c.g.Connect(); err != nil {
			c.g = nil
			return nil, err
		}
	}
	if c.pctx != nil {
		c.g.Context = c.pctx // gosnmp bounds each read by the poll deadline
	}
	return c.g, nil
}

// fail sets the error of a poll and its reason: the poll's own bounds
// (row_limit, not_increasing, deadline) first, then classify.
func (c *conns) fail(r *Result, err error) {
	switch {
	case errors.Is(err, ErrRowLimit), errors.Is(err, ErrByteLimit):
		r.Err, r.Reason = err, ReasonRowLimit
	case errors.Is(err, ErrNotIncreasing) || strings.Contains(err.Error(), "OID not increasing"):
		r.Err, r.Reason = err, ReasonNotIncreasing
	case c.ctx.Err() == nil && c.pctx != nil && !time.Now().Before(c.deadline):
		// (a read cut at the deadline may return before pctx's timer fires)
		r.Err, r.Reason = fmt.Errorf("%w (%v): %v", ErrDeadline, c.t.Deadline, err), ReasonDeadline
	default:
		r.Err, r.Reason = err, classify(err)
	}
}

func newClient(ctx context.Context, t Target) *gosnmp.GoSNMP {
	host, port := t.Address, uint16(161)
	if h, ps, err := net.SplitHostPort(t.Address); err == nil {
		host = h
		if n, err := strconv.ParseUint(ps, 10, 16); err == nil {
			port = uint16(n)
		}
	}
	g := &gosnmp.GoSNMP{
		Context: ctx, Target: host, Port: port, Transport: "udp",
		Timeout: t.Timeout, Retries: t.Retries, MaxOids: t.MaxOIDs, MaxRepetitions: t.MaxReps,
		Logger: gosnmp.NewLogger(nil),
	}
	a := t.Auth
	switch a.Version {
	case "1":
		g.Version, g.Community = gosnmp.Version1, a.Community.Value()
	case "3":
		g.Version = gosnmp.Version3
		g.SecurityModel = gosnmp.UserSecurityModel
		g.ContextName = a.ContextName
		sp := &gosnmp.UsmSecurityParameters{UserName: a.Username}
		switch a.SecurityLevel {
		case "noAuthNoPriv":
			g.MsgFlags = gosnmp.NoAuthNoPriv
		case "authNoPriv":
			g.MsgFlags = gosnmp.AuthNoPriv
		default:
			g.MsgFlags = gosnmp.AuthPriv
		}
		if g.MsgFlags != gosnmp.NoAuthNoPriv {
			sp.AuthenticationProtocol = authProtos[strings.ToUpper(a.AuthProtocol)]
			sp.AuthenticationPassphrase = a.AuthPassword.Value()
		}
		if g.MsgFlags == gosnmp.AuthPriv {
			sp.PrivacyProtocol = privProtos[strings.ToUpper(a.PrivProtocol)]
			sp.PrivacyPassphrase = a.PrivPassword.Value()
		}
		g.SecurityParameters = sp
	default:
		g.Version, g.Community = gosnmp.Version2c, a.Community.Value()
	}
	return g
}

const sysUpTime = "1.3.6.1.2.1.1.3.0"

// pollOnce runs one poll; it never panics. It ends by Target.Deadline.
func (p *Poller) pollOnce(c *conns) (r *Result) {
	t, oids := c.t, c.oids
	start := time.Now()
	deadline := start.Add(t.Deadline)
	pctx, cancel := context.WithDeadline(c.ctx, deadline)
	c.pctx, c.deadline = pctx, deadline
	r = &Result{Target: t.Name, Values: make(map[string]Value, len(t.Request.Get)+1)}
	defer func() {
		cancel()
		if x := recover(); x != nil {
			r.Err, r.Reason = fmt.Errorf("panic while polling: %v", x), ReasonDecode
		}
		r.Time = time.Now()
		r.Duration = r.Time.Sub(start)
	}()
	if len(oids) > 0 {
		g, err := c.gosnmp()
		if err != nil {
			r.Err, r.Reason = err, ReasonOther
			return r
		}
		for i := 0; i < len(oids); i += t.MaxOIDs {
			j := min(i+t.MaxOIDs, len(oids))
			if err := p.get(g, oids[i:j], r); err != nil {
				c.fail(r, err)
				return r
			}
		}
	}
	var g *gosnmp.GoSNMP
	if len(t.Request.Walk) > 0 {
		var err error
		if g, err = c.gosnmp(); err != nil {
			r.Err, r.Reason = err, ReasonOther
			return r
		}
	}
	size := 0
	for _, root := range t.Request.Walk {
		root = strings.TrimPrefix(root, ".")
		prev, n, rows := root, 0, 0
		// Rows are checked and kept as they come: a walk that never ends
		// stops at MaxRows / MaxBytes (or the deadline), and one that goes
		// back stops at once.
		walkFn := func(pdu gosnmp.SnmpPDU) error {
			name := strings.TrimPrefix(pdu.Name, ".")
			// (the root itself comes first when it is a scalar)
			if c := compareOIDs(name, prev); c < 0 || c == 0 && rows > 0 {
				return fmt.Errorf("%w: %s after %s", ErrNotIncreasing, name, prev)
			}
			prev = name
			if rows++; rows > t.MaxRows {
				return fmt.Errorf("%w: more than %d rows", ErrRowLimit, t.MaxRows)
			}
			if isMissing(pdu.Type) {
				return nil
			}
			v := FromPDU(pdu)
			if size += len(name) + v.size(); size > t.MaxBytes {
				return fmt.Errorf("%w: more than %d bytes", ErrByteLimit, t.MaxBytes)
			}
			r.Values[name] = v
			n++
			return nil
		}
		var err error
		if g.Version == gosnmp.Version1 {
			err = g.Walk("."+root, walkFn)
		} else {
			err = g.BulkWalk("."+root, walkFn)
		}
		if err != nil {
			c.fail(r, fmt.Errorf("walk %s: %w", root, err))
			return r
		}
		if n == 0 {
			r.Empty = append(r.Empty, root)
		}
	}
	if v, ok := r.Values[sysUpTime]; ok {
		if u, err := v.Uint64(); err == nil {
			r.Uptime, r.HasUptime = uint32(u), true
		}
	}
	return r
}

// compareOIDs compares dotted OIDs arc by arc as numbers (-1, 0, 1); a
// prefix sorts first. Arcs that are not numbers compare as text.
func compareOIDs(a, b string) int {
	for a != "" || b != "" {
		if a == "" {
			return -1
		}
		if b == "" {
			return 1
		}
		x, ra, _ := strings.Cut(a, ".")
		y, rb, _ := strings.Cut(b, ".")
		if len(x) != len(y) {
			// no leading zeros in OIDs: the longer arc is the larger number
			if len(x) < len(y) {
				return -1
			}
			return 1
		}
		if c := strings.Compare(x, y); c != 0 {
			return c
		}
		a, b = ra, rb
	}
	return 0
}

// dotted returns the GET OIDs of a request with a leading dot (as gosnmp
// sends them), sysUpTime first if asked for.
func dotted(req Request) []string {
	out := make([]string, 0, len(req.Get)+1)
	if req.Uptime {
		out = append(out, "."+sysUpTime)
	}
	for _, o := range req.Get {
		out = append(out, "."+strings.TrimPrefix(o, "."))
	}
	return out
}

// get sends oids (dotted) in one GET PDU, splitting on tooBig.
func (p *Poller) get(g *gosnmp.GoSNMP, oids []string, r *Result) error {
	pkt, err := g.Get(oids)
	if err != nil {
		return err
	}
	if pkt.Error == gosnmp.TooBig && len(oids) > 1 {
		h := len(oids) / 2
		if err := p.get(g, oids[:h], r); err != nil {
			return err
		}
		return p.get(g, oids[h:], r)
	}
	if pkt.Error == gosnmp.NoSuchName && g.Version == gosnmp.Version1 && len(oids) > 1 {
		// v1 fails the whole PDU for one missing OID: ask one by one.
		for _, o := range oids {
			if err := p.get(g, []string{o}, r); err != nil {
				return err
			}
		}
		return nil
	}
	if pkt.Error == gosnmp.NoSuchName {
		for _, o := range oids {
			r.Missing = append(r.Missing, strings.TrimPrefix(o, "."))
		}
		return nil
	}
	if pkt.Error != gosnmp.NoError {
		if pkt.Error == gosnmp.AuthorizationError {
			return fmt.Errorf("%w: %s", gosnmp.ErrUnknownUsername, pkt.Error)
		}
		return fmt.Errorf("agent error %s", pkt.Error)
	}
	for _, pdu := range pkt.Variables {
		name := strings.TrimPrefix(pdu.Name, ".")
		if isMissing(pdu.Type) {
			r.Missing = append(r.Missing, name)
			continue
		}
		r.Values[name] = FromPDU(pdu)
	}
	return nil
}

func isMissing(t gosnmp.Asn1BER) bool {
	return t == gosnmp.NoSuchObject || t == gosnmp.NoSuchInstance || t == gosnmp.EndOfMibView || t == gosnmp.Null
}

func classify(err error) Reason {
	var ne net.Error
	switch {
	case errors.Is(err, gosnmp.ErrWrongDigest), errors.Is(err, gosnmp.ErrUnknownUsername),
		errors.Is(err, gosnmp.ErrDecryption), errors.Is(err, gosnmp.ErrUnknownSecurityLevel),
		errors.Is(err, gosnmp.ErrUnknownSecurityModels):
		return ReasonAuth
	case errors.Is(err, gosnmp.ErrMaxRetriesExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return ReasonTimeout
	}
	s := err.Error()
	switch {
	case strings.Contains(s, "timeout"):
		return ReasonTimeout
	case strings.Contains(s, "authentic") || strings.Contains(s, "digest") || strings.Contains(s, "decrypt"):
		return ReasonAuth
	case strings.Contains(s, "unmarshal") || strings.Contains(s, "parsing") || strings.Contains(s, "decod") ||
		strings.Contains(s, "packet sanity") || strings.Contains(s, "BER"):
		return ReasonDecode
	}
	return ReasonOther
}

func (p *Poller) record(d *device, r *Result) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.polled = true
	sec := r.Duration.Seconds()
	d.hCount++
	d.hSum += sec
	for i, b := range p.opts.Buckets {
		if sec <= b {
			d.hBuckets[i]++
		}
	}
	if len(r.Missing) > 0 {
		d.errs[reasonIndex(ReasonNoSuchObject)]++
	}
	if r.Err != nil {
		d.ok = false
		d.errs[reasonIndex(r.Reason)]++
		msg := r.Err.Error()
		if r.Reason != d.lastWhy {
			// Log changes only: a dead device must not flood the log.
			p.log.Warn("SNMP poll failed", "device", r.Target, "reason", string(r.Reason), "err", msg)
		} else {
			p.log.Debug("SNMP poll failed", "device", r.Target, "reason", string(r.Reason), "err", msg)
		}
		d.lastErr, d.lastWhy = msg, r.Reason
		return
	}
	if d.lastWhy != "" {
		p.log.Info("SNMP poll succeeded again", "device", r.Target)
	}
	d.ok, d.last, d.lastErr, d.lastWhy = true, r, "", ""
}

func reasonIndex(r Reason) int {
	for i, x := range Reasons {
		if x == r {
			return i
		}
	}
	return len(Reasons) - 1
}

func (p *Poller) labelPairs(d *device) {
	names := append([]string(nil), p.opts.Labels...)
	var lv []string
	for _, l := range p.opts.Labels {
		lv = append(lv, d.t.Labels[l])
	}
	d.lp = constmetric.LabelPairs(names, lv)
	upNames := append(append([]string(nil), names...), p.opts.UpLabels...)
	upv := append([]string(nil), lv...)
	for _, l := range p.opts.UpLabels {
		upv = append(upv, d.t.Labels[l])
	}
	d.upLP = constmetric.LabelPairs(upNames, upv)
	for i, r := range Reasons {
		d.errLP[i] = constmetric.LabelPairs(append(append([]string(nil), names...), "reason"), append(append([]string(nil), lv...), string(r)))
	}
}

// AddError counts n errors of a reason for a target, e.g. values of the
// wrong type found by the caller.
func (p *Poller) AddError(target string, reason Reason, n int) {
	p.mu.Lock()
	d := p.devices[target]
	p.mu.Unlock()
	if d == nil || n <= 0 {
		return
	}
	d.mu.Lock()
	d.errs[reasonIndex(reason)] += uint64(n)
	d.mu.Unlock()
}

// Last returns the last good result of a target.
func (p *Poller) Last(target string) (*Result, bool) {
	p.mu.Lock()
	d := p.devices[target]
	p.mu.Unlock()
	if d == nil {
		return nil, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.last, d.last != nil
}

// Health is the state of one target for landing pages.
type Health struct {
	Name     string
	Polled   bool // at least one poll done
	Up       bool
	LastGood time.Time
	LastErr  string
}

// Health returns the state of every target sorted by name.
func (p *Poller) Health() []Health {
	p.mu.Lock()
	ds := make([]*device, 0, len(p.devices))
	for _, d := range p.devices {
		ds = append(ds, d)
	}
	p.mu.Unlock()
	out := make([]Health, 0, len(ds))
	for _, d := range ds {
		d.mu.Lock()
		h := Health{Name: d.t.Name, Polled: d.polled, Up: d.ok, LastErr: d.lastErr}
		if d.last != nil {
			h.LastGood = d.last.Time
		}
		d.mu.Unlock()
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Describe implements prometheus.Collector.
func (p *Poller) Describe(ch chan<- *prometheus.Desc) {
	ch <- p.up
	ch <- p.lastOK
	ch <- p.dur
	ch <- p.errs
	ch <- p.age
}

// Collect implements prometheus.Collector.
func (p *Poller) Collect(ch chan<- prometheus.Metric) {
	p.mu.Lock()
	ds := make([]*device, 0, len(p.devices))
	for _, d := range p.devices {
		ds = append(ds, d)
	}
	p.mu.Unlock()
	now := time.Now()
	for _, d := range ds {
		d.mu.Lock()
		up := 0.0
		if d.ok {
			up = 1
		}
		ch <- &constmetric.Metric{D: p.up, Labels: d.upLP, Value: up}
		ts := 0.0
		if d.last != nil {
			ts = float64(d.last.Time.UnixNano()) / 1e9
			ch <- &constmetric.Metric{D: p.age, Labels: d.lp, Value: now.Sub(d.last.Time).Seconds()}
		}
		ch <- &constmetric.Metric{D: p.lastOK, Labels: d.lp, Value: ts}
		cum := make([]uint64, len(d.hBuckets))
		copy(cum, d.hBuckets)
		ch <- &constmetric.Histogram{D: p.dur, Labels: d.lp, Count: d.hCount, Sum: d.hSum, Bounds: p.opts.Buckets, Buckets: cum}
		for i := range Reasons {
			ch <- &constmetric.Metric{D: p.errs, Labels: d.errLP[i], Counter: true, Value: float64(d.errs[i])}
		}
		d.mu.Unlock()
	}
}
