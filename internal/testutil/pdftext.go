package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// PDFPages writes pdf to dir/name (dir: a directory the caller keeps, e.g.
// $JIANGUAN_REPORT_PDF_DIR, or t.TempDir()), reads it back with pdftotext
// -layout and returns the text of each page.
func PDFPages(t testing.TB, dir, name string, pdf []byte) []string {
	t.Helper()
	pdftotext := Need(t, "pdftotext")
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", p, err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
}

// CheckPageFrame checks the document frame on every page of a zh-CN PDF:
// 「第 N 页 共 M 页」 (pdftotext keeps the footer's narrow spaces on some
// pages only, so white space is ignored) and each word of the running
// header (title, confidentiality marking).
func CheckPageFrame(t testing.TB, pages []string, header ...string) {
	t.Helper()
	n := len(pages)
	for i, p := range pages {
		want := "第" + strconv.Itoa(i+1) + "页共" + strconv.Itoa(n) + "页"
		if !strings.Contains(strings.Join(strings.Fields(p), ""), want) {
			t.Errorf("page %d lacks %q", i+1, want)
		}
		for _, h := range header {
			if !strings.Contains(p, h) {
				t.Errorf("page %d lacks the running header's %q", i+1, h)
			}
		}
	}
}
