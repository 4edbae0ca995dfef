package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// Secrets of the test configs: none may appear in logs, /metrics, /config
// or error messages.
const (
	secretCommunity = "Comm-7fq2-SECRET"
	secretAuth      = "AuthPass-93kd-SECRET"
	secretPriv      = "PrivPass-x81m-SECRET"
	secretWrongAuth = "WrongAuth-55zz-SECRET"
)

const upsRec = `1.3.6.1.2.1.1.3.0|67|100
1.3.6.1.2.1.33.1.2.1.0|2|2
1.3.6.1.2.1.33.1.2.3.0|2|25
1.3.6.1.2.1.33.1.2.4.0|2|100
1.3.6.1.2.1.33.1.2.7.0|2|24
1.3.6.1.2.1.33.1.3.3.1.3.1|2|230
1.3.6.1.2.1.33.1.3.3.1.3.2|2|231
1.3.6.1.2.1.33.1.3.3.1.3.3|2|229
1.3.6.1.2.1.33.1.4.1.0|2:writecache|value=3
1.3.6.1.2.1.33.1.4.4.1.5.1|2|40
1.3.6.1.2.1.33.1.6.1.0|66|1
1.3.6.1.2.1.33.1.6.2.1.2.1|6|1.3.6.1.2.1.33.1.6.3.18
`

const sensorRec = `1.3.6.1.2.1.1.3.0|67|100
1.3.6.1.4.1.99999.1.1.0|2:writecache|value=235
1.3.6.1.4.1.99999.1.2.0|2|45
1.3.6.1.4.1.99999.2.1.0|2:writecache|value=1
1.3.6.1.4.1.99999.3.1.0|4|not-a-number
`

func testConfig(addr, dead string, interval time.Duration) string {
	return fmt.Sprintf(`defaults:
  interval: %[3]s
  timeout: 1s
  retries: 0
  auth: v2
auths:
  v2:
    version: 2c
    community: %[4]s
  v3:
    version: "3"
    username: noc
    security_level: authPriv
    auth_protocol: SHA
    auth_password: %[5]s
    priv_protocol: AES
    priv_password: %[6]s
    context_name: upsb
  v3wrong:
    version: "3"
    username: noc
    auth_protocol: SHA
    auth_password: %[7]s
    priv_protocol: AES
    priv_password: %[6]s
    context_name: upsb
sites:
  - name: dc1
    rooms:
      - name: room-a
        devices:
          - {name: ups-a, profile: rfc1628-ups, address: "%[1]s"}
          - {name: ups-b, profile: rfc1628-ups, address: "%[1]s", auth: v3}
          - name: sensor-1
            profile: generic-sensor
            address: "%[1]s"
            rack: R01
            signals:
              - {signal: temperature_celsius, oid: 1.3.6.1.4.1.99999.1.1.0, scale: 0.1, labels: {sensor: row1}}
              - {signal: humidity_ratio, oid: 1.3.6.1.4.1.99999.1.2.0, scale: 0.01, labels: {sensor: row1}}
              - {signal: leak_detected, oid: 1.3.6.1.4.1.99999.2.1.0, map: {"1": 0, "2": 1}, labels: {sensor: floor-1}}
              - {signal: door_open, oid: 1.3.6.1.4.1.99999.3.1.0, labels: {sensor: door-1}}
      - name: room-b
        devices:
          - {name: dead-1, profile: rfc1628-ups, address: "%[2]s"}
          - {name: ups-wrongkey, profile: rfc1628-ups, address: "%[1]s", auth: v3wrong}
`, addr, dead, interval, secretCommunity, secretAuth, secretPriv, secretWrongAuth)
}

