// Package icmp is jianguan's one shared ICMP echo engine, used by
// line_exporter (continuous 1 s probes of a few far ends) and by
// uptime_exporter (10 000 hosts every 5–10 s).
//
// # Why not pro-bing
//
// Issue 3 names pro-bing. We deliberately do not use it: pro-bing opens one
// socket and starts goroutines per target and per run, so 10 000 hosts cost
// 10 000 sockets (each raw socket receives a copy of every ICMP packet the
// host gets: O(targets²) kernel work) and tens of thousands of goroutines.
// This package multiplexes every probe of one address family over ONE
// socket, matches replies by echo id/sequence and a per-pinger token in the
// payload, and runs a fixed number of goroutines whatever the number of
// targets: one sender/timeout loop (with a min-heap of deadlines) and one
// receiver per open socket.
//
// Issue 23 measured both side by side (BenchmarkFastpath, make
// bench-fastpaths; docs/fastpaths.md): one echo to each of 10 000 loopback
// addresses takes this engine ~0.3–0.5 s and pro-bing (one Pinger per
// target, ProBingParallel at once) 13–17 s, losing 0.1–3 % of the loopback
// replies. So this engine stays the default, and pro-bing is selectable:
// Options.Engine = EngineProBing (--icmp.engine=pro-bing in uptime_exporter
// and line_exporter) runs every probe through pro-bing behind the same
// Pinger API; TestEnginesAgree holds the two to the same results.
//
// # API
//
//	p, err := icmp.New(icmp.Options{Logger: logger})          // Mode auto, any source
//	defer p.Close()
//	// asynchronous: cb runs exactly once, on an engine goroutine
//	p.Send(addr, time.Second, func(r icmp.Result) { ... })
//	// synchronous convenience
//	r := p.Ping(ctx, addr, time.Second)
//	if r.OK() { rtt := r.RTT } else { _ = r.Reason } // timeout, unreachable, send_error, closed, canceled
//
// Send never blocks on the network and never starts a goroutine; the
// callback must be quick and must not block (update counters, push into an
// avail.Tracker, hand off to a channel with a buffer). Each probe has its
// own timeout, measured from the moment the packet was written.
//
// # Sockets and permissions
//
// Options.Mode chooses the socket: ModeUnprivileged uses an ICMP datagram
// socket ("udp4"/"udp6"; needs the process's group inside the sysctl
// net.ipv4.ping_group_range), ModePrivileged a raw socket ("ip4:icmp",
// "ip6:ipv6-icmp"; needs CAP_NET_RAW or root), ModeAuto (default) tries
// unprivileged first, then privileged. When neither can be opened, New
// returns an error wrapping ErrPermission whose text explains both fixes:
//
//	sysctl -w net.ipv4.ping_group_range="0 2147483647"   (persist in /etc/sysctl.d/)
//	setcap cap_net_raw+ep /path/to/exporter, AmbientCapabilities=CAP_NET_RAW, or run as root
//
// IPv4 is required; IPv6 is opened when possible (a host without IPv6 only
// fails IPv6 probes with reason send_error). Options.Source binds the
// pinger to a local address (one pinger per source address: callers keep a
// small map source → *Pinger). The sockets belong to the network namespace
// of the thread that called New, or to Options.Netns (a path such as
// /var/run/netns/core): probes then run inside that namespace while the
// process (HTTP server, SNMP) stays in its own.
//
// # Failures are observations
//
// A send that fails with "network is unreachable" / "no route to host"
// (local interface down, no route) completes the probe at once with
// Reason == ReasonUnreachable: for a line prober this is a line-down
// observation, not an exporter error. An ICMP destination-unreachable reply
// to one of our probes (raw sockets only) also gives ReasonUnreachable.
// Other send errors give ReasonSendError with Err set.
//
// # Names
//
// The engine pings addresses (netip.Addr). Host names are the caller's
// business with the helper Resolver: NewResolver(name, every) keeps the last
// good address, re-resolves in the background when it is older than every,
// and never blocks a probe loop after the first resolution.
//
// # Capacity
//
// Sequence numbers are 16 bit per family: at most 65 535 probes of one
// family in flight per pinger (Send fails with ReasonSendError beyond that).
// Stats() returns engine counters for health metrics.
package icmp
