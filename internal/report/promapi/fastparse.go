package promapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/jianguan/jianguan/internal/report"
)

// parseSeriesFast decodes a vector or matrix result
// ([{"metric":{…},"value":[t,"v"]} …] or "values":[[t,"v"],…]) by hand. A
// month of raw samples or a day of incident steps is hundreds of thousands
// of pairs, and encoding/json (reflection, one []any per pair) made the
// client's decoding cost as much CPU as Prometheus answering. Numbers are
// parsed as encoding/json and parsePoint do (strconv.ParseFloat of the
// literal, the timestamp rounded to the millisecond). Anything unexpected
// returns an error and the caller falls back to encoding/json.
func parseSeriesFast(b []byte) ([]report.Series, error) {
	p := &fastParser{b: b}
	p.ws()
	if !p.eat('[') {
		return nil, errFast
	}
	var out []report.Series
	p.ws()
	if p.eat(']') {
		if p.ws(); p.i != len(p.b) {
			return nil, errFast
		}
		return []report.Series{}, nil
	}
	for {
		s, err := p.series()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		if done, err := p.next(']'); err != nil {
			return nil, err
		} else if done {
			break
		}
	}
	p.ws()
	if p.i != len(p.b) {
		return nil, errFast
	}
	return out, nil
}

var errFast = errors.New("unexpected JSON")

// successEnvelope recognises Prometheus' usual success answer,
// {"status":"success","data":{"resultType":"…","result":…}}, without a
// pass of encoding/json over the whole body, and parses its vector or
// matrix; any other shape of answer, or one the fast parser does not take
// entirely, goes the general way.
func successEnvelope(body []byte) (*apiResp, bool) {
	const pre = `{"status":"success","data":{"resultType":"`
	if !bytes.HasPrefix(body, []byte(pre)) {
		return nil, false
	}
	rest := body[len(pre):]
	q := bytes.IndexByte(rest, '"')
	if q < 0 {
		return nil, false
	}
	rt := string(rest[:q])
	rest = rest[q:]
	const mid = `","result":`
	end := bytes.TrimRight(rest, " \n\r\t")
	if !bytes.HasPrefix(rest, []byte(mid)) || !bytes.HasSuffix(end, []byte("}}")) {
		return nil, false
	}
	if rt != "vector" && rt != "matrix" {
		return nil, false
	}
	res := end[len(mid) : len(end)-2]
	parsed, err := parseSeriesFast(res)
	if err != nil {
		return nil, false
	}
	ar := &apiResp{Status: "success", parsed: parsed}
	ar.Data.ResultType, ar.Data.Result = rt, res
	return ar, true
}

type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\n' || p.b[p.i] == '\t' || p.b[p.i] == '\r') {
		p.i++
	}
}

// next consumes the separator after a member: ',' (more follow) or the
// closing byte (done); anything else is an error.
func (p *fastParser) next(closing byte) (done bool, err error) {
	p.ws()
	if p.eat(',') {
		return false, nil
	}
	if p.eat(closing) {
		return true, nil
	}
	return false, errFast
}

func (p *fastParser) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a JSON string; escapes are left to encoding/json.
func (p *fastParser) str() (string, error) {
	p.ws()
	if !p.eat('"') {
		return "", errFast
	}
	st, esc := p.i, false
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '\\' {
			esc = true
			p.i += 2
			continue
		}
		if c == '"' {
			raw := p.b[st:p.i]
			p.i++
			if !esc {
				if !utf8.Valid(raw) {
					return "", errFast // encoding/json substitutes U+FFFD
				}
				return string(raw), nil
			}
			var s string
			if err := json.Unmarshal(p.b[st-1:p.i], &s); err != nil {
				return "", err
			}
			return s, nil
		}
		if c < 0x20 {
			return "", errFast
		}
		p.i++
	}
	return "", errFast
}

// point reads [t,"v"].
func (p *fastParser) point() (report.Point, error) {
	p.ws()
	if !p.eat('[') {
		return report.Point{}, errFast
	}
	p.ws()
	st := p.i
	for p.i < len(p.b) && p.b[p.i] != ',' && p.b[p.i] != ' ' {
		p.i++
	}
	t, err := strconv.ParseFloat(string(p.b[st:p.i]), 64)
	if err != nil || !jsonNumber(p.b[st:p.i]) {
		return report.Point{}, errFast
	}
	p.ws()
	if !p.eat(',') {
		return report.Point{}, errFast
	}
	vs, err := p.str()
	if err != nil {
		return report.Point{}, err
	}
	p.ws()
	if !p.eat(']') {
		return report.Point{}, errFast
	}
	return point(t, vs)
}

func (p *fastParser) series() (report.Series, error) {
	s := report.Series{Labels: map[string]string{}}
	p.ws()
	if !p.eat('{') {
		return s, errFast
	}
	p.ws()
	if p.eat('}') {
		return s, nil
	}
	seen := map[string]bool{}
	for {
		k, err := p.str()
		if err != nil {
			return s, err
		}
		if seen[k] || (k == "value" && seen["values"]) {
			return s, errFast // unusual shapes: encoding/json decides
		}
		seen[k] = true
		p.ws()
		if !p.eat(':') {
			return s, errFast
		}
		p.ws()
		switch k {
		case "metric":
			if !p.eat('{') {
				return s, errFast
			}
			if p.ws(); !p.eat('}') {
				for {
					lk, err := p.str()
					if err != nil {
						return s, err
					}
					p.ws()
					if !p.eat(':') {
						return s, errFast
					}
					lv, err := p.str()
					if err != nil {
						return s, err
					}
					s.Labels[lk] = lv
					if done, err := p.next('}'); err != nil {
						return s, err
					} else if done {
						break
					}
				}
			}
		case "value":
			pt, err := p.point()
			if err != nil {
				return s, err
			}
			s.Points = append([]report.Point{pt}, s.Points...)
		case "values":
			if !p.eat('[') {
				return s, errFast
			}
			if p.ws(); !p.eat(']') {
				for {
					pt, err := p.point()
					if err != nil {
						return s, err
					}
					s.Points = append(s.Points, pt)
					if done, err := p.next(']'); err != nil {
						return s, err
					} else if done {
						break
					}
				}
			}
		default:
			return s, errFast // histograms and the like: encoding/json
		}
		if done, err := p.next('}'); err != nil {
			return s, err
		} else if done {
			return s, nil
		}
	}
}

// jsonNumber reports whether b is a JSON number,
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? (strconv also takes Inf,
// NaN, hex, underscores and "1.").
func jsonNumber(b []byte) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}
