package exporter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/config"
	"github.com/jianguan/jianguan/internal/testutil"
)

// availSvc is a service with one availability family: the greeting lists
// the tracked names, each observed up at every Apply and at Stop.
type availSvc struct {
	f  *avail.Family
	mu sync.Mutex
	ts []*avail.Tracker
}

func (s *availSvc) Load(path string) (*fakeCfg, error) {
	var c fakeCfg
	if _, err := config.Load(path, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

func (s *availSvc) Apply(_ context.Context, cfg *fakeCfg) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ts = nil
	var keep [][]string
	for _, n := range strings.Split(cfg.Greeting, ",") {
		if late, ok := strings.CutPrefix(n, "late:"); ok {
			// Created after a first poll, as env_exporter's auto-identified conditions.
			keep = append(keep, []string{late})
			go func() {
				time.Sleep(150 * time.Millisecond)
				s.mu.Lock()
				defer s.mu.Unlock()
				tr := s.f.Tracker(avail.Rule{}, nil, late)
				tr.Observe(time.Now(), avail.Up)
				s.ts = append(s.ts, tr)
			}()
			continue
		}
		tr := s.f.Tracker(avail.Rule{}, nil, n)
		tr.Observe(time.Now(), avail.Up)
		s.ts = append(s.ts, tr)
		keep = append(keep, []string{n})
	}
	s.f.Retain(keep)
	return nil
}

func (s *availSvc) Status() []StatusRow { return nil }

func (s *availSvc) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tr := range s.ts {
		tr.Observe(time.Now(), avail.Up) // the last probe result, applied before the save
	}
}

