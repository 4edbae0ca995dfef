package promapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"

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
		return []report.Series{}, nil
	}
	for {
		s, err := p.series()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		p.ws()
		if p.eat(',') {
			continue
		}
		if p.eat(']') {
			break
		}
		return nil, errFast
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
	if err != nil {
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
	for {
		p.ws()
		if p.eat('}') {
			return s, nil
		}
		k, err := p.str()
		if err != nil {
			return s, err
		}
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
			for {
				p.ws()
				if p.eat('}') {
					break
				}
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
				p.ws()
				p.eat(',')
			}
		case "value":
			pt, err := p.point()
			if err != nil {
				return s, err
			}
			s.Points = []report.Point{pt}
		case "values":
			if !p.eat('[') {
				return s, errFast
			}
			for {
				p.ws()
				if p.eat(']') {
					break
				}
				pt, err := p.point()
				if err != nil {
					return s, err
				}
				s.Points = append(s.Points, pt)
				p.ws()
				p.eat(',')
			}
		default:
			return s, errFast // histograms and the like: encoding/json
		}
		p.ws()
		p.eat(',')
	}
}
