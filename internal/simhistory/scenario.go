package simhistory

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"

	"github.com/jianguan/jianguan/internal/metricnames"
)

// Shanghai is calendar.Zone (Asia/Shanghai, tzdata embedded).
var Shanghai = calendar.Zone

// MonthBounds returns [start, end) of a calendar month in Asia/Shanghai
// (calendar.Month), in UTC.
func MonthBounds(year int, month time.Month) (time.Time, time.Time) {
	p := calendar.Month(year, month)
	return p.Start.UTC(), p.End.UTC()
}

func w(a time.Time, d time.Duration) Window { return Window{Start: a, End: a.Add(d)} }

// TestScenario is a small history around one Asia/Shanghai calendar month
// with hand-placed outages: straddling both month boundaries, inside a
// maintenance window, exporter restarts (counter resets: after a 2 h gap,
// twice in a month, five minutes after the month start; each crash comes
// 1 s or 1 ms after a scrape, so the seconds never scraped stay within ±1 s), an entity added and
// one removed inside the month, unknown time and one outage entirely in the
// previous month. Data runs from 6 h before the month to
// 2 h after it.
func TestScenario(year int, month time.Month, step time.Duration) Spec {
	ms, me := MonthBounds(year, month)
	day := func(d int, hh, mm, ss int) time.Time {
		return ms.Add(time.Duration(d-1)*24*time.Hour + time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second)
	}
	ps := ms.Add(-72 * time.Hour) // exporters started 3 days before
	ents := []*Entity{
		{NS: metricnames.Line.Namespace, Labels: map[string]string{"line": "ct-bgp-1", "kind": "bgp", "provider": "中国电信", "site": "dc1"}, ProcessStart: ps,
			Outages: []Window{w(ms.Add(-30*time.Second), 125*time.Second), w(day(3, 10, 0, 7), 125*time.Second), w(day(10, 22, 13, 3), 41*time.Second)}},
		{NS: metricnames.Line.Namespace, Labels: map[string]string{"line": "cu-leased-1", "kind": "leased", "provider": "中国联通", "site": "dc1"}, ProcessStart: ps,
			Outages:     []Window{w(ms.Add(-600*time.Second), 540*time.Second), w(day(5, 2, 10, 0), 300*time.Second), w(day(7, 13, 1, 1), 20*time.Second), w(me.Add(-50*time.Second), 150*time.Second)},
			Maintenance: []Window{w(day(5, 2, 0, 0), time.Hour)}},
		{NS: metricnames.Line.Namespace, Labels: map[string]string{"line": "cm-bgp-2", "kind": "bgp", "provider": "中国移动", "site": "dc2"}, ProcessStart: ps,
			// The exporter crashes 1 s after a scrape: seconds it counted but
			// nobody scraped are lost (they become unknown time).
			Gaps:    []Window{w(day(15, 3, 0, 1), 2*time.Hour-time.Second)},
			Unknown: []Window{w(day(18, 9, 0, 0), 1000*time.Second)},
			Outages: []Window{w(day(20, 11, 11, 11), 200*time.Second)}},
		{NS: metricnames.Host.Namespace, Labels: map[string]string{"host": "web-01", "address": "10.0.0.11", "unit": "市财政局", "provider": "阿里云", "system": "财政门户", "site": "dc1", "path": "ct-bgp-1"}, ProcessStart: ps,
			Outages: []Window{w(day(12, 8, 30, 0), 30*time.Second)}},
		{NS: metricnames.Host.Namespace, Labels: map[string]string{"host": "db-01", "address": "10.0.0.12", "unit": "市财政局", "provider": "华为云", "system": "财政门户", "site": "dc1", "path": ""}, ProcessStart: ps},
		{NS: metricnames.Website.Namespace, Labels: map[string]string{"url": "https://www.example.gov.cn/", "unit": "市政府办公厅", "provider": "阿里云", "system": "政府门户", "site": "dc1", "path": "ct-bgp-1"}, ProcessStart: ps,
			Outages: []Window{w(day(25, 14, 0, 0), 600*time.Second)}},
		{NS: metricnames.EnvCondition.Namespace, Labels: map[string]string{"site": "dc1", "room": "A101", "device": "ups-a", "condition": "on_battery"}, ProcessStart: ps,
			Outages: []Window{w(day(8, 4, 0, 0), 90*time.Second), w(day(21, 4, 0, 0), 30*time.Second)}},
		{NS: metricnames.EnvCondition.Namespace, Labels: map[string]string{"site": "dc1", "room": "A101", "device": "th-1", "condition": "temperature_out_of_band"}, ProcessStart: ps,
			Outages: []Window{w(day(16, 13, 0, 0), 45*time.Minute)}},
		// Restarted twice in the month (an upgrade, a crash): two counter
		// resets found from line_start_time_seconds.
		{NS: metricnames.Line.Namespace, Labels: map[string]string{"line": "ct-leased-2", "kind": "leased", "provider": "中国电信", "site": "dc2"}, ProcessStart: ps,
			Gaps:    []Window{w(day(4, 3, 0, 0).Add(time.Millisecond), 20*time.Second), w(day(9, 17, 30, 0).Add(time.Millisecond), 45*time.Second)},
			Outages: []Window{w(day(6, 8, 0, 0), 100*time.Second), w(day(12, 1, 2, 3), 70*time.Second)}},
		// Added in the middle of the month.
		{NS: metricnames.Host.Namespace, Labels: map[string]string{"host": "app-02", "address": "10.0.0.21", "unit": "市教育局", "provider": "阿里云", "system": "教育云", "site": "dc2", "path": ""},
			ProcessStart: day(6, 12, 0, 0), Outages: []Window{w(day(7, 9, 0, 0), 60*time.Second)}},
		// Decommissioned on day 20: its series end before the month end.
		{NS: metricnames.Host.Namespace, Labels: map[string]string{"host": "app-03", "address": "10.0.0.22", "unit": "市教育局", "provider": "华为云", "system": "教育云", "site": "dc2", "path": ""},
			ProcessStart: ps, Gaps: []Window{w(day(20, 0, 0, 1), 40*24*time.Hour)}, Outages: []Window{w(day(2, 1, 0, 0), 90*time.Second)}},
		// The exporter restarted five minutes after the month start.
		{NS: metricnames.Website.Namespace, Labels: map[string]string{"url": "https://jy.example.gov.cn/", "unit": "市教育局", "provider": "华为云", "system": "教育门户", "site": "dc2", "path": ""},
			ProcessStart: ps, Gaps: []Window{w(ms.Add(5*time.Minute+time.Second), 30*time.Second)}, Outages: []Window{w(day(3, 15, 0, 0), 45*time.Second)}},
	}
	sp := Spec{From: ms.Add(-6 * time.Hour), To: me.Add(2 * time.Hour), Step: step, Entities: ents}
	sp.Gauges = envGauges("dc1", "A101", "ups-a", "th-1", 0)
	var lines []*Entity
	for _, e := range ents {
		if e.NS == metricnames.Line.Namespace {
			lines = append(lines, e)
		}
	}
	sp.Gauges = append(sp.Gauges, lineGauges(lines)...)
	sp.Gauges = append(sp.Gauges, Gauge{Name: metricnames.WebsiteTLSLeafExpiry,
		Labels: ents[5].Labels, Value: func(time.Time) float64 { return float64(me.Add(20 * 24 * time.Hour).Unix()) }})
	return sp
}

