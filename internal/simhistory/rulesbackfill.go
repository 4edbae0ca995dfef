package simhistory

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"golang.org/x/sync/errgroup"
	"gopkg.in/yaml.v3"
)

// Recording rules back-filled over a history (issue 24: the report engine
// reads recorded series where they cover a period, and the bench and the
// tests need them over a back-filled history, as a server that ran the rules
// all along has them).
//
// `promtool tsdb create-blocks-from rules` (2.42) evaluates each group as a
// range query against a Prometheus holding the raw history, at the group's
// interval, starting at the group's evaluation offset: Prometheus spreads the
// groups over their interval by a hash of the group's name and file
// (rules.Group.EvalTimestamp), so the recorded points of a back-fill — like
// those of a live server — sit up to one interval off the minute.
// BackfillRules gives each group a file of its own whose name makes that
// offset zero, so the back-filled points are on the minute (and on every 5 m
// grid point), where the raw-sample path evaluates the same expression.

// BackfillRules runs `promtool tsdb create-blocks-from rules` for the groups
// of ruleFiles against the Prometheus at promURL (holding the raw history)
// over [start, end] (both included: promtool is asked for one interval
// more, its end being exclusive) and writes the blocks into outDir (2 h blocks, as
// promtool 2.42 writes them). Every group is evaluated at its own interval
// (or 1 m), on multiples of it since 1970 (see above). Load the blocks with
// LoadBlocks. Groups may be narrowed first with SelectRules.
func BackfillRules(ctx context.Context, promtool, promURL string, ruleFiles []string, start, end time.Time, outDir string) error {
	return backfillRules(ctx, promtool, promURL, ruleFiles, start, end, outDir, BackfillWindow)
}

