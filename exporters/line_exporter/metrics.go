package main

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/exporter"
)

var lineLabels = []string{"line", "kind", "provider", "site"}

func withLabels(extra ...string) []string {
	return append(append([]string(nil), lineLabels...), extra...)
}

// metrics are line_exporter's own series besides the availability families
// and the SNMP poller health.
type metrics struct {
	probes, replies *prometheus.CounterVec
	rtt             *prometheus.HistogramVec
	loss, jitter    *prometheus.GaugeVec

	ifOperUp, ifSpeed, ifUtil *prometheus.GaugeVec
	ifRx, ifTx                *prometheus.CounterVec
	ifErrors, ifDiscards      *prometheus.CounterVec

	bgpState, bgpEstablished, bgpEstSeconds *prometheus.GaugeVec
	bgpTransitions                          *prometheus.CounterVec

	capacity *prometheus.GaugeVec
	problem  *prometheus.GaugeVec

	// persist keeps the counters of counters() across restarts with the
	// line family (--state.file): they reset only with line_start_time_seconds.
	persist *exporter.CounterSet
}

// rttBuckets are the classic buckets of line_icmp_rtt_seconds (0.25 ms … 2 s).
var rttBuckets = []float64{.00025, .0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2}

func newMetrics(reg prometheus.Registerer, lines *avail.Family) *metrics {
	t := withLabels("target")
	i := withLabels("interface")
	p := withLabels("peer")
	m := &metrics{
		probes:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "line_icmp_probes_total", Help: "ICMP echo requests whose outcome is known (reply, timeout or send failure)."}, t),
		replies: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "line_icmp_replies_total", Help: "ICMP echo replies received in time."}, t),
		rtt: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "line_icmp_rtt_seconds", Help: "ICMP round-trip time (classic buckets and native histogram).",
			Buckets: rttBuckets, NativeHistogramBucketFactor: 1.1, NativeHistogramMaxBucketNumber: 160, NativeHistogramMinResetDuration: 0}, t),
		loss:           prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "line_icmp_loss_ratio", Help: "Share of probes lost over the recent window (defaults.loss_window)."}, t),
		jitter:         prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "line_icmp_jitter_seconds", Help: "Smoothed RTT variation between consecutive replies (RFC 3550 interarrival jitter estimator)."}, t),
		ifOperUp:       prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "line_interface_oper_up", Help: "1 if IF-MIB ifOperStatus is up(1)."}, i),
		ifSpeed:        prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "line_interface_speed_bytes_per_second", Help: "IF-MIB ifHighSpeed in bytes/s (bit/s ÷ 8; Prometheus base unit)."}, i),
		ifUtil:         prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "line_interface_utilisation_ratio", Help: "Traffic over the last poll interval divided by the contracted capacity (ifHighSpeed when no capacity is configured)."}, withLabels("interface", "direction")),
		ifRx:           prometheus.NewCounterVec(prometheus.CounterOpts{Name: "line_interface_receive_bytes_total", Help: "IF-MIB ifHCInOctets (64-bit) since the exporter started."}, i),
		ifTx:           prometheus.NewCounterVec(prometheus.CounterOpts{Name: "line_interface_transmit_bytes_total", Help: "IF-MIB ifHCOutOctets (64-bit) since the exporter started."}, i),
		ifErrors:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "line_interface_errors_total", Help: "IF-MIB ifInErrors/ifOutErrors since the exporter started."}, withLabels("interface", "direction")),
		ifDiscards:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "line_interface_discards_total", Help: "IF-MIB ifInDiscards/ifOutDiscards since the exporter started."}, withLabels("interface", "direction")),
		bgpState:       prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "line_bgp_peer_state", Help: "BGP4-MIB bgpPeerState: 1 idle, 2 connect, 3 active, 4 opensent, 5 openconfirm, 6 established."}, p),
		bgpEstablished: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "line_bgp_peer_established", Help: "1 if the BGP session is Established."}, p),
		bgpEstSeconds:  prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "line_bgp_established_seconds", Help: "BGP4-MIB bgpPeerFsmEstablishedTime: seconds in (or since leaving) Established."}, p),
		bgpTransitions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "line_bgp_established_transitions_total", Help: "BGP4-MIB bgpPeerFsmEstablishedTransitions (flaps) since the exporter started."}, p),
		capacity:       prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "line_capacity_bytes_per_second", Help: "Contracted capacity of the line in bytes/s (the contract's bit/s ÷ 8; Prometheus base unit)."}, lineLabels),
		problem:        prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "line_signal_problem", Help: "1 with the reason a signal is not up (down or unknown): timeout, unreachable, interface not found, router not answering, …"}, withLabels("signal", "target", "reason")),
	}
	cs := m.counters()
	names := []string{"line_icmp_probes_total", "line_icmp_replies_total", "line_icmp_rtt_seconds", "line_interface_receive_bytes_total",
		"line_interface_transmit_bytes_total", "line_interface_errors_total", "line_interface_discards_total", "line_bgp_established_transitions_total"}
	collectors := make([]prometheus.Collector, len(cs))
	for i, c := range cs {
		collectors[i] = c
	}
	m.persist = exporter.NewCounterSet(lines, names, collectors...)
	reg.MustRegister(m.persist, m.loss, m.jitter, m.ifOperUp, m.ifSpeed, m.ifUtil,
		m.bgpState, m.bgpEstablished, m.bgpEstSeconds, m.capacity, m.problem)
	return m
}

