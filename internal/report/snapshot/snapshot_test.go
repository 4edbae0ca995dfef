package snapshot

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/report"
)

func doc(month string) *report.Document {
	return &report.Document{Kind: "lines", Month: month, Title: "t", Entities: []report.EntityResult{{Name: "ct-bgp-1"}}}
}

// TestHostile_ConcurrentFreezeOnce: N concurrent freezes of one period →
// exactly one succeeds and builds; every other one is refused with the
// winner's SHA-256; the file on disk has that hash; no temporary file is
// left.
func TestHostile_ConcurrentFreezeOnce(t *testing.T) {
	for _, n := range []int{2, 8, 32} {
		st := Store{Dir: t.TempDir()}
		var builds atomic.Int32
		var wg sync.WaitGroup
		results := make([]*Result, n)
		errs := make([]error, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				results[i], errs[i] = st.Freeze(context.Background(), "lines", "2026-10", func(context.Context) (*report.Document, error) {
					builds.Add(1)
					time.Sleep(20 * time.Millisecond) // a real build takes seconds
					d := doc("2026-10")
					d.GeneratedAt = time.Now().Format(time.RFC3339Nano) // every build differs
					return d, nil
				}, time.Now().Add(time.Duration(i)*time.Second))
			}(i)
		}
		close(start)
		wg.Wait()
		var winner *Result
		for i := range results {
			if errs[i] == nil {
				if winner != nil {
					t.Fatalf("n=%d: two freezes succeeded (%s, %s)", n, winner.SHA256, results[i].SHA256)
				}
				winner = results[i]
			}
		}
		if winner == nil {
			t.Fatalf("n=%d: no freeze succeeded: %v", n, errs)
		}
		if b := builds.Load(); b != 1 {
			t.Errorf("n=%d: %d builds, want 1 (the others must be refused before building)", n, b)
		}
		for i, err := range errs {
			if err == nil {
				continue
			}
			var fe *FrozenError
			if !errors.As(err, &fe) || fe.SHA256 != winner.SHA256 || !strings.Contains(err.Error(), winner.SHA256) {
				t.Errorf("n=%d freeze %d: %v (want refusal with %s)", n, i, err, winner.SHA256)
			}
		}
		d, err := st.Load("lines", "2026-10")
		if err != nil || d.Frozen.SHA256 != winner.SHA256 {
			t.Errorf("n=%d: on disk %v %v, want %s", n, d, err, winner.SHA256)
		}
		ents, _ := os.ReadDir(filepath.Join(st.Dir, "lines"))
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".tmp") {
				t.Errorf("n=%d: temporary file left: %s", n, e.Name())
			}
		}
	}
}

// TestHostile_FreezeRefusedAndErrors: a build error writes nothing; an
// existing target (even one written behind the store's back) is never
// replaced; a damaged snapshot is refused with a clear error.
func TestHostile_FreezeRefusedAndErrors(t *testing.T) {
	st := Store{Dir: t.TempDir()}
	ctx := context.Background()
	_, err := st.Freeze(ctx, "hosts", "2026-10", func(context.Context) (*report.Document, error) {
		return nil, report.NoDataError("2026-10", "")
	}, time.Now())
	if err == nil || !strings.Contains(err.Error(), "本期无监测数据") || st.Exists("hosts", "2026-10") {
		t.Fatalf("no-data build: %v, exists %v", err, st.Exists("hosts", "2026-10"))
	}
	if _, err := st.Load("hosts", "2026-10"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("load of an unfrozen month: %v", err)
	}
	r, err := st.Freeze(ctx, "hosts", "2026-10", func(context.Context) (*report.Document, error) { return doc("2026-10"), nil }, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p := st.Path("hosts", "2026-10")
	before, _ := os.ReadFile(p)
	_, err = FreezeFile(ctx, p, func(context.Context) (*report.Document, error) {
		t.Error("build called for a frozen month")
		return doc("2026-10"), nil
	}, time.Now())
	var fe *FrozenError
	if !errors.As(err, &fe) || fe.SHA256 != r.SHA256 {
		t.Errorf("second freeze: %v", err)
	}
	after, _ := os.ReadFile(p)
	if string(before) != string(after) {
		t.Error("snapshot changed by a refused freeze")
	}
	// Damaged: refused on load.
	os.WriteFile(p, []byte(strings.Replace(string(before), "ct-bgp-1", "ct-bgp-9", 1)), 0o644)
	if _, err := st.Load("hosts", "2026-10"); err == nil || !strings.Contains(err.Error(), "SHA-256 mismatch") {
		t.Errorf("damaged snapshot: %v", err)
	}
}