// backfillRules is BackfillRules with promtool windows of span window (a
// multiple of every group interval and of promtool's 2 h blocks).
func backfillRules(ctx context.Context, promtool, promURL string, ruleFiles []string, start, end time.Time, outDir string, window time.Duration) error {
	if window <= 0 {
		return fmt.Errorf("back-fill window %v is not positive", window)
	}
	tmp, err := os.MkdirTemp("", "jianguan-rules-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var files []string
	last := time.Minute // the longest interval: promtool's end is exclusive
	for _, rf := range ruleFiles {
		groups, err := readGroups(rf)
		if err != nil {
			return err
		}
		for _, g := range groups {
			iv := time.Minute
			if g.Interval != "" {
				md, err := model.ParseDuration(g.Interval) // Prometheus' durations (1d)
				d := time.Duration(md)
				if err != nil {
					return fmt.Errorf("%s:%d: group %s: interval %q: %w", rf, g.line, g.Name, g.Interval, err)
				}
				if d <= 0 {
					return fmt.Errorf("%s:%d: group %s: interval %q is not positive", rf, g.line, g.Name, g.Interval)
				}
				iv = d
			}
			last = max(last, iv)
			// A directory per group: two groups of one name (in two
			// files, or at two intervals) would get one file name.
			gd := filepath.Join(tmp, strconv.Itoa(len(files)))
			if err := os.Mkdir(gd, 0o755); err != nil {
				return err
			}
			f, err := alignedName(gd, g.Name, iv)
			if err != nil {
				return err
			}
			b, err := yaml.Marshal(map[string]any{"groups": []*yaml.Node{g.node}})
			if err != nil {
				return err
			}
			if err := os.WriteFile(f, b, 0o644); err != nil {
				return err
			}
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return fmt.Errorf("no rule groups in %s", strings.Join(ruleFiles, ", "))
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	// One promtool run per window (BackfillWindow): promtool 2.42 holds what it
	// records over its whole range in memory (24 GiB, killed by the OOM
	// killer, for a year of jianguan.line at 40 lines; ~4 GiB for 64 days
	// at 400). The windows follow each other at multiples of the window
	// from start, so every evaluation stays on its group's grid; promtool's
	// end is exclusive, each window's end the next one's start. A promtool
	// run asks its queries one at a time, and Prometheus evaluates a query
	// on one core: the windows run up to one per core at once (each writes
	// its own blocks, distinct ULIDs, into outDir).
	stop := end.Add(last)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.NumCPU())
	for w := start; w.Before(stop); w = w.Add(window) {
		we := w.Add(window)
		if we.After(stop) {
			we = stop
		}
		args := append([]string{"tsdb", "create-blocks-from", "rules", "-q",
			"--url=" + promURL, "--output-dir=" + outDir, "--eval-interval=1m",
			"--start=" + strconv.FormatInt(w.Unix(), 10), "--end=" + strconv.FormatInt(we.Unix(), 10)}, files...)
		g.Go(func() error {
			out, err := exec.CommandContext(gctx, promtool, args...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("promtool tsdb create-blocks-from rules (%s – %s): %w: %s", w.UTC().Format(time.RFC3339), we.UTC().Format(time.RFC3339), err, out)
			}
			return nil
		})
	}
	return g.Wait()
}

// BackfillWindow is the span of one promtool run of BackfillRules (a
// multiple of every group interval and of promtool's 2 h blocks).
const BackfillWindow = 30 * 24 * time.Hour

// SelectRules writes into dst the rule file holding, of the rule file src,
// the groups named in groups (all if empty) with only their recording rules
// named in records (all of the group's recording rules if empty; alerting
// rules are dropped: promtool does not evaluate them). Groups left without a
// rule are left out. It returns the number of rules written.
func SelectRules(src string, groups, records []string, dst string) (int, error) {
	gs, err := readGroups(src)
	if err != nil {
		return 0, err
	}
	in := func(l []string, s string) bool {
		for _, x := range l {
			if x == s {
				return true
			}
		}
		return len(l) == 0
	}
	var keep []*yaml.Node
	n := 0
	for _, g := range gs {
		if !in(groups, g.Name) {
			continue
		}
		var rules *yaml.Node
		for i := 0; i+1 < len(g.node.Content); i += 2 {
			if g.node.Content[i].Value == "rules" {
				rules = g.node.Content[i+1]
			}
		}
		if rules == nil {
			continue
		}
		var kept []*yaml.Node
		for _, r := range rules.Content {
			var rr struct{ Record string }
			if err := r.Decode(&rr); err != nil {
				return 0, fmt.Errorf("%s:%d: %w", src, r.Line, err)
			}
			if rr.Record != "" && in(records, rr.Record) {
				kept = append(kept, r)
			}
		}
		if len(kept) == 0 {
			continue
		}
		rules.Content = kept
		n += len(kept)
		keep = append(keep, g.node)
	}
	if n == 0 {
		return 0, fmt.Errorf("%s: none of the groups %v has the recording rules %v", src, groups, records)
	}
	b, err := yaml.Marshal(map[string]any{"groups": keep})
	if err != nil {
		return 0, err
	}
	return n, os.WriteFile(dst, b, 0o644)
}

// SetInterval sets the interval of every group of the rule file f (as
// SelectRules writes it) to interval: for a back-fill of records whose
// expression keeps only the points on a coarser grid than their group's
// interval (line:line_interface_bits:rate5m_step5m: minute() % 5 == 0),
// which BackfillRules then evaluates on that grid alone, the same points
// for a fraction of the evaluations.
func SetInterval(f string, interval time.Duration) error {
	if interval <= 0 {
		return fmt.Errorf("%s: interval %v is not positive", f, interval)
	}
	gs, err := readGroups(f)
	if err != nil {
		return err
	}
	var out []*yaml.Node
	for _, g := range gs {
		set := false
		for i := 0; i+1 < len(g.node.Content); i += 2 {
			if g.node.Content[i].Value == "interval" {
				g.node.Content[i+1].Value, set = model.Duration(interval).String(), true
			}
		}
		if !set {
			g.node.Content = append(g.node.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Value: "interval"},
				&yaml.Node{Kind: yaml.ScalarNode, Value: model.Duration(interval).String()})
		}
		out = append(out, g.node)
	}
	b, err := yaml.Marshal(map[string]any{"groups": out})
	if err != nil {
		return err
	}
	return os.WriteFile(f, b, 0o644)
}

type ruleGroup struct {
	Name     string
	Interval string
	line     int
	node     *yaml.Node
}

func readGroups(f string) ([]ruleGroup, error) {
	b, err := os.ReadFile(f)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Groups []yaml.Node `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", f, err)
	}
	var gs []ruleGroup
	for i := range doc.Groups {
		n := &doc.Groups[i]
		var g struct {
			Name     string `yaml:"name"`
			Interval string `yaml:"interval"`
		}
		if err := n.Decode(&g); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", f, n.Line, err)
		}
		gs = append(gs, ruleGroup{Name: g.Name, Interval: g.Interval, line: n.Line, node: n})
	}
	return gs, nil
}

// alignedName returns a file name in dir for the group name whose
// evaluation offset (Prometheus 2.42: the xxhash of the labels
// {file, name}, modulo the interval in ns) is less than 0.4 ms: the API
// rounds query times to the millisecond, so promtool's evaluations fall on
// multiples of the interval. (Not just under a multiple: promtool moves a
// block's first evaluation to the first whole second at or after the block
// start, which would skip the point at each 2 h block boundary.)
func alignedName(dir, name string, interval time.Duration) (string, error) {
	const tol = 400 * uint64(time.Microsecond)
	// GroupOffset's bytes, built in place: a 1 h interval needs ~9 × 10⁶
	// names on average (tol / interval = 1.1 × 10⁻⁷).
	prefix := filepath.Join(dir, name) + "."
	b := make([]byte, 0, 2*len(prefix)+64)
	for i := int64(0); i < 2_000_000_000; i++ {
		b = append(append(b[:0], "file\xff"...), prefix...)
		b = strconv.AppendInt(b, i, 10)
		b = append(append(append(b, ".yml\xffname\xff"...), name...), 0xff)
		if xxh64(b)%uint64(interval) < tol {
			f := prefix + strconv.FormatInt(i, 10) + ".yml"
			if uint64(GroupOffset(name, f, interval)) >= tol {
				return "", fmt.Errorf("group offset of %s in %s: the in-place hash disagrees", name, f)
			}
			return f, nil
		}
	}
	return "", fmt.Errorf("no file name in %s aligns group %s to %v", dir, name, interval)
}

// GroupOffset is the evaluation offset Prometheus 2.42 gives the rule group
// name loaded from file with the interval (rules.Group.EvalTimestamp: the
// hash of the labels {file=file, name=name}): its evaluations, live and
// back-filled, are at multiples of interval plus this offset.
func GroupOffset(name, file string, interval time.Duration) time.Duration {
	// labels.Labels.Hash of Prometheus 2.42 (slice labels, sorted:
	// file < name): xxhash64 of name 0xff value 0xff for each label.
	b := make([]byte, 0, len(file)+len(name)+14)
	b = append(append(append(append(b, "file\xff"...), file...), "\xffname\xff"...), name...)
	b = append(b, 0xff)
	return time.Duration(xxh64(b) % uint64(interval))
}

// MoveBlocks moves the blocks (ULID directories holding a meta.json) of
// blocksDir into dataDir, a Prometheus data directory, and returns how many
// it moved. A stopped Prometheus opens them when it starts again; a running
// one at its next reload (LoadBlocks waits for that).
func MoveBlocks(blocksDir, dataDir string) (int, error) {
	ents, err := os.ReadDir(blocksDir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(blocksDir, e.Name(), "meta.json")); err != nil {
			continue
		}
		if err := os.Rename(filepath.Join(blocksDir, e.Name()), filepath.Join(dataDir, e.Name())); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// LoadBlocks moves the blocks (ULID directories) of blocksDir into dataDir,
// the --storage.tsdb.path of the running Prometheus at promURL, and waits
// until it has reloaded its blocks twice since (2.42 reloads the data
// directory every minute; blocks overlapping those it has are allowed and
// merged by its compactor later). It returns the number of blocks moved.
func LoadBlocks(ctx context.Context, promURL, blocksDir, dataDir string) (int, error) {
	reloads := func() (float64, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(promURL, "/")+"/metrics", nil)
		if err != nil {
			return 0, err
		}
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		defer r.Body.Close()
		sc := bufio.NewScanner(io.LimitReader(r.Body, 64<<20))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "prometheus_tsdb_reloads_total "); ok {
				return strconv.ParseFloat(strings.TrimSpace(v), 64)
			}
		}
		return 0, fmt.Errorf("%s/metrics: no prometheus_tsdb_reloads_total", promURL)
	}
	r0, err := reloads()
	if err != nil {
		return 0, err
	}
	n, err := MoveBlocks(blocksDir, dataDir)
	if err != nil {
		return n, err
	}
	for {
		r, err := reloads()
		if err != nil {
			return n, err
		}
		if r >= r0+2 {
			return n, nil
		}
		select {
		case <-ctx.Done():
			return n, fmt.Errorf("waiting for Prometheus to load %d blocks: %w", n, ctx.Err())
		case <-time.After(2 * time.Second):
		}
	}
}

// xxh64 is XXH64 with seed 0 (github.com/cespare/xxhash/v2.Sum64, which
// Prometheus' label hash uses).
func xxh64(b []byte) uint64 {
	const (
		p1 uint64 = 11400714785074694791
		p2 uint64 = 14029467366897019727
		p3 uint64 = 1609587929392839161
		p4 uint64 = 9650029242287828579
		p5 uint64 = 2870177450012600261
	)
	round := func(acc, in uint64) uint64 { return bits.RotateLeft64(acc+in*p2, 31) * p1 }
	merge := func(acc, v uint64) uint64 { return (acc^round(0, v))*p1 + p4 }
	n := len(b)
	var h uint64
	if n >= 32 {
		q1, q2 := p1, p2 // variables: the sums wrap, as in XXH64
		v1, v2, v3, v4 := q1+q2, q2, uint64(0), -q1
		for ; len(b) >= 32; b = b[32:] {
			v1 = round(v1, binary.LittleEndian.Uint64(b[0:8]))
			v2 = round(v2, binary.LittleEndian.Uint64(b[8:16]))
			v3 = round(v3, binary.LittleEndian.Uint64(b[16:24]))
			v4 = round(v4, binary.LittleEndian.Uint64(b[24:32]))
		}
		h = bits.RotateLeft64(v1, 1) + bits.RotateLeft64(v2, 7) + bits.RotateLeft64(v3, 12) + bits.RotateLeft64(v4, 18)
		h = merge(merge(merge(merge(h, v1), v2), v3), v4)
	} else {
		h = p5
	}
	h += uint64(n)
	for ; len(b) >= 8; b = b[8:] {
		h ^= round(0, binary.LittleEndian.Uint64(b[:8]))
		h = bits.RotateLeft64(h, 27)*p1 + p4
	}
	if len(b) >= 4 {
		h ^= uint64(binary.LittleEndian.Uint32(b[:4])) * p1
		h = bits.RotateLeft64(h, 23)*p2 + p3
		b = b[4:]
	}
	for ; len(b) > 0; b = b[1:] {
		h ^= uint64(b[0]) * p5
		h = bits.RotateLeft64(h, 11) * p1
	}
	h ^= h >> 33
	h *= p2
	h ^= h >> 29
	h *= p3
	h ^= h >> 32
	return h
}