type running struct {
	base   string
	cmd    *exec.Cmd
	stderr *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMain lets the tests run the exporter as a child process (the test
// binary itself), so that exit codes and logs are real.
func TestMain(m *testing.M) {
	if os.Getenv("ENV_EXPORTER_CHILD") == "1" {
		os.Exit(app().Main(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// runChild runs the exporter to completion (for --config.check and bad configs).
func runChild(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "ENV_EXPORTER_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		t.Fatal(err)
	}
	return 0, string(out)
}

func start(t *testing.T, args ...string) *running {
	t.Helper()
	port := testutil.FreePort(t)
	r := &running{base: "http://127.0.0.1:" + strconv.Itoa(port), stderr: &syncBuffer{}}
	r.cmd = exec.Command(os.Args[0], append([]string{"--web.listen-address=127.0.0.1:" + strconv.Itoa(port), "--log.level=debug"}, args...)...)
	r.cmd.Env = append(os.Environ(), "ENV_EXPORTER_CHILD=1")
	r.cmd.Stdout, r.cmd.Stderr = r.stderr, r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { r.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		r.cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			r.cmd.Process.Kill()
		}
		// go test -race: the child is the same race-enabled binary
		if strings.Contains(r.stderr.String(), "WARNING: DATA RACE") {
			t.Errorf("data race in the exporter:\n%s", r.stderr)
		}
	})
	testenv.WaitFor(t, 20*time.Second, "the exporter's /-/healthy", func() bool {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, r.base+"/-/healthy", nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			return true
		}
		select {
		case <-exited:
			t.Fatalf("exporter exited: %s", r.stderr)
		default:
		}
		return false
	})
	return r
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

type families map[string]*dto.MetricFamily

func (r *running) scrape(t *testing.T) (families, string) {
	t.Helper()
	text := get(t, r.base+"/metrics")
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return mfs, text
}

// val returns the value of the series of name whose labels include want, or NaN.
func (f families) val(name string, want map[string]string) float64 {
	mf := f[name]
	if mf == nil {
		return math.NaN()
	}
next:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return math.NaN()
}

func lbl(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// waitFor scrapes until cond holds; it returns how long it took.
func (r *running) waitFor(t *testing.T, timeout time.Duration, what string, cond func(families) bool) time.Duration {
	t.Helper()
	start := time.Now()
	testenv.WaitFor(t, timeout, what, func() bool {
		f, _ := r.scrape(t)
		return cond(f)
	})
	return time.Since(start)
}

func TestSnmpsimIntegration(t *testing.T) {
	sim := testenv.StartSNMPSim(t, map[string]string{secretCommunity: upsRec + sensorRec, "upsb": strings.Replace(upsRec, "2:writecache|value=3", "2|3", 1)},
		&testenv.SNMPv3{User: "noc", AuthKey: secretAuth, AuthProto: "SHA", PrivKey: secretPriv, PrivProto: "AES"})
	dead := "127.0.0.1:" + strconv.Itoa(testutil.FreeUDPPort(t))
	const interval = 500 * time.Millisecond
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "env.yml")
	good := testConfig(sim.Addr, dead, interval)
	if err := os.WriteFile(cfgPath, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	r := start(t, "--config.file="+cfgPath)

	upsA := lbl("site", "dc1", "room", "room-a", "device", "ups-a")
	r.waitFor(t, 10*time.Second, "first polls", func(f families) bool {
		return f.val("env_device_up", lbl("device", "ups-a")) == 1 && f.val("env_device_up", lbl("device", "ups-b")) == 1 &&
			f.val("env_device_up", lbl("device", "sensor-1")) == 1 && f.val("env_ups_on_battery", upsA) == 0 &&
			f.val("env_device_poll_duration_seconds", lbl("device", "ups-wrongkey")) >= 1 &&
			f.val("env_device_poll_duration_seconds", lbl("device", "sensor-1")) >= 2 // second poll: the condition trackers have an interval
	})
	f, text := r.scrape(t)
	for _, c := range []struct {
		name string
		l    map[string]string
		want float64
	}{
		{"env_device_up", lbl("device", "ups-a", "profile", "rfc1628-ups"), 1},
		{"env_device_up", lbl("device", "ups-b"), 1}, // SNMPv3 authPriv
		{"env_ups_battery_runtime_seconds", lbl("device", "ups-b"), 1500},
		{"env_ups_battery_charge_ratio", upsA, 1},
		{"env_ups_battery_status", upsA, 2},
		{"env_ups_input_voltage_volts", lbl("device", "ups-a", "phase", "2"), 231},
		{"env_ups_output_load_ratio", lbl("device", "ups-a", "phase", "1"), 0.4},
		{"env_ups_alarm_active", lbl("device", "ups-a", "alarm", "GeneralFault"), 1},
		{"env_temperature_celsius", lbl("device", "sensor-1", "sensor", "row1", "rack", "R01"), 23.5},
		{"env_humidity_ratio", lbl("device", "sensor-1", "sensor", "row1"), 0.45},
		{"env_leak_detected", lbl("device", "sensor-1", "sensor", "floor-1"), 0},
		{"env_ups_redundancy_intact", lbl("room", "room-a"), 1},
		{"env_threshold_temperature_high_celsius", lbl("room", "room-a"), 27},
		{"env_threshold_humidity_high_ratio", lbl("room", "room-b"), 0.6},
		{"env_threshold_rack_power_critical_watts", lbl("room", "room-a"), 5000},
		{"env_config_last_reload_successful", nil, 1},
	} {
		if got := f.val(c.name, c.l); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.l, got, c.want)
		}
	}
	// The door OID holds a string: counted as wrongType and skipped.
	if got := f.val("env_door_open", lbl("device", "sensor-1")); !math.IsNaN(got) {
		t.Errorf("env_door_open from a non-number = %v, want absent", got)
	}
	if got := f.val("env_device_errors_total", lbl("device", "sensor-1", "reason", "wrongType")); !(got >= 1) {
		t.Errorf("wrongType errors = %v", got)
	}
	if got := f.val("env_device_errors_total", lbl("device", "ups-wrongkey", "reason", "auth")); !(got >= 1) {
		t.Errorf("auth errors of a wrong v3 key = %v", got)
	}

	t.Run("promtool check metrics", func(t *testing.T) {
		promtool := testutil.Need(t, "promtool")
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(text)
		out, err := cmd.CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	})

	t.Run("unreachable device does not delay others", func(t *testing.T) {
		f0, _ := r.scrape(t)
		n0 := f0.val("env_device_poll_duration_seconds", lbl("device", "sensor-1"))
		time.Sleep(3 * time.Second)
		f1, _ := r.scrape(t)
		n1 := f1.val("env_device_poll_duration_seconds", lbl("device", "sensor-1"))
		if f1.val("env_device_up", lbl("device", "dead-1")) != 0 {
			t.Errorf("dead device up = %v", f1.val("env_device_up", lbl("device", "dead-1")))
		}
		// 3 s at 500 ms = 6 polls (± 2 on a loaded machine).
		if n1-n0 < 4 || n1-n0 > 8 {
			t.Errorf("sensor-1 polled %v times in 3 s while dead-1 was unreachable, want about 6", n1-n0)
		}
	})

	t.Run("UPS to battery and back, seconds counted", func(t *testing.T) {
		active := lbl("device", "ups-a", "condition", "on_battery")
		f0, _ := r.scrape(t)
		base := f0.val("env_condition_active_seconds_total", active)
		sim.Set(t, secretCommunity, "1.3.6.1.2.1.33.1.4.1.0", "i", "5")
		t0 := time.Now()
		took := r.waitFor(t, 5*time.Second, "on battery", func(f families) bool { return f.val("env_ups_on_battery", upsA) == 1 })
		// One poll interval, plus the poll and the scrape themselves.
		t.Logf("on battery seen %v after snmpset (poll interval %v)", took, interval)
		if took > interval+500*time.Millisecond {
			t.Errorf("on battery seen after %v, want within one poll interval (%v)", took, interval)
		}
		f, _ := r.scrape(t)
		if f.val("env_ups_redundancy_intact", lbl("room", "room-a")) != 0 {
			t.Errorf("redundancy intact while ups-a on battery")
		}
		if f.val("env_ups_on_battery", lbl("device", "ups-b")) != 0 {
			t.Errorf("ups-b follows ups-a")
		}
		time.Sleep(3 * time.Second)
		sim.Set(t, secretCommunity, "1.3.6.1.2.1.33.1.4.1.0", "i", "3")
		t1 := time.Now()
		r.waitFor(t, 5*time.Second, "back on mains", func(f families) bool { return f.val("env_ups_on_battery", upsA) == 0 })
		time.Sleep(interval)
		f, _ = r.scrape(t)
		got := f.val("env_condition_active_seconds_total", active) - base
		want := t1.Sub(t0).Seconds()
		t.Logf("on_battery seconds %.2f for %.2f s on battery", got, want)
		if math.Abs(got-want) > interval.Seconds()+0.25 {
			t.Errorf("on_battery seconds = %.2f, want %.2f ± %.1f", got, want, interval.Seconds())
		}
		if !(f.val("env_condition_state_changes_total", active) >= 2) {
			t.Errorf("state changes = %v", f.val("env_condition_state_changes_total", active))
		}
	})

	t.Run("leak flip", func(t *testing.T) {
		leak := lbl("device", "sensor-1", "sensor", "floor-1")
		sim.Set(t, secretCommunity, "1.3.6.1.4.1.99999.2.1.0", "i", "2")
		took := r.waitFor(t, 5*time.Second, "leak", func(f families) bool { return f.val("env_leak_detected", leak) == 1 })
		if took > interval+500*time.Millisecond {
			t.Errorf("leak seen after %v, want within one poll interval (%v)", took, interval)
		}
		r.waitFor(t, 3*time.Second, "leak condition", func(f families) bool {
			return f.val("env_condition_ok", lbl("device", "sensor-1", "condition", "leak")) == 0
		})
		sim.Set(t, secretCommunity, "1.3.6.1.4.1.99999.2.1.0", "i", "1")
		r.waitFor(t, 5*time.Second, "leak gone", func(f families) bool { return f.val("env_leak_detected", leak) == 0 })
	})

	t.Run("temperature out of band", func(t *testing.T) {
		sim.Set(t, secretCommunity, "1.3.6.1.4.1.99999.1.1.0", "i", "291")
		r.waitFor(t, 5*time.Second, "hot", func(f families) bool {
			return f.val("env_condition_ok", lbl("device", "sensor-1", "condition", "temperature_out_of_band")) == 0
		})
		sim.Set(t, secretCommunity, "1.3.6.1.4.1.99999.1.1.0", "i", "235")
	})

	t.Run("invalid reload keeps old config", func(t *testing.T) {
		bad := strings.Replace(good, "profile: generic-sensor", "profile: no-such-profile", 1)
		os.WriteFile(cfgPath, []byte(bad), 0o600)
		resp, err := http.Post(r.base+"/-/reload", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 || !strings.Contains(string(body), "no-such-profile") || !strings.Contains(string(body), "env.yml:") {
			t.Errorf("reload answer %d %s", resp.StatusCode, body)
		}
		f0, _ := r.scrape(t)
		if f0.val("env_config_last_reload_successful", nil) != 0 {
			t.Errorf("env_config_last_reload_successful not 0 after a bad reload")
		}
		n0 := f0.val("env_device_poll_duration_seconds", lbl("device", "sensor-1"))
		time.Sleep(1200 * time.Millisecond)
		f1, _ := r.scrape(t)
		if n1 := f1.val("env_device_poll_duration_seconds", lbl("device", "sensor-1")); n1-n0 < 1 {
			t.Errorf("old config not polling any more (%v → %v)", n0, n1)
		}
		os.WriteFile(cfgPath, []byte(good), 0o600)
		resp, err = http.Post(r.base+"/-/reload", "", nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("good reload: %v %v", err, resp.Status)
		}
		resp.Body.Close()
		f2, _ := r.scrape(t)
		if f2.val("env_config_last_reload_successful", nil) != 1 {
			t.Errorf("reload successful gauge not back to 1")
		}
		// Unchanged devices keep their counters.
		if n2 := f2.val("env_device_poll_duration_seconds", lbl("device", "sensor-1")); n2 < n0 {
			t.Errorf("poll count reset by an unchanged reload: %v → %v", n0, n2)
		}
	})

	t.Run("secrets never shown", func(t *testing.T) {
		_, metrics := r.scrape(t)
		cfgPage := get(t, r.base+"/config")
		landing := get(t, r.base+"/")
		if !strings.Contains(cfgPage, "<secret>") || !strings.Contains(landing, "ups-a") {
			t.Errorf("/config or landing page unexpected:\n%s", cfgPage)
		}
		l := r.stderr.String()
		if !strings.Contains(l, "ups-wrongkey") {
			t.Errorf("expected the failing device in the logs:\n%s", l)
		}
		for _, s := range []string{secretCommunity, secretAuth, secretPriv, secretWrongAuth} {
			for where, text := range map[string]string{"logs": l, "/metrics": metrics, "/config": cfgPage, "landing page": landing} {
				if strings.Contains(text, s) {
					t.Errorf("secret %q found in %s", s, where)
				}
			}
		}
	})
}
