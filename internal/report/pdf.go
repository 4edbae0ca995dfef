package report

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
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

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
