package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jianguan/jianguan/internal/testutil"
)

// TestDemoLinesScriptNft is issue 17's defect 14: demo/lines.sh's cut and
// loss commands used an nft one-liner that Debian 12's nftables 1.0.6
// rejects. The script runs for real (its own namespace prefix): up, loss on
// and off, a blackhole cut, down — and the rules it installs are listed.
func TestDemoLinesScriptNft(t *testing.T) {
	testutil.NeedRoot(t)
	testutil.Need(t, "nft")
	testutil.Need(t, "ip")
	prefix := fmt.Sprintf("jgt%d", os.Getpid()%100000)
	run := func(args ...string) string {
		t.Helper()
		c := exec.Command("bash", append([]string{"demo/lines.sh"}, args...)...)
		c.Env = append(os.Environ(), "JGDEMO="+prefix)
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("lines.sh %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	nft := func() string {
		out, err := exec.Command("ip", "netns", "exec", prefix+"-far2", "nft", "list", "ruleset").CombinedOutput()
		if err != nil {
			t.Fatalf("nft list ruleset: %v\n%s", err, out)
		}
		return string(out)
	}
	run("up")
	t.Cleanup(func() { run("down") })

	run("loss", "2", "30")
	if rs := nft(); !strings.Contains(rs, "table inet jgdemoloss") || !strings.Contains(rs, "numgen random mod 100 < 30 drop") {
		t.Fatalf("loss 2 30 installed no loss rule:\n%s", rs)
	}
	run("loss", "2", "0")
	if rs := nft(); strings.Contains(rs, "jgdemoloss") {
		t.Fatalf("loss 2 0 left the loss table:\n%s", rs)
	}
	// The far end answers pings before and after a 1 s blackhole; the rule
	// is gone afterwards.
	ping := func() error {
		return exec.Command("ip", "netns", "exec", prefix+"-core", "ping", "-c1", "-W1", "10.79.2.2").Run()
	}
	if err := ping(); err != nil {
		t.Fatalf("far end 2 does not answer before the cut: %v", err)
	}
	if out := run("cut", "2", "1", "blackhole"); !strings.Contains(out, "line 2 was cut (blackhole) for 1 s") {
		t.Fatalf("cut: %s", out)
	}
	if rs := nft(); strings.Contains(rs, "table inet jgdemo ") {
		t.Fatalf("blackhole table left behind:\n%s", rs)
	}
	if err := ping(); err != nil {
		t.Fatalf("far end 2 does not answer after the cut: %v", err)
	}
}
