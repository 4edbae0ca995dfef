// Package redact keeps secrets carried in URLs out of errors and logs.
//
// Outbound HTTP calls put secrets in URLs: WeCom's gettoken takes
// `corpsecret` in the query, message/send takes `access_token`, group-robot
// webhooks take `key`, and URLs may carry `user:password@`. Go's
// *url.Error (what http.Client.Do returns on every transport failure:
// refused connection, timeout, TLS error, bad redirect) prints the full
// URL, query included; only the password is stripped.
//
// Policy (one rule, no list of "secret" parameter names to forget):
//   - the value of EVERY query parameter is replaced by "<redacted>"
//     (names stay, so a log still tells gettoken from message/send; an
//     empty value stays empty); a parameter without "=" is replaced as a
//     whole;
//   - a fragment is replaced as a whole;
//   - userinfo keeps the user name and loses the password;
//   - scheme, host and path are kept. A secret in the PATH (e.g.
//     Slack-style /services/T/B/SECRET webhooks) is NOT recognised: do
//     not put secrets in paths, or log only Name()s chosen by hand.
//
// Use Client (or Error on every error of an outbound call) for every
// outbound HTTP call whose URL may hold a secret.
package redact

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Mask replaces every secret part.
const Mask = "<redacted>"

// URL returns raw with every query value, the fragment and the userinfo
// password replaced by Mask. A string that does not parse as a URL keeps
// only what precedes its first '?' or '#' (the rest masked) and loses
// its userinfo password the same way. URL(URL(s)) == URL(s).
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return textual(raw)
	}
	c := *u
	c.User, c.RawQuery, c.Fragment, c.RawFragment, c.ForceQuery = nil, "", "", "", false
	s := c.String()
	if u.User != nil {
		ui := u.User.Username()
		if _, ok := u.User.Password(); ok {
			ui += ":" + Mask
		}
		if i := strings.Index(s, "//"); i >= 0 && u.Host != "" {
			s = s[:i+2] + ui + "@" + s[i+2:]
		}
	}
	if u.RawQuery != "" || u.ForceQuery {
		s += "?" + query(u.RawQuery)
	}
	if u.Fragment != "" {
		s += "#" + Mask
	}
	return s
}

func query(rq string) string {
	if rq == "" {
		return ""
	}
	parts := strings.Split(rq, "&")
	for i, p := range parts {
		if p == "" {
			continue
		}
		if k, v, ok := strings.Cut(p, "="); ok {
			if v != "" {
				parts[i] = k + "=" + Mask
			}
		} else {
			parts[i] = Mask
		}
	}
	return strings.Join(parts, "&")
}

// textual handles what url.Parse refuses (bad escapes, control characters).
func textual(raw string) string {
	s := raw
	cut := len(s)
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		cut = i
	}
	tail := ""
	if cut < len(s) {
		tail = string(s[cut]) + Mask
	}
	s = s[:cut]
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		host := rest
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			host = rest[:j]
		}
		if at := strings.LastIndexByte(host, '@'); at >= 0 {
			ui := host[:at]
			if c := strings.IndexByte(ui, ':'); c >= 0 {
				ui = ui[:c+1] + Mask
			}
			s = s[:i+3] + ui + "@" + rest[at+1:]
		}
	}
	return s + tail
}

// urlInText finds URLs in free text (what net/http, proxies and servers
// put into messages): quoted the way *url.Error and %q print them (to the
// closing quote: spaces and escaped quotes included), or bare (to white
// space or a quote; anything else, '<' and '>' too, is taken as part of
// the URL so that no part of a value stays behind).
var urlInText = regexp.MustCompile(`"[A-Za-z][A-Za-z0-9+.\-]*://(?:[^"\\]|\\.)*"|[A-Za-z][A-Za-z0-9+.\-]*://[^\s"'` + "`" + `]+`)

// Text returns s with every URL in it passed through URL.
func Text(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlInText.ReplaceAllStringFunc(s, func(m string) string {
		if m[0] != '"' {
			return URL(m)
		}
		if u, err := strconv.Unquote(m); err == nil {
			return strconv.Quote(URL(u))
		}
		return `"` + URL(m[1:len(m)-1]) + `"`
	})
}

// Error returns err with its URLs redacted: a *url.Error gets its URL rewritten and its inner error redacted;
// any other error whose text holds a URL is wrapped so that Error() is
// redacted. errors.Is/As still reach the cause (context.DeadlineExceeded,
// *net.OpError, …); they are for code, not for logs. nil stays nil.
func Error(err error) error {
	if err == nil {
		return nil
	}
	if ue, ok := err.(*url.Error); ok {
		return &url.Error{Op: ue.Op, URL: URL(ue.URL), Err: Error(ue.Err)}
	}
	msg := err.Error()
	red := Text(msg)
	if red == msg {
		return err
	}
	return &redacted{msg: red, err: err}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }

// Timeout reports whether the cause is a timeout (net.Error style).
func (r *redacted) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(r.err, &t) && t.Timeout()
}

// Client wraps an *http.Client so that every error it returns is
// redacted. It has only the methods below on purpose (no embedding): a
// call cannot slip through an unwrapped method.
type Client struct {
	c *http.Client
}

// NewClient returns c (http.DefaultClient if nil) with redacted errors. Its
// transport is wrapped by Transport as well, so errors of the transport
// (e.g. a proxy URL with a password) are redacted before net/http wraps
// them, and redirect errors are covered by Do.
func NewClient(c *http.Client) *Client {
	if c == nil {
		c = &http.Client{}
	}
	cc := *c
	cc.Transport = Transport(c.Transport)
	return &Client{c: &cc}
}

// HTTP returns the wrapped *http.Client (transport errors redacted; the
// *url.Error that http.Client.Do adds is NOT: prefer Client's methods).
func (c *Client) HTTP() *http.Client { return c.c }

// Do is http.Client.Do with a redacted error.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.c.Do(req)
	return resp, Error(err)
}

// Get is http.Client.Get with a redacted error.
func (c *Client) Get(ctx context.Context, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, Error(err)
	}
	return c.Do(req)
}

// Post is http.Client.Post with a redacted error.
func (c *Client) Post(ctx context.Context, u, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, body)
	if err != nil {
		return nil, Error(err)
	}
	req.Header.Set("Content-Type", contentType)
	return c.Do(req)
}

// Transport wraps rt (http.DefaultTransport if nil) so that its errors
// are redacted.
func Transport(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	if _, ok := rt.(transport); ok {
		return rt
	}
	return transport{rt}
}

type transport struct{ rt http.RoundTripper }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(req)
	return resp, Error(err)
}
