// Package fakeprom is a hostile Prometheus HTTP API for tests of clients
// (the report engine, the report CLI, the Grafana plugin): it listens on
// loopback and answers /api/v1/query, /api/v1/query_range, /api/v1/series and
// /api/v1/status/flags according to its Mode — huge answers (generated as
// they are sent, so the fake itself stays small), empty answers, slow
// answers, malformed JSON, success with warnings, errors that echo the
// request's Authorization header. It is a test tool for the client's
// handling of bad answers, not a PromQL engine: every query of a mode gets
// the same kind of answer.
package fakeprom

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/metricnames"
)

// Mode selects how the fake answers.
type Mode int

const (
	// Huge answers every query with a valid matrix of HugeBytes bytes,
	// chunked (no Content-Length), written as it is generated.
	Huge Mode = iota
	// HugeWithLength is Huge with a Content-Length header announcing the
	// size (a client may refuse before reading).
	HugeWithLength
	// Empty answers every query with an empty vector/matrix and the series
	// API with no series (retention expired, wrong Prometheus).
	Empty
	// Slow waits Delay before answering as Empty (or until the client
	// gives up).
	Slow
	// Malformed answers HTTP 200 with a truncated JSON body.
	Malformed
	// Warnings answers success with an empty result and a warnings array
	// (partial data).
	Warnings
	// EchoAuth answers HTTP 400 with a Prometheus error whose message quotes
	// the request's Authorization header (a misbehaving proxy).
	EchoAuth
)

// Server is a running fake.
type Server struct {
	URL       string
	Mode      Mode
	HugeBytes int64         // size of a Huge answer (default 200 MB)
	Delay     time.Duration // Slow's delay (default 30 s)
	requests  atomic.Int64
	sent      atomic.Int64
	srv       *http.Server
}

// Requests is the number of API requests served so far.
func (s *Server) Requests() int64 { return s.requests.Load() }

// BytesSent is the number of body bytes written so far.
func (s *Server) BytesSent() int64 { return s.sent.Load() }

// Start starts a fake on 127.0.0.1 and stops it when the test ends.
func Start(t testing.TB, mode Mode) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{URL: "http://" + l.Addr().String(), Mode: mode, HugeBytes: 200_000_000, Delay: 30 * time.Second}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(l)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	cw := &countWriter{w: w, n: &s.sent}
	switch r.URL.Path {
	case "/api/v1/status/flags":
		fmt.Fprint(cw, `{"status":"success","data":{"storage.tsdb.retention.time":"400d"}}`)
		return
	case "/api/v1/series":
		switch s.Mode {
		case Empty, Slow:
			s.wait(r)
			fmt.Fprint(cw, `{"status":"success","data":[]}`)
			return
		case Warnings:
			fmt.Fprintf(cw, `{"status":"success","data":[{"__name__":%q,"line":"a"}],"warnings":["partial data: store unavailable"]}`, metricnames.Line.Observed())
			return
		}
	case "/api/v1/query", "/api/v1/query_range":
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(cw, `{"status":"error","errorType":"not_found","error":"no such endpoint"}`)
		return
	}
	rt := "vector"
	if r.URL.Path == "/api/v1/query_range" {
		rt = "matrix"
	}
	switch s.Mode {
	case Huge, HugeWithLength:
		s.huge(w, cw)
	case Empty:
		fmt.Fprintf(cw, `{"status":"success","data":{"resultType":%q,"result":[]}}`, rt)
	case Slow:
		s.wait(r)
		fmt.Fprintf(cw, `{"status":"success","data":{"resultType":%q,"result":[]}}`, rt)
	case Malformed:
		fmt.Fprintf(cw, `{"status":"success","data":{"resultType":%q,"result":[{"metric":{"line":"a"},"value":[17`, rt)
	case Warnings:
		fmt.Fprintf(cw, `{"status":"success","data":{"resultType":%q,"result":[]},"warnings":["partial data: store unavailable"]}`, rt)
	case EchoAuth:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(cw, `{"status":"error","errorType":"bad_data","error":"proxy rejected request with Authorization: %s"}`, r.Header.Get("Authorization"))
	}
}

func (s *Server) wait(r *http.Request) {
	if s.Mode != Slow {
		return
	}
	select {
	case <-time.After(s.Delay):
	case <-r.Context().Done():
	}
}

// huge streams a valid matrix of about HugeBytes bytes: series of one line
// each with many samples.
func (s *Server) huge(w http.ResponseWriter, cw *countWriter) {
	if s.Mode == HugeWithLength {
		w.Header().Set("Content-Length", strconv.FormatInt(s.HugeBytes, 10))
	}
	bw := bufio.NewWriterSize(cw, 64<<10)
	head := `{"status":"success","data":{"resultType":"matrix","result":[`
	tail := `]}}`
	n := int64(len(head) + len(tail))
	bw.WriteString(head)
	var buf []byte
	for i := 0; ; i++ {
		buf = buf[:0]
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = fmt.Appendf(buf, `{"metric":{"__name__":%q,"line":"l%d"},"values":[`, metricnames.Line.Down(), i)
		for j := 0; j < 1000; j++ {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = fmt.Appendf(buf, `[%d.000,"%d"]`, 1790000000+60*j, j)
		}
		buf = append(buf, "]}"...)
		if n+int64(len(buf)) > s.HugeBytes {
			break
		}
		if _, err := bw.Write(buf); err != nil {
			return // the client hung up
		}
		n += int64(len(buf))
	}
	// Pad with whitespace (valid JSON) to exactly HugeBytes.
	pad := make([]byte, 4096)
	for i := range pad {
		pad[i] = ' '
	}
	for rest := s.HugeBytes - n; rest > 0; {
		k := min(rest, int64(len(pad)))
		if _, err := bw.Write(pad[:k]); err != nil {
			return
		}
		rest -= k
	}
	bw.WriteString(tail)
	bw.Flush()
}

type countWriter struct {
	w http.ResponseWriter
	n *atomic.Int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	k, err := c.w.Write(b)
	c.n.Add(int64(k))
	return k, err
}
