package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jianguan/jianguan/internal/constmetric"
)

func withLabels(base []string, extra ...string) []string {
	return append(append([]string(nil), base...), extra...)
}

var (
	descHostProbes = prometheus.NewDesc("host_probes_total", "Probes sent to the host, by check (icmp, tcp:PORT).", withLabels(hostLabels, "check"), nil)
	descHostFails  = prometheus.NewDesc("host_probe_failures_total", "Failed probes of the host, by check (icmp, tcp:PORT).", withLabels(hostLabels, "check"), nil)
	descHostRTT    = prometheus.NewDesc("host_rtt_seconds", "ICMP echo round-trip time of the host.", hostLabels, nil)

	descWebProbes  = prometheus.NewDesc("website_probes_total", "Probes of the website.", websiteLabels, nil)
	descWebFails   = prometheus.NewDesc("website_probe_failures_total", "Failed probes of the website, by reason (connect, dns, tls, status, content, slow, timeout, headers_too_large).", withLabels(websiteLabels, "reason"), nil)
	descWebStatus  = prometheus.NewDesc("website_http_status_code", "HTTP status code of the last probe (0: no response).", websiteLabels, nil)
	descWebPhase   = prometheus.NewDesc("website_duration_seconds", "Duration of the phases of the last probe (dns, connect, tls, first_byte, total).", withLabels(websiteLabels, "phase"), nil)
	descWebContent = prometheus.NewDesc("website_content_match", "1 if the body of the last probe matched body_regexp (only when configured).", websiteLabels, nil)
	descWebSlow    = prometheus.NewDesc("website_slow", "1 if the last probe was slower than the response-time limit.", websiteLabels, nil)
	descTLSLeaf    = prometheus.NewDesc("website_tls_leaf_expiry_timestamp_seconds", "NotAfter of the server certificate, also when verification failed.", websiteLabels, nil)
	descTLSChain   = prometheus.NewDesc("website_tls_chain_expiry_timestamp_seconds", "Earliest NotAfter in the certificate chain, also when verification failed.", websiteLabels, nil)
	descTLSOK      = prometheus.NewDesc("website_tls_verify_ok", "1 if the certificate chain verified for the host name.", websiteLabels, nil)
	descTLSInfo    = prometheus.NewDesc("website_tls_info", "TLS verification result of the last handshake; verify_error is empty when it verified.", withLabels(websiteLabels, "verify_error"), nil)
)

// hostCollector exports the probe counters of every host. At 10 000 hosts
// a scrape is dominated by the exposition: label pairs are built once per
// host and check (constmetric), not per scrape.
type hostCollector struct{ s *service }

func (c *hostCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descHostProbes
	ch <- descHostFails
	ch <- descHostRTT
}

func (c *hostCollector) Collect(ch chan<- prometheus.Metric) {
	c.s.mu.RLock()
	hosts := make([]*host, 0, len(c.s.hosts))
	for _, h := range c.s.hosts {
		hosts = append(hosts, h)
	}
	c.s.mu.RUnlock()
	for _, h := range hosts {
		h.mu.Lock()
		for _, ck := range h.checks {
			ch <- &constmetric.Metric{D: descHostProbes, Labels: ck.lp, Counter: true, Value: float64(ck.probes)}
			ch <- &constmetric.Metric{D: descHostFails, Labels: ck.lp, Counter: true, Value: float64(ck.failures)}
		}
		if h.spec.icmp {
			cum := make([]uint64, nRTTBuckets)
			var n uint64
			for i := range cum {
				n += h.rttCounts[i]
				cum[i] = n
			}
			ch <- &constmetric.Histogram{D: descHostRTT, Labels: h.lp, Count: h.rttCount, Sum: h.rttSum, Bounds: rttBuckets[:], Buckets: cum}
		}
		h.mu.Unlock()
	}
}

// websiteCollector exports the last probe of every website.
type websiteCollector struct{ s *service }

func (c *websiteCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descWebProbes, descWebFails, descWebStatus, descWebPhase, descWebContent, descWebSlow, descTLSLeaf, descTLSChain, descTLSOK, descTLSInfo} {
		ch <- d
	}
}

func (c *websiteCollector) Collect(ch chan<- prometheus.Metric) {
	c.s.mu.RLock()
	ws := make([]*website, 0, len(c.s.websites))
	for _, w := range c.s.websites {
		ws = append(ws, w)
	}
	c.s.mu.RUnlock()
	n := len(websiteLabels)
	lv := make([]string, n+1)
	for _, w := range ws {
		w.mu.Lock()
		l := w.spec.labels
		copy(lv, l)
		ch <- prometheus.MustNewConstMetric(descWebProbes, prometheus.CounterValue, float64(w.probes), l...)
		for r := 0; r < nReasons; r++ {
			lv[n] = reasonNames[r]
			ch <- prometheus.MustNewConstMetric(descWebFails, prometheus.CounterValue, float64(w.failures[r]), lv...)
		}
		if w.haveLast {
			ch <- prometheus.MustNewConstMetric(descWebStatus, prometheus.GaugeValue, float64(w.last.status), l...)
			for p := 0; p < nPhases; p++ {
				lv[n] = phaseNames[p]
				ch <- prometheus.MustNewConstMetric(descWebPhase, prometheus.GaugeValue, w.last.phases[p].Seconds(), lv...)
			}
			if w.spec.body != nil && w.last.contentMatch >= 0 {
				ch <- prometheus.MustNewConstMetric(descWebContent, prometheus.GaugeValue, float64(w.last.contentMatch), l...)
			} else if w.spec.body != nil {
				ch <- prometheus.MustNewConstMetric(descWebContent, prometheus.GaugeValue, 0, l...)
			}
			ch <- prometheus.MustNewConstMetric(descWebSlow, prometheus.GaugeValue, float64(b2i(w.last.slow)), l...)
		}
		if t := w.lastTLS; t != nil {
			ch <- prometheus.MustNewConstMetric(descTLSLeaf, prometheus.GaugeValue, float64(t.leafExpiry.Unix()), l...)
			ch <- prometheus.MustNewConstMetric(descTLSChain, prometheus.GaugeValue, float64(t.chainExpiry.Unix()), l...)
			ch <- prometheus.MustNewConstMetric(descTLSOK, prometheus.GaugeValue, float64(b2i(t.verifyErr == "")), l...)
			lv[n] = t.verifyErr
			ch <- prometheus.MustNewConstMetric(descTLSInfo, prometheus.GaugeValue, 1, lv...)
		}
		w.mu.Unlock()
	}
}
