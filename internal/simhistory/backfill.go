package simhistory

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// Backfill writes the history into a Prometheus TSDB directory with
// `promtool tsdb create-blocks-from openmetrics`. promtool 2.42 re-parses
// its whole input once per 2 h block, so the input is cut into one file per
// day (12 blocks each: near-linear instead of quadratic, and few process
// starts) and the files are converted in parallel.
func Backfill(ctx context.Context, promtool string, sp Spec, dataDir string) error {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "simhistory-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// Day-sized files for small histories (fewer process starts), 2 h
	// files (one block each, one parse) for large ones.
	block := 24 * time.Hour
	series := len(sp.Entities)*10 + len(sp.Gauges)
	if series*int(block/sp.Step) > 300000 {
		block = 2 * time.Hour
	}
	var windows []time.Time
	for t := sp.From.Truncate(block); !t.After(sp.To); t = t.Add(block) {
		windows = append(windows, t)
	}
	par := runtime.NumCPU()
	if par > 4 {
		par = 4
	}
	sem := make(chan struct{}, par)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for i, lo := range windows {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, lo time.Time) {
			defer wg.Done()
			defer func() { <-sem }()
			fail := func(err error) {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
			f := filepath.Join(tmp, fmt.Sprintf("c%05d.om", i))
			var buf bytes.Buffer
			if err := WriteOpenMetricsRange(&buf, sp, lo, lo.Add(block)); err != nil {
				fail(err)
				return
			}
			if err := os.WriteFile(f, buf.Bytes(), 0o644); err != nil {
				fail(err)
				return
			}
			cmd := exec.CommandContext(ctx, promtool, "tsdb", "create-blocks-from", "openmetrics", "-q", f, dataDir)
			if out, err := cmd.CombinedOutput(); err != nil {
				fail(fmt.Errorf("promtool: %v: %s", err, out))
			}
			os.Remove(f)
		}(i, lo)
	}
	wg.Wait()
	return firstErr
}
