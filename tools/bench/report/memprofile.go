package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"sync"
	"time"
)

// peakProfiler keeps the heap profile taken right after the garbage
// collection that found the largest live heap (--memprofile): the profile's
// in-use figures are those of the last completed collection, so the one
// written after the collection with the largest live heap shows what held
// the memory at the peak. It polls runtime/metrics every 5 ms (a collection
// at 1 000 entities is tens of ms apart at the least).
type peakProfiler struct {
	mu      sync.Mutex
	best    []byte
	peak    uint64 // live heap of the collection best was taken after
	stop    chan struct{}
	stopped chan struct{}
}

func startPeakProfiler() *peakProfiler {
	p := &peakProfiler{stop: make(chan struct{}), stopped: make(chan struct{})}
	go p.loop()
	return p
}

func (p *peakProfiler) loop() {
	defer close(p.stopped)
	ms := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/gc/heap/live:bytes"}}
	var lastCycle uint64
	tk := time.NewTicker(5 * time.Millisecond)
	defer tk.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tk.C:
		}
		metrics.Read(ms)
		cyc, live := ms[0].Value.Uint64(), ms[1].Value.Uint64()
		if cyc == lastCycle {
			continue
		}
		lastCycle = cyc
		p.mu.Lock()
		if live > p.peak {
			var b bytes.Buffer
			if err := pprof.Lookup("heap").WriteTo(&b, 0); err == nil {
				p.best, p.peak = b.Bytes(), live
			}
		}
		p.mu.Unlock()
	}
}

// write stops the profiler and writes the profile at the peak to file.
func (p *peakProfiler) write(file string) error {
	close(p.stop)
	<-p.stopped
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.best == nil {
		return errors.New("--memprofile: no garbage collection seen")
	}
	fmt.Printf("heap profile at the largest live heap after a collection (%.0f MiB) written to %s (go tool pprof -sample_index=inuse_space %s)\n", float64(p.peak)/(1<<20), file, file)
	return os.WriteFile(file, p.best, 0o644)
}

// labelFile is file with label appended to its base name, before the
// extension: /tmp/heap.pprof, "month providers" → /tmp/heap-month-providers.pprof.
func labelFile(file, label string) string {
	ext := filepath.Ext(file)
	l := strings.Map(func(r rune) rune {
		if r == ' ' || r == '/' || r == os.PathSeparator {
			return '-'
		}
		return r
	}, label)
	return strings.TrimSuffix(file, ext) + "-" + l + ext
}

// startCPUProfile writes this process's CPU profile to file until the
// returned stop is called (--cpuprofile).
func startCPUProfile(file string) (stop func(), err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Println(err)
		}
	}, nil
}
