package tsdbwrite_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/simhistory/tsdbwrite"
)

// readBack is every series of the blocks in dir, as the tsdb library reads
// them: labels → samples (t, v) in time order, and the blocks' metas.
func readBack(t *testing.T, dir string) (map[string][][2]float64, []tsdb.BlockMeta) {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var bs []*tsdb.Block
	for _, e := range es {
		b, err := tsdb.OpenBlock(nil, filepath.Join(dir, e.Name()), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		bs = append(bs, b)
	}
	slices.SortFunc(bs, func(a, b *tsdb.Block) int { return int(a.MinTime() - b.MinTime()) })
	var metas []tsdb.BlockMeta
	out := map[string][][2]float64{}
	var it chunkenc.Iterator
	for _, b := range bs {
		m := b.Meta()
		m.ULID, m.Compaction.Sources = [16]byte{}, nil // differ by construction
		metas = append(metas, m)
		q, err := tsdb.NewBlockQuerier(b, math.MinInt64, math.MaxInt64)
		if err != nil {
			t.Fatal(err)
		}
		ss := q.Select(context.Background(), false, nil, labels.MustNewMatcher(labels.MatchRegexp, "__name__", ".+"))
		for ss.Next() {
			s := ss.At()
			it = s.Iterator(it)
			k := s.Labels().String()
			for it.Next() == chunkenc.ValFloat {
				ts, x := it.At()
				out[k] = append(out[k], [2]float64{float64(ts), x})
			}
			if err := it.Err(); err != nil {
				t.Fatal(err)
			}
		}
		if err := ss.Err(); err != nil {
			t.Fatal(err)
		}
		q.Close()
	}
	return out, metas
}

// TestDirectMatchesHead: the direct writer's blocks read back, through the
// tsdb library, sample for sample (timestamps and float bits) equal to those
// of the old path, tsdb.NewBlockWriter's head appender, on the bench's
// history (simhistory.DemoScenario: lines, hosts, websites, the rooms'
// conditions and gauges, with gaps and counter resets) over a day and a
// half at 15 s, for block spans that cut the history in different places;
// the blocks' ranges and statistics agree too.
func TestDirectMatchesHead(t *testing.T) {
	p0 := calendar.Date(2026, 11, 1)
	from, to := p0.Add(-7*time.Hour).UTC(), p0.Add(29*time.Hour).UTC()
	sp := simhistory.DemoScenario(from, to, 15*time.Second, 3, 3, 2)
	for _, block := range []time.Duration{2 * time.Hour, 6 * time.Hour, 54 * time.Hour} {
		t.Run(block.String(), func(t *testing.T) {
			o := tsdbwrite.Options{Block: block, Parallel: 2, CountFrom: p0, CountTo: p0.Add(24 * time.Hour)}
			dHead, dDirect := filepath.Join(t.TempDir(), "head"), filepath.Join(t.TempDir(), "direct")
			oh := o
			oh.Head = true
			sh, err := tsdbwrite.Write(context.Background(), sp, dHead, oh)
			if err != nil {
				t.Fatal(err)
			}
			sd, err := tsdbwrite.Write(context.Background(), sp, dDirect, o)
			if err != nil {
				t.Fatal(err)
			}
			if sh != sd || sd.Samples == 0 || sd.Counted == 0 {
				t.Fatalf("stats: head %+v, direct %+v", sh, sd)
			}
			h, mh := readBack(t, dHead)
			d, md := readBack(t, dDirect)
			if len(d) != sd.Series || len(h) != len(d) {
				t.Fatalf("%d series read back from the direct blocks, %d from the head's, %d written", len(d), len(h), sd.Series)
			}
			var n int
			for k, hv := range h {
				dv, ok := d[k]
				if !ok {
					t.Errorf("%s: not in the direct blocks", k)
					continue
				}
				if len(dv) != len(hv) {
					t.Errorf("%s: %d samples, head %d", k, len(dv), len(hv))
					continue
				}
				for i := range hv {
					if dv[i][0] != hv[i][0] || math.Float64bits(dv[i][1]) != math.Float64bits(hv[i][1]) {
						t.Errorf("%s sample %d: %v, head %v", k, i, dv[i], hv[i])
						break
					}
				}
				n += len(dv)
			}
			if int64(n) != sd.Samples {
				t.Errorf("%d samples read back, %d written", n, sd.Samples)
			}
			if len(md) != len(mh) || len(md) != sd.Blocks {
				t.Fatalf("%d direct blocks, %d head blocks, %d written", len(md), len(mh), sd.Blocks)
			}
			for i := range md {
				a, b := md[i], mh[i]
				if a.MinTime != b.MinTime || a.MaxTime != b.MaxTime || a.Stats.NumSamples != b.Stats.NumSamples ||
					a.Stats.NumSeries != b.Stats.NumSeries || a.Compaction.Level != b.Compaction.Level || a.Version != b.Version {
					t.Errorf("block %d: direct %+v, head %+v", i, a, b)
				}
			}
			t.Logf("%d blocks of %v, %d series, %d samples equal", sd.Blocks, block, sd.Series, n)
		})
	}
}

// TestDirectLeavesNoSpill: a written history directory holds only complete
// blocks (ULID directories with meta.json, index, chunks/, tombstones) — no
// spill file or .tmp-for-creation directory is left behind.
func TestDirectLeavesNoSpill(t *testing.T) {
	p0 := calendar.Date(2026, 11, 1)
	sp := simhistory.DemoScenario(p0.UTC(), p0.Add(5*time.Hour).UTC(), 15*time.Second, 1, 1, 1)
	dir := t.TempDir()
	st, err := tsdbwrite.Write(context.Background(), sp, dir, tsdbwrite.Options{Block: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != st.Blocks {
		t.Fatalf("%d entries in %s for %d blocks", len(es), dir, st.Blocks)
	}
	for _, e := range es {
		fs, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range fs {
			names = append(names, f.Name())
		}
		if got := strings.Join(names, " "); got != "chunks index meta.json tombstones" {
			t.Errorf("block %s holds %q", e.Name(), got)
		}
	}
}

// cpuSeconds is this process's user + system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// peakMiB is this process's VmHWM; resetPeak sets it to the current RSS.
func peakMiB() float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return math.NaN()
}

func resetPeak() {
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// BenchmarkWrite writes the same history (BENCH_ENTITIES entities, default
// 100, × BENCH_HOURS hours, default 36, at 15 s, blocks of BENCH_BLOCK,
// default 18h — the bench's old block) with both writers, one after the
// other in each iteration, and reports each one's samples per CPU-second
// (user + system, simulation included) and peak RSS (VmHWM, reset before
// each), and the ratio direct / head:
//
//	go test -run '^$' -bench Write -benchtime 1x ./internal/simhistory/tsdbwrite/
func BenchmarkWrite(b *testing.B) {
	ents, hours, block := envInt("BENCH_ENTITIES", 100), envInt("BENCH_HOURS", 36), 18*time.Hour
	if v := os.Getenv("BENCH_BLOCK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatal(err)
		}
		block = d
	}
	p0 := calendar.Date(2026, 11, 1).UTC()
	sp := simhistory.DemoScenario(p0, p0.Add(time.Duration(hours)*time.Hour), 15*time.Second, ents*40/100, ents*45/100, ents-ents*40/100-ents*45/100)
	for i := 0; i < b.N; i++ {
		rate := map[bool]float64{}
		for _, head := range []bool{true, false} {
			resetPeak()
			c0, w0 := cpuSeconds(), time.Now()
			st, err := tsdbwrite.Write(context.Background(), sp, b.TempDir(), tsdbwrite.Options{Block: block, Head: head})
			if err != nil {
				b.Fatal(err)
			}
			cpu := cpuSeconds() - c0
			rate[head] = float64(st.Samples) / cpu
			name := map[bool]string{true: "head", false: "direct"}[head]
			b.ReportMetric(rate[head], name+"-samples/cpu-s")
			b.ReportMetric(peakMiB(), name+"-peak-MiB")
			fmt.Printf("%-6s %d series, %d samples in %d blocks of %v: %.1f CPU-s (%.1f s wall), %.2f M samples/CPU-s, peak RSS %.0f MiB\n",
				name, st.Series, st.Samples, st.Blocks, block, cpu, time.Since(w0).Seconds(), rate[head]/1e6, peakMiB())
		}
		b.ReportMetric(rate[false]/rate[true], "direct/head")
		fmt.Printf("ratio direct / head: %.1f × the samples per CPU-second\n", rate[false]/rate[true])
	}
}

func envInt(k string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(k)); err == nil && n > 0 {
		return n
	}
	return def
}
