package simhistory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// CachedBackfill backfills sp once per machine (keyed by a hash of the
// generated history) under os.TempDir() and copies the blocks to dst, so
// several test packages can share one promtool run. The version in the key
// ("v7": a scrape at a transition instant shows it in the counters too;
// "v6": line counters restart with their exporter, RTT histogram) changes
// whenever the generator's output does.
func CachedBackfill(ctx context.Context, promtool string, sp Spec, key string, dst string) error {
	h := sha256.New()
	fmt.Fprintf(h, "v8|%s|%s|%s|%v|%d|%d", key, sp.From, sp.To, sp.Step, len(sp.Entities), len(sp.Gauges))
	if sp.DenseStep > 0 {
		fmt.Fprintf(h, "|dense %v", sp.DenseStep)
	}
	for _, e := range sp.Entities {
		fmt.Fprintf(h, "|%s%v%v%v%v%v%v", e.NS, LabelString(e.Labels), e.Outages, e.Maintenance, e.Gaps, e.Unknown, e.Unscraped)
	}
	for _, g := range sp.Gauges {
		fmt.Fprintf(h, "|%s%s", g.Name, LabelString(g.Labels))
		if g.Dense {
			h.Write([]byte("|dense"))
		}
	}
	cache := filepath.Join(os.TempDir(), "jianguan-simhistory-"+hex.EncodeToString(h.Sum(nil))[:16])
	// One builder at a time across test processes (go test runs packages in parallel).
	if lf, err := os.OpenFile(cache+".lock", os.O_CREATE|os.O_RDWR, 0o644); err == nil {
		defer lf.Close()
		syscall.Flock(int(lf.Fd()), syscall.LOCK_EX)
		defer syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
	}
	if _, err := os.Stat(filepath.Join(cache, "COMPLETE")); err != nil {
		tmp, err := os.MkdirTemp(os.TempDir(), "jianguan-simhistory-build-")
		if err != nil {
			return err
		}
		if err := Backfill(ctx, promtool, sp, tmp); err != nil {
			os.RemoveAll(tmp)
			return err
		}
		os.WriteFile(filepath.Join(tmp, "COMPLETE"), []byte("ok\n"), 0o644)
		if err := os.Rename(tmp, cache); err != nil {
			// Another process won the race, or a stale dir exists.
			if _, err2 := os.Stat(filepath.Join(cache, "COMPLETE")); err2 != nil {
				os.RemoveAll(cache)
				if err := os.Rename(tmp, cache); err != nil {
					return err
				}
			} else {
				os.RemoveAll(tmp)
			}
		}
	}
	return copyTree(cache, dst)
}

func copyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "COMPLETE" {
			return nil
		}
		t := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(t, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(t)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}
