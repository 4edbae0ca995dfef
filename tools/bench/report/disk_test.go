package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDiskFor: a history that fits is let through (also under a directory
// not made yet: the free space of its nearest parent counts); one that
// cannot fit is refused before anything is written, saying how much it
// needs and what to change.
func TestDiskFor(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not", "made", "yet")
	for _, c := range []struct {
		entities int
		span     time.Duration
		refused  bool
	}{
		{1, 24 * time.Hour, false},
		{10, 64 * 24 * time.Hour, false}, // 112 MB
		{1 << 30, 369 * 24 * time.Hour, true},
	} {
		err := diskFor(dir, c.entities, c.span)
		if (err != nil) != c.refused {
			t.Errorf("%d entities over %v: %v, refused %v", c.entities, c.span, err, c.refused)
		}
		if err != nil && (!strings.Contains(err.Error(), "GB free") || !strings.Contains(err.Error(), "--entities")) {
			t.Errorf("the refusal does not say what is free and what to change: %v", err)
		}
	}
}
