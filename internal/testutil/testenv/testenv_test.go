package testenv

import (
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestStartScraping: a real Prometheus scrapes a loopback target and Query
// reads the scraped sample back; a bad query is an error, not a panic.
func TestStartScraping(t *testing.T) {
	if testing.Short() {
		t.Skip("real Prometheus skipped in -short mode")
	}
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "# TYPE testenv_answer gauge\ntestenv_answer{kind=\"probe\"} 42\n")
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })

	base := StartScraping(t, "testenv", l.Addr().String(), 500*time.Millisecond)
	var got []Sample
	WaitFor(t, 20*time.Second, "the scraped sample", func() bool {
		got, _ = Query(base, `testenv_answer{job="testenv"}`)
		return len(got) == 1
	})
	if got[0].Value != "42" || got[0].Labels["kind"] != "probe" || got[0].Labels["job"] != "testenv" {
		t.Errorf("%+v, want testenv_answer{job=testenv, kind=probe} 42", got[0])
	}
	if _, err := Query(base, `sum(`); err == nil {
		t.Error("a malformed query returned no error")
	}
}
