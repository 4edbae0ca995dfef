package main

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/jianguan/jianguan/internal/report"
)

// Lines of Prometheus 2.42's query log, as the bench's run wrote them
// (--entities=20, the lines report of 2026-11, raw-sample path).
const (
	logCapacity = `{"httpRequest":{"clientIP":"127.0.0.1","method":"POST","path":"/api/v1/query"},"params":{"end":"2026-11-30T16:00:00.000Z","query":"8 * max by (line) (line_capacity_bytes_per_second{} @ 1796054400)","start":"2026-11-30T16:00:00.000Z","step":0},"spanID":"0000000000000000","stats":{"timings":{"evalTotalTime":0.000443301,"resultSortTime":0,"queryPreparationTime":0.000128534,"innerEvalTime":0.000307724,"execQueueTime":0.000001623,"execTotalTime":0.000451166},"samples":{"totalQueryableSamples":8,"peakSamples":26}},"ts":"2026-12-05T06:23:37.467Z"}`
	logProbe    = `{"httpRequest":{"clientIP":"127.0.0.1","method":"POST","path":"/api/v1/query"},"params":{"end":"2026-11-30T16:00:00.000Z","query":"count_over_time(vector(1)[120s:60s] @ 1796054400)","start":"2026-11-30T16:00:00.000Z","step":0},"spanID":"0000000000000000","stats":{"timings":{"evalTotalTime":0.000064312,"resultSortTime":0,"queryPreparationTime":0.000015619,"innerEvalTime":0.000040857,"execQueueTime":0.00001585,"execTotalTime":0.000090202},"samples":{"totalQueryableSamples":3,"peakSamples":7}},"ts":"2026-12-05T06:23:37.507Z"}`
	logUp       = `{"httpRequest":{"clientIP":"127.0.0.1","method":"POST","path":"/api/v1/query_range"},"params":{"end":"2026-11-30T16:00:00.000Z","query":"changes(line_up{line=~\"line-001|line-002|line-004|line-006|line-007|line-008\"}[87600s])","start":"2026-11-01T16:00:00.000Z","step":86400},"spanID":"0000000000000000","stats":{"timings":{"evalTotalTime":0.420169282,"resultSortTime":0.000003747,"queryPreparationTime":0.000472898,"innerEvalTime":0.419638875,"execQueueTime":0.000012754,"execTotalTime":0.420196724},"samples":{"totalQueryableSamples":1051380,"peakSamples":6021}},"ts":"2026-12-05T06:23:55.311Z"}`
	logUnknown  = `{"httpRequest":{"clientIP":"127.0.0.1","method":"POST","path":"/api/v1/query_range"},"params":{"end":"2026-11-30T16:00:00.000Z","query":"changes(line_unknown{line=~\"line-001|line-002|line-004|line-006|line-007|line-008\"}[87600s])","start":"2026-11-01T16:00:00.000Z","step":86400},"spanID":"0000000000000000","stats":{"timings":{"evalTotalTime":0.480709422,"resultSortTime":0.000003556,"queryPreparationTime":0.000095641,"innerEvalTime":0.480574937,"execQueueTime":0.000006883,"execTotalTime":0.480759778},"samples":{"totalQueryableSamples":1051380,"peakSamples":6021}},"ts":"2026-12-05T06:23:55.374Z"}`
)

// TestReadQueryLog: a query log's lines summed, and grouped by the purpose
// of the audit query with the same PromQL text; texts the audit lacks go to
// notInAudit, a text several purposes share to the first.
func TestReadQueryLog(t *testing.T) {
	const (
		capQ     = `8 * max by (line) (line_capacity_bytes_per_second{} @ 1796054400)`
		upQ      = `changes(line_up{line=~"line-001|line-002|line-004|line-006|line-007|line-008"}[87600s])`
		unknownQ = `changes(line_unknown{line=~"line-001|line-002|line-004|line-006|line-007|line-008"}[87600s])`
		probeQ   = `count_over_time(vector(1)[120s:60s] @ 1796054400)`
	)
	audit := []report.AuditQuery{
		{Purpose: "capacity", PromQL: capQ},
		{Purpose: "incident days", PromQL: upQ},
		{Purpose: "incident days", PromQL: unknownQ},
		{Purpose: "series", PromQL: "series API: line_up"}, // not a query: never logged
	}
	tests := []struct {
		name      string
		log       string
		audit     []report.AuditQuery
		total     queryGroup
		groups    []queryGroup
		unmatched []string
		err       string
	}{
		{name: "empty log", log: "", audit: audit, total: queryGroup{}},
		{
			name:  "grouped by purpose, most seconds first",
			log:   strings.Join([]string{logCapacity, logProbe, logUp, logUnknown}, "\n") + "\n",
			audit: audit,
			total: queryGroup{Queries: 4, Samples: 8 + 3 + 1051380 + 1051380, Seconds: 0.000451166 + 0.000090202 + 0.420196724 + 0.480759778},
			groups: []queryGroup{
				{Purpose: "incident days", Queries: 2, Samples: 2 * 1051380, Seconds: 0.420196724 + 0.480759778},
				{Purpose: "capacity", Queries: 1, Samples: 8, Seconds: 0.000451166},
				{Purpose: notInAudit, Queries: 1, Samples: 3, Seconds: 0.000090202},
			},
			unmatched: []string{probeQ},
		},
		{
			name:  "the same query twice, its text under two purposes: the first purpose",
			log:   logUp + "\n" + logUp + "\n",
			audit: []report.AuditQuery{{Purpose: "first", PromQL: upQ}, {Purpose: "second", PromQL: upQ}},
			total: queryGroup{Queries: 2, Samples: 2 * 1051380, Seconds: 2 * 0.420196724},
			groups: []queryGroup{
				{Purpose: "first", Queries: 2, Samples: 2 * 1051380, Seconds: 2 * 0.420196724},
			},
		},
		{
			name:      "no audit: everything not in the audit",
			log:       logCapacity + "\n" + logProbe + "\n",
			total:     queryGroup{Queries: 2, Samples: 11, Seconds: 0.000451166 + 0.000090202},
			groups:    []queryGroup{{Purpose: notInAudit, Queries: 2, Samples: 11, Seconds: 0.000451166 + 0.000090202}},
			unmatched: []string{capQ, probeQ},
		},
		{name: "a cut line", log: logCapacity + "\n" + logUp[:200], audit: audit, err: "query log line 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := readQueryLog(strings.NewReader(tc.log), tc.audit)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			same := func(a, b queryGroup) bool {
				return a.Purpose == b.Purpose && a.Queries == b.Queries && a.Samples == b.Samples && math.Abs(a.Seconds-b.Seconds) < 1e-9
			}
			if !same(st.queryGroup, tc.total) {
				t.Errorf("total %+v, want %+v", st.queryGroup, tc.total)
			}
			if len(st.Groups) != len(tc.groups) {
				t.Fatalf("groups %+v, want %+v", st.Groups, tc.groups)
			}
			for i := range tc.groups {
				if !same(st.Groups[i], tc.groups[i]) {
					t.Errorf("group %d: %+v, want %+v", i, st.Groups[i], tc.groups[i])
				}
			}
			if !slices.Equal(st.Unmatched, tc.unmatched) {
				t.Errorf("not in the audit %q, want %q", st.Unmatched, tc.unmatched)
			}
		})
	}
}
