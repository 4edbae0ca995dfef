// Package metricnames is the one Go source of the metric-name contract
// (docs/metrics.md): the names the exporters produce and the report engine,
// simhistory, the dashboards generator and the Grafana plugin backend read.
//
// docs/metrics.md stays the reference for people; TestNamesInContract holds
// every name here to it, and the rules/ and dashboards/ lints hold the YAML
// and JSON to it, so a name changed in one place fails a test in the others.
package metricnames

// Family is an availability family (docs/metrics.md §1): the metrics the
// engine in internal/avail exports for one namespace.
type Family struct {
	// Namespace prefixes every metric of the family.
	Namespace string
	// Good and Bad rename the "up" gauge and the "down" seconds
	// (env conditions: "ok" and "active").
	Good, Bad string
}

// The availability families.
var (
	Line         = Family{Namespace: "line", Good: "up", Bad: "down"}
	LineSignal   = Family{Namespace: "line_signal", Good: "up", Bad: "down"}
	Host         = Family{Namespace: "host", Good: "up", Bad: "down"}
	Website      = Family{Namespace: "website", Good: "up", Bad: "down"}
	EnvCondition = Family{Namespace: "env_condition", Good: "ok", Bad: "active"}
)

// Families lists every availability family.
var Families = []Family{Line, LineSignal, Host, Website, EnvCondition}

// Lookup returns the family of a namespace; an unknown namespace gets the
// default names ("up", "down").
func Lookup(ns string) Family {
	for _, f := range Families {
		if f.Namespace == ns {
			return f
		}
	}
	return Family{Namespace: ns, Good: "up", Bad: "down"}
}

// Suffixes of the family metrics that do not depend on Good and Bad.
const (
	SuffixUnknown        = "unknown"
	SuffixInMaintenance  = "in_maintenance"
	SuffixObserved       = "observed_seconds_total"
	SuffixMaintenance    = "maintenance_seconds_total"
	SuffixUnknownSeconds = "unknown_seconds_total"
	SuffixStateChanges   = "state_changes_total"
	SuffixLastChange     = "last_change_timestamp_seconds"
	SuffixStartTime      = "start_time_seconds"
)

// Name is Namespace_suffix.
func (f Family) Name(suffix string) string { return f.Namespace + "_" + suffix }

// UpSuffix is "up" (or Good); DownSuffix etc. likewise: the suffixes that
// follow the family's renames.
func (f Family) UpSuffix() string { return f.good() }

// DownSuffix is "down_seconds_total" with the family's Bad word.
func (f Family) DownSuffix() string { return f.bad() + "_seconds_total" }

// MaintenanceDownSuffix is "maintenance_down_seconds_total" with the family's Bad word.
func (f Family) MaintenanceDownSuffix() string { return "maintenance_" + f.bad() + "_seconds_total" }

func (f Family) good() string {
	if f.Good == "" {
		return "up"
	}
	return f.Good
}

func (f Family) bad() string {
	if f.Bad == "" {
		return "down"
	}
	return f.Bad
}

// Up is NS_up (env_condition_ok): 1 = confirmed good now.
func (f Family) Up() string { return f.Name(f.UpSuffix()) }

// Unknown is NS_unknown: 1 = state unknown now.
func (f Family) Unknown() string { return f.Name(SuffixUnknown) }

// InMaintenance is NS_in_maintenance.
func (f Family) InMaintenance() string { return f.Name(SuffixInMaintenance) }

// Observed is NS_observed_seconds_total.
func (f Family) Observed() string { return f.Name(SuffixObserved) }

// Down is NS_down_seconds_total (env_condition_active_seconds_total).
func (f Family) Down() string { return f.Name(f.DownSuffix()) }

// Maintenance is NS_maintenance_seconds_total.
func (f Family) Maintenance() string { return f.Name(SuffixMaintenance) }

// MaintenanceDown is NS_maintenance_down_seconds_total
// (env_condition_maintenance_active_seconds_total).
func (f Family) MaintenanceDown() string { return f.Name(f.MaintenanceDownSuffix()) }