// runAvail runs the frame with an availSvc until stop is called; it returns
// the /metrics base URL.
func runAvail(t *testing.T, names, stateFile string, extra ...string) (base string, stop func() int) {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "fake.yml")
	if err := os.WriteFile(cfgPath, []byte("greeting: "+names+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := testutil.FreePort(t)
	base = fmt.Sprintf("http://127.0.0.1:%d", port)
	app := &App[*fakeCfg]{Name: "fake_exporter", Namespace: "fake", DefaultAddress: ":0", DefaultConfig: cfgPath,
		New: func(_ *slog.Logger, reg prometheus.Registerer) (Service[*fakeCfg], error) {
			s := &availSvc{f: avail.NewFamily(avail.FamilyOpts{Namespace: "fake", Labels: []string{"name"}})}
			reg.MustRegister(s.f)
			return s, nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	args := append([]string{"--web.listen-address=127.0.0.1:" + fmt.Sprint(port), "--state.file=" + stateFile}, extra...)
	go func() { done <- app.Run(ctx, args) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if resp, err := http.Get(base + "/-/healthy"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("exporter did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return base, func() int {
		cancel()
		select {
		case c := <-done:
			return c
		case <-time.After(10 * time.Second):
			t.Fatal("exporter did not stop")
			return -1
		}
	}
}

var sampleRe = regexp.MustCompile(`(?m)^(\w+)\{name="([^"]*)"\} (\S+)$`)

// samples returns metric{name} → value from /metrics.
func samples(t *testing.T, base string) map[string]float64 {
	t.Helper()
	_, body := get(t, base+"/metrics")
	out := map[string]float64{}
	for _, m := range sampleRe.FindAllStringSubmatch(body, -1) {
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatal(err)
		}
		out[m[1]+"/"+m[2]] = v
	}
	return out
}

func readState(t *testing.T, path string) stateFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sf stateFile
	if err := json.Unmarshal(b, &sf); err != nil {
		t.Fatal(err)
	}
	return sf
}

// TestStateAcrossFrameRestarts: issue 17 item 10 through the frame — saved
// at a clean stop, restored at start with the same start time and the
// counters continuing; the file is not clean while running; a tracker no
// longer configured is dropped; a file that is not from a clean stop gives
// a new lifetime.
func TestStateAcrossFrameRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	base, stop := runAvail(t, "a,b", path)
	if sf := readState(t, path); sf.Clean || len(sf.Families) != 1 {
		t.Errorf("file while running: clean=%v families=%d, want not clean, 1 family", sf.Clean, len(sf.Families))
	}
	time.Sleep(300 * time.Millisecond)
	first := samples(t, base)
	if c := stop(); c != 0 {
		t.Fatalf("exit %d", c)
	}
	sf := readState(t, path)
	if !sf.Clean || sf.Exporter != "fake_exporter" || len(sf.Families[0].Trackers) != 2 {
		t.Fatalf("file after a clean stop: %+v", sf)
	}
	saved := sf.Families[0].Trackers[0].Counters
	if saved.Observed < first["fake_observed_seconds_total/a"] || saved.Observed < 0.3 {
		t.Errorf("saved observed %v below the last scrape %v", saved.Observed, first["fake_observed_seconds_total/a"])
	}
	stoppedAt := time.Now()

	time.Sleep(200 * time.Millisecond) // the exporter is not running
	base, stop = runAvail(t, "a", path)
	second := samples(t, base)
	restartGap := time.Since(stoppedAt).Seconds()
	if second["fake_start_time_seconds/a"] != first["fake_start_time_seconds/a"] {
		t.Errorf("start time %v after the restart, %v before: a report would count a reset", second["fake_start_time_seconds/a"], first["fake_start_time_seconds/a"])
	}
	// Apply observed once more right after the restore: at most a few ms more.
	if o := second["fake_observed_seconds_total/a"]; o < saved.Observed || o > saved.Observed+0.1 {
		t.Errorf("observed %v after the restart, saved %v", o, saved.Observed)
	}
	u := second["fake_unknown_seconds_total/a"]
	if u < 0.2 || u > restartGap+0.05 {
		t.Errorf("unknown %v s, want the gap (0.2 s ≤ gap ≤ %v s)", u, restartGap)
	}
	if _, ok := second["fake_observed_seconds_total/b"]; ok {
		t.Error("b is no longer configured but exported")
	}
	if sf := readState(t, path); sf.Clean {
		t.Error("file clean while running after a restore: a crash would continue stale counters")
	}
	// A crash: the running file (not clean) is what the next start finds.
	crashed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if c := stop(); c != 0 {
		t.Fatalf("exit %d", c)
	}
	if err := os.WriteFile(path, crashed, 0o600); err != nil {
		t.Fatal(err)
	}
	base, stop = runAvail(t, "a", path)
	third := samples(t, base)
	if third["fake_start_time_seconds/a"] <= second["fake_start_time_seconds/a"] || third["fake_observed_seconds_total/a"] >= saved.Observed {
		t.Errorf("after a crash: start %v (before %v), observed %v: want a new lifetime from 0",
			third["fake_start_time_seconds/a"], second["fake_start_time_seconds/a"], third["fake_observed_seconds_total/a"])
	}
	stop()
}

// TestStatePeriodicSave: --state.save-interval writes the file while
// running (not clean).
func TestStatePeriodicSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	_, stop := runAvail(t, "a", path, "--state.save-interval=100ms")
	defer stop()
	at := readState(t, path).SavedAt
	time.Sleep(350 * time.Millisecond)
	sf := readState(t, path)
	if !sf.SavedAt.After(at) || sf.Clean {
		t.Errorf("periodic save: saved at %v (first %v), clean %v", sf.SavedAt, at, sf.Clean)
	}
}

// TestHostile_StateFile: a missing, corrupt, foreign, oversized or
// unreadable state file is logged and ignored; the exporter starts fresh
// and overwrites it.
func TestHostile_StateFile(t *testing.T) {
	good := func(mut func(*stateFile)) []byte {
		sf := stateFile{Format: stateFormat, Version: stateVersion, Exporter: "fake_exporter", SavedAt: time.Now(), Clean: true,
			Families: []avail.SavedFamily{{Namespace: "fake", Labels: []string{"name"}, Trackers: []avail.SavedTracker{
				{Labels: []string{"a"}, StartTime: 1, State: "up", LastKnown: "up", LastObserved: time.Now().UnixNano(),
					Counters: avail.SavedCounters{Observed: 1000}}}}}}
		mut(&sf)
		b, _ := json.Marshal(sf)
		return b
	}
	big := append([]byte(`{"format":"`), bytes.Repeat([]byte("x"), MaxStateBytes)...)
	tests := []struct {
		name    string
		content []byte // nil: no file
		dir     bool   // the path is a directory
		log     string
	}{
		{name: "missing", log: "no state file yet"},
		{name: "empty", content: []byte{}, log: "state file corrupt"},
		{name: "truncated", content: good(func(*stateFile) {})[:40], log: "state file corrupt"},
		{name: "not JSON", content: []byte("\x00\xff garbage"), log: "state file corrupt"},
		{name: "unknown field", content: []byte(`{"format":"jianguan-exporter-state","version":1,"exporter":"fake_exporter","evil":1}`), log: "state file corrupt"},
		{name: "foreign format", content: good(func(s *stateFile) { s.Format = "prometheus-tsdb" }), log: "not a jianguan exporter state file"},
		{name: "other version", content: good(func(s *stateFile) { s.Version = 99 }), log: "another format version"},
		{name: "other exporter", content: good(func(s *stateFile) { s.Exporter = "line_exporter" }), log: "another exporter"},
		{name: "oversized", content: big, log: "larger than the limit"},
		{name: "two states in one file", content: append(good(func(*stateFile) {}), good(func(*stateFile) {})...), log: "data after the state"},
		{name: "invalid tracker", content: good(func(s *stateFile) { s.Families[0].Trackers[0].Counters.Down = 5000 }), log: "invalid trackers ignored"},
		{name: "family no longer exported", content: good(func(s *stateFile) { s.Families[0].Namespace = "gone" }), log: "family no longer exported"},
		{name: "saved in the future", content: good(func(s *stateFile) {
			s.SavedAt = time.Now().Add(time.Hour)
			s.Families[0].Trackers[0].LastObserved = s.SavedAt.UnixNano()
		}), log: "wall clock went back"},
		{name: "path is a directory", dir: true, log: "state file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if tc.content != nil {
				if err := os.WriteFile(path, tc.content, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tc.dir {
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, nil))
			st := newStateStore(path, "fake_exporter", logger)
			f := avail.NewFamily(avail.FamilyOpts{Namespace: "fake", Labels: []string{"name"}})
			sf := st.load()
			st.restore(sf, persisted{fams: []*avail.Family{f}})
			tr := f.Tracker(avail.Rule{}, nil, "a")
			st.endRestore(sf, persisted{fams: []*avail.Family{f}})
			if !strings.Contains(logs.String(), tc.log) {
				t.Errorf("log does not say %q:\n%s", tc.log, logs.String())
			}
			s := tr.Snapshot(time.Now())
			if tc.name == "saved in the future" {
				if s.ObservedSeconds != 1000 || s.UnknownSeconds != 0 {
					t.Errorf("clock back: %+v, want the counters continued and no gap", s)
				}
			} else if s.ObservedSeconds != 0 {
				t.Errorf("counters restored from a bad file: %+v", s)
			}
			err := st.save(persisted{fams: []*avail.Family{f}}, true)
			if tc.dir {
				if err == nil {
					t.Error("saving over a directory succeeded")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sf := readState(t, path); len(sf.Families) != 1 || !sf.Clean {
				t.Errorf("not overwritten: %+v", sf)
			}
			// Bounded and atomic: 0600, no temporary file left.
			fi, _ := os.Stat(path)
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v", fi.Mode())
			}
			if es, _ := os.ReadDir(filepath.Dir(path)); len(es) != 1 {
				t.Errorf("%d files in the state directory, want 1", len(es))
			}
		})
	}
}

// TestStateCorruptFileStartsFresh: through the frame, a corrupt file does
// not keep the exporter from starting.
func TestStateCorruptFileStartsFresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte("{{{{"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, stop := runAvail(t, "a", path)
	if s := samples(t, base); s["fake_start_time_seconds/a"] == 0 {
		t.Errorf("not exporting: %v", s)
	}
	if c := stop(); c != 0 {
		t.Errorf("exit %d", c)
	}
	if !readState(t, path).Clean {
		t.Error("clean stop did not save")
	}
}

// TestStateSaveUnwritable: a save into a missing directory fails with an
// error (logged by the frame), never panics, never half-writes.
func TestStateSaveUnwritable(t *testing.T) {
	st := newStateStore(filepath.Join(t.TempDir(), "missing", "state.json"), "fake_exporter", slog.New(slog.DiscardHandler))
	f := avail.NewFamily(avail.FamilyOpts{Namespace: "fake", Labels: []string{"name"}})
	f.Tracker(avail.Rule{}, nil, "a")
	if err := st.save(persisted{fams: []*avail.Family{f}}, true); err == nil {
		t.Error("save into a missing directory succeeded")
	}
}

// TestStateSizeBound: the size and time of a save at 10 000 trackers (the
// uptime_exporter scale), against the documented bound of MaxStateBytes
// (about 450 bytes per tracker with labels of typical length).
func TestStateSizeBound(t *testing.T) {
	f := avail.NewFamily(avail.FamilyOpts{Namespace: "host", Labels: []string{"host", "address", "provider", "site", "system", "unit"}})
	now := time.Now()
	for i := 0; i < 10000; i++ {
		tr := f.Tracker(avail.Rule{DownAfter: 3}, nil, fmt.Sprintf("vm-%05d.prod.example.cn", i), fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256),
			"阿里云", "cn-hangzhou", "电子政务外网门户", "市大数据局")
		tr.Observe(now, avail.Up)
		tr.Observe(now.Add(time.Duration(i)*time.Millisecond), avail.Down)
	}
	path := filepath.Join(t.TempDir(), "state.json")
	st := newStateStore(path, "uptime_exporter", slog.New(slog.DiscardHandler))
	start := time.Now()
	if err := st.save(persisted{fams: []*avail.Family{f}}, true); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	per := fi.Size() / 10000
	t.Logf("10 000 trackers: %d bytes (%d per tracker), saved in %v; MaxStateBytes holds %d such trackers", fi.Size(), per, took, MaxStateBytes/per)
	if per > 500 {
		t.Errorf("%d bytes per tracker: the documented size (about 450) is wrong", per)
	}
	start = time.Now()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	if sf := st.load(); sf == nil || len(sf.Families[0].Trackers) != 10000 {
		t.Fatal("reload of the saved file failed")
	}
	runtime.ReadMemStats(&m1)
	alloc := m1.TotalAlloc - m0.TotalAlloc
	t.Logf("loaded in %v, %d MB allocated (%.1f× the file; a file at the %d MiB bound: about %d MB)",
		time.Since(start), alloc>>20, float64(alloc)/float64(fi.Size()), MaxStateBytes>>20, uint64(float64(alloc)/float64(fi.Size())*MaxStateBytes)>>20)
}

// TestStateLateTracker: a tracker the service creates after its first
// polls (within RestoreGrace) is restored too.
func TestStateLateTracker(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	base, stop := runAvail(t, "a,late:c", path)
	waitForT(t, "c created", func() bool { return samples(t, base)["fake_start_time_seconds/c"] > 0 })
	time.Sleep(200 * time.Millisecond)
	first := samples(t, base)
	stop()
	base, stop = runAvail(t, "a,late:c", path)
	defer stop()
	if sf := readState(t, path); len(sf.Families[0].Trackers) != 2 {
		t.Errorf("file while c is not created yet holds %d trackers, want 2", len(sf.Families[0].Trackers))
	}
	waitForT(t, "c created again", func() bool { return samples(t, base)["fake_start_time_seconds/c"] > 0 })
	second := samples(t, base)
	if second["fake_start_time_seconds/c"] != first["fake_start_time_seconds/c"] || second["fake_observed_seconds_total/c"] < first["fake_observed_seconds_total/c"] {
		t.Errorf("late tracker not restored: before %v, after %v", first, second)
	}
}

func waitForT(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timeout waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
