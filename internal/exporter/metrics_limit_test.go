package exporter

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestHostile_MetricsInFlightLimit: issue 22 defect 2, the frame part. The
// limiter lets max requests in at once and answers the others 503 with
// Retry-After immediately (no queue); 0 means no limit.
func TestHostile_MetricsInFlightLimit(t *testing.T) {
	for _, tc := range []struct {
		max, requests, wantOK int
	}{{1, 3, 1}, {2, 5, 2}, {4, 4, 4}, {0, 6, 6}} {
		t.Run(fmt.Sprintf("max=%d,requests=%d", tc.max, tc.requests), func(t *testing.T) {
			reg := prometheus.NewRegistry()
			l := NewLimiter(tc.max, "test", reg)
			release := make(chan struct{})
			entered := make(chan struct{}, tc.requests)
			h := l.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				entered <- struct{}{}
				<-release
				fmt.Fprintln(w, "ok")
			}))
			srv := NewServer(h)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go srv.Serve(ln)
			defer srv.Close()
			codes := make(chan int, tc.requests)
			var wg sync.WaitGroup
			for i := 0; i < tc.requests; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
					if err != nil {
						codes <- 0
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
						t.Error("503 without Retry-After")
					}
					codes <- resp.StatusCode
				}()
			}
			// Every request over the limit is answered at once, while the
			// admitted ones are still blocked.
			deadline := time.After(5 * time.Second)
			for i := 0; i < tc.wantOK; i++ {
				select {
				case <-entered:
				case <-deadline:
					t.Fatalf("only %d requests admitted, want %d", i, tc.wantOK)
				}
			}
			rejected := 0
			for rejected < tc.requests-tc.wantOK {
				select {
				case c := <-codes:
					if c != http.StatusServiceUnavailable {
						t.Fatalf("status %d while the limit is full", c)
					}
					rejected++
				case <-deadline:
					t.Fatalf("%d rejected at once, want %d", rejected, tc.requests-tc.wantOK)
				}
			}
			if got := testutil.ToFloat64(l.inFlight); int(got) != tc.wantOK {
				t.Errorf("in flight %v, want %d", got, tc.wantOK)
			}
			close(release)
			wg.Wait()
			close(codes)
			for c := range codes {
				if c != 200 {
					t.Errorf("admitted request: %d", c)
				}
			}
			if got := testutil.ToFloat64(l.rejected); int(got) != tc.requests-tc.wantOK {
				t.Errorf("rejected_total %v, want %d", got, tc.requests-tc.wantOK)
			}
		})
	}
}

// TestHostile_MetricsScrapeTimeout: a scrape stating its timeout
// (X-Prometheus-Scrape-Timeout-Seconds) whose client does not read is cut
// off after that timeout + 5 s, not after WriteTimeout, and its slot is
// free again.
func TestHostile_MetricsScrapeTimeout(t *testing.T) {
	big := strings.Repeat("x", 64<<20) // more than loopback socket buffers absorb
	l := NewLimiter(1, "test", nil)
	done := make(chan time.Duration, 1)
	srv := NewServer(l.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		_, err := io.WriteString(w, big)
		if err == nil {
			t.Error("write to a client that does not read succeeded")
		}
		done <- time.Since(start)
	})))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.(*net.TCPConn).SetReadBuffer(4096)
	io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Prometheus-Scrape-Timeout-Seconds: 0.5\r\n\r\n")
	select {
	case d := <-done:
		t.Logf("non-reading scrape with a 0.5 s timeout cut off after %s", d.Round(10*time.Millisecond))
		if d > scrapeSlack+2*time.Second {
			t.Errorf("cut off after %s, want about 0.5 s + %s", d, scrapeSlack)
		}
	case <-time.After(WriteTimeout):
		t.Fatal("not cut off before WriteTimeout")
	}
}
