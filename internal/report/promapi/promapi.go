// Package promapi implements report.Querier over the Prometheus HTTP API
// (/api/v1/query, /api/v1/query_range) with net/http. Credentials go in
// headers (basic auth or bearer token) and never into error messages.
package promapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/common/model"

	"github.com/jianguan/jianguan/internal/report"
)

// Memory bounds of a client. An answer is held in memory whole (the fast
// parser reads a []byte) and then decoded into report.Series (about 1.5× its
// size), so the client's peak is about MaxConcurrent × MaxAnswerBytes × 2.5
// plus what the engine keeps; QueryScan (scan.go) holds neither, only a
// 64 KiB buffer per answer and what its caller keeps, and RemoteRead
// (remoteread.go: the engine's raw reads on Prometheus) one frame of the
// streamed answer (Prometheus sends ≤ 1 MiB; ≤ 64 MiB is accepted), its
// decoded chunks and what its caller keeps, MaxAnswerBytes bounding the
// whole answer as for the others. An answer of unknown length is read in 1 MiB
// chunks and refused as soon as it passes the limit, so hostile answers cost
// at most MaxConcurrent × MaxAnswerBytes (defaults: 4 × 64 MiB; the CLI
// measured 254 MiB peak RSS against 200 MB answers).
const (
	// DefaultMaxAnswerBytes is the largest answer body read (64 MiB).
	DefaultMaxAnswerBytes = 64 << 20
	// DefaultMaxConcurrent is the number of requests in flight at once.
	DefaultMaxConcurrent = 4
	// MaxMaxAnswerBytes is the largest MaxAnswerBytes accepted (1 GiB).
	MaxMaxAnswerBytes = 1 << 30
	// MaxMaxConcurrent is the largest MaxConcurrent accepted.
	MaxMaxConcurrent = 32
)

// Client talks to one Prometheus.
type Client struct {
	BaseURL     string // e.g. http://127.0.0.1:9090
	Username    string
	Password    string // secret
	BearerToken string // secret
	Timeout     time.Duration
	HTTP        *http.Client
	// MaxAnswerBytes bounds one answer's body; a larger answer fails the
	// query with 「查询结果过大」 naming the query and the limit
	// (0 = DefaultMaxAnswerBytes).
	MaxAnswerBytes int64
	// MaxConcurrent bounds the requests in flight through this client (and
	// so the answer bytes held at once: MaxConcurrent × MaxAnswerBytes);
	// further queries wait (0 = DefaultMaxConcurrent). Read when the first
	// request starts.
	MaxConcurrent int
	// JSON selects the decoder of query answers: JSONFast (default, "")
	// is the hand-written vector/matrix decoder of fastparse.go, JSONStd
	// is encoding/json alone. Both give the same series
	// (TestDecodersAgree); docs/fastpaths.md has the measurements.
	JSON string
	// Compress lets Prometheus gzip its answers (Go's transport asks for
	// it and decompresses). New sets it for a Prometheus that is not on
	// this machine: over loopback compression saves no transfer and costs
	// Prometheus about a fifth of its CPU per report (gzip of the raw
	// reads' JSON, the bench's CPU profile of Prometheus: 23 % of its
	// samples in compress/flate) and the engine the decompression.
	Compress bool
	// NoRemoteRead keeps raw reads on the query API (RemoteRead answers
	// read false): for a proxy that passes only the query API, and to
	// compare the two paths (TestTrafficP95RecordedEqualsRaw, the bench).
	// Without it a backend with no streamed remote read is found out by
	// the first RemoteRead.
	NoRemoteRead bool

	semOnce sync.Once
	sem     chan struct{}
	// noRemoteRead: the backend answered a remote read with something
	// other than a streamed answer; RemoteRead no longer asks.
	noRemoteRead atomic.Bool
}

// New returns a client with sane defaults. Its transport keeps as many
// idle connections as it may have requests in flight (MaxMaxConcurrent):
// net/http's default keeps 2 per host, so a phase of a report build that
// sent 4 at once opened 2 new ones (~130 per build at 1 000 entities).
func New(base string) *Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = MaxMaxConcurrent
	return &Client{BaseURL: strings.TrimRight(base, "/"), Timeout: 60 * time.Second, HTTP: &http.Client{Transport: t},
		MaxAnswerBytes: DefaultMaxAnswerBytes, MaxConcurrent: DefaultMaxConcurrent, Compress: !Loopback(base)}
}

