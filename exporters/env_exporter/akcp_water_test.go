package main

import (
	"math"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestLeakControllerCableFault (issue 21 item 8, on a vendor MIB): an AKCP
// sensorProbe2+ detected by profile auto, whose rope "Rope under floor row
// A" is driven through the three answers by snmpset on its waterStatus:
// no leak (normal 2) → env_leak_detected 0; leak (highCritical 4) → 1 and
// the leak condition active; cable fault (sensorError 7, the rope
// unplugged) → no env_leak_detected sample (never a leak, never "no
// leak"), env_leak_cable_fault 1 (the rope does not disappear), the
// reading counted as invalid; and back. The fixture's other faulty ports
// (sensorError, noStatus, the undefined 0) stay cable faults throughout,
// so the device's leak condition is unknown whenever no rope reports water.
func TestLeakControllerCableFault(t *testing.T) {
	const (
		fixture = "akcp-sp2plus-water"
		rope    = "Rope under floor row A"
		status  = "1.3.6.1.4.1.3854.3.5.9.1.6.1.1.2.1" // waterStatus of the rope
	)
	sim := testenv.StartSNMPSim(t, fixtures(t, fixture), nil)
	r := startRoom(t, sim, "", `          - name: leak-b
            address: "ADDR"
            community: `+fixture+"\n", "")
	dev := func(kv ...string) map[string]string { return lbl(append([]string{"device", "leak-b"}, kv...)...) }
	cond := dev("condition", "leak")
	r.waitFor(t, 15*time.Second, "SP2+ identified and polled", func(f families) bool {
		return f.val("env_device_info", dev("profile", "akcp-sp2plus-water")) == 1 && present(f, "env_leak_detected", dev("sensor", rope))
	})
	f, _ := r.scrape(t)
	for _, s := range []string{"Rope under floor row B", "Spot chilled-water valve", "Spot spare port"} {
		if present(f, "env_leak_detected", dev("sensor", s)) || f.val("env_leak_cable_fault", dev("sensor", s)) != 1 {
			t.Errorf("%s: env_leak_detected %v, env_leak_cable_fault %v; want absent and 1", s,
				f.val("env_leak_detected", dev("sensor", s)), f.val("env_leak_cable_fault", dev("sensor", s)))
		}
	}
	for _, step := range []struct {
		name, raw   string
		leak, fault float64 // leak NaN: no sample
		condUnknown float64 // env_condition_unknown of the device's leak condition
	}{
		{"no leak", "2", 0, 0, 1}, // other ports faulty: unknown, never ok
		{"leak", "4", 1, 0, 0},    // a known leak is a leak, faulty ports or not
		{"cable fault", "7", nan, 1, 1},
		{"leak (lowCritical)", "6", 1, 0, 0},
		{"offline port", "1", nan, 1, 1},
		{"undefined 0", "0", nan, 1, 1},
		{"relay state is no water reading", "8", nan, 1, 1},
		{"no leak again", "2", 0, 0, 1},
	} {
		t.Run(step.name, func(t *testing.T) {
			sim.Set(t, fixture, status, "i", step.raw)
			at, _ := r.scrape(t)
			inv0 := leakInvalid(at)
			same := func(got, want float64) bool { return got == want || math.IsNaN(got) && math.IsNaN(want) }
			// three ports are always invalid: +6 means two whole polls after the set
			r.waitFor(t, 5*time.Second, step.name, func(f families) bool {
				return leakInvalid(f) >= inv0+6 &&
					same(f.val("env_leak_detected", dev("sensor", rope)), step.leak) &&
					same(f.val("env_leak_cable_fault", dev("sensor", rope)), step.fault) &&
					f.val("env_condition_ok", cond) == 0 && // leak active or unknown, never ok
					f.val("env_condition_unknown", cond) == step.condUnknown
			})
			f, _ := r.scrape(t)
			// every port stays expected; a faulty rope is invalid, not missing
			for state, want := range map[string]float64{"expected": 5, "read": 2 - step.fault, "invalid": 3 + step.fault, "missing": 0} {
				if got := f.val("env_device_signals", dev("state", state)); got != want {
					t.Errorf("env_device_signals{state=%s} = %v, want %v", state, got, want)
				}
			}
		})
	}
}

// leakInvalid is the leak-b device's env_signal_invalid_total over the reasons
// a leak reading can have (fault values count as placeholder).
func leakInvalid(f families) float64 {
	l := func(reason string) map[string]string { return lbl("device", "leak-b", "reason", reason) }
	return f.val("env_signal_invalid_total", l("placeholder")) + f.val("env_signal_invalid_total", l("out_of_range"))
}
