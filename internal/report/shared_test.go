package report

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSharedReads: the runs that meet at an edge make its read once, take
// the same answer and each list it under its own purpose; the entry is
// dropped after sharedUsers runs took it (a third asks again); an error
// reaches every waiting user; a run that is not a sub-run just reads.
func TestSharedReads(t *testing.T) {
	ctx := context.Background()
	newRun := func(reads *sharedReads) *run { return &run{ctx: ctx, reads: reads} }
	var sent atomic.Int32
	release := make(chan struct{})
	// As the engine's reads: the read lists itself under its caller's
	// purpose, and may list another query under a purpose of its own.
	read := func(purpose string) func(*run) (int, error) {
		return func(r *run) (int, error) {
			sent.Add(1)
			<-release
			r.audit = append(r.audit, AuditQuery{Purpose: purpose, PromQL: "x @ 1"}, AuditQuery{Purpose: "fallback", PromQL: "y"})
			return 42, nil
		}
	}
	for _, tc := range []struct {
		name                      string
		reads                     *sharedReads
		users, wantSent, wantKept int
	}{
		{"two periods meet", newSharedReads(), 2, 1, 0},
		{"a third asks again", newSharedReads(), 3, 2, 1},
		{"not a sub-run", nil, 2, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sent.Store(0)
			release = make(chan struct{})
			runs := make([]*run, tc.users)
			var wg sync.WaitGroup
			for i := range runs {
				runs[i] = newRun(tc.reads)
				purpose := "at the month end"
				if i > 0 {
					purpose = "at the month start"
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					v, err := shared(runs[i], "k", purpose, read(purpose))
					if err != nil || v != 42 {
						t.Errorf("user %d: %v, %v", i, v, err)
					}
				}()
				if i == 0 {
					time.Sleep(20 * time.Millisecond) // the first asks first
				}
			}
			close(release)
			wg.Wait()
			if int(sent.Load()) != tc.wantSent {
				t.Errorf("reads sent %d, want %d", sent.Load(), tc.wantSent)
			}
			for i, r := range runs {
				want := "at the month end"
				if i > 0 {
					want = "at the month start"
				}
				if len(r.audit) != 2 || r.audit[0].Purpose != want || r.audit[0].PromQL != "x @ 1" || r.audit[1].Purpose != "fallback" {
					t.Errorf("user %d lists %+v, want its own purpose %q on the read", i, r.audit, want)
				}
			}
			if tc.reads != nil && len(tc.reads.m) != tc.wantKept {
				t.Errorf("entries kept: %d, want %d", len(tc.reads.m), tc.wantKept)
			}
		})
	}
	t.Run("an error reaches the waiting user", func(t *testing.T) {
		s := newSharedReads()
		gate := make(chan struct{})
		boom := errors.New("boom")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = shared(newRun(s), "k", "p", func(*run) (int, error) { <-gate; return 0, boom })
			}()
			if i == 0 {
				time.Sleep(20 * time.Millisecond)
			}
		}
		close(gate)
		wg.Wait()
		for i, err := range errs {
			if !errors.Is(err, boom) {
				t.Errorf("user %d: %v", i, err)
			}
		}
	})
}
