package simsite

import (
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/metricnames"
	sh "github.com/jianguan/jianguan/internal/simhistory"
)

// Fine is the sample interval of the room's event-driven gauges
// (Prometheus' production scrape interval; Spec.DenseStep of the site's
// history), over the whole history: a report that reads them sees every
// excursion the condition counters count (TestDemoConsistency), and its
// averages over their samples (avg_over_time: CRAC, generator and door
// time) are time averages, as they are over a real scrape. The rest keeps
// the Spec's coarse step (counters are exact at every sample). Bound:
// 34 series × span/15 s (a service year: ~72 M samples).
const Fine = 15 * time.Second

// dense reports whether a gauge moves with the model's events (the room's
// power, cooling, temperature and alarm gauges; not rack power, humidity,
// node or line series, which follow the time of day only, nor the room's
// constants: thresholds, required units, redundancy known).
func dense(g sh.Gauge) bool {
	if g.Of != nil || g.Counter || !strings.HasPrefix(g.Name, "env_") || strings.HasPrefix(g.Name, "env_threshold_") {
		return false
	}
	switch g.Name {
	case metricnames.EnvRackPowerWatts, metricnames.EnvHumidityRatio, metricnames.EnvUPSOutputLoadRatio, "env_ups_battery_status",
		"env_feeds_required", metricnames.EnvCoolingUnitsRequired, "env_redundancy_known":
		return false
	}
	return true
}
