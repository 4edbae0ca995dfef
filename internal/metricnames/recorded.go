package metricnames

// Recorded series (rules/recording.yml) that the report engine reads instead
// of raw samples where they cover a period (issue 24: a month at a 15 s
// scrape interval). Where a recorded series is missing (rules introduced
// late, a rule evaluation missed) the engine falls back to the raw samples,
// and a test holds both paths to the same figures.

// LineInterfaceBitsRate5m is the traffic per line and direction (bit/s) over
// 5 m, recorded every minute (group jianguan.line).
const LineInterfaceBitsRate5m = "line:line_interface_bits:rate5m"

// LineInterfaceBitsRate5mStep5m is LineInterfaceBitsRate5m at every fifth
// minute only (the group's evaluations whose minute is a multiple of 5, on
// the same minute grid): the report's 95th percentile of the 5 m rates
// sampled every 5 m reads its points as they are, a fifth of the
// per-minute series' points and no subquery.
const LineInterfaceBitsRate5mStep5m = "line:line_interface_bits:rate5m_step5m"

// UpSamples1h is NS:NS_up:count1h (env_condition:env_condition_ok:count1h):
// the samples of NS_up in the hour before each evaluation, recorded every
// hour (group jianguan.report) — what the incident detectors need to see
// scrape gaps without reading every sample of a month.
func (f Family) UpSamples1h() string { return f.Namespace + ":" + f.Up() + ":count1h" }

// LineRulesEvaluated is recorded (value 1) at every evaluation of the group
// jianguan.line: where it has a point for every minute of a period, every
// minute's LineInterfaceBitsRate5m was evaluated, so a line's missing point is
// a minute its raw counters had no 5 m rate either (a scrape gap, a line that
// began or ended), not a missed evaluation.
const LineRulesEvaluated = "jianguan:line_rules:evaluated"

// StateChanges1h is NS:NS_state:changes1h (env_condition:env_condition_state:changes1h):
// present, recorded every hour (group jianguan.report), where any of NS_up,
// NS_unknown, NS_last_change_timestamp_seconds and NS_start_time_seconds
// changed between two samples in the 1 h 20 min before the evaluation;
// absent where none did. What the incident detectors need to find the days
// and hours with a change without reading every sample of a month.
func (f Family) StateChanges1h() string { return f.Namespace + ":" + f.Namespace + "_state:changes1h" }

// ReportRulesEvaluated is recorded (value 1) at every evaluation of the group
// jianguan.report: a recorded count or change missing where it has a point
// is an hour without samples or without a change, not a missed evaluation.
const ReportRulesEvaluated = "jianguan:report_rules:evaluated"

// StateChangesRulesEvaluated is recorded (value 1) at every evaluation of the
// group jianguan.report by rules that include the NS:NS_state:changes1h
// (StateChanges1h): where it has every evaluation of a day, a change missing
// there is none. ReportRulesEvaluated alone is not enough: a server on the
// rules from before the recorded changes has it without them.
const StateChangesRulesEvaluated = "jianguan:state_changes_rules:evaluated"

// RecordedGauges are the room gauges whose hourly aggregates are recorded
// (group jianguan.report, GaugeHourly): the ones that grow with the room
// (a rack power series per rack, a temperature and a humidity series per
// sensor), whose minimum, maximum and mean over a year the infrastructure
// report would otherwise read from hundreds of millions of raw samples
// (the contract's site: 223 M for the racks' peak power alone).
var RecordedGauges = []string{EnvRackPowerWatts, EnvTemperatureCelsius, EnvHumidityRatio}

// GaugeHourly is env:METRIC:OP1h, the hourly aggregate OP of a
// RecordedGauges metric over the hour ending 1 m before each evaluation of
// the group jianguan.report (offset 1m: a scrape in flight at the
// evaluation is in by then): min, max, sum and count (min_over_time … of
// METRIC[1h] offset 1m, every label kept), and at_eval: the sample exactly
// at that hour's end, present only where there is one — on a backend whose
// ranges are closed ([t − 1h, t], Prometheus 2) that sample is in two
// consecutive hours, and the report takes it out of one.
func GaugeHourly(metric, op string) string {
	if op == "at_eval" {
		return "env:" + metric + ":at_eval"
	}
	return "env:" + metric + ":" + op + "1h"
}

// GaugeRulesEvaluated is recorded (value 1) at every evaluation of the
// group jianguan.report by rules that include GaugeHourly: a recorded
// aggregate missing where it has a point is an hour without samples.
const GaugeRulesEvaluated = "jianguan:gauge_rules:evaluated"
