// Command edgeanswer measures what one kind of remote read costs a running
// Prometheus: the read of a family's edge names (internal/report's
// edgeRawNames) from 5 min before to 1 min after each month edge of a
// year, asked for the streamed chunks (STREAMED_XOR_CHUNKS, the other raw
// reads' answer) and for the sampled answer (SAMPLES, the edge reads'),
// alternately, round after round. It prints per round and answer type the
// CPU seconds Prometheus spent (/proc/PID/stat), the wall time and the
// bytes received, then the medians and sampled / streamed.
//
//	go run ./tools/bench/report/edgeanswer --prometheus.url http://127.0.0.1:19090 --year 2025 --family host
//
// on the bench's year (tools/bench/report/ab's doc says how to start
// Prometheus on it).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/jianguan/jianguan/tools/bench/internal/benchenv"
)

func main() {
	promURL := flag.String("prometheus.url", "http://127.0.0.1:19090", "the running Prometheus")
	pid := flag.Int("prometheus.pid", 0, "its process id (default: the process listening at the URL's port)")
	year := flag.Int("year", 2025, "the year whose 12 month starts (Asia/Shanghai) are the edges")
	family := flag.String("family", "host", "the family whose edge names are read: line, host or website")
	rounds := flag.Int("rounds", 3, "rounds (each: the 12 edges streamed, then sampled)")
	flag.Parse()
	if *pid == 0 {
		*pid = benchenv.ListenerPID(*promURL)
	}
	if math.IsNaN(benchenv.ProcCPUSeconds(*pid)) {
		fmt.Fprintln(os.Stderr, "edgeanswer: no Prometheus process found for", *promURL, "(--prometheus.pid)")
		os.Exit(2)
	}
	ns := *family
	names := []string{ns + "_observed_seconds_total", ns + "_down_seconds_total", ns + "_maintenance_seconds_total",
		ns + "_maintenance_down_seconds_total", ns + "_state_changes_total", ns + "_start_time_seconds", ns + "_up",
		ns + "_unknown", ns + "_last_change_timestamp_seconds", ns + "_in_maintenance"}
	zone := time.FixedZone("CST", 8*3600)
	modes := []prompb.ReadRequest_ResponseType{prompb.ReadRequest_STREAMED_XOR_CHUNKS, prompb.ReadRequest_SAMPLES}
	cpu := map[prompb.ReadRequest_ResponseType][]float64{}
	for r := 1; r <= *rounds; r++ {
		for _, mode := range modes {
			c0 := benchenv.ProcCPUSeconds(*pid)
			t0 := time.Now()
			total := 0
			for m := 1; m <= 12; m++ {
				edge := time.Date(*year, time.Month(m), 1, 0, 0, 0, 0, zone)
				n, err := read(*promURL, mode, strings.Join(names, "|"), edge.Add(-5*time.Minute), edge.Add(time.Minute))
				if err != nil {
					fmt.Fprintln(os.Stderr, "edgeanswer:", err)
					os.Exit(1)
				}
				total += n
			}
			c := benchenv.ProcCPUSeconds(*pid) - c0
			cpu[mode] = append(cpu[mode], c)
			fmt.Printf("round %d %-19v: 12 edges, Prometheus %.2f CPU-s, wall %v, %d bytes received\n", r, mode, c, time.Since(t0).Round(time.Millisecond), total)
		}
	}
	med := func(v []float64) float64 {
		v = slices.Clone(v)
		slices.Sort(v)
		return v[len(v)/2]
	}
	a, b := med(cpu[modes[0]]), med(cpu[modes[1]])
	fmt.Printf("median Prometheus CPU for 12 edges: streamed %.2f s, sampled %.2f s; sampled / streamed %.3f\n", a, b, b/a)
}

// read sends one remote read of the names in [from, to] asking for mode
// and returns the bytes of the answer.
func read(promURL string, mode prompb.ReadRequest_ResponseType, names string, from, to time.Time) (int, error) {
	q := &prompb.Query{StartTimestampMs: from.UnixMilli(), EndTimestampMs: to.UnixMilli(),
		Matchers: []*prompb.LabelMatcher{{Type: prompb.LabelMatcher_RE, Name: "__name__", Value: names}}}
	raw, err := (&prompb.ReadRequest{Queries: []*prompb.Query{q}, AcceptedResponseTypes: []prompb.ReadRequest_ResponseType{mode}}).Marshal()
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, strings.TrimRight(promURL, "/")+"/api/v1/read", bytes.NewReader(snappy.Encode(nil, raw)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("X-Prometheus-Remote-Read-Version", "0.1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: %s", resp.Status, b)
	}
	return len(b), err
}
