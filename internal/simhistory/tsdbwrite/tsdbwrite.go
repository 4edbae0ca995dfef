// Package tsdbwrite writes a simhistory history straight into Prometheus TSDB
// blocks with the Prometheus tsdb library, for histories too large for
// OpenMetrics + promtool (make bench-report: 1 000 entities at the production
// scrape interval of 15 s, 35 days, ~2.8 × 10⁹ samples, would be ~28 GB of
// OpenMetrics text; a year is ten times that). The samples are
// simhistory.Spec.EachSeries's — exactly what simhistory.WriteOpenMetrics
// writes — so both paths hold the same history.
//
// Two writers, one format:
//   - direct (the default) encodes each series' XOR chunks (≤ 120 samples,
//     as the head cuts them) as it comes from the simulation, spills them to
//     a file in the block's directory, and then writes the block's chunk
//     segments (tsdb/chunks.Writer) and index (tsdb/index.Writer) in the
//     label order the index requires, as the tsdb compactor does: memory is
//     one entity's samples over the block plus the index's symbols and series
//     list, not the block's samples, so a block may span 486 h (the largest
//     block Prometheus' compactor makes: no compaction needed afterwards).
//   - head (Options.Head) is tsdb.NewBlockWriter: every sample of a block
//     goes through a TSDB head appender (~10 × the CPU, memory one block's
//     samples). Kept to compare against (TestDirectMatchesHead,
//     BenchmarkWrite).
//
// The blocks (index format v2, XOR float chunks) are read by Prometheus 2.42
// (Debian's) as by 3.x: TestBlocksMatchTruth opens them with Debian's
// prometheus and holds the report engine's figures to the simulation's
// truth.
package tsdbwrite

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/tsdb/index"
	"github.com/prometheus/prometheus/tsdb/tombstones"

	"github.com/jianguan/jianguan/internal/simhistory"
)

// Options bound a Write.
type Options struct {
	// Block is the time span of one block, aligned to multiples of Block
	// since Go's zero time (time.Time.Truncate): for 2 h and 6 h the Unix
	// epoch's grid, Prometheus' own alignment; not for 486 h, which is
	// 402 h off it (CompactBlocks merges on this grid). Default 2 h
	// (Prometheus' head block); Prometheus compacts blocks of a range it
	// makes itself (2 h × 3ⁿ, up to 486 h) into larger ones after it opens
	// them, as it does a server's history. Memory per block being written:
	// direct, one entity's samples over Block (11 series × Block/Step ×
	// 16 bytes: 20 MiB at 486 h × 15 s) plus ~200 bytes per series of the
	// history; head, the block's samples (about series × Block/Step ×
	// ~2 bytes plus ~1 KiB per series: ~1.7 GiB at 18 h × 15 s for 1 000
	// entities). Disk: direct also spills the block's encoded chunks once
	// (~1.4 bytes per sample) next to the block, removed when it is done.
	Block time.Duration
	// Head selects the old writer, tsdb.NewBlockWriter's head appender
	// (for comparison; see the package comment).
	Head bool
	// Parallel is how many blocks are written at once (default 1).
	Parallel int
	// CountFrom, CountTo: Stats.Counted is the samples written with
	// CountFrom < t ≤ CountTo (a report period's samples).
	CountFrom, CountTo time.Time
	// Logger receives the tsdb library's messages (default: discarded).
	Logger *slog.Logger
}

// Stats is what a Write wrote.
type Stats struct {
	Blocks  int
	Series  int // series of the history (with at least one sample)
	Samples int64
	Counted int64 // samples in (Options.CountFrom, Options.CountTo]
}

