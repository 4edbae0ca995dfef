// Package snapshot is the one store of frozen months, used by both the
// Grafana plugin and the report CLI. A freeze happens once: it holds an
// exclusive flock on FILE.lock while it checks, builds and writes, writes a
// uniquely named temporary file in the target's directory, fsyncs it, and
// links it to the target name — link(2) fails if the target exists, so even
// without the lock (a file system without flock) a frozen snapshot is never
// replaced. The lock is on the directory itself (no lock file is left
// behind), so freezes in one directory run one after another. A second freeze of a frozen period is refused with the existing
// snapshot's SHA-256 (*FrozenError).
package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/report"
)

// MaxSnapshotBytes bounds a snapshot file read back (256 MiB).
const MaxSnapshotBytes = 256 << 20

// Result is a written snapshot.
type Result struct {
	Path     string
	SHA256   string
	FrozenAt string
}

// FrozenError refuses to freeze a period again.
type FrozenError struct {
	Path     string
	SHA256   string // of the existing snapshot ("" if it cannot be read)
	FrozenAt string
}

func (e *FrozenError) Error() string {
	if e.SHA256 == "" {
		return fmt.Sprintf("已冻结 / already frozen: %s exists (unreadable); a frozen period is never overwritten", e.Path)
	}
	return fmt.Sprintf("已冻结 / already frozen: %s was frozen at %s with SHA-256 %s; a frozen period is never overwritten", filepath.Base(e.Path), e.FrozenAt, e.SHA256)
}

// Store keeps snapshots under Dir/{kind}/{period}.json, period being Name:
// a month keeps its YYYY-MM name (months frozen before issue 16 item 4
// still load), a quarter 2026-Q4, a year 2026, the service period service,
// a range 2026-11-03--2026-11-17.
type Store struct{ Dir string }

// Name is the file name (without .json) of period p's snapshot:
// p.String() with a range's ".." written "--" (no ".." in a path).
func Name(p calendar.Period) string { return strings.ReplaceAll(p.String(), "..", "--") }

// Path is the snapshot file of kind and month.
func (s Store) Path(kind, month string) string {
	return filepath.Join(s.Dir, kind, month+".json")
}

// Exists reports whether kind/month is frozen.
func (s Store) Exists(kind, month string) bool {
	_, err := os.Stat(s.Path(kind, month))
	return err == nil
}

// Load reads and verifies kind/month; fs.ErrNotExist when it is not frozen.
func (s Store) Load(kind, month string) (*report.Document, error) {
	return Load(s.Path(kind, month))
}

// FrozenDocument is kind's verified snapshot of period p, nil, nil when
// p is not frozen (report.FrozenSource: 环比 reads the previous period
// from it).
func (s Store) FrozenDocument(kind string, p calendar.Period) (*report.Document, error) {
	d, err := s.Load(kind, Name(p))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return d, err
}

// Freeze freezes kind/month (see FreezeFile).
func (s Store) Freeze(ctx context.Context, kind, month string, build func(context.Context) (*report.Document, error), now time.Time) (*Result, error) {
	return FreezeFile(ctx, s.Path(kind, month), build, now)
}

// Load reads a snapshot file (at most MaxSnapshotBytes) and verifies its
// SHA-256.
func Load(path string) (*report.Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > MaxSnapshotBytes {
		return nil, fmt.Errorf("snapshot %s is %d bytes, over the %d MiB limit", filepath.Base(path), st.Size(), MaxSnapshotBytes>>20)
	}
	b := make([]byte, st.Size())
	if _, err := f.ReadAt(b, 0); err != nil && st.Size() > 0 {
		return nil, err
	}
	return report.Thaw(b)
}

// FreezeFile builds the document (only when path is not frozen yet) and
// writes it as a snapshot to path, once. Concurrent freezes in the same
// directory (goroutines or processes) are serialised by a lock; every one of
// a path but the
// first gets a *FrozenError with the first one's SHA-256. build's error is
// returned as is (nothing is written).
func FreezeFile(ctx context.Context, path string, build func(context.Context) (*report.Document, error), now time.Time) (*Result, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create snapshot directory %s: %w", dir, err)
	}
	unlock, err := lock(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := os.Lstat(path); err == nil {
		return nil, frozen(path)
	}
	d, err := build(ctx)
	if err != nil {
		return nil, err
	}
	if d.Draft { // an unfinished period (截至 …) is never signed off
		return nil, &report.DraftError{Period: d.Month, AsOf: d.AsOf}
	}
	if u := report.UnfilledSections(d); len(u) > 0 {
		return nil, &UnfilledError{Sections: u}
	}
	b, err := report.Freeze(d, now)
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("cannot write snapshot in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("cannot write snapshot: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("cannot write snapshot (fsync): %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, frozen(path)
		}
		return nil, fmt.Errorf("cannot publish snapshot %s: %w", filepath.Base(path), err)
	}
	if df, err := os.Open(dir); err == nil { // the new name survives a crash
		df.Sync()
		df.Close()
	}
	fd, err := report.Thaw(b)
	if err != nil {
		return nil, err
	}
	return &Result{Path: path, SHA256: fd.Frozen.SHA256, FrozenAt: fd.Frozen.FrozenAt}, nil
}

func frozen(path string) error {
	e := &FrozenError{Path: path}
	if d, err := Load(path); err == nil {
		e.SHA256, e.FrozenAt = d.Frozen.SHA256, d.Frozen.FrozenAt
	}
	return e
}

// lock takes an exclusive flock on the directory name, polling until ctx
// ends; the kernel releases it when the process dies.
func lock(ctx context.Context, name string) (func(), error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("cannot open snapshot lock %s: %w", filepath.Base(name), err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			if errors.Is(err, syscall.ENOLCK) || errors.Is(err, syscall.ENOTSUP) { // no flock here: link(2) alone guards
				return func() { f.Close() }, nil
			}
			f.Close()
			return nil, fmt.Errorf("cannot lock %s: %w", filepath.Base(name), err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for another freeze of %s: %w", filepath.Base(name), ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
