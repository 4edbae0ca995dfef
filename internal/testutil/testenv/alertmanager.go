package testenv

import (
	"fmt"
	"testing"

	"github.com/jianguan/jianguan/internal/testutil"
)

// StartAlertmanager runs Alertmanager (Debian's prometheus-alertmanager;
// find it with testutil.Need) on 127.0.0.1 with configFile and returns its
// base URL once /-/ready answers (at most 60 s, then the test fails with its
// log); it is stopped (SIGTERM) when the test ends.
//
// It runs as deployed: TZ=Asia/Shanghai (deploy/systemd's drop-in; the
// templates' times depend on it), with its own storage directory, the base
// URL as --web.external-url (what a webhook's externalURL names), and no
// cluster unless extraArgs set --cluster.listen-address. extraArgs are
// appended and a flag given there (--name=value) replaces the default of
// that name (--log.level=info, --storage.path).
func StartAlertmanager(t testing.TB, alertmanager, configFile string, extraArgs ...string) string {
	t.Helper()
	return StartAlertmanagerProc(t, alertmanager, configFile, extraArgs...).URL
}

// StartAlertmanagerProc is StartAlertmanager for a test that also kills the
// process (a crashed node: Proc.Kill) or reads its log.
func StartAlertmanagerProc(t testing.TB, alertmanager, configFile string, extraArgs ...string) *Proc {
	t.Helper()
	port := testutil.FreePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	args := withDefaults([]string{"--config.file=" + configFile, "--storage.path=" + t.TempDir(),
		"--web.external-url=" + base, "--cluster.listen-address=", "--log.level=info"}, extraArgs)
	p, err := launch(procSpec{name: "alertmanager", bin: alertmanager, base: base, ready: "/-/ready", graceful: true,
		env: []string{"TZ=Asia/Shanghai"}, args: append(args, fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port))})
	return own(t, p, err)
}
