package icmp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	probing "github.com/prometheus-community/pro-bing"
)

// Engine selects what sends the echoes behind a Pinger.
type Engine string

const (
	// EngineOwn (the default) multiplexes every probe over one socket per
	// address family (pinger.go).
	EngineOwn Engine = "own"
	// EngineProBing runs one github.com/prometheus-community/pro-bing
	// Pinger per probe, at most ProBingParallel at once: the library the
	// design card names, kept selectable for comparison (issue 23: the own
	// engine sends a 10 000-host burst ~25× faster, docs/fastpaths.md).
	EngineProBing Engine = "pro-bing"
)

// ProBingParallel bounds the pro-bing Pingers running at once (each holds a
// socket and three goroutines; a raw socket also receives a copy of every
// ICMP packet of the host). Probes beyond it wait in a queue; their timeout
// runs from when their Pinger starts.
const ProBingParallel = 256

// ParseEngine parses --icmp.engine.
func ParseEngine(s string) (Engine, error) {
	switch Engine(s) {
	case "", EngineOwn:
		return EngineOwn, nil
	case EngineProBing:
		return EngineProBing, nil
	}
	return EngineOwn, fmt.Errorf("unknown ICMP engine %q (%s, %s)", s, EngineOwn, EngineProBing)
}

// libEngine is EngineProBing.
type libEngine struct {
	opts       Options
	privileged bool
	v6         bool
	v6err      error

	mu     sync.Mutex
	queue  []*probe
	closed bool
	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	inFlight                                     atomic.Int64
	sent, replies, timeouts, unreach, senderrors atomic.Uint64
}

// newLib checks that ICMP sockets may be opened (as the own engine would,
// in o.Netns: the same ErrPermission) and starts ProBingParallel workers.
func newLib(o Options) (*Pinger, error) {
	src := o.Source.Unmap()
	e := &libEngine{opts: o, wake: make(chan struct{}, 1)}
	var v4err error
	check := func() {
		var f *family
		if f, v4err = open(o.Mode, false, src); f != nil {
			e.privileged = f.privileged
			f.conn.Close()
		}
		if f6, err := open(o.Mode, true, src); f6 != nil {
			e.v6 = true
			f6.conn.Close()
		} else {
			e.v6err = err
		}
	}
	if o.Netns != "" {
		if err := inNetns(o.Netns, check); err != nil {
			return nil, err
		}
	} else {
		check()
	}
	if v4err != nil {
		return nil, v4err
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	for range ProBingParallel {
		e.wg.Add(1)
		go e.worker()
	}
	return &Pinger{opts: o, log: o.Logger, lib: e}, nil
}

func (e *libEngine) send(pr *probe) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		pr.cb(Result{Addr: pr.addr, Reason: ReasonClosed, Err: errors.New("pinger closed")})
		return
	}
	e.queue = append(e.queue, pr)
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *libEngine) worker() {
	defer e.wg.Done()
	for {
		e.mu.Lock()
		var pr *probe
		if len(e.queue) > 0 {
			pr = e.queue[0]
			e.queue[0] = nil
			e.queue = e.queue[1:]
		}
		more := len(e.queue) > 0
		e.mu.Unlock()
		if pr == nil {
			select {
			case <-e.wake:
				continue
			case <-e.ctx.Done():
				return
			}
		}
		if more { // pass the wake-up on to another idle worker
			select {
			case e.wake <- struct{}{}:
			default:
			}
		}
		pr.cb(e.run(pr))
	}
}

// run sends one echo with a pro-bing Pinger and waits for its reply or
// timeout.
func (e *libEngine) run(pr *probe) Result {
	e.inFlight.Add(1)
	defer e.inFlight.Add(-1)
	pg := probing.New(pr.addr.String())
	pg.SetIPAddr(&net.IPAddr{IP: pr.addr.AsSlice()})
	pg.Count, pg.Timeout, pg.Size = 1, pr.timeout, max(e.opts.PayloadSize, 24)
	pg.SetPrivileged(e.privileged)
	pg.SetLogger(probing.NoopLogger{})
	if src := e.opts.Source; src.IsValid() {
		pg.Source = src.Unmap().String()
	}
	res := Result{Addr: pr.addr, Sent: time.Now()}
	var err error
	runIt := func() { err = pg.RunWithContext(e.ctx) }
	if e.opts.Netns != "" {
		if nsErr := inNetns(e.opts.Netns, runIt); nsErr != nil {
			err = nsErr
		}
	} else {
		runIt()
	}
	e.sent.Add(1)
	st := pg.Statistics()
	switch {
	case e.ctx.Err() != nil:
		res.Reason, res.Err = ReasonClosed, errors.New("pinger closed")
	case err != nil && IsUnreachable(err):
		e.unreach.Add(1)
		res.Reason, res.Err = ReasonUnreachable, err
	case err != nil:
		e.senderrors.Add(1)
		res.Reason, res.Err = ReasonSendError, err
	case st.PacketsRecv > 0 && len(st.Rtts) > 0:
		e.replies.Add(1)
		res.RTT = st.Rtts[0]
	default:
		e.timeouts.Add(1)
		res.Reason = ReasonTimeout
	}
	return res
}

func (e *libEngine) stats() Stats {
	e.mu.Lock()
	q := len(e.queue)
	e.mu.Unlock()
	return Stats{Sent: e.sent.Load(), Replies: e.replies.Load(), Timeouts: e.timeouts.Load(),
		Unreachable: e.unreach.Load(), SendErrors: e.senderrors.Load(), InFlight: q + int(e.inFlight.Load())}
}

func (e *libEngine) close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	q := e.queue
	e.queue = nil
	e.mu.Unlock()
	e.cancel()
	e.wg.Wait()
	for _, pr := range q {
		pr.cb(Result{Addr: pr.addr, Reason: ReasonClosed, Err: errors.New("pinger closed")})
	}
}
