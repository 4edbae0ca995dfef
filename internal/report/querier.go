// Package report is the pure report engine: given a Querier (a
// Prometheus-compatible query API), a Config and an Asia/Shanghai calendar
// month it builds a Document; renderers turn a Document into HTML, PDF, CSV,
// XLSX and JSON. No Grafana and no HTTP server live here.
package report

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Point is one sample.
type Point struct {
	T time.Time
	V float64
}

// Series is one labelled series; an instant vector element has one point.
type Series struct {
	Labels map[string]string
	Points []Point
}

// Querier is the only thing the engine needs from Prometheus.
type Querier interface {
	// Query evaluates expr at t. Instant vectors give one point per series,
	// range vectors (expr[...]) give the raw samples.
	Query(ctx context.Context, expr string, t time.Time) ([]Series, error)
	// QueryRange evaluates expr at start, start+step, …, end.
	QueryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) ([]Series, error)
	// Series returns the label sets (with __name__) of the series matching
	// the selector match that have samples between start and end. It reads
	// the index, not the samples. A backend may return a superset (series
	// with samples near the range); the engine checks.
	Series(ctx context.Context, match string, start, end time.Time) ([]map[string]string, error)
}

// ErrorKind classifies query errors for callers (HTTP status mapping).
type ErrorKind int

const (
	ErrUnavailable ErrorKind = iota // backend down / bad gateway → 502
	ErrTimeout                      // backend too slow → 504
	ErrBadRequest                   // caller's mistake → 400
	ErrTooLarge                     // an answer over the client's byte limit (查询结果过大) → 502
	ErrNoData                       // no series in the period (本期无监测数据) → 404
)

// Error is an engine error with a kind; its message never contains
// credentials.
type Error struct {
	Kind ErrorKind
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Errorf builds an *Error.
func Errorf(kind ErrorKind, format string, a ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, a...)}
}

// KindOf returns the kind of err (ErrUnavailable when unknown).
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ErrTimeout
	}
	return ErrUnavailable
}

var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// QuoteLabelValue returns v as a PromQL string literal. Every label value
// that comes from a parameter goes through here: no PromQL can be injected.
func QuoteLabelValue(v string) string { return strconv.Quote(v) }

// Matchers renders label filters as a PromQL matcher list body
// (`a="x",b="y"`), rejecting invalid label names.
func Matchers(filter map[string]string) (string, error) {
	keys := make([]string, 0, len(filter))
	for k := range filter {
		if !labelNameRE.MatchString(k) {
			return "", Errorf(ErrBadRequest, "invalid label name %q in filter", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+QuoteLabelValue(filter[k]))
	}
	return strings.Join(parts, ","), nil
}

// RegexAlternation renders values as an anchored, escaped regex literal for
// =~ matchers.
func RegexAlternation(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = regexp.QuoteMeta(v)
	}
	return QuoteLabelValue(strings.Join(q, "|"))
}

// labelKey is a stable identity of a label set (without __name__).
func labelKey(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		if k != "__name__" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	// The bytes allocated once at their size where no value needs
	// escapes (a year's providers report makes ~10⁵ keys; strconv.Quote's
	// own string and the builder's growth were half their cost).
	n := 0
	for _, k := range keys {
		n += len(k) + len(l[k]) + 4
	}
	b := make([]byte, 0, n)
	for _, k := range keys {
		b = append(b, k...)
		b = append(b, '=')
		b = strconv.AppendQuote(b, l[k])
		b = append(b, ',')
	}
	return string(b)
}

func stripName(l map[string]string) map[string]string {
	m := make(map[string]string, len(l))
	for k, v := range l {
		if k != "__name__" {
			m[k] = v
		}
	}
	return m
}
