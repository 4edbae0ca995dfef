package main

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/jianguan/jianguan/internal/records"
)

// span is the time range and row bound of a list request: since and until
// (zero when absent) and limit (0 when absent: the store's default).
type span struct {
	since, until time.Time
	limit        int
}

// parseSpan reads a list request's time range from the query parameters
// sinceName and untilName (since/until, or slotSince/slotUntil for
// /records/find; RFC 3339, each optional) and its limit (1 …
// records.MaxListLimit). until before since is refused: the store would
// answer an empty list for what is a mistake in the request.
func parseSpan(r *http.Request, sinceName, untilName string) (span, error) {
	var s span
	var err error
	if s.since, err = parseTimeParam(r, sinceName); err != nil {
		return span{}, err
	}
	if s.until, err = parseTimeParam(r, untilName); err != nil {
		return span{}, err
	}
	if !s.since.IsZero() && !s.until.IsZero() && s.until.Before(s.since) {
		return span{}, fmt.Errorf("%s %s is before %s %s: want %s ≤ %s", untilName, s.until.Format(time.RFC3339),
			sinceName, s.since.Format(time.RFC3339), sinceName, untilName)
	}
	if s.limit, err = parseLimit(r); err != nil {
		return span{}, err
	}
	return s, nil
}

// parseTimeParam reads the query parameter name as RFC 3339; zero when absent.
func parseTimeParam(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, fmt.Errorf("%s: want RFC 3339 (2026-11-01T00:00:00+08:00): %w", name, err)
	}
	return t, nil
}

// parseLimit reads limit: 1 … records.MaxListLimit; 0 when absent.
func parseLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > records.MaxListLimit {
		return 0, fmt.Errorf("limit %q: want 1 … %d", v, records.MaxListLimit)
	}
	return n, nil
}
