package main

// signalDef is one normalised signal of docs/metrics.md §2: the metric it
// becomes and the labels it carries besides site, room and device.
type signalDef struct {
	metric string
	help   string
	labels []string
	kind   string // device kind the signal implies (ups, sensor, cooling, generator, feed, pdu)
}

// signalDefs is the metric contract of env_exporter (docs/metrics.md §2).
var signalDefs = map[string]signalDef{
	"ups_on_battery":                  {"env_ups_on_battery", "1 if the UPS output source is battery.", nil, "ups"},
	"ups_on_bypass":                   {"env_ups_on_bypass", "1 if the UPS output source is bypass.", nil, "ups"},
	"ups_battery_status":              {"env_ups_battery_status", "UPS battery status as RFC 1628 upsBatteryStatus: 1 unknown, 2 normal, 3 low, 4 depleted.", nil, "ups"},
	"ups_battery_runtime_seconds":     {"env_ups_battery_runtime_seconds", "Estimated UPS battery runtime remaining in seconds.", nil, "ups"},
	"ups_battery_charge_ratio":        {"env_ups_battery_charge_ratio", "UPS battery charge remaining, 0..1.", nil, "ups"},
	"ups_battery_temperature_celsius": {"env_ups_battery_temperature_celsius", "UPS battery temperature in degrees Celsius.", nil, "ups"},
	"ups_input_voltage_volts":         {"env_ups_input_voltage_volts", "UPS input voltage per phase in volts.", []string{"phase"}, "ups"},
	"ups_output_load_ratio":           {"env_ups_output_load_ratio", "UPS output load per phase, 0..1 (1 = 100 %).", []string{"phase"}, "ups"},
	"ups_alarm_active":                {"env_ups_alarm_active", "1 per active UPS alarm.", []string{"alarm"}, "ups"},
	"temperature_celsius":             {"env_temperature_celsius", "Temperature in degrees Celsius.", []string{"sensor", "rack"}, "sensor"},
	"humidity_ratio":                  {"env_humidity_ratio", "Relative humidity, 0..1.", []string{"sensor", "rack"}, "sensor"},
	"leak_detected":                   {"env_leak_detected", "1 if water is detected.", []string{"sensor"}, "sensor"},
	"door_open":                       {"env_door_open", "1 if the door is open.", []string{"sensor"}, "sensor"},
	"smoke_detected":                  {"env_smoke_detected", "1 if the smoke detector is in alarm.", []string{"sensor"}, "sensor"},
	"generator_running":               {"env_generator_running", "1 if the generator is running.", nil, "generator"},
	"generator_fuel_ratio":            {"env_generator_fuel_ratio", "Generator fuel level, 0..1.", nil, "generator"},
	"feed_up":                         {"env_feed_up", "1 if the utility feed is present.", []string{"feed"}, "feed"},
	"cooling_unit_running":            {"env_cooling_unit_running", "1 if the precision air-conditioning (CRAC) unit is running.", nil, "cooling"},
	"rack_power_watts":                {"env_rack_power_watts", "Rack power draw in watts.", []string{"rack"}, "pdu"},
}

// Conditions of docs/metrics.md §2 (availability family env_condition).
const (
	condOnBattery     = "on_battery"
	condTempBand      = "temperature_out_of_band"
	condHumidityHigh  = "humidity_high"
	condLeak          = "leak"
	condFeedLost      = "feed_lost"
	condCoolingLost   = "cooling_redundancy_lost"
	condUPSRedundancy = "ups_redundancy_lost"
	condSmoke         = "smoke"
	condDoorOpen      = "door_open"
	condGeneratorRuns = "generator_running"
)

// deviceConditions maps a signal to the device-level condition it drives.
var deviceConditions = map[string]string{
	"ups_on_battery":      condOnBattery,
	"temperature_celsius": condTempBand,
	"humidity_ratio":      condHumidityHigh,
	"leak_detected":       condLeak,
	"smoke_detected":      condSmoke,
	"door_open":           condDoorOpen,
	"generator_running":   condGeneratorRuns,
}
