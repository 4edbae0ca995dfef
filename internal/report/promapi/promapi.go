// Package promapi implements report.Querier over the Prometheus HTTP API
// (/api/v1/query, /api/v1/query_range) with net/http. Credentials go in
// headers (basic auth or bearer token) and never into error messages.
package promapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/report"
)

// Client talks to one Prometheus.
type Client struct {
	BaseURL     string // e.g. http://127.0.0.1:9090
	Username    string
	Password    string // secret
	BearerToken string // secret
	Timeout     time.Duration
	HTTP        *http.Client
}

// New returns a client with sane defaults.
func New(base string) *Client {
	return &Client{BaseURL: strings.TrimRight(base, "/"), Timeout: 60 * time.Second, HTTP: &http.Client{}}
}

type apiResp struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
	parsed []report.Series // set by successEnvelope
}

// redactedBase is the URL without userinfo, for messages.
func (c *Client) redactedBase() string {
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return "<invalid prometheus url>"
	}
	u.User = nil
	u.RawQuery = ""
	return u.String()
}

func (c *Client) do(ctx context.Context, path string, form url.Values) (*apiResp, error) {
	body, status, err := c.fetch(ctx, path, form)
	if err != nil {
		return nil, err
	}
	if ar, ok := successEnvelope(body); ok && status == http.StatusOK {
		return ar, nil
	}
	var ar apiResp
	if err := json.Unmarshal(body, &ar); err != nil {
		return nil, report.Errorf(report.ErrUnavailable, "Prometheus at %s answered HTTP %d with a non-API body", c.redactedBase(), status)
	}
	if err := c.apiError(status, ar.Status, ar.ErrorType, ar.Error); err != nil {
		return nil, err
	}
	return &ar, nil
}

// apiError maps a non-success API answer to an engine error.
func (c *Client) apiError(status int, st, errorType, msg string) error {
	if st == "success" {
		return nil
	}
	kind := report.ErrUnavailable
	if errorType == "timeout" || status == http.StatusServiceUnavailable && strings.Contains(msg, "timeout") {
		kind = report.ErrTimeout
	}
	return report.Errorf(kind, "Prometheus at %s: %s: %s", c.redactedBase(), errorType, scrub(msg, c))
}

// fetch POSTs form to path and returns the body and HTTP status.
func (c *Client) fetch(ctx context.Context, path string, form url.Values) ([]byte, int, error) {
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
		form.Set("timeout", strconv.FormatFloat(c.Timeout.Seconds(), 'f', 0, 64)+"s")
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, 0, report.Errorf(report.ErrUnavailable, "invalid Prometheus URL %q", c.redactedBase())
	}
	user, pass := c.Username, c.Password
	if u.User != nil { // credentials in the URL: move them to the header
		user = u.User.Username()
		pass, _ = u.User.Password()
		u.User = nil
	}
	u.Path = strings.TrimRight(u.Path, "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, 0, report.Errorf(report.ErrUnavailable, "building request to %s failed", c.redactedBase())
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.BearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.BearerToken)
	} else if user != "" {
		req.SetBasicAuth(user, pass)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			return nil, 0, report.Errorf(report.ErrTimeout, "Prometheus at %s did not answer within %v", c.redactedBase(), c.Timeout)
		}
		return nil, 0, report.Errorf(report.ErrUnavailable, "Prometheus at %s is unreachable: %s", c.redactedBase(), scrub(err.Error(), c))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, 0, report.Errorf(report.ErrTimeout, "Prometheus at %s did not answer within %v", c.redactedBase(), c.Timeout)
		}
		return nil, 0, report.Errorf(report.ErrUnavailable, "reading answer from Prometheus at %s failed", c.redactedBase())
	}
	return body, resp.StatusCode, nil
}

// scrub removes any secret that might be echoed back.
func scrub(s string, c *Client) string {
	for _, sec := range []string{c.Password, c.BearerToken} {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "<redacted>")
		}
	}
	if u, err := url.Parse(c.BaseURL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			s = strings.ReplaceAll(s, p, "<redacted>")
		}
	}
	return s
}

type rawSeries struct {
	Metric map[string]string `json:"metric"`
	Value  []any             `json:"value"`
	Values [][]any           `json:"values"`
}

func parsePoint(p []any) (report.Point, error) {
	if len(p) != 2 {
		return report.Point{}, fmt.Errorf("bad point")
	}
	ts, ok := p[0].(float64)
	if !ok {
		return report.Point{}, fmt.Errorf("bad timestamp")
	}
	s, ok := p[1].(string)
	if !ok {
		return report.Point{}, fmt.Errorf("bad value")
	}
	return point(ts, s)
}

// point is a sample from its JSON timestamp and value literal.
func point(ts float64, s string) (report.Point, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return report.Point{}, err
	}
	sec := int64(ts)
	ns := int64((ts - float64(sec)) * 1e9)
	return report.Point{T: time.Unix(sec, ns).Round(time.Millisecond).UTC(), V: v}, nil
}

