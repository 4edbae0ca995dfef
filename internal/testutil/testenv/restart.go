package testenv

// restart.go: stopping a component cleanly and starting it again on the
// same port, flags and data directory (issue 23), for tests of an outage of
// the component itself (alertmanager/TestLiveFaults stops Prometheus for
// 25 s and checks nothing it scraped before was lost).

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// restartGrace bounds Terminate's wait for a clean exit before SIGKILL:
// Prometheus writes its head block's checkpoint on SIGTERM.
const restartGrace = 20 * time.Second

// Terminate stops the process cleanly — SIGTERM, SIGKILL after 20 s — and
// keeps its files (configuration, data directory) so that Restart can start
// it again. Terminating a stopped process does nothing.
func (p *Proc) Terminate() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(restartGrace):
		p.Kill()
	}
}

// Restart terminates the process if it runs (Terminate) and starts it again
// with the same binary, flags, environment, port and data directory, then
// waits for it to be ready (at most 60 s, then the test fails with its log).
// The log goes on in the same buffer; the cleanup registered when it was
// first started stops the new process.
func (p *Proc) Restart(t testing.TB) {
	t.Helper()
	p.Terminate()
	np, err := launch(p.spec)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	np.log.mu.Lock()
	np.log.b = append([]byte(fmt.Sprintf("%s\n---- restarted %s ----\n", p.Log(), time.Now().Format(time.RFC3339))), np.log.b...)
	np.log.mu.Unlock()
	p.cmd, p.done, p.log = np.cmd, np.done, np.log
}