func envGauges(site, room, ups, sensor string, seed float64) []Gauge {
	ul := map[string]string{"site": site, "room": room, "device": ups}
	sl := map[string]string{"site": site, "room": room, "device": sensor, "sensor": sensor, "rack": ""}
	ph := func(p string) map[string]string {
		return map[string]string{"site": site, "room": room, "device": ups, "phase": p}
	}
	day := func(t time.Time) float64 { return float64(t.Unix()%86400) / 86400 * 2 * math.Pi }
	return []Gauge{
		{Name: metricnames.EnvUPSBatteryRuntimeSeconds, Labels: ul, Value: func(t time.Time) float64 { return 1800 + 300*math.Sin(day(t)+seed) }},
		{Name: metricnames.EnvUPSOutputLoadRatio, Labels: ph("1"), Value: func(t time.Time) float64 { return 0.45 + 0.1*math.Sin(day(t)+seed) }},
		{Name: metricnames.EnvTemperatureCelsius, Labels: sl, Value: func(t time.Time) float64 { return 24 + 2*math.Sin(day(t)+seed) }},
		{Name: metricnames.EnvHumidityRatio, Labels: sl, Value: func(t time.Time) float64 { return 0.45 + 0.05*math.Cos(day(t)+seed) }},
	}
}

// RTTFractions is the simulated share of ICMP replies within each
// line_icmp_rtt_seconds bucket bound (every line, the whole history), and
// RTTQuantiles the percentiles it gives by histogram_quantile's linear
// interpolation: p50 in (5, 10] ms, p95 in (20, 50] ms, p99 in (50, 100] ms.
var (
	RTTFractions = []struct{ LE, F float64 }{{.00025, 0}, {.0005, 0}, {.001, 0}, {.002, 0}, {.005, 0.1}, {.01, 0.6},
		{.02, 0.9}, {.05, 0.98}, {.1, 0.995}, {.2, 1}, {.5, 1}, {1, 1}, {2, 1}, {math.Inf(1), 1}}
	RTTQuantiles = map[float64]float64{0.5: 0.005 + 0.005*0.4/0.5, 0.95: 0.02 + 0.03*0.05/0.08, 0.99: 0.05 + 0.05*0.01/0.015}
)

