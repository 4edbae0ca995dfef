package testenv

// postgres.go: a real, throwaway PostgreSQL server for tests from Debian's
// binaries (/usr/lib/postgresql/<major>/bin, package postgresql), moved here
// from internal/testutil/pgtest (issue 23). initdb refuses to run as root, so
// as root the server runs as the `postgres` user (or `nobody`) through
// SysProcAttr credentials, in a fresh directory under os.TempDir() with a
// Unix socket only (listen_addresses=''). A missing installation skips the
// test locally and fails it in CI, like testutil.Need.

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver

	"github.com/jianguan/jianguan/internal/testutil"
)

// Postgres is one running PostgreSQL.
type Postgres struct {
	dir  string
	port int
	cmd  *exec.Cmd
	done chan struct{}
	bin  string
	cred *syscall.Credential
	logs *logBuffer

	mu  sync.Mutex
	dbs int
}

// postgresBinDir finds the newest installed PostgreSQL.
func postgresBinDir(t testing.TB) string {
	t.Helper()
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(m, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(m[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(m[j]))))
		return vi > vj
	})
	if len(m) == 0 {
		if testutil.InCI() {
			t.Fatal("PostgreSQL not installed (/usr/lib/postgresql/*/bin/initdb); .ci/run must install postgresql")
		}
		t.Skip("PostgreSQL not installed (apt-get install postgresql, or run bash .ci/run)")
	}
	return filepath.Dir(m[0])
}

// postgresCredential returns the unprivileged identity to run as (nil when not root).
func postgresCredential(t testing.TB) *syscall.Credential {
	if os.Geteuid() != 0 {
		return nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	t.Fatal("running as root and neither user postgres nor nobody exists")
	return nil
}

// StartPostgres runs initdb and the server and returns once it accepts
// connections (initdb and the start each within 60 s); t.Cleanup stops it,
// removes its files and prints its log if the test failed. NewDB gives each
// test its own database on it.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	bin := postgresBinDir(t)
	cred := postgresCredential(t)
	// Not t.TempDir(): its parents are 0700 root, closed to the postgres user.
	dir, err := os.MkdirTemp("", "testenv-postgres-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	s := &Postgres{dir: dir, port: testutil.FreePort(t), logs: &logBuffer{}}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"), "-U", "postgres",
		"-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.Env = append(os.Environ(), "LC_ALL=C")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s.bin, s.cred = bin, cred
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("---- postgres log ----\n%s", s.logs.String())
		}
	})
	s.start(t)
	return s
}

// start runs the server on the existing data directory and waits until it
// accepts connections.
func (s *Postgres) start(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	s.cmd = exec.CommandContext(context.Background(), filepath.Join(s.bin, "postgres"), "-D", filepath.Join(s.dir, "data"), "-k", s.dir,
		"-p", strconv.Itoa(s.port), "-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=50", "-c", "shared_buffers=16MB")
	s.cmd.Env = append(os.Environ(), "LC_ALL=C")
	s.cmd.Dir = s.dir
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	s.done = done
	go func() { _ = s.cmd.Wait(); close(done) }()
	for {
		select {
		case <-done:
			t.Fatalf("postgres exited:\n%s", s.logs.String())
		case <-ctx.Done():
			t.Fatalf("postgres not ready after %s:\n%s", readyTimeout, s.logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		db, err := sql.Open("pgx", s.DSN("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		err = db.PingContext(ctx)
		db.Close()
		if err == nil {
			return
		}
	}
}

// stop: SIGINT (fast shutdown: open sessions are ended), SIGKILL after 10 s.
func (s *Postgres) stop() {
	if s.cmd == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Stop stops the server (to test an outage); Restart starts it again.
func (s *Postgres) Stop() { s.stop() }

// Restart starts a stopped server again on the same data and socket.
func (s *Postgres) Restart(t testing.TB) { s.start(t) }

// DSN is the connection string of one database on the server.
func (s *Postgres) DSN(dbname string) string {
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable", s.dir, s.port, dbname)
}

// NewDB creates an empty database and returns its DSN.
func (s *Postgres) NewDB(t testing.TB) string {
	t.Helper()
	s.mu.Lock()
	s.dbs++
	name := fmt.Sprintf("test_%d", s.dbs)
	s.mu.Unlock()
	db, err := sql.Open("pgx", s.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return s.DSN(name)
}

// Logs returns the server's output so far.
func (s *Postgres) Logs() string { return s.logs.String() }
