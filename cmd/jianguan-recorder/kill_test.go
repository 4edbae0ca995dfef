package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// buildRecorder builds the real binary once per test.
func buildRecorder(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not in PATH")
	}
	bin := filepath.Join(t.TempDir(), "jianguan-recorder")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

type proc struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
	mu   sync.Mutex
	done chan struct{}
}

func startRecorder(t *testing.T, bin, cfgPath string, port int) *proc {
	t.Helper()
	p := &proc{url: fmt.Sprintf("http://127.0.0.1:%d", port), logs: &bytes.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "--config.file="+cfgPath, fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--log.level=debug")
	w := &lockedWriter{mu: &p.mu, w: p.logs}
	p.cmd.Stdout, p.cmd.Stderr = w, w
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			p.mu.Lock()
			t.Logf("---- recorder log ----\n%s", p.logs.String())
			p.mu.Unlock()
		}
	})
	testenv.WaitFor(t, 60*time.Second, "recorder ready", func() bool {
		select {
		case <-p.done:
			t.Fatalf("recorder exited:\n%s", p.logs.String())
		default:
		}
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, p.url+"/-/ready", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// TestKill9LosesNothingAcknowledged runs the built binary, sends webhooks
// from 8 senders, kill -9s it mid-stream (twice: once writing to SQLite, once
// while the database is locked and webhooks go to the spool), restarts it
// and checks that every webhook answered 200 is stored exactly once.
func TestKill9LosesNothingAcknowledged(t *testing.T) {
	bin := buildRecorder(t)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "records.db")
	cfgPath := filepath.Join(dir, "recorder.yml")
	cfg := fmt.Sprintf("database: {path: %s}\nspool: {dir: %s, replay_interval: 200ms}\nauth: {anonymous_role: Editor}\n", dbPath, filepath.Join(dir, "spool"))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	port := testutil.FreePort(t)

	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		sent  int
	)
	// send posts distinct notifications until stop; records what got 200.
	send := func(p *proc, phase string, stop <-chan struct{}) *sync.WaitGroup {
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := &http.Client{Timeout: 20 * time.Second}
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					group := fmt.Sprintf("%s-%d-%d", phase, w, i)
					b, _ := json.Marshal(payload(group, "firing", "http://am", "f"+group))
					resp, err := client.Post(p.url+"/api/v1/alertmanager", "application/json", bytes.NewReader(b))
					mu.Lock()
					sent++
					mu.Unlock()
					if err != nil {
						return // the process is gone
					}
					io.Copy(io.Discard, resp.Body) //nolint:errcheck
					resp.Body.Close()
					if resp.StatusCode == 200 {
						mu.Lock()
						acked[group] = true
						mu.Unlock()
					}
				}
			}()
		}
		return &wg
	}

	// Phase 1: straight into SQLite.
	p := startRecorder(t, bin, cfgPath, port)
	stop := make(chan struct{})
	wg := send(p, "db", stop)
	time.Sleep(1500 * time.Millisecond)
	if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid)); err == nil {
		for _, l := range strings.Split(string(st), "\n") {
			if strings.HasPrefix(l, "VmHWM:") {
				t.Logf("recorder peak RSS under 8 concurrent senders: %s", strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")))
			}
		}
	}
	p.kill()
	close(stop)
	wg.Wait()
	phase1 := len(acked)

	// Phase 2: the database is locked by another writer; webhooks are spooled.
	lock, err := sql.Open("sqlite", records.SQLiteDSN(dbPath))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	conn, err := lock.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p = startRecorder(t, bin, cfgPath, port)
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	stop = make(chan struct{})
	wg = send(p, "spool", stop)
	time.Sleep(2*records.SQLiteBusyTimeout + time.Second)
	p.kill()
	close(stop)
	wg.Wait()
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	t.Logf("sent %d webhooks, %d answered 200 (%d straight to the database, %d spooled) before kill -9", sent, len(acked), phase1, len(acked)-phase1)
	if phase1 == 0 || len(acked) == phase1 {
		t.Fatalf("test did not exercise both paths: %d / %d", phase1, len(acked)-phase1)
	}

	// Restart: the spool drains, then count.
	p = startRecorder(t, bin, cfgPath, port)
	testenv.WaitFor(t, 60*time.Second, "spool drained", func() bool {
		ents, _ := filepath.Glob(filepath.Join(dir, "spool", "*.json"))
		return len(ents) == 0
	})
	p.kill()
	db, err := sql.Open("sqlite", records.SQLiteDSN(dbPath))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT group_key, COUNT(*) FROM notifications GROUP BY group_key`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	stored := map[string]int{}
	for rows.Next() {
		var g string
		var n int
		if err := rows.Scan(&g, &n); err != nil {
			t.Fatal(err)
		}
		stored[g] = n
	}
	var lost, twice []string
	for g := range acked {
		if stored[g] == 0 {
			lost = append(lost, g)
		}
	}
	for g, n := range stored {
		if n > 1 {
			twice = append(twice, g)
		}
	}
	if len(lost) > 0 || len(twice) > 0 {
		t.Errorf("lost %d acknowledged (%s), stored twice %d (%s)", len(lost), strings.Join(lost, " "), len(twice), strings.Join(twice, " "))
	}
	t.Logf("stored %d notifications (%d answered 200; the rest were in flight at the kill)", len(stored), len(acked))
}