// lineGauges are line_exporter's other series of each line: capacity,
// interface traffic in both directions (outbound half the inbound), ICMP probes, replies (0.1 % loss) and RTT histogram,
// BGP flaps (one per outage). They are sampled while the line's exporter
// runs, and its counters restart at 0 with it, as line_start_time_seconds
// says.
func lineGauges(lines []*Entity) []Gauge {
	caps := make([]float64, len(lines))
	for i := range caps {
		caps[i] = 1e9 * float64(i+1)
	}
	return LineGauges(lines, caps)
}

// LineGauges is lineGauges with each line's capacity in bit/s (caps[i] for
// lines[i]): the site model (internal/simsite) rates its lines as the
// contract does.
func LineGauges(lines []*Entity, caps []float64) []Gauge {
	var g []Gauge
	for i, e := range lines {
		l := e.Labels
		cap := caps[i]
		rate := 0.3 * cap / 8 // bytes/s
		tl := with(l, "target", fmt.Sprintf("192.0.2.%d", i+1))
		il := with(l, "interface", "ge-0/0/1")
		rx := func(t time.Time) float64 {
			// rate varies through the day between 0.1 and 0.5 of capacity.
			s := float64(t.Unix() % 100000000)
			return math.Floor(rate*s + 0.2*cap/8*86400/(2*math.Pi)*(1-math.Cos(s/86400*2*math.Pi)))
		}
		probes := func(t time.Time) float64 { return float64(t.Unix() % 100000000) } // one a second
		replies := func(t time.Time) float64 {
			s := probes(t)
			return s - math.Floor(s/1000) // 0.1 % loss
		}
		g = append(g,
			Gauge{Name: metricnames.LineCapacityBytesPerSecond, Labels: l, Of: e, Value: func(time.Time) float64 { return cap / 8 }},
			// The exporter's last configuration load: each simulated line
			// runs (and restarts) on its own, so its exporter's series
			// carries the line's name and changes at each (re)start.
			Gauge{Name: metricnames.LineConfigLoad, Labels: map[string]string{"line": l["line"]}, Of: e, Value: func(t time.Time) float64 { return float64(e.lifeStart(t).Unix()) }},
			Gauge{Name: metricnames.LineInterfaceReceiveBytes, Labels: il, Of: e, Counter: true, Value: rx},
			// Outbound at half the inbound: line_exporter reads both
			// octet counters of every interface (ifHCInOctets,
			// ifHCOutOctets), and the report's P95 reads both directions.
			Gauge{Name: metricnames.LineInterfaceTransmitBytes, Labels: il, Of: e, Counter: true, Value: func(t time.Time) float64 { return math.Floor(rx(t) / 2) }},
			Gauge{Name: metricnames.LineICMPProbes, Labels: tl, Of: e, Counter: true, Value: probes},
			Gauge{Name: metricnames.LineICMPReplies, Labels: tl, Of: e, Counter: true, Value: replies},
			Gauge{Name: metricnames.LineBGPEstablishedTransitions, Labels: with(l, "peer", fmt.Sprintf("198.51.100.%d", i+1)), Of: e, Counter: true, Value: func(t time.Time) float64 {
				n := 0.0
				for _, o := range e.Outages {
					if !t.Before(o.Start) {
						n++
					}
				}
				return n
			}},
		)
		for _, b := range RTTFractions {
			f := b.F
			g = append(g, Gauge{Name: metricnames.LineICMPRTTBucket, Labels: with(tl, "le", strconv.FormatFloat(b.LE, 'g', -1, 64)), Of: e, Counter: true,
				Value: func(t time.Time) float64 { return math.Floor(replies(t) * f) }})
		}
	}
	return g
}

func with(l map[string]string, k, v string) map[string]string {
	m := map[string]string{k: v}
	for a, b := range l {
		m[a] = b
	}
	return m
}