// Loopback reports whether the URL's host is this machine's loopback
// interface: localhost, 127.0.0.0/8 or ::1 (a name resolving there, such
// as a host alias, counts as remote).
func Loopback(base string) bool {
	u, err := url.Parse(base)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// The decoders Client.JSON selects.
const (
	JSONFast = "fast"
	JSONStd  = "std"
)

// ParseJSONDecoder checks a --report.json style setting: "" or "fast" is
// JSONFast, "std" is JSONStd.
func ParseJSONDecoder(s string) (string, error) {
	switch s {
	case "", JSONFast:
		return JSONFast, nil
	case JSONStd:
		return JSONStd, nil
	}
	return "", fmt.Errorf("JSON decoder %q: want %q or %q", s, JSONStd, JSONFast)
}

func (c *Client) fast() bool { return c.JSON != JSONStd }

// CheckLimits validates the client's bounds (callers check user input with
// it before the first query).
func (c *Client) CheckLimits() error {
	if c.Timeout <= 0 {
		return report.Errorf(report.ErrBadRequest, "Prometheus query timeout %v must be > 0", c.Timeout)
	}
	if c.MaxAnswerBytes < 0 || c.MaxAnswerBytes > MaxMaxAnswerBytes {
		return report.Errorf(report.ErrBadRequest, "maximum answer size %d bytes out of range: want 1 B … 1 GiB (default 64 MiB)", c.MaxAnswerBytes)
	}
	if c.MaxConcurrent < 0 || c.MaxConcurrent > MaxMaxConcurrent {
		return report.Errorf(report.ErrBadRequest, "concurrent queries %d out of range: want 1 … %d (default %d)", c.MaxConcurrent, MaxMaxConcurrent, DefaultMaxConcurrent)
	}
	if _, err := ParseJSONDecoder(c.JSON); err != nil {
		return report.Errorf(report.ErrBadRequest, "%v", err)
	}
	return nil
}

func (c *Client) maxAnswer() int64 {
	if c.MaxAnswerBytes <= 0 {
		return DefaultMaxAnswerBytes
	}
	return c.MaxAnswerBytes
}

// acquire takes one of the MaxConcurrent request slots.
func (c *Client) acquire(ctx context.Context) error {
	c.semOnce.Do(func() {
		n := c.MaxConcurrent
		if n <= 0 {
			n = DefaultMaxConcurrent
		}
		c.sem = make(chan struct{}, n)
	})
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) release() { <-c.sem }

// tooLarge is the error for an answer over the limit.
func (c *Client) tooLarge(form url.Values, got string) error {
	q := form.Get("query")
	if q == "" {
		q = form.Get("match[]")
	}
	if r := []rune(q); len(r) > 200 {
		q = string(r[:200]) + "…"
	}
	return report.Errorf(report.ErrTooLarge, "查询结果过大 / query answer too large: Prometheus at %s answered %s for query %q; the limit is %s per answer (raise it, or narrow the report with a filter)",
		c.redactedBase(), got, q, byteSize(c.maxAnswer()))
}

func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

type apiResp struct {
	Status    string   `json:"status"`
	ErrorType string   `json:"errorType"`
	Error     string   `json:"error"`
	Warnings  []string `json:"warnings"`
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
	return c.decode(body, status)
}

// decode turns an answer body into an API response with the selected
// decoder.
func (c *Client) decode(body []byte, status int) (*apiResp, error) {
	if c.fast() && status == http.StatusOK {
		if ar, ok := successEnvelope(body); ok {
			return ar, nil
		}
	}
	var ar apiResp
	if err := json.Unmarshal(body, &ar); err != nil {
		return nil, report.Errorf(report.ErrUnavailable, "Prometheus at %s answered HTTP %d with a non-API body", c.redactedBase(), status)
	}
	if err := c.apiError(status, ar.Status, ar.ErrorType, ar.Error); err != nil {
		return nil, err
	}
	if len(ar.Warnings) > 0 { // partial data: a report from it would not be complete
		w := ar.Warnings[0]
		if r := []rune(w); len(r) > 200 {
			w = string(r[:200]) + "…"
		}
		return nil, report.Errorf(report.ErrUnavailable, "Prometheus at %s answered with %d warning(s), e.g. %q: the data may be partial, so no report is produced", c.redactedBase(), len(ar.Warnings), scrub(w, c))
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
	var body []byte
	var status int
	err := c.request(ctx, path, form, func(ctx context.Context, resp *http.Response) error {
		limit := c.maxAnswer()
		if resp.ContentLength > limit {
			return c.tooLarge(form, byteSize(resp.ContentLength))
		}
		b, over, err := readLimited(resp.Body, resp.ContentLength, limit)
		if over {
			return c.tooLarge(form, "more than "+byteSize(limit))
		}
		if err != nil {
			return c.readError(ctx)
		}
		body, status = b, resp.StatusCode
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return body, status, nil
}

// readError is the error for an answer whose reading failed.
func (c *Client) readError(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return report.Errorf(report.ErrTimeout, "Prometheus at %s did not answer within %v", c.redactedBase(), c.Timeout)
	}
	return report.Errorf(report.ErrUnavailable, "reading answer from Prometheus at %s failed", c.redactedBase())
}

// request POSTs form to path in one of the request slots, within the
// client's timeout, and hands the answer to read (its body is closed and
// the slot released after read returns).
func (c *Client) request(ctx context.Context, path string, form url.Values, read func(context.Context, *http.Response) error) error {
	if c.Timeout > 0 {
		form.Set("timeout", strconv.FormatFloat(c.Timeout.Seconds(), 'f', 0, 64)+"s")
	}
	return c.post(ctx, path, []byte(form.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, read)
}

// post POSTs body with header to path in one of the request slots, within
// the client's timeout, and hands the answer to read (its body is closed
// and the slot released after read returns).
func (c *Client) post(ctx context.Context, path string, body []byte, header http.Header, read func(context.Context, *http.Response) error) error {
	if err := c.acquire(ctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) { // the slots are held by queries Prometheus is slow to answer
			return report.Errorf(report.ErrTimeout, "Prometheus at %s did not answer within the time limit (this query waited for one of the %d request slots)", c.redactedBase(), cap(c.sem))
		}
		return report.Errorf(report.ErrUnavailable, "query to Prometheus at %s cancelled while waiting for a request slot: %v", c.redactedBase(), err)
	}
	defer c.release()
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return report.Errorf(report.ErrUnavailable, "invalid Prometheus URL %q", c.redactedBase())
	}
	user, pass := c.Username, c.Password
	if u.User != nil { // credentials in the URL: move them to the header
		user = u.User.Username()
		pass, _ = u.User.Password()
		u.User = nil
	}
	u.Path = strings.TrimRight(u.Path, "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return report.Errorf(report.ErrUnavailable, "building request to %s failed", c.redactedBase())
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if !c.Compress {
		// Set explicitly, so Go's transport neither asks for gzip nor
		// expects it.
		req.Header.Set("Accept-Encoding", "identity")
	}
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
			return report.Errorf(report.ErrTimeout, "Prometheus at %s did not answer within %v", c.redactedBase(), c.Timeout)
		}
		return report.Errorf(report.ErrUnavailable, "Prometheus at %s is unreachable: %s", c.redactedBase(), scrub(err.Error(), c))
	}
	defer resp.Body.Close()
	if !c.Compress && resp.Header.Get("Content-Encoding") == "gzip" {
		// Compressed although not asked for (a proxy's doing): the
		// transport leaves it to us.
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return report.Errorf(report.ErrUnavailable, "Prometheus at %s sent a broken gzip answer", c.redactedBase())
		}
		defer zr.Close()
		resp.Body, resp.ContentLength = zr, -1
		resp.Header.Del("Content-Encoding")
	}
	return read(ctx, resp)
}

