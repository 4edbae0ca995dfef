package tsdbwrite

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/prometheus/prometheus/tsdb"
)

// CompactBlocks merges the blocks (ULID directories holding a meta.json) of
// dir that lie within the same window into one block per window, with the
// Prometheus tsdb library's compactor (a vertical compaction where they
// overlap, as Prometheus' own would be), and removes the merged blocks. The
// windows are multiples of span since Go's zero time (time.Time.Truncate):
// the grid of the generated blocks (Options.Block), which for a span of a
// whole number of 2 h also holds promtool's 2 h blocks whole. A block that
// crosses a window's end is left as it is. It returns the number of blocks
// before and after.
//
// Why: promtool writes a back-fill's recorded series in 2 h blocks, one per
// rule and 2 h: 13 287 for jianguan.line's 3 rules over a year. Prometheus
// keeps at least two files open per block, so a year of them is over this
// machine's 20 000 open files (2.42 then refuses to open its storage: 「too
// many open files」), and its compactor would merge them into the generated
// blocks one overlapping group at a time. Merged here first, each generated
// block meets one block of recorded series; a data directory left with too
// many blocks (a load cut short) is repaired the same way, with Prometheus
// stopped, before it starts.
func CompactBlocks(ctx context.Context, dir string, span time.Duration) (before, after int, err error) {
	if span <= 0 || span%time.Millisecond != 0 {
		return 0, 0, fmt.Errorf("compacting %s: window %v is not a positive number of milliseconds", dir, span)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0, err
	}
	windows := map[int64][]string{}
	var keys []int64
	for _, e := range ents {
		// A block is a directory named by its ULID, as Prometheus reads
		// them (wal, chunks_head and a compaction cut short,
		// <ULID>.tmp-for-creation, are not).
		if _, err := ulid.ParseStrict(e.Name()); err != nil || !e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "meta.json"))
		if err != nil {
			continue // not a block yet
		}
		var m struct{ MinTime, MaxTime int64 } // maxTime exclusive
		if err := json.Unmarshal(b, &m); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", filepath.Join(dir, e.Name(), "meta.json"), err)
		}
		before++
		lo := time.UnixMilli(m.MinTime).Truncate(span)
		k := lo.UnixMilli()
		if m.MaxTime > lo.Add(span).UnixMilli() || m.MaxTime <= m.MinTime {
			after++ // across a window's end: left alone
			continue
		}
		if windows[k] == nil {
			keys = append(keys, k)
		}
		windows[k] = append(windows[k], filepath.Join(dir, e.Name()))
	}
	slices.Sort(keys)
	c, err := tsdb.NewLeveledCompactor(ctx, nil, nil, []int64{span.Milliseconds()}, nil, nil)
	if err != nil {
		return before, 0, err
	}
	for _, k := range keys {
		dirs := windows[k]
		if len(dirs) == 1 {
			after++
			continue
		}
		ids, err := c.Compact(dir, dirs, nil)
		if err != nil {
			return before, 0, fmt.Errorf("compacting the %d blocks of %s in %s: %w", len(dirs), time.UnixMilli(k).UTC().Format(time.RFC3339), dir, err)
		}
		// The new block lists them as its parents: a Prometheus that
		// opens the directory before they are gone deletes them itself.
		for _, d := range dirs {
			if err := os.RemoveAll(d); err != nil {
				return before, 0, err
			}
		}
		after += len(ids) // none when the window held no sample
	}
	return before, after, nil
}
