// Package snmp is jianguan's shared SNMP poller (env_exporter, line_exporter).
//
// Devices are polled in the background, each on its own interval, never at
// scrape time, spread over the interval (a stable phase per device name on
// a grid of interval/60, at most 250 ms, so the first poll of a device comes
// within one interval and devices sharing a slot are polled in one wake-up
// of the process). Each poll is bounded (per-request timeout × retries, and the
// poll is abandoned at the first timeout, so a dead device costs one timeout
// per interval), a global semaphore limits concurrent polls (devices whose
// last poll timed out share a separate, smaller pool, so dead devices never
// starve live ones), scalar OIDs are
// sent several per GET PDU (split at MaxOIDs, halved again on tooBig), tables
// are walked with GetBulk (GetNext for v1). SNMP v1, v2c and v3 (noAuthNoPriv,
// authNoPriv, authPriv with MD5/SHA/SHA224/SHA256/SHA384/SHA512 and
// DES/AES/AES192/AES256/AES192C/AES256C) are supported, all through gosnmp
// (the lean BER GET client that stood beside it saved 1.5× of the client's
// CPU at 1 000 devices and was removed, issue 23: docs/fastpaths.md). The
// last good result
// of each device is kept with its time; the poller exports per-device health
// metrics under a configurable namespace:
//
//	<ns>_device_up{<labels>,<up labels>}               1 = last poll succeeded
//	<ns>_device_last_success_timestamp_seconds{<labels>}
//	<ns>_device_poll_duration_seconds{<labels>}        histogram
//	<ns>_device_errors_total{<labels>,reason}          timeout|auth|noSuchObject|wrongType|decode|other|
//	                                                   row_limit|deadline|not_increasing
//	<ns>_device_data_age_seconds{<labels>}             age of the last good values
//
// Bounds of one poll (hostile or broken agents; tests in hostile_test.go
// against internal/testutil/hostilesnmp):
//
//   - Target.MaxRows (default DefaultMaxRows = 10 000, configurations accept
//     up to MaxMaxRows = 1 000 000): rows per walked subtree. A walk that
//     goes on (an agent answering GetBulk with ever increasing OIDs) fails
//     the poll with reason row_limit.
//   - Target.MaxBytes (default DefaultMaxBytes = 8 MiB): OID and value bytes
//     kept from the walks of one poll; more is reason row_limit too.
//   - Target.Deadline (default DefaultDeadline: the larger of the interval
//     and (retries + 2) × timeout): wall-clock time of one poll, every
//     request and retry included; past it the poll fails with reason
//     deadline and gives its concurrency slot back (a 200 000-row table no
//     longer keeps a poll busy for minutes).
//   - A walk that returns an OID not after the previous one (inside one
//     response or across responses) stops at once: reason not_increasing.
//   - Stop and SetTargets close the sockets of the cancelled devices, so a
//     read blocked on a silent agent returns at once (Stop does not wait
//     for timeout × retries).
//
// A poll that hits a bound is a failed poll: its partial values are not
// kept as the last good result. Responses with other request ids and
// duplicates (floods) are dropped while waiting, within the request timeout
// and the poll deadline; garbage BER fails the request with reason decode
// (or, when gosnmp drops it while waiting, timeout).
//
// Usage:
//
//	p := snmp.New(snmp.Options{
//		Namespace:   "line",
//		Labels:      []string{"site", "device"}, // on every health metric
//		UpLabels:    nil,                        // extra labels on <ns>_device_up only
//		Concurrency: 64,
//		Logger:      logger,
//		OnPoll: func(r *snmp.Result) { // called after every poll, in the device's goroutine
//			if r.Err != nil {
//				return // unreachable: observe "unknown"/"down"
//			}
//			v, ok := r.Values["1.3.6.1.2.1.15.3.1.2.192.0.2.1"] // keys have no leading dot
//			if ok {
//				state, err := v.Float()
//				if err != nil {
//					p.AddError(r.Target, snmp.ReasonWrongType, 1) // counted and skipped
//				}
//				_ = state
//			}
//		},
//	})
//	reg.MustRegister(p) // the Poller is a prometheus.Collector
//	p.SetTargets([]snmp.Target{{
//		Name:     "dc1/rtr1", // unique key; unchanged targets keep loop and last-good on SetTargets
//		Address:  "192.0.2.10:161",
//		Auth:     snmp.Auth{Version: "2c", Community: "public"}, // Community is a config.Secret
//		Interval: 10 * time.Second, Timeout: 2 * time.Second, Retries: 1,
//		Labels:   map[string]string{"site": "dc1", "device": "rtr1"},
//		Request: snmp.Request{
//			Get:    []string{"1.3.6.1.2.1.1.3.0"},     // scalars (full instance OIDs)
//			Walk:   []string{"1.3.6.1.2.1.15.3.1.2"}, // table columns / subtrees (GetBulk)
//			Uptime: true,                             // also fetch sysUpTime into Result.Uptime
//		},
//	}})
//	defer p.Stop()
//	last, ok := p.Last("dc1/rtr1") // last good result (Values, Time, Uptime)
//
// Counters: a Counter turns raw Counter32/Counter64 readings into a
// monotonic total, handling 32-bit wraps and agent restarts (sysUpTime going
// back):
//
//	var c snmp.Counter // zero value: 64-bit; c.Bits = 32 for Counter32
//	c.Update(raw, r.Uptime, r.HasUptime) // returns the delta added
//	c.Total()
package snmp
