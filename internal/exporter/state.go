package exporter

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/jianguan/jianguan/internal/avail"
)

// State across restarts (docs/metrics.md, "State across restarts"): every
// avail.Family a service registers on the frame's registry is saved to one
// file per exporter — on a clean stop after the service has stopped (the
// last probe result applied, no scrape served any more), and every
// --state.save-interval — and restored before the first configuration is
// applied. Only a file written by a clean stop lets the counters continue
// (avail.RestoreState); right after a restore the file is rewritten as not
// clean, so a crash later never continues from values older than what was
// scraped since.

const (
	stateFormat  = "jianguan-exporter-state"
	stateVersion = 1
	// MaxStateBytes bounds the state file, read and written: about 450
	// bytes per tracker, so 32 MiB holds about 75 000 trackers (7× the
	// 10 000 hosts of uptime_exporter's scale test). A larger file is
	// ignored at start (logged), a larger save is not written (logged).
	// Reading a file at the bound allocates about 6× its size once.
	MaxStateBytes = 32 << 20
)

// stateFile is the on-disk format (JSON).
type stateFile struct {
	Format   string              `json:"format"`
	Version  int                 `json:"version"`
	Exporter string              `json:"exporter"`
	SavedAt  time.Time           `json:"saved_at"`
	Clean    bool                `json:"clean_stop"` // written by a clean stop: the counters may continue
	Families []avail.SavedFamily `json:"families"`
	// CounterSets: other per-entity counters (persist.go), only continued
	// from a clean stop.
	CounterSets []SavedCounterSet `json:"counter_sets,omitempty"`
}

// persisted is what the state file keeps: the availability families and
// the counter sets registered on the frame's registry.
type persisted struct {
	fams []*avail.Family
	sets []*CounterSet
}

// StateFlags are the state persistence flags.
type StateFlags struct {
	File     *string
	Interval *time.Duration
}

// AddStateFlags adds --state.file and --state.save-interval. The default
// file is $STATE_DIRECTORY/state.json when systemd provides a state
// directory (StateDirectory= in the units), else none (no persistence).
func AddStateFlags(kp *kingpin.Application) StateFlags {
	def := ""
	if d := os.Getenv("STATE_DIRECTORY"); d != "" {
		def = filepath.Join(strings.Split(d, ":")[0], "state.json")
	}
	return StateFlags{
		File: kp.Flag("state.file", "File keeping the availability counters, states and last transitions across restarts "+
			"(empty: not kept; default $STATE_DIRECTORY/state.json under systemd).").Default(def).String(),
		Interval: kp.Flag("state.save-interval", "How often the state file is also written while running (0: only at a clean stop).").
			Default("60s").Duration(),
	}
}

// stateStore saves and restores the families of one exporter.
type stateStore struct {
	path, name string
	logger     *slog.Logger
	now        func() time.Time

	mu sync.Mutex // one save at a time
}

func newStateStore(path, name string, logger *slog.Logger) *stateStore {
	return &stateStore{path: path, name: name, logger: logger, now: time.Now}
}

