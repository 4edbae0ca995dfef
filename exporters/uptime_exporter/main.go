// Command uptime_exporter probes cloud hosts (continuous ICMP through the
// shared internal/icmp engine, optional TCP connects) and websites
// (HTTP(S) with timing phases and TLS expiry that survives failed
// verification), and exports exact availability counters per target
// (internal/avail, docs/metrics.md §4). Targets come from YAML and CSV
// files that are watched and reloaded without losing counters.
package main

import (
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jianguan/jianguan/internal/exporter"
	"github.com/jianguan/jianguan/internal/icmp"
)

func main() {
	// A watched file change is turned into SIGHUP to this process, so the
	// frame's reload (uptime_config_* metrics, old config kept on error)
	// does the work. Never let SIGHUP end the process, also not before the
	// frame starts listening for it.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGHUP)
	os.Exit(newApp().Main(os.Args[1:]))
}

func newApp() *exporter.App[*Config] {
	var shardFlag, modeFlag, sourceFlag, engineFlag *string
	var watchFlag *bool
	return &exporter.App[*Config]{
		Name:           "uptime_exporter",
		Namespace:      "uptime",
		Help:           "Continuous availability probes of cloud hosts (ICMP, TCP) and websites (HTTP/HTTPS) with exact uptime counters.",
		DefaultAddress: ":9812",
		DefaultConfig:  "uptime.yml",
		Flags: func(kp *kingpin.Application) {
			shardFlag = kp.Flag("shard", "Probe only targets with hash(identity) mod n == i, written i/n (0 <= i < n), to split a large list over n instances.").Default("0/1").String()
			modeFlag = kp.Flag("icmp.mode", "ICMP socket: auto, privileged (raw, CAP_NET_RAW) or unprivileged (ping_group_range).").Default("auto").String()
			sourceFlag = kp.Flag("icmp.source", "Source address of ICMP probes (empty: any).").Default("").String()
			engineFlag = kp.Flag("icmp.engine", "ICMP engine: own (one socket for every probe) or pro-bing (github.com/prometheus-community/pro-bing, one pinger per probe, "+strconv.Itoa(icmp.ProBingParallel)+" at once; ~25× slower at 10 000 hosts, for comparison: docs/fastpaths.md).").Default(string(icmp.EngineOwn)).String()
			watchFlag = kp.Flag("targets.watch", "Reload when the config or a target file changes.").Default("true").Bool()
		},
		New: func(logger *slog.Logger, reg prometheus.Registerer) (exporter.Service[*Config], error) {
			sh, err := parseShard(*shardFlag)
			if err != nil {
				return nil, err
			}
			mode, err := icmp.ParseMode(*modeFlag)
			if err != nil {
				return nil, err
			}
			engine, err := icmp.ParseEngine(*engineFlag)
			if err != nil {
				return nil, fmt.Errorf("--icmp.engine: %w", err)
			}
			var src netip.Addr
			if *sourceFlag != "" {
				if src, err = netip.ParseAddr(*sourceFlag); err != nil {
					return nil, fmt.Errorf("--icmp.source: %w", err)
				}
			}
			o := options{shard: sh, icmpMode: mode, icmpSource: src, icmpEngine: engine, onChange: func() {
				_ = syscall.Kill(os.Getpid(), syscall.SIGHUP)
			}}
			o.noWatch = !*watchFlag
			return newService(logger, reg, o)
		},
	}
}
