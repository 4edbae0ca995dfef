package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// procs starts the stack's processes in their own process groups, keeps
// their output in log files and stops all of them (and their children).
type procs struct {
	logDir string
	mu     sync.Mutex
	list   []*proc
}

type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

func (p *procs) start(name string, env []string, bin string, args ...string) (*proc, error) {
	logPath := filepath.Join(p.logDir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	pr := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		pr.err = cmd.Wait()
		f.Close()
		close(pr.done)
	}()
	p.mu.Lock()
	p.list = append(p.list, pr)
	p.mu.Unlock()
	return pr, nil
}

func (pr *proc) exited() bool {
	select {
	case <-pr.done:
		return true
	default:
		return false
	}
}

// tail returns the last lines of the process log, for error messages.
func (pr *proc) tail(n int) string {
	b, _ := os.ReadFile(pr.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// stopAll sends SIGTERM to every process group, then SIGKILL after a grace
// period, in reverse start order. It returns the names still alive (none,
// normally).
func (p *procs) stopAll(grace time.Duration) []string {
	p.mu.Lock()
	list := append([]*proc(nil), p.list...)
	p.mu.Unlock()
	for i := len(list) - 1; i >= 0; i-- {
		if !list[i].exited() {
			_ = syscall.Kill(-list[i].cmd.Process.Pid, syscall.SIGTERM)
		}
	}
	deadline := time.After(grace)
	for _, pr := range list {
		select {
		case <-pr.done:
		case <-deadline:
		}
	}
	var alive []string
	for _, pr := range list {
		if !pr.exited() {
			_ = syscall.Kill(-pr.cmd.Process.Pid, syscall.SIGKILL)
			<-pr.done
		}
		// Children left in the group (e.g. snmpsimd workers) are killed too.
		if err := syscall.Kill(-pr.cmd.Process.Pid, 0); err == nil {
			_ = syscall.Kill(-pr.cmd.Process.Pid, syscall.SIGKILL)
			time.Sleep(100 * time.Millisecond)
			if syscall.Kill(-pr.cmd.Process.Pid, 0) == nil {
				alive = append(alive, pr.name)
			}
		}
	}
	return alive
}

// waitHTTP waits until url answers 200 or the process exits.
func waitHTTP(ctx context.Context, pr *proc, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		if pr != nil && pr.exited() {
			return fmt.Errorf("%s exited (%v); last log lines:\n%s", pr.name, pr.err, pr.tail(15))
		}
		select {
		case <-ctx.Done():
			msg := fmt.Sprintf("%s did not answer within %s", url, timeout)
			if pr != nil {
				msg += "; last log lines:\n" + pr.tail(15)
			}
			return fmt.Errorf("%s", msg)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
