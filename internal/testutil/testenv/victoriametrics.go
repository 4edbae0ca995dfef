package testenv

import (
	"fmt"
	"testing"
)

// StartVictoriaMetrics runs single-node VictoriaMetrics (Debian's
// victoria-metrics; find it with testutil.Need) on 127.0.0.1 over dataDir
// and returns its base URL once /health answers (at most 60 s, then the
// test fails with its log); it is stopped when the test ends.
//
// Its flags suit tests that write history and read it back at once:
// -retentionPeriod=100y (backfilled months are kept),
// -search.disableCache and -search.latencyOffset=1s (fresh samples are
// visible within a second), -loggerLevel=WARN. extraArgs are appended and
// a flag given there (-name=value) replaces the default of that name.
func StartVictoriaMetrics(t testing.TB, victoriaMetrics, dataDir string, extraArgs ...string) string {
	t.Helper()
	p, err := LaunchVictoriaMetrics(victoriaMetrics, dataDir, extraArgs...)
	return own(t, p, err).URL
}

// LaunchVictoriaMetrics is StartVictoriaMetrics for a fixture that outlives
// one test: it returns an error (with the log) instead of failing a test,
// and the caller calls Stop.
func LaunchVictoriaMetrics(victoriaMetrics, dataDir string, extraArgs ...string) (*Proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := withDefaults([]string{"-storageDataPath=" + dataDir, "-retentionPeriod=100y", "-search.disableCache",
		"-search.latencyOffset=1s", "-loggerLevel=WARN"}, extraArgs)
	return launch(procSpec{name: "victoria-metrics", bin: victoriaMetrics, base: "http://" + addr, ready: "/health",
		args: append(args, "-httpListenAddr="+addr)})
}