// forget deletes every series of a line (removed by a reload).
func (m *metrics) forget(line string) {
	m.forgetGauges(line)
	l := prometheus.Labels{"line": line}
	for _, v := range m.counters() {
		v.DeletePartialMatch(l)
	}
	m.persist.DeletePartialMatch(l)
}

// forgetGauges deletes the gauges of a line (its new run sets them again).
func (m *metrics) forgetGauges(line string) {
	l := prometheus.Labels{"line": line}
	for _, v := range []*prometheus.GaugeVec{m.loss, m.jitter, m.ifOperUp, m.ifSpeed, m.ifUtil, m.bgpState,
		m.bgpEstablished, m.bgpEstSeconds, m.capacity, m.problem} {
		v.DeletePartialMatch(l)
	}
}

// counterVec is a counter or histogram vector of the exporter.
type counterVec interface {
	prometheus.Collector
	Delete(prometheus.Labels) bool
	DeletePartialMatch(prometheus.Labels) int
}

// counters are the vectors whose series count from 0 when created: ICMP
// probes and round trips (label target), interface traffic (interface),
// BGP flaps (peer).
func (m *metrics) counters() []counterVec {
	return []counterVec{m.probes, m.replies, m.rtt, m.ifRx, m.ifTx, m.ifErrors, m.ifDiscards, m.bgpTransitions}
}

// retainCounters keeps, of a changed line's counters, the series its new
// run still uses (same line labels lv, target/interface/peer in keep): they
// go on counting, so the line's counters reset only when
// line_start_time_seconds says so (the monthly report relies on it). The
// others are deleted.
func (m *metrics) retainCounters(lv []string, keep map[string]bool) {
	for _, v := range m.counters() {
		ch := make(chan prometheus.Metric, 64)
		go func() { v.Collect(ch); close(ch) }()
		var stale []prometheus.Labels
		for pm := range ch {
			var d dto.Metric
			if pm.Write(&d) != nil {
				continue
			}
			ls := prometheus.Labels{}
			for _, lp := range d.GetLabel() {
				ls[lp.GetName()] = lp.GetValue()
			}
			if ls["line"] != lv[0] {
				continue
			}
			same := true
			for i, n := range lineLabels {
				same = same && ls[n] == lv[i]
			}
			extra := ls["target"] + ls["interface"] + ls["peer"] // each vector has one of them
			if !same || !keep[extra] {
				stale = append(stale, ls)
			}
		}
		for _, ls := range stale {
			v.Delete(ls)
			m.persist.Delete(ls)
		}
	}
}
