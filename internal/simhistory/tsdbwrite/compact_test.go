package tsdbwrite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/simhistory/tsdbwrite"
)

// TestCompactBlocksLeavesAlone: what is not a block (wal, chunks_head, a
// compaction's tmp directory), a block across a
// window's end and a window's only block are left as they are (merging
// them would cost a compaction and change nothing); a meta.json that does
// not parse is an error naming it.
func TestCompactBlocksLeavesAlone(t *testing.T) {
	day := time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC)
	block := func(dir, name string, from, to time.Time) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		meta := fmt.Sprintf(`{"ulid":%q,"minTime":%d,"maxTime":%d,"version":1}`, name, from.UnixMilli(), to.UnixMilli())
		if err := os.WriteFile(filepath.Join(dir, name, "meta.json"), []byte(meta), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	for _, d := range []string{"wal", "chunks_head"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	across, alone := "01KBQ0ACR055000000000000AA", "01KBQ0A10NE0000000000000AA"
	block(dir, across, day.Add(22*time.Hour), day.Add(26*time.Hour))
	block(dir, alone, day.Add(24*time.Hour), day.Add(26*time.Hour))
	// A compaction cut short, beside the one block of its window: not a
	// block (Prometheus does not read it either).
	block(dir, alone+".tmp-for-creation", day.Add(24*time.Hour), day.Add(26*time.Hour))
	before, after, err := tsdbwrite.CompactBlocks(context.Background(), dir, 24*time.Hour)
	if err != nil || before != 2 || after != 2 {
		t.Fatalf("CompactBlocks: %d → %d, %v; want 2 → 2", before, after, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 5 {
		t.Errorf("%d entries left, want the 5 there were", len(ents))
	}
	if err := os.WriteFile(filepath.Join(dir, alone, "meta.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tsdbwrite.CompactBlocks(context.Background(), dir, 24*time.Hour); err == nil || !strings.Contains(err.Error(), filepath.Join(alone, "meta.json")) {
		t.Errorf("a meta.json that does not parse: %v, want an error naming it", err)
	}
	if _, _, err := tsdbwrite.CompactBlocks(context.Background(), dir, 0); err == nil {
		t.Error("a window of 0: no error")
	}
}
