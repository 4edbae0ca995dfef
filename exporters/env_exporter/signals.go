package main

// signalDef is one normalised signal of docs/metrics.md §2: the metric it
// becomes and the labels it carries besides site, room and device.
type signalDef struct {
	metric string
	help   string
	labels []string
	kind   string // device kind the signal implies (ups, sensor, cooling, generator, feed, pdu)
	// min, max: the built-in physical range of the value (after scale and
	// offset); a value outside it is invalid (reason out_of_range), not
	// data. A profile may narrow or widen it with valid: {min, max}.
	min, max float64
}

// signalDefs is the metric contract of env_exporter (docs/metrics.md §2).
var signalDefs = map[string]signalDef{
	"ups_on_battery":                  {"env_ups_on_battery", "1 if the UPS output source is battery.", nil, "ups", 0, 1},
	"ups_on_bypass":                   {"env_ups_on_bypass", "1 if the UPS output source is bypass.", nil, "ups", 0, 1},
	"ups_battery_status":              {"env_ups_battery_status", "UPS battery status as RFC 1628 upsBatteryStatus: 1 unknown, 2 normal, 3 low, 4 depleted.", nil, "ups", 1, 4},
	"ups_battery_runtime_seconds":     {"env_ups_battery_runtime_seconds", "Estimated UPS battery runtime remaining in seconds.", nil, "ups", 0, 604800},
	"ups_battery_charge_ratio":        {"env_ups_battery_charge_ratio", "UPS battery charge remaining, 0..1.", nil, "ups", 0, 1},
	"ups_battery_temperature_celsius": {"env_ups_battery_temperature_celsius", "UPS battery temperature in degrees Celsius.", nil, "ups", -40, 100},
	"ups_input_voltage_volts":         {"env_ups_input_voltage_volts", "UPS input voltage per phase in volts.", []string{"phase"}, "ups", 0, 1000},
	"ups_output_load_ratio":           {"env_ups_output_load_ratio", "UPS output load per phase, 0..1 (1 = 100 %).", []string{"phase"}, "ups", 0, 3},
	"ups_alarm_active":                {"env_ups_alarm_active", "1 per active UPS alarm.", []string{"alarm"}, "ups", 0, 1},
	"temperature_celsius":             {"env_temperature_celsius", "Temperature in degrees Celsius.", []string{"sensor", "rack", "role"}, "sensor", -40, 125},
	"humidity_ratio":                  {"env_humidity_ratio", "Relative humidity, 0..1.", []string{"sensor", "rack", "role"}, "sensor", 0, 1},
	"leak_detected":                   {"env_leak_detected", "1 if water is detected.", []string{"sensor"}, "sensor", 0, 1},
	"door_open":                       {"env_door_open", "1 if the door is open.", []string{"sensor"}, "sensor", 0, 1},
	"smoke_detected":                  {"env_smoke_detected", "1 if the smoke detector is in alarm.", []string{"sensor"}, "sensor", 0, 1},
	"generator_running":               {"env_generator_running", "1 if the generator is running.", nil, "generator", 0, 1},
	"generator_fuel_ratio":            {"env_generator_fuel_ratio", "Generator fuel level, 0..1.", nil, "generator", 0, 1},
	"feed_up":                         {"env_feed_up", "1 if the utility feed is present.", []string{"feed"}, "feed", 0, 1},
	"cooling_unit_running":            {"env_cooling_unit_running", "1 if the precision air-conditioning (CRAC) unit is running.", nil, "cooling", 0, 1},
	"leak_cable_fault":                {"env_leak_cable_fault", "1 if the leak sensing cable (rope) is disconnected or faulty: the leak state is unknown.", []string{"sensor"}, "sensor", 0, 1},
	"rack_power_watts":                {"env_rack_power_watts", "Rack power draw in watts.", []string{"rack"}, "pdu", 0, 100000},
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

// Sensor roles (label role of env_temperature_celsius and env_humidity_ratio).
// Room, inlet and cold-aisle sensors are judged against the room's band
// (contract: 21–27 °C, ≤ 60 % RH); supply air, return air and hot-aisle
// sensors are reported and judged only against their own optional band
// (thresholds.role_bands).
const (
	roleRoom      = "room"
	roleInlet     = "inlet"
	roleColdAisle = "cold_aisle"
	roleSupply    = "supply"
	roleReturn    = "return"
	roleHotAisle  = "hot_aisle"
)

// roles lists the valid roles; judged says whether the room band applies.
var roles = map[string]bool{roleRoom: true, roleInlet: true, roleColdAisle: true, roleSupply: false, roleReturn: false, roleHotAisle: false}

// roleNames is the documented order of the roles.
var roleNames = []string{roleRoom, roleInlet, roleColdAisle, roleSupply, roleReturn, roleHotAisle}

// Reasons of env_signal_invalid_total: why a value that was read is not data.
const (
	invalidPlaceholder = "placeholder"  // a vendor's "no value" marker (0xFFFFFFFF, −2147483647, a profile's placeholders)
	invalidOutOfRange  = "out_of_range" // outside the physical range of the signal, or not in its map
	invalidWrongType   = "wrong_type"   // e.g. a string where a number is expected
)

var invalidReasons = []string{invalidPlaceholder, invalidOutOfRange, invalidWrongType}

// builtinPlaceholders are raw values that agents send for "no sensor" or
// "not available" on any numeric signal: the extremes of INTEGER and
// Gauge32 (−214748364.7 °C is −2147483647 × 0.1; 2.58e11 s is 0xFFFFFFFF
// minutes). A profile adds its own with placeholders: [...].
var builtinPlaceholders = map[string]bool{"2147483647": true, "-2147483647": true, "-2147483648": true, "4294967295": true}