// DemoScenario builds nLines/nHosts/nSites-scaled realistic history from
// `from` to `to`: pseudo-random (seeded, deterministic) short outages, one
// maintenance window per entity, occasional exporter restarts; and
// node_exporter-style series for the hosts (NodeGauges, demoNodeHosts).
func DemoScenario(from, to time.Time, step time.Duration, nLines, nHosts, nWebsites int) Spec {
	rnd := uint64(0x9e3779b97f4a7c15)
	next := func(n uint64) uint64 {
		rnd ^= rnd << 13
		rnd ^= rnd >> 7
		rnd ^= rnd << 17
		return rnd % n
	}
	ps := from.Add(-24 * time.Hour)
	span := uint64(to.Sub(from) / time.Second)
	providersL := []string{"中国电信", "中国联通", "中国移动"}
	providersC := []string{"阿里云", "华为云", "腾讯云", "政务云"}
	units := []string{"市财政局", "市政府办公厅", "市公安局", "市卫健委", "市教育局"}
	mk := func(ns string, l map[string]string) *Entity {
		e := &Entity{NS: ns, Labels: l, ProcessStart: ps}
		n := int(next(4)) // 0..3 outages
		for i := 0; i < n; i++ {
			st := from.Add(time.Duration(next(span-4000)) * time.Second)
			e.Outages = append(e.Outages, w(st, time.Duration(5+next(400))*time.Second))
		}
		if next(10) == 0 {
			e.Maintenance = []Window{w(from.Add(time.Duration(next(span-8000))*time.Second), time.Hour)}
		}
		if next(20) == 0 {
			e.Gaps = []Window{w(from.Add(time.Duration(next(span-8000))*time.Second), time.Duration(60+next(1800))*time.Second)}
		}
		// keep outages out of gaps and disjoint
		var keep []Window
		for _, o := range e.Outages {
			ok := true
			for _, g := range e.Gaps {
				if o.End.After(g.Start.Add(-time.Minute)) && o.Start.Before(g.End.Add(time.Minute)) {
					ok = false
				}
			}
			for _, k := range keep {
				if o.End.After(k.Start.Add(-10*time.Minute)) && o.Start.Before(k.End.Add(10*time.Minute)) {
					ok = false
				}
			}
			if ok {
				keep = append(keep, o)
			}
		}
		e.Outages = keep
		return e
	}
	var sp Spec
	sp.From, sp.To, sp.Step = from, to, step
	var lines []*Entity
	for i := 0; i < nLines; i++ {
		p := providersL[i%len(providersL)]
		kind := "bgp"
		if i%2 == 1 {
			kind = "leased"
		}
		e := mk(metricnames.Line.Namespace, map[string]string{"line": fmt.Sprintf("line-%03d", i+1), "kind": kind, "provider": p, "site": fmt.Sprintf("dc%d", i%2+1)})
		lines = append(lines, e)
	}
	sp.Entities = append(sp.Entities, lines...)
	var hosts []*Entity
	for i := 0; i < nHosts; i++ {
		hosts = append(hosts, mk(metricnames.Host.Namespace, map[string]string{"host": fmt.Sprintf("host-%03d", i+1), "address": fmt.Sprintf("10.1.%d.%d", i/250, i%250+1),
			"unit": units[i%len(units)], "provider": providersC[i%len(providersC)], "system": fmt.Sprintf("系统%d", i%7+1), "site": fmt.Sprintf("dc%d", i%2+1), "path": ""}))
	}
	sp.Entities = append(sp.Entities, hosts...)
	// node_exporter-style series of the first DemoNodeHosts hosts, a few
	// deliberately idle (DemoIdleHosts), the last without any (无数据).
	sp.Gauges = append(sp.Gauges, NodeGauges(demoNodeHosts(hosts))...)
	for i := 0; i < nWebsites; i++ {
		sp.Entities = append(sp.Entities, mk(metricnames.Website.Namespace, map[string]string{"url": fmt.Sprintf("https://site%03d.example.gov.cn/", i+1),
			"unit": units[i%len(units)], "provider": providersC[i%len(providersC)], "system": fmt.Sprintf("门户%d", i%5+1), "site": "dc1", "path": ""}))
	}
	for r, room := range []string{"A101", "B201"} {
		ups := fmt.Sprintf("ups-%d", r+1)
		sen := fmt.Sprintf("th-%d", r+1)
		e := mk(metricnames.EnvCondition.Namespace, map[string]string{"site": "dc1", "room": room, "device": ups, "condition": "on_battery"})
		sp.Entities = append(sp.Entities, e)
		e2 := mk(metricnames.EnvCondition.Namespace, map[string]string{"site": "dc1", "room": room, "device": sen, "condition": "temperature_out_of_band"})
		sp.Entities = append(sp.Entities, e2)
		sp.Gauges = append(sp.Gauges, envGauges("dc1", room, ups, sen, float64(r))...)
	}
	if len(lines) > 0 {
		sp.Gauges = append(sp.Gauges, lineGauges(lines)...)
	}
	sp.Gauges = append(sp.Gauges, PrometheusSelf(from))
	return sp
}

// PrometheusSelf is Prometheus' own configuration-load series from its
// self-scrape: loaded once, a day before from.
func PrometheusSelf(from time.Time) Gauge {
	loaded := float64(from.Add(-24 * time.Hour).Unix())
	return Gauge{Name: metricnames.PrometheusConfigLoad, Labels: map[string]string{"job": "prometheus", "instance": "localhost:9090"},
		Value: func(time.Time) float64 { return loaded }}
}