// load reads the state file; a missing, unreadable, oversized, corrupt or
// foreign file is logged and gives nil (start fresh).
func (s *stateStore) load() *stateFile {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		s.logger.Info("no state file yet: counters start at 0", "file", s.path)
		return nil
	}
	if err != nil {
		s.logger.Warn("state file unreadable, ignored: counters start at 0", "file", s.path, "err", err)
		return nil
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > MaxStateBytes {
		s.logger.Warn("state file larger than the limit, ignored: counters start at 0", "file", s.path, "limit_bytes", MaxStateBytes)
		return nil
	}
	// Decoded as a stream (no copy of the whole file), never past the bound
	// (a file growing while read): an oversized file fails as truncated.
	var sf stateFile
	dec := json.NewDecoder(bufio.NewReader(io.LimitReader(f, MaxStateBytes)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sf); err != nil {
		s.logger.Warn("state file corrupt, ignored: counters start at 0", "file", s.path, "err", err)
		return nil
	}
	if _, err := dec.Token(); err != io.EOF {
		s.logger.Warn("state file corrupt (data after the state), ignored: counters start at 0", "file", s.path)
		return nil
	}
	switch {
	case sf.Format != stateFormat:
		s.logger.Warn("not a jianguan exporter state file, ignored: counters start at 0", "file", s.path, "format", truncate(sf.Format, 64))
		return nil
	case sf.Version != stateVersion:
		s.logger.Warn("state file of another format version, ignored: counters start at 0", "file", s.path, "version", sf.Version, "want", stateVersion)
		return nil
	case sf.Exporter != s.name:
		s.logger.Warn("state file of another exporter, ignored: counters start at 0", "file", s.path, "exporter", truncate(sf.Exporter, 64), "want", s.name)
		return nil
	}
	return &sf
}

func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

// restore installs the saved state into the families (before the first
// Apply).
func (s *stateStore) restore(sf *stateFile, p persisted) {
	if sf == nil {
		return
	}
	for _, cs := range p.sets {
		for _, sv := range sf.CounterSets {
			if sv.Family == cs.fam.Opts().Namespace {
				if n := cs.restore(sv, sf.Clean); n > 0 {
					s.logger.Warn("state file: invalid counter series ignored", "file", s.path, "family", sv.Family, "invalid", n)
				}
			}
		}
	}
	by := map[string]*avail.Family{}
	for _, f := range p.fams {
		by[f.Opts().Namespace] = f
	}
	now := s.now()
	if sf.SavedAt.After(now) {
		s.logger.Warn("state file saved in the future: the wall clock went back since; no negative time is counted",
			"file", s.path, "saved_at", sf.SavedAt, "now", now)
	}
	for _, sv := range sf.Families {
		f := by[sv.Namespace]
		if f == nil {
			s.logger.Warn("state file: family no longer exported, ignored", "file", s.path, "family", truncate(sv.Namespace, 64))
			continue
		}
		st, err := f.RestoreState(sv, sf.Clean)
		if err != nil {
			s.logger.Warn("state file: family ignored", "file", s.path, "err", err)
			continue
		}
		if st.Invalid > 0 {
			s.logger.Warn("state file: invalid trackers ignored", "file", s.path, "family", sv.Namespace, "invalid", st.Invalid)
		}
	}
}

// RestoreGrace is how long after the first configuration was applied a
// saved tracker may still be created from the state file (trackers that a
// service creates after its first polls); then the saved trackers not
// created are dropped (not configured any more).
const RestoreGrace = 10 * time.Minute

// applied logs what the first Apply restored and ends the counter sets'
// restore (their entities are all known by then).
func (s *stateStore) applied(sf *stateFile, p persisted) {
	for _, cs := range p.sets {
		if kept, dropped := cs.endRestore(); sf != nil && kept+dropped > 0 {
			s.logger.Info("counters restored", "family", cs.fam.Opts().Namespace, "series", kept, "dropped", dropped)
		}
	}
	if sf == nil {
		return
	}
	mode := "counters continue (clean stop)"
	if !sf.Clean {
		mode = "states only, counters start at 0 (the last save was not a clean stop)"
	}
	for _, f := range p.fams {
		st := f.RestoreProgress()
		if st.Restored+st.Dropped == 0 {
			continue
		}
		s.logger.Info("state restored", "family", f.Opts().Namespace, "restored", st.Restored,
			"not_created_yet", st.Dropped, "mode", mode, "saved_at", sf.SavedAt, "grace", RestoreGrace)
		if st.ClockBack > 0 {
			s.logger.Warn("wall clock went back since the save: no unknown time counted for the gap", "family", f.Opts().Namespace, "trackers", st.ClockBack)
		}
	}
}

// endRestore drops saved trackers the configuration did not create and
// logs them.
func (s *stateStore) endRestore(sf *stateFile, p persisted) {
	for _, f := range p.fams {
		st := f.EndRestore()
		if sf != nil && st.Dropped > 0 {
			s.logger.Info("saved trackers not configured, dropped", "family", f.Opts().Namespace, "dropped", st.Dropped, "restored", st.Restored)
		}
		if sf != nil && st.ClockBack > 0 {
			s.logger.Warn("wall clock went back since the save: no unknown time counted for the gap", "family", f.Opts().Namespace, "trackers", st.ClockBack)
		}
	}
}

// save writes the families atomically (temp file, fsync, rename, fsync of
// the directory).
func (s *stateStore) save(p persisted, clean bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sf := stateFile{Format: stateFormat, Version: stateVersion, Exporter: s.name, SavedAt: s.now().Round(0), Clean: clean}
	for _, f := range p.fams {
		sf.Families = append(sf.Families, f.SaveState())
	}
	for _, cs := range p.sets {
		sf.CounterSets = append(sf.CounterSets, cs.save())
	}
	b, err := json.Marshal(&sf)
	if err != nil {
		return err
	}
	if len(b) > MaxStateBytes {
		return fmt.Errorf("state of %d bytes exceeds the limit of %d bytes: not written", len(b), MaxStateBytes)
	}
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(s.path)+".tmp*")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// saveLoop saves every interval until stop is closed.
func (s *stateStore) saveLoop(fams persisted, every time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	if every <= 0 {
		<-stop
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if err := s.save(fams, false); err != nil {
				s.logger.Error("periodic state save failed", "file", s.path, "err", err)
			}
		}
	}
}
