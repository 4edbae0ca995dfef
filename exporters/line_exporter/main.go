// Command line_exporter watches carrier lines (BGP internet lines and leased
// lines) and exports their availability exact to the probe interval
// (docs/metrics.md §3): continuous ICMP through the shared engine
// (internal/icmp), IF-MIB and BGP4-MIB through the shared SNMP poller
// (internal/snmp), seconds counters through the availability engine
// (internal/avail).
package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jianguan/jianguan/internal/exporter"
	"github.com/jianguan/jianguan/internal/icmp"
)

func app() *exporter.App[*Config] {
	var mode, netns, engine *string
	return &exporter.App[*Config]{
		Name:           "line_exporter",
		Namespace:      "line",
		Help:           "jianguan line_exporter: availability of BGP and leased lines (ICMP, IF-MIB, BGP4-MIB).",
		DefaultAddress: ":9811",
		DefaultConfig:  "line.yml",
		Flags: func(kp *kingpin.Application) {
			mode = kp.Flag("icmp.mode", "ICMP sockets: auto (unprivileged datagram, then raw), unprivileged (needs net.ipv4.ping_group_range) or privileged (needs CAP_NET_RAW).").Default("auto").Enum("auto", "unprivileged", "privileged")
			engine = kp.Flag("icmp.engine", "ICMP engine: own (one socket for every probe) or pro-bing (github.com/prometheus-community/pro-bing, one pinger per probe, "+strconv.Itoa(icmp.ProBingParallel)+" at once; ~25× slower at 10 000 hosts, for comparison: docs/fastpaths.md).").Default(string(icmp.EngineOwn)).String()
			netns = kp.Flag("icmp.netns", "Open the ICMP sockets inside this network namespace (name under /var/run/netns or a path); the HTTP server and SNMP stay in the exporter's namespace.").Default("").String()
		},
		New: func(logger *slog.Logger, reg prometheus.Registerer) (exporter.Service[*Config], error) {
			m, err := icmp.ParseMode(*mode)
			if err != nil {
				return nil, err
			}
			e, err := icmp.ParseEngine(*engine)
			if err != nil {
				return nil, fmt.Errorf("--icmp.engine: %w", err)
			}
			ns := *netns
			if ns != "" && !strings.Contains(ns, "/") {
				ns = "/var/run/netns/" + ns
			}
			return newService(logger, reg, icmp.Options{Mode: m, Netns: ns, Engine: e, Logger: logger})
		},
	}
}

func main() { os.Exit(app().Main(os.Args[1:])) }