// Write writes sp into blocks in dir (created if missing; it must not hold
// blocks overlapping sp's range).
func Write(ctx context.Context, sp simhistory.Spec, dir string, o Options) (Stats, error) {
	if o.Block <= 0 {
		o.Block = 2 * time.Hour
	}
	if o.Block%time.Millisecond != 0 || o.Block < sp.Step {
		return Stats{}, fmt.Errorf("tsdbwrite: block %v must be whole milliseconds and at least the step %v", o.Block, sp.Step)
	}
	if o.Parallel < 1 {
		o.Parallel = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Stats{}, err
	}
	var windows []time.Time
	for t := sp.From.Truncate(o.Block); !t.After(sp.To); t = t.Add(o.Block) {
		windows = append(windows, t)
	}
	var (
		mu       sync.Mutex
		st       Stats
		firstErr error
		wg       sync.WaitGroup
		series   = map[string]bool{}
	)
	sem := make(chan struct{}, o.Parallel)
	for _, lo := range windows {
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(lo time.Time) {
			defer wg.Done()
			defer func() { <-sem }()
			write := writeDirect
			if o.Head {
				write = writeBlock
			}
			n, counted, names, err := write(ctx, sp, dir, lo, lo.Add(o.Block), o)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			if n > 0 {
				st.Blocks++
				st.Samples += n
				st.Counted += counted
			}
			for _, k := range names {
				series[k] = true
			}
		}(lo)
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	st.Series = len(series)
	return st, firstErr
}

// writeBlock (the head writer) writes the samples at lo <= t < hi as one block; it returns the
// samples written, those in (o.CountFrom, o.CountTo], and the keys of the
// series that had any.
func writeBlock(ctx context.Context, sp simhistory.Spec, dir string, lo, hi time.Time, o Options) (int64, int64, []string, error) {
	// The head accepts samples no older than half its chunk range before its
	// newest one, and the series are written one after the other, each over
	// the whole window: a chunk range of twice the window admits them all.
	w, err := tsdb.NewBlockWriter(o.Logger, dir, 2*o.Block.Milliseconds())
	if err != nil {
		return 0, 0, nil, err
	}
	defer w.Close()
	var n, counted int64
	cf, ct := o.CountFrom.UnixMilli(), o.CountTo.UnixMilli()
	var keys []string
	b := labels.NewBuilder(labels.EmptyLabels())
	err = sp.EachSeries(lo, hi, func(s *simhistory.Samples) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ls := seriesLabels(b, s)
		// One commit per series keeps the appender's pending batch to
		// one window of one series.
		app := w.Appender(ctx)
		var ref storage.SeriesRef
		for i, t := range s.T {
			if t > cf && t <= ct {
				counted++
			}
			var err error
			if ref, err = app.Append(ref, ls, t, s.V[i]); err != nil {
				_ = app.Rollback()
				return fmt.Errorf("tsdbwrite: %s at %d: %w", ls, t, err)
			}
		}
		n += int64(len(s.T))
		keys = append(keys, ls.String())
		return app.Commit()
	})
	if err != nil {
		return 0, 0, nil, err
	}
	if n == 0 {
		return 0, 0, nil, nil
	}
	if _, err := w.Flush(ctx); err != nil && !errors.Is(err, tsdb.ErrNoSeriesAppended) {
		return 0, 0, nil, fmt.Errorf("tsdbwrite: block at %s: %w", lo.UTC().Format(time.RFC3339), err)
	}
	return n, counted, keys, nil
}

// seriesLabels is s's labels as Prometheus stores them (an empty label is
// absent), built with b.
func seriesLabels(b *labels.Builder, s *simhistory.Samples) labels.Labels {
	b.Reset(labels.EmptyLabels())
	for k, v := range s.Labels {
		if v != "" {
			b.Set(k, v)
		}
	}
	b.Set(model.MetricNameLabel, s.Name)
	return b.Labels()
}

// samplesPerChunk is where a chunk is cut, as the TSDB head cuts its XOR
// chunks.
const samplesPerChunk = 120

// spilled is one series of a block being written by writeDirect: its labels
// and where its encoded chunks are in the spill file.
type spilled struct {
	ls        labels.Labels
	off, size int64
}

// spillHeader is one chunk's header in the spill file: min and max time,
// sample count, byte length.
const spillHeader = 8 + 8 + 4 + 4

