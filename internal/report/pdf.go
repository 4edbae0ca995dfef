package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ChromiumCandidates are tried in order when no path is configured. Grafana
// starts plugins without PATH, so absolute paths are needed.
var ChromiumCandidates = []string{"/usr/bin/chromium", "/usr/bin/chromium-headless-shell", "/usr/bin/chromium-browser",
	"/usr/lib/chromium/chromium", "/usr/bin/google-chrome"}

// FindChromium returns the configured path or the first installed candidate.
func FindChromium(configured string) (string, error) {
	if configured != "" {
		if _, err := os.Stat(configured); err != nil {
			return "", fmt.Errorf("chromium not found at %s", configured)
		}
		return configured, nil
	}
	for _, c := range ChromiumCandidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c, nil
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("chromium not found (tried %s)", strings.Join(ChromiumCandidates, ", "))
}

// RenderPDF prints the HTML report with headless Chromium (A4, the
// report's print CSS). It uses a private temporary profile and HOME, so it
// works under Grafana's empty environment.
func RenderPDF(ctx context.Context, d *Document, chromium string) ([]byte, error) {
	var html bytes.Buffer
	if err := RenderHTML(&html, d); err != nil {
		return nil, err
	}
	return HTMLToPDF(ctx, html.Bytes(), chromium)
}

// HTMLToPDF prints an HTML document to PDF.
func HTMLToPDF(ctx context.Context, html []byte, chromium string) ([]byte, error) {
	bin, err := FindChromium(chromium)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "jianguan-pdf-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	in := filepath.Join(tmp, "report.html")
	out := filepath.Join(tmp, "report.pdf")
	if err := os.WriteFile(in, html, 0o600); err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 120*time.Second)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost", "--dns-prefetch-disable",
		"--user-data-dir="+filepath.Join(tmp, "profile"), "--no-pdf-header-footer",
		"--print-to-pdf-no-header", "--print-to-pdf="+out, "file://"+in)
	cmd.Env = []string{"HOME=" + tmp, "TMPDIR=" + tmp, "PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
	cmd.Dir = tmp
	outb, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			return nil, Errorf(ErrTimeout, "PDF rendering timed out")
		}
		return nil, fmt.Errorf("chromium failed: %v: %s", err, lastLines(string(outb), 5))
	}
	b, err := os.ReadFile(out)
	if err != nil || len(b) < 5 || string(b[:5]) != "%PDF-" {
		return nil, fmt.Errorf("chromium produced no PDF: %s", lastLines(string(outb), 5))
	}
	return b, nil
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