// readLimited reads at most limit bytes of r; over reports a longer body
// (it stops reading at limit+1). With a known length the body is read into
// one allocation; otherwise into 1 MiB chunks joined once at the end, so no
// doubling buffer leaves garbage of the answer's size behind.
func readLimited(r io.Reader, length, limit int64) (body []byte, over bool, err error) {
	if length >= 0 && length <= limit {
		body = make([]byte, length)
		if _, err = io.ReadFull(r, body); err != nil {
			return nil, false, err
		}
		var one [1]byte // the server must not send more than it announced
		if n, _ := r.Read(one[:]); n > 0 {
			return nil, false, fmt.Errorf("answer longer than its Content-Length")
		}
		return body, false, nil
	}
	const chunk = 1 << 20
	var chunks [][]byte
	var total int64
	for {
		b := make([]byte, chunk)
		n, err := io.ReadFull(r, b)
		total += int64(n)
		if total > limit {
			return nil, true, nil
		}
		if n > 0 {
			chunks = append(chunks, b[:n])
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, false, err
		}
	}
	body = make([]byte, 0, total)
	for _, b := range chunks {
		body = append(body, b...)
	}
	return body, false, nil
}

// scrub removes any secret that might be echoed back: the password, the
// token and the Authorization header value itself (basic auth's base64 of
// user:password, which a proxy or an error page may quote).
func scrub(s string, c *Client) string {
	return Scrub(s, c.Secrets()...)
}