// writeDirect writes the samples at lo <= t < hi as one block, without a
// TSDB head (see the package comment); it returns what writeBlock returns.
func writeDirect(ctx context.Context, sp simhistory.Spec, dir string, lo, hi time.Time, o Options) (n, counted int64, keys []string, err error) {
	id, err := ulid.New(ulid.Now(), rand.Reader)
	if err != nil {
		return 0, 0, nil, err
	}
	// Prometheus ignores (and removes on start) a directory with this
	// suffix, so a block appears only once it is complete.
	tmp := filepath.Join(dir, id.String()+".tmp-for-creation")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return 0, 0, nil, err
	}
	defer func() {
		if err != nil || n == 0 {
			_ = os.RemoveAll(tmp)
		}
	}()
	spill, err := os.Create(filepath.Join(tmp, "spill"))
	if err != nil {
		return 0, 0, nil, err
	}
	defer spill.Close()
	bw := bufio.NewWriterSize(spill, 1<<20)
	var (
		series  []spilled
		off     int64
		hdr     [spillHeader]byte
		mint    int64 = 1<<63 - 1
		maxt    int64 = -1 << 63
		nChunks uint64
		symbols = map[string]struct{}{}
	)
	cf, ct := o.CountFrom.UnixMilli(), o.CountTo.UnixMilli()
	b := labels.NewBuilder(labels.EmptyLabels())
	err = sp.EachSeries(lo, hi, func(s *simhistory.Samples) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ls := seriesLabels(b, s)
		ls.Range(func(l labels.Label) {
			symbols[l.Name] = struct{}{}
			symbols[l.Value] = struct{}{}
		})
		start := off
		for i := 0; i < len(s.T); i += samplesPerChunk {
			j := min(i+samplesPerChunk, len(s.T))
			c := chunkenc.NewXORChunk()
			app, err := c.Appender()
			if err != nil {
				return err
			}
			for k := i; k < j; k++ {
				if k > 0 && s.T[k] <= s.T[k-1] {
					return fmt.Errorf("tsdbwrite: %s: sample at %d not after %d", ls, s.T[k], s.T[k-1])
				}
				if s.T[k] > cf && s.T[k] <= ct {
					counted++
				}
				app.Append(0, s.T[k], s.V[k])
			}
			data := c.Bytes()
			binary.LittleEndian.PutUint64(hdr[0:], uint64(s.T[i]))
			binary.LittleEndian.PutUint64(hdr[8:], uint64(s.T[j-1]))
			binary.LittleEndian.PutUint32(hdr[16:], uint32(j-i))
			binary.LittleEndian.PutUint32(hdr[20:], uint32(len(data)))
			if _, err := bw.Write(hdr[:]); err != nil {
				return err
			}
			if _, err := bw.Write(data); err != nil {
				return err
			}
			off += spillHeader + int64(len(data))
			nChunks++
		}
		mint, maxt = min(mint, s.T[0]), max(maxt, s.T[len(s.T)-1])
		n += int64(len(s.T))
		series = append(series, spilled{ls: ls, off: start, size: off - start})
		keys = append(keys, ls.String())
		return nil
	})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil || n == 0 {
		return 0, 0, nil, err
	}
	slices.SortFunc(series, func(a, b spilled) int { return labels.Compare(a.ls, b.ls) })
	for i := 1; i < len(series); i++ {
		if labels.Equal(series[i-1].ls, series[i].ls) {
			return 0, 0, nil, fmt.Errorf("tsdbwrite: series %s twice in the block at %s", series[i].ls, lo.UTC().Format(time.RFC3339))
		}
	}
	if err := writeChunksAndIndex(ctx, tmp, spill, series, symbols); err != nil {
		return 0, 0, nil, fmt.Errorf("tsdbwrite: block at %s: %w", lo.UTC().Format(time.RFC3339), err)
	}
	if err := spill.Close(); err != nil {
		return 0, 0, nil, err
	}
	if err := os.Remove(spill.Name()); err != nil {
		return 0, 0, nil, err
	}
	if _, err := tombstones.WriteFile(o.Logger, tmp, tombstones.NewMemTombstones()); err != nil {
		return 0, 0, nil, err
	}
	// As the head writer's block: [first sample, last sample + 1 ms), level
	// 1, its own source.
	meta := tsdb.BlockMeta{
		ULID: id, MinTime: mint, MaxTime: maxt + 1, Version: 1,
		Stats:      tsdb.BlockStats{NumSamples: uint64(n), NumFloatSamples: uint64(n), NumSeries: uint64(len(series)), NumChunks: nChunks},
		Compaction: tsdb.BlockMetaCompaction{Level: 1, Sources: []ulid.ULID{id}},
	}
	if err := writeFileSync(filepath.Join(tmp, "meta.json"), &meta); err != nil {
		return 0, 0, nil, err
	}
	if err := os.Rename(tmp, filepath.Join(dir, id.String())); err != nil {
		return 0, 0, nil, err
	}
	return n, counted, keys, nil
}

