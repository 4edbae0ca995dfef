// Command env_exporter exports the machine-room environment (UPS,
// temperature, humidity, leaks, doors, smoke, generator, utility feeds,
// cooling, rack power) polled over SNMP, with the seconds counters of the
// monthly infrastructure report (docs/metrics.md §2).
package main

import (
	"log/slog"
	"os"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jianguan/jianguan/internal/exporter"
)

func app() *exporter.App[*Config] {
	var profilesDir *string
	return &exporter.App[*Config]{
		Name:           "env_exporter",
		Namespace:      "env",
		Help:           "Machine-room environment exporter (UPS, temperature, humidity, leak, power, cooling) over SNMP. 机房动环监控导出器。",
		DefaultAddress: ":9810",
		DefaultConfig:  "env.yml",
		Flags: func(a *kingpin.Application) {
			profilesDir = a.Flag("profiles.dir", "Directory of operator profiles (*.yml) added to, or overriding, the built-in ones.").Default("").String()
		},
		New: func(logger *slog.Logger, reg prometheus.Registerer) (exporter.Service[*Config], error) {
			return newService(logger, reg, *profilesDir)
		},
	}
}

func main() {
	os.Exit(app().Main(os.Args[1:]))
}
