// Command batchread measures what sending a report's short remote reads
// several to a request would save: it takes the incident reconstruction's
// reads from a document's audit (jianguan-report --format=json) and sends
// them to a running Prometheus one query per request (as the engine does)
// and --per queries per request (Prometheus' remote-read protocol allows
// many), alternating, 4 requests in flight, through the engine's client
// (promapi.Client: RemoteRead and RemoteReadBatch). Per round and size it
// prints the wall time, this process' CPU time and the CPU time Prometheus
// spent meanwhile, then the medians and their ratios to one per request.
// The answers are decoded and dropped.
//
//	jianguan-report --prometheus.url=http://127.0.0.1:19090 --kind=providers \
//	    --period=2026-11 --format=json > /tmp/providers.json
//	go run ./tools/bench/report/batchread --doc /tmp/providers.json
//
// Measured on the month bench's history (2026-12-07): see
// tools/bench/report/README.md, "Fewer connections; the short reads
// batched".
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/tools/bench/internal/benchenv"
)

// read is how the audit lists a remote read: SELECTOR[RANGEms] @ UNIX.
var read = regexp.MustCompile(`^remote read API: (.*)\[(\d+)ms\] @ (\d+)$`)

func main() {
	doc := flag.String("doc", "", "a report document (jianguan-report --format=json) whose audit lists the reads")
	purpose := flag.String("purpose", "incident reconstruction: raw", "the reads whose audit purpose contains this")
	promURL := flag.String("prometheus.url", "http://127.0.0.1:19090", "the running Prometheus (on the history the document was built from)")
	pers := flag.String("per", "8,40", "queries per request to compare with one, comma-separated")
	rounds := flag.Int("rounds", 5, "rounds (each sends every read once per size)")
	flag.Parse()
	if err := run(*doc, *purpose, *promURL, *pers, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "batchread:", err)
		os.Exit(1)
	}
}

func run(doc, purpose, promURL, pers string, rounds int) error {
	qs, err := queries(doc, purpose)
	if err != nil {
		return err
	}
	sizes := []int{1}
	for _, s := range strings.Split(pers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 2 {
			return fmt.Errorf("--per: %q is not a size of at least 2", s)
		}
		sizes = append(sizes, n)
	}
	pid := benchenv.ListenerPID(promURL)
	c := promapi.New(promURL)
	fmt.Printf("%d reads of %s (purpose containing %q); Prometheus pid %d; load average %s\n", len(qs), doc, purpose, pid, benchenv.LoadAvg())
	res := map[int][][3]float64{}
	for r := range rounds {
		for _, per := range sizes {
			p0, s0, t0 := benchenv.ProcCPUSeconds(pid), selfCPU(), time.Now()
			n, err := send(c, qs, per)
			if err != nil {
				return err
			}
			m := [3]float64{time.Since(t0).Seconds(), selfCPU() - s0, benchenv.ProcCPUSeconds(pid) - p0}
			res[per] = append(res[per], m)
			fmt.Printf("round %d, %2d per request: wall %.2f s, client %.2f CPU-s, Prometheus %.2f CPU-s, %d series\n", r+1, per, m[0], m[1], m[2], n)
		}
	}
	one := median(res[1])
	for _, per := range sizes {
		m := median(res[per])
		fmt.Printf("median, %2d per request: wall %.2f s, client %.2f CPU-s, Prometheus %.2f CPU-s; against one per request: wall %.3f, client %.3f, Prometheus %.3f\n",
			per, m[0], m[1], m[2], m[0]/one[0], m[1]/one[1], m[2]/one[2])
	}
	fmt.Println("load average at end:", benchenv.LoadAvg())
	return nil
}

// queries are the document's remote reads whose purpose contains purpose.
func queries(doc, purpose string) ([]report.RawRead, error) {
	b, err := os.ReadFile(doc)
	if err != nil {
		return nil, err
	}
	var d struct {
		Audit struct {
			Queries []struct{ Purpose, PromQL string }
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", doc, err)
	}
	var out []report.RawRead
	for _, a := range d.Audit.Queries {
		m := read.FindStringSubmatch(a.PromQL)
		if m == nil || !strings.Contains(a.Purpose, purpose) {
			continue
		}
		rng, _ := strconv.ParseInt(m[2], 10, 64)
		at, _ := strconv.ParseInt(m[3], 10, 64)
		to := time.Unix(at, 0)
		out = append(out, report.RawRead{Selector: m[1], From: to.Add(-time.Duration(rng) * time.Millisecond), To: to})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no remote read in its audit has a purpose containing %q", doc, purpose)
	}
	return out, nil
}

// send reads qs, per to a request (one: RemoteRead, else RemoteReadBatch),
// 4 requests in flight, and returns the series answered.
func send(c *promapi.Client, qs []report.RawRead, per int) (int, error) {
	ctx := context.Background()
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	var first error
	drop := func([]int64, []float64) {}
	for b := range slices.Chunk(qs, per) {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			n, ok, err := 0, false, error(nil)
			if per == 1 {
				n, ok, err = c.RemoteRead(ctx, b[0].Selector, b[0].From, b[0].To, func(map[string]string) func([]int64, []float64) { return drop })
			} else {
				ok, err = c.RemoteReadBatch(ctx, b, func(int, map[string]string) func([]int64, []float64) { n++; return drop })
			}
			if err == nil && !ok {
				err = fmt.Errorf("no streamed remote-read answer from Prometheus at %s", c.BaseURL)
			}
			mu.Lock()
			defer mu.Unlock()
			total += n
			if err != nil && first == nil {
				first = err
			}
		}()
	}
	wg.Wait()
	return total, first
}

func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// median of each column.
func median(ms [][3]float64) [3]float64 {
	var out [3]float64
	for i := range out {
		col := make([]float64, len(ms))
		for j, m := range ms {
			col[j] = m[i]
		}
		slices.Sort(col)
		out[i] = col[len(col)/2]
	}
	return out
}
