package icmp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Resolver keeps the address of one host name fresh for a probe loop.
// A literal address never resolves. Safe for concurrent use.
type Resolver struct {
	Name  string
	Every time.Duration // re-resolve when the address is older (default 5 min)
	// Lookup replaces net.DefaultResolver.LookupNetIP (tests).
	Lookup func(ctx context.Context, network, host string) ([]netip.Addr, error)
	// Network is "ip" (default), "ip4" or "ip6".
	Network string

	mu       sync.Mutex
	addr     netip.Addr
	err      error
	at       time.Time
	inflight bool
}

// NewResolver returns a resolver for name (a host name or a literal address).
func NewResolver(name string, every time.Duration) *Resolver {
	return &Resolver{Name: name, Every: every}
}

// Addr returns the current address. The first call resolves synchronously
// (bounded by ctx); later calls return the last good address at once and
// refresh it in the background when it is older than Every. err is the last
// resolution error when no address was ever found.
func (r *Resolver) Addr(ctx context.Context) (netip.Addr, error) {
	if a, err := netip.ParseAddr(r.Name); err == nil {
		return a.Unmap(), nil
	}
	r.mu.Lock()
	every := r.Every
	if every <= 0 {
		every = 5 * time.Minute
	}
	if !r.at.IsZero() {
		a, err := r.addr, r.err
		if time.Since(r.at) > every && !r.inflight {
			r.inflight = true
			go r.resolve(context.Background())
		}
		r.mu.Unlock()
		if a.IsValid() {
			return a, nil
		}
		return a, err
	}
	r.mu.Unlock()
	r.resolve(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.addr, r.err
}

func (r *Resolver) resolve(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	lookup := r.Lookup
	if lookup == nil {
		lookup = net.DefaultResolver.LookupNetIP
	}
	network := r.Network
	if network == "" {
		network = "ip"
	}
	addrs, err := lookup(ctx, network, r.Name)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inflight = false
	r.at = time.Now()
	if err == nil && len(addrs) == 0 {
		err = fmt.Errorf("%s: no address", r.Name)
	}
	if err != nil {
		r.err = err // keep the last good address
		return
	}
	// Prefer IPv4 for "ip" (the IPv4 engine is always there).
	best := addrs[0]
	for _, a := range addrs {
		if a.Unmap().Is4() {
			best = a
			break
		}
	}
	r.addr, r.err = best.Unmap(), nil
}
