package promapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"
)

// QueryScan evaluates expr at t as Query does, but decodes the answer while
// it arrives and hands it over series by series instead of returning it
// (issue 24): neither the body nor the decoded []report.Series is held, so
// an answer of 400 000 raw samples costs what the caller keeps of it rather
// than ~12 MB of JSON plus ~13 MB of points. series is called with each
// series' labels (a new map, __name__ included) and returns where that
// series' samples go, in the answer's order: unix ms (rounded as Query
// rounds) and value. It returns the number of series.
//
// scanned is false, with no error, when the answer is not one the
// streaming decoder takes whole (the general decoder selected, an answer
// not shaped as Prometheus' plain success, with warnings, escapes it does
// not know, a body cut short): the caller then runs Query, and drops what
// series received. Failed queries (HTTP errors, timeouts, answers over
// MaxAnswerBytes) are the same errors as Query's.
func (c *Client) QueryScan(ctx context.Context, expr string, t time.Time, series func(labels map[string]string) func(t int64, v float64)) (n int, scanned bool, err error) {
	if !c.fast() {
		return 0, false, nil
	}
	form := url.Values{"query": {expr}, "time": {ts(t)}}
	err = c.request(ctx, "/api/v1/query", form, func(ctx context.Context, resp *http.Response) error {
		limit := c.maxAnswer()
		if resp.ContentLength > limit {
			return c.tooLarge(form, byteSize(resp.ContentLength))
		}
		if resp.StatusCode != http.StatusOK { // the error answer, as Query reports it
			body, over, err := readLimited(resp.Body, resp.ContentLength, limit)
			if over {
				return c.tooLarge(form, "more than "+byteSize(limit))
			}
			if err != nil {
				return c.readError(ctx)
			}
			_, err = c.decode(body, resp.StatusCode)
			return err // nil: not scanned
		}
		lr := &limitedReader{r: resp.Body, left: limit}
		sc := &streamScanner{r: bufio.NewReaderSize(lr, 64<<10)}
		var err error
		n, err = sc.answer(series)
		switch {
		case lr.over:
			return c.tooLarge(form, "more than "+byteSize(limit))
		case errors.Is(err, errFast) || errors.Is(err, io.ErrUnexpectedEOF):
			return nil // not scanned
		case err != nil:
			return c.readError(ctx)
		}
		scanned = true
		return nil
	})
	if err != nil || !scanned {
		return 0, false, err
	}
	return n, true, nil
}

// limitedReader reads at most left bytes of r; over is set (and an error
// returned) when the body is longer.
type limitedReader struct {
	r    io.Reader
	left int64
	over bool
}

var errOver = errors.New("answer over the limit")

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			l.over = true
			return 0, errOver
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// streamScanner decodes Prometheus' success answer of a vector or matrix
// from a reader with the rules of fastParser (fastparse.go): the same
// envelope (no white space before the result), numbers and strings as
// encoding/json takes them, anything unusual errFast.
type streamScanner struct {
	r   *bufio.Reader
	buf []byte // the raw bytes of the string being read
}

// answer reads the whole answer, calling series per series.
func (s *streamScanner) answer(series func(map[string]string) func(int64, float64)) (int, error) {
	const pre = `{"status":"success","data":{"resultType":"`
	var head [len(pre)]byte
	if _, err := io.ReadFull(s.r, head[:]); err != nil {
		return 0, eofFast(err)
	}
	if string(head[:]) != pre {
		return 0, errFast
	}
	rt, err := s.rawString()
	if err != nil {
		return 0, err
	}
	if rt != "vector" && rt != "matrix" {
		return 0, errFast
	}
	const mid = `,"result":`
	var m [len(mid)]byte
	if _, err := io.ReadFull(s.r, m[:]); err != nil {
		return 0, eofFast(err)
	}
	if string(m[:]) != mid {
		return 0, errFast
	}
	if err := s.expect('['); err != nil {
		return 0, err
	}
	n := 0
	if c, err := s.next(); err != nil {
		return 0, err
	} else if c != ']' {
		s.unread()
		for {
			if err := s.series(series); err != nil {
				return 0, err
			}
			n++
			if done, err := s.sep(']'); err != nil {
				return 0, err
			} else if done {
				break
			}
		}
	}
	for range 2 {
		if err := s.expect('}'); err != nil {
			return 0, err
		}
	}
	if _, err := s.next(); !errors.Is(err, io.EOF) { // only white space after the answer
		if err == nil {
			return 0, errFast
		}
		return 0, err
	}
	return n, nil
}

