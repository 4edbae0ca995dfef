package snapshot

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/jianguan/jianguan/internal/report"
)

// The editable sections of a period (report.Narrative) are kept beside its
// snapshot, Dir/{kind}/{period}.narrative.json (period as Name: 2026-10,
// 2026-Q4, 2026, service, 2026-11-03--2026-11-17; every report kind), until the period is
// frozen: the freeze copies them into the document, so the snapshot (and
// its SHA-256) includes them, and after it they cannot change.

// maxNarrativeBytes bounds a narrative file read back: three sections of
// report.MaxNarrativeRunes runes of at most 4 bytes, plus JSON.
const maxNarrativeBytes = 3*4*report.MaxNarrativeRunes + 4096

// NarrativePath is the file of the editable sections of kind and period (its Name).
func (s Store) NarrativePath(kind, month string) string {
	return filepath.Join(s.Dir, kind, month+".narrative.json")
}

// LoadNarrative reads kind/month's editable sections (empty when none were
// written yet).
func (s Store) LoadNarrative(kind, month string) (report.Narrative, error) {
	return LoadNarrativeFile(s.NarrativePath(kind, month))
}

// NarrativeFileFor is the narrative file beside a snapshot file
// (X.json → X.narrative.json).
func NarrativeFileFor(snapshotPath string) string {
	return strings.TrimSuffix(snapshotPath, ".json") + ".narrative.json"
}

// LoadNarrativeFile reads editable sections from p (empty when p does not
// exist): strict JSON, at most maxNarrativeBytes, each section bounded.
func LoadNarrativeFile(p string) (report.Narrative, error) {
	var n report.Narrative
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return n, nil
	}
	if err != nil {
		return n, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxNarrativeBytes+1))
	if err != nil {
		return n, err
	}
	if len(b) > maxNarrativeBytes {
		return n, fmt.Errorf("%s: larger than %d bytes", p, maxNarrativeBytes)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&n); err != nil {
		return n, fmt.Errorf("%s: %v", p, err)
	}
	if err := n.Check(); err != nil {
		return n, fmt.Errorf("%s: %v", p, err)
	}
	return n, nil
}

// SaveNarrative writes kind/month's editable sections atomically (temporary
// file and rename); a frozen period is refused with its SHA-256.
func (s Store) SaveNarrative(kind, month string, n report.Narrative) error {
	if err := n.Check(); err != nil {
		return err
	}
	if s.Exists(kind, month) {
		return frozen(s.Path(kind, month))
	}
	b, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return err
	}
	p := s.NarrativePath(kind, month)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// UnfilledError refuses to sign off (freeze) a document whose required
// editable sections are still 「（未填写）」.
type UnfilledError struct{ Sections []string }

func (e *UnfilledError) Error() string {
	return "cannot sign off: required sections not filled in (未填写): " + strings.Join(e.Sections, "、")
}