// Secrets lists every form in which the client's credentials can appear in
// text: the password, the token and the Authorization header values.
func (c *Client) Secrets() []string {
	user, pass := c.Username, c.Password
	if u, err := url.Parse(c.BaseURL); err == nil && u.User != nil {
		user = u.User.Username()
		if p, ok := u.User.Password(); ok {
			pass = p
		}
	}
	var out []string
	if pass != "" {
		out = append(out, pass, base64.StdEncoding.EncodeToString([]byte(user+":"+pass)), url.QueryEscape(pass), url.PathEscape(pass))
	}
	if c.BearerToken != "" {
		out = append(out, c.BearerToken)
	}
	return out
}

// Scrub replaces every secret in s with <redacted>, longest first.
func Scrub(s string, secrets ...string) string {
	ss := append([]string(nil), secrets...)
	sort.Slice(ss, func(i, j int) bool { return len(ss[i]) > len(ss[j]) })
	for _, sec := range ss {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "<redacted>")
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
	if c.fast() {
		if out, err := parseSeriesFast(ar.Data.Result); err == nil {
			return out, nil
		}
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
		Warnings  []string            `json:"warnings"`
		Data      []map[string]string `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, report.Errorf(report.ErrUnavailable, "Prometheus at %s answered HTTP %d with a non-API body", c.redactedBase(), status)
	}
	if err := c.apiError(status, r.Status, r.ErrorType, r.Error); err != nil {
		return nil, err
	}
	if len(r.Warnings) > 0 {
		return nil, report.Errorf(report.ErrUnavailable, "Prometheus at %s answered the series API with %d warning(s): the data may be partial, so no report is produced", c.redactedBase(), len(r.Warnings))
	}
	return r.Data, nil
}

// flags returns the backend's command-line flags (/api/v1/status/flags).
func (c *Client) flags(ctx context.Context) (map[string]string, error) {
	body, status, err := c.get(ctx, "/api/v1/status/flags")
	if err != nil {
		return nil, err
	}
	var r struct {
		Status string            `json:"status"`
		Data   map[string]string `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil || status != http.StatusOK || r.Status != "success" {
		return nil, report.Errorf(report.ErrUnavailable, "status/flags: HTTP %d", status)
	}
	return r.Data, nil
}

// Retention returns the configured TSDB retention (from /api/v1/status/flags)
// and the oldest sample time (from /api/v1/status/tsdb is not exposed in
// 2.42; callers probe with a query instead).
func (c *Client) Retention(ctx context.Context) (time.Duration, error) {
	f, err := c.flags(ctx)
	if err != nil {
		return 0, err
	}
	s := f["storage.tsdb.retention.time"]
	if s == "" || s == "0s" {
		s = f["storage.tsdb.retention"]
	}
	return parsePromDuration(s)
}

// LookbackDelta returns the lookback of the backend's instant queries,
// its flag --query.lookback-delta (/api/v1/status/flags): how far before
// an instant a series' last sample is taken. An error when the backend
// does not say (VictoriaMetrics has no such flag).
func (c *Client) LookbackDelta(ctx context.Context) (time.Duration, error) {
	f, err := c.flags(ctx)
	if err != nil {
		return 0, err
	}
	d, err := model.ParseDuration(f["query.lookback-delta"])
	if err != nil || d <= 0 {
		return 0, report.Errorf(report.ErrUnavailable, "status/flags: query.lookback-delta %q", f["query.lookback-delta"])
	}
	return time.Duration(d), nil
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