// writeChunksAndIndex writes the chunks of series (sorted by labels) from
// spill into the block directory tmp's chunk segments, in that order — the
// index requires chunk references that grow with the series order — and the
// index of symbols and series.
func writeChunksAndIndex(ctx context.Context, tmp string, spill io.ReaderAt, series []spilled, symbols map[string]struct{}) error {
	cw, err := chunks.NewWriter(filepath.Join(tmp, "chunks"))
	if err != nil {
		return err
	}
	iw, err := index.NewWriter(ctx, filepath.Join(tmp, "index"))
	if err != nil {
		_ = cw.Close()
		return err
	}
	if err := fillBlock(ctx, cw, iw, spill, series, symbols); err != nil {
		_ = cw.Close()
		_ = iw.Close()
		return err
	}
	if err := cw.Close(); err != nil {
		_ = iw.Close()
		return err
	}
	return iw.Close()
}

// fillBlock is writeChunksAndIndex's work: the symbols, then each series'
// chunks and index entry.
func fillBlock(ctx context.Context, cw *chunks.Writer, iw *index.Writer, spill io.ReaderAt, series []spilled, symbols map[string]struct{}) error {
	syms := make([]string, 0, len(symbols))
	for s := range symbols {
		syms = append(syms, s)
	}
	slices.Sort(syms)
	for _, s := range syms {
		if err := iw.AddSymbol(s); err != nil {
			return err
		}
	}
	var (
		buf   []byte
		metas []chunks.Meta
	)
	for i, s := range series {
		if err := ctx.Err(); err != nil {
			return err
		}
		buf = slices.Grow(buf[:0], int(s.size))[:s.size]
		if _, err := spill.ReadAt(buf, s.off); err != nil {
			return err
		}
		metas = metas[:0]
		for p := 0; p < len(buf); {
			l := int(binary.LittleEndian.Uint32(buf[p+20:]))
			c, err := chunkenc.FromData(chunkenc.EncXOR, buf[p+spillHeader:p+spillHeader+l])
			if err != nil {
				return err
			}
			metas = append(metas, chunks.Meta{
				Chunk:   c,
				MinTime: int64(binary.LittleEndian.Uint64(buf[p:])),
				MaxTime: int64(binary.LittleEndian.Uint64(buf[p+8:])),
			})
			p += spillHeader + l
		}
		if err := cw.WriteChunks(metas...); err != nil { // sets each Ref
			return err
		}
		for j := range metas {
			metas[j].Chunk = nil
		}
		if err := iw.AddSeries(storage.SeriesRef(i), s.ls, metas...); err != nil {
			return err
		}
	}
	return nil
}

// writeFileSync writes v as JSON to f, synced (as tsdb writes meta.json).
func writeFileSync(f string, v any) error {
	b, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return err
	}
	w, err := os.Create(f)
	if err != nil {
		return err
	}
	if _, err = w.Write(b); err == nil {
		err = w.Sync()
	}
	return errors.Join(err, w.Close())
}
