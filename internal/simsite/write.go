package simsite

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	sh "github.com/jianguan/jianguan/internal/simhistory"
)

// Fine is the sample interval of the room's event-driven gauges inside the
// model's regions (Prometheus' production scrape interval): a report that
// reads a month of gauges sees every excursion the condition counters
// count (TestDemoConsistency), while the rest of the history keeps the
// coarse step of the Spec (counters are exact at every sample).
const Fine = 15 * time.Second

// dense reports whether a gauge moves with the model's events (the room's
// power, cooling, temperature and alarm gauges; not rack power, humidity,
// node or line series, which follow the time of day only).
func dense(g sh.Gauge) bool {
	if g.Of != nil || g.Counter || !strings.HasPrefix(g.Name, "env_") {
		return false
	}
	switch g.Name {
	case "env_rack_power_watts", "env_humidity_ratio", "env_ups_output_load_ratio", "env_ups_battery_status":
		return false
	}
	return true
}

// WriteOpenMetrics writes sp as OpenMetrics for promtool: everything at
// sp.Step, and the event-driven room gauges in addition every Fine inside
// m.Regions (bounded: the regions of a month are a few days; 36 series).
func WriteOpenMetrics(w io.Writer, sp sh.Spec, m *Model) error {
	coarse := sp
	coarse.Gauges = nil
	var fine []sh.Gauge
	for _, g := range sp.Gauges {
		if dense(g) {
			fine = append(fine, g)
		} else {
			coarse.Gauges = append(coarse.Gauges, g)
		}
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	// The coarse part without its "# EOF" (the fine families follow it).
	es := &eofStripper{w: bw}
	if err := sh.WriteOpenMetrics(es, coarse); err != nil {
		return err
	}
	if !bytes.Equal(es.hold, []byte(eofLine)) {
		return fmt.Errorf("simsite: the coarse history does not end in %q", eofLine)
	}
	times := sampleTimes(sp, m.Regions(sp.From, sp.To.Add(time.Nanosecond)))
	byName := map[string][]sh.Gauge{}
	var names []string
	for _, g := range fine {
		if _, ok := byName[g.Name]; !ok {
			names = append(names, g.Name)
		}
		byName[g.Name] = append(byName[g.Name], g)
	}
	for _, n := range names {
		fmt.Fprintf(bw, "# TYPE %s gauge\n", n)
		for _, g := range byName[n] {
			ls := sh.LabelString(g.Labels)
			for _, t := range times {
				v := g.Value(t)
				if math.IsNaN(v) {
					continue
				}
				fmt.Fprintf(bw, "%s%s %s %d\n", n, ls, strconv.FormatFloat(v, 'f', -1, 64), t.Unix())
			}
		}
	}
	_, _ = bw.WriteString("# EOF\n")
	return bw.Flush()
}

// sampleTimes is the coarse grid of sp merged with a Fine grid inside the
// regions, sorted, without duplicates.
func sampleTimes(sp sh.Spec, regions []sh.Window) []time.Time {
	seen := map[int64]bool{}
	var ts []time.Time
	add := func(t time.Time) {
		if !seen[t.Unix()] {
			seen[t.Unix()] = true
			ts = append(ts, t)
		}
	}
	for t := sp.From; !t.After(sp.To); t = t.Add(sp.Step) {
		add(t)
	}
	for _, r := range regions {
		for t := r.Start.Truncate(Fine); t.Before(r.End); t = t.Add(Fine) {
			if !t.Before(sp.From) && !t.After(sp.To) {
				add(t)
			}
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	return ts
}

// eofStripper passes everything but the last len(eofLine) bytes through
// (held in hold: the coarse history's "# EOF\n").
type eofStripper struct {
	w    io.Writer
	hold []byte
}

const eofLine = "# EOF\n"

func (e *eofStripper) Write(p []byte) (int, error) {
	e.hold = append(e.hold, p...)
	if n := len(e.hold) - len(eofLine); n > 0 {
		if _, err := e.w.Write(e.hold[:n]); err != nil {
			return 0, err
		}
		e.hold = append(e.hold[:0], e.hold[n:]...)
	}
	return len(p), nil
}
