package pgtest

import (
	"database/sql"
	"testing"
)

// TestStartQueryStopRestart: the server answers, keeps data across a restart
// and refuses connections while stopped.
func TestStartQueryStopRestart(t *testing.T) {
	s := Start(t)
	dsn := s.NewDB(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t (v int); INSERT INTO t VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if err := db.Ping(); err == nil {
		t.Fatal("ping succeeded with the server stopped")
	}
	s.Restart(t)
	var v int
	if err := db.QueryRow(`SELECT v FROM t`).Scan(&v); err != nil || v != 42 {
		t.Fatalf("after restart: v=%d err=%v", v, err)
	}
}
