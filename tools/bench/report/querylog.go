package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/jianguan/jianguan/internal/report"
)

// notInAudit is the group of logged queries whose text no audit query of the
// document has (e.g. the backend probe; the series API is not logged).
const notInAudit = "(not in the audit)"

// topGroups is how many purposes the bench prints per path.
const topGroups = 6

// queryLogLine is the part of a line of Prometheus 2.42's query log
// (global.query_log_file) the bench reads: the query text as sent and the
// engine's statistics of it.
type queryLogLine struct {
	Params struct {
		Query string `json:"query"`
	} `json:"params"`
	Stats struct {
		Timings struct {
			ExecTotalTime float64 `json:"execTotalTime"` // seconds, queueing included
		} `json:"timings"`
		Samples struct {
			TotalQueryableSamples int64 `json:"totalQueryableSamples"`
		} `json:"samples"`
	} `json:"stats"`
}

// queryGroup is the queries of one audit purpose (or notInAudit).
type queryGroup struct {
	Purpose string
	Queries int
	Samples int64   // totalQueryableSamples summed
	Seconds float64 // execTotalTime summed
}

// queryStats sums a query log: all its queries, and per audit purpose
// (Groups, most execution seconds first, then by purpose).
type queryStats struct {
	queryGroup
	Groups    []queryGroup
	Unmatched []string // the distinct texts of the group notInAudit, in log order
}

// readQueryLog sums the query-log lines in r, grouping each by the purpose
// of the audit query of the document with the same PromQL text (the engine
// sends the audit's text unchanged); a text several purposes share goes to
// the first of them.
func readQueryLog(r io.Reader, audit []report.AuditQuery) (queryStats, error) {
	purpose := map[string]string{}
	for _, a := range audit {
		if _, ok := purpose[a.PromQL]; !ok {
			purpose[a.PromQL] = a.Purpose
		}
	}
	groups := map[string]*queryGroup{}
	var st queryStats
	dec := json.NewDecoder(r) // not bufio.Scanner: a query over 1 000 entities is longer than its line limit
	for {
		var l queryLogLine
		if err := dec.Decode(&l); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return st, fmt.Errorf("query log line %d: %w", st.Queries+1, err)
		}
		p, ok := purpose[l.Params.Query]
		if !ok {
			p = notInAudit
			if !slices.Contains(st.Unmatched, l.Params.Query) {
				st.Unmatched = append(st.Unmatched, l.Params.Query)
			}
		}
		g := groups[p]
		if g == nil {
			g = &queryGroup{Purpose: p}
			groups[p] = g
		}
		for _, s := range []*queryGroup{g, &st.queryGroup} {
			s.Queries++
			s.Samples += l.Stats.Samples.TotalQueryableSamples
			s.Seconds += l.Stats.Timings.ExecTotalTime
		}
	}
	for _, g := range groups {
		st.Groups = append(st.Groups, *g)
	}
	sort.Slice(st.Groups, func(i, j int) bool {
		a, b := st.Groups[i], st.Groups[j]
		if a.Seconds != b.Seconds {
			return a.Seconds > b.Seconds
		}
		return a.Purpose < b.Purpose
	})
	return st, nil
}

// queryLog is the bench Prometheus' query log file.
type queryLog string

// reset empties the log (Prometheus appends to it: O_APPEND), so that it
// holds one path's queries and stays small.
func (f queryLog) reset() error {
	if f == "" {
		return nil
	}
	return os.Truncate(string(f), 0)
}

// read sums the log as readQueryLog does for document d, then empties it.
func (f queryLog) read(d *report.Document) (queryStats, error) {
	fh, err := os.Open(string(f))
	if err != nil {
		return queryStats{}, err
	}
	defer fh.Close()
	st, err := readQueryLog(fh, d.Audit.Queries)
	if err != nil {
		return st, err
	}
	return st, f.reset()
}

// millions is n as "28.5 M" (or "512" below 1 000, "12.3 k" below 10⁶).
func millions(n int64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1f M", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f k", float64(n)/1e3)
	}
	return strconv.FormatInt(n, 10)
}

// print writes the statistics of one path's first build: the totals, then
// the topGroups purposes with the most execution seconds; verbose, the first
// 20 texts of the queries not in the audit too.
func (st queryStats) print(w io.Writer, label string, verbose bool) {
	fmt.Fprintf(w, "%-24s Prometheus' query log, first build: %d queries, %s samples read (%d), %.2f s of server execution\n",
		label, st.Queries, millions(st.Samples), st.Samples, st.Seconds)
	for i, g := range st.Groups {
		if i == topGroups {
			fmt.Fprintf(w, "%-24s   … %d more purposes\n", "", len(st.Groups)-topGroups)
			break
		}
		fmt.Fprintf(w, "%-24s   %7.2f s %9s samples %4d queries  %s\n", "", g.Seconds, millions(g.Samples), g.Queries, oneLine(g.Purpose, 100))
	}
	if verbose {
		for i, q := range st.Unmatched {
			if i == 20 {
				fmt.Fprintf(w, "%-24s   … %d more texts not in the audit\n", "", len(st.Unmatched)-i)
				break
			}
			fmt.Fprintf(w, "%-24s   not in the audit: %s\n", "", oneLine(q, 300))
		}
	}
}

// oneLine is s on one line, at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// ratio is a/b as "3.2 ×", or "–" when b is 0.
func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f ×", a/b)
}
