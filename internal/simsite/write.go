package simsite

import (
	"strings"
	"time"

	sh "github.com/jianguan/jianguan/internal/simhistory"
)

// Fine is the sample interval of the room's event-driven gauges inside the
// model's regions (Prometheus' production scrape interval; Spec.DenseStep
// of the site's history): a report that reads a month of gauges sees every
// excursion the condition counters count (TestDemoConsistency), while the
// rest of the history keeps the coarse step of the Spec (counters are exact
// at every sample). Bound: the regions of a month are a few days, 36 series.
const Fine = 15 * time.Second

// dense reports whether a gauge moves with the model's events (the room's
// power, cooling, temperature and alarm gauges; not rack power, humidity,
// node or line series, which follow the time of day only).
func dense(g sh.Gauge) bool {
	if g.Of != nil || g.Counter || !strings.HasPrefix(g.Name, "env_") {
		return false
	}
	switch g.Name {
	case "env_rack_power_watts", "env_humidity_ratio", "env_ups_output_load_ratio", "env_ups_battery_status":
		return false
	}
	return true
}
