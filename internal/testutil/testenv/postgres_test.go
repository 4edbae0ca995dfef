package testenv

import (
	"database/sql"
	"testing"
)

// TestStartPostgres: the server answers, keeps data across a restart and
// refuses connections while stopped; NewDB databases are separate.
func TestStartPostgres(t *testing.T) {
	s := StartPostgres(t)
	dsn := s.NewDB(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), `CREATE TABLE t (v int); INSERT INTO t VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("pgx", s.NewDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.ExecContext(t.Context(), `SELECT v FROM t`); err == nil {
		t.Error("a second NewDB database sees the first one's table")
	}
	s.Stop()
	if err := db.PingContext(t.Context()); err == nil {
		t.Fatal("ping succeeded with the server stopped")
	}
	s.Restart(t)
	var v int
	if err := db.QueryRowContext(t.Context(), `SELECT v FROM t`).Scan(&v); err != nil || v != 42 {
		t.Fatalf("after restart: v=%d err=%v", v, err)
	}
}