// eofFast is errFast for a body cut short, else err.
func eofFast(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errFast
	}
	return err
}

// next is the next byte that is not JSON white space (io.EOF at the end).
func (s *streamScanner) next() (byte, error) {
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return 0, err
		}
		if c != ' ' && c != '\n' && c != '\t' && c != '\r' {
			return c, nil
		}
	}
}

func (s *streamScanner) unread() { _ = s.r.UnreadByte() }

// expect consumes white space and c.
func (s *streamScanner) expect(c byte) error {
	b, err := s.next()
	if err != nil {
		return eofFast(err)
	}
	if b != c {
		return errFast
	}
	return nil
}

// sep consumes the separator after a member: ',' (more follow) or closing.
func (s *streamScanner) sep(closing byte) (done bool, err error) {
	c, err := s.next()
	if err != nil {
		return false, eofFast(err)
	}
	switch c {
	case ',':
		return false, nil
	case closing:
		return true, nil
	}
	return false, errFast
}

// str reads a JSON string after white space.
func (s *streamScanner) str() (string, error) {
	if err := s.expect('"'); err != nil {
		return "", err
	}
	return s.rawString()
}

// rawString reads the rest of a string whose opening quote was read.
func (s *streamScanner) rawString() (string, error) {
	s.buf = append(s.buf[:0], '"')
	esc := false
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return "", eofFast(err)
		}
		switch {
		case c == '\\':
			esc = true
			d, err := s.r.ReadByte()
			if err != nil {
				return "", eofFast(err)
			}
			s.buf = append(s.buf, c, d)
			continue
		case c == '"':
			raw := s.buf[1:]
			if !esc {
				if !utf8.Valid(raw) {
					return "", errFast // encoding/json substitutes U+FFFD
				}
				return string(raw), nil
			}
			s.buf = append(s.buf, '"')
			var v string
			if err := json.Unmarshal(s.buf, &v); err != nil {
				return "", errFast
			}
			return v, nil
		case c < 0x20:
			return "", errFast
		}
		s.buf = append(s.buf, c)
	}
}

// point reads [t,"v"] and gives it to add. The point is taken from the
// reader's buffer in one piece (up to its ']'), and Prometheus' usual
// forms are read without strconv: a timestamp of at most 10 digits and 3
// decimals straight into milliseconds, a value of at most 15 digits as an
// integer — both exactly what the float path gives (TestPointFastForms).
func (s *streamScanner) point(add func(int64, float64)) error {
	if err := s.expect('['); err != nil {
		return err
	}
	b, err := s.r.ReadSlice(']')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return errFast
		}
		return eofFast(err)
	}
	b = b[:len(b)-1]
	i := bytes.IndexByte(b, ',')
	if i < 0 {
		return errFast
	}
	num, val := trimJSONSpace(b[:i]), trimJSONSpace(b[i+1:])
	if !jsonNumber(num) || len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
		return errFast
	}
	raw := val[1 : len(val)-1]
	var vs string
	switch {
	case bytes.IndexByte(raw, '\\') >= 0:
		var ok bool
		if vs, ok = unescape(val); !ok {
			return errFast
		}
	case bytes.IndexByte(raw, '"') >= 0 || !plainString(raw):
		return errFast // as str: control characters, invalid UTF-8
	}
	ms, ok := millis(num)
	v, okV := integer(raw)
	if !ok || !okV {
		if vs == "" {
			vs = string(raw)
		}
		t, err := strconv.ParseFloat(string(num), 64)
		if err != nil {
			return errFast
		}
		p, err := point(t, vs)
		if err != nil {
			return errFast
		}
		ms, v = p.T.UnixMilli(), p.V
	}
	if add != nil {
		add(ms, v)
	}
	return nil
}

