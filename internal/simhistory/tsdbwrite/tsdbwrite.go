// Package tsdbwrite writes a simhistory history straight into Prometheus TSDB
// blocks with the Prometheus tsdb library (tsdb.NewBlockWriter), for
// histories too large for OpenMetrics + promtool (make bench-report: 1 000
// entities at the production scrape interval of 15 s, 35 days, ~2 × 10⁹
// samples, would be ~28 GB of OpenMetrics text). The samples are
// simhistory.Spec.EachSeries's — exactly what simhistory.WriteOpenMetrics
// writes — so both paths hold the same history.
//
// The blocks (index format v2, XOR float chunks of ≤ 120 samples) are read
// by Prometheus 2.42 (Debian's) as by 3.x: TestBlocksMatchTruth opens them
// with Debian's prometheus and holds the report engine's figures to the
// simulation's truth.
package tsdbwrite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"

	"github.com/jianguan/jianguan/internal/simhistory"
)

// Options bound a Write.
type Options struct {
	// Block is the time span of one block, aligned to multiples of Block
	// since the Unix epoch (Prometheus' own alignment). Memory: one block's
	// samples are held in a TSDB head while it is written — about
	// series × Block/Step × ~2 bytes plus ~1 KiB per series —, times
	// Parallel. Default 2 h (Prometheus' head block); Prometheus compacts
	// the blocks into larger ones after it opens them, as it does a
	// server's history.
	Block time.Duration
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
			n, counted, names, err := writeBlock(ctx, sp, dir, lo, lo.Add(o.Block), o)
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

// writeBlock writes the samples at lo <= t < hi as one block; it returns the
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
		b.Reset(labels.EmptyLabels())
		for k, v := range s.Labels {
			if v != "" { // as Prometheus stores an empty label: absent
				b.Set(k, v)
			}
		}
		b.Set(model.MetricNameLabel, s.Name)
		ls := b.Labels()
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