func (c *Client) parse(ar *apiResp) ([]report.Series, error) {
	switch ar.Data.ResultType {
	case "scalar":
		var p []any
		if err := json.Unmarshal(ar.Data.Result, &p); err != nil {
			return nil, err
		}
		pt, err := parsePoint(p)
		if err != nil {
			return nil, err
		}
		return []report.Series{{Labels: map[string]string{}, Points: []report.Point{pt}}}, nil
	case "vector", "matrix":
	default:
		return nil, report.Errorf(report.ErrUnavailable, "unexpected result type %q", ar.Data.ResultType)
	}
	if ar.parsed != nil {
		return ar.parsed, nil
	}
	if out, err := parseSeriesFast(ar.Data.Result); err == nil {
		return out, nil
	}
	var rs []rawSeries
	if err := json.Unmarshal(ar.Data.Result, &rs); err != nil {
		return nil, report.Errorf(report.ErrUnavailable, "decoding Prometheus answer: %v", err)
	}
	out := make([]report.Series, 0, len(rs))
	for _, r := range rs {
		s := report.Series{Labels: r.Metric}
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		if r.Value != nil {
			pt, err := parsePoint(r.Value)
			if err != nil {
				return nil, report.Errorf(report.ErrUnavailable, "decoding sample: %v", err)
			}
			s.Points = []report.Point{pt}
		}
		for _, v := range r.Values {
			pt, err := parsePoint(v)
			if err != nil {
				return nil, report.Errorf(report.ErrUnavailable, "decoding sample: %v", err)
			}
			s.Points = append(s.Points, pt)
		}
		out = append(out, s)
	}
	return out, nil
}

func ts(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}

// Query implements report.Querier.
func (c *Client) Query(ctx context.Context, expr string, t time.Time) ([]report.Series, error) {
	ar, err := c.do(ctx, "/api/v1/query", url.Values{"query": {expr}, "time": {ts(t)}})
	if err != nil {
		return nil, err
	}
	return c.parse(ar)
}

// QueryRange implements report.Querier.
func (c *Client) QueryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) ([]report.Series, error) {
	ar, err := c.do(ctx, "/api/v1/query_range", url.Values{"query": {expr}, "start": {ts(start)}, "end": {ts(end)},
		"step": {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)}})
	if err != nil {
		return nil, err
	}
	return c.parse(ar)
}

// Series implements report.Querier: the label sets of the series matching
// match that have samples between start and end (/api/v1/series; the index
// and chunk ranges only, no sample is decoded).
func (c *Client) Series(ctx context.Context, match string, start, end time.Time) ([]map[string]string, error) {
	body, status, err := c.fetch(ctx, "/api/v1/series", url.Values{"match[]": {match}, "start": {ts(start)}, "end": {ts(end)}})
	if err != nil {
		return nil, err
	}
	var r struct {
		Status    string              `json:"status"`
		ErrorType string              `json:"errorType"`
		Error     string              `json:"error"`
		Data      []map[string]string `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, report.Errorf(report.ErrUnavailable, "Prometheus at %s answered HTTP %d with a non-API body", c.redactedBase(), status)
	}
	if err := c.apiError(status, r.Status, r.ErrorType, r.Error); err != nil {
		return nil, err
	}
	return r.Data, nil
}

// Retention returns the configured TSDB retention (from /api/v1/status/flags)
// and the oldest sample time (from /api/v1/status/tsdb is not exposed in
// 2.42; callers probe with a query instead).
func (c *Client) Retention(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return 0, report.Errorf(report.ErrUnavailable, "invalid Prometheus URL")
	}
	user, pass := c.Username, c.Password
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
		u.User = nil
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/api/v1/status/flags"
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if c.BearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.BearerToken)
	} else if user != "" {
		req.SetBasicAuth(user, pass)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, report.Errorf(report.ErrUnavailable, "Prometheus at %s is unreachable", c.redactedBase())
	}
	defer resp.Body.Close()
	var r struct {
		Data map[string]string `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, report.Errorf(report.ErrUnavailable, "status/flags: HTTP %d", resp.StatusCode)
	}
	s := r.Data["storage.tsdb.retention.time"]
	if s == "" || s == "0s" {
		s = r.Data["storage.tsdb.retention"]
	}
	return parsePromDuration(s)
}

func parsePromDuration(s string) (time.Duration, error) {
	if s == "" || s == "0s" {
		return 15 * 24 * time.Hour, nil
	}
	var total time.Duration
	units := map[byte]time.Duration{'y': 365 * 24 * time.Hour, 'w': 7 * 24 * time.Hour, 'd': 24 * time.Hour, 'h': time.Hour, 'm': time.Minute, 's': time.Second}
	num := ""
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= '0' && ch <= '9' {
			num += string(ch)
			continue
		}
		if ch == 'm' && i+1 < len(s) && s[i+1] == 's' {
			i++
			num = ""
			continue
		}
		u, ok := units[ch]
		if !ok || num == "" {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		n, _ := strconv.Atoi(num)
		total += time.Duration(n) * u
		num = ""
	}
	return total, nil
}