// UnknownSeconds is NS_unknown_seconds_total.
func (f Family) UnknownSeconds() string { return f.Name(SuffixUnknownSeconds) }

// StateChanges is NS_state_changes_total.
func (f Family) StateChanges() string { return f.Name(SuffixStateChanges) }

// LastChange is NS_last_change_timestamp_seconds.
func (f Family) LastChange() string { return f.Name(SuffixLastChange) }

// StartTime is NS_start_time_seconds.
func (f Family) StartTime() string { return f.Name(SuffixStartTime) }

// All returns the family's eleven metric names in the order of docs/metrics.md §1.
func (f Family) All() []string {
	return []string{f.Up(), f.Unknown(), f.InMaintenance(), f.Observed(), f.Down(), f.Maintenance(),
		f.MaintenanceDown(), f.UnknownSeconds(), f.StateChanges(), f.LastChange(), f.StartTime()}
}

// Metrics outside the availability families that the readers (report,
// simhistory, dashboards, plugin) use by name (docs/metrics.md §2–4).
const (
	// line_exporter (docs/metrics.md, lines).
	LineICMPProbes                = "line_icmp_probes_total"
	LineICMPReplies               = "line_icmp_replies_total"
	LineICMPRTT                   = "line_icmp_rtt_seconds"
	LineICMPRTTBucket             = LineICMPRTT + "_bucket"
	LineInterfaceReceiveBytes     = "line_interface_receive_bytes_total"
	LineInterfaceTransmitBytes    = "line_interface_transmit_bytes_total"
	LineBGPEstablishedTransitions = "line_bgp_established_transitions_total"
	LineCapacityBytesPerSecond    = "line_capacity_bytes_per_second"
	// LineConfigLoad: line_exporter's last successful configuration
	// load, at its start and at every reload (internal/exporter).
	LineConfigLoad              = "line_config_last_reload_success_timestamp_seconds"
	WebsiteTLSLeafExpiry        = "website_tls_leaf_expiry_timestamp_seconds"
	EnvDeviceUp                 = "env_device_up"
	EnvTemperatureCelsius       = "env_temperature_celsius"
	EnvHumidityRatio            = "env_humidity_ratio"
	EnvRackPowerWatts           = "env_rack_power_watts"
	EnvGeneratorFuelRatio       = "env_generator_fuel_ratio"
	EnvGeneratorRunning         = "env_generator_running"
	EnvUPSOutputLoadRatio       = "env_ups_output_load_ratio"
	EnvUPSBatteryRuntimeSeconds = "env_ups_battery_runtime_seconds"
	EnvSmokeDetected            = "env_smoke_detected"
	EnvLeakDetected             = "env_leak_detected"
	EnvDoorOpen                 = "env_door_open"
	EnvCoolingUnitsRunning      = "env_cooling_units_running"
	EnvCoolingUnitsRequired     = "env_cooling_units_required"
	EnvCoolingUnitRunning       = "env_cooling_unit_running"
)

// PrometheusConfigLoad is Prometheus' own metric of its last successful
// configuration load (at its start and at every reload), from its
// self-scrape.
const PrometheusConfigLoad = "prometheus_config_last_reload_success_timestamp_seconds"

// Others lists the constants above, for the contract test.
var Others = []string{LineICMPProbes, LineICMPReplies, LineICMPRTTBucket, LineInterfaceReceiveBytes,
	LineInterfaceTransmitBytes, LineBGPEstablishedTransitions, LineCapacityBytesPerSecond, LineConfigLoad, WebsiteTLSLeafExpiry,
	EnvDeviceUp, EnvTemperatureCelsius, EnvHumidityRatio, EnvRackPowerWatts, EnvGeneratorFuelRatio, EnvGeneratorRunning,
	EnvUPSOutputLoadRatio, EnvUPSBatteryRuntimeSeconds, EnvSmokeDetected, EnvLeakDetected, EnvDoorOpen,
	EnvCoolingUnitsRunning, EnvCoolingUnitsRequired, EnvCoolingUnitRunning}
