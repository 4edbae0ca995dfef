package main

import (
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/records"
)

// TestParseSpan: the since/until/limit parameters of the list routes
// (alerts, records/find, inspections), parsed in one place.
func TestParseSpan(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	bound := strconv.Itoa(records.MaxListLimit)
	for _, c := range []struct {
		name         string
		query        map[string]string
		since, until string // names of the range parameters
		want         span
		err          string // substring of the error; "" for none
	}{
		{"defaults", nil, "since", "until", span{}, ""},
		{"since only", map[string]string{"since": "2026-11-01T00:00:00+08:00"}, "since", "until",
			span{since: at("2026-11-01T00:00:00+08:00")}, ""},
		{"until only", map[string]string{"until": "2026-12-01T00:00:00+08:00"}, "since", "until",
			span{until: at("2026-12-01T00:00:00+08:00")}, ""},
		{"range and limit", map[string]string{"since": "2026-11-01T00:00:00+08:00", "until": "2026-12-01T00:00:00+08:00", "limit": "20"}, "since", "until",
			span{since: at("2026-11-01T00:00:00+08:00"), until: at("2026-12-01T00:00:00+08:00"), limit: 20}, ""},
		{"empty range", map[string]string{"since": "2026-11-01T00:00:00Z", "until": "2026-11-01T08:00:00+08:00"}, "since", "until",
			span{since: at("2026-11-01T00:00:00Z"), until: at("2026-11-01T08:00:00+08:00")}, ""},
		{"slot names", map[string]string{"slotSince": "2026-11-01T00:00:00Z", "slotUntil": "2026-11-02T00:00:00Z", "since": "bad"}, "slotSince", "slotUntil",
			span{since: at("2026-11-01T00:00:00Z"), until: at("2026-11-02T00:00:00Z")}, ""},
		{"limit at the bound", map[string]string{"limit": bound}, "since", "until", span{limit: records.MaxListLimit}, ""},
		{"bad since", map[string]string{"since": "2026-11-01"}, "since", "until", span{}, "since: want RFC 3339"},
		{"bad until", map[string]string{"until": "yesterday"}, "since", "until", span{}, "until: want RFC 3339"},
		{"bad slotSince", map[string]string{"slotSince": "2026-11-01 00:00"}, "slotSince", "slotUntil", span{}, "slotSince: want RFC 3339"},
		{"until before since", map[string]string{"since": "2026-12-01T00:00:00Z", "until": "2026-11-01T00:00:00Z"}, "since", "until", span{},
			"until 2026-11-01T00:00:00Z is before since 2026-12-01T00:00:00Z"},
		{"slotUntil before slotSince", map[string]string{"slotSince": "2026-12-01T00:00:00Z", "slotUntil": "2026-11-30T23:59:59Z"}, "slotSince", "slotUntil", span{},
			"want slotSince ≤ slotUntil"},
		{"limit over the bound", map[string]string{"limit": strconv.Itoa(records.MaxListLimit + 1)}, "since", "until", span{}, "want 1 … " + bound},
		{"limit zero", map[string]string{"limit": "0"}, "since", "until", span{}, `limit "0"`},
		{"limit negative", map[string]string{"limit": "-5"}, "since", "until", span{}, `limit "-5"`},
		{"limit not a number", map[string]string{"limit": "ten"}, "since", "until", span{}, `limit "ten"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range c.query {
				q.Set(k, v)
			}
			r := httptest.NewRequestWithContext(t.Context(), "GET", "/api/v1/alerts?"+q.Encode(), nil)
			got, err := parseSpan(r, c.since, c.until)
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("error %v", err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Fatalf("error %v, want one containing %q", err, c.err)
			}
			if !got.since.Equal(c.want.since) || !got.until.Equal(c.want.until) || got.limit != c.want.limit {
				t.Errorf("span %+v, want %+v", got, c.want)
			}
		})
	}
}