// unescape decodes the JSON string q (quotes included) as encoding/json
// does (apart, so that point's locals do not move to the heap).
func unescape(q []byte) (string, bool) {
	var v string
	if err := json.Unmarshal(q, &v); err != nil {
		return "", false
	}
	return v, true
}

// trimJSONSpace drops JSON white space at both ends of b.
func trimJSONSpace(b []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// plainString reports whether b, the inside of a JSON string without
// escapes, is one the decoder takes as it is: no control characters,
// valid UTF-8.
func plainString(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return false
		}
		if c >= utf8.RuneSelf {
			return utf8.Valid(b)
		}
	}
	return true
}

// millis reads a timestamp of 1–10 digits and, optionally, 1–3 decimals
// (Prometheus writes sample times so) into unix milliseconds; ok false
// for any other form.
func millis(b []byte) (int64, bool) {
	var ms int64
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		ms = ms*10 + int64(b[i]-'0')
		i++
	}
	if i == 0 || i > 10 {
		return 0, false
	}
	frac := 0
	if i < len(b) {
		if b[i] != '.' {
			return 0, false
		}
		for i++; i < len(b); i++ {
			if b[i] < '0' || b[i] > '9' || frac == 3 {
				return 0, false
			}
			ms = ms*10 + int64(b[i]-'0')
			frac++
		}
		if frac == 0 {
			return 0, false
		}
	}
	for ; frac < 3; frac++ {
		ms *= 10
	}
	return ms, true
}

// integer reads a value of 1–15 digits, as strconv.ParseFloat would
// (every such integer is exact in a float64); ok false for any other form.
func integer(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return float64(n), true
}

// series reads one {"metric":{…},"value":[…]} or "values":[[…],…]; the
// metric must come first (Prometheus writes it first), so that the samples
// go where series says for its labels.
func (s *streamScanner) series(series func(map[string]string) func(int64, float64)) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	labels := map[string]string{}
	var add func(int64, float64)
	if c, err := s.next(); err != nil {
		return eofFast(err)
	} else if c == '}' {
		series(labels)
		return nil
	}
	s.unread()
	seen := map[string]bool{}
	for {
		k, err := s.str()
		if err != nil {
			return err
		}
		if seen[k] || (k == "value" && seen["values"]) || (k != "metric" && !seen["metric"]) {
			return errFast // unusual shapes: Query decides
		}
		seen[k] = true
		if err := s.expect(':'); err != nil {
			return err
		}
		switch k {
		case "metric":
			if err := s.expect('{'); err != nil {
				return err
			}
			if c, err := s.next(); err != nil {
				return eofFast(err)
			} else if c != '}' {
				s.unread()
				for {
					lk, err := s.str()
					if err != nil {
						return err
					}
					if err := s.expect(':'); err != nil {
						return err
					}
					lv, err := s.str()
					if err != nil {
						return err
					}
					labels[lk] = lv
					if done, err := s.sep('}'); err != nil {
						return err
					} else if done {
						break
					}
				}
			}
			add = series(labels)
		case "value":
			if err := s.point(add); err != nil {
				return err
			}
		case "values":
			if err := s.expect('['); err != nil {
				return err
			}
			if c, err := s.next(); err != nil {
				return eofFast(err)
			} else if c != ']' {
				s.unread()
				for {
					if err := s.point(add); err != nil {
						return err
					}
					if done, err := s.sep(']'); err != nil {
						return err
					} else if done {
						break
					}
				}
			}
		default:
			return errFast // histograms and the like
		}
		if done, err := s.sep('}'); err != nil {
			return err
		} else if done {
			return nil
		}
	}
}
