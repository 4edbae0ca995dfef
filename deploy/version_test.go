// Package deploy holds deployment files; this test checks what `make build`
// stamps into the binaries it deploys.
package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jianguan/jianguan/internal/testutil"
)

// TestMakeBuildStampsVersion (issue 24, item 3): `make build` stamps the
// VERSION file and the git revision into every binary through
// prometheus/common/version, which the landing pages, *_build_info and
// --version print.
func TestMakeBuildStampsVersion(t *testing.T) {
	testutil.Need(t, "make")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	ldflags, err := exec.Command("make", "-s", "-C", root, "print-ldflags").Output()
	if err != nil {
		t.Fatalf("make print-ldflags: %v", err)
	}
	want, err := os.ReadFile(filepath.Join(root, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	version := strings.TrimSpace(string(want))
	if !strings.Contains(string(ldflags), "version.Version="+version) {
		t.Fatalf("ldflags %q do not stamp version %s", ldflags, version)
	}
	bin := filepath.Join(t.TempDir(), "deadman")
	b := exec.Command("go", "build", "-ldflags", strings.TrimSpace(string(ldflags)), "-o", bin, "./alertmanager/deadman")
	b.Dir = root
	if out, err := b.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, _ := exec.Command(bin, "--version").CombinedOutput()
	rev, _ := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	for _, w := range []string{"version " + version, "revision: " + strings.TrimSpace(string(rev)), "build user:       jianguan"} {
		if len(strings.TrimSpace(string(rev))) == 0 && strings.HasPrefix(w, "revision") {
			continue // not a git checkout
		}
		if !strings.Contains(string(out), w) {
			t.Errorf("--version lacks %q:\n%s", w, out)
		}
	}
}
