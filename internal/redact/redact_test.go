package redact

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=ww1&corpsecret=S3CRET", "https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=<redacted>&corpsecret=<redacted>"},
		{"https://h/cgi-bin/message/send?access_token=T0K", "https://h/cgi-bin/message/send?access_token=<redacted>"},
		{"http://alice:pa55@h:8080/p?x", "http://alice:<redacted>@h:8080/p?<redacted>"},
		{"http://alice@h/p", "http://alice@h/p"},
		{"http://h/p#frag-S3CRET", "http://h/p#<redacted>"},
		{"http://h/p?a=1&&b=", "http://h/p?a=<redacted>&&b="},
		{"http://h/p", "http://h/p"},
		{"http://h/p?", "http://h/p?"},
		{"http://u:pw@h/%zz?key=S3CRET", "http://u:<redacted>@h/%zz?<redacted>"}, // url.Parse fails: textual
		{"not a url ?token=S3CRET", "not%20a%20url%20?token=<redacted>"},
		{"h/p?\x01key=S3CRET", "h/p?<redacted>"}, // control character: textual
		{"", ""},
	} {
		if got := URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := URL(tc.want); got != tc.want {
			t.Errorf("not idempotent: URL(%q) = %q", tc.want, got)
		}
	}
}

func TestText(t *testing.T) {
	in := `Post "https://h/hook?key=S3CRET": proxyconnect tcp: dial http://u:pw@proxy:3128 failed; see http://h/doc`
	got := Text(in)
	for _, s := range []string{"S3CRET", ":pw@"} {
		if strings.Contains(got, s) {
			t.Errorf("Text kept %q: %s", s, got)
		}
	}
	if !strings.Contains(got, `"https://h/hook?key=<redacted>"`) || !strings.Contains(got, "http://h/doc") {
		t.Errorf("Text = %s", got)
	}
}

func TestError(t *testing.T) {
	inner := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	ue := &url.Error{Op: "Get", URL: "http://h/x?corpsecret=S3CRET", Err: inner}
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"url.Error", ue},
		{"wrapped url.Error", fmt.Errorf("wecom: %w", ue)},
		{"plain text", errors.New("upstream http://u:S3CRET@h/ said no")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Error(tc.err)
			if strings.Contains(got.Error(), "S3CRET") {
				t.Fatalf("secret kept: %v", got)
			}
			if !strings.Contains(got.Error(), "<redacted>") {
				t.Fatalf("no mask: %v", got)
			}
		})
	}
	// The cause stays reachable for code.
	var op *net.OpError
	if !errors.As(Error(ue), &op) || !errors.As(Error(fmt.Errorf("x: %w", ue)), &op) {
		t.Error("errors.As lost the *net.OpError cause")
	}
	if Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
	plain := errors.New("no url here")
	if Error(plain) != plain {
		t.Error("an error without URL must be returned as is")
	}
}

// TestClient_TransportFailureRedacted: the failures that reach logs (closed
// port, timeout, non-URL request) never carry the query secret.
func TestClient_TransportFailureRedacted(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, closed+"/next?token=S3CRET2", http.StatusFound)
	}))
	defer redirect.Close()

	c := NewClient(&http.Client{Timeout: 300 * time.Millisecond})
	for _, tc := range []struct {
		name, url string
		timeout   bool
	}{
		{"closed port", closed + "/cgi-bin/gettoken?corpid=c&corpsecret=S3CRET", false},
		{"timeout", slow.URL + "/?access_token=S3CRET", true},
		{"redirect to closed port", redirect.URL + "/?key=S3CRET", false},
		{"userinfo", "http://bob:S3CRET@" + ln.Addr().String() + "/", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Get(context.Background(), tc.url)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "S3CRET") {
				t.Fatalf("secret in error: %v", err)
			}
			var ne net.Error
			if tc.timeout && !(errors.As(err, &ne) && ne.Timeout()) {
				t.Errorf("timeout no longer recognisable: %v", err)
			}
			t.Log(err)
		})
	}
	if _, err := c.Post(context.Background(), "http://h/\x7f?key=S3CRET", "text/plain", nil); err == nil || strings.Contains(err.Error(), "S3CRET") {
		t.Errorf("bad request URL: %v", err)
	}
}

// FuzzURL: whatever path precedes it, a query value never survives URL,
// Error of a *url.Error, nor Text of a message quoting the URL with %q the
// way *url.Error does.
func FuzzURL(f *testing.F) {
	f.Add("cgi-bin/gettoken", "S3CRET-corpsecret")
	f.Add("a%zz/b", "tok&en=1")
	f.Add("p#frag?x", "\x00\xff secret")
	f.Add("", "xxxxxx")
	f.Fuzz(func(t *testing.T, path, secret string) {
		if len(secret) < 6 {
			return
		}
		esc := url.QueryEscape(secret)
		base := "https://h.example/" + path
		forms := func(u string) []string { // the three ways a URL reaches a message
			return []string{URL(u), Text(fmt.Sprintf("Get %q: dial tcp: connection refused", u)), Error(&url.Error{Op: "Get", URL: u, Err: errors.New("refused")}).Error()}
		}
		// The "secret" may be part of what is kept: the path itself, or
		// the path as %q escapes it (the seed \x00000000 holds "0000000").
		for _, kept := range append(forms(base), base, Text(base), "a=token<redacted>") {
			if strings.Contains(kept, esc) {
				return
			}
		}
		raw := base + "?a=1&token=" + esc
		for _, got := range forms(raw) {
			if strings.Contains(got, esc) {
				t.Fatalf("secret %q survived in %q", esc, got)
			}
		}
	})
}
