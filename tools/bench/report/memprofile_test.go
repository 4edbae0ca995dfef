package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func TestLabelFile(t *testing.T) {
	cases := []struct{ file, label, want string }{
		{"/tmp/heap.pprof", "month providers", "/tmp/heap-month-providers.pprof"},
		{"/tmp/heap", "service lines raw", "/tmp/heap-service-lines-raw"},
		{"h.pb.gz", "annual rating 2025", "h.pb-annual-rating-2025.gz"},
		{"out/p.pprof", "a/b", "out/p-a-b.pprof"},
	}
	for _, c := range cases {
		if got := labelFile(c.file, c.label); got != c.want {
			t.Errorf("labelFile(%q, %q) = %q, want %q", c.file, c.label, got, c.want)
		}
	}
}

// TestPeakProfiler: the profile kept is the one after the collection with
// the largest live heap, a gzipped pprof profile.
func TestPeakProfiler(t *testing.T) {
	p := startPeakProfiler()
	var keep [][]byte
	for i := range 3 {
		keep = append(keep, make([]byte, (i+1)<<20)) // the live heap grows by 1, 2, 3 MiB
		runtime.GC()
		time.Sleep(50 * time.Millisecond) // the profiler polls every 5 ms
	}
	f := filepath.Join(t.TempDir(), "heap.pprof")
	if err := p.write(f); err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(keep)
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		t.Errorf("profile of %d bytes is not gzipped pprof", len(b))
	}
	if p.peak < 6<<20 {
		t.Errorf("peak live heap %d bytes, want at least the 6 MiB kept", p.peak)
	}
}
